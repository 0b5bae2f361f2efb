"""Printing: the panels only, in dark ink on paper (dark embeds too), no chart split."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

PAGES = [  # (page, most A4 sheets it may print on; it printed on 5 to 10 before)
    ("/?logits=2,1&target=0", 3),  # with the two-class bridge, shown for two classes
    ("/?logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7", 3),
    ("/embed?logits=2,1,0&target=0&theme=dark", 2),
    # every instrument: tall panels continue on the next sheet between their charts (whole
    # panels left half a sheet blank before each of them: 6 sheets)
    ("/?logits=2,1,0.1&target=0&compare=mse&probe=1&start=2,1,0.1&steps=4&focus=1,0", 5),
]


@pytest.mark.parametrize(("path", "most"), PAGES)
def test_print_shows_the_panels_only_in_ink_on_paper(
    browser: Browser, base_url: str, path: str, most: int
) -> None:
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(base_url + path)
        page.emulate_media(media="print")
        hidden = page.evaluate(
            """() => ["#controls", "#panel-share", ".site-header", "button", "input"]
                 .flatMap((s) => [...document.querySelectorAll(s)])
                 .filter((e) => e.getBoundingClientRect().height > 0)
                 .map((e) => e.id || e.tagName)"""
        )
        assert hidden == [], hidden
        ink = page.evaluate(
            """() => [...document.querySelectorAll(".panel h2, .chart text")].map((e) =>
                 getComputedStyle(e)[e.tagName === "text" ? "fill" : "color"])"""
        )
        for colour in ink:
            r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
            assert r + g + b < 3 * 128, f"light ink {colour} on paper"
        pdf = page.pdf(format="A4", print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert 1 <= pages <= most, f"{pages} pages"
    finally:
        context.close()


def test_a_printout_says_the_settings_its_numbers_come_from(
    browser: Browser, base_url: str
) -> None:
    """The controls are not printed: the settings behind the numbers are, after edits too."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?logits=2,1,0.5&target=0&temperature=2&weights=2,1,1")
        page.locator("#z-0").fill("3")
        line = page.locator(".settings-line")
        expect(line).to_have_text(
            "Z = (3, 1, 0.5); Y1 = 1; T = 2; weights w = (2, 1, 1).", timeout=5_000
        )
        expect(line).to_be_hidden()  # on screen the controls say it
        page.emulate_media(media="print")
        expect(line).to_be_visible()
        expect(page.locator(".lede .screen-only")).to_be_hidden()
    finally:
        context.close()


NAMES = ",".join(f"MMMMMMMMMMMMMMM{k}" for k in range(10))  # an instructor's long names


# Ten-class Jacobians of −3.692×10⁻¹¹s: the widest cells a state can have (806 px, cut on A4).
POWERS = "logits=9,1,-3,0.5,2,3,-7,4,0,1&target=0"


