"""Every label of every chart inside its chart, and no two labels of one chart on each other,
measured in the browser over a corpus of extreme states, at desktop and phone width."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser

CORPUS = [
    "logits=2,1&target=0",
    "logits=35,1&target=0",
    "logits=7.7,1&target=0",
    "logits=37.43,0&target=0",
    "logits=1000,-1000&target=1",
    "logits=1e-9,-1e-9&target=0",
    "logits=123,456,789&target=2",
    "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7",
    "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1",
    "logits=2,1,0.5&target=0.7,0.2,0.1",
    "logits=2,1&target=0&temperature=0.0001",
    "logits=2,1&target=0&temperature=10000",
    "logits=999999,-999999&target=0",
    "logits=2,1,0.5&target=0&temperature=2&label_smoothing=0.1&weights=2,1,1",
    "logits=5,5,5,5,5,5,5,5,5,5&target=9&weights=1000000,1,1,1,1,1,1,1,1,1&reduction=sum",
    "logits=-4,4&target=0&loss=mse&reduction=sum&probe=0",
    "logits=40,-40,3&target=1&loss=bce&temperature=0.01&start=40,-40,3&steps=5",
    "logits=2,1,0.5&target=0.7,0.2,0.1&loss=mse&compare=bce",
    "logits=3,1,0.2,-1,2.5,0,-2,1.5,0.7,-0.3&target=4&loss=mse&j=9",  # tiny waterfall terms
    "logits=2,1,0.5,0,-1,-2&target=0",  # the largest map with values: −0.00569 in 47 units
    "logits=2,1,0.5,0.2,-1&target=0"
    "&names=Hippopotamus,Giraffe%20calf,Zebra,Hippopotamus%20ii,Giraffe%20calves",
]

# For every chart: the viewBox, and each <text>'s box in the chart's own coordinates.
MEASURE = """() => [...document.querySelectorAll("svg.chart, svg.heatmap, svg.graph")]
  .map((svg) => {
  const [x, y, w, h] = svg.getAttribute("viewBox").split(/\\s+/).map(Number);
  const ctm = svg.getScreenCTM().inverse();
  const texts = [...svg.querySelectorAll("text")].map((t) => {
    const r = t.getBoundingClientRect();
    const a = new DOMPoint(r.left, r.top).matrixTransform(ctm);
    const b = new DOMPoint(r.right, r.bottom).matrixTransform(ctm);
    return {text: t.textContent, cls: t.getAttribute("class"),
            x1: Math.min(a.x, b.x), y1: Math.min(a.y, b.y),
            x2: Math.max(a.x, b.x), y2: Math.max(a.y, b.y)};
  });
  return {id: svg.closest("section") && svg.closest("section").id, box: {x, y, w, h}, texts};
})"""

SLACK = 0.5  # in viewBox units: anti-aliasing


def outside(chart: dict[str, Any]) -> list[str]:
    box = chart["box"]
    return [
        f"{t['text']!r} ({t['cls']}) at x {t['x1']:.1f}..{t['x2']:.1f}, "
        f"y {t['y1']:.1f}..{t['y2']:.1f}"
        for t in chart["texts"]
        if t["x1"] < box["x"] - SLACK
        or t["y1"] < box["y"] - SLACK
        or t["x2"] > box["x"] + box["w"] + SLACK
        or t["y2"] > box["y"] + box["h"] + SLACK
    ]


def overlapping(chart: dict[str, Any]) -> list[str]:
    texts = [t for t in chart["texts"] if t["text"].strip()]
    found = []
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            dx = min(a["x2"], b["x2"]) - max(a["x1"], b["x1"])
            dy = min(a["y2"], b["y2"]) - max(a["y1"], b["y1"])
            if dx > -2.0 and dy > 1.0:  # side by side with less than 2 units between: run together
                found.append(f"{a['text']!r} and {b['text']!r}")
    return found


@pytest.mark.parametrize("width", [1280, 1024, 375])
def test_every_label_inside_its_chart_and_none_on_another(
    browser: Browser, base_url: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = []
    try:
        for query in CORPUS:
            page.goto(f"{base_url}/?{query}")
            for chart in page.evaluate(MEASURE):
                for text in outside(chart):
                    problems.append(f"{query} [{chart['id']}]: outside: {text}")
                for pair in overlapping(chart):
                    problems.append(f"{query} [{chart['id']}]: overlap: {pair}")
    finally:
        context.close()
    assert not problems, f"{len(problems)} problems at {width} px:\n" + "\n".join(problems[:40])


def _instruments(query: str) -> str:
    """The corpus state with every instrument on: a prediction revealed (all zeros), the last
    logit nudged and the path from the last output into Z1."""
    n = len(query.split("&")[0].removeprefix("logits=").split(","))
    guess = ",".join(["0"] * n)
    last = n - 1
    start = query.split("&")[0].removeprefix("logits=")
    instruments = f"probe={last}&focus={last},0&compare=mse&pair=0,{last}&start={start}&steps=7"
    return f"{query}&mode=predict&guess={guess}&{instruments}"


@pytest.mark.parametrize("width", [1280, 375])
def test_the_instruments_labels_stay_inside_their_charts(
    browser: Browser, base_url: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = []
    try:
        for query in CORPUS:
            page.goto(f"{base_url}/?{_instruments(query)}")
            for chart in page.evaluate(MEASURE):
                if chart["id"] not in (
                    "panel-predict",
                    "panel-nudge",
                    "panel-path",
                    "panel-compare",
                ):
                    continue
                for text in outside(chart):
                    problems.append(f"{query} [{chart['id']}]: outside: {text}")
                for pair in overlapping(chart):
                    problems.append(f"{query} [{chart['id']}]: overlap: {pair}")
    finally:
        context.close()
    assert not problems, f"{len(problems)} problems at {width} px:\n" + "\n".join(problems[:40])


NAMED = [  # an instructor's long class names, cut to fit under their bars
    "/embed?logits=3,1,0.2,-1,2.5,0,-2,1.5,0.7,-0.3&target=4&controls=logits&j=9"
    "&names="
    + ",".join(f"MMMMMMMMMMMMMMM{k}" for k in range(10))
    + "&panels=probs&panels=grad&panels=chain&panels=jacobian",
    "/embed?logits=2,1,0.5&target=0&controls=all"
    "&names=WWWWWWWWWWWWWWWW,Canis%20familiaris,Passeriformes%20sp",
    # the explorer with every instrument: the line charts' end labels ran off their right edge
    "/?logits=2,1,0.5&target=0&names=WWWWWWWWWWWWWWWW,Canis%20familiaris,Passeriformes%20sp"
    "&probe=1&focus=2,0&compare=mse&start=2,1,0.5&steps=3",
    "/?logits=2,1,0.5&target=0&names=Elephant%20seal,Giraffe%20calf,Hippopotamus",
    # names too long for ten bars: numbered bars and a key of the names below each chart
    "/embed?logits=3,-1,2.5,0,1,-2,0.5,4,-3.25,1.5&target=7&controls=none&j=1"
    "&names=Staffordshire,Golden%20retriever,Labrador,German%20shepherd,Border%20collie,"
    "Siberian%20husky,Cocker%20spaniel,Dachshund,Rottweiler,Chihuahua"
    "&panels=logits,probs,grad,chain,jacobian",
    # two classes: the loss map's axis names ran off the left edge
    "/?logits=2,1&target=0&names=WWWWWWWWWWWWWWWW,Canis%20familiaris",
]


@pytest.mark.parametrize("width", [1280, 375])
def test_long_class_names_are_cut_to_fit_and_never_run_together(
    browser: Browser, base_url: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = []
    try:
        for path in NAMED:
            page.goto(base_url + path)
            # nothing wider than the screen: a legend of long names scrolled the whole page
            spill = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            if spill > 0:
                problems.append(f"{path[:40]}: the page scrolls sideways by {spill} px")
            for chart in page.evaluate(MEASURE):
                for text in outside(chart):
                    problems.append(f"{path[:40]} [{chart['id']}]: outside: {text}")
                for pair in overlapping(chart):
                    problems.append(f"{path[:40]} [{chart['id']}]: overlap: {pair}")
    finally:
        context.close()
    assert not problems, f"{len(problems)} problems at {width} px:\n" + "\n".join(problems[:40])
