"""The embeddable view in real Chromium, framed by a course page on another origin.

The host page is served by a plain HTTP server on loopback at http://localhost:PORT while the
app runs at http://127.0.0.1:PORT: another origin (and another site), as for a course site that
frames dEdZ, yet still on loopback (Chrome keeps non-loopback pages from reaching loopback).
Every wait is on a condition (`expect`, `wait_for_function`), never a fixed sleep.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest
from playwright.sync_api import Error, Frame, FrameLocator, Locator, Page, expect

from tests.browser.conftest import HostSite, axe_violations, format_violations

MINUS = "\u2212"
FAST = 5_000  # ms: the longest any load, edit or resize here may take to show
SEED = "logits=2,1&target=0"
PANELS = ("probs", "grad", "chain", "loss", "logits", "jacobian")
DEFAULT_FRAME_ANCESTORS = "'self' https: http://localhost:* http://127.0.0.1:*"

# In the frame: the height embed-frame.js reports (the root element's, rounded up).
CONTENT_HEIGHT = "() => Math.ceil(document.documentElement.getBoundingClientRect().height)"
# In the host: the page's height, and the rendered height of the iframe `selector`.
PAGE_HEIGHT = "() => document.documentElement.scrollHeight"
FRAME_HEIGHT = "(sel) => Math.round(document.querySelector(sel).getBoundingClientRect().height)"


def host_page(body: str, *, script: str | None = None) -> str:
    """Return a course page holding `body`; it records every message it receives in `received`.

    `script` is the dEdZ server whose host script (`/static/embed.js`) the page includes.
    """
    tag = f'<script src="{html.escape(script)}/static/embed.js"></script>' if script else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Week 3: softmax and cross-entropy</title><link rel="icon" href="data:,">
<script>
  window.received = [];
  window.addEventListener("message", (event) => {{
    window.received.push({{data: event.data, origin: event.origin, self: event.source === window}});
  }});
</script>
</head><body>
<h1>Week 3: softmax and cross-entropy</h1>
<p>Change the logits and watch the gradient.</p>
{body}
{tag}
</body></html>"""


def iframe(src: str, frame_id: str = "embed", attributes: str = "") -> str:
    """Return an iframe as a course page would paste it (no height: 150 px until resized)."""
    return (
        f'<iframe id="{frame_id}" title="dEdZ explorer" src="{html.escape(src)}" '
        f'style="width:100%;border:0;display:block" {attributes}></iframe>'
    )


# ----------------------------------------------------------------------------- helpers


def shown(value: float, digits: int = 4) -> str:
    """Format a number as the panels do: `digits` significant digits and a real minus sign."""
    return "0" if value == 0 else f"{value:.{digits}g}".replace("-", MINUS)


def softmax(logits: Sequence[float]) -> list[float]:
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    return [e / sum(exps) for e in exps]


def grad_cells(logits: Sequence[float], target: int) -> list[str]:
    """Return the gradient row dE/dZ = O − Y as the grad panel's table shows it."""
    probs = softmax(logits)
    return [shown(o - (1.0 if i == target else 0.0)) for i, o in enumerate(probs)]


def cells(frame: FrameLocator, panel: str, row: int = 0) -> Locator:
    """Return the value cells of row `row` of `#panel-<panel>`'s table, inside `frame`."""
    return frame.locator(f"#panel-{panel} table tbody tr").nth(row).locator("td")


def content_frame(page: Page, selector: str = "#embed") -> Frame:
    """Return the Frame of the iframe `selector` (one object across its navigations)."""
    handle = page.locator(selector).element_handle()
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None, f"{selector} has no content frame"
    return frame


def count_settles(frame: Frame) -> None:
    """Count htmx's afterSettle events in `frame` (in `window.settled`), from now on."""
    frame.evaluate(
        """() => {
            window.settled = 0;
            document.addEventListener("htmx:afterSettle", () => { window.settled += 1; });
        }"""
    )


def wait_settled(frame: Frame, times: int = 1) -> None:
    """Wait until htmx has settled `times` responses in `frame` since `count_settles`."""
    frame.wait_for_function("(n) => window.settled >= n", arg=times, timeout=FAST)


