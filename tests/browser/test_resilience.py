"""The explorer when things go wrong: a blocked CDN, a failing server, Enter without htmx,
keyboard focus after a button, and WordPress's resize protocol."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from app.web.assets import HTMX_CDN_URL
from tests.browser.conftest import HostSite
from tests.browser.test_embed import host_page, iframe

SEED = "logits=2,1&target=0"
FAST = 5_000


def test_a_blocked_cdn_falls_back_to_the_local_copy(
    page: Page, live_server: Callable[[Mapping[str, str]], str]
) -> None:
    base = live_server({"DEDZ_HTMX_SOURCE": "cdn"})
    page.route(HTMX_CDN_URL, lambda route: route.abort("blockedbyclient"))
    page.goto(f"{base}/?{SEED}")
    expect(page.locator("html")).to_have_class(re.compile(r"\blive\b"), timeout=FAST)
    expect(page.locator("#controls .actions .nojs-only")).to_be_hidden()
    page.locator("#z-0").fill("3")
    expect(page).to_have_url(re.compile(r"logits=3,1&target=0$"), timeout=FAST)
    expect(page.locator("#live-status")).to_have_text("")


def test_a_sandboxed_embed_falls_back_to_the_local_copy_too(
    page: Page, live_server: Callable[[Mapping[str, str]], str], host: HostSite
) -> None:
    """A frame sandboxed without allow-same-origin is another origin: the local copy must be
    fetched with CORS, or the browser refuses its integrity check and the figure stays dead."""
    base = live_server({"DEDZ_HTMX_SOURCE": "cdn"})
    page.route(HTMX_CDN_URL, lambda route: route.abort("blockedbyclient"))
    src = f"{base}/embed?{SEED}&panels=grad"
    page.goto(host.add("/course", host_page(iframe(src, attributes='sandbox="allow-scripts"'))))
    frame = page.frame_locator("#embed")
    expect(frame.locator("html")).to_have_class(re.compile(r"\blive\b"), timeout=FAST)
    frame.locator("#z-0").fill("3")
    expect(frame.locator("#live-summary")).to_contain_text("dE/dZ = (−0.119", timeout=FAST)
    expect(frame.locator("#live-status")).to_have_text("")


def test_without_any_htmx_the_update_button_stays_and_says_why(
    page: Page, live_server: Callable[[Mapping[str, str]], str]
) -> None:
    base = live_server({"DEDZ_HTMX_SOURCE": "cdn"})
    page.route(HTMX_CDN_URL, lambda route: route.abort("blockedbyclient"))
    page.route(re.compile(r"/static/vendor/htmx\.min\.js"), lambda route: route.abort("failed"))
    page.goto(f"{base}/?{SEED}")
    expect(page.locator("#live-status")).to_contain_text("Live updates are off", timeout=FAST)
    update = page.locator("#controls .actions button.nojs-only")
    expect(update).to_be_visible()
    page.locator("#z-0").fill("3")
    update.click()
    expect(page).to_have_url(re.compile(r"logits=3,1&target=0$"), timeout=FAST)
    expect(page.locator("#live-summary")).to_contain_text("E = ")


def test_a_failing_server_is_reported_and_the_last_panels_stay(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?{SEED}")
    expect(page.locator("html")).to_have_class(re.compile(r"\blive\b"), timeout=FAST)
    summary = page.locator("#live-summary").inner_text()

    def fail(route: Route) -> None:
        if route.request.headers.get("hx-request") == "true":
            route.fulfill(status=503, body="down")
        else:
            route.continue_()

    page.route(re.compile(r"/\?"), fail)
    page.locator("#z-0").fill("3")
    expect(page.locator("#live-status")).to_contain_text("(503)", timeout=FAST)
    expect(page.locator("#live-summary")).to_have_text(summary)
    page.unroute(re.compile(r"/\?"))
    page.locator("#z-0").fill("4")
    expect(page.locator("#live-status")).to_have_text("", timeout=FAST)
    expect(page).to_have_url(re.compile(r"logits=4,1&target=0$"), timeout=FAST)


def test_enter_without_javascript_submits_the_typed_state(browser: Browser, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?logits=2,1,0&target=0")
        page.locator("#z-0").fill("3")
        page.locator("#z-0").press("Enter")
        expect(page).to_have_url(re.compile(r"logits=3,1,0&target=0$"), timeout=FAST)
        expect(page.locator("#controls input[name=logits]")).to_have_count(3)  # not removed
    finally:
        context.close()


def test_focus_stays_on_a_button_after_it_redraws_the_explorer(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?{SEED}")
    expect(page.locator("html")).to_have_class(re.compile(r"\blive\b"), timeout=FAST)
    add = page.get_by_role("button", name="Add class 3")
    add.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#controls input[name=logits]")).to_have_count(3, timeout=FAST)
    expect(page.get_by_role("button", name="Add class 4")).to_be_focused(timeout=FAST)
    page.keyboard.press("Tab")  # and the next Tab stays in the explorer
    focused_in_controls = "() => !!document.activeElement.closest('#controls')"
    assert page.evaluate(focused_in_controls)


def test_the_embed_speaks_wordpress_resize_messages(
    page: Page, base_url: str, host: HostSite
) -> None:
    src = f"{base_url}/embed?{SEED}&panels=grad#?secret=Ab12Cd34"
    page.goto(host.add("/post", host_page(iframe(src))))
    page.wait_for_function(
        "() => window.received.some((m) => m.data && m.data.message === 'height')", timeout=FAST
    )
    message = page.evaluate(
        "() => window.received.find((m) => m.data && m.data.message === 'height').data"
    )
    assert message["secret"] == "Ab12Cd34"
    assert message["value"] > 200


def test_the_console_stays_clean_after_a_full_page_screenshot_and_quick_edits(
    page: Page, base_url: str
) -> None:
    page.goto(f"{base_url}/?{SEED}")
    expect(page.locator("html")).to_have_class(re.compile(r"\blive\b"), timeout=FAST)
    page.screenshot(full_page=True)  # leaves style="" on inputs, which htmx used to copy
    for k in range(40):
        page.evaluate(
            """(k) => { const z = document.getElementById("z-0"); z.value = String(1 + k / 10);
                 z.dispatchEvent(new Event("input", {bubbles: true}));
                 z.dispatchEvent(new Event("change", {bubbles: true})); }""",
            k,
        )
    expect(page).to_have_url(re.compile(r"logits=4\.9,1&target=0$"), timeout=FAST)
    page.wait_for_timeout(300)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_what_a_student_types_reaches_the_server_as_typed(page: Page, base_url: str) -> None:
    # Number fields would turn "−3" into 3 and "3,5" into 35 silently; text fields do not.
    page.goto(f"{base_url}/?{SEED}")
    expect(page.locator("html")).to_have_class(re.compile(r"\blive\b"), timeout=FAST)
    for typed, message in [
        ("\u20133", "typographic minus; type the ASCII minus: -3"),  # an en dash
        ("3,5", "decimal comma; use a decimal point: 3.5"),
        ("abc", "'abc' is not a finite decimal number"),
    ]:
        page.locator("#z-1").fill(typed)
        expect(page.locator("#error-logits-1")).to_contain_text(message, timeout=FAST)
        expect(page.locator("#z-1")).to_have_value(typed)
    expect(page).to_have_url(re.compile(r"logits=2,1&target=0$"))


def test_on_a_phone_the_summary_stays_on_screen_while_dragging(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 667}, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?{SEED}")
        expect(page.locator("html")).to_have_class(re.compile(r"\blive\b"), timeout=FAST)
        slider = page.locator(".slider").first
        slider.scroll_into_view_if_needed()
        box = slider.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 4, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
        summary = page.locator("#live-summary")
        expect(summary).not_to_have_text("E = 0.3133; dE/dZ = (−0.269, 0.269); dE/dZ2 = 0.269")
        shown = summary.bounding_box()
        assert shown is not None
        assert shown["y"] >= 0, shown  # in view, above the fold's bottom edge
        assert shown["y"] + shown["height"] <= 667, shown
    finally:
        context.close()


def test_on_a_phone_a_field_tabbed_to_is_never_under_the_summary_bar(
    browser: Browser, base_url: str
) -> None:
    """At 390 px, the tenth Tab focused the Loss select underneath the summary bar."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?{SEED}")
        expect(page.locator("html")).to_have_class(re.compile(r"\blive\b"), timeout=FAST)
        hidden = []
        for _ in range(30):
            page.keyboard.press("Tab")
            covered = page.evaluate(
                """() => {
                    const e = document.activeElement, bar = document.getElementById("live-summary");
                    if (!e || !bar || e === document.body || bar.contains(e)) return null;
                    const r = e.getBoundingClientRect(), b = bar.getBoundingClientRect();
                    return r.bottom > b.top + 1 && r.top < b.bottom ? (e.id || e.tagName) : null;
                }"""
            )
            if covered:
                hidden.append(covered)
        assert hidden == [], hidden
    finally:
        context.close()


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080), (1024, 768)])
def test_on_a_desktop_the_chain_rule_starts_in_the_first_screen(
    browser: Browser, base_url: str, size: tuple[int, int]
) -> None:
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?{SEED}")
        heading = page.locator("#h-chain").bounding_box()
        assert heading is not None
        assert heading["y"] + heading["height"] <= height, heading
    finally:
        context.close()
