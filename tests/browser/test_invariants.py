"""Two invariants of the explorer `/`, as a user meets them in Chromium, after real edits.

1. Live = fresh load: after any sequence of edits (slider drags, typing, radios, buttons,
   selects, the Advanced fields), the live page equals a fresh load of its own URL: the text of
   <main> and of the footer, every link, iframe and head link, and every form field's value
   (the hidden `last`, the share panel's link and snippets, the controls).
2. Page = API: the numbers the page shows (the values tables, the chain and Jacobian tables,
   the loss heading, the live summary) equal `GET /gradient` at the page's own API link, to
   the significant digits displayed.

Each start state walks one seeded random sequence of edits, once; both invariants are checked
after every step of that walk (the walk is cached, so the two tests share it). The sequence
depends on `INVARIANT_SEED` (default below) and the start state's name; set
`INVARIANT_EDITS` to change its length. Every failure message names the seed and lists the
edits so far, so it can be replayed. Waits are on conditions (no request in flight, no htmx
class, URL and DOM quiet for a moment), never on a fixed sleep alone.
"""

from __future__ import annotations

import math
import os
import random
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Error, Locator, Page

from tests.browser.conftest import VIEWPORT

MINUS = "\u2212"
BASE_SEED = int(os.environ.get("INVARIANT_SEED", "20250607"))
EDITS = int(os.environ.get("INVARIANT_EDITS", "6"))
QUIET_MS = 150  # how long the page must stay quiet before it counts as settled
REQUEST_TIMEOUT = 3_000  # ms: an edit that should send a request and has not by then sent none
SETTLE_TIMEOUT = 10_000  # ms: a page that is not quiet by then is a harness failure


@dataclass(frozen=True)
class Start:
    """A start state: a name (the test id), its query string and how many edits to make."""

    name: str
    query: str
    edits: int = EDITS


CORPUS = (
    Start("seed-no-edits", "logits=2,1&target=0", edits=0),  # sanity: must pass today
    Start("seed", "logits=2,1&target=0"),
    Start("three-classes", "logits=1,2,0.5&target=2"),
    Start("ten-classes", "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7"),
    Start("soft-labels", "logits=1,2,0.5&target=0.7,0.2,0.1"),
    Start("weights", "logits=2,1,0&target=0&weights=2,1,1"),
    Start("temperature", "logits=2,1,0&target=1&temperature=2"),
    Start("label-smoothing", "logits=2,1&target=0&label_smoothing=0.1"),
    Start("reduction-sum", "logits=2,1,0&target=0&reduction=sum"),
    Start("extreme-37", "logits=37.43,0&target=0"),
    Start("extreme-1000", "logits=1000,-1000&target=1"),  # O2 underflows under the target
)


def walk_seed(start: Start) -> int:
    """Return the walk's seed: stable across runs and machines (not Python's hash())."""
    return zlib.crc32(f"{BASE_SEED}:{start.name}".encode())


# ----------------------------------------------------------------------------- page probes

# Counts requests sent and in flight, and the time of the last sign of activity (a request,
# an htmx event, a URL change, a DOM mutation), so a wait can tell "settled" from "not started".
ACTIVITY_PROBE = """
(() => {
  const state = { sent: 0, pending: 0, last: performance.now() };
  window.__invariants = state;
  const touch = () => { state.last = performance.now(); };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    state.sent += 1;
    state.pending += 1;
    touch();
    this.addEventListener('loadend', () => { state.pending -= 1; touch(); });
    return send.apply(this, args);
  };
  for (const name of ['pushState', 'replaceState']) {
    const original = history[name];
    history[name] = function (...args) { touch(); return original.apply(this, args); };
  }
  for (const name of ['beforeRequest', 'afterRequest', 'beforeSwap', 'afterSwap',
                      'afterSettle', 'oobAfterSwap', 'responseError', 'sendError']) {
    document.addEventListener('htmx:' + name, touch, true);
  }
  // Any change to the DOM (a swap, explorer.js marking a field invalid a frame later).
  new MutationObserver(touch).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
})();
"""

