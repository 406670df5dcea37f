"""Server-rendered SVG charts: pure functions from values to an SVG string.

No JavaScript and no floats: coordinates are computed with exact fractions and rounded to
tenths of a pixel for the markup. Every label is escaped, and every chart carries a
<title> and a <desc> (referenced by aria-labelledby) so that a screen reader can say what
it shows; the figures themselves are always also in a table next to the chart. Every chart
has a value axis with round ticks labelled in the figures' own unit (`axis` = its title and a
tick formatter, e.g. money or a percentage), and each bar or point says its value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from markupsafe import Markup, escape

Number = int | Decimal
TickFormat = Callable[[Fraction], str]

PALETTE = ("#b3261e", "#1f5fa8", "#2e7d32", "#8e6c00", "#6a3d9a", "#00796b")
INK, MUTED, GRID = "#1b1b1f", "#5d5d66", "#e3e1da"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (any unit) and the text shown for the value."""

    label: str
    value: Number
    display: str


@dataclass(frozen=True)
class Series:
    """One line of a line chart: a name and one value per x label (None leaves a gap)."""

    name: str
    values: Sequence[Number | None]
    display: Sequence[str] | None = None
    dashed: bool = False


def _px(value: Fraction | int) -> str:
    """A coordinate as text with at most one decimal, computed without floats."""
    tenths = round(Fraction(value) * 10)
    whole, rest = divmod(abs(tenths), 10)
    sign = "-" if tenths < 0 else ""
    return f"{sign}{whole}" if rest == 0 else f"{sign}{whole}.{rest}"


