"""Staff sign-in and staff sessions, held on the server (SPEC §11).

- **Throttle.** Every sign-in attempt is recorded before its password is checked, and counts
  against its username and its client address until it succeeds (a successful sign-in deletes
  its account's attempts). With `SignInLimits.per_account` attempts for a username, or
  `per_address` from one address, inside `window`, further attempts are refused with
  `SignInThrottled` (and its `retry_after`) before argon2 runs — a right password included,
  so the lock-out is no oracle. The rows live in the database, so every worker counts the same.
  A browser that signed in as a user before brings a known-device cookie (`device`): its
  attempts for that user count against that device alone, so a stranger's five wrong guesses
  lock strangers out of the account, not its owner (OWASP's device cookies).
- **Sessions.** A sign-in makes a random token for the browser's cookie and keeps only its
  SHA-256 in `staff_sessions`. Each staff request looks it up (one indexed query); logout ends
  that session, a password change or a deactivation ends all of the user's sessions, and a
  sign-in ends the session the browser had before (the token rotates).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from anyio import to_thread
from argon2 import PasswordHasher
from sqlalchemy import ColumnElement, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import now_utc
from kernel.db import Database
from kernel.errors import DomainError
from licensing.accounts import (
    check_new_password,
    check_password,
    hash_password,
    hash_token,
    normalise_username,
    staff_credentials,
)
from licensing.codes import LicensingError
from licensing.models import ApiToken, SignInAttempt, StaffSession, StaffUser

SESSION_LIFETIME = timedelta(hours=12)
# A session's last use is recorded to the minute, so a busy console costs one write a minute.
LAST_SEEN_PRECISION = timedelta(minutes=1)
BAD_SIGN_IN = "Unknown username or wrong password."


@dataclass(frozen=True)
class SignInLimits:
    """How many sign-in attempts one username, and one client address, may make per window."""

    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


SIGN_IN_LIMITS = SignInLimits()


class SignInThrottled(DomainError):
    """Too many recent attempts: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        minutes = math.ceil(retry_after / 60)
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(
            LicensingError.SIGN_IN_THROTTLED,
            f"Too many failed sign-ins. Try again in {minutes} {unit}.",
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class StaffSignIn:
    """A new staff session: `token` goes into the browser's cookie, and nowhere else."""

    token: str
    staff_user_id: int
    username: str


@dataclass(frozen=True)
class StaffSessionUse:
    """The staff user a session token stands for."""

    session_id: int
    staff_user_id: int
    username: str
    needs_recording: bool


async def _limit_reached_by(
    session: AsyncSession, match: ColumnElement[bool], limit: int, *, since: datetime
) -> datetime | None:
    """The time of the `limit`-th most recent attempt matching `match` in the window, or None
    when there are fewer: the limit holds until that attempt leaves the window."""
    return await session.scalar(
        select(SignInAttempt.attempted_at)
        .where(match, SignInAttempt.attempted_at > since)
        .order_by(SignInAttempt.attempted_at.desc())
        .limit(1)
        .offset(limit - 1)
    )


async def throttle_sign_in(
    session: AsyncSession,
    username: str,
    address: str,
    *,
    device: str | None = None,
    now: datetime,
    limits: SignInLimits = SIGN_IN_LIMITS,
) -> None:
    """Refuse an attempt over either limit (`SignInThrottled`); otherwise record it. Attempts
    older than the window are pruned here."""
    since = now - limits.window
    if session.get_bind().dialect.name == "postgresql":
        # Count and record as one step per account and per address, so a burst of parallel
        # guesses cannot all pass the count (on SQLite, BEGIN IMMEDIATE already serialises).
        # Always the account first, then the address: no two sign-ins wait on each other.
        for kind, key in ((1, username), (2, address)):
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:kind, hashtext(:key))"),
                {"kind": kind, "key": key},
            )
    await session.execute(delete(SignInAttempt).where(SignInAttempt.attempted_at <= since))
    ends = [
        moment + limits.window
        for moment in (
            await _limit_reached_by(
                session,
                (SignInAttempt.username == username)
                & (SignInAttempt.device == device if device else SignInAttempt.device.is_(None)),
                limits.per_account,
                since=since,
            ),
            await _limit_reached_by(
                session, SignInAttempt.address == address, limits.per_address, since=since
            ),
        )
        if moment is not None
    ]
    if ends:
        raise SignInThrottled(max(1, math.ceil((max(ends) - now).total_seconds())))
    session.add(SignInAttempt(username=username, address=address, device=device, attempted_at=now))


async def start_staff_session(
    session: AsyncSession,
    credentials_user_id: int,
    *,
    address: str = "",
    user_agent: str = "",
    replacing: str | None = None,
    now: datetime,
) -> str | None:
    """Open a session for an active staff user and return its token (None when the user was
    deactivated meanwhile). Clears the user's sign-in attempts, ends the session `replacing`
    (the browser's previous token) and prunes expired sessions."""
    signed_in = await session.execute(
        update(StaffUser)
        .where(StaffUser.id == credentials_user_id, StaffUser.deactivated_at.is_(None))
        .values(last_login_at=now)
        .returning(StaffUser.username)
    )
    username = signed_in.scalar()
    if username is None:
        return None
    await session.execute(delete(SignInAttempt).where(SignInAttempt.username == username))
    await session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    if replacing:
        await end_staff_session(session, replacing, now=now)
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=hash_token(token),
            staff_user_id=credentials_user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
            address=address[:64],
            user_agent=user_agent[:200],
        )
    )
    await session.flush()
    return token


