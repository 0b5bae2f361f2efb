"""`/docs` in a real browser: Swagger UI from the local pinned copy, under the strict CSP."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_docs_render_every_operation_without_a_csp_violation(page: Page, base_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{base_url}/docs")
    expect(page.locator(".opblock")).to_have_count(5, timeout=15_000)  # explorer.json too
    expect(page.locator(".opblock-summary-path").first).to_have_text("/gradient")
    assert page.console_errors == []  # type: ignore[attr-defined]  # CSP violations land here
    assert all(url.startswith(base_url) for url in requested), requested  # no CDN


def test_try_it_out_calls_the_api_with_the_seed_example(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/docs")
    page.locator(".opblock-post .opblock-summary").click()
    page.get_by_role("button", name="Execute").click()
    live = page.locator(".live-responses-table tbody .response-col_status")
    expect(live.first).to_have_text("200", timeout=10_000)
    body = page.locator(".live-responses-table tbody .response-col_description")
    expect(body.first).to_contain_text("grad_logits")
