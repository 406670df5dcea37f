"""Who may issue and revoke which API tokens (SPEC §7, token scopes).

Staff issue and revoke any token: for any merchant, or for themselves. A merchant token with
the `tokens` scope issues and revokes its own merchant's tokens only, and never grants a scope
it does not hold itself. To such a token, another merchant (or its token) and every staff
token are "not found", exactly like an id that does not exist: nothing about them leaks.
The secret of a new token is returned once, here; only its hash is kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import DomainError
from licensing.accounts import (
    DEFAULT_SCOPES,
    Viewer,
    create_api_token,
    revoke_api_token,
    scopes_text,
)
from licensing.codes import LicensingError
from licensing.models import ApiToken, Merchant, StaffUser, TokenScope


def parse_scopes(text: str) -> frozenset[TokenScope]:
    """Scopes written as names, comma-separated (`read,write`); an unknown name or none at
    all is refused, naming the field `scopes`."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    known = {scope.value for scope in TokenScope}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise DomainError(
            LicensingError.INVALID,
            f"Unknown scope {unknown[0]!r}; the scopes are {scopes_text(set(TokenScope))}.",
            "scopes",
        )
    if not names:
        raise DomainError(LicensingError.INVALID, "Give the token at least one scope.", "scopes")
    return frozenset(TokenScope(name) for name in names)


def _check_manages_tokens(issuer: Viewer) -> None:
    if not issuer.has_scope(TokenScope.TOKENS):
        raise DomainError(LicensingError.FORBIDDEN, "This token lacks the scope `tokens`.")


def _no_such(what: str, field: str) -> DomainError:
    return DomainError(LicensingError.NOT_FOUND, f"No such {what}.", field)


async def issue_api_token(
    session: AsyncSession,
    issuer: Viewer,
    *,
    merchant_id: int | None,
    scopes: frozenset[TokenScope] | None = None,
    name: str = "",
) -> tuple[ApiToken, str]:
    """Issue a token as `issuer` (SPEC §7): staff for any merchant (or, with no merchant, for
    themselves); a merchant token with `tokens` for its own merchant only, with scopes it holds
    itself (`read,write` unless told). Returns the token and its secret, shown only once."""
    if issuer.is_staff:
        if merchant_id is None:
            staff = await session.get(StaffUser, issuer.staff_user_id)
            if staff is None:
                raise _no_such("staff user", "owner")
            return await create_api_token(session, staff_user=staff, name=name, scopes=scopes)
        merchant = await session.get(Merchant, merchant_id)
        if merchant is None:
            raise _no_such("merchant", "merchantId")
        return await create_api_token(session, merchant=merchant, name=name, scopes=scopes)
    _check_manages_tokens(issuer)
    if merchant_id is not None and merchant_id != issuer.merchant_id:
        raise _no_such("merchant", "merchantId")
    wanted = DEFAULT_SCOPES if scopes is None else scopes
    lacking = set(wanted) - issuer.scopes
    if lacking:
        names = ", ".join(f"`{scope.value}`" for scope in TokenScope if scope in lacking)
        raise DomainError(
            LicensingError.FORBIDDEN,
            f"This token cannot grant {names}: a token grants only the scopes it holds.",
            "scopes",
        )
    merchant = await session.get(Merchant, issuer.merchant_id)
    if merchant is None:
        raise _no_such("merchant", "merchantId")
    return await create_api_token(session, merchant=merchant, name=name, scopes=wanted)


async def revoke_api_token_as(
    session: AsyncSession, issuer: Viewer, token_id: int, *, now: datetime
) -> ApiToken:
    """Revoke a token as `issuer`: staff any token; a merchant token with `tokens` only a token
    of its own merchant (itself included). It stops working on the next request."""
    if not issuer.is_staff:
        _check_manages_tokens(issuer)
        token = await session.get(ApiToken, token_id)
        if token is None or token.merchant_id is None or token.merchant_id != issuer.merchant_id:
            raise _no_such("token", "id")
    return await revoke_api_token(session, token_id, now=now)
