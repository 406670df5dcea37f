"""Authenticity labels (SPEC §10): a merchant's batches of codes and their verification.

- `request_labels`: up to MAX_BATCH codes for one approved product of an active agreement,
  inserted in chunks of CHUNK rows (one multi-row INSERT each, on both databases); a chunk
  that hits an existing code (60 random bits: rare, but possible) is rolled back to its
  savepoint and made again.
- `batch_codes`: a batch's codes, in the order made, for the printing CSV.
- `verify_label`: what a typed code stands for — product, merchant, film, and whether it is
  licensed now by the sellable rule (in any territory and channel of its agreement) — and
  one verification row for it, with the client's network.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import ApprovalStage, Film, Product
from kernel.errors import DomainError
from licensing.codes import LicensingError
from licensing.label_models import LabelBatch, LabelCode, LabelVerification
from licensing.labels import new_code
from licensing.models import Agreement, AgreementStatus, Channel, Merchant
from licensing.sellable import load_terms, sellable_anywhere

MAX_BATCH = 100_000
CHUNK = 5_000
ATTEMPTS = 5


def check_quantity(quantity: object) -> int:
    """A batch size: a whole number from 1 to MAX_BATCH."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise DomainError(LicensingError.INVALID_QUANTITY, "Ask for at least 1 label.", "quantity")
    if quantity > MAX_BATCH:
        raise DomainError(
            LicensingError.TOO_MANY_LABELS,
            f"A batch holds at most {MAX_BATCH:,} labels; ask for more in several batches.",
            "quantity",
        )
    return quantity


def check_request_total(already: int, quantity: int) -> None:
    """One API request (a document may alias many `requestLabels`) asks for at most
    MAX_BATCH labels in all: `already` asked by earlier mutations of it, `quantity` now."""
    if already + quantity > MAX_BATCH:
        raise DomainError(
            LicensingError.TOO_MANY_LABELS,
            f"One request may ask for at most {MAX_BATCH:,} labels in all; "
            "send further batches in another request.",
            "quantity",
        )


async def request_labels(
    session: AsyncSession,
    *,
    product_id: int,
    quantity: int,
    merchant_id: int | None,
    requested_by: str,
    now: datetime,
) -> LabelBatch:
    """A new batch of `quantity` codes for a product. `merchant_id` is the acting merchant
    (None for staff): another merchant's product is NOT_FOUND, like one that does not exist."""
    quantity = check_quantity(quantity)
    product = await session.get(Product, product_id)
    if product is None or (merchant_id is not None and product.merchant_id != merchant_id):
        raise DomainError(LicensingError.NOT_FOUND, "No such product.", "product_id")
    if product.approval_stage != ApprovalStage.APPROVED:
        raise DomainError(
            LicensingError.NOT_APPROVED,
            f"{product.name} is not approved: labels are only made for approved designs.",
            "product_id",
        )
    status = await session.scalar(
        select(Agreement.status).where(Agreement.id == product.agreement_id)
    )
    if status != AgreementStatus.ACTIVE:
        raise DomainError(
            LicensingError.AGREEMENT_NOT_ACTIVE,
            f"{product.name}'s license agreement is not active: it may not be labelled.",
            "product_id",
        )
    batch = LabelBatch(
        merchant_id=product.merchant_id,
        agreement_id=product.agreement_id,
        product_id=product.id,
        quantity=quantity,
        requested_at=now,
        requested_by=requested_by[:120],
    )
    session.add(batch)
    await session.flush()
    left = quantity
    while left:
        size = min(CHUNK, left)
        await _insert_chunk(session, batch.id, size)
        left -= size
    return batch


async def _insert_chunk(session: AsyncSession, batch_id: int, size: int) -> None:
    for _ in range(ATTEMPTS):
        codes: set[str] = set()
        while len(codes) < size:
            codes.add(new_code())
        try:
            async with session.begin_nested():
                await session.execute(
                    insert(LabelCode), [{"batch_id": batch_id, "code": c} for c in codes]
                )
            return
        except IntegrityError:
            continue  # a code already issued: make the chunk again
    raise RuntimeError("Could not make unique label codes.")  # pragma: no cover


async def batch_codes(
    session: AsyncSession, batch_id: int, *, merchant_id: int | None
) -> tuple[LabelBatch, Product, list[str]] | None:
    """A batch, its product and its codes (normal form, in the order made); None when there
    is no such batch or it is another merchant's (`merchant_id` None: staff)."""
    batch = await session.get(LabelBatch, batch_id)
    if batch is None or (merchant_id is not None and batch.merchant_id != merchant_id):
        return None
    product = await session.get(Product, batch.product_id)
    assert product is not None
    codes = await session.scalars(
        select(LabelCode.code).where(LabelCode.batch_id == batch.id).order_by(LabelCode.id)
    )
    return batch, product, list(codes)


def verification_network(host: str | None) -> str | None:
    """The network a verification is counted from: an IPv4 /24 or an IPv6 /48 (an IPv4
    address mapped into IPv6 counts as IPv4); None when the address is unknown."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if isinstance(address, ipaddress.IPv4Address) else 48
    return str(ipaddress.ip_network((address, prefix), strict=False))


@dataclass(frozen=True)
class LabelVerdict:
    code: str
    product_name: str
    sku: str
    merchant_name: str
    film_title: str
    agreement_code: str
    licensed_now: bool
    verifications: int  # this one included
    film_archived: bool = False  # staff withdrew the film: its merch is sold nowhere
    kind: str = "label"


async def verify_label(
    session: AsyncSession, code: str, *, now: datetime, network: str | None, record: bool = True
) -> LabelVerdict | None:
    """What the normal-form `code` stands for, recording this verification (unless `record`
    is False: a HEAD request, which only asks for headers); None when no label has that code
    (nothing is recorded then)."""
    row = (
        await session.execute(
            select(
                LabelCode.id, Product, Merchant.name, Film.title, Agreement.code, Film.archived_at
            )
            .join(LabelBatch, LabelBatch.id == LabelCode.batch_id)
            .join(Product, Product.id == LabelBatch.product_id)
            .join(Merchant, Merchant.id == Product.merchant_id)
            .join(Film, Film.id == Product.film_id)
            .join(Agreement, Agreement.id == Product.agreement_id)
            .where(LabelCode.code == code)
        )
    ).first()
    if row is None:
        return None
    label_id, product, merchant_name, film_title, agreement_code, archived_at = row
    terms = (await load_terms(session, [product.agreement_id]))[product.agreement_id]
    licensed = sellable_anywhere(product, terms, now.date(), channels=tuple(Channel))
    if record:
        session.add(LabelVerification(label_id=label_id, verified_at=now, network=network))
        await session.flush()
    count = await session.scalar(select(func.count()).where(LabelVerification.label_id == label_id))
    return LabelVerdict(
        code=code,
        product_name=product.name,
        sku=product.sku,
        merchant_name=merchant_name,
        film_title=film_title,
        agreement_code=agreement_code,
        licensed_now=licensed,
        verifications=int(count or 0),
        film_archived=archived_at is not None,
    )
