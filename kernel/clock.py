"""The clock. Services take `now` as an argument so that tests can fix it; the front doors
read it here once per request (`request.state.now`) and pass it down."""

from __future__ import annotations

from datetime import UTC, datetime


def now_utc() -> datetime:
    """The current time, timezone-aware in UTC (timestamps are stored in UTC: SPEC §2)."""
    return datetime.now(UTC)
