"""Licensed products, managed by their merchant (SPEC §3, §7 createProduct/updateProduct/
adjustStock).

The catalog does not import `licensing` (imports flow the other way): the facts of the
agreement a product is made under are read from the licensing tables by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import column, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.codes import CatalogError
from catalog.models import ApprovalStage, Category, Film, Product, Variant
from kernel.errors import Checks, DomainError
from kernel.money import check_currency
from kernel.parsing import has_bidi_controls, has_unsafe_characters

_agreements = table(
    "agreements", column("id"), column("merchant_id"), column("status"), column("currency")
)
_agreement_films = table("agreement_films", column("agreement_id"), column("film_id"))
_agreement_categories = table("agreement_categories", column("agreement_id"), column("category"))

_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_NAMESPACED = re.compile(r"^([0-9]{4,})-")
_CLOSED_AGREEMENT = {"terminated", "expired"}
MAX_STOCK = 1_000_000_000  # units of one product; the column is a 32-bit integer
UPDATABLE_FIELDS = frozenset(
    {"name", "description", "price_minor", "image_url", "low_stock_threshold"}
)


def _check_price(price_minor: Any) -> int:
    if not isinstance(price_minor, int) or isinstance(price_minor, bool) or price_minor <= 0:
        raise DomainError(
            CatalogError.INVALID_PRICE,
            "The price must be a positive number of minor units.",
            "price_minor",
        )
    return price_minor


def check_threshold(value: Any) -> int | None:
    """A low-stock threshold: None (no alert) or a whole number from 0 to MAX_STOCK."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_STOCK:
        raise DomainError(
            CatalogError.INVALID_QUANTITY,
            f"The low-stock threshold is a whole number from 0 to {MAX_STOCK:,}.",
            "low_stock_threshold",
        )
    return value


def _check_name(name: Any) -> str:
    text = (name or "").strip() if isinstance(name, str) else ""
    if not text or len(text) > 200:
        raise DomainError(
            CatalogError.INVALID, "A product needs a name (200 chars at most).", "name"
        )
    if has_bidi_controls(text) or has_unsafe_characters(text):
        raise DomainError(
            CatalogError.INVALID,
            "A product name cannot hold control characters (such as a direction override).",
            "name",
        )
    return text


def refuse_unknown_fields(changes: Mapping[str, Any], updatable: frozenset[str]) -> None:
    """INVALID, on the first of them by name, when `changes` names a field outside
    `updatable`."""
    unknown = sorted(set(changes) - updatable)
    if unknown:
        raise DomainError(
            CatalogError.INVALID,
            f"These fields cannot be changed: {', '.join(unknown)}.",
            unknown[0],
        )


def sku_prefix(merchant_id: int) -> str:
    """A merchant's SKU prefix (SPEC §7): its id, zero-padded to four digits (`0007`).

    Derived from the id until merchants get a prefix of their own (the Studio console issue
    adds it with its column); the form, digits then a dash, is the same."""
    return f"{merchant_id:04d}"


def merchant_sku(merchant_id: int, code: str) -> str:
    """The SKU of a product whose merchant chose `code`: the merchant's prefix, a dash and the
    code (`0007-MUG`); a code that already starts with the merchant's own prefix is kept.

    SKUs are globally unique, so a code taken as it is would collide with another merchant's
    SKU, and answering DUPLICATE would tell the caller that a product it may not see exists
    (SPEC §7: a merchant can only ever collide with itself). Inside its own namespace a
    merchant's DUPLICATE only ever names one of its own products."""
    code = (code or "").strip()
    own = f"{sku_prefix(merchant_id)}-"
    return code if code.startswith(own) else own + code


