"""Write static/favicon.png, the 64 × 64 rendering of static/favicon.svg (resvg).

    .venv/bin/python scripts/make_favicon.py

The pages link the PNG: chromium fetches a page's icon again after every history.replaceState
(which the explorer does once each edit settles), and an SVG icon is then parsed into a new
isolated SVG document each time, 2 to 4 ms on the main thread per edit; a PNG decodes in
microseconds. Run this after editing the SVG.
"""

from __future__ import annotations

from pathlib import Path

import resvg_py

STATIC = Path(__file__).resolve().parents[1] / "static"


def main() -> None:
    """Render the SVG at twice its 32-unit size and write the PNG."""
    svg = (STATIC / "favicon.svg").read_text()
    (STATIC / "favicon.png").write_bytes(bytes(resvg_py.svg_to_bytes(svg_string=svg, zoom=2.0)))


if __name__ == "__main__":
    main()
