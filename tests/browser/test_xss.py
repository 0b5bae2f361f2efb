"""Injection through the URL and the form, in the real browser: nothing a user types executes.

Each payload, if it ever ran, would set `window.__pwned`, open a dialog or add an element with
the marker id; the pages reflect every value back (into inputs, messages and links), escaped.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

MARK = "pwned"
PAYLOADS = [
    f"<script>window.__{MARK}=1</script>",
    f'"><img id="{MARK}" src=x onerror="window.__{MARK}=1">',
    f'\'><svg id="{MARK}" onload="window.__{MARK}=1">',
    f'" autofocus onfocus="window.__{MARK}=1" x="',
    f"javascript:window.__{MARK}=1",
    f"</textarea><script>window.__{MARK}=1</script>",
    f'{{{{7*7}}}}<b id="{MARK}">',
]
FIELDS = ["logits", "target", "temperature", "weights", "j", "last", "op", "reduction"]
EMBED_FIELDS = ["panels", "controls", "theme"]


def assert_nothing_ran(page: Page, dialogs: list[Dialog]) -> None:
    assert dialogs == []
    assert page.evaluate(f"window.__{MARK}") is None
    assert page.locator(f"#{MARK}").count() == 0
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0


def open_with_dialog_watch(page: Page, url: str) -> list[Dialog]:
    dialogs: list[Dialog] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url)
    page.wait_for_load_state("load")
    return dialogs


@pytest.mark.parametrize("payload", PAYLOADS)
def test_query_string_payloads_do_not_execute_on_the_explorer(
    page: Page, base_url: str, payload: str
) -> None:
    query = "&".join(f"{field}={quote(payload)}" for field in FIELDS)
    dialogs = open_with_dialog_watch(page, f"{base_url}/?logits=2,{quote(payload)}&{query}")
    assert_nothing_ran(page, dialogs)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_query_string_payloads_do_not_execute_on_the_embed(
    page: Page, base_url: str, payload: str
) -> None:
    query = "&".join(f"{field}={quote(payload)}" for field in [*FIELDS, *EMBED_FIELDS])
    dialogs = open_with_dialog_watch(page, f"{base_url}/embed?{query}")
    assert_nothing_ran(page, dialogs)
    assert page.get_by_role("alert").count() == 1  # the options' problems are named instead


def test_payload_through_the_live_form_does_not_execute(page: Page, base_url: str) -> None:
    """A value typed into the form comes back in messages and the URL, escaped."""
    dialogs = open_with_dialog_watch(page, f"{base_url}/?logits=2,1&target=0")
    page.locator("#temperature").evaluate(
        "(input, value) => { input.type = 'text'; input.value = value;"
        " input.dispatchEvent(new Event('input', {bubbles: true})); }",
        PAYLOADS[1],
    )
    expect(page.locator("#error-temperature")).to_contain_text("is not a finite decimal number")
    assert_nothing_ran(page, dialogs)


def test_payload_through_the_form_without_javascript(browser: Browser, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/?logits=2,1&target=0")
    page.locator("#z-0").evaluate(
        "(input, value) => { input.type = 'text'; input.value = value; }", PAYLOADS[0]
    )
    page.locator("#controls button.nojs-only").click()
    page.wait_for_load_state("load")
    assert page.evaluate(f"window.__{MARK}") is None
    assert page.locator(f"#{MARK}").count() == 0
    assert PAYLOADS[0] in page.locator("#z-0").get_attribute("value", timeout=2000) or ""
    context.close()


SHORT = [f'<b id="{MARK}">', '"><svg onload=1>', "</text><script>"]  # names: 16 characters


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("path", ["/embed", "/build", "/figure.svg"])
def test_an_instructors_prompt_title_and_names_do_not_execute(
    page: Page, base_url: str, payload: str, path: str
) -> None:
    names = ",".join(quote(n) for n in SHORT)
    query = f"logits=2,1,0.5&target=0&names={names}&q={quote(payload)}&title={quote(payload)}"
    dialogs = open_with_dialog_watch(page, f"{base_url}{path}?{query}")
    assert dialogs == []
    assert page.evaluate(f"window.__{MARK}") is None
    assert page.locator(f"#{MARK}").count() == 0
    if path == "/embed":
        expect(page.locator("#figure-prompt")).to_have_text(payload)  # shown, as text
        assert page.title() == payload
