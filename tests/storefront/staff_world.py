"""Helpers of the staff console tests: a staff user, signing in, reading a form's CSRF token."""

from __future__ import annotations

import re

import httpx

from licensing.accounts import create_staff_user
from tiein.db import Database

STAFF_USERNAME = "desk-officer"
STAFF_PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def make_staff(db: Database, username: str = STAFF_USERNAME) -> int:
    async with db.session() as session:
        user = await create_staff_user(session, username=username, password=STAFF_PASSWORD)
        return user.id


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
