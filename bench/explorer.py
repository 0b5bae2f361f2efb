"""One explorer edit in headless Chromium, input event → htmx swap, against an htmx floor page.

    .venv/bin/python bench/explorer.py [--edits 100 --classes 10 --warmup 5]

dEdZ (htmx from static/vendor) and bench/floors.py:htmx, a minimal page with the same htmx,
htmx-config and form whose every htmx request gets our fragment's bytes, run under uvicorn.
Chromium edits #z-0 on each page in turn; each edit is timed in the page from dispatching
`input` to htmx:afterSettle on the new #panels (and to a forced layout), and split into phases by
the request's resource timing. Prints p50/p95, the ratio to the floor, where the time goes, the
fragment's size, and the route's server time alone.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from common import ROOT, run, serve
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
CHROMIUM_ARGS += ["--disable-background-networking", "--disable-component-update"]
HX_HEADERS = {"HX-Request": "true", "HX-Target": "panels"}
RATIO_GOAL = 1 / 1.15  # floor_p50 / ours_p50: ours within 1.15× of the floor (issue 9)
FRAGMENT_GOAL = 20 * 1024  # bytes

# Edit #z-0 once; resolve with ms from dispatching `input` to htmx's afterSettle on the new
# #panels and to a layout forced after it, and the bytes swapped; reject on any htmx error.
EDIT_JS = """
(value) => new Promise((resolve, reject) => {
  const input = document.getElementById("z-0");
  const before = document.getElementById("panels");
  const events = ["htmx:afterSettle", "htmx:beforeSwap", "htmx:responseError",
                  "htmx:sendError", "htmx:swapError", "htmx:oobErrorNoTarget"];
  const timer = setTimeout(() => finish(new Error("no afterSettle within 15 s")), 15000);
  let t0 = 0;
  let swap = 0;
  function finish(error, result) {
    clearTimeout(timer);
    events.forEach((name) => document.removeEventListener(name, on, true));
    if (error) { reject(error); } else { resolve(result); }
  }
  function on(event) {
    const now = performance.now();
    if (event.type === "htmx:beforeSwap") {
      swap = swap || now - t0;
    } else if (event.type !== "htmx:afterSettle") {
      finish(new Error(event.type + " on #" + (event.target.id || "?")));
    } else if (event.target.id === "panels") {
      const panels = document.getElementById("panels");
      if (panels === before || !panels.isConnected) {
        finish(new Error("#panels was not replaced"));
        return;
      }
      document.documentElement.getBoundingClientRect();
      void document.body.offsetHeight;
      const xhr = event.detail && event.detail.xhr;
      const timing = performance.getEntriesByType("resource")
        .filter((entry) => entry.name === xhr.responseURL).pop();
      performance.clearResourceTimings();
      if (!timing) { finish(new Error("no resource timing for " + xhr.responseURL)); return; }
      finish(null, {settle: now - t0, layout: performance.now() - t0, url: xhr.responseURL,
                    bytes: new TextEncoder().encode(xhr.responseText).length,
                    sent: timing.requestStart - t0, first: timing.responseStart - t0,
                    loaded: timing.responseEnd - t0, swap: swap});
    }
  }
  events.forEach((name) => document.addEventListener(name, on, true));
  input.value = value;
  t0 = performance.now();
  input.dispatchEvent(new Event("input", {bubbles: true}));
})
"""
LOADED_JS = "() => window.htmx !== undefined && !!document.getElementById('z-0')"


def state_query(n: int) -> str:
    """Return the explorer's query for n distinct moderate logits (in [-2, 2.5]), target 0."""
    logits = (f"{2.5 - i * 4.5 / max(n - 1, 1):.2f}" for i in range(n))
    return f"logits={','.join(logits)}&target=0"


def edit_values(count: int) -> list[str]:
    """Return `count` values for #z-0 (starting at 2.5), each unlike the one before."""
    return [f"{2.5 + 0.01 * ((i % 50) + 1):.2f}" for i in range(count)]


def with_z0(url: str, value: str) -> str:
    """Return `url` with its first `logits` value replaced by `value`."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    index = next(i for i, (key, _) in enumerate(pairs) if key == "logits")
    pairs[index] = ("logits", value)
    return parts._replace(query=urlencode(pairs)).geturl()


def fragment(client: httpx.Client, url: str) -> tuple[bytes, int]:
    """Return the #panels fragment at `url`, asked for as htmx asks, and its size on the wire."""
    response = client.get(url, headers=HX_HEADERS)
    if response.status_code != 200 or b'id="panels"' not in response.content:
        raise RuntimeError(f"{url}: {response.status_code}, not a #panels fragment")
    return response.content, response.num_bytes_downloaded


