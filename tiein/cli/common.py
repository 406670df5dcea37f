"""What every verb of the `tiein` command line shares."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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
