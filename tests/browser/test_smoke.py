"""Smoke tests in real Chromium: the API from a page, CORS across origins, vendored files."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from app.web.assets import HTMX_LOCAL_PATH, HTMX_SRI
from tests.browser.conftest import ROOT, HostSite, axe_violations, format_violations

LOSS = 0.31326168751822286  # cross-entropy of softmax([2, 1]) against class 0: log(1 + e^-1)


def test_same_origin_fetch_of_gradient(page: Page, base_url: str) -> None:
    # from one of dEdZ's pages (connect-src 'self'); a JSON answer opened as a document allows
    # nothing, scripts included
    page.goto(base_url + "/guide")
    body: dict[str, Any] = page.evaluate(
        """async () => {
            const response = await fetch('/gradient?logits=2,1&target=0');
            return {status: response.status, json: await response.json()};
        }"""
    )
    assert body["status"] == 200
    assert body["json"]["loss"] == pytest.approx(LOSS, rel=1e-12)
    assert body["json"]["grad_logits"] == pytest.approx([-0.2689414213699951, 0.2689414213699951])


def test_cross_origin_post_of_gradient(page: Page, base_url: str, host: HostSite) -> None:
    # Another tool's page at an origin of its own, on loopback (dEdZ's pages forbid it by CSP).
    page.goto(host.add("/tool", "<!doctype html><title>another tool</title>"))
    result: dict[str, Any] = page.evaluate(
        """async (api) => {
            const post = (credentials) => fetch(api + '/gradient', {
                method: 'POST',
                headers: {'Content-Type': 'application/json'},  // forces a preflight
                body: JSON.stringify({logits: [2, 1], target: 0}),
                credentials,
            });
            const response = await post('omit');
            const json = await response.json();
            // Credentials are not allowed (the API is open to every origin): a browser must
            // refuse this one, which shows the check above really went through CORS.
            let credentialed = 'allowed';
            try { await post('include'); } catch (error) { credentialed = 'blocked'; }
            return {status: response.status, json, credentialed};
        }""",
        base_url,
    )
    assert result["status"] == 200
    assert result["json"]["loss"] == pytest.approx(LOSS, rel=1e-12)
    assert result["credentialed"] == "blocked"


def test_vendored_htmx_matches_pinned_sri() -> None:
    path = ROOT / HTMX_LOCAL_PATH
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `python scripts/fetch_vendor.py`", pytrace=False)
    digest = hashlib.sha384(path.read_bytes()).digest()
    assert "sha384-" + base64.b64encode(digest).decode() == HTMX_SRI


def test_axe_finds_violations_and_passes_clean_markup(page: Page, screenshot_dir: Path) -> None:
    page.set_content(
        '<!doctype html><html lang="en"><head><title>dEdZ</title></head><body><main>'
        '<h1>dEdZ</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</main></body></html>"
    )
    assert [v["id"] for v in axe_violations(page)] == ["image-alt"]
    page.set_content(
        '<!doctype html><html lang="en"><head><title>dEdZ</title></head><body><main>'
        '<h1>dEdZ</h1><img alt="" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</main></body></html>"
    )
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    page.screenshot(path=screenshot_dir / "axe-clean.png")
    assert (screenshot_dir / "axe-clean.png").stat().st_size > 0
