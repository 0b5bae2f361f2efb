"""The pages' icon: one PNG, served as one (an SVG icon cost 2 to 4 ms per settled edit)."""

from __future__ import annotations

import re
import struct

import pytest
from starlette.testclient import TestClient

PAGES = ["/", "/embed", "/build", "/guide", "/docs", "/?logits=2,1&target=0"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_links_one_png_icon_that_is_served(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    icons = re.findall(
        r'<link rel="icon" href="([^"]+)" type="([^"]+)" sizes="(\d+)x(\d+)">', page.text
    )
    assert len(icons) == 1, icons
    assert page.text.count('rel="icon"') == 1
    href, media_type, width, height = icons[0]
    assert media_type == "image/png"
    icon = client.get(href)
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/png"
    assert icon.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", icon.content[16:24]) == (int(width), int(height))  # IHDR
