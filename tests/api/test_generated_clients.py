"""Generated clients accept the contract: a typed Python client and TypeScript types.

The OpenAPI document comes from the app in-process. Python: openapi-python-client generates a
package that must come out without warnings and pass `mypy --strict`, and its `gradient_post`
talks to the app through httpx's ASGI transport. TypeScript: openapi-typescript generates types
that tsc checks against requests that must compile and requests that must not. The npm tools are
installed, pinned, by scripts/fetch_client_tools.sh into a git-ignored folder; without npm these
tests fail rather than skip.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tests" / "api" / ".client-tools"
FETCH_TOOLS = ROOT / "scripts" / "fetch_client_tools.sh"
PACKAGE = "dedz_client"
TIMEOUT = 120  # seconds, for any one tool (npm install included)


def _run(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def openapi_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    document = create_app(Settings()).openapi()
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


# --- Python: openapi-python-client -------------------------------------------------------------


@pytest.fixture(scope="module")
def python_client(
    openapi_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """Generate the client package; return its folder and the generator's run."""
    work = tmp_path_factory.mktemp("python-client")
    # No post hooks: the default ones run whichever ruff is on PATH, and its `--fix-only`
    # rewrites code (PYI036 turns `*args: Any` into `*args: object`, which mypy then refuses).
    config = work / "config.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")
    package = work / PACKAGE
    result = _run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            openapi_file,
            "--meta",
            "none",
            "--output-path",
            package,
            "--config",
            config,
            "--fail-on-warning",
        ],
        cwd=work,
    )
    return package, result


@pytest.fixture(scope="module")
def python_package(
    python_client: tuple[Path, subprocess.CompletedProcess[str]],
) -> Iterator[ModuleType]:
    """Import the generated package (and forget it afterwards)."""
    package, result = python_client
    assert (package / "api" / "gradient" / "gradient_post.py").is_file(), _output(result)
    sys.path.insert(0, str(package.parent))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(package.parent))
        for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_python_client_generates_without_warnings(
    python_client: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    package, result = python_client
    output = _output(result)
    assert result.returncode == 0, output
    assert not re.search(r"warning|error", result.stdout + result.stderr, re.IGNORECASE), output
    assert (package / "api" / "gradient" / "gradient_post.py").is_file(), output


def test_python_client_passes_mypy_strict(
    python_client: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    package, result = python_client
    assert (package / "__init__.py").is_file(), _output(result)
    # Its own config, so that the project's [tool.mypy] (files, plugins) does not apply.
    config = package.parent / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n", encoding="utf-8")
    checked = _run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            config,
            "--cache-dir",
            package.parent / ".mypy_cache",
            PACKAGE,
        ],
        cwd=package.parent,
    )
    assert checked.returncode == 0, _output(checked)


def _in_process_client(package: ModuleType) -> Any:
    transport = httpx.ASGITransport(app=create_app(Settings()))
    http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    return package.Client(base_url="http://testserver").set_async_httpx_client(http)


def test_python_client_posts_a_gradient(python_package: ModuleType) -> None:
    gradient_post = importlib.import_module(f"{PACKAGE}.api.gradient.gradient_post")
    models = importlib.import_module(f"{PACKAGE}.models")

    async def post() -> Any:
        async with _in_process_client(python_package) as client:
            body = models.GradientRequest(logits=[2.0, 1.0], target=0)
            return await gradient_post.asyncio_detailed(client=client, body=body)

    response = asyncio.run(post())
    assert response.status_code == 200, response.content
    parsed = response.parsed
    assert isinstance(parsed, models.GradientResponse)
    assert len(parsed.probs) == 2
    assert len(parsed.grad_logits) == 2
    # dE/dZ = O − one-hot(0): (O1 − 1, O2), with O = softmax(2, 1).
    assert parsed.probs == pytest.approx([0.7310585786300049, 0.2689414213699951])
    assert parsed.grad_logits == pytest.approx([-0.2689414213699951, 0.2689414213699951])


def test_python_client_parses_a_refusal(python_package: ModuleType) -> None:
    gradient_post = importlib.import_module(f"{PACKAGE}.api.gradient.gradient_post")
    models = importlib.import_module(f"{PACKAGE}.models")

    async def post() -> Any:
        async with _in_process_client(python_package) as client:
            body = models.GradientRequest(logits=[2.0, 1.0], target=5)
            return await gradient_post.asyncio_detailed(client=client, body=body)

    response = asyncio.run(post())
    assert response.status_code == 422, response.content
    assert isinstance(response.parsed, models.ValidationErrorResponse)
    assert response.parsed.detail
    assert response.parsed.detail[0].loc[:2] == ["body", "target"]


# --- TypeScript: openapi-typescript and tsc ----------------------------------------------------


