"""`tiein showtimes FILM` and `tiein ticket check-in CODE` at the door."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from catalog.tickets import issue_tickets
from kernel.clock import now_utc
from kernel.db import Database
from tests.catalog.conftest import World
from tests.factory import make_showtime, make_ticket_line
from tests.prices import usd
from tiein.cli import main


@pytest.fixture(autouse=True)
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIEIN_DATABASE_URL", database_url)


async def test_showtimes_lists_coming_showtimes_with_seats_left(
    db: Database, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    async with db.session() as session:
        await make_showtime(session, film_id=world.film.id, cinema_id=world.cinema.id,
                            starts_at=now_utc() + timedelta(days=1), capacity=80,
                            price_minor=6000)  # fmt: skip
    code = await _run(["showtimes", "star-harbor"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "Star Harbor: 1 showtimes" in out
    assert "Harbor Lights, Boston" in out
    assert "80/80 seats left" in out and usd(6000) in out
    assert await _run(["showtimes", "no-such-film"]) == 1


async def test_check_in_admits_once_then_refuses_with_the_code(
    db: Database, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    async with db.session() as session:
        line = await make_ticket_line(session, world.showtime, 1, now=now_utc())
        (ticket,) = await issue_tickets(
            session, order_line_id=line.id, showtime_id=world.showtime.id, count=1, now=now_utc()
        )
    assert await _run(["ticket", "check-in", ticket.code, "--by", "door-3"]) == 0
    assert "admitted: ticket" in capsys.readouterr().out
    assert await _run(["ticket", "check-in", ticket.code]) == 2
    assert capsys.readouterr().err.startswith("tiein: ALREADY_USED (code): This ticket was")


async def _run(argv: list[str]) -> int:
    """The CLI runs its own event loop (asyncio.run): run it in a thread, off this test's."""
    return await asyncio.to_thread(main, argv)
