"""The instructor's kit as people meet it: an instructor builds an assignment in /build and
pastes its snippet into a page; a student works the faded derivation with the keyboard, with
and without JavaScript; each page axe-clean and no wider than a phone, light and dark."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import axe_violations, format_violations

FAST = 5_000


def test_an_instructor_builds_a_named_locked_predict_figure_and_pastes_it(
    page: Page, base_url: str, tmp_path: object
) -> None:
    page.goto(f"{base_url}/?logits=2,1,0.5&target=0")
    page.get_by_role("link", name="Build an assignment from this state").click()
    expect(page).to_have_url(re.compile(r"/build\?logits=2,1,0.5&target=0"))
    page.locator("#b-names").fill("cat,dog,bird")
    page.get_by_label("Predict dE/dZ first (numbers)").check()
    page.locator("input[name=lock][value=logits]").check()
    page.locator("#b-q").fill("Which logit should rise?")
    page.locator("#b-title").fill("Week 3: softmax")
    page.get_by_role("button", name="Build").click()
    expect(page.locator("#out-snippet")).to_contain_text('title="Week 3: softmax"')
    # a reload keeps every choice: the page's URL is its state
    page.reload()
    expect(page.locator("#b-names")).to_have_value("cat,dog,bird")
    snippet = page.locator("#out-snippet").input_value()
    height = int(re.search(r'height="(\d+)"', snippet).group(1))  # type: ignore[union-attr]
    # the preview frames the embed as the snippet will, without the host script
    frame = page.frame_locator(".build-preview iframe")
    expect(frame.locator("#figure-prompt")).to_have_text("Which logit should rise?")
    expect(frame.locator("#locked-logits")).to_contain_text("Z = (2, 1, 0.5)")
    expect(frame.get_by_text("dE/dZ", exact=False).first).to_be_visible()
    content = frame.locator("body").evaluate("b => b.scrollHeight")
    assert content <= height, (content, height)
    assert axe_violations(page) == [], format_violations(axe_violations(page))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_builder_and_the_derivation_fit_a_phone_and_pass_axe(
    browser: Browser, base_url: str, scheme: str
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    try:
        for path in (
            "/build?logits=2,1,0.5&target=0&names=cat,dog,bird&mode=derive",
            "/?logits=2,1,0.5&target=0&mode=derive&fade=5&a1=only&a2=-1,0,0&a3=1,2,3",
            "/embed?logits=2,1,0.5&target=0&mode=derive&fade=0&names=cat,dog,bird",
            "/guide",
        ):
            page.goto(base_url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (path, width)
            assert axe_violations(page) == [], (path, format_violations(axe_violations(page)))
            # the builder and the guide follow the system's theme, as the explorer does (they
            # stayed light in a dark system)
            ink = page.evaluate("getComputedStyle(document.body).color")
            light_ink = sum(int(c) for c in re.findall(r"\d+", ink)[:3]) > 3 * 128
            assert light_ink == (scheme == "dark"), (path, ink)
    finally:
        context.close()


def test_a_student_fills_the_derivation_with_the_keyboard(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?logits=2,1&target=0&mode=derive&fade=2")
    page.locator("#a4-0").focus()
    page.keyboard.type("-1.368")  # dE/dO_1 alone: the factor, not the term
    page.keyboard.press("Tab")
    page.keyboard.type("0")
    page.keyboard.press("Tab")
    page.keyboard.type("0.269")
    page.keyboard.press("Enter")
    expect(page.locator("#hint-4-0")).to_contain_text("That is dE/dO1 alone", timeout=FAST)
    expect(page.locator("#step-5")).to_contain_text("✓ right")
    page.locator("#a4-0").fill("0.269")
    page.get_by_role("button", name="Check my steps").click()
    expect(page.locator("#derive-solved")).to_be_visible(timeout=FAST)
    page.get_by_role("link", name="Fade one more step").click()
    expect(page.locator("#h-derive")).to_contain_text("fill in the last 3 steps", timeout=FAST)
    expect(page.locator("#a3-0")).to_have_value("")


def test_without_javascript_the_derivation_is_checked_by_a_plain_submit(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?logits=2,1,0.5&target=0&mode=derive&fade=1")
        page.locator("#a5-0").fill("0.1778")  # the Jacobian's diagonal, not the sum
        page.get_by_role("button", name="Check my steps").click()
        page.wait_for_load_state("load")
        assert "a5=0.1778" in page.url
        expect(page.locator("#step-5")).to_contain_text("✗ not yet")
        page.locator("#a5-0").fill("0.231")
        page.get_by_role("button", name="Check my steps").click()
        expect(page.locator("#derive-solved")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_an_exported_svg_opened_on_its_own_is_drawn_styled(
    page: Page, base_url: str, theme: str
) -> None:
    """Opened as a document (the export form's redirect, a new tab), the figure's own <style>
    applies: the page policy had refused it, and every bar was drawn black."""
    page.goto(f"{base_url}/figure.svg?logits=2,1,0.1&target=0&panel=probs&theme={theme}")
    fill = page.evaluate("() => getComputedStyle(document.querySelector('.bar, rect[class]')).fill")
    assert fill not in ("rgb(0, 0, 0)", ""), fill
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []  # type: ignore[attr-defined]


def test_the_builders_preview_frames_the_figure_as_the_snippet_does(
    page: Page, base_url: str
) -> None:
    """The snippet's inline style was refused on /build (its policy allows no inline style):
    the preview had a border the course page would not show, and logged a CSP error."""
    page.goto(f"{base_url}/build?logits=2,1,0.1&target=0&panels=chain")
    frame = page.locator(".build-preview iframe")
    expect(frame).to_be_visible()
    style = frame.evaluate(
        "(f) => [getComputedStyle(f).borderTopWidth, getComputedStyle(f).maxWidth]"
    )
    assert style == ["0px", "100%"], style
    assert 'style="border:0;max-width:100%"' in page.locator("#out-snippet").input_value()
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []  # type: ignore[attr-defined]