def _ident(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return f"chart-{slug[:40] or 'x'}"


def _frame(ident: str, title: str, description: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]


def _empty(ident: str, title: str, description: str, width: int) -> Markup:
    parts = _frame(ident, title, description, width, 40)
    parts.append(f'<text x="8" y="24" fill="{MUTED}" font-size="13">No figures to chart.</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above went through escape())


def plain_number(value: Fraction) -> str:
    """A tick value as a plain number (the default axis): 1500 → "1500", 2.5 → "2.5"."""
    if value.denominator == 1:
        return str(value.numerator)
    return str(Decimal(value.numerator) / Decimal(value.denominator))


def ticks(low: Fraction, high: Fraction, count: int = 4) -> list[Fraction]:
    """Round tick values (1, 2 or 5 times a power of ten apart) from `low` to `high`, about
    `count` intervals, always including 0 when it is in range; exact fractions."""
    span = (high - low) or Fraction(1)
    raw = span / count
    power = Fraction(1)
    while power > raw:
        power /= 10
    while power * 10 <= raw:
        power *= 10
    step = next(power * m for m in (1, 2, 5, 10) if power * m >= raw)
    first = math.ceil(low / step) * step
    out = []
    value = Fraction(first)
    while value <= high:
        out.append(value)
        value += step
    return out


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    description: str,
    ident: str | None = None,
    width: int = 640,
    bar_height: int = 22,
    label_width: int = 170,
    marker: tuple[str, Number] | None = None,
    axis: tuple[str, TickFormat] | None = None,
) -> Markup:
    """A horizontal bar chart. Negative values (credits) grow left of the zero line; each bar
    shows its value at its end, and a value axis with round ticks runs under the bars.

    `marker` = (label, value) draws a dashed reference line (e.g. 100 % of a guarantee); the
    scale always reaches it, so a small share looks small. `axis` = (title, tick formatter)
    labels the value axis (plain numbers without a title by default)."""
    ident = _ident(ident or title)
    if not bars:
        return _empty(ident, title, description, width)
    gap, top, value_room, axis_room = 8, 8, 110, 40
    bars_bottom = top + len(bars) * (bar_height + gap)
    height = bars_bottom + axis_room
    plot_left, plot_right = label_width, width - value_room
    reference = [marker[1]] if marker else []
    low = Fraction(min(0, *(b.value for b in bars), *reference))
    high = Fraction(max(0, *(b.value for b in bars), *reference))
    span = (high - low) or Fraction(1)
    scale = Fraction(plot_right - plot_left) / span
    zero = plot_left - low * scale

    parts = _frame(ident, title, description, width, height)
    parts.append(
        f'<line x1="{_px(zero)}" y1="{top - 4}" x2="{_px(zero)}" y2="{bars_bottom}"'
        f' stroke="{MUTED}" stroke-width="1"/>'
    )
    for i, bar in enumerate(bars):
        y = top + i * (bar_height + gap)
        end = plot_left + (Fraction(bar.value) - low) * scale
        x, w = (zero, end - zero) if end >= zero else (end, zero - end)
        colour = PALETTE[0] if bar.value >= 0 else PALETTE[1]
        middle = y + bar_height // 2 + 4
        label, shown = escape(bar.label), escape(bar.display)
        parts.append('<g class="bar">')
        parts.append(f"<title>{label}: {shown}</title>")
        parts.append(
            f'<text x="{label_width - 6}" y="{middle}" text-anchor="end" fill="{INK}"'
            f' font-size="12">{escape(_short(bar.label, 26))}</text>'
        )
        parts.append(
            f'<rect x="{_px(x)}" y="{y}" width="{_px(w)}" height="{bar_height}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{_px(max(end, zero) + 6)}" y="{middle}" fill="{INK}"'
            f' font-size="12">{shown}</text>'
        )
        parts.append("</g>")
    if marker:
        at = _px(plot_left + (Fraction(marker[1]) - low) * scale)
        parts.append(
            f'<g class="marker"><title>{escape(marker[0])}</title>'
            f'<line x1="{at}" y1="{top - 4}" x2="{at}" y2="{bars_bottom}" stroke="{INK}"'
            f' stroke-width="1" stroke-dasharray="4 3"/></g>'
        )
    axis_title, tick_text = axis or ("", plain_number)
    parts.append(f'<g class="axis x-axis"><title>{escape(axis_title or "Value axis")}</title>')
    parts.append(
        f'<line x1="{plot_left}" y1="{bars_bottom}" x2="{plot_right}" y2="{bars_bottom}"'
        f' stroke="{MUTED}" stroke-width="1"/>'
    )
    for value in ticks(low, high):
        x = _px(plot_left + (value - low) * scale)
        parts.append(
            f'<line x1="{x}" y1="{bars_bottom}" x2="{x}" y2="{bars_bottom + 4}"'
            f' stroke="{MUTED}" stroke-width="1"/>'
            f'<text x="{x}" y="{bars_bottom + 16}" text-anchor="middle" fill="{MUTED}"'
            f' font-size="11">{escape(tick_text(value))}</text>'
        )
    if axis_title:
        parts.append(
            f'<text x="{_px(Fraction(plot_left + plot_right, 2))}" y="{bars_bottom + 32}"'
            f' text-anchor="middle" fill="{INK}" font-size="11">{escape(axis_title)}</text>'
        )
    parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above went through escape())


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    ident: str | None = None,
    width: int = 640,
    height: int = 280,
    axis: tuple[str, TickFormat] | None = None,
) -> Markup:
    """A line chart over shared x labels (e.g. periods), one polyline per series, with a
    value axis of round ticks at the left (`axis` = title, tick formatter). Each point of a
    solid series shows its value above it; a dashed series (a reference level) names its
    value in the legend."""
    ident = _ident(ident or title)
    values = [v for s in series for v in s.values if v is not None]
    if not x_labels or not values:
        return _empty(ident, title, description, width)
    left, right, top, bottom = 96, 40, 24, 64
    low, high = Fraction(min(0, *values)), Fraction(max(0, *values))
    span = (high - low) or Fraction(1)
    plot_h = height - top - bottom
    step = Fraction(width - left - right, max(1, len(x_labels) - 1))

    def x_at(i: int) -> Fraction:
        return left + step * i if len(x_labels) > 1 else Fraction(width, 2)

    def y_at(value: Number) -> Fraction:
        return top + plot_h - (Fraction(value) - low) * plot_h / span

    parts = _frame(ident, title, description, width, height)
    axis_title, tick_text = axis or ("", plain_number)
    parts.append(f'<g class="axis y-axis"><title>{escape(axis_title or "Value axis")}</title>')
    parts.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"'
        f' stroke="{MUTED}" stroke-width="1"/>'
    )
    for value in ticks(low, high):
        y = _px(y_at(value))
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{width - right}" y2="{y}"'
            f' stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y}" dy="4" text-anchor="end" fill="{MUTED}"'
            f' font-size="11">{escape(tick_text(value))}</text>'
        )
    if axis_title:
        parts.append(
            f'<text x="4" y="{top - 10}" fill="{INK}" font-size="11">{escape(axis_title)}</text>'
        )
    parts.append("</g>")
    for i, label in enumerate(x_labels):
        parts.append(
            f'<text x="{_px(x_at(i))}" y="{height - bottom + 16}" text-anchor="middle"'
            f' fill="{MUTED}" font-size="11">{escape(_short(label, 12))}</text>'
        )
    for n, line in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        points = [(i, v) for i, v in enumerate(line.values) if v is not None]
        parts.append(f'<g class="series"><title>{escape(line.name)}</title>')
        coords = " ".join(f"{_px(x_at(i))},{_px(y_at(v))}" for i, v in points)
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        for i, v in points:
            shown = line.display[i] if line.display else plain_number(Fraction(v))
            parts.append(
                f'<circle cx="{_px(x_at(i))}" cy="{_px(y_at(v))}" r="3" fill="{colour}">'
                f"<title>{escape(line.name)}, {escape(x_labels[i])}: {escape(shown)}</title>"
                "</circle>"
            )
            if not line.dashed and len(points) <= 12:
                parts.append(
                    f'<text class="value" x="{_px(x_at(i))}" y="{_px(y_at(v) - 7)}"'
                    f' text-anchor="middle" fill="{INK}" font-size="10">{escape(shown)}</text>'
                )
        parts.append("</g>")
        legend_y = height - 12
        legend_x = 8 + n * 210
        level = ""
        if line.dashed and points:
            first, value = points[0]
            level = " " + (line.display[first] if line.display else plain_number(Fraction(value)))
        parts.append(
            f'<rect x="{legend_x}" y="{legend_y - 9}" width="12" height="4" fill="{colour}"/>'
            f'<text x="{legend_x + 16}" y="{legend_y - 4}" fill="{INK}" font-size="11">'
            f"{escape(_short(line.name, 20) + level)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above went through escape())
