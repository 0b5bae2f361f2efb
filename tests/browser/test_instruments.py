"""The instruments driven as a student drives them: typing a prediction and submitting it (with
the keyboard, and without JavaScript), editing a logit while the answer is hidden, following a
nudge link and a path edge; each view axe-clean and no wider than a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import axe_violations, format_violations

FAST = 5_000
SEED = "logits=2,1&target=0"


def test_a_student_types_a_prediction_with_the_keyboard_and_reads_the_diagnosis(
    page: Page, base_url: str
) -> None:
    page.goto(f"{base_url}/?{SEED}&mode=predict")
    assert page.locator("#panel-grad").count() == 0
    assert axe_violations(page) == [], format_violations(axe_violations(page))
    page.locator("#guess-0").focus()
    page.keyboard.type("-0.269")
    page.keyboard.press("Tab")
    page.keyboard.type("\u22120.269")  # the page's own minus sign, pasted back
    page.keyboard.press("Enter")
    expect(page.locator("#panel-predict h2")).to_have_text(
        "Your prediction beside dE/dZ", timeout=FAST
    )
    diagnosis = page.locator("#diagnosis-copy-true-class")
    expect(diagnosis).to_contain_text("That copies the correct class's gradient to every logit")
    expect(page.locator("table.verdicts tbody tr")).to_have_count(2)
    assert "guess=-0.269,-0.269" in page.url
    assert axe_violations(page) == [], format_violations(axe_violations(page))
    # The diagnosis's link follows the path it misses.
    diagnosis.get_by_role("link").click()
    expect(page.locator("#panel-path")).to_be_visible(timeout=FAST)
    expect(page.locator("#path-caption")).to_contain_text("Path Z2 → O1 → E")


def test_without_javascript_the_prediction_form_still_reveals(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?logits=2,1,0.5&target=2&mode=predict")
        for k, value in enumerate(["0.5", "0.2", "-0.7"]):
            page.locator(f"#guess-{k}").fill(value)
        page.locator("#why").fill("O3 must go up")
        page.get_by_role("button", name="Check my prediction").click()
        expect(page.locator("table.verdicts tbody tr")).to_have_count(3, timeout=FAST)
        expect(page.locator(".why-echo")).to_have_text("Your reason: O3 must go up")
        assert "why=O3" in page.url
    finally:
        context.close()


def test_editing_a_logit_while_predicting_keeps_the_answer_hidden(
    page: Page, base_url: str
) -> None:
    page.goto(f"{base_url}/?{SEED}&mode=predict")
    page.locator("#z-0").fill("3")
    expect(page).to_have_url(re.compile(r"logits=3,1&target=0&mode=predict"), timeout=FAST)
    expect(page.locator("#panel-predict")).to_be_visible()
    assert page.locator("#panel-grad").count() == 0
    assert page.locator("#panel-chain").count() == 0
    expect(page.locator("#live-summary")).to_contain_text("hidden until you give your answer")


def test_a_nudge_link_moves_the_state_and_the_slope_is_the_gradient(
    page: Page, base_url: str
) -> None:
    page.goto(f"{base_url}/?{SEED}&probe=1")
    expect(page.locator("#nudge-sentence")).to_contain_text("the slope is +0.269 = O2")
    assert axe_violations(page) == [], format_violations(axe_violations(page))
    page.get_by_role("link", name=re.compile(r"Z2 \+ 0\.1")).click()
    expect(page).to_have_url(re.compile(r"logits=2,1\.1&target=0&probe=1"), timeout=FAST)
    api = page.request.get(f"{base_url}/gradient?logits=2,1.1&target=0").json()
    expect(page.locator("#panel-nudge caption").first).to_contain_text(
        f"{api['grad_logits'][1]:.6f}"[:7]
    )


def test_path_edges_are_reached_and_followed_with_the_keyboard(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?logits=2,1,0.5&target=0&focus=0,1")
    edges = page.locator("#panel-path svg a")
    expect(edges).to_have_count(3 * 3 + 3)
    current = page.locator('#panel-path svg a[aria-current="true"]')
    expect(current).to_have_count(2)  # Z2 → O1 and O1 → E
    target = page.locator('#panel-path svg a[aria-label^="Path Z1 to O3"]')
    target.focus()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith("Path Z1")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"focus=2,0"), timeout=FAST)
    expect(page.locator("#path-caption")).to_contain_text("Path Z1 → O3 → E")
    assert axe_violations(page) == [], format_violations(axe_violations(page))


@pytest.mark.parametrize(
    "query",
    [
        f"{SEED}&mode=predict",
        f"{SEED}&mode=predict&guess=-0.269,-0.269&why=because",
        "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7&mode=predict&ask=sign",
        f"{SEED}&probe=1",
        "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7&focus=7,0",
        "logits=-4,4&target=0&reduction=sum&compare=mse",
        "logits=2,1,0.5&target=0&compare=bce&pair=0,1",
        f"{SEED}&pair=0,1&start=2,1&steps=20",
    ],
)
def test_instruments_fit_a_phone_and_pass_axe_in_the_dark(
    browser: Browser, base_url: str, query: str
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?{query}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{width} px wide"
        assert axe_violations(page) == [], format_violations(axe_violations(page))
    finally:
        context.close()


def test_a_student_steps_the_descent_and_opens_the_confidently_wrong_preset(
    page: Page, base_url: str
) -> None:
    page.goto(f"{base_url}/?{SEED}&start=2,1&compare=mse")
    expect(page.locator("#descent-sentence")).to_contain_text("0 times from Z = (2, 1)")
    page.get_by_role("link", name="10 steps").click()
    expect(page.locator("#descent-sentence")).to_contain_text("10 times from Z = (2, 1)")
    expect(page).to_have_url(re.compile(r"start=2,1&steps=10"), timeout=FAST)
    expect(page.locator("#descent-sentence")).to_contain_text("Σ Z = 3 at every step")
    page.get_by_role("link", name=re.compile(r"Z = \(−4, 4\)")).click()
    expect(page.locator("#compare-sentence")).to_contain_text("746 times smaller", timeout=FAST)


def test_play_steps_the_descent_until_paused(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?{SEED}&start=2,1")
    page.locator("#descent-play").click()
    expect(page).to_have_url(re.compile(r"steps=3"), timeout=10_000)
    page.locator("#descent-play").click()  # pause
    expect(page.locator("#descent-play")).to_have_attribute("aria-pressed", "false")
    stopped = page.url
    sentence = page.locator("#descent-sentence").inner_text()
    page.wait_for_timeout(1_000)
    assert page.url == stopped
    assert page.locator("#descent-sentence").inner_text() == sentence


def test_a_step_on_its_way_when_paused_is_not_shown(page: Page, base_url: str) -> None:
    """Pause pressed while Play's step was on its way: the figure advanced once more after
    Pause (CI caught steps=4 after a pause at steps=3)."""
    page.goto(f"{base_url}/?{SEED}&start=2,1")
    page.route("**/*steps=1*", lambda route: (page.wait_for_timeout(600), route.continue_()))
    page.locator("#descent-play").click()
    page.wait_for_timeout(500)  # Play's first step is now on its way, held by the route
    page.locator("#descent-play").click()  # pause
    page.wait_for_timeout(1_500)
    expect(page.locator("#descent-sentence")).to_contain_text("0 times from Z = (2, 1)")
    assert "steps=" not in page.url


def test_a_student_switches_the_loss_and_every_panel_follows(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?logits=-4,4&target=0")
    expect(page.locator("#panel-binary")).to_be_visible()  # two classes: the bridge by default
    before = page.locator("#panel-grad").inner_text()
    page.locator("#loss").select_option("mse")
    expect(page).to_have_url(re.compile(r"loss=mse"), timeout=FAST)
    expect(page.locator("#chain-sentence")).to_contain_text("under squared error nothing cancels")
    expect(page.locator("#panel-binary")).to_have_count(0)  # the bridge is cross-entropy's
    assert page.locator("#panel-grad").inner_text() != before
    # keyboard only: focus the select and choose binary cross-entropy with the arrow keys
    page.locator("#loss").focus()
    page.keyboard.press("ArrowDown")
    expect(page).to_have_url(re.compile(r"loss=bce"), timeout=FAST)
    expect(page.locator("#chain-sentence")).to_contain_text("only the i = 2 term is non-zero")
    # the live page is a fresh load of its URL
    live = page.locator("#panels").inner_text()
    page.goto(page.url)
    assert page.locator("#panels").inner_text() == live


def test_after_a_check_focus_goes_to_what_was_wrong_or_back_to_the_button(
    page: Page, base_url: str
) -> None:
    """Focus fell to <body> after "Check my steps", a wrong prediction or an empty one (and
    an empty prediction showed no message): the next Tab restarted the page."""
    page.goto(f"{base_url}/?{SEED}&mode=predict")
    page.locator("#predict-check").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#error-guess")).to_contain_text("type a prediction", timeout=FAST)
    expect(page.locator("#guess-0")).to_be_focused()
    page.goto(f"{base_url}/?{SEED}&mode=derive&fade=5")
    page.locator("#a5-0").fill("1")
    page.locator("#derive-check").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#a5-0")).to_have_attribute("aria-invalid", "true", timeout=FAST)
    expect(page.locator("#a5-0")).to_be_focused()


def test_editing_a_logit_restarts_the_descent_from_there(page: Page, base_url: str) -> None:
    """The descent panel vanished on the first edit of a logit or Add class."""
    page.goto(f"{base_url}/?{SEED}&start=2,1&steps=3&lr=2")
    page.locator("#z-0").fill("3")
    # from the logits shown (the third step's, Z2 = 0.0905) with Z1 as typed
    expect(page.locator("#descent-sentence")).to_contain_text(
        "0 times from Z = (3, 0.0905)", timeout=FAST
    )
    expect(page).to_have_url(re.compile(r"start=3,0\.09046\d*&lr=2$"), timeout=FAST)
    page.get_by_role("button", name="Add class 3").click()
    expect(page.locator("#descent-sentence")).to_contain_text(
        "0 times from Z = (3, 0.0905, 0)", timeout=FAST
    )


def test_focus_stays_on_the_instruments_line_after_a_toggle(page: Page, base_url: str) -> None:
    """Turning an instrument on or off from the keyboard left focus on <body>."""
    page.goto(f"{base_url}/?{SEED}")
    nudge = page.locator("#instrument-menu a", has_text="Nudge")
    nudge.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-nudge")).to_be_visible(timeout=FAST)
    expect(page.locator("#instrument-menu a", has_text="Nudge")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-nudge")).to_have_count(0, timeout=FAST)
    expect(page.locator("#instrument-menu a", has_text="Nudge")).to_be_focused()
    page.get_by_role("link", name="Gradient descent").click()
    steps = page.get_by_role("link", name="10 steps")
    steps.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#descent-sentence")).to_contain_text("10 times", timeout=FAST)
    assert page.evaluate("document.activeElement.tagName") == "A"


def test_an_edit_after_turning_predict_on_keeps_the_address_clean(
    page: Page, base_url: str
) -> None:
    page.goto(f"{base_url}/?logits=2,1,0.5&target=0")
    page.get_by_role("link", name="Predict dE/dZ first").click()
    expect(page.locator("#panel-predict")).to_be_visible(timeout=FAST)
    page.locator("#z-0").fill("3")
    expect(page).to_have_url(re.compile(r"/\?logits=3,1,0\.5&target=0&mode=predict$"), timeout=FAST)
