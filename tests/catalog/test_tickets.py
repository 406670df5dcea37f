"""E-tickets: unguessable codes, idempotent issuing, QR codes, and admission exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from catalog.tickets import check_in, issue_tickets, ticket_qr_svg, void_tickets
from kernel.db import Database
from kernel.errors import DomainError
from tests.catalog.conftest import NOW, World
from tests.factory import make_showtime, make_ticket_line


async def test_tickets_are_issued_once_per_order_line(db: Database, world: World) -> None:
    async with db.session() as session:
        line = await make_ticket_line(session, world.showtime, 2, now=NOW)
        first = await issue_tickets(
            session, order_line_id=line.id, showtime_id=world.showtime.id, count=2, now=NOW
        )
    async with db.session() as session:
        # The payment event arrives again: the same tickets come back, none are added.
        again = await issue_tickets(
            session, order_line_id=line.id, showtime_id=world.showtime.id, count=2, now=NOW
        )
    assert [t.code for t in again] == [t.code for t in first]
    assert len({t.code for t in first}) == 2
    # 24 random bytes → 32 URL-safe characters: 192 bits, more than the 128 required.
    assert all(len(t.code) == 32 for t in first)


def test_the_qr_code_is_an_inline_svg() -> None:
    svg = ticket_qr_svg("abc123")
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert svg.rstrip().endswith("</svg>")


async def test_a_ticket_admits_once_and_then_says_when_it_was_used(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        line = await make_ticket_line(session, world.showtime, 1, now=NOW)
        (ticket,) = await issue_tickets(
            session, order_line_id=line.id, showtime_id=world.showtime.id, count=1, now=NOW
        )
    door_time = world.showtime.starts_at - timedelta(minutes=20)
    async with db.session() as session:
        admitted = await check_in(
            session, ticket.code, showtime_id=world.showtime.id, by="door-1", now=door_time
        )
    assert admitted.checked_in_at == door_time
    assert admitted.checked_in_by == "door-1"
    async with db.session() as session:
        with pytest.raises(DomainError) as second:
            await check_in(
                session, ticket.code, showtime_id=world.showtime.id, by="door-2",
                now=door_time + timedelta(minutes=1),
            )  # fmt: skip
    assert second.value.code == "ALREADY_USED"
    assert "2026-07-03 11:40" in second.value.message


async def test_wrong_showtime_unknown_and_void_tickets_are_refused(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        line = await make_ticket_line(session, world.showtime, 2, now=NOW)
        tickets = await issue_tickets(
            session, order_line_id=line.id, showtime_id=world.showtime.id, count=2, now=NOW
        )
        later = await make_showtime(session, film_id=world.film.id, cinema_id=world.cinema.id,
                                    starts_at=NOW + timedelta(days=5), capacity=10,
                                    price_minor=6000)  # fmt: skip
        voided = await void_tickets(session, line.id, 1, now=NOW)
    assert [t.id for t in voided] == [tickets[1].id]
    async with db.session() as session:
        with pytest.raises(DomainError) as wrong:
            await check_in(session, tickets[0].code, showtime_id=later.id, by="d", now=NOW)
        with pytest.raises(DomainError) as unknown:
            await check_in(session, "not-a-ticket", showtime_id=None, by="d", now=NOW)
        with pytest.raises(DomainError) as void:
            await check_in(session, tickets[1].code, showtime_id=None, by="d", now=NOW)
    assert wrong.value.code == "WRONG_SHOWTIME"
    assert unknown.value.code == "UNKNOWN_TICKET"
    assert void.value.code == "TICKET_VOID"


async def test_two_doors_scanning_the_same_ticket_at_once_admit_it_once(
    db: Database, world: World
) -> None:
    async with db.session() as session:
        line = await make_ticket_line(session, world.showtime, 1, now=NOW)
        (ticket,) = await issue_tickets(
            session, order_line_id=line.id, showtime_id=world.showtime.id, count=1, now=NOW
        )

    async def scan(door: str) -> str:
        try:
            async with db.session() as session:
                await check_in(session, ticket.code, showtime_id=None, by=door, now=NOW)
        except DomainError as refused:
            return refused.code
        return "ADMITTED"

    outcomes = await asyncio.gather(*(scan(f"door-{i}") for i in range(6)))
    assert sorted(outcomes) == ["ADMITTED"] + ["ALREADY_USED"] * 5