async def create_product(
    session: AsyncSession,
    *,
    merchant_id: int,
    agreement_id: int,
    film_id: int,
    sku: str,
    name: str,
    category: Category | str,
    price_minor: int,
    currency: str,
    description: str = "",
    stock: int = 0,
    image_url: str = "",
    low_stock_threshold: int | None = None,
) -> Product:
    """Create a merchant's product under one of its agreements; it starts as a `draft`.

    Rules: the agreement is the merchant's own (another's is NOT_FOUND) and not terminated or
    expired; the agreement covers the film and allows the category; the currency is the
    agreement's; the SKU is unique; the price is positive; the stock is not negative. A SKU
    in the namespaced form (`0007-…`, see `merchant_sku`, which the API always uses) must
    carry the merchant's own prefix, so that no one squats another merchant's namespace.
    """
    checks = Checks()  # every bad field is named, not only the first
    sku = (sku or "").strip()
    with checks:
        if not _SKU.match(sku):
            raise DomainError(
                CatalogError.INVALID, f"{sku!r} is not a SKU (letters, digits, . _ -).", "sku"
            )
        namespace = _NAMESPACED.match(sku)
        if namespace is not None and not _SKU.match(sku[namespace.end() :]):
            raise DomainError(CatalogError.INVALID, f"{sku!r} has no code after its prefix.", "sku")
        if namespace is not None and namespace.group(1) != sku_prefix(merchant_id):
            raise DomainError(
                CatalogError.INVALID,
                f"This merchant's SKUs start with {sku_prefix(merchant_id)}- (or a letter).",
                "sku",
            )
        # Global, as the column is unique: a namespaced SKU can only be taken by the same
        # merchant, so this never reveals another merchant's product (see `merchant_sku`).
        # A variant's SKU counts too: `product(sku)` may name either.
        if (
            await session.scalar(select(Product.id).where(Product.sku == sku)) is not None
            or await session.scalar(select(Variant.id).where(Variant.sku == sku)) is not None
        ):
            raise DomainError(CatalogError.DUPLICATE, f"The SKU {sku!r} is taken.", "sku")
    with checks:
        name = _check_name(name)
    with checks:
        _check_price(price_minor)
    with checks:
        currency = check_currency(currency)
    with checks:
        if not isinstance(stock, int) or isinstance(stock, bool) or not 0 <= stock <= MAX_STOCK:
            raise DomainError(
                CatalogError.INVALID_QUANTITY,
                f"Stock is a whole number from 0 to {MAX_STOCK:,}.",
                "stock",
            )
    with checks:
        check_threshold(low_stock_threshold)
    with checks:
        agreement = (
            await session.execute(
                select(_agreements.c.status, _agreements.c.currency).where(
                    _agreements.c.id == agreement_id, _agreements.c.merchant_id == merchant_id
                )
            )
        ).first()
        if agreement is None:
            raise DomainError(
                CatalogError.NOT_FOUND, f"No agreement {agreement_id}.", "agreement_id"
            )
        status, agreement_currency = agreement
        if str(status) in _CLOSED_AGREEMENT:
            raise DomainError(
                CatalogError.AGREEMENT_CLOSED,
                f"The agreement is {status}; no new products can be made under it.",
                "agreement_id",
            )
        if currency != agreement_currency:
            raise DomainError(
                CatalogError.CURRENCY_MISMATCH,
                f"Products of this agreement are priced in {agreement_currency}.",
                "currency",
            )
    with checks:
        if await session.get(Film, film_id) is None:
            raise DomainError(CatalogError.NOT_FOUND, f"No film {film_id}.", "film_id")
        covered = await session.scalar(
            select(_agreement_films.c.film_id).where(
                _agreement_films.c.agreement_id == agreement_id,
                _agreement_films.c.film_id == film_id,
            )
        )
        if covered is None:
            raise DomainError(
                CatalogError.FILM_NOT_COVERED, "The agreement does not cover this film.", "film_id"
            )
    with checks:
        try:
            category = Category(category)
        except ValueError:
            raise DomainError(
                CatalogError.INVALID, f"{category!r} is not a product category.", "category"
            ) from None
        allowed = await session.scalar(
            select(_agreement_categories.c.category).where(
                _agreement_categories.c.agreement_id == agreement_id,
                _agreement_categories.c.category == category.value,
            )
        )
        if allowed is None:
            raise DomainError(
                CatalogError.CATEGORY_NOT_ALLOWED,
                f"The agreement does not allow {category.value} products.",
                "category",
            )
    checks.done()
    product = Product(
        merchant_id=merchant_id,
        agreement_id=agreement_id,
        film_id=film_id,
        sku=sku,
        name=name,
        description=(description or "").strip(),
        category=category,
        price_minor=price_minor,
        currency=currency,
        stock=stock,
        image_url=(image_url or "").strip(),
        low_stock_threshold=low_stock_threshold,
        approval_stage=ApprovalStage.DRAFT,
    )
    session.add(product)
    await session.flush()
    return product


async def get_product(
    session: AsyncSession, product_id: int, *, merchant_id: int | None = None
) -> Product:
    """The product, or NOT_FOUND; with `merchant_id`, another merchant's product is NOT_FOUND
    too (never FORBIDDEN: its existence is not leaked)."""
    query = select(Product).where(Product.id == product_id)
    if merchant_id is not None:
        query = query.where(Product.merchant_id == merchant_id)
    product = await session.scalar(query.execution_options(populate_existing=True))
    if product is None:
        raise DomainError(CatalogError.NOT_FOUND, f"No product {product_id}.", "product_id")
    return product


async def update_product(
    session: AsyncSession, product_id: int, *, merchant_id: int | None, **changes: Any
) -> Product:
    """Change a product's name, description, price, image or low-stock threshold (None
    clears it). `merchant_id` guards ownership (None = staff); any other field is refused
    as INVALID."""
    refuse_unknown_fields(changes, UPDATABLE_FIELDS)
    product = await get_product(session, product_id, merchant_id=merchant_id)
    if "name" in changes:
        product.name = _check_name(changes["name"])
    if "description" in changes:
        product.description = (changes["description"] or "").strip()
    if "price_minor" in changes:
        product.price_minor = _check_price(changes["price_minor"])
    if "image_url" in changes:
        product.image_url = (changes["image_url"] or "").strip()
    if "low_stock_threshold" in changes:
        product.low_stock_threshold = check_threshold(changes["low_stock_threshold"])
    await session.flush()
    return product


async def adjust_stock(
    session: AsyncSession, product_id: int, delta: int, *, merchant_id: int | None
) -> Product:
    """Add (delta > 0) or remove (delta < 0) stock. Stock stays within 0 and MAX_STOCK (the
    column is 32-bit): the change is one conditional UPDATE, so it is safe against concurrent
    reservations."""
    if not isinstance(delta, int) or isinstance(delta, bool) or not 0 < abs(delta) <= MAX_STOCK:
        raise DomainError(
            CatalogError.INVALID_QUANTITY,
            f"The stock change is a non-zero whole number of at most {MAX_STOCK:,} units.",
            "delta",
        )
    product = await get_product(session, product_id, merchant_id=merchant_id)
    if product.options:
        raise DomainError(
            CatalogError.VARIANT_REQUIRED,
            "This product's stock is kept per variant: name the variant.",
            "variant_id",
        )
    result = await session.execute(
        update(Product)
        .where(Product.id == product_id, (Product.stock + delta).between(0, MAX_STOCK))
        .values(stock=Product.stock + delta)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
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
    return await get_product(session, product_id)


async def products_of_merchant(session: AsyncSession, merchant_id: int) -> list[Product]:
    """A merchant's products, by SKU."""
    rows = await session.scalars(
        select(Product).where(Product.merchant_id == merchant_id).order_by(Product.sku)
    )
    return list(rows)
