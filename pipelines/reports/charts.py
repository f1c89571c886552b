"""Static SVG charts drawn from report rows, with a title and a description for assistive technology."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from html import escape

from pipelines.reports.formatting import Formatter
from pipelines.reports.i18n import N_

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 64
# The chart's colours live here only: the SVG carries them as attributes, report.css styles none of its parts.
PALETTE = ("#1f4e79", "#c55a11", "#2e7d32", "#6a1b9a")  # contrast ≥ 4.5:1 on white
TOTAL_COLOUR = "#1a1a1a"
GRID_COLOUR = "#d0d4da"
TEXT_COLOUR = "#555"
ALL_FUNDS = N_("All funds")  # the fund chart's legend entry of the total
FONT = f'font-family="Inter, sans-serif" font-size="12" fill="{TEXT_COLOUR}"'


def _nice_step(span: Decimal) -> Decimal:
    raw = span / 4 if span > 0 else Decimal(1)
    magnitude = Decimal(10) ** raw.adjusted()
    for factor in (1, 2, 2.5, 5, 10):
        step = magnitude * Decimal(str(factor))
        if step >= raw:
            return step
    return magnitude * 10


# The phone's version of the fund chart: half as wide, so that its text stays legible when the SVG is scaled to a
# phone's width, with a label every other week and its legend one entry a line.
NARROW_WIDTH = 360


def fund_chart(rows: list[dict], title: str, description: str, fmt: Formatter, width: int = WIDTH,
               chart_id: str = "fund-chart") -> str:
    """Daily USD value of each fund and of all funds together (rows of public_insurance_fund_daily), its text in
    `fmt`'s language."""
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
    narrow = width < WIDTH
    columns = 1 if narrow else 2
    legend_rows = -(-(len(series) + 1) // columns)
    height = HEIGHT - BOTTOM + 36 + 14 * legend_rows + 6 if narrow else HEIGHT
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / max(len(days) - 1, 1))

    def y(v: Decimal) -> float:
        return TOP + plot_h * (1 - float(v / y_max)) if y_max else TOP + plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    tick = Decimal(0)
    while tick <= y_max:
        parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="{GRID_COLOUR}" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y(tick) + 4:.1f}" {FONT} text-anchor="end">'
                     f"{escape(fmt.compact_usd(tick))}</text>")
        tick += step
    for i, d in enumerate(days):
        if i % (14 if narrow else 7) == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" {FONT} text-anchor="middle">'
                         f"{escape(fmt.day_month(d))}</text>")
    lines = [(names[f], PALETTE[n % len(PALETTE)], series[f], "fund") for n, f in enumerate(sorted(series))]
    # lines with more than 4 funds would repeat colours; the legend still names each
    lines.append((fmt.gettext(ALL_FUNDS), TOTAL_COLOUR, totals, "total"))
    for _name, colour, points, css in lines:
        path = " ".join(
            f"{'M' if j == 0 else 'L'}{x(i):.1f},{y(points[d]):.1f}"
            for j, (i, d) in enumerate((i, d) for i, d in enumerate(days) if points.get(d) is not None)
        )
        dash = ' stroke-dasharray="6 3"' if css == "total" else ""
        parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
    for n, (name, colour, _, css) in enumerate(lines):  # one legend entry a line, below the axis
        legend_y = HEIGHT - BOTTOM + 36 + 14 * (n // columns)
        legend_x = (8 if narrow else LEFT) + (n % columns) * (plot_w // 2)
        dash = ' stroke-dasharray="6 3"' if css == "total" else ""
        parts.append(f'<line x1="{legend_x}" x2="{legend_x + 18}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
                     f'stroke="{colour}" stroke-width="2"{dash}/>')
        parts.append(f'<text x="{legend_x + 24}" y="{legend_y}" {FONT}>{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


# Daily status colours of the uptime bars (status-page convention), each ≥ 3:1 against white (WCAG 1.4.11).
IMPACT_COLOURS = {"major_outage": "#b3261e", "partial_outage": "#c55a11", "degraded_performance": "#8a6d00",
                  "operational": "#2e7d32", None: "#8c8f94"}
BAR_W, BAR_GAP, BAR_H = 6, 2, 34


def uptime_bar(service: dict, titles: list[str], chart_id: str) -> str:
    """One service's days as a row of bars, each with its day's status as a tooltip (`titles`, one a day)."""
    days = service["days"]
    width = len(days) * (BAR_W + BAR_GAP) - BAR_GAP
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {BAR_H}" class="uptime-bar" '
             f'role="img" aria-labelledby="{chart_id}" preserveAspectRatio="none">']
    for i, (day, title) in enumerate(zip(days, titles)):
        parts.append(f'<rect x="{i * (BAR_W + BAR_GAP)}" y="0" width="{BAR_W}" height="{BAR_H}" rx="1" '
                     f'fill="{IMPACT_COLOURS[day.worst_impact]}"><title>{escape(title)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


TREND_W, TREND_H = 360, 150
TREND_LEFT, TREND_RIGHT, TREND_TOP, TREND_BOTTOM = 76, 24, 10, 28


def trend_chart(months: list[str], values: list[Decimal | None], tick_label, chart_id: str, fmt: Formatter,
                floor: Decimal | None = None) -> str:
    """A month-by-month line with a dot per published value (a gap where none), from 0 (or `floor`) to a round
    top; `tick_label` displays an axis value. Its text alternative is the table the page prints beside it."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low = floor if floor is not None else Decimal(0)
    top = max(known + [low])
    step = _nice_step(top - low)
    y_max = low + ((top - low) / step).to_integral_value(rounding="ROUND_CEILING") * step if top > low else low + step
    plot_w, plot_h = TREND_W - TREND_LEFT - TREND_RIGHT, TREND_H - TREND_TOP - TREND_BOTTOM

    def x(i: int) -> float:
        return TREND_LEFT + plot_w * i / max(len(months) - 1, 1)

    def y(v: Decimal) -> float:
        return TREND_TOP + plot_h * (1 - float((v - low) / (y_max - low)))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {TREND_W} {TREND_H}" class="trend" role="img" '
             f'aria-labelledby="{chart_id}">']
    for tick in (low, y_max):
        parts.append(f'<line x1="{TREND_LEFT}" x2="{TREND_W - TREND_RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="{GRID_COLOUR}" stroke-width="1"/>')
        parts.append(f'<text x="{TREND_LEFT - 6}" y="{y(tick) + 4:.1f}" {FONT} text-anchor="end">'
                     f"{escape(tick_label(tick))}</text>")
    every = max(1, -(-len(months) // 3))  # at most three month labels, the newest month's among them
    for i in range(len(months) - 1, -1, -every):
        label = escape(fmt.short_month(months[i]))
        anchor = "end" if i == len(months) - 1 and i else "middle"  # the newest label ends at the last point
        parts.append(f'<text x="{x(i):.1f}" y="{TREND_H - 8}" {FONT} text-anchor="{anchor}">{label}</text>')
    path, pen = [], "M"
    for i, value in enumerate(values):
        if value is None:
            pen = "M"
            continue
        path.append(f"{pen}{x(i):.1f},{y(value):.1f}")
        pen = "L"
    parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    parts.extend(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{PALETTE[0]}"/>'
                 for i, v in enumerate(values) if v is not None)
    parts.append("</svg>")
    return "\n".join(parts)
