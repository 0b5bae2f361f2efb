"""Contrast of every SVG text against what is behind it, in the light and the dark theme (axe
cannot see SVG text), and of the keyboard focus ring (WCAG 1.4.11: 3:1)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

STATES = [
    "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7",
    "logits=2,1,0.5&target=0&mode=predict&guess=0.3,-0.3,0&probe=2&focus=0,1",
    "logits=2,1,0.5&target=0&compare=mse&pair=0,1&start=2,1,0.5&steps=20",
    "logits=2,1,0.5&target=0.7,0.2,0.1&temperature=2",
    "logits=1,0.5,0,-0.5&target=1",
    "logits=2,1&target=0&loss=bce&probe=0",
]

# WCAG relative luminance and contrast, on colours the browser has resolved to rgb(a).
CONTRASTS = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => v / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
                            return (x + 0.05) / (y + 0.05); };
  const backdrop = (el) => { for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.99)) return c.slice(0, 3); }
    return [255, 255, 255]; };
  const texts = "svg.chart text, svg.heatmap text, svg.graph text";
  return [...document.querySelectorAll(texts)].map((t) => {
    const style = getComputedStyle(t);
    const fill = rgb(style.fill);
    let behind = backdrop(t);
    if (t.classList.contains("cell-value")) {
      // A Jacobian cell's label sits on its cell, or on its own halo where it has one.
      const halo = rgb(style.stroke);
      const r = t.getBoundingClientRect();
      const cell = document.elementsFromPoint(r.x + r.width / 2, r.y + r.height / 2)
        .find((e) => e.classList && e.classList.contains("cells"));
      behind = halo.length >= 3 && parseFloat(style.strokeWidth) >= 2 ? halo
        : cell ? rgb(getComputedStyle(cell).fill) : behind;
    }
    return {text: t.textContent, cls: t.getAttribute("class"), ratio: ratio(fill, behind)};
  });
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/", "/embed"])
def test_every_svg_text_has_aa_contrast(
    browser: Browser, base_url: str, scheme: str, path: str
) -> None:
    context = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    low = []
    try:
        for state in STATES:
            theme = "" if path == "/" else "&theme=auto"
            page.goto(f"{base_url}{path}?{state}{theme}")
            for t in page.evaluate(CONTRASTS):
                if not t["ratio"] >= 4.5:  # NaN (an unresolved colour) fails too
                    low.append(f"{state}: {t['text']!r} ({t['cls']}) {t['ratio']:.2f}:1")
    finally:
        context.close()
    assert not low, f"{len(low)} texts below 4.5:1 ({scheme}, {path}):\n" + "\n".join(low[:30])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_focus_ring_stands_out(browser: Browser, base_url: str, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    try:
        page.goto(f"{base_url}/embed?logits=2,1&target=0&theme=auto")
        page.keyboard.press("Tab")
        ratio = page.evaluate(
            CONTRASTS.replace(
                "return [...document.querySelectorAll(texts)]",
                "const f = document.activeElement; return [f]",
            ).replace("const fill = rgb(style.fill);", "const fill = rgb(style.outlineColor);")
        )[0]["ratio"]
    finally:
        context.close()
    assert ratio >= 3.0, ratio
