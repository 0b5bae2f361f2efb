"""The explorer page in real Chromium: live updates, URL state, no-JS path, CDN/SRI, a11y, layout.

Every wait is on a condition (`expect`, `wait_for_url`, `wait_for_function`), never a fixed
sleep. Numbers the page shows are checked against `GET /gradient` for the same state, formatted
at the precision the page displays them with.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, Request, Route, expect

from app.web.assets import HTMX_CDN_URL, HTMX_LOCAL_PATH, HTMX_SRI
from tests.browser.conftest import ROOT, VIEWPORT, axe_violations, format_violations

MINUS = "\u2212"
SEED_QUERY = "logits=2,1&target=0"
SEED_SUMMARY = "E = 0.3133; dE/dZ = (−0.269, 0.269); dE/dZ2 = 0.269"
SEED_SENTENCE = (
    "dE/dZ2 = O2 = 0.27, not O1 − 1 = −0.27: the i = 1 term carries it, because O1 depends on "
    "Z2 through the softmax's shared denominator."
)
PANEL_IDS = (
    "panel-logits",
    "panel-probs",
    "panel-grad",
    "panel-loss",
    "panel-chain",
    "panel-jacobian",
)
# Ten classes with soft labels: the widest state the explorer draws.
TEN_LOGITS = "3,-1,2.5,0,1,-2,0.5,4,-3,1.5"
TEN_TARGET = "0.3,0.2,0.1,0.1,0.1,0.05,0.05,0.05,0.03,0.02"
TEN_SOFT_QUERY = f"logits={TEN_LOGITS}&target={TEN_TARGET}"
# Four classes, soft labels, temperature 2 (j is chosen in the test).
FOUR_SOFT_QUERY = "logits=1,2,3,0.5&target=0.1,0.2,0.3,0.4&temperature=2"

HTMX_BYTES_PATH = ROOT / HTMX_LOCAL_PATH
FAST = 3_000  # ms: the longest any update of this page may take to show


# ----------------------------------------------------------------------------- helpers


def shown(value: float, digits: int) -> str:
    """Format a number as the page does: `digits` significant digits and a real minus sign."""
    assert value == 0 or 1e-4 <= abs(value) < 1e5, f"{value} is outside the plain-notation range"
    return "0" if value == 0 else f"{value:.{digits}g}".replace("-", MINUS)


def summary_for(result: Mapping[str, Any], j: int = 1) -> str:
    """Return the `#live-summary` text the page must show for a `/gradient` result."""
    grad = result["grad_logits"]
    return (
        f"E = {shown(result['loss'], 4)}; dE/dZ = ("
        + ", ".join(shown(g, 3) for g in grad)
        + f"); dE/dZ{j + 1} = {shown(grad[j], 3)}"
    )


def gradient(page: Page, base_url: str, query: str) -> dict[str, Any]:
    """GET /gradient?query with the page's own request context; return the JSON."""
    response = page.request.get(f"{base_url}/gradient?{query}")
    assert response.status == 200, response.text()
    body: dict[str, Any] = response.json()
    return body


def expect_cells(page: Page, panel: str, values: list[str], row: int = 0) -> None:
    """Wait until row `row` of the values table in `#panel-<panel>` holds exactly `values`."""
    expect(page.locator(f"#panel-{panel} table tbody tr").nth(row).locator("td")).to_have_text(
        values, timeout=FAST
    )


def logit_inputs(page: Page) -> Locator:
    """Return the number inputs of the logits (#z-0 … #z-{n-1})."""
    return page.locator("#controls input.num[name=logits]")


def open_all_details(page: Page) -> None:
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")


def url_re(base_url: str, query: str) -> re.Pattern[str]:
    """Match exactly base_url/?query (htmx replaces the URL with the canonical one)."""
    return re.compile("^" + re.escape(f"{base_url}/?{query}") + "$")


# ----------------------------------------------------------------------------- 1. default page