async def sign_in_staff(
    db: Database,
    username: str,
    password: str,
    *,
    address: str,
    user_agent: str = "",
    replacing: str | None = None,
    device: str | None = None,
    now: datetime | None = None,
    limits: SignInLimits = SIGN_IN_LIMITS,
    hasher: PasswordHasher | None = None,
) -> StaffSignIn:
    """Sign a staff user in: throttle (`SignInThrottled`), check the password (one argon2
    verification whoever asks; `DomainError(SIGN_IN_FAILED)` on any mismatch) and open a
    session. It takes the Database rather than a session because it runs three short
    transactions: none of them may stay open while argon2 works in its thread. `device` is
    the id of the browser's known-device cookie for this username, if it brought one."""
    now = now or now_utc()
    username = normalise_username(username)
    address = address[:64]
    async with db.session() as session:
        await throttle_sign_in(session, username, address, device=device, now=now, limits=limits)
    async with db.read_session() as session:
        credentials = await staff_credentials(session, username)
    if await check_password(credentials, password, hasher=hasher) and credentials is not None:
        async with db.session() as session:
            token = await start_staff_session(
                session,
                credentials.staff_user_id,
                address=address,
                user_agent=user_agent,
                replacing=replacing,
                now=now,
            )
        if token is not None:
            return StaffSignIn(token, credentials.staff_user_id, credentials.username)
    raise DomainError(LicensingError.SIGN_IN_FAILED, BAD_SIGN_IN)


async def staff_for_session(
    session: AsyncSession, token: str, *, now: datetime | None = None
) -> StaffSessionUse | None:
    """The active staff user of a live session token, or None (unknown, ended, expired, or
    the user deactivated). One query on the unique token hash; reads only."""
    now = now or now_utc()
    row = (
        await session.execute(
            select(
                StaffSession.id,
                StaffSession.last_seen_at,
                StaffUser.id.label("user_id"),
                StaffUser.username,
            )
            .join(StaffUser, StaffUser.id == StaffSession.staff_user_id)
            .where(
                StaffSession.token_hash == hash_token(token),
                StaffSession.ended_at.is_(None),
                StaffSession.expires_at > now,
                StaffUser.deactivated_at.is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    stale = now - row.last_seen_at >= LAST_SEEN_PRECISION
    return StaffSessionUse(row.id, row.user_id, row.username, needs_recording=stale)


async def record_session_use(session: AsyncSession, session_id: int, *, now: datetime) -> None:
    """Note that a staff session was used at `now`."""
    await session.execute(
        update(StaffSession).where(StaffSession.id == session_id).values(last_seen_at=now)
    )


async def end_staff_session(
    session: AsyncSession, token: str, *, now: datetime | None = None
) -> None:
    """End the session of `token` (logout). Ending an ended or unknown session is harmless."""
    await session.execute(
        update(StaffSession)
        .where(StaffSession.token_hash == hash_token(token), StaffSession.ended_at.is_(None))
        .values(ended_at=now or now_utc())
    )


async def end_staff_sessions(
    session: AsyncSession, staff_user_id: int, *, now: datetime | None = None
) -> int:
    """End every open session of a staff user; returns how many were open."""
    result = await session.execute(
        update(StaffSession)
        .where(StaffSession.staff_user_id == staff_user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now or now_utc())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _staff_user(session: AsyncSession, username: str) -> StaffUser:
    user = await session.scalar(
        select(StaffUser).where(StaffUser.username == normalise_username(username))
    )
    if user is None:
        raise DomainError(LicensingError.NOT_FOUND, f"No staff user {username!r}.", "username")
    return user


async def change_staff_password(
    session: AsyncSession,
    username: str,
    new_password: str,
    *,
    now: datetime | None = None,
    hasher: PasswordHasher | None = None,
) -> StaffUser:
    """Set a staff user's password (10+ characters) and end all of their sessions, so a
    browser signed in with the old password is signed out at once."""
    check_new_password(new_password)
    user = await _staff_user(session, username)
    user.password_hash = await to_thread.run_sync(
        lambda: hash_password(new_password, hasher=hasher)
    )
    await end_staff_sessions(session, user.id, now=now)
    await session.flush()
    return user


async def deactivate_staff_user(
    session: AsyncSession, username: str, *, now: datetime | None = None
) -> StaffUser:
    """Deactivate a staff user: they can no longer sign in, their sessions end at once and
    their API tokens are revoked. Deactivating twice is harmless."""
    now = now or now_utc()
    user = await _staff_user(session, username)
    if user.deactivated_at is None:
        user.deactivated_at = now
    await end_staff_sessions(session, user.id, now=now)
    await session.execute(
        update(ApiToken)
        .where(ApiToken.staff_user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.flush()
    return user
