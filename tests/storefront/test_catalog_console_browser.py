"""Issue 12's console story in a real browser (Debian's Chromium via Playwright), at 1280 px:
staff sign in, add a film with English and Japanese titles, upload its poster (a PNG made
by Pillow), add a cinema with a screen, schedule a week of showtimes with the schedule form,
onboard a merchant with a finance contact and sign an agreement with it. Every page of the
story is then opened on a 390 px phone: none scrolls sideways, nor does any table.
Then the merchant, through the API (a read,write token), creates a tee with two sizes (S and M,
5 each) and a photo and submits concept art; staff approve the concept in the browser seeing
the art, the merchant submits photos of the sample, staff approve it too; a shopper in France
(a fresh browser context) buys size M with the test card; the stock of M went down by one, S
kept its five. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql_relay import to_global_id
from sqlalchemy import func, select

from catalog.models import Film, FilmTitle, Product, Showtime, Variant
from kernel.clock import now_utc
from kernel.db import Database
from licensing.merchants import MerchantContact
from licensing.models import Agreement, AgreementStatus, Merchant
from tests.factory import STAFF_PASSWORD, STAFF_USERNAME, make_api_token, staff_member
from tests.factory.images import image_bytes
from tests.storefront.test_browser import pay_with
from tests.storefront.test_staff_browser import OVERFLOW

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _notice(page: Any, text: str) -> None:
    await page.locator(".notice", has_text=text).first.wait_for()


def _form(page: Any, button: str) -> Any:
    """The form holding the submit button named `button`."""
    return page.locator("form", has=page.get_by_role("button", name=button, exact=True))


async def test_staff_run_a_film_a_cinema_a_week_and_a_licensee_from_the_console(
    db: Database, backend: str, live_app, browser_page, browser_artifacts: Path
) -> None:
    await staff_member(db)
    page, base, folder = browser_page, live_app.url, browser_artifacts
    today = now_utc().date()
    visited: list[str] = []
    missing: list[str] = []  # what the pages load (their poster, styles…) must be there
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)

    async def shot(name: str) -> None:
        visited.append(page.url.removeprefix(base).split("#")[0])
        await page.screenshot(path=str(folder / f"{backend}-catalog-{name}.png"), full_page=True)

    # Staff sign in
    await page.goto(f"{base}/staff/login")
    await page.fill("#f-username", STAFF_USERNAME)
    await page.fill("#f-password", STAFF_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/staff$"))

    # A film with its English and Japanese titles
    await page.goto(f"{base}/staff/films/new")
    await page.fill("#f-slug", "paper-lantern")
    await page.fill("#f-original_title", "紙灯籠")
    await page.fill("#f-title_en", "Paper Lantern")
    await page.fill("#f-synopsis_en", "A lantern maker's last summer.")
    await page.fill("#f-title_ja", "紙灯籠")
    await page.fill("#f-release_date", today.isoformat())
    await page.fill("#f-runtime_minutes", "104")
    await page.get_by_role("button", name="Add the film").click()
    await _notice(page, "Film paper-lantern added.")
    await page.wait_for_url(re.compile(r"/staff/films/\d+$"))
    await shot("film")

    # Its poster, uploaded on the film's page
    poster = image_bytes(600, 900, "PNG", (30, 60, 120))
    await page.locator("#poster input[type=file]").set_input_files(
        files=[{"name": "poster.png", "mimeType": "image/png", "buffer": poster}]
    )
    await page.get_by_role("button", name="Upload poster").click()
    await _notice(page, "The poster of Paper Lantern is set.")
    assert re.search(r"/staff/films/\d+#poster$", page.url)
    assert await page.locator("#poster img").count() == 1
    await shot("film-poster")

    # A cinema with a screen
    await page.goto(f"{base}/staff/cinemas")
    cinema_form = _form(page, "Add the cinema")
    await cinema_form.locator("#f-name").fill("Le Lumière")
    await cinema_form.locator("#f-city").fill("Lyon")
    await page.select_option("#f-country", "FR")
    await page.select_option("#f-timezone", "Europe/Paris")
    await page.get_by_role("button", name="Add the cinema").click()
    await _notice(page, "Le Lumière was added.")
    await shot("cinemas")
    screen_form = _form(page, "Add the screen")
    await screen_form.locator("#f-name").fill("Salle 1")
    await screen_form.locator("#f-capacity").fill("180")
    await page.get_by_role("button", name="Add the screen").click()
    await _notice(page, "Salle 1 (180 seats) was added.")

    # A week of showtimes with the schedule form, in euros
    first = today + timedelta(days=2)
    await page.select_option("#f-film_id", label="Paper Lantern")
    await page.fill("#f-times", "14:30 and 19:30")
    await page.fill("#f-from_date", first.isoformat())
    await page.fill("#f-to_date", (first + timedelta(days=6)).isoformat())
    await page.select_option("#f-screen_id", label="Salle 1 (180 seats)")
    await page.fill("#f-price", "11.50")
    await page.select_option("#f-currency", "EUR")
    await page.get_by_role("button", name="Schedule", exact=True).click()
    await _notice(page, "14 showtimes were scheduled on Salle 1.")
    assert await page.locator("#f-currency").input_value() == "EUR"  # now its usual one
    await shot("cinema")

    # A merchant with a finance contact
    await page.goto(f"{base}/staff/merchants/new")
    await page.fill("#f-name", "Lantern Goods")
    await page.select_option("#f-country", "FR")
    await page.fill("#f-contact-name-1", "Léa Martin")
    await page.fill("#f-contact-email-1", "lea@lantern.example")
    await page.select_option("#f-contact-role-1", "licensing")
    await page.fill("#f-contact-name-2", "Finn Dupont")
    await page.fill("#f-contact-email-2", "finance@lantern.example")
    await page.select_option("#f-contact-role-2", "finance")
    await page.get_by_role("button", name="Onboard", exact=True).click()
    await _notice(page, "Lantern Goods is onboarded.")
    await page.wait_for_url(re.compile(r"/staff/merchants/lantern-goods$"))
    await shot("merchant")

    # and its agreement, from the merchant's page
    await page.get_by_role("link", name="Sign a new agreement with Lantern Goods").click()
    await page.wait_for_url(re.compile(r"/staff/agreements/new"))
    await shot("agreement-new")
    await page.fill("#f-code", "LA-2026-0777")
    await page.get_by_label("Paper Lantern").check()
    await page.get_by_label("apparel", exact=True).check()
    await page.get_by_label("storefront", exact=True).check()
    await page.fill("#f-territories", "FR, BE")
    await page.fill("#f-start_date", today.isoformat())
    await page.fill("#f-end_date", (today + timedelta(days=365)).isoformat())
    await page.fill("#f-currency", "EUR")
    await page.fill("#f-rate_percent", "8.5")
    await page.select_option("#f-status", "active")
    await page.get_by_role("button", name="Sign", exact=True).click()
    await _notice(page, "Agreement LA-2026-0777 signed.")
    await shot("agreement")

    # Then everything is stored as given
    async with db.read_session() as session:
        film = await session.scalar(select(Film).where(Film.slug == "paper-lantern"))
        languages = set(
            await session.scalars(select(FilmTitle.language).where(FilmTitle.film_id == film.id))
        )
        shows = await session.scalar(
            select(func.count()).select_from(Showtime).where(Showtime.film_id == film.id)
        )
        merchant = await session.scalar(select(Merchant).where(Merchant.slug == "lantern-goods"))
        roles = set(
            await session.scalars(
                select(MerchantContact.role).where(MerchantContact.merchant_id == merchant.id)
            )
        )
        agreement = await session.scalar(select(Agreement).where(Agreement.code == "LA-2026-0777"))
    assert languages == {"en", "ja"} and film.poster_image_id is not None
    assert shows == 14
    assert roles == {"licensing", "finance"}
    assert agreement.merchant_id == merchant.id
    assert agreement.status == AgreementStatus.ACTIVE

    # And no page of the story scrolls sideways on a phone
    problems = []
    await page.set_viewport_size({"width": 390, "height": 844})
    for path in dict.fromkeys(visited):
        response = await page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        seen = await page.evaluate(OVERFLOW)
        if seen["page"] > 0 or seen["tables"] or seen["svgs"]:
            problems.append((path, seen))
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:60]
        await page.screenshot(
            path=str(folder / f"{backend}-catalog-phone-{name}.png"), full_page=True
        )
    assert problems == []
    assert [url for url in missing if "favicon" not in url] == []
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []

    # The licensee sells a tee in two sizes, approved by staff, bought in size M by a shopper
    await page.set_viewport_size({"width": 1280, "height": 900})
    await _a_tee_in_two_sizes_is_approved_and_bought_in_m(
        db,
        page,
        base,
        lambda name: shot(f"sale-{name}"),
        merchant,
        agreement.id,
        film.id,
        folder / backend,
    )


CREATE = """mutation($input: CreateProductInput!) { createProduct(input: $input) {
  product { id sku stock } errors { field code message } } }"""
VARIANT = """mutation($input: CreateVariantInput!) { createVariant(input: $input) {
  variant { id sku stock } errors { field code message } } }"""
PHOTO = """mutation($input: AddProductImageInput!) { addProductImage(input: $input) {
  product { images { url } } errors { field code message } } }"""
SUBMIT = """mutation($input: SubmitProductForApprovalInput!) { submitProductForApproval(
  input: $input) { product { approvalStage } errors { field code message } } }"""


class _Api:
    """The merchant's side: `POST /uploads` and `/graphql` with its bearer token."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    async def upload(self, data: bytes) -> str:
        response = await self.client.post("/uploads", content=data, headers=self.headers)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    async def run(self, query: str, input_: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": {"input": input_}}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        (result,) = body["data"].values()
        assert result["errors"] == [], result["errors"]
        return result


async def _staff_approve(page: Any, base: str, shot: Any, name: str, heading: str) -> None:
    """Staff open the approvals queue, see the submitted images and approve the stage."""
    await page.goto(f"{base}/staff/approvals")
    card = page.locator("section.review", has=page.get_by_role("heading", name="Lantern tee"))
    await card.get_by_role("heading", name=heading).wait_for()
    art = card.locator(".submission ul.artwork img").first
    await art.wait_for(state="visible")
    assert await art.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "submitted by Lantern Goods" in (await art.get_attribute("alt") or "")
    await shot(name)
    await card.get_by_role("button", name="Approve", exact=True).click()
    await _notice(page, "approved.")
    await page.wait_for_url(re.compile(r"/staff/approvals$"))


async def _a_tee_in_two_sizes_is_approved_and_bought_in_m(
    db: Database,
    page: Any,
    base: str,
    shot: Any,
    merchant: Merchant,
    agreement_id: int,
    film_id: int,
    prefix: Path,
) -> None:
    # The merchant, through the API with a read,write token
    async with db.session() as session:
        owner = await session.get(Merchant, merchant.id)
        _, token = await make_api_token(session, merchant=owner, name="lantern shop")
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        api = _Api(client, token)
        created = await api.run(CREATE, {
            "agreementId": to_global_id("Agreement", str(agreement_id)),
            "filmId": to_global_id("Film", str(film_id)), "sku": "TEE", "name": "Lantern tee",
            "category": "APPAREL", "price": {"amount": "29.00", "currency": "EUR"},
            "description": "An organic cotton tee with the lantern of the poster.",
        })  # fmt: skip
        product_id, sku = created["product"]["id"], created["product"]["sku"]
        sizes = {}
        for size in ("S", "M"):
            variant = await api.run(VARIANT, {
                "productId": product_id, "code": f"TEE-{size}",
                "options": [{"name": "size", "value": size}], "stock": 5,
            })  # fmt: skip
            sizes[size] = variant["variant"]["sku"]
        photo = await api.upload(image_bytes(800, 800, "JPEG", (200, 120, 40)))
        photos = await api.run(PHOTO, {"productId": product_id, "uploadId": photo,
                                       "alt": "The lantern tee, front"})  # fmt: skip
        assert len(photos["product"]["images"]) == 1
        art = await api.upload(image_bytes(640, 480, "PNG", (250, 200, 90)))
        concept = await api.run(SUBMIT, {"id": product_id, "comment": "Concept art attached.",
                                         "artwork": [art]})  # fmt: skip
        assert concept["product"]["approvalStage"] == "CONCEPT_SUBMITTED"

        # Staff see the concept art in the approvals queue and approve it
        await _staff_approve(page, base, shot, "concept", "Concept art")

        # The merchant sends photos of the sample; staff approve it in the browser too
        sample_photo = await api.upload(image_bytes(700, 900, "JPEG", (90, 90, 160)))
        sample = await api.run(SUBMIT, {"id": product_id, "comment": "The sample, worn.",
                                        "artwork": [sample_photo]})  # fmt: skip
        assert sample["product"]["approvalStage"] == "SAMPLE_SUBMITTED"
        await _staff_approve(page, base, shot, "sample", "Sample photos")

    # A shopper in France, in a browser context of their own, buys size M
    context = await page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        shopper = await context.new_page()
        await shopper.goto(f"{base}/products/{sku}")
        await shopper.select_option("#f-shopper-country", "FR")
        await shopper.get_by_role("button", name="Change").click()
        await shopper.wait_for_url(f"{base}/products/{sku}")
        await shopper.get_by_role("heading", name="Lantern tee", level=1).wait_for()
        assert await shopper.locator("img.product-image").count() == 1
        await shopper.select_option("#f-sku", sizes["M"])
        await shopper.get_by_role("button", name="Add to cart").click()
        await shopper.wait_for_url(f"{base}/cart")
        cart = await shopper.inner_text("table.cart")
        assert "Lantern tee" in cart and "€29.00" in cart
        await shopper.get_by_role("link", name="Checkout").click()
        await shopper.fill("#f-email", "amelie@example.test")
        assert await shopper.locator("#f-country").input_value() == "FR"
        await shopper.fill("#f-shipping_name", "Amélie Poulain")
        await shopper.fill("#f-shipping_line1", "15 rue des Trois Frères")
        await shopper.fill("#f-shipping_city", "Paris")
        await shopper.fill("#f-shipping_postcode", "75018")
        await shopper.get_by_role("button", name="Continue to payment").click()
        await shopper.wait_for_url(re.compile(r"/pay/TI-"))
        await shopper.locator("#card-element input").first.wait_for()
        await pay_with(shopper, "4242424242424242")
        await shopper.wait_for_url(re.compile(r"/orders/TI-"), timeout=30_000)
        await shopper.locator(".order-status", has_text="Paid").wait_for()
        order = await shopper.inner_text("main")
        assert "Lantern tee (M)" in order and sizes["M"] in order and "PARIS" in order
        await shopper.screenshot(path=f"{prefix}-catalog-sale-paid.png", full_page=True)
    finally:
        await context.close()

    # Then the stock of M went down by one, S kept its five, the tee's total by one
    async with db.read_session() as session:
        rows = await session.execute(
            select(Variant.sku, Variant.stock)
            .join(Product, Product.id == Variant.product_id)
            .where(Product.sku == sku)
        )
        stock = {variant_sku: units for variant_sku, units in rows}
        total = await session.scalar(select(Product.stock).where(Product.sku == sku))
    assert stock == {sizes["S"]: 5, sizes["M"]: 4}
    assert total == 9