SENT = "(before) => window.__invariants.sent > before"
QUIET = """(quietMs) => {
  const s = window.__invariants;
  return s.pending === 0
    && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')
    && performance.now() - s.last >= quietMs;
}"""

# Everything the two loads of one URL must agree on, as text (lists joined by newlines).
SNAPSHOT = """() => {
  const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim();
  const all = (sel) => [...document.querySelectorAll(sel)];
  const field = (e) => {
    const key = e.id ? '#' + e.id : `${e.tagName.toLowerCase()}[name=${e.name}]`;
    let text = `${key} (${e.type}) = ${JSON.stringify(e.value)}`;
    if (e.type === 'checkbox' || e.type === 'radio') text += e.checked ? ' checked' : '';
    if (e.disabled) text += ' disabled';
    if (e.getAttribute('aria-invalid') === 'true') text += ' aria-invalid';
    if (e.hasAttribute('aria-pressed')) text += ' aria-pressed=' + e.getAttribute('aria-pressed');
    return text;
  };
  const textNodes = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const lines = [];
    while (walker.nextNode()) {
      const text = norm(walker.currentNode.nodeValue);
      if (text) lines.push(text);
    }
    return lines.join('\\n');
  };
  const main = document.querySelector('main');
  const footer = document.querySelector('footer');
  return {
    'URL': location.href,
    'title': document.title,
    'live summary': norm((document.getElementById('live-summary') || {}).textContent),
    'hidden #last': (document.getElementById('last') || {}).value ?? '(missing)',
    'share fields': all('#panel-share input, #panel-share textarea, #panel-share select')
      .map(field).join('\\n'),
    'main text (visible)': main ? main.innerText : '(no <main>)',
    'footer text (visible)': footer ? footer.innerText : '(no footer)',
    'main text nodes (incl. closed <details>, SVG)': main ? textNodes(main) : '',
    'links a[href]': all('a[href]').map((a) => a.getAttribute('href')).join('\\n'),
    'head link[href]': all('head link[href]')
      .map((l) => `${l.rel} ${l.type} ${l.getAttribute('href')}`).join('\\n'),
    'iframe src': all('iframe').map((f) => f.getAttribute('src')).join('\\n'),
    'form fields': all('input, select, textarea, button').map(field).join('\\n'),
  };
}"""

DETAILS_OPEN = "() => [...document.querySelectorAll('details')].map((d) => d.open)"
SET_DETAILS_OPEN = """(states) => document.querySelectorAll('details').forEach((d, i) => {
  if (i < states.length) d.open = states[i];
})"""

# The numbers the page shows, as their displayed text, table by table.
PAGE_NUMBERS = """() => {
  const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim();
  const text = (sel) => norm((document.querySelector(sel) || {}).textContent);
  const rows = (sel) => [...document.querySelectorAll(sel)]
    .map((tr) => [...tr.querySelectorAll('td')].map((td) => norm(td.textContent)));
  const api = document.querySelector('footer a[href*="/gradient?"]');
  return {
    api: api ? api.getAttribute('href') : null,
    j: (document.getElementById('j') || {}).value ?? null,
    logits: rows('#panel-logits details.values tbody tr'),
    probs: rows('#panel-probs details.values tbody tr'),
    grad: rows('#panel-grad details.values tbody tr'),
    chainHeads: [...document.querySelectorAll('#panel-chain table tbody tr th')]
      .map((th) => norm(th.textContent)),
    chain: rows('#panel-chain table tbody tr'),
    chainSum: rows('#panel-chain table tfoot tr'),
    chainHeading: text('#h-chain'),
    jacobian: rows('#panel-jacobian table tbody tr'),
    loss: text('#h-loss'),
    summary: text('#live-summary'),
  };
}"""


# ----------------------------------------------------------------------------- waiting


class HarnessError(Exception):
    """The harness itself failed (the page never settled): not a finding about the app."""


def sent_count(page: Page) -> int:
    """Return how many XMLHttpRequests the page has sent so far."""
    count: int = page.evaluate("() => window.__invariants.sent")
    return count