def settled_height(page: Page, frame: Frame, selector: str = "#embed") -> int:
    """Wait until the iframe `selector` is exactly as tall as its content; return that height.

    The frame reports each change of its height; the host script sizes the iframe to it.
    """
    content = -1
    for _attempt in range(5):
        content = int(frame.evaluate(CONTENT_HEIGHT))
        try:
            page.wait_for_function(
                f"([sel, h]) => ({FRAME_HEIGHT})(sel) === h", arg=[selector, content], timeout=FAST
            )
        except Error:
            break
        if frame.evaluate(CONTENT_HEIGHT) == content:
            return content
    shown_height = page.evaluate(FRAME_HEIGHT, selector)
    raise AssertionError(
        f"the iframe {selector} is {shown_height}px tall; its content is {content}px "
        f"(messages received: {page.evaluate('() => window.received')!r})"
    )


def received(page: Page) -> list[dict[str, Any]]:
    """Return the messages the host page has received so far."""
    messages: list[dict[str, Any]] = page.evaluate("() => window.received")
    return messages


def embed_url(base_url: str, query: str) -> str:
    return f"{base_url}/embed?{query}"


def csp_directives(header: str) -> dict[str, str]:
    """Split a Content-Security-Policy header into {directive: its sources}."""
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value.strip()
    return directives


# ----------------------------------------------------------------------------- 1. rendering


def test_embed_in_a_host_page_shows_only_the_chosen_panels(
    page: Page, base_url: str, host: HostSite
) -> None:
    src = embed_url(base_url, f"{SEED}&panels=probs,grad,chain")
    url = host.add("/course", host_page(iframe(src), script=base_url))
    page.goto(url)

    frame = page.frame_locator("#embed")
    expect(frame.locator("#panels")).to_be_visible(timeout=FAST)
    expect(frame.locator("#panels > section.panel")).to_have_count(3)
    ids = frame.locator("#panels > section.panel").evaluate_all("(ss) => ss.map((s) => s.id)")
    assert ids == ["panel-probs", "panel-grad", "panel-chain"]
    for name in ("logits", "loss", "jacobian"):
        expect(frame.locator(f"#panel-{name}")).to_have_count(0)
    # No site chrome: the embed is the explorer and its footer.
    expect(frame.locator("header, .site-header, .site-footer, #share")).to_have_count(0)
    expect(frame.locator("#z-0")).to_have_value("2")
    expect(frame.locator("#z-1")).to_have_value("1")
    expect(cells(frame, "grad")).to_have_text(grad_cells([2, 1], 0))

    link = frame.get_by_role("link", name=re.compile("Open in dEdZ"))
    expect(link).to_have_attribute("href", f"/?{SEED}")
    expect(link).to_have_attribute("target", "_blank")


# ----------------------------------------------------------------------------- 2. editing


def test_editing_inside_the_frame_updates_panels_without_touching_history(
    page: Page, base_url: str, host: HostSite
) -> None:
    src = embed_url(base_url, f"{SEED}&panels=probs,grad,chain")
    url = host.add("/course", host_page(iframe(src), script=base_url))
    page.goto(url)
    frame = page.frame_locator("#embed")
    expect(cells(frame, "grad")).to_have_text(grad_cells([2, 1], 0), timeout=FAST)
    inner = content_frame(page)
    frame_url = inner.url
    frame_href = inner.evaluate("() => location.href")
    host_history = page.evaluate("() => history.length")
    count_settles(inner)

    frame.locator("#z-0").fill("3")

    expect(cells(frame, "grad")).to_have_text(grad_cells([3, 1], 0), timeout=FAST)
    expect(cells(frame, "probs")).to_have_text([shown(o) for o in softmax([3, 1])])
    expect(frame.locator("#panels > section.panel")).to_have_count(3)
    wait_settled(inner)  # htmx has finished with the response, history included
    assert page.evaluate("() => history.length") == host_history
    assert page.url == url
    assert inner.url == frame_url
    assert inner.evaluate("() => location.href") == frame_href
    assert inner.evaluate("() => history.length") == host_history
    # The next edit builds on this one (the hidden `last` field follows the state).
    expect(frame.locator("#last")).to_have_value("logits=3,1&target=0")


