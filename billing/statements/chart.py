"""The statement's small chart of the stored volume per day (m³), drawn server side as inline SVG (no script,
nothing fetched): one bar a day, a light grid at a round scale, the first, 10th, 20th and last days named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 520.0, 96.0
LEFT, RIGHT, TOP, BOTTOM = 34.0, 4.0, 6.0, 14.0
STEPS = (1, 2, 2.5, 5, 10)


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above ``value`` (the chart's top)."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in STEPS:
        top = Decimal(str(step)).scaleb(exponent)
        if top >= value:
            return top
    return Decimal(10).scaleb(exponent)


def axis_label(value: Decimal, language: str) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",") if language == "vi" else text


def daily_volume_svg(volumes: list[Decimal], *, first: date, language: str) -> SafeString:
    """Bars of ``volumes`` (one a day from ``first``) as an ``<svg>`` element (numbers only: nothing to
    escape)."""
    top = nice_ceiling(max(volumes, default=Decimal(0)))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(volumes), 1)
    slot = plot_w / count
    bar = slot * 0.72
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" '
        f'width="{WIDTH:.0f}" height="{HEIGHT:.0f}" font-family="Noto Sans CJK SC" font-size="7" '
        'fill="#4b5563">'
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        colour = "#9ca3af" if fraction == 0 else "#e5e7eb"
        parts.append(
            f'<line x1="{LEFT:.1f}" y1="{y:.1f}" x2="{WIDTH - RIGHT:.1f}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="0.5"/>'
        )
        label = axis_label((top * Decimal(str(fraction))), language)
        parts.append(f'<text x="{LEFT - 3:.1f}" y="{y + 2.5:.1f}" text-anchor="end">{label}</text>')
    for index, volume in enumerate(volumes):
        if volume <= 0:
            continue
        height = float(volume / top) * plot_h
        x = LEFT + index * slot + (slot - bar) / 2
        parts.append(
            f'<rect x="{x:.2f}" y="{TOP + plot_h - height:.2f}" width="{bar:.2f}" '
            f'height="{height:.2f}" fill="#1f3a5f"/>'
        )
    for index in sorted({0, 9, 19, count - 1}):
        if index >= count:
            continue
        x = LEFT + index * slot + slot / 2
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 3:.1f}" text-anchor="middle">{first.day + index}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # safe: numbers and constants only
