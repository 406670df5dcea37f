"""Server-rendered SVG charts: valid SVG, escaped labels, an accessible title and description."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from markupsafe import Markup

from storefront.charts import Bar, Series, bar_chart, line_chart

NS = {"svg": "http://www.w3.org/2000/svg"}
HOSTILE = '<script>alert("x")</script> & "Co"'


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def _accessible(root: ET.Element, title: str, description: str) -> None:
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"svg:title[@id='{title_id}']", NS).text == title
    assert root.find(f"svg:desc[@id='{desc_id}']", NS).text == description


def test_a_bar_chart_is_valid_svg_with_one_bar_per_value_and_its_title_and_description() -> None:
    svg = bar_chart(
        [Bar("Night Train", 1550, "US$15.50"), Bar("Dust & Gold", 250, "US$2.50")],
        title="Royalty by film",
        description="Royalty earned per film in 2025-Q3.",
    )
    assert isinstance(svg, Markup)  # safe to put in a template as is
    root = _parse(svg)
    _accessible(root, "Royalty by film", "Royalty earned per film in 2025-Q3.")
    rects = root.findall(".//svg:rect", NS)
    assert len(rects) == 2
    # The larger value has the longer bar, in proportion.
    widths = [Decimal(r.get("width")) for r in rects]
    assert widths[0] > widths[1] > 0
    assert abs(widths[0] / widths[1] - Decimal(1550) / Decimal(250)) < Decimal("0.05")
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Dust & Gold" in texts and "US$2.50" in texts


def test_labels_titles_and_descriptions_are_escaped() -> None:
    svg = bar_chart([Bar(HOSTILE, 5, HOSTILE)], title=HOSTILE, description=HOSTILE)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = _parse(svg)  # still well-formed XML: every & and quote was escaped
    _accessible(root, HOSTILE, HOSTILE)
    line = line_chart([HOSTILE], [Series(HOSTILE, [1])], title=HOSTILE, description=HOSTILE)
    assert "<script>" not in line
    _parse(line)


def test_negative_values_grow_left_of_the_zero_line() -> None:
    # A refund-driven credit is a negative figure; its bar ends at the zero line.
    root = _parse(
        bar_chart(
            [Bar("sales", 300, "3.00"), Bar("credit", -100, "-1.00")],
            title="t",
            description="d",
        )
    )
    zero = Decimal(root.find(".//svg:line", NS).get("x1"))
    positive, negative = root.findall(".//svg:rect", NS)
    assert Decimal(positive.get("x")) == zero
    assert Decimal(negative.get("x")) + Decimal(negative.get("width")) == zero
    assert Decimal(positive.get("width")) > Decimal(negative.get("width"))


def test_a_line_chart_draws_one_polyline_per_series_and_skips_gaps() -> None:
    svg = line_chart(
        ["2025-Q3", "2025-Q4", "2026-Q1"],
        [
            Series("Cumulative", [1550, 1800, None], ["15.50", "18.00", ""]),
            Series("Minimum guarantee", [5000, 5000, 5000], dashed=True),
        ],
        title="Cumulative royalty",
        description="Cumulative royalty against the minimum guarantee.",
    )
    root = _parse(svg)
    _accessible(root, "Cumulative royalty", "Cumulative royalty against the minimum guarantee.")
    lines = root.findall(".//svg:polyline", NS)
    assert [len(p.get("points").split()) for p in lines] == [2, 3]
    assert lines[1].get("stroke-dasharray")
    # Higher values are drawn higher (smaller y): the guarantee line is above the earnings.
    earned_y = Decimal(lines[0].get("points").split()[1].split(",")[1])
    mg_y = Decimal(lines[1].get("points").split()[1].split(",")[1])
    assert mg_y < earned_y
    point_titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "Cumulative, 2025-Q4: 18.00" in point_titles


def test_charts_without_figures_say_so() -> None:
    for svg in (
        bar_chart([], title="Empty", description="Nothing yet."),
        line_chart([], [], title="Empty", description="Nothing yet."),
    ):
        root = _parse(svg)
        _accessible(root, "Empty", "Nothing yet.")
        assert "No figures to chart." in svg


def test_decimal_values_chart_exactly() -> None:
    root = _parse(
        bar_chart(
            [Bar("a", Decimal("0.5"), "50 %"), Bar("b", Decimal("0.25"), "25 %")],
            title="t",
            description="d",
        )
    )
    widths = [Decimal(r.get("width")) for r in root.findall(".//svg:rect", NS)]
    assert widths[0] == 2 * widths[1]


def test_a_marker_sets_the_scale_so_a_small_share_looks_small() -> None:
    # 0.4 % of a guarantee must not fill the chart just because it is the only bar.
    root = _parse(
        bar_chart(
            [Bar("LA-1", Decimal("0.004"), "0.4 %")],
            title="t",
            description="d",
            marker=("100 % of the minimum guarantee", 1),
        )
    )
    bar = Decimal(root.find(".//svg:rect", NS).get("width"))
    marker = root.find(".//svg:g[@class='marker']", NS)
    assert marker.find("svg:title", NS).text == "100 % of the minimum guarantee"
    line = marker.find("svg:line", NS)
    full = Decimal(line.get("x1")) - Decimal(root.findall(".//svg:line", NS)[0].get("x1"))
    assert bar < full / 100