def test_open_in_dedz_link_follows_edits_made_in_the_frame(
    page: Page, base_url: str, host: HostSite
) -> None:
    """After an edit, "Open in dEdZ" must open the state the student is looking at."""
    src = embed_url(base_url, f"{SEED}&panels=probs,grad,chain")
    page.goto(host.add("/course", host_page(iframe(src), script=base_url)))
    frame = page.frame_locator("#embed")
    link = frame.get_by_role("link", name=re.compile("Open in dEdZ"))
    expect(link).to_have_attribute("href", f"/?{SEED}", timeout=FAST)

    count_settles(content_frame(page))
    frame.locator("#z-0").fill("3")

    expect(cells(frame, "grad")).to_have_text(grad_cells([3, 1], 0), timeout=FAST)
    wait_settled(content_frame(page))  # the response is fully in: the link must show it now
    assert link.get_attribute("href") == "/?logits=3,1&target=0"


# ----------------------------------------------------------------------------- 3. resizing


def test_host_script_resizes_the_iframe_to_its_content(
    page: Page, base_url: str, host: HostSite
) -> None:
    src = embed_url(base_url, SEED)
    # The inline script measures the iframe as the parser reaches it, before any message.
    body = iframe(src) + (
        "<script>window.initialHeight ="
        " document.getElementById('embed').getBoundingClientRect().height;</script>"
    )
    page.goto(host.add("/course", host_page(body, script=base_url)))
    assert page.evaluate("() => window.initialHeight") == 150

    frame = page.frame_locator("#embed")
    expect(frame.locator("#panels")).to_be_visible(timeout=FAST)
    inner = content_frame(page)
    first = settled_height(page, inner)
    assert first > 500
    assert inner.evaluate("() => document.documentElement.scrollHeight <= innerHeight")

    add = frame.locator("button[name=op][value=add]")
    add.click()
    expect(frame.locator("#z-2")).to_be_visible(timeout=FAST)
    add.click()
    expect(frame.locator("#z-3")).to_be_visible(timeout=FAST)
    expect(frame.locator("#controls input[name=logits]")).to_have_count(4)
    grown = settled_height(page, inner)
    assert grown > first
    assert inner.evaluate("() => document.documentElement.scrollHeight <= innerHeight")
    assert page.locator("#embed").get_attribute("height") == str(grown)

    # The other two forms of the same message, for Canvas and for Embedly-style hosts.
    messages = received(page)
    frame_href = inner.evaluate("() => location.href")
    assert all(m["origin"] == base_url for m in messages), messages
    own = [m["data"] for m in messages if isinstance(m["data"], dict)]
    parsed = [json.loads(m["data"]) for m in messages if isinstance(m["data"], str)]
    assert {"type": "dedz:resize", "height": grown, "src": frame_href} in own
    assert {"subject": "lti.frameResize", "height": grown} in parsed, parsed
    assert {"context": "iframe.resize", "src": frame_href, "height": grown} in parsed, parsed
    assert {"subject": "lti.frameResize", "height": first} in parsed, parsed


# ----------------------------------------------------------------------------- 4. host safety

# A page that posts a dEdZ-shaped resize message to its parent as soon as it runs.
IMPOSTOR = """<!doctype html><html lang="en"><title>impostor</title>
<script>parent.postMessage({type: "dedz:resize", height: 50, src: location.href}, "*");</script>
</html>"""


def post_and_drain(page: Page, script: str) -> None:
    """Run `script` in the host page, then wait until the messages it posted were handled.

    A "marker" message posted last arrives last: once the page has received it, every
    listener (the host script's included) has handled the messages before it.
    """
    page.evaluate(f"() => {{ {script}; window.postMessage('marker', '*'); }}")
    page.wait_for_function("() => window.received.some((m) => m.data === 'marker')", timeout=FAST)