def pct(values: list[float], q: int) -> float:
    """Return the q-th percentile, linearly interpolated."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def ms(values: list[float]) -> str:
    """Format p50 and p95."""
    return f"p50 {pct(values, 50):7.2f} ms   p95 {pct(values, 95):7.2f} ms"


def main() -> int:
    """Run the browser benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=100, help="measured edits per page (100)")
    parser.add_argument("--classes", type=int, default=10, help="number of classes n (10)")
    parser.add_argument("--warmup", type=int, default=5, help="discarded edits per page (5)")
    args = parser.parse_args()
    if not (ROOT / "static" / "vendor" / "htmx.min.js").is_file() or not Path(CHROMIUM).is_file():
        print(f"needs static/vendor/htmx.min.js (make vendor) and {CHROMIUM}", file=sys.stderr)
        return 1
    n, query = args.classes, state_query(args.classes)
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dedz-explorer-")))
        ours = stack.enter_context(serve()).url
        client = stack.enter_context(httpx.Client(timeout=60.0))
        sizes = {k: fragment(client, f"{ours}/?{state_query(k)}") for k in (n, 2)}
        (tmp / "panels.html").write_bytes(sizes[n][0])
        env = {"BENCH_FLOOR_BODY": str(tmp / "panels.html")}
        factory = ["--factory", "--app-dir", "bench"]
        floor = stack.enter_context(serve("floors:htmx", env, args=factory)).url
        if fragment(client, f"{floor}/?{query}")[0] != sizes[n][0]:
            raise RuntimeError("the floor does not serve our fragment's bytes")

        browser = stack.enter_context(sync_playwright()).chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        stack.callback(browser.close)
        pages: dict[str, Page] = {}
        for name, url in (("ours", ours), ("floor", floor)):
            pages[name] = page = browser.new_context().new_page()
            page.goto(f"{url}/?{query}", wait_until="load")
            page.wait_for_function(LOADED_JS)
        visible = "/".join(sorted({p.evaluate("document.visibilityState") for p in pages.values()}))
        print(
            f"Chromium {browser.version} headless (pages {visible}), htmx from static/vendor; "
            f"uvicorn with 1 worker each; n = {n} classes; {args.edits} edits of #z-0 per page "
            f"after {args.warmup} discarded, the two pages in turn.\n",
            flush=True,
        )
        edits: dict[str, list[dict[str, Any]]] = {name: [] for name in pages}
        for i, value in enumerate(edit_values(args.warmup + args.edits)):
            for name in ("ours", "floor")[:: -1 if i % 2 else 1]:  # alternate who goes first
                edits[name].append(pages[name].evaluate(EDIT_JS, value))

        def timings(name: str, key: str = "settle") -> list[float]:
            return [e[key] for e in edits[name][args.warmup :]]

        ratio = pct(timings("floor"), 50) / pct(timings("ours"), 50)
        verdict = {True: "meets goal", False: "MISSES goal"}
        print("In the browser, input event → htmx:afterSettle on the new #panels:")
        for name in ("ours", "floor"):
            print(f"  {name:6}  {ms(timings(name))}")
        print(
            f"  ratio floor_p50/ours_p50 = {ratio:.2f} (goal ≥ {RATIO_GOAL:.2f}: ours within "
            f"{1 / RATIO_GOAL:.2f}× of the floor) → {verdict[ratio >= RATIO_GOAL]}"
        )
        print("Where an edit's time goes (p50 of each phase, ms):")
        phases = (
            ("to request sent", lambda e: e["sent"]),
            ("server (to first byte)", lambda e: e["first"] - e["sent"]),
            ("download", lambda e: e["loaded"] - e["first"]),
            ("to htmx:beforeSwap", lambda e: e["swap"] - e["loaded"]),
            ("swap and settle", lambda e: e["settle"] - e["swap"]),
        )
        for label, phase in phases:
            cells = (
                f"{name} {pct([phase(e) for e in edits[name][args.warmup :]], 50):6.2f}"
                for name in pages
            )
            print(f"  {label:24} {'   '.join(cells)}")
        print("For reference, to a layout forced right after afterSettle:")
        for name in ("ours", "floor"):
            print(f"  {name:6}  {ms(timings(name, 'layout'))}")
        swapped = (f"{name} {statistics.median(timings(name, 'bytes')):,.0f} B" for name in pages)
        print(f"Median response body swapped per edit (UTF-8): {', '.join(swapped)}.\n")

        print("Our #panels fragment (HX-Request, HX-Target: panels), body bytes:")
        for classes, (body, wire) in sizes.items():
            print(
                f"  n = {classes:<3} {len(body):7,d} B = {len(body) / 1024:5.1f} KiB (goal ≤ "
                f"{FRAGMENT_GOAL:,d} B) → {verdict[len(body) <= FRAGMENT_GOAL]}; {wire:,d} B on "
                "the wire"
            )
        path = edits["ours"][-1]["url"].removeprefix(ours)  # the last query the browser sent
        print(
            f"\nServer alone: 200 sequential GETs with httpx (keep-alive, HX headers) of the query "
            f"the browser sends ({len(urlsplit(path).query)} chars), z-0 varied, after 20:"
        )
        for name, url in (("ours", ours + path), ("floor", floor + path)):
            times = []
            for i, value in enumerate(edit_values(220)):
                start = time.perf_counter()
                response = client.get(with_z0(url, value), headers=HX_HEADERS)
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: {response.status_code}")
                times += [(time.perf_counter() - start) * 1e3] if i >= 20 else []
            print(f"  {name:6} mean {statistics.fmean(times):6.2f} ms   {ms(times)}")
    return 0


if __name__ == "__main__":
    run(main)
