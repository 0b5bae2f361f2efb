"""A figure as a standalone SVG (and from it a PNG), for slides and handouts.

The charts are the page's own: the panels are rendered by the page's templates from the page's
view models, and their `<svg>` elements are lifted out of that HTML, so an export can never
draw a second, different chart. What the page's stylesheet does to them is inlined as a
`<style>` with the theme's colours written out (the page's `light-dark()` colours and CSS
variables do not travel), with fonts that degrade to any sans-serif.
"""

from __future__ import annotations

import hashlib
import html
import re
from functools import cache

from app.explorer.scales import text_width
from app.web.templates import STATIC_DIR

THEMES = ("light", "dark")
FONTS = '"DejaVu Sans", Verdana, "Segoe UI", Arial, sans-serif'
PAD = 16
HEADING = 22  # a panel heading's line
CAPTION = 12.5  # a chart's own heading's size
GAP = 14  # between one chart and the next
# Selectors that style the charts' SVG content (not the page around them).
_SVG_SELECTOR = re.compile(
    r"\.(chart|heatmap|graph|lines|bar|zero|grid|connector|ghost|step-arrow|step-head|"
    r"hatch-ground|map|cells|frame|diagonal|cell-value|focus-cell|edge|node|dot|line|"
    r"end-label|key-entry|axis-title|zero-t|tick|value|label|shift|descent|descent-head|point)\b"
)
_LEGEND_KEY = re.compile(r"\.key(?![\w-])")  # the HTML legends' swatches, not .key-entry
_LAYOUT = re.compile(r"^\s*(width|max-width|height|display|margin|outline|cursor)\s*:")
_SECTION = re.compile(r'<section class="panel[^"]*" id="panel-(\w+)".*?</section>', re.S)
_HEADING = re.compile(r"<h2[^>]*>(.*?)</h2>", re.S)
# A chart's own heading inside a panel (the compare panel's "Cross-entropy: …" and
# "Squared error: …" over its two charts), or a chart.
_CAPTIONED = re.compile(r"<h3[^>]*>(.*?)</h3>|(<svg\b[^>]*>.*?</svg>)", re.S)
_LEGEND = re.compile(r'<p class="legend">.*?</p>', re.S)
_KEYS = re.compile(r'<span><span class="key (\w+)"[^>]*></span>(.*?)</span>', re.S)
_VIEWBOX = re.compile(r'viewBox="0 0 ([\d.]+) ([\d.]+)"')


@cache
def palette(theme: str) -> dict[str, str]:
    """Return the stylesheet's colour variables for a theme: `--ink` → `#1d2433`."""
    css = (STATIC_DIR / "css" / "dedz.css").read_text(encoding="utf-8")
    side = THEMES.index(theme)
    colours = {}
    for name, light, dark in re.findall(r"--([\w-]+):\s*light-dark\(([^,]+),\s*([^)]+)\)", css):
        colours[name] = (light, dark)[side].strip()
    return colours


