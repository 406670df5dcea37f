"""Hostile input on every page, form and route: a clear 4xx, never a 500, nothing changed
(SPEC §11).

The forms are not listed by hand: a shopper and a signed-in staff member crawl the site from
`/` and `/staff`, following its own links, and every `<form method="post">` found is sent
again with one field at a time replaced by a hostile value. The routes with path parameters
come from the application's route table, and every query parameter a GET form names is fed
to every GET page. Runs on SQLite and on PostgreSQL (only PostgreSQL refuses NUL bytes,
which is how they became 500s)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from sqlalchemy import select
from starlette.routing import Match, Mount, Route

from kernel.config import Settings
from kernel.db import Base, Database
from tests.factory import ShopWorld, door_world, shop_world, staff_member
from tests.storefront.console import sign_in

# Refused whatever the field: NUL (PostgreSQL cannot store it) and text longer than any field.
ALWAYS_BAD = ["\x00", "a\x00b", "x" * 10_000]
# Refused by every field that takes a number: non-ASCII digits (which `str.isdigit()` accepts),
# exponents, negatives, numbers beyond 64 bits.
NUMBER_BAD = ["²", "٣", "1e3", "-1", "99999999999999999999"]
# Odd but possible text: answered without a 5xx (accepted as text, or refused in words).
ODD_TEXT = ["../../etc/passwd", "\u202egnp.exe", "🎬🍿", "٣"]
# What the route and query walks send (each value once per parameter and page).
PARAM_VALUES = [*ALWAYS_BAD, "²", "-1", "99999999999999999999", "../", "🎬"]
LOGOUT = "/staff/logout"


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    numeric: set[str] = field(default_factory=set)
    page: str = ""


class _Forms(HTMLParser):
    """The POST forms of a page with the values a browser would send untouched, which
    fields take numbers, the GET forms' field names, and the page's links."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self.query_names: set[str] = set()
        self.links: set[str] = set()
        self._form: Form | None = None
        self._get = False
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.add(a["href"])
        if tag == "form":
            self._get = a.get("method", "get").lower() != "post"
            self._form = None if self._get else Form(a.get("action") or self.page, page=self.page)
            if self._form is not None:
                self.forms.append(self._form)
            return
        if self._get and name and tag in ("input", "select", "textarea"):
            self.query_names.add(name)
            return
        form = self._form
        if form is None or not name:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                form.fields.setdefault(name, "") if kind == "radio" else None
                return
            form.fields[name] = a.get("value", "on" if kind == "checkbox" else "")
            if kind == "number" or re.fullmatch(r"[0-9]+", form.fields[name]):
                form.numeric.add(name)
        elif tag == "button" and name not in form.fields:
            form.fields[name] = a.get("value", "")
        elif tag == "select":
            self._select, self._select_value = name, None
        elif tag == "option" and self._select and form is not None:
            value = a.get("value", "")
            if self._select_value is None or "selected" in a:
                self._select_value = value
                form.fields[self._select] = value
                if re.fullmatch(r"[0-9]+", value):
                    form.numeric.add(self._select)
        elif tag == "textarea":
            self._textarea = name
            form.fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form, self._get = None, False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@dataclass
class Site:
    forms: list[tuple[httpx.AsyncClient, Form]]
    query_names: set[str]
    get_pages: list[tuple[httpx.AsyncClient, str]]


async def crawl(client: httpx.AsyncClient, start: str, limit: int = 40) -> _Forms:
    """Every page reachable from `start` by the site's own links (CSV downloads and static
    files aside), merged: its POST forms, GET form field names and links."""
    seen: set[str] = set()
    todo = [start]
    merged = _Forms(start)
    while todo and len(seen) < limit:
        path = todo.pop(0)
        # The language switcher's links are redirects, not pages (one per page and language).
        if path in seen or path.startswith(("/static/", "/language/")) or ".csv" in path:
            continue
        seen.add(path)
        response = await client.get(path)
        assert response.status_code < 500, (path, response.status_code)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        parser = _Forms(urlsplit(path).path)
        parser.feed(response.text)
        merged.forms += parser.forms
        merged.query_names |= parser.query_names
        merged.links.add(path)
        todo += sorted(parser.links - seen)
    return merged


