"""What the cart page shows: each line priced now, and the total per currency."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import DomainError
from orders.cart import Cart, CartItem, PricedItem, check_cart_rules, check_item, load_item


@dataclass
class SummaryLine:
    index: int
    item: CartItem
    description: str
    currency: str
    unit_price_minor: int
    quantity: int
    total_minor: int
    error: str | None = None
    error_code: str | None = None
    refusal: DomainError | None = None  # the refusal behind `error`, for other languages
    # What the line is, for pages to name it from structured fields (None: gone).
    priced: PricedItem | None = None


@dataclass
class CartSummary:
    lines: list[SummaryLine] = field(default_factory=list)
    currency: str | None = None
    total_minor: int = 0
    errors: list[str] = field(default_factory=list)
    refusals: list[DomainError] = field(default_factory=list)  # behind `errors`, in order

    @property
    def ok(self) -> bool:
        """True when the cart can go to checkout as it is."""
        return bool(self.lines) and not self.errors

    def refuse(self, exc: DomainError) -> None:
        self.errors.append(exc.message)
        self.refusals.append(exc)


async def cart_summary(
    session: AsyncSession, cart: Cart, *, country: str, now: datetime
) -> CartSummary:
    """Every line priced now, with the reason in words for each line that cannot be bought."""
    summary = CartSummary()
    loaded: list[PricedItem] = []
    for index, item in enumerate(cart.items):
        try:
            priced = await load_item(session, item)
        except DomainError as exc:
            summary.lines.append(
                SummaryLine(index, item, "No longer available", "", 0, item.qty, 0)
            )
            summary.lines[-1].error, summary.lines[-1].error_code = exc.message, exc.code
            summary.lines[-1].refusal = exc
            summary.refuse(exc)
            continue
        line = SummaryLine(
            index,
            item,
            priced.description,
            priced.currency,
            priced.unit_price_minor,
            item.qty,
            priced.total_minor,
            priced=priced,
        )
        try:
            await check_item(session, priced, country=country, now=now)
            loaded.append(priced)
        except DomainError as exc:
            line.error, line.error_code, line.refusal = exc.message, exc.code, exc
            summary.refuse(exc)
        summary.lines.append(line)
    try:
        check_cart_rules(loaded)
    except DomainError as exc:
        summary.refuse(exc)
    currencies = [line.currency for line in summary.lines if line.currency]
    if currencies:
        summary.currency = currencies[0]
        summary.total_minor = sum(
            line.total_minor for line in summary.lines if line.currency == summary.currency
        )
    return summary