@cache
def stylesheet(theme: str) -> str:
    """Return the page's chart rules with the theme's colours written out."""
    css = (STATIC_DIR / "css" / "dedz.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)  # print and motion
    colours = palette(theme)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        chosen = [
            s.strip()
            for s in selectors.split(",")
            if _SVG_SELECTOR.search(s) and ":" not in s and not _LEGEND_KEY.search(s)
        ]
        if not chosen:
            continue
        declarations = [d.strip() for d in body.split(";") if d.strip() and not _LAYOUT.match(d)]
        text = "; ".join(declarations)
        text = re.sub(r"var\(--([\w-]+)\)", lambda m: colours[m.group(1)], text)
        if text:
            rules.append(f"{', '.join(chosen)} {{ {text} }}")
    rules.append(f"text {{ font-family: {FONTS}; }}")
    return "\n".join(rules)


def _patterns(theme: str, prefix: str) -> str:
    """The hatch patterns the O-beside-Y and chain charts fill with (the page defines them once)."""
    colours = palette(theme)
    ground = colours["paper"]
    return "".join(
        f'<pattern id="{prefix}-hatch-{name}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{ground}"/>'
        f'<rect width="3" height="6" fill="{colours[colour]}"/></pattern>'
        for name, colour in (("target", "target"), ("cross", "cross"))
    )


def _text(fragment: str) -> str:
    """Return an HTML fragment's text: tags dropped, entities kept escaped for SVG."""
    words = re.sub(  # Z<sub>2</sub> → Z2, Z<sub>cat</sub> → Z_cat
        r"<sub>(.*?)</sub>",
        lambda m: m.group(1) if m.group(1).isdigit() else f"_{m.group(1)}",
        fragment,
    )
    words = re.sub(r"<[^>]+>", "", words)
    return html.escape(html.unescape(re.sub(r"\s+", " ", words).strip()), quote=False)


# panel, heading, (caption, SVG) of each chart, legend
Chart = tuple[str, str, list[tuple[str, str]], list[tuple[str, str]]]


def _captioned(section: str) -> list[tuple[str, str]]:
    """Return each chart's SVG in a panel with the heading right above it ("" if none)."""
    charts, caption = [], ""
    for heading, svg in _CAPTIONED.findall(section):
        if svg:
            charts.append((caption, svg))
            caption = ""
        else:
            caption = _text(heading)
    return charts


def charts_of(panels_html: str) -> list[Chart]:
    """Return (panel name, heading, its charts' (caption, SVG), its legend's (swatch, words))
    for each panel of rendered HTML."""
    found = []
    for match in _SECTION.finditer(panels_html):
        section = match.group(0)
        heading = _HEADING.search(section)
        svgs = _captioned(section)
        legend = _LEGEND.search(section)
        keys = (
            [(kind, _text(words)) for kind, words in _KEYS.findall(legend.group(0))]
            if legend
            else []
        )
        if svgs:
            found.append((match.group(1), _text(heading.group(1)) if heading else "", svgs, keys))
    return found


# A legend's swatch, as the page's .key classes draw it: a colour, or a hatch of one.
_SWATCHES = {
    "first": "prob",
    "second": "hatch-target",
    "direct": "direct",
    "cross": "hatch-cross",
    "total": "total",
}
# A legend's line, as the page's .key.curve/.tangent/.chord draw it: a colour and a dash.
_LINES = {"curve": ("ink", ""), "tangent": ("accent", "6 3"), "chord": ("positive", "2 3")}
LEGEND_SIZE, LEGEND_LINE = 12, 18


def _legend(
    keys: list[tuple[str, str]], y: float, width: float, colours: dict[str, str]
) -> tuple[list[str], float]:
    """Draw a panel's legend as the page shows it above its chart (a swatch or a line, then
    its words), wrapped to the figure's width: slides lost what solid and hatched bars, and
    the nudge's dashed and dotted lines, meant."""
    out, x, line = [], float(PAD), 0
    for kind, words in keys:
        swatch, stroke = _SWATCHES.get(kind), _LINES.get(kind)
        if swatch is None and stroke is None:
            continue
        key_width = 12 if stroke is None else 22
        room = key_width + 6 + text_width(html.unescape(words), LEGEND_SIZE) + 14
        if x > PAD and x + room > width - PAD:
            x, line = float(PAD), line + 1
        top = y + line * LEGEND_LINE
        if stroke is not None:
            colour, dash = stroke
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line class="legend-line" x1="{x:.1f}" y1="{top + 7:.1f}" '
                f'x2="{x + key_width:.1f}" y2="{top + 7:.1f}" stroke="{colours[colour]}" '
                f'stroke-width="3"{dashes}/>'
            )
        else:
            assert swatch is not None
            fill = f"url(#FIGURE-{swatch})" if swatch.startswith("hatch") else colours[swatch]
            out.append(
                f'<rect x="{x:.1f}" y="{top + 1:.1f}" width="12" height="12" rx="2" '
                f'fill="{fill}" stroke="{colours["ink"]}"/>'
            )
        out.append(
            f'<text class="legend-text" x="{x + key_width + 6:.1f}" y="{top + 11:.1f}">'
            f"{words}</text>"
        )
        x += room
    return out, (line + 1) * LEGEND_LINE if out else 0.0


BOLD = 1.08  # a bold face's advance widths, of the regular face's


def _wrapped(text: str, room: float, size: float) -> list[str]:
    """Break text at spaces into lines that each fit `room` units in bold at `size`."""
    lines: list[str] = []
    for word in text.split(" "):
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(html.unescape(joined), size) * BOLD <= room:
            lines[-1] = joined
        else:
            lines.append(word)
    return lines or [""]