@pytest.fixture(scope="module")
def client_tools() -> Path:
    """Install the pinned npm tools if they are missing; return their bin folder."""
    result = _run(["bash", FETCH_TOOLS, TOOLS], cwd=ROOT)
    assert result.returncode == 0, _output(result)
    return TOOLS / "node_modules" / ".bin"


@pytest.fixture(scope="module")
def typescript_types(
    openapi_file: Path, client_tools: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    work = tmp_path_factory.mktemp("typescript")
    types = work / "schema.d.ts"
    # Request bodies: a property with a default stays optional. openapi-typescript's default
    # (defaultNonNullable) reads a default as "always present", right for responses only: it
    # would make temperature, weights, include and the rest required in GradientRequest.
    result = _run(
        [
            client_tools / "openapi-typescript",
            openapi_file,
            "--output",
            types,
            "--default-non-nullable",
            "false",
        ],
        cwd=work,
    )
    output = _output(result)
    assert result.returncode == 0, output
    assert not re.search(r"warn|error", result.stdout + result.stderr, re.IGNORECASE), output
    return types


def _schema_block(types: str, name: str) -> str:
    match = re.search(rf"^( +){name}: \{{\n(.*?)^\1\}};$", types, re.MULTILINE | re.DOTALL)
    assert match, f"no {name} in the generated types"
    return match.group(2)


def test_typescript_request_fields_are_typed(typescript_types: Path) -> None:
    block = _schema_block(typescript_types.read_text(encoding="utf-8"), "GradientRequest")
    fields = dict(re.findall(r"^ +(\w+)(\??): ", block, re.MULTILINE))
    for name in ("logits", "target"):
        assert fields.get(name) == "", f"{name} is missing or optional"
        line = re.search(rf"^ +{name}: (.*);$", block, re.MULTILINE)
        assert line, name
        assert "number" in line.group(1), line.group(0)
        assert not re.search(r"unknown|never|Record<|any\b|\{\s*\}", line.group(1)), line.group(0)


TYPE_CHECKS = """\
import type { components } from "./schema";

type Schemas = components["schemas"];
type Request = Schemas["GradientRequest"];
type Response = Schemas["GradientResponse"];
// Numbers, however deeply nested: unknown, any other type or a missing item type fails.
type Numbers = number | Numbers[];
type Extends<A, B> = [A] extends [B] ? true : false;
type IsAny<T> = 0 extends 1 & T ? true : false;

export const seed: Request = { logits: [2, 1], target: 0 };
export const batch: Request = {
    logits: [[2, 1, 0.1], [0.5, 2.5, -1]],
    target: [[0.7, 0.2, 0.1], [0, 1, 0]],
    label_smoothing: 0.1,
    reduction: "sum",
    include: ["jacobian", "chain", "check"],
};
export const logitsAreNumbers: Extends<Request["logits"], Numbers[]> = true;
export const logitsAreNotAny: IsAny<Request["logits"]> = false;
export const targetIsNumbers: Extends<Request["target"], Numbers> = true;
export const targetIsNotAny: IsAny<Request["target"]> = false;
export const probsAreNumbers: Extends<Response["probs"], Numbers[]> = true;
export const probsAreNotAny: IsAny<Response["probs"]> = false;
export const gradientIsNumbers: Extends<Response["grad_logits"], Numbers[]> = true;
export const gradientIsNotAny: IsAny<Response["grad_logits"]> = false;

// @ts-expect-error logits must be numbers
export const textLogits: Request = { logits: "x", target: 0 };
// @ts-expect-error target must be a number or numbers
export const textTarget: Request = { logits: [2, 1], target: "0" };
// @ts-expect-error target is required
export const noTarget: Request = { logits: [2, 1] };
// @ts-expect-error reduction is one of mean, sum, none
export const badReduction: Request = { logits: [2, 1], target: 0, reduction: "max" };
// @ts-expect-error no other fields (additionalProperties: false)
export const extraField: Request = { logits: [2, 1], target: 0, temprature: 2 };
"""


def test_typescript_types_check_requests(typescript_types: Path, client_tools: Path) -> None:
    checks = typescript_types.parent / "checks.ts"
    checks.write_text(TYPE_CHECKS, encoding="utf-8")
    result = _run(
        [
            client_tools / "tsc",
            "--noEmit",
            "--strict",
            "--pretty",
            "false",
            "--target",
            "es2022",
            "--module",
            "preserve",
            typescript_types,
            checks,
        ],
        cwd=typescript_types.parent,
    )
    assert result.returncode == 0, _with_sources(_output(result), TYPE_CHECKS)


def _with_sources(output: str, source: str) -> str:
    """Follow each `checks.ts(line,column): error` with that line of the checks."""
    lines = source.splitlines()

    def quote(match: re.Match[str]) -> str:
        return f"{match.group(0)}\n    > {lines[int(match.group(1)) - 1].strip()}"

    return re.sub(r"^checks\.ts\((\d+),\d+\): .*$", quote, output, flags=re.MULTILINE)