def test_host_script_resizes_each_iframe_only_from_its_own_frame(
    page: Page, base_url: str, host: HostSite
) -> None:
    tall = embed_url(base_url, SEED)
    short = embed_url(base_url, f"{SEED}&panels=loss&controls=none")
    # A host-origin widget that posts a dEdZ-shaped message too.
    widget = (
        '<iframe id="widget" title="another widget" style="border:0" srcdoc="'
        + html.escape(IMPOSTOR, quote=True)
        + '"></iframe>'
    )
    body = iframe(tall, "tall") + iframe(short, "short") + widget
    page.goto(host.add("/course", host_page(body, script=base_url)))
    expect(page.frame_locator("#tall").locator("#panel-jacobian")).to_be_visible(timeout=FAST)
    expect(page.frame_locator("#short").locator("#panel-loss")).to_be_visible(timeout=FAST)
    # Each iframe gets its own content's height, not the other's (messages are told apart by
    # their source window).
    tall_height = settled_height(page, content_frame(page, "#tall"), "#tall")
    short_height = settled_height(page, content_frame(page, "#short"), "#short")
    assert tall_height > 500
    assert 120 < short_height < tall_height - 200

    post_and_drain(
        page,
        """
        window.postMessage({type: "dedz:resize", height: 50}, "*");
        const src = document.getElementById("tall").src;
        window.postMessage({type: "dedz:resize", height: 50, src}, "*");
        """,
    )
    assert {"type": "dedz:resize", "height": 50, "src": "about:srcdoc"} in [
        m["data"] for m in received(page)
    ]  # the widget's message did arrive
    assert page.evaluate(FRAME_HEIGHT, "#tall") == tall_height
    assert page.evaluate(FRAME_HEIGHT, "#short") == short_height
    assert page.evaluate(FRAME_HEIGHT, "#widget") == 150


@pytest.mark.parametrize(
    "headers",
    [{}, {"Content-Security-Policy": "sandbox allow-scripts"}],
    ids=["other-origin", "opaque-origin"],
)
def test_host_script_ignores_a_dedz_iframe_showing_another_origin(
    page: Page, base_url: str, host: HostSite, headers: dict[str, str]
) -> None:
    """The iframe's src is dEdZ's, but its document now comes from elsewhere: ignore it.

    Its messages come from the right window but the wrong origin: the host's, or "null" for
    a page sandboxed by its own CSP (the iframe itself has no sandbox attribute).
    """
    src = embed_url(base_url, SEED)
    page.goto(host.add("/course", host_page(iframe(src), script=base_url)))
    expect(page.frame_locator("#embed").locator("#panels")).to_be_visible(timeout=FAST)
    inner = content_frame(page)
    height = settled_height(page, inner)
    assert height > 500

    # The frame navigates itself (Playwright's Frame.goto loses a frame that changes process).
    inner.evaluate("(url) => { location.href = url; }", host.add("/impostor", IMPOSTOR, headers))
    expected_origin = "null" if headers else host.origin
    page.wait_for_function(
        "(origin) => window.received.some((m) => m.data.height === 50 && m.origin === origin)",
        arg=expected_origin,
        timeout=FAST,
    )
    post_and_drain(page, "")
    assert page.evaluate(FRAME_HEIGHT, "#embed") == height


# ----------------------------------------------------------------------------- 5. sandbox


def test_sandboxed_iframe_renders_edits_and_resizes(
    page: Page, base_url: str, host: HostSite
) -> None:
    src = embed_url(base_url, f"{SEED}&panels=probs,grad,chain")
    body = iframe(src, attributes='sandbox="allow-scripts"')
    page.goto(host.add("/course", host_page(body, script=base_url)))
    frame = page.frame_locator("#embed")
    expect(frame.locator("#panels > section.panel")).to_have_count(3, timeout=FAST)
    inner = content_frame(page)
    assert inner.evaluate("() => window.origin") == "null"  # really an opaque origin
    assert inner.evaluate("() => typeof window.htmx") == "object"
    first = settled_height(page, inner)
    assert first > 500
    assert {m["origin"] for m in received(page)} == {"null"}

    with page.expect_response(
        lambda r: "/embed?" in r.url and r.request.headers.get("hx-request") == "true",
        timeout=FAST,
    ) as answer:
        frame.locator("#z-0").fill("3")
    response = answer.value
    assert response.status == 200
    assert response.request.all_headers().get("origin") == "null"
    assert response.all_headers().get("access-control-allow-origin") in ("*", "null")
    expect(cells(frame, "grad")).to_have_text(grad_cells([3, 1], 0), timeout=FAST)

    # A bigger edit in the sandbox resizes the iframe too (the host trusts origin "null").
    frame.locator("#controls button[name=op][value=add]").click()
    expect(frame.locator("#z-2")).to_be_visible(timeout=FAST)
    expect(frame.locator("#panels > section.panel")).to_have_count(3)  # options kept
    assert settled_height(page, inner) > first