def settle(page: Page, sent_before: int | None) -> str:
    """Wait for the edit's request (if it should send one), then until the page is quiet.

    Return "" or, if no request went out, a note saying so: that is a finding (the page did
    not react to the edit), which the comparison with a fresh load then shows in detail.
    `sent_before` None: the edit may rightly send nothing (a drag that did not move).
    """
    note = ""
    if sent_before is not None:
        try:
            page.wait_for_function(SENT, arg=sent_before, polling=25, timeout=REQUEST_TIMEOUT)
        except Error:
            note = f"no request went out within {REQUEST_TIMEOUT} ms"
    try:
        page.wait_for_function(QUIET, arg=QUIET_MS, polling=25, timeout=SETTLE_TIMEOUT)
    except Error as error:
        state = page.evaluate("() => window.__invariants")
        raise HarnessError(f"the page did not settle: {state} ({error.message})") from error
    return note


# ----------------------------------------------------------------------------- user edits


def type_into(page: Page, field: Locator, text: str) -> None:
    """Select all of a field's text and type `text`, key by key, as a user does."""
    field.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def drag_slider(page: Page, slider: Locator, fraction: float) -> None:
    """Drag a range input's thumb with the mouse, in small steps, to `fraction` of its track."""
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    assert box is not None, "slider has no box"
    low = float(slider.get_attribute("min") or 0)
    high = float(slider.get_attribute("max") or 100)
    inset = 8  # about half a thumb: the thumb's centre never reaches the track's ends
    span = box["width"] - 2 * inset
    start = (float(slider.input_value()) - low) / (high - low)
    y = box["y"] + box["height"] / 2
    x0, x1 = box["x"] + inset + start * span, box["x"] + inset + fraction * span
    page.mouse.move(x0, y)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(x0 + (x1 - x0) * step / 8, y)
    page.mouse.up()


def button(page: Page, name: str) -> Locator:
    """Return the button whose accessible name matches the regular expression `name`."""
    return page.get_by_role("button", name=re.compile(name))


def open_advanced(page: Page) -> None:
    """Open the Advanced disclosure (a click on its summary) if it is closed."""
    details = page.locator("details.advanced")
    if not details.evaluate("(d) => d.open"):
        details.locator("summary").click()


@dataclass
class Controls:
    """What the controls offer right now, read from the DOM (so edits fit the state)."""

    n: int
    soft: bool
    checked: int | None
    j: str
    can_add: bool
    can_remove: bool
    has_reset: bool


def read_controls(page: Page) -> Controls:
    """Read the number of classes, the kind of target and which buttons are enabled."""
    checked = page.locator("#controls input[type=radio][name=target]:checked")
    return Controls(
        n=page.locator("#controls input.num[name=logits]").count(),
        soft=page.locator("#y-0").count() > 0,
        checked=int(checked.get_attribute("value") or 0) if checked.count() else None,
        j=page.locator("#j").input_value(),
        can_add=button(page, r"^Add class").is_enabled(),
        can_remove=button(page, r"^Remove class").is_enabled(),
        has_reset=button(page, r"^Reset").count() > 0,
    )


# An edit does what a user does and returns how many requests the page had sent before it
# (so the wait knows a new one must go out), or None if it may rightly send none (a drag or a
# typed value that left the field as it was).
Edit = Callable[[Page], int | None]


def dragging(i: int, fraction: float) -> Edit:
    """Return an edit that drags the slider of Z(i+1) to `fraction` of its track."""

    def edit(page: Page) -> int | None:
        slider = page.locator(".slider").nth(i)
        before, sent = slider.input_value(), sent_count(page)
        drag_slider(page, slider, fraction)
        return sent if slider.input_value() != before else None

    return edit


def typing(selector: str, text: str, advanced: bool = False) -> Edit:
    """Return an edit that types `text` into the field `selector` (opening Advanced first)."""

    def edit(page: Page) -> int | None:
        if advanced:
            open_advanced(page)
        field = page.locator(selector)
        before, sent = field.input_value(), sent_count(page)
        type_into(page, field, text)
        return sent if field.input_value() != before else None

    return edit


