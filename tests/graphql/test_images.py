"""Images through the API (issue 12): `POST /uploads` (bearer token, `write` scope, a size
limit counted while reading, 413 beyond), upload ids passed to `addProductImage`,
`removeProductImage`, `submitProductForApproval(artwork)` and `setFilmPoster`; each tenant
only ever uses its own uploads on its own products; `GET /media/…` serves them immutable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from catalog.image_models import Image, ProductImage
from catalog.images import MAX_BYTES
from catalog.models import Product, Variant
from catalog.product_images import add_product_image
from catalog.variants import create_variant
from kernel.config import Settings
from kernel.db import Database
from licensing.models import Merchant, TokenScope
from tests.conftest import count_queries
from tests.factory import cover_film, make_api_token, make_film, make_product
from tests.factory.images import image_bytes, png_claiming
from tests.graphql.conftest import NOW, Gql, World, gid


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def upload(client: httpx.AsyncClient, token: str, data: bytes | None = None) -> Any:
    response = await client.post(
        "/uploads", content=data or image_bytes(800, 400, "JPEG"), headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def image_count(db: Database) -> int:
    async with db.read_session() as session:
        return int(await session.scalar(select(func.count(Image.id))))


def media_files(settings: Settings) -> list[Path]:
    root = Path(settings.media_path)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


ADD = """mutation($input: AddProductImageInput!) { addProductImage(input: $input) {
  product { sku images { position alt url width height uploadId thumbnails { url width } } }
  image { alt } errors { field code message } } }"""
REMOVE = """mutation($input: RemoveProductImageInput!) { removeProductImage(input: $input) {
  product { images { uploadId } } errors { field code } } }"""
SUBMIT = """mutation($input: SubmitProductForApprovalInput!) { submitProductForApproval(
  input: $input) { product { approvalStage history { actor actorName comment
  artwork { position url image { width contentType } } } } errors { field code } } }"""
POSTER = """mutation($input: SetFilmPosterInput!) { setFilmPoster(input: $input) {
  film { slug poster { url width thumbnails { width } } } errors { field code } } }"""


async def test_an_upload_needs_a_token_with_write(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    data = image_bytes()
    anonymous = await client.post("/uploads", content=data)
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["code"] == "UNAUTHENTICATED"
    bad = await client.post("/uploads", content=data, headers=bearer("nope"))
    assert bad.status_code == 401
    async with db.session() as session:
        merchant = await session.get(Merchant, world.a.id)
        _, read_only = await make_api_token(
            session, merchant=merchant, name="ro", scopes=frozenset({TokenScope.READ})
        )
    refused = await client.post("/uploads", content=data, headers=bearer(read_only))
    assert refused.status_code == 403
    assert await image_count(db) == 0
    # staff may upload, and a merchant with `write`
    staff = await upload(client, world.staff_token, data)
    mine = await upload(client, world.a.token, data)
    assert staff["id"] != mine["id"]
    assert mine == {**mine, "width": 64, "height": 48, "contentType": "image/png"}


async def test_a_multipart_upload_works_like_a_raw_one(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/uploads",
        files={"file": ("cat.gif", image_bytes(300, 200, "WEBP"), "image/gif")},
        headers=bearer(world.a.token),
    )
    assert response.status_code == 201, response.text
    # the type comes from the bytes, not from the name or the declared type
    assert response.json()["contentType"] == "image/webp"
    missing = await client.post(
        "/uploads", files={"other": ("x.png", image_bytes())}, headers=bearer(world.a.token)
    )
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "file"


async def test_a_body_past_10_mb_is_413_and_stores_nothing(
    client: httpx.AsyncClient, world: World, db: Database, settings: Settings
) -> None:
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_BYTES
    declared = await client.post("/uploads", content=big, headers=bearer(world.a.token))
    assert declared.status_code == 413

    async def chunks() -> Any:  # no Content-Length: counted while reading
        for _ in range(11):
            yield b"\x00" * (1024 * 1024)

    streamed = await client.post("/uploads", content=chunks(), headers=bearer(world.a.token))
    assert streamed.status_code == 413
    multipart = await client.post(
        "/uploads", files={"file": ("big.png", big)}, headers=bearer(world.a.token)
    )
    assert multipart.status_code == 413
    assert await image_count(db) == 0
    assert media_files(settings) == []


async def test_a_bad_image_is_422_with_a_code_and_stores_nothing(
    client: httpx.AsyncClient, world: World, db: Database, settings: Settings
) -> None:
    for data, code in (
        (png_claiming(50_000, 50_000), "TOO_MANY_PIXELS"),
        (b"<html>not an image</html>", "UNSUPPORTED_IMAGE_TYPE"),
        (image_bytes(400, 300)[:150], "CORRUPT_IMAGE"),
    ):
        response = await client.post("/uploads", content=data, headers=bearer(world.a.token))
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert (error["field"], error["code"]) == ("file", code)
    assert await image_count(db) == 0
    assert media_files(settings) == []


async def test_a_merchant_adds_its_upload_to_its_product_and_no_other(
    client: httpx.AsyncClient, gql: Gql, world: World, db: Database
) -> None:
    mine = await upload(client, world.a.token)
    theirs = await upload(client, world.b.token)
    product = gid("Product", world.a.draft_id)
    data = await gql.data(
        ADD, {"input": {"productId": product, "uploadId": mine["id"], "alt": "Blue mug"}},
        token=world.a.token,
    )  # fmt: skip
    added = data["addProductImage"]
    assert added["errors"] == []
    (photo,) = added["product"]["images"]
    assert photo["alt"] == "Blue mug" and photo["position"] == 1
    assert (photo["width"], photo["height"]) == (800, 400)
    assert photo["url"].startswith("http") and "/media/" in photo["url"]
    assert [t["width"] for t in photo["thumbnails"]] == [160, 480]
    # another tenant's upload, or another tenant's product: not found, nothing attached
    for input_, field in (
        ({"productId": product, "uploadId": theirs["id"]}, "uploadId"),
        ({"productId": gid("Product", world.b.draft_id), "uploadId": mine["id"]}, "productId"),
        ({"productId": product, "uploadId": "not-an-id"}, "uploadId"),
    ):
        refused = (await gql.data(ADD, {"input": input_}, token=world.a.token))["addProductImage"]
        assert refused["errors"] == [
            {"field": field, "code": "NOT_FOUND", "message": refused["errors"][0]["message"]}
        ]
    async with db.read_session() as session:
        assert await session.scalar(select(func.count(ProductImage.id))) == 1
    # and the merchant removes it again
    removed = await gql.data(
        REMOVE, {"input": {"productId": product, "uploadId": mine["id"]}}, token=world.a.token
    )
    assert removed["removeProductImage"] == {"product": {"images": []}, "errors": []}


async def test_the_photo_is_served_immutable_with_its_type(
    client: httpx.AsyncClient, world: World
) -> None:
    found = await upload(client, world.a.token)
    response = await client.get(found["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    for path in (
        "/media/../../etc/passwd",
        "/media/..%2f..%2fetc%2fpasswd",
        "/media/ab/cd/%00.png",
        "/media/" + found["url"].split("/media/")[1].replace(".jpg", ".png"),
        "/media/00/00/" + "0" * 64 + ".jpg",
    ):
        assert (await client.get(path)).status_code == 404, path


async def test_a_submission_carries_its_artwork_and_names_its_merchant(
    client: httpx.AsyncClient, gql: Gql, world: World
) -> None:
    art = await upload(client, world.a.token)
    theirs = await upload(client, world.b.token)
    product = gid("Product", world.a.draft_id)
    refused = await gql.data(
        SUBMIT, {"input": {"id": product, "artwork": [art["id"], theirs["id"]]}},
        token=world.a.token,
    )  # fmt: skip
    assert refused["submitProductForApproval"]["errors"] == [
        {"field": "artwork.2", "code": "NOT_FOUND"}
    ]
    data = await gql.data(
        SUBMIT, {"input": {"id": product, "comment": "Concept art attached.",
                           "artwork": [art["id"]]}},
        token=world.a.token,
    )  # fmt: skip
    result = data["submitProductForApproval"]
    assert result["errors"] == []
    assert result["product"]["approvalStage"] == "CONCEPT_SUBMITTED"
    (step,) = result["product"]["history"]
    assert step["actor"] == f"merchant:{world.a.id}"
    assert step["actorName"] != step["actor"] and step["actorName"]
    assert [a["image"]["width"] for a in step["artwork"]] == [800]


async def test_staff_set_a_film_poster_from_a_staff_upload(
    client: httpx.AsyncClient, gql: Gql, world: World
) -> None:
    poster = await upload(client, world.staff_token, image_bytes(1200, 1800, "JPEG"))
    merchant_upload = await upload(client, world.a.token)
    film = gid("Film", world.film_id)
    forbidden = await gql(POSTER, {"input": {"filmId": film, "uploadId": poster["id"]}},
                          token=world.a.token)  # fmt: skip
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await gql.data(
        POSTER, {"input": {"filmId": film, "uploadId": merchant_upload["id"]}},
        token=world.staff_token,
    )  # fmt: skip
    assert refused["setFilmPoster"]["errors"] == [{"field": "uploadId", "code": "NOT_FOUND"}]
    data = await gql.data(POSTER, {"input": {"filmId": film, "uploadId": poster["id"]}},
                          token=world.staff_token)  # fmt: skip
    shown = data["setFilmPoster"]["film"]["poster"]
    assert shown["width"] == 1200
    assert [t["width"] for t in shown["thumbnails"]] == [160, 480, 1024]


PRODUCTS = """{ products(first: 100) { nodes { sku images { alt url width
  thumbnails { url width } image { contentType } } } } }"""


async def test_statement_count_does_not_grow_with_products_with_images(
    client: httpx.AsyncClient, gql: Gql, world: World, db: Database
) -> None:
    # given two staff uploads, attached to every product added below
    await upload(client, world.staff_token, image_bytes(500, 500, "PNG"))
    await upload(client, world.staff_token, image_bytes(500, 500, "JPEG"))
    async with db.read_session() as session:
        image_ids = list((await session.scalars(select(Image.id).order_by(Image.id))).all())

    async def add_products(count: int, start: int) -> None:
        async with db.session() as session:
            film = await make_film(session, slug=f"imgs-{start}", title="Imgs",
                                   release_date=NOW.date(), runtime_minutes=90)  # fmt: skip
            await cover_film(session, world.a.agreement_id, film.id)
            for i in range(count):
                product = await make_product(session, world.a.agreement_id, film.id,
                                             sku=f"IMG-{start + i}", name="Mug")  # fmt: skip
                for image_id in image_ids:
                    await add_product_image(session, product.id, image_id, alt="Mug",
                                            merchant_id=None, now=NOW)  # fmt: skip

    await gql.data("{ viewer { kind } }", token=world.staff_token)
    counts, sizes = [], []
    for count, start in ((2, 0), (40, 100)):
        await add_products(count, start)
        with count_queries(db) as counter:
            data = await gql.data(PRODUCTS, token=world.staff_token)
        counts.append(
            len([q for q in counter.statements if not q.lstrip().startswith("UPDATE api_tokens")])
        )
        sizes.append(sum(len(n["images"]) for n in data["products"]["nodes"]))
    assert sizes == [4, 84]
    assert counts[0] == counts[1], counts


CREATE_FILM = """mutation($input: CreateFilmInput!) { createFilm(input: $input) {
  film { slug posterUrl poster { url width } } errors { field code } } }"""
UPDATE_FILM = """mutation($input: UpdateFilmInput!) { updateFilm(input: $input) {
  film { posterUrl poster { width } } errors { field code } } }"""


async def test_create_and_update_film_take_a_poster_upload(
    client: httpx.AsyncClient, gql: Gql, world: World, db: Database
) -> None:
    # Given a staff upload and a merchant's upload
    poster = await upload(client, world.staff_token, image_bytes(600, 900, "JPEG"))
    merchant_upload = await upload(client, world.a.token)
    film = {"slug": "paper-moon", "originalTitle": "Paper Moon", "releaseDate": "2026-09-01",
            "runtimeMinutes": 101}  # fmt: skip
    # When staff create a film with the merchant's upload as its poster: not found, no film
    refused = await gql.data(CREATE_FILM, {"input": {**film, "posterUploadId":
                             merchant_upload["id"]}}, token=world.staff_token)  # fmt: skip
    assert refused["createFilm"]["errors"] == [{"field": "posterUploadId", "code": "NOT_FOUND"}]
    malformed = await gql.data(CREATE_FILM, {"input": {**film, "posterUploadId": "nope"}},
                               token=world.staff_token)  # fmt: skip
    assert malformed["createFilm"]["errors"] == [{"field": "posterUploadId", "code": "NOT_FOUND"}]
    # and with their own upload: the film's posterUrl is the uploaded image
    made = await gql.data(CREATE_FILM, {"input": {**film, "posterUploadId": poster["id"]}},
                          token=world.staff_token)  # fmt: skip
    assert made["createFilm"]["errors"] == []
    shown = made["createFilm"]["film"]
    assert shown["poster"]["width"] == 600 and shown["posterUrl"] == shown["poster"]["url"]
    assert "/media/" in shown["posterUrl"]
    # When staff update another film with a new poster, it replaces the old URL
    second = await upload(client, world.staff_token, image_bytes(400, 600, "PNG"))
    before = await gql.data("query($id: ID!) { node(id: $id) { ... on Film { posterUrl } } }",
                            {"id": gid("Film", world.film_id)})  # fmt: skip
    assert "/media/" not in before["node"]["posterUrl"]  # the URL set before uploads, if any
    change = {"id": gid("Film", world.film_id), "originalTitle": "Night Harbor",
              "posterUploadId": second["id"]}  # fmt: skip
    updated = await gql.data(UPDATE_FILM, {"input": change}, token=world.staff_token)
    assert updated["updateFilm"]["errors"] == []
    assert updated["updateFilm"]["film"]["poster"]["width"] == 400
    assert updated["updateFilm"]["film"]["posterUrl"].endswith(".png")


VARIANT_IMAGE = """mutation($input: SetVariantImageInput!) { setVariantImage(input: $input) {
  variant { sku image { width contentType } } errors { field code } } }"""


async def test_a_merchant_gives_its_size_a_photo_and_the_shop_shows_it(
    client: httpx.AsyncClient, gql: Gql, world: World, db: Database
) -> None:
    """Each variant may have its own photo (issue 12): an upload of its own merchant only;
    the product page shows it under the size choice."""
    async with db.session() as session:
        product = await session.get(Product, world.a.approved_id)
        assert product is not None
        stock, product.stock = product.stock, 0  # sizes take over the product's stock
        tee = await create_variant(session, product.id, merchant_id=world.a.id, code="M",
                                      options=[("size", "M")], stock=stock)  # fmt: skip
        variant_id, sku = tee.id, product.sku
    mine = await upload(client, world.a.token, image_bytes(600, 600, "PNG"))
    theirs = await upload(client, world.b.token)
    variant = gid("Variant", variant_id)
    # another tenant's upload, a malformed one, another tenant's variant: not found
    for token, input_, field in (
        (world.a.token, {"variantId": variant, "uploadId": theirs["id"]}, "uploadId"),
        (world.a.token, {"variantId": variant, "uploadId": "nope"}, "uploadId"),
        (world.b.token, {"variantId": variant, "uploadId": theirs["id"]}, "variantId"),
    ):
        refused = await gql.data(VARIANT_IMAGE, {"input": input_}, token=token)
        assert refused["setVariantImage"]["errors"] == [{"field": field, "code": "NOT_FOUND"}]
        assert refused["setVariantImage"]["variant"] is None
    async with db.read_session() as session:
        assert (await session.get(Variant, variant_id)).image_id is None
    set_ = await gql.data(
        VARIANT_IMAGE,
        {"input": {"variantId": variant, "uploadId": mine["id"]}},
        token=world.a.token,
    )
    assert set_["setVariantImage"]["errors"] == []
    assert set_["setVariantImage"]["variant"]["image"] == {"width": 600, "contentType": "image/png"}
    page = await client.get(f"/products/{sku}")
    assert page.status_code == 200
    assert 'class="variant-photos"' in page.text and "<figcaption>M</figcaption>" in page.text
    cleared = await gql.data(VARIANT_IMAGE, {"input": {"variantId": variant}}, token=world.a.token)
    assert cleared["setVariantImage"]["variant"]["image"] is None
