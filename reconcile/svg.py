"""Inline SVG charts for the HTML report: bars, lines and a heat map (no external files, no fonts to embed).

The browser draws the Japanese labels with its own fonts. Values are converted to float here for
drawing only; the figures printed in the report's tables stay exact decimals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf")
FONT = "font-family='system-ui, sans-serif' font-size='11'"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def text_width(text: str, size: int = 11) -> int:
    """Rough width in pixels of ``text`` at ``size`` px: full-width (CJK) characters count double."""
    return int(sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)) + 4


def axis_range(values: Sequence[float]) -> tuple[float, float]:
    """A value axis that fits the data: from 0 when the data is near 0, else from just below the minimum.

    A series whose minimum is more than half its maximum starts near its minimum, so a difference of a few
    per cent between two lines stays visible instead of being squashed against a zero baseline.
    """
    lo, hi = min(values), max(values)
    if hi == lo:
        return (lo - 1, hi + 1) if lo else (0.0, 1.0)
    pad = (hi - lo) * 0.08
    start = 0.0 if lo >= 0 and lo < hi / 2 else lo - pad
    return start, hi + pad


def ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values inside ``lo`` .. ``hi`` (1, 2 or 5 × a power of ten apart)."""
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def paired_bars(
    items: Sequence[tuple[str, float | None, float | None]], names: tuple[str, str], title: str, unit: str
) -> str:
    """Two horizontal bars per label (e.g. invoiced and recomputed yen per area), with a legend."""
    if not items:
        return f"<p class='empty'>{escape(title)}: —</p>"
    row = 34
    left = 16 + max(text_width(label) for label, _, _ in items)
    right = 16 + max(text_width(_fmt(max(abs(v or 0) for _, a, b in items for v in (a, b))) + " " + unit), 60)
    width = max(720, left + right + 300)
    legend_y = 30
    height = legend_y + 16 + row * len(items)
    hi = max([0.0, *(v for _, a, b in items for v in (a, b) if v is not None)]) or 1.0
    plot = width - left - right
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
        f"aria-label='{escape(title)}' {FONT}>",
        f"<text x='0' y='14' font-weight='bold' font-size='13'>{escape(title)}</text>",
    ]
    x = left
    for k, name in enumerate(names):
        parts.append(f"<rect x='{x}' y='{legend_y - 9}' width='12' height='10' fill='{PALETTE[k]}'/>")
        parts.append(f"<text x='{x + 16}' y='{legend_y}'>{escape(name)}</text>")
        x += 40 + text_width(name)
    for i, (label, a, b) in enumerate(items):
        y = legend_y + 10 + i * row
        parts.append(f"<text x='{left - 6}' y='{y + 17}' text-anchor='end'>{escape(label)}</text>")
        for k, value in enumerate((a, b)):
            if value is None:
                continue
            w = max(value / hi * plot, 1)
            by = y + 2 + k * 14
            parts.append(
                f"<rect x='{left}' y='{by}' width='{w:.1f}' height='12' fill='{PALETTE[k]}'>"
                f"<title>{escape(label)} {escape(names[k])}: {_fmt(value)} {escape(unit)}</title></rect>"
            )
            parts.append(f"<text x='{left + w + 4:.1f}' y='{by + 10}'>{_fmt(value)} {escape(unit)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(items: Sequence[tuple[str, float]], title: str, unit: str, width: int = 720) -> str:
    """Horizontal bars, one per (label, value); negative values grow to the left of the axis."""
    if not items:
        return f"<p class='empty'>{escape(title)}: —</p>"
    row = 22
    left = 16 + max(text_width(label) for label, _ in items)
    right = 16 + max(text_width(f"{_fmt(v)} {unit}") for _, v in items)
    width = max(width, left + right + 240)
    height = 30 + row * len(items)
    lo = min(0.0, *(v for _, v in items))
    hi = max(0.0, *(v for _, v in items))
    span = (hi - lo) or 1.0
    plot = width - left - right

    def x(v: float) -> float:
        return left + (v - lo) / span * plot

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
        f"aria-label='{escape(title)}' {FONT}>",
        f"<text x='0' y='14' font-weight='bold' font-size='13'>{escape(title)}</text>",
    ]
    for i, (label, value) in enumerate(items):
        y = 24 + i * row
        x0, x1 = sorted((x(0.0), x(value)))
        color = PALETTE[1] if value < 0 else PALETTE[0]
        parts.append(f"<text x='{left - 6}' y='{y + 13}' text-anchor='end'>{escape(label)}</text>")
        parts.append(
            f"<rect x='{x0:.1f}' y='{y + 2}' width='{max(x1 - x0, 1):.1f}' height='{row - 6}' fill='{color}'>"
            f"<title>{escape(label)}: {_fmt(value)} {escape(unit)}</title></rect>"
        )
        parts.append(f"<text x='{x1 + 4:.1f}' y='{y + 13}'>{_fmt(value)} {escape(unit)}</text>")
    parts.append(f"<line x1='{x(0):.1f}' y1='22' x2='{x(0):.1f}' y2='{height - 4}' stroke='#555'/>")
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    series: Mapping[str, Sequence[float | None]],
    x_labels: Sequence[str],
    title: str,
    unit: str,
    width: int = 720,
    height: int = 240,
    dashed: Sequence[str] = (),
) -> str:
    """One line per series over shared x labels; None leaves a gap in the line."""
    values = [v for s in series.values() for v in s if v is not None]
    if not values or not x_labels:
        return f"<p class='empty'>{escape(title)}: —</p>"
    right = 16 + 36 + max(text_width(name) for name in series)  # the legend fits beside the plot
    left, top, bottom = 64, 40, 36  # the title, then the unit above the value axis
    width = max(width, left + right + 240)
    lo, hi = axis_range(values)
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(x_labels)

    def px(i: int) -> float:
        return left + (i / max(n - 1, 1)) * plot_w

    def py(v: float) -> float:
        return top + plot_h - (v - lo) / (hi - lo) * plot_h

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
        f"aria-label='{escape(title)}' {FONT}>",
        f"<text x='0' y='14' font-weight='bold' font-size='13'>{escape(title)}</text>",
        f"<line x1='{left}' y1='{top + plot_h}' x2='{left + plot_w}' y2='{top + plot_h}' stroke='#555'/>",
        f"<line x1='{left}' y1='{top}' x2='{left}' y2='{top + plot_h}' stroke='#555'/>",
        f"<text x='4' y='{top - 12}'>{escape(unit)}</text>",
    ]
    for tick in ticks(lo, hi):
        y = py(tick)
        parts.append(f"<line x1='{left - 3}' y1='{y:.1f}' x2='{left + plot_w}' y2='{y:.1f}' stroke='#eee'/>")
        parts.append(f"<text x='{left - 5}' y='{y + 4:.1f}' text-anchor='end'>{_fmt(tick)}</text>")
    step = max(1, n // 8)
    for i in range(0, n, step):
        parts.append(f"<text x='{px(i):.1f}' y='{height - 18}' text-anchor='middle'>{escape(x_labels[i])}</text>")
    for k, (name, points) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        dash = " stroke-dasharray='5,3'" if name in dashed else ""
        segments: list[list[str]] = [[]]
        for i, v in enumerate(points):
            if v is None:
                segments.append([])
            else:
                segments[-1].append(f"{px(i):.1f},{py(v):.1f}")
        for seg in segments:
            if seg:
                parts.append(
                    f"<polyline fill='none' stroke='{color}' stroke-width='1.6'{dash} points='{' '.join(seg)}'>"
                    f"<title>{escape(name)}</title></polyline>"
                )
        ly = top + 14 * k
        parts.append(
            f"<line x1='{width - right + 10}' y1='{ly}' x2='{width - right + 30}' y2='{ly}' stroke='{color}'"
            f" stroke-width='2'{dash}/>"
        )
        parts.append(f"<text x='{width - right + 34}' y='{ly + 4}'>{escape(name)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def heatmap(
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    values: Sequence[Sequence[int]],
    title: str,
    vmax: int,
    cell: int = 16,
) -> str:
    """A grid coloured from white (0) to dark red (``vmax``); each cell's tooltip gives row, column, value."""
    if not row_labels or not col_labels:
        return f"<p class='empty'>{escape(title)}: —</p>"
    legend = f"white = 0 / 欠測なし; dark red = {vmax} missing slots / 欠測コマ"
    left, top = 16 + max(text_width(label) for label in row_labels), 40
    width = max(left + cell * len(col_labels) + 20, left + text_width(legend) + 10, text_width(title, 13) + 10)
    height = top + cell * len(row_labels) + 30
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
        f"aria-label='{escape(title)}' {FONT}>",
        f"<text x='0' y='14' font-weight='bold' font-size='13'>{escape(title)}</text>",
    ]
    for j, label in enumerate(col_labels):
        if j % 2 == 0:
            parts.append(
                f"<text x='{left + j * cell + cell / 2}' y='{top - 4}' text-anchor='middle'>{escape(label)}</text>"
            )
    for i, label in enumerate(row_labels):
        y = top + i * cell
        parts.append(f"<text x='{left - 6}' y='{y + cell - 4}' text-anchor='end'>{escape(label)}</text>")
        for j, value in enumerate(values[i]):
            share = min(value / vmax, 1.0) if vmax else 0.0
            shade = int(255 - 200 * share)
            fill = "#ffffff" if value == 0 else f"rgb(255,{shade},{shade - 30 if shade > 30 else 0})"
            parts.append(
                f"<rect x='{left + j * cell}' y='{y}' width='{cell - 1}' height='{cell - 1}' fill='{fill}' "
                f"stroke='#ddd'><title>{escape(label)} {escape(col_labels[j])}: {value}</title></rect>"
            )
    parts.append(f"<text x='{left}' y='{height - 8}'>{escape(legend)}</text>")
    parts.append("</svg>")
    return "".join(parts)