# ----------------------------------------------------------------------------- 6. frame policy


def test_frame_ancestors_setting_decides_who_may_frame_the_embed(
    page: Page,
    base_url: str,
    host: HostSite,
    live_server: Callable[[Mapping[str, str]], str],
) -> None:
    strict_url = live_server({"DEDZ_FRAME_ANCESTORS": "'self'"})
    query = f"{SEED}&panels=grad"

    headers = {}
    for server in (base_url, strict_url):
        response = page.request.get(embed_url(server, query), max_redirects=0)
        assert response.status == 200
        headers[server] = response.headers
        assert "x-frame-options" not in response.headers
    assert csp_directives(headers[base_url]["content-security-policy"])["frame-ancestors"] == (
        DEFAULT_FRAME_ANCESTORS
    )
    assert csp_directives(headers[strict_url]["content-security-policy"])["frame-ancestors"] == (
        "'self'"
    )

    body = iframe(embed_url(strict_url, query), "strict") + iframe(
        embed_url(base_url, query), "open"
    )
    with page.expect_console_message(
        lambda m: "frame-ancestors" in m.text, timeout=FAST
    ) as refusal:
        page.goto(host.add("/course", host_page(body, script=base_url)))
    assert strict_url in refusal.value.text
    assert "frame-ancestors 'self'" in refusal.value.text

    expect(page.frame_locator("#open").locator("#panel-grad")).to_be_visible(timeout=FAST)
    # Chromium shows its error page in the refused frame: no dEdZ document, nothing to resize.
    strict = content_frame(page, "#strict")
    assert not strict.url.startswith(strict_url), strict.url
    expect(page.frame_locator("#strict").locator("#panels, #controls")).to_have_count(0)
    assert page.evaluate(FRAME_HEIGHT, "#strict") == 150


# ----------------------------------------------------------------------------- 7. bad options


def test_unknown_options_are_named_and_the_explorer_still_shows(page: Page, base_url: str) -> None:
    response = page.goto(base_url + "/embed?panels=foo&theme=purple")
    assert response is not None
    assert response.status == 422
    alert = page.get_by_role("alert")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("panels")
    expect(alert).to_contain_text(
        "'foo' is not a panel; choose from probs, grad, chain, loss, logits, jacobian"
    )
    expect(alert).to_contain_text("theme")
    expect(alert).to_contain_text("'purple' is not one of auto, light, dark")
    expect(page.locator("#controls")).to_be_visible()
    expect(page.locator("#z-0")).to_have_value("2")
    expect(page.locator("#panels > section.panel")).to_have_count(len(PANELS))
    expect(page.locator("body")).to_have_class(re.compile(r"\btheme-auto\b"))


# ----------------------------------------------------------------------------- 8. controls


def test_controls_none_shows_no_form(page: Page, base_url: str, host: HostSite) -> None:
    src = embed_url(base_url, f"{SEED}&panels=probs,grad&controls=none")
    page.goto(host.add("/course", host_page(iframe(src), script=base_url)))
    frame = page.frame_locator("#embed")
    expect(frame.locator("#panels > section.panel")).to_have_count(2, timeout=FAST)
    expect(frame.locator("form")).to_have_count(0)
    expect(frame.locator("input, select, textarea, button")).to_have_count(0)
    expect(cells(frame, "grad")).to_have_text(grad_cells([2, 1], 0))