def selecting(selector: str, value: str, advanced: bool = False) -> Edit:
    """Return an edit that chooses `value` in the select `selector` (opening Advanced first)."""

    def edit(page: Page) -> int | None:
        if advanced:
            open_advanced(page)
        field = page.locator(selector)
        before, sent = field.input_value(), sent_count(page)
        field.select_option(value)
        return sent if value != before else None

    return edit


def clicking(find: Callable[[Page], Locator]) -> Edit:
    """Return an edit that clicks the element `find(page)` (a button or a radio)."""

    def edit(page: Page) -> int | None:
        sent = sent_count(page)
        find(page).click()
        return sent

    return edit


def typing_then_normalising(i: int, text: str) -> Edit:
    """Return an edit that types a soft label (ΣY ≠ 1: invalid for now), then clicks Normalise."""
    type_label = typing(f"#y-{i}", text)
    normalise = clicking(lambda page: button(page, r"^Normalise$"))

    def edit(page: Page) -> int | None:
        settle(page, type_label(page))  # a missing request here shows up after Normalise
        return normalise(page)

    return edit


BUTTONS = {  # edit kind: the button's accessible name, as a regular expression
    "add": r"^Add class",
    "remove": r"^Remove class",
    "onehot": r"^One-hot$",
    "soft": r"^Soft labels$",
    "normalise": r"^Normalise$",
    "reset": r"^Reset",
}
ADVANCED_FIELDS = {  # edit kind: the field and the values a user might type into it
    "temperature": ("#temperature", ["0.5", "1", "1.5", "2", "4"]),
    "smoothing": ("#label_smoothing", ["0", "0.05", "0.1", "0.25"]),
    "weight": ("#w-{i}", ["0.5", "1", "2", "3"]),
}


def choose_edit(rng: random.Random, c: Controls) -> tuple[str, Edit]:
    """Pick one real user edit that the current controls allow; return its description and it."""
    kinds: list[tuple[str, int]] = [("drag", 5), ("type-logit", 5), ("j", 2)]
    kinds += [("temperature", 2), ("smoothing", 2), ("weight", 2), ("reduction", 1)]
    kinds += [("onehot", 2), ("soft-label", 3), ("normalise", 1)] if c.soft else []
    kinds += [("radio", 5), ("soft", 2)] if not c.soft else []  # flipping Y: the question
    kinds += [("add", 2)] if c.can_add else []
    kinds += [("remove", 2)] if c.can_remove else []
    kinds += [("reset", 1)] if c.has_reset else []  # rare: it throws the start state away
    kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
    i = rng.randrange(c.n)

    if kind == "drag":
        fraction = rng.uniform(0.05, 0.95)
        return f"drag the Z{i + 1} slider to {fraction:.0%} of its track", dragging(i, fraction)
    if kind == "type-logit":
        # Canonical text (2, -0.5), so the field reads the same after a fresh load.
        value = rng.randint(-60, 60) / 10
        text = str(int(value)) if value == int(value) else repr(value)
        return f"type {text!r} into Z{i + 1} (#z-{i})", typing(f"#z-{i}", text)
    if kind == "radio":
        k = rng.choice([k for k in range(c.n) if k != c.checked])
        name = f"Y{k + 1} = 1"
        radio = clicking(lambda page: page.get_by_role("radio", name=name, exact=True))
        return f"click the target radio {name!r}", radio
    if kind in BUTTONS:
        pattern = BUTTONS[kind]
        press = clicking(lambda page: button(page, pattern))
        return f"click the button {pattern.strip('^$')!r}", press
    if kind == "soft-label":
        text = rng.choice(["0.1", "0.25", "0.5", "0.8", "1"])  # > 0: ΣY stays > 0
        edit = typing_then_normalising(i, text)
        return f"type {text!r} into Y{i + 1} (#y-{i}), then click 'Normalise'", edit
    if kind == "j":
        value = rng.choice([str(k) for k in range(c.n) if str(k) != c.j])
        return f"choose 'j = {int(value) + 1}' in #j", selecting("#j", value)
    if kind == "reduction":
        value = rng.choice(["mean", "sum", "none"])
        edit = selecting("#reduction", value, advanced=True)
        return f"open Advanced, choose reduction {value!r}", edit
    selector, values = ADVANCED_FIELDS[kind]
    selector, text = selector.format(i=i), rng.choice(values)
    edit = typing(selector, text, advanced=True)
    return f"open Advanced, type {text!r} into {selector}", edit


