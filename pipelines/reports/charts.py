"""Static SVG charts drawn from report rows, with a title and a description for assistive technology."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from html import escape

from pipelines.reports.formatting import usd

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 64
# The chart's colours live here only: the SVG carries them as attributes, report.css styles none of its parts.
PALETTE = ("#1f4e79", "#c55a11", "#2e7d32", "#6a1b9a")  # contrast ≥ 4.5:1 on white
TOTAL_COLOUR = "#1a1a1a"
GRID_COLOUR = "#d0d4da"
TEXT_COLOUR = "#555"
FONT = f'font-family="Inter, sans-serif" font-size="12" fill="{TEXT_COLOUR}"'


def _compact_usd(value: Decimal) -> str:
    for size, suffix in ((Decimal(10) ** 9, " bn"), (Decimal(10) ** 6, " M"), (Decimal(10) ** 3, " k")):
        if abs(value) >= size:
            return f"${value / size:,.0f}{suffix}" if abs(value) >= size * 10 else f"${value / size:,.1f}{suffix}"
    return usd(value)


def _nice_step(span: Decimal) -> Decimal:
    raw = span / 4 if span > 0 else Decimal(1)
    magnitude = Decimal(10) ** raw.adjusted()
    for factor in (1, 2, 2.5, 5, 10):
        step = magnitude * Decimal(str(factor))
        if step >= raw:
            return step
    return magnitude * 10


def fund_chart(rows: list[dict], title: str, description: str) -> str:
    """Daily USD value of each fund and of all funds together (rows of public_insurance_fund_daily)."""
    days = sorted({r["day"] for r in rows})
    if not days:
        return ""
    series: dict[str, dict] = defaultdict(dict)
    names = {}
    totals = {}
    for r in rows:
        series[r["fund_id"]][r["day"]] = r["balance_usd"]
        names[r["fund_id"]] = r["fund_name"]
        totals[r["day"]] = r["total_usd"]
    values = [v for v in totals.values() if v is not None]
    top = max(values) if values else Decimal(1)
    step = _nice_step(top)
    y_max = (top / step).to_integral_value(rounding="ROUND_CEILING") * step
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / max(len(days) - 1, 1))

    def y(v: Decimal) -> float:
        return TOP + plot_h * (1 - float(v / y_max)) if y_max else TOP + plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" '
        f'aria-labelledby="fund-chart-title fund-chart-desc">',
        f'<title id="fund-chart-title">{escape(title)}</title>',
        f'<desc id="fund-chart-desc">{escape(description)}</desc>',
    ]
    tick = Decimal(0)
    while tick <= y_max:
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="{GRID_COLOUR}" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y(tick) + 4:.1f}" {FONT} text-anchor="end">'
                     f"{escape(_compact_usd(tick))}</text>")
        tick += step
    for i, d in enumerate(days):
        if i % 7 == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" {FONT} text-anchor="middle">'
                         f"{d.strftime('%d %b')}</text>")
    lines = [(names[f], PALETTE[n % len(PALETTE)], series[f], "fund") for n, f in enumerate(sorted(series))]
    # lines with more than 4 funds would repeat colours; the legend still names each
    lines.append(("All funds", TOTAL_COLOUR, totals, "total"))
    for _name, colour, points, css in lines:
        path = " ".join(
            f"{'M' if j == 0 else 'L'}{x(i):.1f},{y(points[d]):.1f}"
            for j, (i, d) in enumerate((i, d) for i, d in enumerate(days) if points.get(d) is not None)
        )
        dash = ' stroke-dasharray="6 3"' if css == "total" else ""
        parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
    for n, (name, colour, _, css) in enumerate(lines):  # one legend entry a line, below the axis
        legend_y = HEIGHT - BOTTOM + 36 + 14 * (n // 2)
        legend_x = LEFT + (n % 2) * (plot_w // 2)
        dash = ' stroke-dasharray="6 3"' if css == "total" else ""
        parts.append(f'<line x1="{legend_x}" x2="{legend_x + 18}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
                     f'stroke="{colour}" stroke-width="2"{dash}/>')
        parts.append(f'<text x="{legend_x + 24}" y="{legend_y}" {FONT}>{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