def test_controls_logits_edits_keep_the_urls_target(
    page: Page, base_url: str, host: HostSite
) -> None:
    src = embed_url(base_url, "logits=2,1,0&target=1&panels=probs,grad&controls=logits")
    page.goto(host.add("/course", host_page(iframe(src), script=base_url)))
    frame = page.frame_locator("#embed")
    expect(frame.locator("#panels > section.panel")).to_have_count(2, timeout=FAST)

    # Only the logits can be changed: three number inputs and their sliders, nothing else.
    visible = frame.locator(
        "#controls :is(input, select, textarea, button):not([aria-hidden=true]):visible"
    )
    names = visible.evaluate_all(
        "(els) => els.map((e) => `${e.type}:${e.name || e.dataset.sync || e.id}`)"
    )
    assert sorted(names) == sorted(["text:logits"] * 3 + [f"range:z-{i}" for i in range(3)]), names
    expect(
        frame.locator("#controls :is(button[name=op], select, input[type=radio], details)")
    ).to_have_count(0)
    expect(cells(frame, "probs", row=1)).to_have_text(["0", "1", "0"])
    expect(cells(frame, "grad")).to_have_text(grad_cells([2, 1, 0], 1))

    frame.locator("#z-0").fill("3")

    expect(cells(frame, "grad")).to_have_text(grad_cells([3, 1, 0], 1), timeout=FAST)
    expect(cells(frame, "probs", row=1)).to_have_text(["0", "1", "0"])
    expect(cells(frame, "probs", row=0)).to_have_text([shown(o) for o in softmax([3, 1, 0])])
    expect(frame.locator("#last")).to_have_value("logits=3,1,0&target=1")


# ----------------------------------------------------------------------------- 9. accessibility


@pytest.mark.parametrize(
    ("path", "scheme"),
    [
        ("/embed", "light"),
        ("/embed?theme=dark", "light"),
        ("/embed", "dark"),  # theme=auto follows the reader's dark preference
    ],
)
def test_embed_has_no_axe_violations(
    page: Page, base_url: str, path: str, scheme: Literal["light", "dark"]
) -> None:
    page.emulate_media(color_scheme=scheme)
    response = page.goto(base_url + path)
    assert response is not None
    assert response.status == 200
    expect(page.locator("#panels")).to_be_visible()
    # The theme really applies: dark paper for theme=dark and for auto in a dark scheme.
    dark = "theme=dark" in path or scheme == "dark"
    expect(page.locator("body")).to_have_css(
        "background-color", "rgb(23, 27, 34)" if dark else "rgb(255, 255, 255)"
    )
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


# ----------------------------------------------------------------------------- 10. screenshots


