"""Royalty periods: calendar quarters in UTC named like "2026-Q3" (SPEC §2)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from kernel.errors import DomainError, ErrorCode

_PERIOD = re.compile(r"^(\d{4})-Q([1-4])$", re.ASCII)  # 0-9 only
# Years a period may name: each period's end, the next one's start, must be a date too.
FIRST_YEAR, LAST_YEAR = 1900, 9998


def utc(moment: datetime) -> datetime:
    """The same instant as an aware UTC datetime (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def period_of(moment: datetime | date) -> str:
    """The period that holds `moment`: 2026-08-14T10:00Z → "2026-Q3"."""
    if isinstance(moment, datetime):
        moment = utc(moment)
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def parse_period(text: str, *, field: str = "period") -> tuple[int, int]:
    """("2026-Q3") → (2026, 3), for years FIRST_YEAR to LAST_YEAR; DomainError
    INVALID_PERIOD otherwise."""
    match = _PERIOD.match(text.strip() if isinstance(text, str) else "")
    if not match or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        shown = repr(text[:20]) if isinstance(text, str) else "That"
        raise DomainError(
            ErrorCode.INVALID_PERIOD,
            f"{shown} is not a period like 2026-Q3 (years {FIRST_YEAR} to {LAST_YEAR}).",
            field=field,
        )
    return int(match.group(1)), int(match.group(2))


def check_period(text: str, *, field: str = "period") -> str:
    """The canonical name of a period given by a user."""
    year, quarter = parse_period(text, field=field)
    return f"{year}-Q{quarter}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a period as aware UTC datetimes."""
    year, quarter = parse_period(period)
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=UTC)
    end = datetime(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1, tzinfo=UTC)
    return start, end


def next_period(period: str) -> str:
    year, quarter = parse_period(period)
    return f"{year + 1}-Q1" if quarter == 4 else f"{year}-Q{quarter + 1}"


def previous_period(period: str) -> str:
    year, quarter = parse_period(period)
    return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"


def periods_between(first: str, last: str) -> list[str]:
    """Every period from `first` to `last`, both included."""
    out, current = [], check_period(first)
    last = check_period(last)
    while current <= last:  # names of four-digit years sort in time order
        out.append(current)
        current = next_period(current)
    return out