async def snapshot(db: Database) -> dict[str, list[str]]:
    """Every row of every table, as text: equal snapshots mean nothing changed."""
    rows: dict[str, list[str]] = {}
    async with db.read_session() as session:
        for table in Base.metadata.sorted_tables:
            result = await session.execute(select(table))
            rows[table.name] = sorted(repr(tuple(r)) for r in result.all())
    return rows


@pytest.fixture
async def world(db: Database) -> ShopWorld:
    world = await shop_world(db)
    await door_world(db, now=datetime.now(UTC))
    await staff_member(db)
    return world


@pytest.fixture
async def app(settings: Settings, db: Database) -> Any:
    from tiein.app import create_app

    return create_app(settings, database=db)


@pytest.fixture
async def shopper(app: Any, world: ShopWorld) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def staff(app: Any, world: ShopWorld) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        assert (await sign_in(c)).status_code == 303
        yield c


async def site(shopper: httpx.AsyncClient, staff: httpx.AsyncClient, world: ShopWorld) -> Site:
    """Both visitors' forms and pages; the shopper has a cart line, so the cart and
    checkout forms exist."""
    home = await shopper.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert token
    added = await shopper.post(
        "/cart/add",
        data={"csrf_token": token.group(1), "kind": "product", "sku": world.shirt_sku, "qty": "1"},
    )
    assert added.status_code == 303
    found = {c: await crawl(c, start) for c, start in ((shopper, "/"), (staff, "/staff"))}
    for extra in ("/checkout", "/verify"):
        page = await crawl(shopper, extra, limit=1)
        found[shopper].forms += page.forms
        found[shopper].query_names |= page.query_names
        found[shopper].links |= page.links
    anonymous_login = _Forms("/staff/login")
    anonymous_login.feed((await shopper.get("/staff/login")).text)
    found[shopper].forms += anonymous_login.forms
    forms = [(c, f) for c, parsed in found.items() for f in parsed.forms if f.action != LOGOUT]
    names = set().union(*(p.query_names for p in found.values())) | {"key", "next", "code"}
    pages = [(c, link) for c, parsed in found.items() for link in sorted(parsed.links)]
    return Site(forms, names, pages)


async def submit(client: httpx.AsyncClient, form: Form, name: str, value: str) -> httpx.Response:
    return await client.post(form.action, data={**form.fields, name: value})


@pytest.mark.slow
async def test_every_form_field_refuses_hostile_values_with_a_4xx_and_changes_nothing(
    shopper: httpx.AsyncClient, staff: httpx.AsyncClient, world: ShopWorld, db: Database
) -> None:
    found = await site(shopper, staff, world)
    actions = {f.action for _, f in found.forms}
    # the crawl reached the forms that matter (a broken crawl must not pass quietly)
    for wanted in ("/cart/add", "/cart/update", "/checkout", "/staff/periods/close"):
        assert wanted in actions, sorted(actions)
    assert any(a.startswith("/staff/orders/") and a.endswith("/refund") for a in actions)
    assert any(a.startswith("/staff/approvals/") for a in actions)
    assert "/staff/agreements/new" in actions and "/staff/login" in actions

    before = await snapshot(db)
    refused: list[tuple[str, str, str, int]] = []
    for client, form in found.forms:
        for name in form.fields:
            if name == "csrf_token":
                continue
            values = ALWAYS_BAD + (NUMBER_BAD if name in form.numeric else [])
            for value in values:
                response = await submit(client, form, name, value)
                refused.append((form.action, name, value[:12], response.status_code))
    wrong = [r for r in refused if not 400 <= r[3] < 500]
    assert not wrong, wrong
    assert len(refused) > 100
    assert await snapshot(db) == before

    for client, form in found.forms:
        for name in form.fields:
            if name == "csrf_token":
                continue
            for value in ODD_TEXT:
                response = await submit(client, form, name, value)
                assert response.status_code < 500, (form.action, name, value, response.text)