# ----------------------------------------------------------------------------- invariant 1


def clip(text: str, limit: int = 400) -> str:
    """Quote a line for a message, cut to `limit` characters."""
    return repr(text if len(text) <= limit else text[:limit] + " …")


def differences(live: dict[str, str], fresh: dict[str, str]) -> dict[str, str]:
    """Return, for each key where two snapshots differ, its first differing line in each."""
    found = {}
    for key in live:
        if live[key] == fresh.get(key):
            continue
        a, b = live[key].split("\n"), fresh.get(key, "(missing)").split("\n")
        line = next((k for k in range(max(len(a), len(b))) if a[k : k + 1] != b[k : k + 1]), 0)
        found[key] = (
            f"  {key}, line {line + 1}:\n"
            f"    live:  {clip(a[line] if line < len(a) else '(no line)')}\n"
            f"    fresh: {clip(b[line] if line < len(b) else '(no line)')}"
        )
    return found


@dataclass
class FreshLoad:
    """What a fresh load of a URL shows: its snapshot, its numbers and its HTTP status."""

    snapshot: dict[str, str]
    numbers: dict[str, Any]
    status: int


def fresh_load(fresh: Page, url: str, details_open: list[bool]) -> FreshLoad:
    """Load `url` as a new document in the tab `fresh`, <details> opened as on the live page."""
    response = fresh.goto(url, wait_until="domcontentloaded")  # deferred scripts have run
    assert response is not None, f"no response for {url}"
    # Disclosure state is not part of the URL: mirror the live page's, then compare.
    fresh.evaluate(SET_DETAILS_OPEN, details_open)
    return FreshLoad(fresh.evaluate(SNAPSHOT), fresh.evaluate(PAGE_NUMBERS), response.status)


# ----------------------------------------------------------------------------- invariant 2


def parse_shown(text: str) -> float:
    """Read a displayed number: a real minus, forms like 5.55e−17 or 5.55×10⁻¹⁷ (a page's text:
    "5.55×10−17" as textContent), ±∞ for an underflow."""
    plain = text.replace("×10", "e").replace(MINUS, "-").strip()
    if "∞" in plain:
        return -math.inf if plain.startswith("-") else math.inf
    return float(plain)


def significant_digits(text: str) -> int:
    """Return how many significant digits a displayed number shows (0.2689: 4, 5.55e−17: 3)."""
    mantissa = text.replace("×10", "e").replace(MINUS, "").lstrip("-+").split("e")[0]
    return max(len(mantissa.replace(".", "").lstrip("0")), 1)


# The digits each display is written with (templates and README). The page drops trailing zeros
# (0.5 for 0.5000), so the digits a cell shows are only a lower bound: each cell is compared at
# the larger of these and the digits it shows (a whole number such as 12346 shows all of its).
PRECISION = {
    "logits table": 4,
    "probs table": 4,
    "grad table": 4,
    "chain table": 4,
    "chain table sum": 4,
    "Jacobian table": 3,
    "loss heading": 4,
    "live summary E": 4,
    "live summary dE/dZ": 3,
    "live summary dE/dZj": 3,
}


