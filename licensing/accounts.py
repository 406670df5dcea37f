"""Accounts: merchants, staff users (argon2 passwords) and API tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import now_utc
from kernel.errors import DomainError
from licensing.codes import LicensingError
from licensing.models import ApiToken, Merchant, StaffUser, TokenScope

TOKEN_PREFIX = "tie_"  # noqa: S105 (a public prefix, not a secret)
_hasher = PasswordHasher()
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is the right hash (no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    return (hasher or _hasher).hash(password)


def verify_password(
    password_hash: str, password: str, *, hasher: PasswordHasher | None = None
) -> bool:
    try:
        return (hasher or _hasher).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_dummy_hashes: dict[tuple[object, ...], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash made with `hasher`'s parameters, to verify against when there is no user: the
    refusal then costs what a wrong password costs. Made once per set of parameters."""
    key = (
        hasher.time_cost,
        hasher.memory_cost,
        hasher.parallelism,
        hasher.hash_len,
        hasher.salt_len,
        hasher.type,
    )
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hashes[key]


ALL_SCOPES = frozenset(TokenScope)
# What a merchant token holds unless told otherwise, and what every token issued before
# scopes existed was given (migration 0007).
DEFAULT_SCOPES = frozenset({TokenScope.READ, TokenScope.WRITE})


def scopes_text(scopes: frozenset[TokenScope] | set[TokenScope]) -> str:
    """Scopes as stored and printed: their names, comma-separated, in TokenScope order."""
    return ",".join(scope.value for scope in TokenScope if scope in scopes)


def scopes_of(text: str) -> frozenset[TokenScope]:
    """The scopes of a stored `scopes` column (unknown names are dropped, never granted)."""
    names = {name.strip() for name in text.split(",")}
    return frozenset(scope for scope in TokenScope if scope.value in names)


@dataclass(frozen=True)
class Viewer:
    """Who is asking: anonymous (public), one merchant, or staff; and, for a merchant token,
    what it may do (its scopes). Staff hold every scope whatever their token says."""

    merchant_id: int | None = None
    staff_user_id: int | None = None
    name: str = "public"
    token_id: int | None = None
    scopes: frozenset[TokenScope] = frozenset()

    def has_scope(self, scope: TokenScope) -> bool:
        """Whether the viewer may do what `scope` stands for (staff: always; public: never)."""
        return self.is_staff or (self.is_merchant and scope in self.scopes)

    def reading(self) -> Viewer:
        """Who this viewer is when it reads: itself, or the public for a merchant token
        without the `read` scope (it sees the public catalog and no merchant data)."""
        return self if self.is_anonymous or self.has_scope(TokenScope.READ) else PUBLIC

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


def check_new_password(password: str) -> None:
    """A staff password has 10 characters or more (and at most 1000: argon2 hashes it all)."""
    if len(password) < 10:
        raise DomainError(
            LicensingError.INVALID,
            "Use a password of 10 characters or more.",
            "password",
        )
    if len(password) > 1000:
        raise DomainError(
            LicensingError.INVALID,
            "Use a password of at most 1000 characters.",
            "password",
        )


async def create_staff_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    display_name: str = "",
    hasher: PasswordHasher | None = None,
) -> StaffUser:
    """Create a staff user with an argon2-hashed password (at least 10 characters)."""
    username = username.strip().lower()
    if not _SLUG.match(username):
        raise DomainError(
            LicensingError.INVALID,
            "Use 3-80 lowercase letters, digits, dashes.",
            "username",
        )
    check_new_password(password)
    if await session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise DomainError(
            LicensingError.DUPLICATE,
            f"Staff user {username!r} exists already.",
            "username",
        )
    user = StaffUser(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password, hasher=hasher),
    )
    session.add(user)
    await session.flush()
    return user


@dataclass(frozen=True)
class StaffCredentials:
    """What a sign-in checks a password against: an active staff user's id, name and hash."""

    staff_user_id: int
    username: str
    password_hash: str


def normalise_username(username: str) -> str:
    """Usernames are lowercase slugs of at most 80 characters."""
    return username.strip().lower()[:80]


async def staff_credentials(session: AsyncSession, username: str) -> StaffCredentials | None:
    """The credentials of the active staff user `username`, or None (unknown or deactivated)."""
    row = (
        await session.execute(
            select(StaffUser.id, StaffUser.username, StaffUser.password_hash).where(
                StaffUser.username == normalise_username(username),
                StaffUser.deactivated_at.is_(None),
            )
        )
    ).first()
    return StaffCredentials(row.id, row.username, row.password_hash) if row else None


async def warm_up_sign_in() -> None:
    """Make the dummy hash now (in a thread), so that the first sign-in of an unknown user
    in this process costs one argon2 run, as every other sign-in does."""
    await to_thread.run_sync(_dummy_hash, _hasher)


async def check_password(
    credentials: StaffCredentials | None,
    password: str,
    *,
    hasher: PasswordHasher | None = None,
) -> bool:
    """True when `password` is the credentials' password. Every call runs exactly one argon2
    verification (against a dummy hash when there is no user), so a refusal takes as long for
    an unknown account as for a known one; it runs in a worker thread, so the event loop goes
    on serving while argon2 works."""
    hasher = hasher or _hasher

    def verify() -> bool:
        if credentials is None:
            verify_password(_dummy_hash(hasher), password, hasher=hasher)
            return False
        return verify_password(credentials.password_hash, password, hasher=hasher)

    return await to_thread.run_sync(verify)


async def create_api_token(
    session: AsyncSession,
    *,
    merchant: Merchant | None = None,
    staff_user: StaffUser | None = None,
    name: str = "",
    scopes: frozenset[TokenScope] | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for one merchant or one staff user. The secret is returned once, only here.

    A merchant token holds `scopes` (at least one; `read,write` when not given); a staff token
    holds every scope, and asking for fewer is refused rather than silently ignored."""
    if (merchant is None) == (staff_user is None):
        raise DomainError(
            LicensingError.INVALID,
            "A token belongs to one merchant or one staff user.",
            "owner",
        )
    if staff_user is not None:
        if scopes is not None and scopes != ALL_SCOPES:
            raise DomainError(LicensingError.INVALID, "A staff token holds every scope.", "scopes")
        scopes = ALL_SCOPES
    elif scopes is None:
        scopes = DEFAULT_SCOPES
    elif not scopes:
        raise DomainError(LicensingError.INVALID, "Give the token at least one scope.", "scopes")
    if len(name) > 200:
        raise DomainError(LicensingError.INVALID, "Use a label of at most 200 characters.", "name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        token_hash=hash_token(secret),
        prefix=secret[:12],
        name=name,
        merchant_id=merchant.id if merchant else None,
        staff_user_id=staff_user.id if staff_user else None,
        scopes=scopes_text(scopes),
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
                ApiToken.scopes,
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
        scopes=ALL_SCOPES if row.staff_user_id is not None else scopes_of(row.scopes),
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
