"""Fixtures for real-browser tests: live uvicorn servers, headless Chromium, pages and axe.

The browser is Debian's Chromium (`/usr/bin/chromium`, or `DEDZ_TEST_CHROMIUM`), driven by
Playwright without `playwright install`; no test needs the network. Run
`python scripts/fetch_vendor.py` first: the servers default to `DEDZ_HTMX_SOURCE=local` and the
accessibility checks inject tests/browser/vendor/axe.min.js.

Tests can import the helpers: `from tests.browser.conftest import axe_violations, start_server`
(the launcher itself is tests/live_server.py).
"""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    ViewportSize,
    sync_playwright,
)

from tests.live_server import start_server

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "tests" / "browser" / "vendor" / "axe.min.js"
SCREENSHOT_DIR = ROOT / "test-output" / "screenshots"

CHROMIUM_PATH = os.environ.get("DEDZ_TEST_CHROMIUM", "/usr/bin/chromium")
# We run as root (--no-sandbox) on a machine without network: keep Chromium from phoning home,
# and from relying on a large /dev/shm (Docker gives 64 MB).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


@pytest.fixture(scope="session")
def live_server() -> Iterator[Callable[[Mapping[str, str]], str]]:
    """Return `serve(env) -> base URL`: one live server per distinct env, stopped at the end."""
    with ExitStack() as stack:
        servers: dict[tuple[tuple[str, str], ...], str] = {}

        def serve(env: Mapping[str, str]) -> str:
            key = tuple(sorted(env.items()))
            if key not in servers:
                servers[key] = stack.enter_context(start_server(env))
            return servers[key]

        yield serve


@pytest.fixture(scope="session")
def base_url(live_server: Callable[[Mapping[str, str]], str]) -> str:
    """Return the base URL of the default live server (`DEDZ_HTMX_SOURCE=local`)."""
    return live_server({})


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch headless Chromium for the whole session; fail (never skip) if it is missing."""
    if not Path(CHROMIUM_PATH).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM_PATH}: install it (apt-get install chromium) or "
            "point DEDZ_TEST_CHROMIUM at a Chromium/Chrome binary; the browser tests must run.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM_PATH, headless=True, args=list(CHROMIUM_ARGS)
            )
        except Error as error:
            pytest.fail(f"Chromium at {CHROMIUM_PATH} did not start: {error}", pytrace=False)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """Return a page in a fresh 1280×800 context; fail at teardown on any JavaScript error.

    `page.console_errors` (console messages of type error) and `page.js_errors` (uncaught
    exceptions) are lists of what happened; only the latter fail the test. (Playwright's own
    `page.page_errors()` and `page.console_messages()` keep only the last 200.)
    """
    context = browser.new_context(viewport=VIEWPORT)
    new_page = context.new_page()
    console_errors: list[str] = []
    js_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(f"{message.text} ({message.location.get('url', '?')})")

    def on_page_error(error: Error) -> None:
        js_errors.append(f"{error.name}: {error.message}")

    new_page.on("console", on_console)
    new_page.on("pageerror", on_page_error)
    new_page.console_errors = console_errors  # type: ignore[attr-defined]
    new_page.js_errors = js_errors  # type: ignore[attr-defined]
    try:
        yield new_page
    finally:
        context.close()
    if js_errors:
        pytest.fail("JavaScript errors on the page:\n" + "\n".join(js_errors), pytrace=False)


def axe_violations(page: Page, tags: Sequence[str] = WCAG_TAGS) -> list[dict[str, Any]]:
    """Run axe-core on `page` for the rules tagged `tags`; return its violations.

    Each violation is `{"id", "impact", "help", "targets"}`, `targets` holding one CSS selector
    path per offending node.
    """
    if not AXE_PATH.is_file():
        pytest.fail(f"{AXE_PATH} is missing: run `python scripts/fetch_vendor.py`", pytrace=False)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluate the source rather than add a <script>: the app's Content-Security-Policy
        # refuses inline scripts, and evaluation through the DevTools protocol is not subject
        # to it.
        page.evaluate(AXE_PATH.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return results.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                targets: v.nodes.map((n) => n.target),
            }));
        }""",
        list(tags),
    )
    return violations


def format_violations(violations: Sequence[Mapping[str, Any]]) -> str:
    """Render axe violations one per line, for assertion messages."""
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {json.dumps(v['targets'])}" for v in violations
    )


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Return test-output/screenshots (git-ignored), created if needed."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


class HostSite:
    """Pages of a course site at `origin` (http://localhost:PORT), one per path."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.pages: dict[str, tuple[str, dict[str, str]]] = {}

    def add(self, path: str, body: str, headers: Mapping[str, str] | None = None) -> str:
        """Serve `body` (a full HTML document) at `path`, with `headers`; return its URL."""
        self.pages[path] = (body, dict(headers or {}))
        return self.origin + path


@pytest.fixture
def host() -> Iterator[HostSite]:
    """Serve the pages a test adds from a plain loopback HTTP server at its own origin."""
    site = HostSite("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            text, headers = site.pages.get(self.path.split("?", 1)[0], ("not found", {}))
            body = text.encode()
            self.send_response(404 if text == "not found" else 200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.origin = f"http://localhost:{server.server_address[1]}"
    yield site
    server.shutdown()
    server.server_close()
    thread.join()