def compare_table(
    name: str, shown: list[list[str]], expected: list[list[float | None]]
) -> list[str]:
    """Compare a table of displayed numbers with API values at the digits each cell displays.

    Each API value is rounded to the table's precision (see PRECISION), or to the cell's own
    digits where it shows more, and must read back as the number displayed.
    `None` (an API null: dE/dO where O underflows) must show as −∞.
    """
    shape = [len(row) for row in shown]
    if shape != [len(row) for row in expected]:  # a state with another n, or a lost row
        api_shape = [len(row) for row in expected]
        return [f"{name}: the page shows rows of {shape} cells, the API of {api_shape}"]
    least = PRECISION.get(name, 1)
    problems = []
    for r, (shown_row, expected_row) in enumerate(zip(shown, expected, strict=True)):
        for c, (text, value) in enumerate(zip(shown_row, expected_row, strict=True)):
            try:
                got = parse_shown(text)
            except ValueError:
                problems.append(f"{name}[{r}][{c}]: cannot read {text!r}")
                continue
            # At least the display's digits; more where a cell shows more (a whole number such
            # as 12346 is written out in full, not as 1.235e4).
            digits = max(least, significant_digits(text))
            if value is None:
                ok = got == -math.inf
            elif value == 0 or got == 0:
                ok = got == value
            else:
                ok = math.isclose(got, float(f"{value:.{digits - 1}e}"), rel_tol=1e-12)
            if not ok:
                problems.append(
                    f"{name}[{r}][{c}]: page shows {text!r}, API gives {value!r} "
                    f"({digits} significant digits: {value:.{digits - 1}e})"
                )
    return problems


SUMMARY = re.compile(r"E = (?P<E>\S+); dE/dZ = \((?P<grad>[^)]*)\); dE/dZ(?P<j>\d+) = (?P<gj>\S+)")


def api_problems(context: BrowserContext, page_url: str, numbers: dict[str, Any]) -> list[str]:
    """Compare every number the page shows with GET /gradient at the page's own API link."""
    href = numbers["api"]
    if not href:
        return ['no API link (footer a[href*="/gradient?"]) on the page']
    response = context.request.get(urljoin(page_url, href))
    if response.status != 200:
        return [f"GET {href} answered {response.status}: {response.text()[:300]}"]
    problems = numbers_problems(numbers, response.json(), parse_qs(urlsplit(href).query))
    return [f"(API link {href}; j = {numbers['j']} 0-based)", *problems] if problems else []


def numbers_problems(
    numbers: dict[str, Any], api: dict[str, Any], params: dict[str, list[str]]
) -> list[str]:
    """Compare the page's tables, loss and summary with one /gradient answer, table by table."""
    # The API does not echo the logits: the page's logits must be those of its own link.
    logits = [float(v) for v in params.get("logits", [""])[0].split(",") if v]
    j = int(numbers["j"]) if numbers["j"] is not None else 1
    n = len(api["probs"])
    problems = compare_table("logits table", numbers["logits"], [logits])
    problems += compare_table("probs table", numbers["probs"], [api["probs"], api["target"]])
    problems += compare_table("grad table", numbers["grad"], [api["grad_logits"]])
    if j >= n:
        return [*problems, f"#j is {j + 1} (1-based) but the API has {n} classes"]
    chain = [[api["grad_probs"][i], api["jacobian"][i][j], api["chain"][i][j]] for i in range(n)]
    problems += compare_table("chain table", numbers["chain"], chain)
    problems += compare_table("chain table sum", numbers["chainSum"], [[api["grad_logits"][j]]])
    heads = [h.split(" ")[0] for h in numbers["chainHeads"]]
    if heads != [str(i + 1) for i in range(n)] or f"dE/dZ{j + 1}" not in numbers["chainHeading"]:
        problems.append(f"chain table rows {heads} / heading {numbers['chainHeading']!r}, j={j}")
    problems += compare_table("Jacobian table", numbers["jacobian"], api["jacobian"])
    loss = re.search(r"E = (\S+)", numbers["loss"])
    if loss is None:
        problems.append(f"loss heading {numbers['loss']!r} has no 'E = …'")
    else:
        problems += compare_table("loss heading", [[loss[1]]], [[api["loss"]]])
    summary = SUMMARY.fullmatch(numbers["summary"])
    if summary is None:
        problems.append(f"live summary {numbers['summary']!r} does not read 'E = …; dE/dZ = …'")
    else:
        grad = summary["grad"].split(", ")
        problems += compare_table("live summary E", [[summary["E"]]], [[api["loss"]]])
        problems += compare_table("live summary dE/dZ", [grad], [api["grad_logits"]])
        problems += compare_table(
            "live summary dE/dZj", [[summary["gj"]]], [[api["grad_logits"][j]]]
        )
        if summary["j"] != str(j + 1):
            problems.append(f"live summary names dE/dZ{summary['j']}, #j is {j + 1}")
    return problems


