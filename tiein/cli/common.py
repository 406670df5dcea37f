"""What every verb of the `tiein` command line shares."""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy.engine import make_url

from kernel.config import load_settings
from kernel.db import Database


class CommandError(Exception):
    """A problem to report to the user in one line (exit status 1)."""


def run_with_db(work: Callable[[Database], Awaitable[Any]]) -> Any:
    """Run `work` with a Database of the configured URL, disposed afterwards."""

    async def main() -> Any:
        db = Database(load_settings().database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def safe_url(url: str) -> str:
    """The database URL with its password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


SHOWN_NAMES = 8  # up to this many known names are listed in full


def unknown_name(kind: str, given: str, known: Iterable[str], *, listing: str = "") -> CommandError:
    """`no merchant 'x'; known: a, b, c`: a wrong name with the right ones (all of them when
    few, else the closest, by difflib), so that a typo is fixed without another command."""
    names = sorted(known)
    if not names:
        return CommandError(f"no {kind} {given!r}; there are none yet")
    if len(names) <= SHOWN_NAMES:
        return CommandError(f"no {kind} {given!r}; known: {', '.join(names)}")
    close = difflib.get_close_matches(given, names, n=3, cutoff=0.5)
    more = f" ({listing} lists all {len(names)})" if listing else f" ({len(names)} in all)"
    if close:
        return CommandError(f"no {kind} {given!r}; closest: {', '.join(close)}{more}")
    return CommandError(f"no {kind} {given!r}; known: {', '.join(names[:SHOWN_NAMES])}, …{more}")