@pytest.mark.parametrize("width", [320, 1024])
def test_screenshot_of_an_embed_in_a_host_page(
    page: Page, base_url: str, host: HostSite, screenshot_dir: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    src = embed_url(base_url, SEED)
    page.goto(host.add("/course", host_page(iframe(src), script=base_url)))
    expect(page.frame_locator("#embed").locator("#panels")).to_be_visible(timeout=FAST)
    inner = content_frame(page)
    settled_height(page, inner)
    # A viewport as tall as the page, rather than `full_page`: Chromium paints a cross-origin
    # frame only near the viewport, so a full-page capture leaves the frame's lower part blank.
    page.set_viewport_size({"width": width, "height": page.evaluate(PAGE_HEIGHT)})
    settled_height(page, inner)
    path = screenshot_dir / f"embed-in-host-{width}.png"
    page.screenshot(path=path)
    assert path.stat().st_size > 0
    # Nothing inside the frame is wider than the frame (no sideways scrolling in a course page).
    overflow = inner.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            // Inside a scroll box (a table, a long formula) is fine: that box scrolls.
            const scrolls = (e) => {
                for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
                    if (getComputedStyle(a).overflowX !== 'visible') return true;
                }
                return false;
            };
            return [...document.querySelectorAll('body *')]
                .filter((e) => e.getBoundingClientRect().right > width + 1)
                .filter((e) => !scrolls(e) && !e.closest('.sr-only'))
                .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`);
        }"""
    )
    assert overflow == [], f"at {width}px, wider than the frame: {overflow[:10]}"


def test_open_in_dedz_offers_the_link_to_copy_where_popups_are_blocked(
    page: Page, base_url: str, host: HostSite
) -> None:
    src = embed_url(base_url, f"{SEED}&panels=grad")
    page.goto(host.add("/course", host_page(iframe(src, attributes='sandbox="allow-scripts"'))))
    frame = page.frame_locator("#embed")
    frame.locator("#z-0").fill("3")
    expect(cells(frame, "grad")).to_have_text(grad_cells([3, 1], 0), timeout=FAST)
    fallback = frame.locator("#open-fallback")
    expect(fallback).to_have_count(0)
    frame.get_by_role("link", name=re.compile("Open in dEdZ")).click()
    expect(fallback).to_be_visible(timeout=FAST)
    expect(frame.locator("#open-url")).to_have_value(f"{base_url}/?logits=3,1&target=0")
    expect(frame.locator("#open-url")).to_be_focused()
    assert len(page.context.pages) == 1


def test_open_in_dedz_opens_a_window_where_popups_are_allowed(
    page: Page, base_url: str, host: HostSite
) -> None:
    src = embed_url(base_url, f"{SEED}&panels=grad")
    body = iframe(src, attributes='sandbox="allow-scripts allow-popups"')
    page.goto(host.add("/course", host_page(body)))
    frame = page.frame_locator("#embed")
    expect(frame.locator("#panel-grad")).to_be_visible(timeout=FAST)
    with page.context.expect_page(timeout=FAST) as popup:
        frame.get_by_role("link", name=re.compile("Open in dEdZ")).click()
    opened = popup.value
    opened.wait_for_load_state()
    assert opened.url == f"{base_url}/?{SEED}"
    expect(frame.locator("#open-fallback")).to_have_count(0)
    opened.close()


def test_an_embeds_document_title_follows_its_edits(page: Page, base_url: str) -> None:
    page.goto(embed_url(base_url, f"{SEED}&panels=grad"))
    expect(page).to_have_title(re.compile(r"Z = \(2, 1\)"))
    page.locator("#z-0").fill("5")
    expect(page).to_have_title(re.compile(r"Z = \(5, 1\)"), timeout=FAST)


def test_in_a_frame_sandboxed_without_forms_every_instrument_checks_its_answer(
    page: Page, base_url: str, host: HostSite
) -> None:
    """WordPress frames oEmbeds with sandbox="allow-scripts": a form's submit is blocked before
    its submit event, so "Check my prediction", "Check my steps" and "Replay with this η" did
    nothing at all (a student found); each button asks for its answer itself."""
    frames = {
        "predict": embed_url(base_url, f"{SEED}&panels=probs,grad,chain&mode=predict"),
        "derive": embed_url(base_url, f"{SEED}&panels=probs&mode=derive&fade=5"),
        "descent": embed_url(base_url, f"{SEED}&panels=probs,descent&start=2,1"),
    }
    body = "".join(
        iframe(src, frame_id=name, attributes='sandbox="allow-scripts"')
        for name, src in frames.items()
    )
    page.goto(host.add("/course", host_page(body)))
    predict = page.frame_locator("#predict")
    predict.locator("#guess-0").fill("-0.269")
    predict.locator("#guess-1").fill("0.269")
    predict.locator("#predict-check").click()
    expect(predict.locator("#panel-predict h2")).to_have_text(
        "Your prediction beside dE/dZ", timeout=FAST
    )
    derive = page.frame_locator("#derive")
    derive.locator("#a5-0").fill("1")
    derive.locator("#derive-check").click()
    expect(derive.locator("#a5-0")).to_have_attribute("aria-invalid", "true", timeout=FAST)
    descent = page.frame_locator("#descent")
    descent.locator("#lr").fill("2")
    descent.locator("#lr-replay").click()
    expect(descent.locator("#panel-descent")).to_contain_text("η = 2", timeout=FAST)