# ----------------------------------------------------------------------------- the walk


@dataclass
class Step:
    """One step of a walk: the edits so far and what each invariant found after them."""

    edits: list[str]
    url: str
    differences: dict[str, str]  # invariant 1: empty when the live page equals the fresh load
    live_problems: list[str]  # invariant 2 on the live page
    fresh_problems: list[str]  # invariant 2 on the fresh load of the same URL

    def label(self) -> str:
        """Name the step by its edit: "3. type '2' into Z1 (#z-0)", or "0. load"."""
        return f"{len(self.edits)}. {self.edits[-1]}" if self.edits else "0. load"


@dataclass
class Walk:
    """A start state's whole walk: its seed, its steps, and anything that broke the harness."""

    start: Start
    seed: int
    edits: list[str] = field(default_factory=list)  # so far, including one in progress
    steps: list[Step] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    harness_error: str = ""

    def header(self, test: str, step: Step | None = None) -> str:
        """Return the replay line and the numbered edits (up to `step`) for a failure message."""
        edits = step.edits if step else self.edits
        lines = [f"  {k}. {e}" for k, e in enumerate(edits, 1)] or ["  (none)"]
        return (
            f"start {self.start.name!r} (/?{self.start.query}), INVARIANT_SEED={BASE_SEED}, "
            f"walk seed {self.seed}, {self.start.edits} edits; replay with\n"
            f"  INVARIANT_SEED={BASE_SEED} INVARIANT_EDITS={self.start.edits} .venv/bin/pytest "
            f"'tests/browser/test_invariants.py::{test}[{self.start.name}]'\n"
            + (f"edits so far, after which {step.url} was checked:\n" if step else "edits:\n")
            + "\n".join(lines)
        )


def check_step(page: Page, fresh_tab: Page, edits: list[str]) -> Step:
    """Check both invariants for the live `page` as it is now, loading its URL in `fresh_tab`."""
    context = page.context
    fresh = fresh_load(fresh_tab, page.url, page.evaluate(DETAILS_OPEN))
    found = differences(page.evaluate(SNAPSHOT), fresh.snapshot)
    if fresh.status != 200:
        found["HTTP status"] = f"  the fresh load answered HTTP {fresh.status}"
    return Step(
        edits=list(edits),
        url=page.url,
        differences=found,
        live_problems=api_problems(context, page.url, page.evaluate(PAGE_NUMBERS)),
        fresh_problems=api_problems(context, page.url, fresh.numbers),
    )


def run_walk(browser: Browser, base_url: str, start: Start) -> Walk:
    """Load the start state, make its seeded edits one by one, checking after each."""
    walk = Walk(start, walk_seed(start))
    rng = random.Random(walk.seed)
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(ACTIVITY_PROBE)
    context.on("page", lambda p: p.on("pageerror", lambda e: walk.js_errors.append(str(e))))
    try:
        page = context.new_page()
        # A second tab, as a user pasting the URL: each check loads a new document in it
        # (one tab per walk, not one per check, only to save Chromium's tab start-up time).
        fresh_tab = context.new_page()
        page.bring_to_front()
        page.goto(f"{base_url}/?{start.query}")
        walk.steps.append(check_step(page, fresh_tab, walk.edits))
        for _ in range(start.edits):
            description, edit = choose_edit(rng, read_controls(page))
            walk.edits.append(description)
            note = settle(page, edit(page))
            walk.edits[-1] += f" [{note}]" if note else ""
            walk.steps.append(check_step(page, fresh_tab, walk.edits))
    except (HarnessError, Error, AssertionError) as error:
        walk.harness_error = f"{type(error).__name__}: {error}"
    finally:
        context.close()
    return walk


