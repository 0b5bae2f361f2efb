"""Latency of one explorer edit in a real browser, against an htmx floor serving the same bytes.

Run from the repository root (needs Debian's Chromium at /usr/bin/chromium and
static/vendor/htmx.min.js, which `.venv/bin/python scripts/fetch_vendor.py` writes):

    .venv/bin/python bench/explorer.py                       # 100 edits, 10 classes
    .venv/bin/python bench/explorer.py --edits 100 --classes 10 --warmup 5
    .venv/bin/python bench/explorer.py --breakdown           # and ours with costs skipped
    .venv/bin/python bench/explorer.py --profile 300         # and profile the fragment route

The script starts dEdZ (`app.main:app`, htmx from static/vendor) and asks it once, as htmx
would (`HX-Request: true`, `HX-Target: panels`), for the fragment of the n-class state. It
then starts `bench/floor_htmx.py`, which serves a minimal page with the same htmx, the same
htmx-config and the same form attributes, and answers every htmx request with exactly those
bytes. Both run under uvicorn (1 worker, no access log) on free ports of 127.0.0.1.

Headless Chromium opens both pages at `/?logits=<n values>&target=0` and edits `#z-0`
(`input` event), one edit at a time, alternating between the two pages. Each edit is timed in
the page with `performance.now()`, from dispatching the event to htmx's `htmx:afterSettle`
on the new `#panels` (and, for reference, to a layout forced right after it). The first
`--warmup` edits on each page are discarded. It prints p50 and p95 for ours and the floor,
the ratio floor_p50/ours_p50 beside its goal, our fragment size for n classes and for 2
beside its goal, and the server time of the fragment route alone (sequential GETs with
httpx, as the browser sends them). With `--breakdown`, it also edits three more pages of
ours, with explorer.js's markInvalid and/or htmx's history.replaceState (for HX-Replace-Url)
switched off in the page, and prints what each saves. With `--profile N`, it also profiles N
renders of the fragment route in this process (cProfile through httpx's ASGITransport) and
prints the app's top functions by cumulative time.

Figures only: nothing is asserted, and a figure that misses its goal does not fail the run.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from common import ROOT, install_sigterm_handler, run_main, serve_uvicorn
from floor_htmx import FRAGMENT_ENV
from playwright.sync_api import Browser, Page, Request, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
HX_HEADERS = {"HX-Request": "true", "HX-Target": "panels"}
RATIO_GOAL = 0.8  # floor_p50 / ours_p50: ours within 1.25× of the floor
FRAGMENT_GOAL = 20 * 1024  # bytes
SERVER_REQUESTS = 200
EDIT_TIMEOUT_MS = 15_000

# In the page: edit #z-0 once and time it, from dispatching `input` to htmx's afterSettle on
# the new #panels; then force a layout and time that too. Rejects on an htmx error or a swap
# that did not replace #panels.
BENCH_JS = """
(value) => new Promise((resolve, reject) => {
  const input = document.getElementById("z-0");
  const before = document.getElementById("panels");
  let t0 = 0;
  let swapped = -1;
  const events = ["htmx:afterSwap", "htmx:afterSettle", "htmx:responseError",
                  "htmx:sendError", "htmx:swapError", "htmx:oobErrorNoTarget"];
  const timer = setTimeout(() => finish(new Error("no afterSettle within TIMEOUT ms")), TIMEOUT);
  function finish(error, result) {
    clearTimeout(timer);
    events.forEach((name) => document.removeEventListener(name, on, true));
    if (error) { reject(error); } else { resolve(result); }
  }
  function on(event) {
    const now = performance.now();
    if (event.type === "htmx:afterSwap") {
      if (event.target.id === "panels") { swapped = now - t0; }
      return;
    }
    if (event.type !== "htmx:afterSettle") {
      finish(new Error(event.type + " on #" + (event.target.id || "?")));
      return;
    }
    if (event.target.id !== "panels") { return; }
    const panels = document.getElementById("panels");
    if (panels === before || !panels.isConnected) {
      finish(new Error("#panels was not replaced"));
      return;
    }
    document.documentElement.getBoundingClientRect();
    void document.body.offsetHeight;
    const laidOut = performance.now() - t0;
    const xhr = event.detail && event.detail.xhr;
    finish(null, {swap: swapped, settle: now - t0, layout: laidOut,
                  bytes: xhr ? new TextEncoder().encode(xhr.responseText).length : -1});
  }
  events.forEach((name) => document.addEventListener(name, on, true));
  input.value = value;
  t0 = performance.now();
  input.dispatchEvent(new Event("input", {bubbles: true}));
})
""".replace("TIMEOUT", str(EDIT_TIMEOUT_MS))


@dataclass(frozen=True, slots=True)
class Edit:
    """One edit's in-page timings, in ms from dispatching `input`."""

    swap: float
    settle: float
    layout: float
    bytes: int  # the response body htmx swapped, UTF-8


