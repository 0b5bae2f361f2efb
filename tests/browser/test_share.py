"""The share and embed builder on the explorer: copy buttons, live links, the preview."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import VIEWPORT


def test_copy_buttons_copy_and_say_so(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    page.goto(f"{base_url}/?logits=2,1&target=0")
    page.locator("#z-0").fill("3")
    expect(page.locator("#share-link")).to_have_value(f"{base_url}/?logits=3,1&target=0")

    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status")).to_have_text("Copied link.")
    assert page.evaluate("navigator.clipboard.readText()") == f"{base_url}/?logits=3,1&target=0"

    page.get_by_role("button", name="Copy embed code").click()
    expect(page.get_by_role("status")).to_have_text("Copied embed code.")
    snippet = page.evaluate("navigator.clipboard.readText()")
    assert snippet.startswith(f'<iframe src="{base_url}/embed?logits=3,1&amp;target=0"')
    assert 'loading="lazy"' in snippet
    context.close()


def test_builder_choices_shape_the_snippet_and_the_preview(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{base_url}/?logits=2,1&target=0")
    for name in ("logits", "loss", "jacobian"):
        page.locator(f'#share input[name="panels"][value="{name}"]').uncheck()
    page.get_by_label("logits only").check()
    page.locator("#share-theme").select_option("dark")
    page.locator("#share-height").fill("500")
    snippet = page.locator("#share-snippet")
    expect(snippet).to_have_value(
        re.compile("panels=probs,grad,chain&amp;controls=logits&amp;theme=dark")
    )
    expect(snippet).to_have_value(re.compile('height="500"'))

    page.get_by_text("Preview of the embed").click()
    preview = page.frame_locator(".preview iframe")
    expect(preview.locator("#panels > section.panel")).to_have_count(3)
    expect(preview.locator("body.theme-dark")).to_have_count(1)
    expect(preview.locator('button[value="add"]')).to_have_count(0)
    context.close()


def test_the_preview_stays_open_while_the_choices_change(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?logits=2,1&target=0")
    page.locator("#share-output details.preview > summary").click()
    page.locator("#share-theme").select_option("dark")
    expect(page.locator("#share-snippet")).to_contain_text("theme=dark", timeout=5_000)
    expect(page.locator("#share-output details.preview")).to_have_attribute("open", "")


def test_the_preview_shows_the_snippet_as_it_is_without_the_host_script(
    page: Page, base_url: str
) -> None:
    page.goto(f"{base_url}/?logits=2,1&target=0")
    preview = page.locator("#share-preview")
    height = preview.get_attribute("height")
    page.locator("#share-output details.preview > summary").click()
    page.wait_for_timeout(1500)  # time for any resize message to arrive
    assert preview.evaluate("(f) => f.getBoundingClientRect().height") == float(height or 0)


def test_without_javascript_update_preview_keeps_the_state(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/?logits=3,1,0.5&target=2&temperature=2")
        page.locator('#share input[name="panels"][value="jacobian"]').uncheck()
        page.locator("#share-theme").select_option("dark")
        with page.expect_navigation():
            page.get_by_role("button", name="Update preview").click()
        expect(page).to_have_url(re.compile(r"logits=3,1,0\.5&target=2&temperature=2&"))
        expect(page.locator("#z-0")).to_have_value("3")
        snippet = page.locator("#share-snippet")
        expect(snippet).to_have_value(re.compile(r"logits=3,1,0\.5&amp;target=2&amp;temperature=2"))
        expect(snippet).to_have_value(re.compile("theme=dark"))
        expect(page.locator('#share input[name="panels"][value="jacobian"]')).not_to_be_checked()
    finally:
        context.close()


def test_share_choices_after_an_edit_keep_the_edited_state(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?logits=2,1&target=0")
    page.locator("#z-0").fill("4")
    expect(page.locator("#share-link")).to_have_value(f"{base_url}/?logits=4,1&target=0")
    page.locator("#share-theme").select_option("dark")
    snippet = page.locator("#share-snippet")
    expect(snippet).to_have_value(re.compile(r"logits=4,1&amp;target=0&amp;theme=dark"))
    expect(page.locator("#z-0")).to_have_value("4")


def test_a_button_edit_keeps_the_share_choices(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?logits=2,1&target=0")
    page.locator("#share-theme").select_option("dark")
    snippet = page.locator("#share-snippet")
    expect(snippet).to_have_value(re.compile("theme=dark"))
    page.get_by_role("button", name="Add class 3").click()
    expect(page.locator("#share-link")).to_have_value(re.compile(r"logits=2,1,0&target=0$"))
    expect(snippet).to_have_value(re.compile(r"logits=2,1,0&amp;target=0&amp;theme=dark"))


def test_the_height_hint_follows_the_panels_and_a_bad_height_is_said(
    page: Page, base_url: str
) -> None:
    page.goto(f"{base_url}/?logits=2,1&target=0")
    height = page.locator("#share-height")
    full = int(height.get_attribute("placeholder") or 0)
    page.locator('#share input[name="panels"][value="jacobian"]').uncheck()
    expect(page.locator("#share-snippet")).to_have_value(re.compile("panels="))
    fewer = int(height.get_attribute("placeholder") or 0)
    assert 0 < fewer < full
    height.fill("abc")
    expect(page.locator("#share-output .field-error")).to_contain_text("not a whole number")
    expect(page.locator("#share-snippet")).to_have_value(re.compile(f'height="{fewer}"'))
