"""Helpers of the staff console tests: signing in and reading a form's CSRF token (the staff
user is `tests.factory.staff_member`)."""

from __future__ import annotations

import re

import httpx

from tests.factory import STAFF_PASSWORD, STAFF_USERNAME

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