def test_default_page_shows_all_panels_and_the_seed_sentence(page: Page, base_url: str) -> None:
    response = page.goto(base_url + "/")
    assert response is not None
    assert response.status == 200
    assert page.evaluate("() => document.documentElement.classList.contains('js')")
    assert page.evaluate("() => typeof window.htmx") == "object"
    for panel_id in (*PANEL_IDS, "panel-binary"):  # the bridge: two classes
        expect(page.locator(f"#{panel_id}")).to_be_visible()
    assert page.locator("#panels > section.panel").count() == len(PANEL_IDS) + 1
    expect(page.locator("#chain-sentence")).to_have_text(SEED_SENTENCE)
    expect(page.locator("#live-summary")).to_have_text(SEED_SUMMARY)
    expect(logit_inputs(page)).to_have_count(2)
    expect(page.locator("#z-0")).to_have_value("2")
    expect(page.locator("#z-1")).to_have_value("1")
    expect(page.locator("#controls input[name=target][value='0']")).to_be_checked()
    expect(page.locator("#j")).to_have_value("1")
    assert page.console_errors == []  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- 2. typing


def test_typing_a_logit_updates_panels_url_and_matches_the_api(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.locator("#z-0").fill("3")

    query = "logits=3,1&target=0"
    expect(page).to_have_url(url_re(base_url, query), timeout=FAST)
    result = gradient(page, base_url, query)
    grad = result["grad_logits"]
    expect(page.locator("#live-summary")).to_have_text(summary_for(result), timeout=FAST)
    expect_cells(page, "grad", [shown(g, 4) for g in grad])
    expect_cells(page, "probs", [shown(o, 4) for o in result["probs"]])
    expect_cells(page, "logits", ["3", "1"])
    # The gradient chart's bar labels (3 significant digits when the slots are wide).
    expect(page.locator("#panel-grad svg text.value")).to_have_text([shown(g, 3) for g in grad])
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_bad_choice_in_the_url_is_said_until_an_edit_writes_a_good_url(
    page: Page, base_url: str
) -> None:
    """names=a,,b used to vanish in the canonical redirect without a word."""
    page.goto(base_url + "/?logits=2,1&target=0&names=a,,b")
    note = page.locator("#url-errors")
    expect(note).to_be_visible()
    expect(note).to_contain_text("names")
    page.locator("#z-0").fill("3")
    expect(page).to_have_url(url_re(base_url, "logits=3,1&target=0"), timeout=FAST)
    expect(note).to_have_count(0)  # the address bar no longer holds what it was about
    # the page itself came with its 422 (chromium logs that status); nothing else went wrong
    errors = page.console_errors  # type: ignore[attr-defined]
    assert [e for e in errors if "status of 422" not in e] == [], errors


# ----------------------------------------------------------------------------- 3. slider


# Count XMLHttpRequests in flight, so a test can wait until the page has gone quiet.
XHR_COUNTER = """
(() => {
  window.__xhrPending = 0;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    window.__xhrPending += 1;
    this.addEventListener('loadend', () => { window.__xhrPending -= 1; });
    return send.apply(this, args);
  };
})();
"""


def test_dragging_a_slider_ends_in_one_consistent_final_state(page: Page, base_url: str) -> None:
    page.add_init_script(XHR_COUNTER)
    page.goto(f"{base_url}/?{SEED_QUERY}")
    # Every value the drag gives the number input, as the page sees it.
    page.evaluate(
        """() => {
            window.__values = [];
            document.getElementById('z-1').addEventListener('input', (e) => {
                window.__values.push(e.target.value);
            });
        }"""
    )
    requests: list[Request] = []

    def on_request(request: Request) -> None:
        if request.resource_type in ("xhr", "fetch") and request.url.startswith(base_url + "/?"):
            requests.append(request)

    page.on("request", on_request)

    slider = page.locator('input[data-sync="z-1"]')
    expect(slider).to_be_visible()
    box = slider.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    x = box["x"] + box["width"] * 0.45
    page.mouse.move(x, y)
    page.mouse.down()
    for _ in range(40):  # small steps, each a new slider value and an input event
        x += 1.5
        page.mouse.move(x, y)
    page.mouse.up()

    final = slider.input_value()
    values: list[str] = page.evaluate("() => window.__values")
    assert len(set(values)) >= 10, f"the drag produced too few values: {values}"
    assert values[-1] == final

    # Wait until everything shows the final value and no request is in flight or queued.
    query = f"logits=2,{final}&target=0"
    page.wait_for_function(
        """([final, query]) =>
            window.__xhrPending === 0
            && !document.querySelector('.htmx-request')
            && document.getElementById('z-1').value === final
            && location.search === '?' + query""",
        arg=[final, query],
        timeout=10_000,
    )
    expect(page).to_have_url(url_re(base_url, query))
    expect(page.locator("#z-1")).to_have_value(final)
    expect(slider).to_have_value(final)
    expect_cells(page, "logits", ["2", shown(float(final), 4)])
    result = gradient(page, base_url, query)
    expect(page.locator("#live-summary")).to_have_text(summary_for(result))
    expect_cells(page, "grad", [shown(g, 4) for g in result["grad_logits"]])
    assert page.locator("#last").input_value() == query

    distinct = len(set(values))
    assert 1 <= len(requests) <= distinct, (
        f"{len(requests)} requests for {distinct} distinct slider values"
    )


# ----------------------------------------------------------------------------- 4. reload


def test_reload_restores_the_state_from_the_url(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?{FOUR_SOFT_QUERY}")
    page.locator("#j").select_option("2")  # j = 3 on the page, 0-based 2 in the URL
    query = f"{FOUR_SOFT_QUERY}&j=2"
    expect(page).to_have_url(url_re(base_url, query), timeout=FAST)

    page.reload()
    expect(page).to_have_url(url_re(base_url, query))
    for i, value in enumerate(["1", "2", "3", "0.5"]):
        expect(page.locator(f"#z-{i}")).to_have_value(value)
    for i, value in enumerate(["0.1", "0.2", "0.3", "0.4"]):
        expect(page.locator(f"#y-{i}")).to_have_value(value)
    expect(logit_inputs(page)).to_have_count(4)
    expect(page.locator("#j")).to_have_value("2")
    expect(page.locator("#temperature")).to_have_value("2")
    expect(page.locator("details.advanced")).to_have_attribute("open", "")

    result = gradient(page, base_url, FOUR_SOFT_QUERY)
    expect(page.locator("#live-summary")).to_have_text(summary_for(result, j=2))
    expect(page.locator("#h-chain")).to_have_text("Chain rule: the 4 terms of dE/dZ3")
    expect_cells(page, "logits", ["1", "2", "3", "0.5"])
    expect_cells(page, "probs", [shown(o, 4) for o in result["probs"]])
    expect_cells(page, "probs", [shown(t, 4) for t in result["target"]], row=1)
    expect_cells(page, "grad", [shown(g, 4) for g in result["grad_logits"]])
    expect(page.locator("#panel-chain tfoot td")).to_have_text(shown(result["grad_logits"][2], 4))


# ----------------------------------------------------------------------------- 5. add/remove


def expect_classes(page: Page, n: int) -> None:
    expect(logit_inputs(page)).to_have_count(n, timeout=FAST)
    expect(page.locator("#panel-logits svg .bar")).to_have_count(n)
    expect(page.locator("#panel-grad svg .bar")).to_have_count(n)
    expect(page.locator("#panel-probs svg .bar")).to_have_count(2 * n)
    expect(page.locator("#panel-chain svg .bar")).to_have_count(n + 1)  # the terms and a sum
    expect(page.locator("#panel-jacobian table tbody td")).to_have_count(n * n)
    expect(page.locator("#controls input[name=target]")).to_have_count(n)


def test_add_and_remove_classes_with_the_buttons(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?{SEED_QUERY}")
    expect_classes(page, 2)
    expect(page.get_by_role("button", name="Remove class 2")).to_be_disabled()

    page.get_by_role("button", name="Add class 3").click()
    expect_classes(page, 3)
    expect(page).to_have_url(url_re(base_url, "logits=2,1,0&target=0"), timeout=FAST)
    expect(page.locator("#z-2")).to_have_value("0")

    page.get_by_role("button", name="Add class 4").click()
    expect_classes(page, 4)
    expect(page).to_have_url(url_re(base_url, "logits=2,1,0,0&target=0"), timeout=FAST)

    page.get_by_role("button", name="Remove class 4").click()
    expect_classes(page, 3)
    expect(page).to_have_url(url_re(base_url, "logits=2,1,0&target=0"), timeout=FAST)
    result = gradient(page, base_url, "logits=2,1,0&target=0")
    expect(page.locator("#live-summary")).to_have_text(summary_for(result))
    assert page.console_errors == []  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- 6. soft labels


def test_soft_labels_must_sum_to_one_until_normalised(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?{SEED_QUERY}")
    page.get_by_role("button", name="Soft labels").click()
    expect(page.locator("#y-0")).to_have_value("1", timeout=FAST)
    expect(page.locator("#y-1")).to_have_value("0")
    expect(page).to_have_url(url_re(base_url, "logits=2,1&target=1,0"), timeout=FAST)
    expect(page.get_by_role("button", name="Soft labels")).to_have_attribute("aria-pressed", "true")
    summary = page.locator("#live-summary").inner_text()
    sentence = page.locator("#chain-sentence").inner_text()

    page.locator("#y-0").fill("0.6")
    page.locator("#y-1").fill("0.6")
    error = page.locator("#error-target")
    expect(error).to_contain_text("sum to 1", timeout=FAST)
    expect(error).to_contain_text("1.2")
    expect(page.locator("#target-sum")).to_have_text("ΣY = 1.2")
    # The panels and the URL still show the last valid state.
    expect(page.locator("#live-summary")).to_have_text(f"Last valid state: {summary}")
    expect(page.locator("#chain-sentence")).to_have_text(sentence)
    expect_cells(page, "probs", ["1", "0"], row=1)
    expect(page).to_have_url(url_re(base_url, "logits=2,1&target=1,0"))

    page.get_by_role("button", name="Normalise").click()
    query = "logits=2,1&target=0.5,0.5"
    expect(page).to_have_url(url_re(base_url, query), timeout=FAST)
    expect(page.locator("#error-target")).to_be_empty()
    expect(page.locator("#y-0")).to_have_value("0.5")
    expect(page.locator("#y-1")).to_have_value("0.5")
    result = gradient(page, base_url, query)
    expect(page.locator("#live-summary")).to_have_text(summary_for(result))
    expect_cells(page, "probs", ["0.5", "0.5"], row=1)


# ----------------------------------------------------------------------------- 7. invalid values


def test_out_of_range_logit_shows_a_message_and_keeps_the_panels(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?{SEED_QUERY}")
    page.locator("#z-1").fill("1e99")  # a number the browser takes and the API refuses
    message = page.locator("#error-logits-1")
    expect(message).to_contain_text("must be between", timeout=FAST)
    expect(page.locator("#z-1")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#live-summary")).to_have_text(f"Last valid state: {SEED_SUMMARY}")
    expect(page.locator("#chain-sentence")).to_have_text(SEED_SENTENCE)
    expect_cells(page, "logits", ["2", "1"])
    expect(page).to_have_url(url_re(base_url, SEED_QUERY))
    expect(page.locator("#last")).to_have_value(SEED_QUERY)

    page.locator("#z-1").fill("0.5")
    expect(message).to_be_empty(timeout=FAST)
    expect(page.locator("#z-1")).not_to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(url_re(base_url, "logits=2,0.5&target=0"), timeout=FAST)
    expect_cells(page, "logits", ["2", "0.5"])


def test_unparseable_logit_shows_a_message_and_keeps_the_panels(page: Page, base_url: str) -> None:
    """Paste "1e999" (overflows float64): the server says so, quoting it."""
    page.goto(f"{base_url}/?{SEED_QUERY}")
    page.locator("#z-1").select_text()
    page.keyboard.insert_text("1e999")  # one input event, as a paste gives

    message = page.locator("#error-logits-1")
    expect(message).to_have_text("'1e999' is out of float64's range", timeout=FAST)
    expect(page.locator("#z-1")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#live-summary")).to_have_text(f"Last valid state: {SEED_SUMMARY}")
    expect_cells(page, "logits", ["2", "1"])
    expect(page).to_have_url(url_re(base_url, SEED_QUERY))

    page.locator("#z-1").fill("1.5")
    expect(message).to_be_empty(timeout=FAST)
    expect(page.locator("#z-1")).not_to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(url_re(base_url, "logits=2,1.5&target=0"), timeout=FAST)


# ----------------------------------------------------------------------------- 8. no JavaScript


def test_without_javascript_the_form_submits_and_redirects(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/?{SEED_QUERY}")
        expect(page.locator('input[data-sync="z-0"]')).to_be_hidden()
        update = page.locator("#controls").get_by_role("button", name="Update", exact=True)
        expect(update).to_be_visible()

        page.locator("#z-0").fill("3")
        with page.expect_navigation() as navigation:
            update.click()
        response = navigation.value
        assert response is not None
        assert response.status == 200
        redirected = response.request.redirected_from
        assert redirected is not None, "the form's own URL should redirect to the canonical one"
        assert "logits=3&logits=1" in redirected.url
        query = "logits=3,1&target=0"
        expect(page).to_have_url(url_re(base_url, query))
        result = gradient(page, base_url, query)
        expect(page.locator("#live-summary")).to_have_text(summary_for(result))
        expect_cells(page, "grad", [shown(g, 4) for g in result["grad_logits"]])
        expect(page.locator("#z-0")).to_have_value("3")

        # An invalid value: the page comes back 422 with the message and the last valid panels.
        page.locator("#z-1").fill("1e99")
        with page.expect_navigation() as navigation:
            update.click()
        response = navigation.value
        assert response is not None
        assert response.status == 422
        expect(page.locator("#error-logits-1")).to_contain_text("must be between")
        expect(page.locator("#z-1")).to_have_value("1e99")
        expect(page.locator("#live-summary")).to_have_text(
            f"Last valid state: {summary_for(result)}"
        )
        expect_cells(page, "logits", ["3", "1"])
        for panel_id in PANEL_IDS:
            expect(page.locator(f"#{panel_id}")).to_be_visible()
    finally:
        context.close()


# ----------------------------------------------------------------------------- 9. CDN + SRI


def route_cdn(page: Page, body: bytes) -> None:
    def fulfil(route: Route) -> None:
        route.fulfill(
            status=200,
            body=body,
            content_type="application/javascript",
            headers={"Access-Control-Allow-Origin": "*"},
        )

    page.route(HTMX_CDN_URL, fulfil)


def htmx_bytes() -> bytes:
    assert HTMX_BYTES_PATH.is_file(), "run `python scripts/fetch_vendor.py`"
    return HTMX_BYTES_PATH.read_bytes()


def test_cdn_htmx_passes_sri_and_drives_the_page(
    page: Page, live_server: Callable[[Mapping[str, str]], str]
) -> None:
    cdn_base = live_server({"DEDZ_HTMX_SOURCE": "cdn"})
    route_cdn(page, htmx_bytes())
    with page.expect_response(HTMX_CDN_URL):
        page.goto(f"{cdn_base}/?{SEED_QUERY}")
    script = page.locator("script[integrity]")
    expect(script).to_have_attribute("src", HTMX_CDN_URL)
    expect(script).to_have_attribute("crossorigin", "anonymous")
    page.wait_for_function("() => typeof window.htmx === 'object'")

    page.locator("#z-0").fill("3")
    expect(page).to_have_url(url_re(cdn_base, "logits=3,1&target=0"), timeout=FAST)
    expect(page.locator("#live-summary")).to_have_text(
        summary_for(gradient(page, cdn_base, "logits=3,1&target=0")), timeout=FAST
    )
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_cdn_htmx_with_other_bytes_is_blocked_by_sri(
    page: Page, live_server: Callable[[Mapping[str, str]], str]
) -> None:
    cdn_base = live_server({"DEDZ_HTMX_SOURCE": "cdn"})
    route_cdn(page, htmx_bytes() + b"\n/* tampered */\n")
    with page.expect_console_message(lambda m: m.type == "error" and "integrity" in m.text):
        page.goto(f"{cdn_base}/?{SEED_QUERY}")
    page.wait_for_load_state("load")
    errors = page.console_errors  # type: ignore[attr-defined]
    # Only the expected SRI refusals (the page's, and the embed preview's if it has one).
    assert errors, "the SRI refusal should be logged"
    assert all("integrity" in e and "blocked" in e for e in errors), errors
    # The tampered file never runs: the page falls back to the server's own pinned copy.
    expect(page.locator("html")).to_have_class(re.compile(r"\blive\b"), timeout=FAST)
    local = page.locator("script[src^='/static/vendor/htmx.min.js']")
    expect(local).to_have_attribute("integrity", HTMX_SRI)
    expect(page.locator("#live-summary")).to_have_text(SEED_SUMMARY)


# ----------------------------------------------------------------------------- 10. a11y


def test_axe_finds_no_violations_on_the_default_page(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    open_all_details(page)
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def test_axe_finds_no_violations_in_the_dark_theme(browser: Browser, base_url: str) -> None:
    """The page follows the reader's system theme: dark must be as readable as light."""
    context = browser.new_context(viewport=VIEWPORT, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(f"{base_url}/?{TEN_SOFT_QUERY}&temperature=2")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(15, 18, 23)", background  # really dark
        open_all_details(page)
        violations = axe_violations(page)
        assert violations == [], format_violations(violations)
    finally:
        context.close()


def test_axe_finds_no_violations_on_a_ten_class_soft_page(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?{TEN_SOFT_QUERY}")
    expect(logit_inputs(page)).to_have_count(10)
    expect(page.locator("#y-9")).to_have_value("0.02")
    open_all_details(page)
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


# ----------------------------------------------------------------------------- 11. screenshots


def scroll_width(page: Page) -> int:
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    return width


def test_screenshots_and_no_horizontal_overflow_on_a_phone(
    page: Page, base_url: str, screenshot_dir: Path
) -> None:
    states = {"default": f"/?{SEED_QUERY}", "10-class-soft": f"/?{TEN_SOFT_QUERY}"}
    overflow: list[str] = []
    for name, path in states.items():
        for width, height in ((375, 800), (1280, 800)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(base_url + path)
            expect(page.locator("#panel-jacobian")).to_be_visible()
            target = screenshot_dir / f"explorer-{name}-{width}x{height}.png"
            page.screenshot(path=target, full_page=True)
            assert target.stat().st_size > 10_000
            if width == 375:
                if scroll_width(page) > width:
                    overflow.append(f"{name}: scrollWidth {scroll_width(page)} > {width}")
                open_all_details(page)  # the values tables too
                if scroll_width(page) > width:
                    overflow.append(
                        f"{name} with <details> open: scrollWidth {scroll_width(page)} > {width}"
                    )
    assert overflow == []


# ----------------------------------------------------------------------------- 12. keyboard


def test_keyboard_step_updates_panels_and_keeps_focus(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?{SEED_QUERY}")
    for _ in range(12):  # skip link, home link, the enabled buttons, then Z1
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "z-0":
            break
    expect(page.locator("#z-0")).to_be_focused()

    page.keyboard.press("ArrowUp")
    expect(page.locator("#z-0")).to_have_value("3")
    query = "logits=3,1&target=0"
    expect(page).to_have_url(url_re(base_url, query), timeout=FAST)
    result = gradient(page, base_url, query)
    expect(page.locator("#live-summary")).to_have_text(summary_for(result), timeout=FAST)
    expect_cells(page, "logits", ["3", "1"])
    expect(page.locator("#z-0")).to_be_focused()

    # Focus survived the swap: the next key press goes on editing Z1.
    page.keyboard.press("ArrowUp")
    expect(page).to_have_url(url_re(base_url, "logits=4,1&target=0"), timeout=FAST)
    expect(page.locator("#z-0")).to_be_focused()
    assert math.isclose(float(page.locator("#z-0").input_value()), 4.0)


def test_an_edit_after_a_button_never_repeats_the_buttons_action(page: Page, base_url: str) -> None:
    """Focus returns to the button; a slider moved without taking focus (a touch) must then send
    its own edit, not the button's op again (which added a class on every drag step)."""
    page.goto(f"{base_url}/?{SEED_QUERY}")
    expect(page.locator("html")).to_have_class(re.compile(r"\blive\b"))
    page.get_by_role("button", name="Add class 3").click()
    expect(page.locator("#z-2")).to_be_visible(timeout=FAST)
    expect(page.get_by_role("button", name="Add class 4")).to_be_focused()
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "hx" in str(r.headers) else None)
    for value in ("3", "4", "5"):
        with page.expect_response(lambda r: "logits=" in r.url, timeout=FAST):
            page.evaluate(
                """(value) => {
                    const slider = document.querySelector('input[data-sync="z-0"]');
                    slider.value = value;
                    slider.dispatchEvent(new Event("input", { bubbles: true }));
                }""",
                value,
            )
    assert sent
    assert not [url for url in sent if "op=" in url], sent
    expect(page.locator("#controls input.num[name=logits]")).to_have_count(3)
    expect(page.locator("#last")).to_have_attribute("data-url", re.compile(r"logits=5,1,0&"))


def test_a_message_never_moves_the_charts_into_the_controls_column(
    page: Page, base_url: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{base_url}/?{SEED_QUERY}")
    before = page.locator("#panels").bounding_box()
    page.locator("#z-0").fill("abc")
    expect(page.locator("#stale-note")).not_to_be_empty(timeout=FAST)
    after = page.locator("#panels").bounding_box()
    controls = page.locator("#controls").bounding_box()
    assert before
    assert after
    assert controls
    assert after["x"] == before["x"]
    assert after["width"] == before["width"]
    assert after["x"] >= controls["x"] + controls["width"]
    assert abs(after["y"] - before["y"]) < 60  # the note above them, not a reflow


def test_an_open_values_table_stays_open_while_a_logit_changes(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?{SEED_QUERY}")
    page.locator("#panel-probs details.values > summary").click()
    page.locator("#z-0").fill("3")
    expect(page.locator("#last")).to_have_attribute("data-url", re.compile("logits=3,1"))
    expect(page.locator("#panel-probs details.values")).to_have_attribute("open", "")
    expect(page.locator("#panel-grad details.values")).not_to_have_attribute("open", "")


def test_every_formula_line_fits_a_phone(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    states = [
        SEED_QUERY,
        "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1"
        "&temperature=0.0001",
        "logits=1000,-1000,3&target=2&label_smoothing=0.1",
        "logits=2,1,0.5&target=0&temperature=2&label_smoothing=0.1&weights=2,1,1",
        "logits=2,1,0.5&target=0&loss=mse&j=0&temperature=2&label_smoothing=0.1",
        "logits=2,1,0.5&target=0&loss=mse",
        "logits=2,1,0.5&target=0&loss=mse&reduction=sum",
        "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=0.05,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.15"
        "&loss=mse",
        "logits=2,1,0.5&target=0&loss=bce&temperature=2&weights=2,1,1",
    ]
    try:
        page = context.new_page()
        cut = []
        for query in states:
            page.goto(f"{base_url}/?{query}")
            widths = page.eval_on_selector_all(
                "#panel-loss math.formula", "els => els.map(e => [e.scrollWidth, e.clientWidth])"
            )
            cut += [f"{query}: {w} > {c}" for w, c in widths if w > c + 1]
        assert cut == [], "\n".join(cut)
    finally:
        context.close()


def test_arrow_keys_step_a_value_typed_with_a_typographic_minus(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?{SEED_QUERY}")
    expect(page.locator("html")).to_have_class(re.compile(r"\blive\b"))
    field = page.locator("#z-0")
    field.fill("\u22123")
    field.press("ArrowUp")
    expect(field).to_have_value("-2")
    expect(page.locator("#last")).to_have_attribute("data-url", re.compile(r"logits=-2,1"))


def test_the_skip_link_moves_keyboard_focus_to_the_charts(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?{SEED_QUERY}")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#panels")).to_be_focused()


def test_a_table_wider_than_a_phone_shows_a_shadow_where_it_scrolls_on(
    browser: Browser, base_url: str
) -> None:
    """On a phone the wide tables (ten classes, the finite differences) scroll sideways with
    nothing to say so: the last column was off-screen. A shadow marks each edge with more
    beyond it, and goes once that end is in view."""
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        for query in ("logits=2,1,0.5&target=0&probe=1", TEN_SOFT_QUERY):
            page.goto(f"{base_url}/?{query}")
            wide = page.locator(".table-scroll").evaluate_all(
                "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).length"
            )
            assert wide >= 1, query
            shaded = page.locator(".table-scroll").evaluate_all(
                """els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => {
                     const s = getComputedStyle(e);
                     // two covers that move with the table, two shadows fixed to its edges
                     const layers = s.backgroundAttachment.split(",").map((a) => a.trim());
                     return s.backgroundImage.split("gradient(").length - 1 === 4
                       && layers.filter((a) => a === "local").length === 2
                       && layers.filter((a) => a === "scroll").length === 2;
                   })"""
            )
            assert all(shaded), (query, shaded)
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_long_class_names_in_the_controls_clear_the_sliders_and_fields(
    browser: Browser, base_url: str, width: int
) -> None:
    """An instructor's names ran under the logit sliders ("ZWWWW…" behind the thumb)."""
    names = "WWWWWWWWWWWWWWWW,Giraffe%20calf,Hippopotamus"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?logits=2,1,0.5&target=0.5,0.3,0.2&names={names}")
        expect(page.locator("html")).to_have_class(re.compile(r"\blive\b"))
        clashes = page.evaluate(
            """() => [...document.querySelectorAll(".logit-row, .target-row")].flatMap((row) => {
                 const label = row.querySelector(".name"), range = document.createRange();
                 range.selectNodeContents(label);  // the text, where it runs past its box
                 const name = range.getBoundingClientRect();
                 const panel = row.closest(".controls").getBoundingClientRect();
                 const out = name.right > panel.right ? [row.textContent.trim() + ": cut"] : [];
                 for (const field of row.querySelectorAll("input:not([type=hidden])")) {
                   const f = field.getBoundingClientRect();
                   const apart = f.left >= name.right || f.right <= name.left
                     || f.top >= name.bottom || f.bottom <= name.top;
                   if (!apart) out.push(label.textContent + " on " + field.type);
                 }
                 return out;
               })"""
        )
        assert clashes == []
        # in an embed as narrow as a phone's course column, "j = WWWWWWWWWWWWWWWW" stuck out
        page.set_viewport_size({"width": 320, "height": 800})
        page.goto(f"{base_url}/embed?logits=2,1,0.5&target=0&names={names}")
        wider = page.evaluate(
            """() => [...document.querySelectorAll(".controls select")].filter((s) => {
                 const card = s.closest(".controls").getBoundingClientRect();
                 return s.getBoundingClientRect().right > card.right + 0.5;
               }).map((s) => s.id)"""
        )
        assert wider == []
    finally:
        context.close()


def test_a_table_scrolled_sideways_keeps_its_caption_and_row_names_in_view(
    browser: Browser, base_url: str
) -> None:
    """Scrolled on a phone, the Jacobian's numbers lost their row names and the finite
    differences' caption ("… against dE/dZ2 = …") went off-screen with the columns."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?logits={TEN_LOGITS}&target=7&probe=1")
        for panel in ("#panel-jacobian", "#panel-nudge"):
            box = page.locator(f"{panel} .table-scroll").first
            box.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
            seen = box.evaluate(
                """(e) => {
                  const r = e.getBoundingClientRect(), c = e.querySelector("caption");
                  const th = e.querySelector("tbody th");
                  const cap = c.getBoundingClientRect(), row = th.getBoundingClientRect();
                  return [e.scrollLeft > 0, cap.left >= r.left - 1 && cap.right <= r.right + 1,
                          Math.abs(row.left - r.left) < 1];
                }"""
            )
            assert seen == [True, True, True], (panel, seen)
    finally:
        context.close()
