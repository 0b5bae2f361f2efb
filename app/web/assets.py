"""Pinned third-party front-end code: htmx from its CDN, or a local copy fetched from npm."""

from __future__ import annotations

HTMX_VERSION = "2.0.11"
HTMX_CDN_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
# Subresource integrity of dist/htmx.min.js in the npm tarball htmx.org@2.0.11.
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
# Where scripts/fetch_vendor.py writes the local copy (git-ignored), relative to the repo.
HTMX_LOCAL_PATH = "static/vendor/htmx.min.js"
