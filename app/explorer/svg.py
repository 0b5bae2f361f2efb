"""The charts as SVG text: a bar chart, a line chart and the heatmap, drawn from their geometry.

The templates call these for every chart (`draw_bars`, `draw_lines`, `draw_heatmap`). They were
Jinja macros; as plain Python they draw a ten-class fragment's ~300 chart elements about four
times faster, and an edit's answer is mostly charts.

Nothing here is escaped: every value is a number or a label that the geometry modules made from
one (class names are escaped there), and the titles and descriptions are the templates' own
words. The output is Markup so the templates insert it as it is.
"""

from __future__ import annotations

from collections.abc import Container

from markupsafe import Markup

from app.explorer.charts import HEIGHT, BarChart
from app.explorer.display import px
from app.explorer.heatmap import Heatmap
from app.explorer.lines import LineChart


def _head(classes: str, width: object, height: object, name: str, title: str, desc: str) -> str:
    return (
        f'<svg class="{classes}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{name}-title {name}-desc">\n'
        f'<title id="{name}-title">{title}</title>\n<desc id="{name}-desc">{desc}</desc>\n'
    )


def draw_bars(
    chart: BarChart, name: str, title: str, description: str, focused: Container[int] = ()
) -> Markup:
    """Draw a bar chart: grid and ticks, waterfall steps, bars with their value labels, descent
    outlines and arrows, the zero line and the class labels; bars at `focused` are marked."""
    left, right = chart.left, chart.right
    out = [_head("chart", chart.width, chart.height, name, title, description)]
    for tick in chart.ticks:
        ty = px(tick.y)
        out.append(
            f'<line class="grid" x1="{left}" x2="{right}" y1="{ty}" y2="{ty}"/>'
            f'<text class="tick" x="{left - 6}" y="{px(tick.y + 4)}">{tick.label}</text>\n'
        )
    for x1, x2, cy in chart.connectors:
        out.append(
            f'<line class="connector" x1="{px(x1)}" x2="{px(x2)}" y1="{px(cy)}" y2="{px(cy)}"/>\n'
        )
    for i, bar in enumerate(chart.bars):
        sign = "negative" if bar.negative else "positive"
        focus = " focused" if i in focused else ""
        out.append(
            f'<rect class="bar {sign} {bar.kind}{focus}" x="{px(bar.x)}" y="{px(bar.y)}" '
            f'width="{px(bar.width)}" height="{px(bar.height)}"/>\n'
        )
        if bar.label:
            lx, ly = px(bar.label_x), px(bar.label_y)
            if bar.rotated:
                down = " down" if bar.below else ""
                out.append(
                    f'<text class="value up{down}" x="{lx}" y="{ly}" '
                    f'transform="rotate(-90 {lx} {ly})">{bar.label}</text>'
                )
            else:
                out.append(f'<text class="value" x="{lx}" y="{ly}">{bar.label}</text>')
    for g in chart.ghosts:
        out.append(
            f'<rect class="ghost {g.kind}" x="{px(g.x)}" y="{px(g.y)}" width="{px(g.width)}" '
            f'height="{px(g.height)}"/>\n'
        )
    for x, y1, y2 in chart.arrows:
        out.append(
            f'<line class="step-arrow" x1="{px(x)}" x2="{px(x)}" y1="{px(y1)}" y2="{px(y2)}"/>'
            f'<circle class="step-head" cx="{px(x)}" cy="{px(y2)}" r="3.5"/>\n'
        )
    zero = px(chart.zero_y)
    out.append(f'<line class="zero" x1="{left}" x2="{right}" y1="{zero}" y2="{zero}"/>\n')
    bottom = HEIGHT - 4  # the class labels; a key of the classes' names goes below them
    out += [
        f'<text class="label" x="{px(x)}" y="{bottom}">{label}</text>\n' for x, label in chart.slots
    ]
    out += [
        f'<text class="key-entry" x="{px(x)}" y="{px(y)}">{e}</text>\n' for x, y, e in chart.key
    ]
    out.append("</svg>\n")
    return Markup("".join(out))


