"""Which language a shopper gets, and prices and moments in its words (kernel/i18n.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.numbers import format_currency
from jinja2 import Environment

from kernel.i18n import (
    LANGUAGES,
    current,
    format_moment,
    format_price,
    from_accept_language,
    gettext_callables,
    negotiate,
    using,
)
from kernel.money import CURRENCY_EXPONENTS, to_decimal


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-CN,zh;q=0.9", "zh-Hans"),  # Babel's own negotiation answers ja here
        ("zh", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        ("zh-hans", "zh-Hans"),
        ("ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        ("en-GB,en;q=0.9", "en"),
        ("zh-TW,ja;q=0.5", "ja"),  # Traditional Chinese is not Simplified: next one
        ("zh-Hant-HK,en;q=0.3", "en"),
        ("fr-FR, de;q=0.9, ja;q=0.1", "ja"),
        ("en;q=0.5, ja;q=0.8", "ja"),  # quality beats order
        ("ja;q=0, en", "en"),  # q=0 means "not this one"
        ("ja;q=2, en;q=0.5", "en"),  # a quality above 1 is malformed: skipped
        ("ja;q=abc", None),
        ("*", None),
        ("", None),
        (None, None),
        ("\x00ja", None),
        ("ja" + ",x" * 10_000, "ja"),
        ("x" * 10_000 + ",ja", None),  # only the first 500 characters are read
    ],
)
def test_the_header_picks_the_best_language_tiein_speaks(
    header: str | None, language: str | None
) -> None:
    assert from_accept_language(header) == language


def test_a_chosen_language_wins_and_english_is_the_default() -> None:
    assert negotiate("ja", "zh-CN") == "ja"
    assert negotiate("fr", "zh-CN") == "zh-Hans"  # not ours: the header decides
    assert negotiate(None, "de") == "en"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("currency", sorted(CURRENCY_EXPONENTS))
def test_prices_are_babels_cldr_format_with_the_currencys_exact_places(
    language: str, currency: str
) -> None:
    minor = 123_456_789
    text = format_price(minor, currency, language)
    locale = {"en": "en", "zh-Hans": "zh_Hans", "ja": "ja"}[language]
    if currency in {"HUF", "IDR"}:  # CLDR's cash places are 0: ours keep the cents
        assert "1,234,567.89" in text
    else:
        assert text == format_currency(to_decimal(minor, currency), currency, locale=locale)


def test_a_price_reads_as_its_readers_write_it() -> None:
    assert format_price(123456, "USD", "en") == "$1,234.56"
    assert format_price(123456, "USD", "zh-Hans") == "US$1,234.56"
    assert format_price(1200, "JPY", "ja") == "￥1,200"
    assert format_price(-500, "EUR", "en") == "-€5.00"


def test_a_moment_is_shown_on_the_zones_clock_with_the_zone_named() -> None:
    moment = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)
    assert format_moment(moment, "Europe/Paris", "en") == "Fri, Dec 4 19:30 CET"
    assert format_moment(moment, "Asia/Tokyo", "ja") == "12月5日(土) 03:30 JST"
    assert format_moment(moment, "Asia/Shanghai", "zh-Hans", with_year=True) == (
        "2026年12月5日周六 02:30 CST"
    )


def test_the_current_language_is_set_for_a_block_only() -> None:
    assert current() == "en"
    with using("ja") as language:
        assert language == current() == "ja"
        with using("klingon"):
            assert current() == "en"
        assert current() == "ja"
    assert current() == "en"


def test_templates_translate_in_the_current_language_else_english(tmp_path: Path) -> None:
    """The storefront's templates render `_()` in the request's language (English text
    when no catalogue has the message), and `<html lang>` says which one."""
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_gettext_callables(*gettext_callables(tmp_path), newstyle=True)  # type: ignore[attr-defined]
    page = env.from_string('{{ _("Cart") }} {{ _("%(n)s seats", n=3) }}')
    with using("ja"):
        assert page.render() == "Cart 3 seats"  # no catalogue in tmp_path: the English
