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
