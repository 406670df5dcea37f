"""Label batches in the console (SPEC §10): every batch of authenticity labels issued — the
licensee, the product, how many, when — newest first, with the link to its printing CSV
(`/labels/batches/<id>.csv`, which staff may download). Filtered by merchant
(`?merchant=<slug>`, linked from the merchant page) or agreement (`?agreement=<code>`,
linked from the label audit). Two statements whatever the number of batches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.models import Product
from kernel.parsing import InvalidInput
from licensing.label_models import LabelBatch
from licensing.models import Agreement, Merchant
from storefront.staff.auth import require_staff
from storefront.staff.common import page
from storefront.staff.tables import Column, Table
from storefront.web import query_param

SHOWN = 200  # the newest ones; a filter narrows the list


@dataclass(frozen=True)
class BatchRow:
    batch_id: int
    merchant: str
    merchant_slug: str
    agreement: str
    sku: str
    product: str
    quantity: int
    issued_at: datetime
    requested_by: str


async def label_batches(
    session: AsyncSession, *, merchant_slug: str = "", agreement_code: str = ""
) -> tuple[list[BatchRow], int]:
    """The newest SHOWN batches (of one merchant or agreement when given) and how many match."""
    conditions = []
    if merchant_slug:
        conditions.append(Merchant.slug == merchant_slug.lower())
    if agreement_code:
        conditions.append(Agreement.code == agreement_code)
    rows = await session.execute(
        select(LabelBatch, Merchant.name, Merchant.slug, Agreement.code, Product.sku, Product.name)
        .join(Merchant, Merchant.id == LabelBatch.merchant_id)
        .join(Agreement, Agreement.id == LabelBatch.agreement_id)
        .join(Product, Product.id == LabelBatch.product_id)
        .where(*conditions)
        .order_by(LabelBatch.requested_at.desc(), LabelBatch.id.desc())
        .limit(SHOWN)
    )
    found = [
        BatchRow(b.id, m, slug, code, sku, name, b.quantity, b.requested_at, b.requested_by)
        for b, m, slug, code, sku, name in rows
    ]
    total = await session.scalar(
        select(func.count())
        .select_from(LabelBatch)
        .join(Merchant, Merchant.id == LabelBatch.merchant_id)
        .join(Agreement, Agreement.id == LabelBatch.agreement_id)
        .where(*conditions)
    )
    return found, int(total or 0)


COLUMNS = [
    Column("batch", "Batch", lambda r: r.batch_id, number=True),
    Column("licensee", "Licensee", lambda r: r.merchant),
    Column("agreement", "Agreement", lambda r: r.agreement),
    Column("product", "Product", lambda r: f"{r.product} ({r.sku})"),
    Column("quantity", "Labels", lambda r: f"{r.quantity:,}", number=True,
           note="codes in the batch: one per unit, printed on its hangtag."),
    Column("issued_at", "Issued", lambda r: r.issued_at.strftime("%Y-%m-%d %H:%M UTC")),
    Column("requested_by", "Requested by", lambda r: r.requested_by),
]  # fmt: skip


@require_staff
async def batches_page(request: Request) -> Response:
    try:
        merchant = query_param(request, "merchant", 80)
        agreement = query_param(request, "agreement", 40)
    except InvalidInput:
        raise HTTPException(400) from None
    async with request.app.state.db.read_session() as session:
        rows, total = await label_batches(session, merchant_slug=merchant, agreement_code=agreement)
    return page(
        request,
        "staff/label_batches.html",
        table=Table("label-batches", COLUMNS, rows),
        rows=rows,
        total=total,
        merchant=merchant,
        agreement=agreement,
    )


routes = [Route("/staff/labels", batches_page, methods=["GET"], name="staff_label_batches")]