def standalone(charts: list[Chart], theme: str, title: str, description: str) -> str:
    """Stack the charts, each panel under its heading, in one standalone SVG document."""
    colours = palette(theme)
    boxes = [_VIEWBOX.search(svg) for _, _, svgs, _ in charts for _, svg in svgs]
    width = max((float(box.group(1)) for box in boxes if box), default=320.0)
    width = max(width, 320.0) + 2 * PAD
    # The figure's title, wrapped to the width as the headings are; "Y1 = 1" stays whole on
    # its line (a title broke before a lone "1")
    lines = _wrapped(title.replace(" = ", "\u00a0=\u00a0"), width - 2 * PAD, 15)
    body = [
        f'<text class="figure-title" x="{PAD}" y="{PAD + 14 + 19 * k}">'
        f"{html.escape(line, quote=False)}</text>"
        for k, line in enumerate(lines)
    ]
    y = PAD + 19.0 * len(lines) + 6
    for _, heading, svgs, keys in charts:
        y += 8
        # wrapped to the figure's width: a heading with a class name ran off the right edge
        # ("j = German Pinsche")
        for line in _wrapped(heading, width - 2 * PAD, 13.5):
            body.append(f'<text class="panel-title" x="{PAD}" y="{y + 15:.1f}">{line}</text>')
            y += HEADING - 4
        y += 4
        legend, tall = _legend(keys, y, width, colours)
        body += legend
        y += tall
        for caption, svg in svgs:
            for line in _wrapped(caption, width - 2 * PAD, CAPTION) if caption else []:
                body.append(f'<text class="chart-title" x="{PAD}" y="{y + 13:.1f}">{line}</text>')
                y += CAPTION + 6
            box = _VIEWBOX.search(svg)
            assert box is not None
            w, h = float(box.group(1)), float(box.group(2))
            x = (width - w) / 2
            inner = re.sub(
                r"^<svg\b", f'<svg x="{x:.1f}" y="{y:.1f}" width="{w:g}" height="{h:g}"', svg
            )
            inner = re.sub(r' role="img"| aria-labelledby="[^"]*"| tabindex="[^"]*"', "", inner)
            # the halo under the Jacobian's labels: as an attribute, which every renderer reads
            inner = inner.replace(
                '<text class="cell-value', '<text paint-order="stroke" class="cell-value'
            )
            body.append(inner)
            y += h + GAP
    height = y + PAD
    content = "\n".join(body)
    # Every rule is scoped to this figure's own id, so that a light and a dark export inlined
    # in one page do not restyle each other.
    fid = "dedz-" + hashlib.sha1(f"{theme}{content}".encode()).hexdigest()[:10]
    rules = (
        f"{stylesheet(theme)}\n"
        f".figure-title {{ font-size: 15px; font-weight: 700; fill: {colours['ink']}; }}\n"
        f".panel-title {{ font-size: 13.5px; font-weight: 700; fill: {colours['ink']}; }}\n"
        f".chart-title {{ font-size: {CAPTION}px; font-weight: 700; fill: {colours['ink']}; }}\n"
        f".legend-text {{ font-size: {LEGEND_SIZE}px; fill: {colours['ink']}; }}"
    )
    scoped = re.sub(
        r"^([^{]+)\{",
        lambda m: ", ".join(f"#{fid} {sel.strip()}" for sel in m.group(1).split(",")) + " {",
        rules,
        flags=re.M,
    ).replace("url(#hatch-", f"url(#{fid}-hatch-")
    content = content.replace("url(#FIGURE-hatch-", f"url(#{fid}-hatch-")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width:g}" height="{height:.0f}" viewBox="0 0 {width:g} {height:.0f}" '
        f'id="{fid}" role="img" aria-labelledby="{fid}-title {fid}-desc">\n'
        f'<title id="{fid}-title">{html.escape(title, quote=False)}</title>\n'
        f'<desc id="{fid}-desc">{html.escape(description, quote=False)}</desc>\n'
        f"<defs>{_patterns(theme, fid)}</defs>\n"
        f"<style>\n{scoped}\n</style>\n"
        f'<rect width="100%" height="100%" fill="{colours["paper"]}"/>\n' + content + "\n</svg>\n"
    )
