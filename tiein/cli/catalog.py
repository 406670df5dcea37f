"""Catalog verbs of the `tiein` command line: a film's showtimes and ticket check-in."""

from __future__ import annotations

import argparse

from sqlalchemy import select

from catalog.films import film_by_slug
from catalog.models import Film
from catalog.showtimes import group_by_day_and_cinema, showtimes_for_film
from catalog.tickets import check_in
from kernel.clock import now_utc
from kernel.db import Database
from kernel.money import format_money
from tiein.cli.common import run_with_db, unknown_name


def register(verbs: argparse._SubParsersAction) -> None:
    """Add `tiein showtimes FILM` and `tiein ticket check-in CODE`."""
    showtimes = verbs.add_parser("showtimes", help="a film's coming showtimes and seats left")
    showtimes.add_argument("film", help="the film's slug, e.g. star-harbor")
    showtimes.add_argument("--days", type=int, default=14, help="how far ahead (default 14)")
    showtimes.set_defaults(func=_showtimes)

    ticket = verbs.add_parser("ticket", help="e-tickets at the door").add_subparsers(
        dest="ticket_verb", metavar="VERB", required=True
    )
    admit = ticket.add_parser("check-in", help="admit a ticket (once) by its code")
    admit.add_argument("code", help="the code on the ticket (its QR code)")
    admit.add_argument("--showtime", type=int, default=None, help="the showtime id at this door")
    admit.add_argument("--by", default="cli", help="who admits (kept on the ticket)")
    admit.set_defaults(func=_check_in)


def _showtimes(args: argparse.Namespace) -> int:
    async def work(db: Database) -> list[str]:
        async with db.read_session() as session:
            film = await film_by_slug(session, args.film)
            if film is None:
                known = (await session.scalars(select(Film.slug))).all()
                raise unknown_name("film", args.film, known)
            found = await showtimes_for_film(session, film.id, now=now_utc(), days=args.days)
        lines = [f"{film.title}: {len(found)} showtimes in the next {args.days} days"]
        for group in group_by_day_and_cinema(found):
            lines.append(f"{group.day.isoformat()}  {group.cinema.name}, {group.cinema.city}")
            for s in group.showtimes:
                price = format_money(s.price_minor, s.currency)
                lines.append(
                    f"  #{s.id:<6} {s.starts_at:%H:%M} UTC  {price:>12}  "
                    f"{s.seats_left}/{s.capacity} seats left"
                )
        return lines

    print("\n".join(run_with_db(work)))
    return 0


def _check_in(args: argparse.Namespace) -> int:
    async def work(db: Database) -> str:
        async with db.session() as session:
            ticket = await check_in(
                session, args.code, showtime_id=args.showtime, by=args.by, now=now_utc()
            )
            return f"admitted: ticket #{ticket.id} for showtime #{ticket.showtime_id}"

    print(run_with_db(work))
    return 0
