"""The shipped gettext catalogues (storefront/locale, messaging/locale): every word the shop's
templates and Python and the shopper e-mails say has a translation in Simplified Chinese and
Japanese, and the committed .mo files are what `make messages` compiles from the .po files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = {  # folder: (its Babel mapping, extra keywords)
    "storefront/locale": ("babel.cfg", {"t": (2,)}),
    "messaging/locale": ("babel-messaging.cfg", {}),
}
LOCALES = ("zh_Hans", "ja")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted(config: str, keywords: dict) -> set[str]:
    with open(ROOT / config) as file:
        method_map, options_map = parse_mapping_cfg(file)
    found = extract_from_dir(
        str(ROOT), method_map, options_map, keywords={**DEFAULT_KEYWORDS, **keywords}
    )
    return {m[2] if isinstance(m[2], str) else m[2][0] for m in found}


@pytest.mark.parametrize("folder", CATALOGUES)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_word_of_the_templates_is_translated(folder: str, locale: str) -> None:
    # Given the words extracted now from the templates and Python (as `make messages` does)
    config, keywords = CATALOGUES[folder]
    wanted = _extracted(config, keywords)
    assert len(wanted) > 40  # the extraction found the templates
    # When the language's catalogue is read
    with open(ROOT / folder / locale / "LC_MESSAGES" / "messages.po", "rb") as file:
        catalogue = read_po(file, locale=locale)
    translated = {}
    for message in catalogue:
        if message.id:
            key = message.id if isinstance(message.id, str) else message.id[0]
            translated[key] = message.string
    # Then each has a translation, none empty, with the same placeholders
    missing = sorted(wanted - set(translated))
    assert missing == [], f"run `make messages` and translate: {missing[:5]}"
    for msgid, string in translated.items():
        strings = [string] if isinstance(string, str) else list(string)
        assert strings and all(s.strip() for s in strings), f"empty msgstr for {msgid!r}"
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) == set(PLACEHOLDER.findall(msgid)), msgid
    stale = [
        m.id
        for m in catalogue
        if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in wanted
    ]
    assert stale == [], "words no template says any more: run `make messages`"


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("folder", CATALOGUES)
@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogue_matches_its_po_file(folder: str, locale: str) -> None:
    base = ROOT / folder / locale / "LC_MESSAGES"
    with open(base / "messages.po", "rb") as file:
        po = {_key(m.id): _key(m.string) for m in read_po(file, locale=locale) if m.id}
    with open(base / "messages.mo", "rb") as file:
        mo = {_key(m.id): _key(m.string) for m in read_mo(file) if m.id}
    assert mo == po, "run `make messages` (pybabel compile) and commit the .mo files"
