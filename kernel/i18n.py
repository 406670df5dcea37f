"""Languages of the shop and its e-mails: which one a shopper gets, its words and its formats.

tiein speaks English, Simplified Chinese and Japanese (`LANGUAGES`, as BCP 47 tags). The
rules, in one place for the pages (storefront) and the e-mails (messaging):

- **Choice** (`negotiate`): a language the shopper picked (the switcher's cookie) wins;
  otherwise the `Accept-Language` header, best q first; otherwise English. Chinese is matched
  by script, not by Babel's own negotiation (which picks `ja` for `zh-CN` against
  `[en, zh_Hans, ja]`): `zh`, `zh-CN`, `zh-SG`, `zh-MY` and `zh-Hans*` mean `zh-Hans`;
  `zh-TW`, `zh-HK`, `zh-MO` and `zh-Hant*` are Traditional Chinese, which tiein does not
  speak, so the next language of the header is tried.
- **Words** (`translations`): gettext catalogues, extracted by Babel from the templates
  (`babel.cfg`), compiled `.mo` files shipped in each package's `locale/` folder. A missing
  catalogue or message falls back to the English text written in the template.
- **Formats**: prices by Babel's CLDR data for the language (`format_price`), moments as the
  clock shows them in a zone, with the zone named (`format_moment`). Money stays integer
  minor units until this last step.

This module imports nothing of ours but `kernel.money`, so any floor may use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.support import NullTranslations, Translations

from kernel.money import format_money

LANGUAGES: Final = ("en", "zh-Hans", "ja")
DEFAULT: Final = "en"
# The switcher's cookie: a year, so the choice is remembered.
COOKIE: Final = "tiein_lang"
COOKIE_MAX_AGE: Final = 365 * 24 * 3600
# Each language as its own speakers name it, for the switcher.
NATIVE_NAMES: Final = {"en": "English", "zh-Hans": "简体中文", "ja": "日本語"}
# Babel's identifiers of tiein's languages (its CLDR data and the catalogue folders).
BABEL: Final = {"en": "en", "zh-Hans": "zh_Hans", "ja": "ja"}

_SIMPLIFIED = {"zh", "zh-cn", "zh-sg", "zh-my"}
_TRADITIONAL = {"zh-tw", "zh-hk", "zh-mo"}
_RANGE = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$|^\*$")
_HEADER_MAX = 500  # characters of Accept-Language read; browsers send a few dozen

_current: ContextVar[str] = ContextVar("tiein_language", default=DEFAULT)


def language_of_tag(tag: str) -> str | None:
    """The tiein language a BCP 47 tag (or language range) asks for, or None."""
    tag = tag.strip().lower()
    if not _RANGE.match(tag) or tag == "*":
        return None
    if tag.startswith("zh-hant") or tag in _TRADITIONAL or tag.startswith(("zh-tw-", "zh-hk-")):
        return None
    if tag.startswith("zh-hans") or tag in _SIMPLIFIED or tag.startswith("zh-cn-"):
        return "zh-Hans"
    primary = tag.split("-", 1)[0]
    if primary == "zh":  # zh-Latn, zh-XX: Chinese of no known script; Simplified is the norm
        return "zh-Hans"
    if primary == "ja":
        return "ja"
    if primary == "en":
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    """The best tiein language of an Accept-Language header (q-values honoured, ties in
    the header's order), or None when it names none of them. Malformed parts are skipped."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "")[:_HEADER_MAX].split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value) if re.fullmatch(r"[01](\.\d{0,3})?", value) else -1
                except ValueError:
                    quality = -1
        language = language_of_tag(tag)
        if language is not None and 0 < quality <= 1:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The language of a request: the shopper's own choice when it is one of ours, else
    the header's best, else English."""
    if chosen in LANGUAGES:
        return chosen
    return from_accept_language(accept_language) or DEFAULT


def current() -> str:
    """The language of the page or e-mail being made (see `using`)."""
    return _current.get()


@contextmanager
def using(language: str) -> Iterator[str]:
    """Make `language` the current one for the block (pages and e-mails set it per render);
    a language tiein does not speak means English."""
    token = _current.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


@cache
def translations(folder: str, language: str) -> NullTranslations:
    """The compiled catalogue of `language` in `folder` (a package's `locale/`): read once,
    never changed while running (catalogues ship with the code, not in the database)."""
    if language == DEFAULT or language not in LANGUAGES:
        return NullTranslations()
    return Translations.load(folder, [BABEL[language]], domain="messages")


def gettext_callables(folder: Path) -> tuple[Callable[..., str], Callable[..., str]]:
    """`gettext` and `ngettext` for Jinja's i18n extension (new style), answering in the
    current language from the catalogues in `folder`."""

    def gettext(message: str, **variables: Any) -> str:
        text = translations(str(folder), current()).ugettext(message)
        return text % variables if variables else text

    def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
        text = translations(str(folder), current()).ungettext(singular, plural, n)
        return text % {"num": n, **variables}

    return gettext, ngettext


def locale_of(language: str | None = None) -> Locale:
    return Locale.parse(BABEL.get(language or current(), BABEL[DEFAULT]))


def format_price(minor: int, currency: str, language: str | None = None) -> str:
    """Minor units as the language's readers write a price (CLDR): 123456 USD is
    "$1,234.56" in English, "US$1,234.56" in Chinese; 1200 JPY is "￥1,200" in Japanese.
    The places are ISO 4217's, which `kernel.money` keeps: CLDR's own differ for HUF and
    IDR (0, their cash places), which would round 123.45 HUF to "123"."""
    return format_money(minor, currency, BABEL.get(language or current(), BABEL[DEFAULT]))


def format_moment(
    moment: datetime, zone: str, language: str | None = None, *, with_year: bool = False
) -> str:
    """A moment as the clock shows it in `zone`, in the language's words, with the zone's
    abbreviation named: "Fri, Dec 4, 19:30 CET" / "12月4日周五 19:30 CET"."""
    local = moment.astimezone(ZoneInfo(zone))
    skeleton = "yMMMEd" if with_year else "MMMEd"
    locale = locale_of(language)
    day = format_datetime(local, locale.datetime_skeletons[skeleton], locale=locale)
    clock = format_datetime(local, "HH:mm", locale=locale)
    return f"{day} {clock} {local.tzname()}"


def format_day(day: date, language: str | None = None) -> str:
    """A calendar day in the language's medium form: "Dec 4, 2026" / "2026年12月4日"."""
    return format_date(day, "medium", locale=locale_of(language))


def N_(message: str) -> str:
    """Marks `message` for extraction; it is translated where it is shown."""
    return message