def draw_lines(chart: LineChart, name: str, title: str, description: str) -> Markup:
    """Draw a line chart: grid and ticks, the t axis, the lines and dots clipped to the plot,
    the lines' end labels and the axis title."""
    left, right, top, bottom = px(chart.left), px(chart.right), px(chart.top), px(chart.bottom)
    out = [
        _head("chart lines", chart.width, chart.height, name, title, description),
        f'<clipPath id="{name}-clip"><rect x="{left}" y="{top}" '
        f'width="{px(chart.right - chart.left)}" height="{px(chart.bottom - chart.top)}"/>'
        "</clipPath>\n",
    ]
    tick_x = px(chart.left - 6)
    for tick in chart.y_ticks:
        y = px(tick.y)
        out.append(
            f'<line class="grid" x1="{left}" x2="{right}" y1="{y}" y2="{y}"/>'
            f'<text class="tick" x="{tick_x}" y="{px(tick.y + 4)}">{tick.label}</text>\n'
        )
    below = px(chart.bottom + 20)
    out += [
        f'<text class="label" x="{px(x)}" y="{below}">{label}</text>' for x, label in chart.x_ticks
    ]
    zero = px(chart.zero_x)
    out.append(
        f'<line class="zero-t" x1="{zero}" x2="{zero}" y1="{top}" y2="{bottom}"/>\n'
        f'<g clip-path="url(#{name}-clip)">\n'
    )
    out += [
        f'<polyline class="line {line.kind}" points="{line.points}"/>\n' for line in chart.lines
    ]
    out += [
        f'<circle class="dot {dot.kind}" cx="{px(dot.x)}" cy="{px(dot.y)}" '
        f'r="{4 if dot.kind == "here" else 3}"/>'
        for dot in chart.dots
    ]
    out.append("</g>\n")
    out += [
        f'<text class="end-label" x="{px(line.label_x)}" y="{px(line.label_y)}">{line.label}</text>'
        for line in chart.lines
        if line.label
    ]
    out.append(
        f'<text class="axis-title" x="{px((chart.left + chart.right) / 2)}" '
        f'y="{px(chart.height - 5)}">{chart.axis_label}</text>\n</svg>\n'
    )
    return Markup("".join(out))


def draw_heatmap(
    h: Heatmap, name: str, title: str, description: str, focus: tuple[int, int] | None = None
) -> Markup:
    """Draw the heatmap: row and column labels, the cells one path per colour, the diagonal's
    outline, the focused cell's frame and, on small grids, each cell's value."""
    out = [_head("heatmap", h.size, px(h.height), name, title, description)]
    row_x = px(h.offset - 6)
    out += [
        f'<text class="label row" x="{row_x}" y="{px(y + 4)}">{lb}</text>' for y, lb in h.row_labels
    ]
    column_y = px(h.top - 8)
    out += [
        f'<text class="label" x="{px(x)}" y="{column_y}">{lb}</text>' for x, lb in h.column_labels
    ]
    out += [f'<path class="cells" fill="{fill}" d="{d}"/>\n' for fill, d in h.layers]
    out.append(f'<path class="diagonal" d="{h.diagonal}"/>\n')
    if focus:
        x, y = h.at(*focus)
        side = px(h.cell - 3)
        out.append(
            f'<rect class="focus-cell" x="{px(x + 1.5)}" y="{px(y + 1.5)}" width="{side}" '
            f'height="{side}"/>'
        )
    if h.show_values:
        out += [
            f'<text class="cell-value{" on-dark" if c.dark else ""}" x="{px(c.x + c.size / 2)}" '
            f'y="{px(c.y + c.size / 2 + 4)}">{c.label}</text>\n'
            for c in h.cells
        ]
    out.append("  </svg>")
    return Markup("".join(out))