@dataclass(frozen=True, slots=True)
class Side:
    """One page under test: its name and browser page."""

    name: str
    page: Page


def logits_for(n: int) -> list[str]:
    """Return n distinct, moderate logits (a deterministic spread in [-2, 2.5])."""
    return [f"{2.5 - (i * 4.5 / max(n - 1, 1)):.2f}" for i in range(n)]


def state_query(n: int) -> str:
    """Return the explorer's query for n classes, target class 0."""
    return f"logits={','.join(logits_for(n))}&target=0"


def fetch_fragment(client: httpx.Client, base_url: str, query: str) -> tuple[bytes, int]:
    """Return the `#panels` fragment for `query`, asked for as htmx asks, and its wire size."""
    response = client.get(f"{base_url}/?{query}", headers=HX_HEADERS)
    if response.status_code != 200:
        raise RuntimeError(f"{base_url}/?{query} answered {response.status_code}")
    if b'id="panels"' not in response.content:
        raise RuntimeError(f"{base_url}/?{query}: the fragment has no #panels")
    return response.content, response.num_bytes_downloaded


def open_page(browser: Browser, url: str) -> Page:
    """Open `url` in a fresh context, wait until htmx has loaded, and return the page."""
    page = browser.new_context().new_page()
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.htmx !== undefined && !!document.getElementById('z-0')")
    return page


def edit_values(count: int, start: float) -> list[str]:
    """Return `count` values for #z-0, each different from the one before (htmx's `changed`)."""
    return [f"{start + 0.01 * ((i % 50) + 1):.2f}" for i in range(count)]


