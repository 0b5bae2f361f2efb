"""A 2 s slider drag on a slow network: how many updates show while dragging, how long after
release the final state settles. Chromium's network emulation adds the round-trip time.

Run from the repository root (`make bench-drag`; needs chromium):

    .venv/bin/python bench/drag.py [--rtt 0 50 150]

Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import time

from common import OUT, dedz, run
from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM_ARGS, CHROMIUM_PATH

COUNT_SWAPS = """() => { window.swaps = 0; window.settledAt = 0;
  document.addEventListener("htmx:afterSettle", (e) => {
    if (e.target.id === "panels") { window.swaps += 1; window.settledAt = performance.now(); }
  }); }"""


def drag(page: object, seconds: float) -> tuple[int, float, float]:
    """Drag Z1's slider across for about `seconds`; return (updates seen while dragging, settle
    ms after release, the drag's real duration in s)."""
    slider = page.locator(".slider").first  # type: ignore[attr-defined]
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 2, y)  # type: ignore[attr-defined]
    page.mouse.down()  # type: ignore[attr-defined]
    began = time.monotonic()
    while (elapsed := time.monotonic() - began) < seconds:  # each move lands where time says
        page.mouse.move(box["x"] + 2 + (box["width"] - 4) * elapsed / seconds, y)  # type: ignore[attr-defined]
        time.sleep(0.01)
    took = time.monotonic() - began
    during = page.evaluate("() => window.swaps")  # type: ignore[attr-defined]
    released = page.evaluate("() => performance.now()")  # type: ignore[attr-defined]
    page.mouse.up()  # type: ignore[attr-defined]
    final = page.locator("#z-0").input_value()  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "(v) => document.getElementById('last').value.startsWith('logits=' + v + ',')",
        arg=final,
        timeout=30_000,
    )
    settled = page.evaluate("() => window.settledAt")  # type: ignore[attr-defined]
    return int(during), max(0.0, float(settled) - float(released)), took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt", type=int, nargs="+", default=[0, 50, 150], help="ms")
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    with (
        dedz({"DEDZ_WORKERS": "1"}, OUT / "drag.log") as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        print(f"A {args.seconds:g} s drag of Z1's slider, 10 classes:")
        for rtt in args.rtt:
            page = browser.new_page()
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": rtt,
                    "downloadThroughput": -1,
                    "uploadThroughput": -1,
                },
            )
            page.goto(server.url + "/?logits=" + ",".join(["1"] * 10) + "&target=0")
            page.wait_for_function("() => document.documentElement.classList.contains('live')")
            page.evaluate(COUNT_SWAPS)
            during, settle, took = drag(page, args.seconds)
            print(
                f"  RTT {rtt:>3} ms: {during:>3} updates shown in the {took:.1f} s drag; "
                f"final state settled {settle:.0f} ms after release"
            )
            page.close()
        browser.close()
    return 0


if __name__ == "__main__":
    run(main)
