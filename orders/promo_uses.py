"""The uses of promo codes (SPEC §9): taken with a conditional UPDATE when an order is
placed (so a use limit holds however many shoppers race for it), given back when the order
expires or is cancelled unpaid, taken again if such an order is paid after all."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import DomainError
from orders.promotion_models import PromoCode, PromoCodeUse
from orders.promotions import PromoError

log = logging.getLogger(__name__)
FIELD = "promoCode"


def limit_key(email: str) -> str:
    """The address as a per-e-mail limit counts it: `Fan+2@Example.com` and
    `fan@example.com` are one shopper (the local part's case and a `+tag` are dropped, as
    the common mail providers deliver them to one mailbox). Provider-specific spellings
    (dots in a Gmail address) and other domains stay distinct addresses."""
    local, _, domain = email.rpartition("@")
    return f"{local.split('+', 1)[0].lower() or local.lower()}@{domain.lower()}"


def refuse(code: PromoError, message: str, **params: Any) -> DomainError:
    """A shopper's code refused, on the promo code field (`params`: the values it names)."""
    return DomainError(code, message, FIELD, params)


async def _count_one_use(session: AsyncSession, promo_code_id: int) -> bool:
    """Count one more use of the code in one conditional UPDATE; False when it is used up."""
    taken = await session.execute(
        update(PromoCode)
        .where(
            PromoCode.id == promo_code_id,
            or_(PromoCode.use_limit.is_(None), PromoCode.uses < PromoCode.use_limit),
        )
        .values(uses=PromoCode.uses + 1)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


async def take_use(
    session: AsyncSession, promo: PromoCode, *, order_id: int, email: str, now: datetime
) -> None:
    """Take one use of `promo` for a new order (in the order's transaction): refused when
    the code is used up or `email` (counted by its `limit_key`) has used it as often as it
    may."""
    key = limit_key(email)
    if not await _count_one_use(session, promo.id):
        raise refuse(PromoError.PROMO_CODE_USED_UP, "This promo code has been used up.")
    if promo.per_email_limit is not None:
        used = await session.scalar(
            select(func.count(PromoCodeUse.id)).where(
                PromoCodeUse.promo_code_id == promo.id,
                PromoCodeUse.email == key,
                PromoCodeUse.released_at.is_(None),
            )
        )
        if (used or 0) >= promo.per_email_limit:
            raise refuse(
                PromoError.PROMO_CODE_EMAIL_LIMIT,
                "This promo code has been used as often as it may be with this e-mail address.",
            )
    session.add(PromoCodeUse(promo_code_id=promo.id, order_id=order_id, email=key, taken_at=now))


async def release_use(session: AsyncSession, order_id: int, *, now: datetime) -> bool:
    """Give back the use an order took (it expired or was cancelled unpaid), once."""
    use = await session.scalar(
        select(PromoCodeUse).where(
            PromoCodeUse.order_id == order_id, PromoCodeUse.released_at.is_(None)
        )
    )
    if use is None:
        return False
    use.released_at = now
    await session.execute(
        update(PromoCode)
        .where(PromoCode.id == use.promo_code_id, PromoCode.uses > 0)
        .values(uses=PromoCode.uses - 1)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    return True


async def retake_use(session: AsyncSession, order_id: int) -> None:
    """An expired or cancelled order paid after all keeps its discount (it was paid): its
    use is taken again when the limit allows; otherwise that is logged for staff."""
    use = await session.scalar(
        select(PromoCodeUse).where(
            PromoCodeUse.order_id == order_id, PromoCodeUse.released_at.is_not(None)
        )
    )
    if use is None:
        return
    if await _count_one_use(session, use.promo_code_id):
        use.released_at = None
    else:
        log.warning("order %s was paid late; its promo code was used up meanwhile", order_id)
    await session.flush()
