"""Fetch the third-party front-end files that dEdZ uses but never commits.

Usage:
    python scripts/fetch_vendor.py            # fetch whatever is missing or wrong
    python scripts/fetch_vendor.py --force    # fetch everything again

Files written (both git-ignored):
    static/vendor/htmx.min.js        htmx at the version pinned in app/web/assets.py, served when
                                     DEDZ_HTMX_SOURCE=local; refused unless its SRI matches
                                     app.web.assets.HTMX_SRI.
    static/vendor/swagger-ui/        Swagger UI's bundle and stylesheet for /docs, at the version
                                     pinned in app/web/assets.py, each checked against its SRI.
    tests/browser/vendor/axe.min.js  axe-core, for the accessibility checks of the browser tests.

Each comes from its npm package through `npm pack`, which checks the tarball against the
registry's integrity hash; nothing else is downloaded. A file that is already present (and, for
htmx, has the pinned SRI) is left alone, so running the script again is instant.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.web.assets import (  # noqa: E402
    HTMX_LOCAL_PATH,
    HTMX_SRI,
    HTMX_VERSION,
    SWAGGER_DIR,
    SWAGGER_FILES,
    SWAGGER_VERSION,
)

# axe-core for the accessibility checks in tests/browser (not used by the app itself).
AXE_VERSION = "4.14.1"
AXE_LOCAL_PATH = "tests/browser/vendor/axe.min.js"
# axe.min.js 4.x weighs roughly 500-700 kB; anything far outside this is not the real file.
AXE_MIN_BYTES = 200_000
AXE_MAX_BYTES = 2_000_000


class FetchError(Exception):
    """A file could not be fetched or failed its check."""


def sri_sha384(data: bytes) -> str:
    """Return the subresource-integrity string (`sha384-…`) of `data`."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def npm_pack_member(spec: str, member: str) -> bytes:
    """Return the bytes of `member` inside the npm tarball of `spec` (`name@version`)."""
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm is not on PATH; install Node.js/npm to fetch vendor files")
    with tempfile.TemporaryDirectory(prefix="dedz-vendor-") as tmp:
        result = subprocess.run(
            [npm, "pack", spec, "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            raise FetchError(f"`npm pack {spec}` failed ({result.returncode}): {detail}")
        tarballs = list(Path(tmp).glob("*.tgz"))
        if len(tarballs) != 1:
            raise FetchError(f"`npm pack {spec}` left {len(tarballs)} tarballs, expected 1")
        with tarfile.open(tarballs[0], "r:gz") as tar:
            try:
                info = tar.getmember(member)
            except KeyError:
                raise FetchError(f"{spec}: the tarball has no {member}") from None
            extracted = tar.extractfile(info) if info.isfile() else None
            if extracted is None:
                raise FetchError(f"{spec}: {member} is not a regular file")
            with extracted:
                return extracted.read()


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary sibling, so a failed run leaves no partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


def fetch_htmx(force: bool) -> str:
    """Ensure static/vendor/htmx.min.js is htmx at HTMX_VERSION with HTMX_SRI; return a line."""
    target = ROOT / HTMX_LOCAL_PATH
    rel = target.relative_to(ROOT)
    if not force and target.is_file() and sri_sha384(target.read_bytes()) == HTMX_SRI:
        return f"ok       {rel} (htmx {HTMX_VERSION}, SRI matches)"
    data = npm_pack_member(f"htmx.org@{HTMX_VERSION}", "package/dist/htmx.min.js")
    actual = sri_sha384(data)
    if actual != HTMX_SRI:
        raise FetchError(
            f"htmx.org@{HTMX_VERSION} dist/htmx.min.js has SRI {actual}, but app/assets.py pins "
            f"{HTMX_SRI}; refusing to write {rel}"
        )
    write_atomically(target, data)
    return f"fetched  {rel} (htmx {HTMX_VERSION}, {len(data):,} bytes, SRI matches)"


def fetch_swagger(force: bool) -> str:
    """Ensure static/vendor/swagger-ui/ holds Swagger UI's pinned files; return a line."""
    target = ROOT / SWAGGER_DIR
    rel = target.relative_to(ROOT)
    present = {
        name: (target / name).is_file() and sri_sha384((target / name).read_bytes()) == sri
        for name, sri in SWAGGER_FILES.items()
    }
    if not force and all(present.values()):
        return f"ok       {rel}/ (swagger-ui-dist {SWAGGER_VERSION}, SRI matches)"
    for name, sri in SWAGGER_FILES.items():
        data = npm_pack_member(f"swagger-ui-dist@{SWAGGER_VERSION}", f"package/{name}")
        if sri_sha384(data) != sri:
            raise FetchError(
                f"swagger-ui-dist@{SWAGGER_VERSION} {name} does not match its pinned SRI; "
                f"refusing to write {rel}/{name}"
            )
        write_atomically(target / name, data)
    return f"fetched  {rel}/ (swagger-ui-dist {SWAGGER_VERSION}, SRI matches)"


def fetch_axe(force: bool) -> str:
    """Ensure tests/browser/vendor/axe.min.js is axe-core at AXE_VERSION; return a line."""
    target = ROOT / AXE_LOCAL_PATH
    rel = target.relative_to(ROOT)
    if not force and target.is_file():
        return f"ok       {rel} (already present)"
    data = npm_pack_member(f"axe-core@{AXE_VERSION}", "package/axe.min.js")
    if not AXE_MIN_BYTES <= len(data) <= AXE_MAX_BYTES:
        raise FetchError(
            f"axe-core@{AXE_VERSION} axe.min.js is {len(data):,} bytes, outside the plausible "
            f"{AXE_MIN_BYTES:,}-{AXE_MAX_BYTES:,}; refusing to write {rel}"
        )
    if f"axe v{AXE_VERSION}".encode() not in data[:1000]:
        raise FetchError(f"axe-core@{AXE_VERSION} axe.min.js lacks its version banner")
    write_atomically(target, data)
    return f"fetched  {rel} (axe-core {AXE_VERSION}, {len(data):,} bytes)"


def main(argv: list[str] | None = None) -> int:
    """Fetch every vendor file; return the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--force", action="store_true", help="fetch again even if present")
    parser.add_argument(
        "--only",
        choices=("htmx", "swagger", "axe"),
        action="append",
        help="fetch only these (repeatable; the container needs htmx and swagger)",
    )
    args = parser.parse_args(argv)
    status = 0
    fetchers = {"htmx": fetch_htmx, "swagger": fetch_swagger, "axe": fetch_axe}
    for name, fetch in fetchers.items():
        if args.only and name not in args.only:
            continue
        try:
            print(fetch(args.force), flush=True)
        except FetchError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
