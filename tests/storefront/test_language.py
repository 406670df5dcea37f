"""The shop answers in the shopper's language; the staff console in English (kernel/i18n)."""

from __future__ import annotations

import re

import httpx
import pytest

from kernel.db import Database
from tests.factory import shop_world, staff_member
from tests.storefront.console import sign_in


def html_lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', html)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    ("header", "language"),
    [("zh-CN,zh;q=0.9", "zh-Hans"), ("ja-JP", "ja"), ("fr-FR", "en"), ("", "en")],
)
async def test_the_shop_names_the_language_it_chose_from_the_browser(
    client: httpx.AsyncClient, db: Database, header: str, language: str
) -> None:
    await shop_world(db)
    page = await client.get("/", headers={"Accept-Language": header})
    assert page.status_code == 200
    assert html_lang(page.text) == language


async def test_the_console_is_english_whatever_the_browser_asks(
    client: httpx.AsyncClient, db: Database
) -> None:
    await staff_member(db)
    await sign_in(client)
    page = await client.get("/staff", headers={"Accept-Language": "ja"})
    assert page.status_code == 200
    assert html_lang(page.text) == "en"