@pytest.fixture(scope="module")
def walks(browser: Browser, base_url: str) -> Callable[[Start], Walk]:
    """Return `walk(start)`: each start state's walk, run once and shared by both tests."""
    done: dict[str, Walk] = {}

    def get(start: Start) -> Walk:
        if start.name not in done:
            done[start.name] = run_walk(browser, base_url, start)
        return done[start.name]

    return get


def assert_sound(walk: Walk, test: str) -> None:
    """Fail first on the harness's own troubles, so they never pass for findings."""
    assert not walk.harness_error, f"harness failure: {walk.harness_error}\n{walk.header(test)}"
    assert not walk.js_errors, f"JavaScript errors: {walk.js_errors}\n{walk.header(test)}"


# ----------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("start", CORPUS, ids=[s.name for s in CORPUS])
def test_live_page_equals_a_fresh_load_of_its_url(
    walks: Callable[[Start], Walk], start: Start
) -> None:
    """Invariant 1: after every edit, the live page equals a fresh load of its own URL."""
    walk = walks(start)
    assert_sound(walk, "test_live_page_equals_a_fresh_load_of_its_url")
    failing = [s for s in walk.steps if s.differences]
    if failing:
        first = failing[0]
        pytest.fail(
            f"live page ≠ fresh load of its URL after {len(failing)} of {start.edits} edits; "
            f"first:\n{walk.header('test_live_page_equals_a_fresh_load_of_its_url', first)}\n"
            "differences:\n" + "\n".join(first.differences.values()) + "\n"
            "every failing step (edit: what differs):\n"
            + "\n".join(f"  {s.label()}: {', '.join(s.differences)}" for s in failing),
            pytrace=False,
        )


@pytest.mark.parametrize("start", CORPUS, ids=[s.name for s in CORPUS])
def test_page_numbers_equal_its_api_link(walks: Callable[[Start], Walk], start: Start) -> None:
    """Invariant 2: after every edit, the numbers shown equal GET /gradient at the page's link."""
    walk = walks(start)
    assert_sound(walk, "test_page_numbers_equal_its_api_link")
    failing = [s for s in walk.steps if s.live_problems or s.fresh_problems]
    if failing:
        first = failing[0]
        live = "\n".join(f"    {p}" for p in first.live_problems[:8]) or "    (none)"
        fresh = "\n".join(f"    {p}" for p in first.fresh_problems[:8]) or "    (none)"
        pytest.fail(
            f"page numbers ≠ GET /gradient at its own API link after {len(failing)} of "
            f"{start.edits} edits; first:\n"
            f"{walk.header('test_page_numbers_equal_its_api_link', first)}\n"
            f"  on the live page:\n{live}\n  on a fresh load of the same URL:\n{fresh}\n"
            "every failing step (edit: problems on the live page / on a fresh load):\n"
            + "\n".join(
                f"  {s.label()}: {len(s.live_problems)} / {len(s.fresh_problems)}" for s in failing
            ),
            pytrace=False,
        )


def test_harness_tells_different_states_apart(browser: Browser, base_url: str) -> None:
    """Negative control: the snapshot and the number check do see a different state."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/?logits=2,1&target=0")
        other = fresh_load(context.new_page(), f"{base_url}/?logits=2,1,0&target=1", [])
        found = differences(page.evaluate(SNAPSHOT), other.snapshot)
        for key in ("main text (visible)", "footer text (visible)", "hidden #last", "share fields"):
            assert key in found, f"{key!r} should differ:\n" + "\n".join(found.values())
        numbers = page.evaluate(PAGE_NUMBERS)
        numbers["api"] = "/gradient?logits=2,1.001&target=0"  # another state's API link
        problems = api_problems(context, page.url, numbers)
        assert any(p.startswith("probs table") for p in problems), problems
        assert any(p.startswith("logits table") for p in problems), problems
    finally:
        context.close()
