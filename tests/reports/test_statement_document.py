"""The statement document (SPEC §10): a PDF of one agreement's statement for one period that
shows exactly the statement's figures, its lines by film and channel, both parties, and
"provisional" while the period is open. The PDF's text is read back with pypdf."""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest

from kernel.db import Database
from kernel.money import format_money
from licensing.closing import close_period
from licensing.ledger import SaleLine, post_refund, post_sales
from licensing.models import Channel
from licensing.statements import compute_statement
from reports.statement_document import (
    Party,
    Receivable,
    statement_document,
    statement_html,
    statement_pdf,
)
from tests import factory as F

STUDIO = Party("Lantern Pictures", ("1 Studio Way", "Burbank CA 91505"), email="ar@lantern.test")


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def figure_line(text: str, label: str) -> str:
    """The text line of a labelled figure (its label and its value)."""
    found = [line for line in text.splitlines() if line.startswith(label)]
    assert found, f"no line {label!r} in:\n{text}"
    return found[0]


def usd(minor: int) -> str:
    return format_money(minor, "USD")


async def two_film_world(db: Database, **terms):
    """An agreement over two films with storefront, bundle and a refund in 2026-Q1."""
    async with db.session() as s:
        agreement, tee = await F.licensing_world(
            s, rate_bps=1000, advance_minor=1500, minimum_guarantee_minor=900_000,
            end_date=date(2026, 3, 31), **terms,
        )  # fmt: skip
        other = await F.make_film(s, title="Second Dawn")
        await F.cover_film(s, agreement.id, other.id)
        mug = await F.make_product(s, agreement, other.id, name="Mug", category="home")
        when = F.at("2026-02-01T10:00")
        await post_sales(
            s,
            [
                SaleLine("o:1", tee.id, 3, 7501, Channel.STOREFRONT, "US", when),
                SaleLine("o:2", tee.id, 2, 4003, Channel.BUNDLE, "GB", when),
                SaleLine("o:3", mug.id, 5, 12345, Channel.STOREFRONT, "JP", when),
            ],
            now=when,
        )
        await post_refund(
            s, original_source_ref="o:3", refund_source_ref="r:3", units=1, net_minor=2469,
            occurred_at=F.at("2026-02-03T00:00"), now=F.at("2026-02-03T00:00"),
        )  # fmt: skip
        film_title = (await s.get(type(other), tee.film_id)).title
    return agreement, film_title


async def test_the_pdf_shows_every_figure_of_the_statement_and_its_lines(db: Database) -> None:
    # Given an agreement whose only (final) period has sales in two films, two channels
    # and a refund
    agreement, first_film = await two_film_world(db)
    # When staff render its statement while the period is open, then close it and render again
    async with db.session() as s:
        open_doc = await statement_document(
            s, agreement.id, "2026-Q1", studio=STUDIO, now=F.at("2026-03-01T00:00")
        )
    provisional = pdf_text(await statement_pdf(open_doc))
    async with db.session() as s:
        await close_period(s, "2026-Q1", now=F.at("2026-04-01T00:00"), closed_by="ana")
    async with db.session() as s:
        figures = await compute_statement(s, agreement.id, "2026-Q1")
        doc = await statement_document(
            s,
            agreement.id,
            "2026-Q1",
            studio=STUDIO,
            now=F.at("2026-04-02T00:00"),
            receivable=Receivable("Royalty payable 2026-Q1", date(2026, 4, 30), 1234, 1000, 234),
        )
    text = pdf_text(await statement_pdf(doc))

    # Then the open period's document says it is provisional, the closed one's does not
    assert "PROVISIONAL" in provisional and "still open" in provisional
    assert "PROVISIONAL" not in text and "Final: the period was closed" in text
    # and every figure of the frozen statement is on its labelled line
    assert figures.frozen and figures.mg_shortfall_minor > 0 and figures.royalty_payable_minor > 0
    expected = {
        "Units sold, net of refunds": str(figures.units),
        "Net sales": usd(figures.net_sales_minor),
        "Royalty earned in the period": usd(figures.royalty_earned_minor),
        "Cumulative royalty before the period": usd(figures.previous_cumulative_minor),
        "Cumulative royalty earned": usd(figures.cumulative_earned_minor),
        "Advance recouped in the period": usd(figures.advance_recouped_minor),
        "Advance recouped to date": usd(figures.advance_recouped_to_date_minor),
        "Royalty payable for the period": usd(figures.royalty_payable_minor),
        "Minimum guarantee": usd(figures.minimum_guarantee_minor),
        "Minimum-guarantee shortfall": usd(figures.mg_shortfall_minor),
        "Advance": usd(figures.advance_minor),
    }
    for label, value in expected.items():
        assert figure_line(text, label).endswith(value), (label, value)
    assert str(figures.royalty_exact) in text.replace("\n", " ")
    # The figures are the statement's: 3+2+5-1 units, nets summed, 10 % royalty
    assert figures.units == 9
    assert figures.net_sales_minor == 7501 + 4003 + 12345 - 2469
    # and its lines by film and channel add up to it
    assert sum(line.units for line in doc.lines) == figures.units
    assert sum(line.net_sales_minor for line in doc.lines) == figures.net_sales_minor
    assert sum(line.royalty_micros for line in doc.lines) == figures.royalty_micros
    assert figure_line(text, f"{first_film} storefront").endswith(f"3 {usd(7501)} {usd(750)}")
    assert figure_line(text, f"{first_film} bundle").endswith(f"2 {usd(4003)} {usd(400)}")
    assert figure_line(text, "Second Dawn storefront").endswith(f"4 {usd(9876)} {usd(988)}")
    # and both parties and the receivable are named
    for words in ("Lantern Pictures", "1 Studio Way", agreement.code, "Royalty payable 2026-Q1"):
        assert words in text
    assert figure_line(text, "Balance").endswith(usd(234))
    assert figure_line(text, "Paid").endswith(usd(1000))


async def test_without_a_receivable_the_document_has_no_receivable_block(db: Database) -> None:
    agreement, _ = await two_film_world(db)
    async with db.session() as s:
        doc = await statement_document(
            s, agreement.id, "2026-Q1", studio=STUDIO, now=F.at("2026-03-01T00:00")
        )
    html = statement_html(doc)
    assert "Receivable" not in html and "PROVISIONAL" in html


@pytest.mark.slow
async def test_a_cjk_film_title_is_rendered_as_extractable_text(db: Database) -> None:
    # Given an agreement over a film whose titles are Japanese and Chinese
    async with db.session() as s:
        film = await F.make_film(s, title="千と千尋の神隠し", original_title="千与千寻")
        merchant = await F.make_merchant(s, name="東京グッズ株式会社")
        agreement = await F.make_agreement(s, merchant_id=merchant.id, film_ids=[film.id])
        product = await F.make_product(s, agreement, film.id)
        when = F.at("2026-02-01T10:00")
        await post_sales(
            s, [SaleLine("o:1", product.id, 1, 5000, Channel.STOREFRONT, "JP", when)], now=when
        )
        doc = await statement_document(s, agreement.id, "2026-Q1", studio=STUDIO, now=when)
    # When its statement is rendered, then the CJK text is in the PDF as text
    text = pdf_text(await statement_pdf(doc))
    assert "千と千尋の神隠し" in text
    assert "千与千寻" in text
    assert "東京グッズ株式会社" in text
