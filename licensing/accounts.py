"""Accounts: merchants, staff users (argon2 passwords) and API tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from licensing.codes import LicensingError
from licensing.models import ApiToken, Merchant, StaffUser
from tiein.db import now_utc
from tiein.errors import DomainError

TOKEN_PREFIX = "tie_"  # noqa: S105 (a public prefix, not a secret)
_hasher = PasswordHasher()
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is the right hash (no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Viewer:
    """Who is asking: anonymous (public), one merchant, or staff."""

    merchant_id: int | None = None
    staff_user_id: int | None = None
    name: str = "public"
    token_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.staff_user_id is not None

    @property
    def is_merchant(self) -> bool:
        return self.merchant_id is not None

    @property
    def is_anonymous(self) -> bool:
        return not (self.is_staff or self.is_merchant)


PUBLIC = Viewer()


async def create_merchant(
    session: AsyncSession, *, slug: str, name: str, country: str, contact_email: str
) -> Merchant:
    """Create a licensee partner; the slug is unique, the country an ISO 3166-1 alpha-2 code."""
    slug = slug.strip().lower()
    country = country.strip().upper()
    if not _SLUG.match(slug):
        raise DomainError(
            LicensingError.INVALID,
            "Use 3-80 lowercase letters, digits, dashes.",
            "slug",
        )
    if not name.strip():
        raise DomainError(LicensingError.INVALID, "A merchant needs a name.", "name")
    if not _COUNTRY.match(country):
        raise DomainError(
            LicensingError.INVALID_TERRITORY,
            f"{country!r} is not a country code.",
            "country",
        )
    if not _EMAIL.match(contact_email.strip()):
        raise DomainError(
            LicensingError.INVALID,
            f"{contact_email!r} is not an email.",
            "contactEmail",
        )
    if await session.scalar(select(Merchant.id).where(Merchant.slug == slug)):
        raise DomainError(LicensingError.DUPLICATE, f"A merchant {slug!r} exists already.", "slug")
    merchant = Merchant(
        slug=slug,
        name=name.strip(),
        country=country,
        contact_email=contact_email.strip(),
    )
    session.add(merchant)
    await session.flush()
    return merchant


async def create_staff_user(
    session: AsyncSession, *, username: str, password: str, display_name: str = ""
) -> StaffUser:
    """Create a staff user with an argon2-hashed password (at least 10 characters)."""
    username = username.strip().lower()
    if not _SLUG.match(username):
        raise DomainError(
            LicensingError.INVALID,
            "Use 3-80 lowercase letters, digits, dashes.",
            "username",
        )
    if len(password) < 10:
        raise DomainError(
            LicensingError.INVALID,
            "Use a password of 10 characters or more.",
            "password",
        )
    if await session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise DomainError(
            LicensingError.DUPLICATE,
            f"Staff user {username!r} exists already.",
            "username",
        )
    user = StaffUser(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
    )
    session.add(user)
    await session.flush()
    return user


async def authenticate_staff(
    session: AsyncSession, username: str, password: str, *, now: datetime | None = None
) -> StaffUser | None:
    """The staff user with that username and password, or None (same answer either way)."""
    user = await session.scalar(
        select(StaffUser).where(StaffUser.username == username.strip().lower())
    )
    if user is None:
        verify_password(hash_password("timing-equaliser"), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    user.last_login_at = now or now_utc()
    return user


async def create_api_token(
    session: AsyncSession,
    *,
    merchant: Merchant | None = None,
    staff_user: StaffUser | None = None,
    name: str = "",
) -> tuple[ApiToken, str]:
    """Issue a token for one merchant or one staff user. The secret is returned once, only here."""
    if (merchant is None) == (staff_user is None):
        raise DomainError(
            LicensingError.INVALID,
            "A token belongs to one merchant or one staff user.",
            "owner",
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        token_hash=hash_token(secret),
        prefix=secret[:12],
        name=name,
        merchant_id=merchant.id if merchant else None,
        staff_user_id=staff_user.id if staff_user else None,
    )
    session.add(token)
    await session.flush()
    return token, secret


async def revoke_api_token(
    session: AsyncSession, token_id: int, *, now: datetime | None = None
) -> ApiToken:
    """Revoke a token; it stops working on the next request. Revoking twice is harmless."""
    token = await session.get(ApiToken, token_id)
    if token is None:
        raise DomainError(LicensingError.NOT_FOUND, "No such token.", "id")
    if token.revoked_at is None:
        token.revoked_at = now or now_utc()
    return token


# A token's last use is recorded to the minute, so a busy client costs one write a minute.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenUse:
    viewer: Viewer
    needs_recording: bool


async def look_up_token(
    session: AsyncSession, secret: str, *, now: datetime | None = None
) -> TokenUse | None:
    """Who a bearer token stands for (None when unknown or revoked); reads only."""
    row = (
        await session.execute(
            select(
                ApiToken.id,
                ApiToken.merchant_id,
                ApiToken.staff_user_id,
                ApiToken.name,
                ApiToken.last_used_at,
            ).where(ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None))
        )
    ).first()
    if row is None:
        return None
    now = now or now_utc()
    viewer = Viewer(
        merchant_id=row.merchant_id,
        staff_user_id=row.staff_user_id,
        name=row.name or "token",
        token_id=row.id,
    )
    stale = row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION
    return TokenUse(viewer, needs_recording=stale)


async def record_token_use(session: AsyncSession, token_id: int, *, now: datetime) -> None:
    """Note that a token was used at `now`."""
    await session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


async def viewer_for_token(
    session: AsyncSession, secret: str, *, now: datetime | None = None
) -> Viewer | None:
    """The viewer a bearer token stands for, or None when it is unknown or revoked; records
    the use (to the minute) in `session`, which must be a write session."""
    now = now or now_utc()
    use = await look_up_token(session, secret, now=now)
    if use is None:
        return None
    if use.needs_recording:
        await record_token_use(session, use.viewer.token_id or 0, now=now)
    return use.viewer
