"""Variants of a product (SPEC §5, §7 createVariant/updateVariant): sizes, colours.

A product gets its option names ("size", "colour") with its first variant; from then on it is
sold by variant only (a cart line, a reservation, a bundle choice names the variant), and its
`stock` is the sum of its variants' stock (catalog/stock.py keeps it so). A variant's SKU
follows the product rule: the merchant's prefix, a dash and the code the merchant chose, and
is unique among products and variants alike. A variant may override the product's price (in
the product's currency). Approval, licensing and authenticity stay per product.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import column, func, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.codes import CatalogError
from catalog.images import owned_image
from catalog.models import Product, Variant
from catalog.products import (
    MAX_STOCK,
    get_product,
    merchant_sku,
    refuse_unknown_fields,
    sku_prefix,
)
from kernel.errors import Checks, DomainError

MAX_OPTIONS = 3
MAX_VARIANTS = 100  # per product
_NAME = re.compile(r"^[a-z][a-z0-9 _-]{0,29}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
UPDATABLE_FIELDS = frozenset({"price_minor", "position"})
_reservations = table("reservations", column("product_id"), column("variant_id"), column("status"))


def _check_options(options: Any) -> list[tuple[str, str]]:
    """Pairs (name, value): 1 to MAX_OPTIONS distinct lower-case names, short printable
    values."""
    pairs: list[tuple[str, str]] = []
    if isinstance(options, dict):
        options = list(options.items())
    if not isinstance(options, list | tuple) or not 1 <= len(options) <= MAX_OPTIONS:
        raise DomainError(
            CatalogError.INVALID,
            f"A variant has 1 to {MAX_OPTIONS} options (a name and a value each).",
            "options",
        )
    for pair in options:
        name, value = pair if isinstance(pair, list | tuple) and len(pair) == 2 else ("", "")
        name = name.strip().lower() if isinstance(name, str) else ""
        value = value.strip() if isinstance(value, str) else ""
        if not _NAME.match(name):
            raise DomainError(
                CatalogError.INVALID,
                "An option name is a short lower-case word (letters, digits, space, _ or -).",
                "options",
            )
        printable = all(unicodedata.category(ch)[0] != "C" for ch in value)
        if not value or len(value) > 40 or not printable:
            raise DomainError(
                CatalogError.INVALID,
                f"The value of {name!r} is 1 to 40 printable characters.",
                "options",
            )
        pairs.append((name, value))
    if len({name for name, _ in pairs}) != len(pairs):
        raise DomainError(CatalogError.INVALID, "Each option is named once.", "options")
    return pairs


def _check_price(price_minor: Any) -> int | None:
    if price_minor is None:
        return None
    if not isinstance(price_minor, int) or isinstance(price_minor, bool) or price_minor <= 0:
        raise DomainError(
            CatalogError.INVALID_PRICE,
            "A variant's price is a positive number of minor units (or none: the product's).",
            "price_minor",
        )
    return price_minor


def _check_stock(stock: Any) -> int:
    if not isinstance(stock, int) or isinstance(stock, bool) or not 0 <= stock <= MAX_STOCK:
        raise DomainError(
            CatalogError.INVALID_QUANTITY,
            f"Stock is a whole number from 0 to {MAX_STOCK:,}.",
            "stock",
        )
    return stock


def _check_position(position: Any) -> int:
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 999:
        raise DomainError(CatalogError.INVALID, "A position is from 0 to 999.", "position")
    return position


async def sku_taken(session: AsyncSession, sku: str) -> bool:
    """Whether a product or a variant has this SKU (SKUs are unique across both)."""
    product = await session.scalar(select(Product.id).where(Product.sku == sku))
    variant = await session.scalar(select(Variant.id).where(Variant.sku == sku))
    return product is not None or variant is not None


async def create_variant(
    session: AsyncSession,
    product_id: int,
    *,
    merchant_id: int | None,
    code: str,
    options: Sequence[tuple[str, str]] | dict[str, str],
    price_minor: int | None = None,
    stock: int = 0,
    position: int | None = None,
) -> Variant:
    """Add a variant to a product (`merchant_id` guards ownership; None = staff).

    Rules: the SKU is the product merchant's prefix, a dash and `code`, and is not taken; the
    options name every option of the product (its first variant sets them) with a value
    combination no other variant of it has; the price, when given, is positive; the stock is
    within 0 and MAX_STOCK. The first variant needs the product to hold no stock of its own
    (not in stock, not held by unpaid orders): from then on stock lives per variant."""
    product = await get_product(session, product_id, merchant_id=merchant_id)
    checks = Checks()
    sku = merchant_sku(product.merchant_id, code if isinstance(code, str) else "")
    with checks:
        own = f"{sku_prefix(product.merchant_id)}-"
        if not _CODE.match(sku[len(own) :]) or len(sku) > 64:
            raise DomainError(
                CatalogError.INVALID,
                "A variant code is 1 to 58 letters, digits, . _ or - (the SKU is the "
                f"merchant's prefix {own} and the code).",
                "code",
            )
        if await sku_taken(session, sku):
            raise DomainError(CatalogError.DUPLICATE, f"The SKU {sku!r} is taken.", "code")
    values: list[str] = []
    with checks:
        pairs = _check_options(options)
        names = [name for name, _ in pairs]
        if product.options and sorted(names) != sorted(product.options):
            raise DomainError(
                CatalogError.INVALID,
                "Name every option of this product: " + ", ".join(product.options) + ".",
                "options",
            )
        order = product.options or names
        values = [dict(pairs)[name] for name in order]
        clash = await session.scalar(
            select(Variant.id).where(
                Variant.product_id == product.id, Variant.options == _key(values)
            )
        )
        if clash is not None:
            raise DomainError(
                CatalogError.DUPLICATE, "This product already has that variant.", "options"
            )
    with checks:
        price_minor = _check_price(price_minor)
    with checks:
        stock = _check_stock(stock)
    with checks:
        if position is not None:
            _check_position(position)
    with checks:
        if not product.options:
            held = await session.scalar(
                select(func.count())
                .select_from(_reservations)
                .where(
                    _reservations.c.product_id == product.id,
                    _reservations.c.variant_id.is_(None),
                    _reservations.c.status == "active",
                )
            )
            if product.stock or held:
                raise DomainError(
                    CatalogError.PRODUCT_HAS_STOCK,
                    "Bring the product's own stock to 0 before adding its first variant: "
                    "stock is then kept per variant.",
                    "product_id",
                )
        count = await session.scalar(
            select(func.count()).select_from(Variant).where(Variant.product_id == product.id)
        )
        if (count or 0) >= MAX_VARIANTS:
            raise DomainError(
                CatalogError.INVALID,
                f"A product has {MAX_VARIANTS} variants at most.",
                "product_id",
            )
    checks.done()
    if not product.options:
        product.option_names = ",".join(order)
    variant = Variant(
        product_id=product.id,
        sku=sku,
        options=_key(values),
        price_minor=price_minor,
        stock=0,
        position=count if position is None else int(position),
    )
    session.add(variant)
    await session.flush()
    if stock:
        await adjust_variant_stock(session, variant.id, stock, merchant_id=merchant_id)
    return await get_variant(session, variant.id)


def _key(values: Iterable[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


async def get_variant(
    session: AsyncSession, variant_id: int, *, merchant_id: int | None = None
) -> Variant:
    """The variant, or NOT_FOUND; with `merchant_id`, another merchant's variant is
    NOT_FOUND too (its existence is not leaked)."""
    query = select(Variant).where(Variant.id == variant_id)
    if merchant_id is not None:
        query = query.join(Product, Product.id == Variant.product_id).where(
            Product.merchant_id == merchant_id
        )
    variant = await session.scalar(query.execution_options(populate_existing=True))
    if variant is None:
        raise DomainError(CatalogError.NOT_FOUND, f"No variant {variant_id}.", "variant_id")
    return variant


async def update_variant(
    session: AsyncSession, variant_id: int, *, merchant_id: int | None, **changes: Any
) -> Variant:
    """Change a variant's price override (None: the product's price again) or position; any
    other field is INVALID. Stock moves with `adjust_variant_stock`."""
    refuse_unknown_fields(changes, UPDATABLE_FIELDS)
    variant = await get_variant(session, variant_id, merchant_id=merchant_id)
    if "price_minor" in changes:
        variant.price_minor = _check_price(changes["price_minor"])
    if "position" in changes:
        variant.position = _check_position(changes["position"])
    await session.flush()
    return variant


async def set_variant_image(
    session: AsyncSession, variant_id: int, image_id: int | None, *, merchant_id: int | None
) -> Variant:
    """Give a variant its photo (None: none). The image is an upload of the variant's
    merchant (a merchant's own; staff may use the studio's or that merchant's): any other
    is NOT_FOUND on `upload_id`, as if it did not exist."""
    variant = await get_variant(session, variant_id, merchant_id=merchant_id)
    if image_id is not None:
        image = await owned_image(session, image_id, merchant_id=merchant_id, field="upload_id")
        product = await session.get(Product, variant.product_id)
        if product is None or image.merchant_id not in (None, product.merchant_id):
            raise DomainError(CatalogError.NOT_FOUND, "No such upload.", "upload_id")
    variant.image_id = image_id
    await session.flush()
    return variant


async def adjust_variant_stock(
    session: AsyncSession, variant_id: int, delta: int, *, merchant_id: int | None
) -> Variant:
    """Add (delta > 0) or remove (delta < 0) stock of a variant, and as much of its product's
    total. Conditional UPDATEs in the lock order of catalog/stock.py (the product, then the
    variant) inside a savepoint: the variant never goes below 0 or above MAX_STOCK."""
    if not isinstance(delta, int) or isinstance(delta, bool) or not 0 < abs(delta) <= MAX_STOCK:
        raise DomainError(
            CatalogError.INVALID_QUANTITY,
            f"The stock change is a non-zero whole number of at most {MAX_STOCK:,} units.",
            "delta",
        )
    variant = await get_variant(session, variant_id, merchant_id=merchant_id)
    async with session.begin_nested() as savepoint:
        total = await session.execute(
            update(Product)
            .where(
                Product.id == variant.product_id,
                (Product.stock + delta).between(0, MAX_STOCK),
            )
            .values(stock=Product.stock + delta)
            .execution_options(synchronize_session=False)
        )
        own = await session.execute(
            update(Variant)
            .where(Variant.id == variant_id, (Variant.stock + delta).between(0, MAX_STOCK))
            .values(stock=Variant.stock + delta)
            .execution_options(synchronize_session=False)
        )
        if total.rowcount != 1 or own.rowcount != 1:
            await savepoint.rollback()
            if delta > 0:
                raise DomainError(
                    CatalogError.INVALID_QUANTITY,
                    f"Stock cannot go above {MAX_STOCK:,} units.",
                    "delta",
                )
            raise DomainError(
                CatalogError.OUT_OF_STOCK,
                f"Cannot remove {-delta} units: not that many are in stock.",
                "delta",
            )
    return await get_variant(session, variant_id)


async def variants_of(
    session: AsyncSession, product_ids: Iterable[int]
) -> dict[int, list[Variant]]:
    """The variants of each product, in their order (one SELECT for any number)."""
    ids = sorted(set(product_ids))
    found: dict[int, list[Variant]] = {pid: [] for pid in ids}
    if not ids:
        return found
    rows = await session.scalars(
        select(Variant)
        .where(Variant.product_id.in_(ids))
        .order_by(Variant.product_id, Variant.position, Variant.id)
    )
    for variant in rows:
        found[variant.product_id].append(variant)
    return found


async def variant_by_sku(session: AsyncSession, sku: str) -> Variant | None:
    """The variant with this SKU, if any."""
    return await session.scalar(
        select(Variant)
        .where(Variant.sku == (sku or "").strip()[:64])
        .execution_options(populate_existing=True)
    )