def one_page_per_route(
    app: Any, pages: list[tuple[httpx.AsyncClient, str]]
) -> list[tuple[httpx.AsyncClient, str]]:
    """The first page (and its visitor) of each route the crawl reached."""
    chosen: dict[tuple[int, int], tuple[httpx.AsyncClient, str]] = {}
    for client, page in pages:
        path = urlsplit(page).path
        scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
        for index, route in enumerate(app.routes):
            if route.matches(scope)[0] == Match.FULL:
                chosen.setdefault((id(client), index), (client, path))
                break
    return list(chosen.values())


def _routes(routes: list[Any], prefix: str = "") -> list[tuple[str, set[str], list[str]]]:
    """(path template, methods, parameter names) of every route with path parameters."""
    found = []
    for route in routes:
        if isinstance(route, Mount):
            found += _routes(route.routes or [], prefix + route.path)
            if not route.routes:
                found.append((prefix + route.path + "/{path}", {"GET"}, ["path"]))
        elif isinstance(route, Route) and route.param_convertors:
            found.append(
                (prefix + route.path, set(route.methods or ()), list(route.param_convertors))
            )
    return found


@pytest.mark.slow
async def test_every_path_and_query_parameter_refuses_hostile_values_without_a_5xx(
    app: Any, shopper: httpx.AsyncClient, staff: httpx.AsyncClient, world: ShopWorld, db: Database
) -> None:
    found = await site(shopper, staff, world)
    routes = _routes(app.routes)
    assert len(routes) >= 10, routes
    staff_token = re.search(r'name="csrf_token" value="([^"]+)"', (await staff.get("/staff")).text)
    assert staff_token
    before = await snapshot(db)
    for template, methods, params in routes:
        for param in params:
            for value in PARAM_VALUES:
                path = template
                for name in params:
                    path = path.replace(
                        "{" + name + "}", quote(value if name == param else "1", safe="")
                    )
                for method in sorted(methods - {"HEAD"}):
                    data = {"csrf_token": staff_token.group(1)} if method == "POST" else None
                    response = await staff.request(method, path, data=data)
                    assert response.status_code < 500, (method, path[:80], response.text[:200])
                    if value in ALWAYS_BAD and "%00" in path:
                        assert 400 <= response.status_code < 500, (method, path[:80])

    names = sorted(found.query_names)
    for client, page in one_page_per_route(app, found.get_pages):
        # each parameter alone with the values most likely to break it, then all at once
        for name in names:
            for value in ("a\x00b", "²", "x" * 10_000):
                response = await client.get(page, params={name: value})
                assert response.status_code < 500, (page, name, value[:12], response.text[:200])
        for value in [v for v in PARAM_VALUES if len(v) < 100]:
            response = await client.get(page, params=dict.fromkeys(names, value))
            assert response.status_code < 500, (page, value[:12], response.text[:200])
    assert await snapshot(db) == before


async def test_the_card_step_json_refuses_hostile_keys_and_tokens(
    shopper: httpx.AsyncClient, world: ShopWorld, db: Database
) -> None:
    home = await shopper.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert token
    before = await snapshot(db)
    for name in ("key", "token"):
        for value in [*ALWAYS_BAD, 12, None, ["a"], {"a": 1}]:
            response = await shopper.post(
                "/pay/T-0001/confirm",
                json={name: value},
                headers={"X-CSRF-Token": token.group(1)},
            )
            assert 400 <= response.status_code < 500, (name, value, response.text[:200])
    assert await snapshot(db) == before
