"""Pinned third-party front-end code: htmx (CDN or a local copy) and Swagger UI (local only)."""

from __future__ import annotations

HTMX_VERSION = "2.0.11"
HTMX_CDN_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
# Subresource integrity of dist/htmx.min.js in the npm tarball htmx.org@2.0.11.
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
# Where scripts/fetch_vendor.py writes the local copy (git-ignored), relative to the repo.
HTMX_LOCAL_PATH = "static/vendor/htmx.min.js"

# Swagger UI for /docs, always served from static/vendor/ (fetched from npm, never committed):
# no CDN, and the same CSP as every other page.
SWAGGER_VERSION = "5.35.0"
SWAGGER_DIR = "static/vendor/swagger-ui"
SWAGGER_FILES = {  # file -> SRI of its bytes in the npm tarball swagger-ui-dist@SWAGGER_VERSION
    "swagger-ui-bundle.js": (
        "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
    ),
    "swagger-ui.css": "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I",
}
