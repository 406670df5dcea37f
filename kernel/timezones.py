"""Time zones: IANA names a cinema may be in, from the system's (or tzdata's) database.

Only a real place's zone ("Europe/Paris", "America/New_York", "UTC") is accepted: not
"localtime" (whatever the server's clock says), "Factory", or the "posix/" and "right/" copies
of the database. Names are case-sensitive, as IANA spells them.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

_NOT_A_PLACE = frozenset({"localtime", "Factory", "posixrules"})


@cache
def timezone_names() -> frozenset[str]:
    """Every IANA zone name a cinema may use."""
    return frozenset(
        name
        for name in available_timezones()
        if name not in _NOT_A_PLACE and not name.startswith(("posix/", "right/"))
    )


def timezone_name(value: object) -> str | None:
    """`value` (trimmed) if it is a zone of `timezone_names`, else None."""
    if not isinstance(value, str):
        return None
    name = value.strip()
    return name if name in timezone_names() else None


@cache
def timezone_choices() -> tuple[str, ...]:
    """The zone names sorted, for a selector; region/city names first, then the rest."""
    names = timezone_names()
    return tuple(sorted(names, key=lambda n: ("/" not in n, n)))
