"""Periods are UTC calendar quarters named like 2026-Q3 (SPEC §2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.errors import DomainError
from kernel.periods import (
    check_period,
    next_period,
    period_bounds,
    period_of,
    periods_between,
    previous_period,
)


def test_period_of_uses_utc() -> None:
    assert period_of(datetime(2026, 8, 14, 10, tzinfo=UTC)) == "2026-Q3"
    assert period_of(date(2026, 1, 1)) == "2026-Q1"
    # 1 October 01:00 in Tokyo is still 30 September in UTC.
    tokyo = timezone(timedelta(hours=9))
    assert period_of(datetime(2026, 10, 1, 1, tzinfo=tokyo)) == "2026-Q3"


def test_bounds_next_and_previous() -> None:
    assert period_bounds("2026-Q4") == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert next_period("2026-Q4") == "2027-Q1"
    assert previous_period("2026-Q1") == "2025-Q4"
    assert periods_between("2025-Q4", "2026-Q2") == ["2025-Q4", "2026-Q1", "2026-Q2"]


@pytest.mark.parametrize(
    "text", ["2026-Q5", "2026Q3", "26-Q1", "2026-q3x", "", "2026-Q0", "9999-Q4", "0000-Q1"]
)
def test_malformed_periods_are_refused(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        check_period(text)
    assert caught.value.code == "INVALID_PERIOD"
    assert caught.value.field == "period"


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 12, 31)))
def test_every_moment_lies_within_its_period(moment: datetime) -> None:
    moment = moment.replace(tzinfo=UTC)
    start, end = period_bounds(period_of(moment))
    assert start <= moment < end
    assert period_bounds(next_period(period_of(moment)))[0] == end
    assert previous_period(next_period(period_of(moment))) == period_of(moment)