def run_edits(sides: list[Side], values: list[str]) -> dict[str, list[Edit]]:
    """Edit each side once per value, rotating which side goes first; return the timings."""
    results: dict[str, list[Edit]] = {side.name: [] for side in sides}
    for i, value in enumerate(values):
        first = i % len(sides)
        for side in sides[first:] + sides[:first]:
            raw: dict[str, Any] = side.page.evaluate(BENCH_JS, value)
            results[side.name].append(
                Edit(float(raw["swap"]), float(raw["settle"]), float(raw["layout"]), raw["bytes"])
            )
    return results


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) of `values`, linearly interpolated."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def with_z0(url: str, value: str) -> str:
    """Return `url` with its first `logits` value replaced by `value`."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    index = next(i for i, (key, _) in enumerate(pairs) if key == "logits")
    pairs[index] = ("logits", value)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(pairs)}"


def server_times(client: httpx.Client, url: str, values: list[str]) -> list[float]:
    """Time sequential htmx GETs of `url` (z-0 set to each value in turn), in ms each."""
    times: list[float] = []
    for value in values:
        target = with_z0(url, value)
        start = time.perf_counter()
        response = client.get(target, headers=HX_HEADERS)
        response.read()
        elapsed = (time.perf_counter() - start) * 1e3
        if response.status_code != 200:
            raise RuntimeError(f"{target} answered {response.status_code}")
        times.append(elapsed)
    return times


def profile_route(path_and_query: str, values: list[str], top: int) -> str:
    """Profile rendering the fragment for `path_and_query` in this process; return the stats."""
    import asyncio

    os.environ.setdefault("DEDZ_HTMX_SOURCE", "local")
    sys.path.insert(0, str(ROOT))
    from app.main import app

    targets = [with_z0(f"http://bench{path_and_query}", value) for value in values]

    async def run(profiler: cProfile.Profile | None, urls: list[str]) -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport) as client:
            start = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            for target in urls:
                response = await client.get(target, headers=HX_HEADERS)
                if response.status_code != 200:
                    raise RuntimeError(f"{target} answered {response.status_code}")
            if profiler is not None:
                profiler.disable()
            return time.perf_counter() - start

    asyncio.run(run(None, targets[:20]))  # warm-up: imports, template compilation
    plain = asyncio.run(run(None, targets))
    profiler = cProfile.Profile()
    profiled = asyncio.run(run(profiler, targets))
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    per = 1e3 / len(targets)
    route = max(
        (value[3] for key, value in entries.items() if key[0].endswith("app/routes/pages.py")),
        default=float("inf"),
    )
    lines = [
        f"{len(targets)} renders of the fragment route in-process (httpx ASGITransport): "
        f"{plain * per:.2f} ms each unprofiled, {profiled * per:.2f} ms under cProfile.",
        "Times below are ms per render under cProfile; for generators (the templates' root "
        "functions) `calls` counts resumptions.",
        f"From the route down, top {top} of the app, its templates, Jinja2, Starlette and NumPy "
        "by cumulative time:",
        _HEADER,
    ]
    ranked = sorted(entries.items(), key=lambda item: item[1][3], reverse=True)
    in_scope = [
        item
        for item in ranked
        if _PROFILE_SCOPE.search(item[0][0]) and item[1][3] <= route * (1 + 1e-9)
    ]
    lines += [_row(key, value, per) for key, value in in_scope[:top]]
    lines += [f"Top {top} of everything by own time:", _HEADER]
    by_own = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)
    lines += [_row(key, value, per) for key, value in by_own[:top]]
    return "\n".join(lines)


_HEADER = f"  {'cum ms':>7} {'own ms':>7} {'calls':>8}  function"


def _row(key: tuple[str, int, str], value: tuple[Any, ...], per: float) -> str:
    filename, line, function = key
    where = f"{_short_path(filename)}:{line}({function})" if line else function
    return f"  {value[3] * per:7.3f} {value[2] * per:7.3f} {value[1] * per / 1e3:8.1f}  {where}"


_PROFILE_SCOPE = re.compile(
    rf"({re.escape(str(ROOT))}/(app|templates)/|/jinja2/|/starlette/|/numpy/|\.html$)"
)


def _short_path(filename: str) -> str:
    """Return `filename` relative to the repository or to site-packages."""
    for prefix in (f"{ROOT}/", "site-packages/"):
        if prefix in filename:
            return filename.split(prefix, 1)[1]
    return filename


# With --breakdown, extra pages of ours with one browser-side cost switched off, to see what
# each one adds: explorer.js's markInvalid (it runs on every htmx:oobAfterSwap and
# htmx:afterSettle, and starts with document.querySelectorAll(".field-error")) and the
# history.replaceState that htmx does for HX-Replace-Url.
_SKIP_MARK_INVALID = """() => {
  const all = document.querySelectorAll.bind(document);
  document.querySelectorAll = (selector) => (selector === ".field-error" ? [] : all(selector));
}"""
_SKIP_REPLACE_STATE = "() => { history.replaceState = () => {}; }"
BREAKDOWN = {
    "ours without markInvalid": [_SKIP_MARK_INVALID],
    "ours without replaceState": [_SKIP_REPLACE_STATE],
    "ours without both": [_SKIP_MARK_INVALID, _SKIP_REPLACE_STATE],
}


def _ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 50):7.2f} ms   p95 {percentile(values, 95):7.2f} ms"


def _verdict(ok: bool) -> str:
    return "meets goal" if ok else "MISSES goal"


def print_browser(edits: dict[str, list[Edit]]) -> None:
    """Print the in-page timings of every side, the ratio and the bytes swapped."""
    ours_settle = [e.settle for e in edits["ours"]]
    floor_settle = [e.settle for e in edits["floor"]]
    ratio = percentile(floor_settle, 50) / percentile(ours_settle, 50)
    width = max(len(name) for name in edits)
    print("In the browser, input event → htmx:afterSettle on the new #panels:")
    for name in ("ours", "floor"):
        print(f"  {name:{width}}  {_ms([e.settle for e in edits[name]])}")
    print(
        f"  ratio floor_p50/ours_p50 = {ratio:.2f} (goal ≥ {RATIO_GOAL}: "
        f"ours within {1 / RATIO_GOAL:.2f}× of the floor) → {_verdict(ratio >= RATIO_GOAL)}"
    )
    print("For reference, to a layout forced right after afterSettle:")
    for name in ("ours", "floor"):
        print(f"  {name:{width}}  {_ms([e.layout for e in edits[name]])}")
    others = [name for name in edits if name not in ("ours", "floor")]
    if others:
        ours_p50 = percentile(ours_settle, 50)
        print("Breakdown, input event → afterSettle, with one browser-side cost of ours skipped:")
        for name in others:
            settle = [e.settle for e in edits[name]]
            saved = ours_p50 - percentile(settle, 50)
            print(f"  {name:{width}}  {_ms(settle)}   p50 {saved:+6.2f} ms less than ours")
    swapped = ", ".join(
        f"{name} {statistics.median(e.bytes for e in edits[name]):,.0f} B"
        for name in ("ours", "floor")
    )
    print(f"Median response body swapped per edit (UTF-8): {swapped}.")


def print_sizes(n: int, fragments: dict[int, tuple[bytes, int]]) -> None:
    """Print our fragment's size for each n, beside its goal, and its size on the wire."""
    print("Our #panels fragment (HX-Request, HX-Target: panels), body bytes:")
    for classes in (n, 2):
        body, wire = fragments[classes]
        print(
            f"  n = {classes:<3} {len(body):7,d} B = {len(body) / 1024:5.1f} KiB "
            f"(goal ≤ {FRAGMENT_GOAL:,d} B) → {_verdict(len(body) <= FRAGMENT_GOAL)}; "
            f"{wire:,d} B on the wire"
        )


