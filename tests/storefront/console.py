"""Helpers of the staff console tests: signing in and reading a form's CSRF token (the staff
user is `tests.factory.staff_member`)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from html import unescape

import httpx

from kernel.config import Settings
from kernel.db import Database
from tests.factory import STAFF_PASSWORD, STAFF_USERNAME, staff_member
from tiein.app import create_app

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_in(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


async def csrf(client: httpx.AsyncClient, path: str = "/staff") -> str:
    """The session's CSRF token, read from a form on `path` as a browser would."""
    response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return csrf_in(response.text)


async def sign_in(
    client: httpx.AsyncClient, username: str = STAFF_USERNAME, password: str = STAFF_PASSWORD
) -> httpx.Response:
    token = await csrf(client, "/staff/login")
    return await client.post(
        "/staff/login",
        data={"csrf_token": token, "username": username, "password": password},
    )


async def post_form(client: httpx.AsyncClient, path: str, data: dict, *, page: str = "/staff"):
    """POST a staff form with the CSRF token read from `page`."""
    return await client.post(path, data={"csrf_token": await csrf(client, page), **data})


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_ACTION = re.compile(r'<form method="post" action="([^"]+)" class="confirm-form">')


def confirmation_form(html: str) -> tuple[str, list[tuple[str, str]]]:
    """The action and hidden fields of a confirmation page (staff/confirm.html), as a
    browser would submit them (values unescaped)."""
    action = _ACTION.search(html)
    assert action, "the page is not a confirmation page"
    form = html[action.start() :]
    fields = [(n, unescape(v)) for n, v in _HIDDEN.findall(form[: form.index("</form>")])]
    return unescape(action.group(1)), fields


async def confirm(client: httpx.AsyncClient, page: httpx.Response) -> httpx.Response:
    """Press the confirm button of a confirmation page: its second, CSRF-protected POST."""
    assert page.status_code == 200, page.status_code
    action, fields = confirmation_form(page.text)
    assert ("confirmed", "yes") in fields
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return await client.post(action, data=data)


async def post_confirmed(
    client: httpx.AsyncClient, path: str, data: dict, *, page: str = "/staff"
) -> httpx.Response:
    """POST a destructive staff form and confirm it on the page that answers."""
    return await confirm(client, await post_form(client, path, data, page=page))


@asynccontextmanager
async def staff_console(
    settings: Settings, db: Database, *, clock: datetime
) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as the staff member on an app whose clock stands at `clock`."""
    app = create_app(settings, database=db)
    app.state.clock = lambda: clock
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await staff_member(db)
        await sign_in(client)
        yield client