# A4 at 96 dpi, A4 within Chrome's default margins, and a wide window printing
@pytest.mark.parametrize("width", [718, 794, 1280])
@pytest.mark.parametrize(
    "path",
    [
        "/?logits=3,-1,2.5,0,1,-2,0.5,4,-3.25,1.5&target=7",
        f"/embed?logits=3,-1,2.5,0,1,-2,0.5,4,-3.25,1.5&target=7&names={NAMES}&controls=logits"
        "&panels=chain&panels=jacobian",
        f"/?{POWERS}",
        f"/embed?{POWERS}&names={NAMES}&panels=probs,grad,chain,jacobian,loss",
    ],
)
def test_printed_tables_are_whole(browser: Browser, base_url: str, width: int, path: str) -> None:
    """On paper nothing scrolls: every table (the 10 × 10 Jacobian's too, and with long class
    names) fits its panel rather than being cut at the panel's edge."""
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    try:
        page.goto(base_url + path)
        page.emulate_media(media="print")
        cut = page.evaluate(
            """() => [...document.querySelectorAll(".panel .table-scroll")]
                 .filter((e) => e.checkVisibility())  // not in a closed <details>
                 .filter((e) => e.scrollWidth > e.clientWidth + 1
                           || e.getBoundingClientRect().right >
                              e.closest(".panel").getBoundingClientRect().right + 1)
                 .map((e) => `${e.closest(".panel").id}: ${e.scrollWidth} > ${e.clientWidth}`)"""
        )
        assert cut == [], cut
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_on_screen_a_power_of_ten_stays_beside_its_mantissa(
    browser: Browser, base_url: str, width: int
) -> None:
    """The break that lets a printed table fit its sheet is for paper only: on screen, where a
    table scrolls, −3.89×10⁻⁶ stays on one line (chromium breaks at a <wbr> despite nowrap)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?{POWERS}")
        heights = page.evaluate(
            """() => [...document.querySelectorAll("#panel-jacobian td, #panel-chain td")]
                 .map((td) => { const r = document.createRange(); r.selectNodeContents(td);
                                return [td.textContent.includes("×"),
                                        r.getBoundingClientRect().height]; })"""
        )
        plain = max(h for powered, h in heights if not powered)
        powered = [h for powered, h in heights if powered]
        assert powered, "no cell with a power of ten"
        assert max(powered) < 1.3 * plain, (max(powered), plain)
    finally:
        context.close()


@pytest.mark.parametrize(
    "path", ["/?logits=2,1,0.1&target=0&compare=mse&probe=1&start=2,1,0.1&steps=4", "/embed"]
)
def test_no_chart_table_or_formula_is_split_across_sheets(
    browser: Browser, base_url: str, path: str
) -> None:
    """A panel may go on over a page break, but not through a chart, a table or a formula, and
    no heading is left at the foot of a sheet."""
    page = browser.new_page()
    try:
        page.goto(base_url + path)
        page.emulate_media(media="print")
        breakable = page.evaluate(
            """() => [...document.querySelectorAll(".panel svg, .panel table, .panel math")]
                 .filter((e) => e.checkVisibility() && !e.parentElement.closest("svg"))
                 .filter((e) => getComputedStyle(e).breakInside !== "avoid")
                 .map((e) => `${e.closest(".panel").id} ${e.tagName}`)"""
        )
        assert breakable == [], breakable
        loose = page.evaluate(
            """() => [...document.querySelectorAll(".panel h2, .panel h3")]
                 .filter((e) => getComputedStyle(e).breakAfter !== "avoid")
                 .map((e) => e.textContent.slice(0, 40))"""
        )
        assert loose == [], loose
        tall = ("panel-descent", "panel-nudge", "panel-derive", "panel-compare")
        split = page.evaluate(
            """(tall) => [...document.querySelectorAll(".panel")]
                 .filter((e) => !tall.includes(e.id) && e.checkVisibility())
                 .filter((e) => getComputedStyle(e).breakInside !== "avoid")
                 .map((e) => e.id)""",
            list(tall),
        )
        assert split == [], f"{split}: only the tall instruments may go on over a page break"
    finally:
        page.close()


WIDE = "WWWWWWWWWWWWWWW"  # the widest letters, as an instructor's class names


@pytest.mark.parametrize("media", ["print", "screen"])
@pytest.mark.parametrize(
    "state",
    [
        "logits=2,1,0.1&target=0&j=1",
        "logits=2,1,0.1&target=0&j=1&temperature=2&label_smoothing=0.1&weights=2,1,1",
        "logits=2,1,0.1&target=0&j=1&loss=mse",
        "logits=2,1,0.1&target=0&j=1&loss=bce&temperature=2",
    ],
)
def test_formulas_fit_their_panel_with_long_class_names(
    browser: Browser, base_url: str, state: str, media: str
) -> None:
    """A formula cannot wrap inside a subscript and paper cannot scroll: with long names the
    gradient's formula said ∂E/∂Z_WWWW… = O_WWWW… − … and was cut at the panel's edge."""
    names = ",".join(f"{WIDE}{k}" for k in range(3))
    context = browser.new_context(viewport={"width": 794, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{base_url}/embed?{state}&names={names}&panels=loss,chain")
        page.emulate_media(media=media)
        cut = page.evaluate(
            """() => [...document.querySelectorAll(".panel math")]
                 .filter((m) => m.scrollWidth > m.clientWidth + 1)
                 .map((m) => `${m.closest(".panel").id}: ${m.scrollWidth} > ${m.clientWidth}`)"""
        )
        assert cut == [], cut
        heading = page.locator("#panel-loss h3").last
        expect(heading).to_contain_text(f"j = {WIDE}1")  # which class j is, in full
    finally:
        context.close()


def test_paper_shows_no_focus_ring_and_the_bridge_explanation_open(
    browser: Browser, base_url: str
) -> None:
    """A focused heading printed inside its focus ring, and the two-class bridge printed its
    closed summary ("▶ The same as one-output logistic regression") without the text."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?logits=2,1&target=0")
        page.locator("#panel-binary h2").evaluate("(h) => { h.tabIndex = -1; h.focus(); }")
        page.emulate_media(media="print")
        outline = page.locator("#panel-binary h2").evaluate(
            "(h) => getComputedStyle(h).outlineStyle"
        )
        assert outline == "none"
        explanation = page.locator("details.logistic > :not(summary)").first
        assert explanation.evaluate("(e) => e.checkVisibility()")
        assert explanation.evaluate("(e) => e.getBoundingClientRect().height") > 10
        marker = page.locator("details.logistic > summary").evaluate(
            "(s) => getComputedStyle(s).listStyleType"
        )
        assert marker == "none"
    finally:
        context.close()


@pytest.mark.parametrize(("mode", "shown"), [("predict", "input"), ("predict&ask=sign", "span")])
def test_a_predict_worksheet_prints_a_box_to_answer_in_for_each_class(
    browser: Browser, base_url: str, mode: str, shown: str
) -> None:
    """Printed, predict first was a question with nowhere to write the answer (the form was
    hidden with the other controls); now each class has its box, or the choices to circle."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?logits=2,1,0.5&target=0&mode={mode}")
        page.emulate_media(media="print")
        boxes = page.evaluate(
            """(shown) => [...document.querySelectorAll(".predict-form .guess")].map((g) => {
                 const box = shown === "input" ? g.querySelector("input")
                                               : g.querySelector(".print-only");
                 const r = box.getBoundingClientRect();
                 // room to write "−0.2689" by hand (the screen's 7-character field was 90 px)
                 const wide = shown === "input" ? r.width >= 130 && r.height >= 30 : r.width > 20;
                 return [wide && r.height > 10, getComputedStyle(box).borderTopStyle];
               })""",
            shown,
        )
        assert len(boxes) == 3
        assert all(visible for visible, _ in boxes), boxes
        if shown == "input":
            assert {border for _, border in boxes} == {"solid"}
        why = page.locator(".predict-form textarea").bounding_box()
        assert why
        assert why["height"] > 40
        assert not page.locator(".predict-form button").is_visible()
        assert not page.get_by_text("never stored by dEdZ").is_visible()
        pdf = page.pdf(format="A4")
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 3
    finally:
        context.close()