def print_server(client: httpx.Client, urls: dict[str, str], values: list[str]) -> None:
    """Print the server time of the fragment route alone, for ours and the floor."""
    query = urlsplit(urls["ours"]).query
    print(
        f"Server alone: {len(values)} sequential GETs with httpx (keep-alive, HX headers), the "
        f"query the browser sends ({len(query)} chars), z-0 varied, after 20 of warm-up:"
    )
    for name, url in urls.items():
        server_times(client, url, values[:20])
        times = server_times(client, url, values)
        print(
            f"  {name:6} mean {statistics.fmean(times):6.2f} ms   "
            f"p50 {percentile(times, 50):6.2f} ms   p95 {percentile(times, 95):6.2f} ms"
        )


def open_sides(browser: Browser, urls: dict[str, str], query: str, breakdown: bool) -> list[Side]:
    """Open ours, the floor and (with `breakdown`) ours with costs skipped, in fresh contexts."""
    sides = [Side(name, open_page(browser, f"{url}/?{query}")) for name, url in urls.items()]
    if breakdown:
        for name, scripts in BREAKDOWN.items():
            page = open_page(browser, f"{urls['ours']}/?{query}")
            for script in scripts:
                page.evaluate(script)
            sides.append(Side(name, page))
    return sides


def main() -> int:
    """Run the browser benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=100, help="measured edits per page (100)")
    parser.add_argument("--classes", type=int, default=10, help="number of classes n (10)")
    parser.add_argument("--warmup", type=int, default=5, help="discarded edits per page (5)")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also time ours with markInvalid and/or replaceState skipped in the page",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="also profile N route renders (0)"
    )
    args = parser.parse_args()
    if not (ROOT / "static" / "vendor" / "htmx.min.js").is_file():
        print("static/vendor/htmx.min.js is missing: run scripts/fetch_vendor.py", file=sys.stderr)
        return 1
    if not Path(CHROMIUM).is_file():
        print(f"Chromium not found at {CHROMIUM}", file=sys.stderr)
        return 1
    install_sigterm_handler()
    n = args.classes
    query = state_query(n)
    start = float(logits_for(n)[0])

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dedz-explorer-")))
        ours_url = stack.enter_context(
            serve_uvicorn(["app.main:app"], tmp / "ours.log", {"DEDZ_HTMX_SOURCE": "local"})
        )
        client = stack.enter_context(httpx.Client(timeout=60.0))
        fragments: dict[int, tuple[bytes, int]] = {}
        for classes in (n, 2):
            fragments[classes] = fetch_fragment(client, ours_url, state_query(classes))
        fragment_file = tmp / "fragment.html"
        fragment_file.write_bytes(fragments[n][0])
        floor_app = ["--factory", "--app-dir", "bench", "floor_htmx:from_env"]
        floor_url = stack.enter_context(
            serve_uvicorn(floor_app, tmp / "floor.log", {FRAGMENT_ENV: str(fragment_file)})
        )
        if fetch_fragment(client, floor_url, query)[0] != fragments[n][0]:
            raise RuntimeError("the floor does not serve our fragment's bytes")
        urls = {"ours": ours_url, "floor": floor_url}

        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        stack.callback(browser.close)
        sides = open_sides(browser, urls, query, args.breakdown)
        sent: list[str] = []

        def record(request: Request) -> None:
            if request.headers.get("hx-request") == "true":
                sent.append(request.url)

        sides[0].page.on("request", record)
        visibility = {side.page.evaluate("document.visibilityState") for side in sides}
        print(
            f"Chromium {browser.version} headless (pages {'/'.join(sorted(visibility))}), htmx "
            f"from static/vendor; uvicorn with 1 worker each; n = {n} classes; {args.edits} "
            f"edits of #z-0 per page after {args.warmup} discarded, {len(sides)} pages in "
            f"turn.\n",
            flush=True,
        )
        results = run_edits(sides, edit_values(args.warmup + args.edits, start))
        print_browser({name: timings[args.warmup :] for name, timings in results.items()})
        print()
        print_sizes(n, fragments)
        print()
        if not sent:
            raise RuntimeError("the browser sent no htmx request to ours")
        path_and_query = sent[-1].removeprefix(ours_url)
        server_urls = {name: url + path_and_query for name, url in urls.items()}
        print_server(client, server_urls, edit_values(SERVER_REQUESTS, start))

    if args.profile > 0:
        print()
        print(profile_route(path_and_query, edit_values(args.profile, start), 25))
    return 0


if __name__ == "__main__":
    run_main(main, interrupted="interrupted: servers and browser stopped.")
