"""requirements.lock, which the container installs, agrees with pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = (ROOT / "requirements.lock").read_text()
PINS = {
    canonicalize_name(name): version
    for name, version in re.findall(
        r"^([A-Za-z0-9_.\-]+)==(\S+)(?: ;[^\\\n]*)? \\$", LOCK, re.MULTILINE
    )
}
DEPENDENCIES = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


@pytest.mark.parametrize("spec", DEPENDENCIES)
def test_every_dependency_is_locked_within_its_range(spec: str) -> None:
    requirement = Requirement(spec)
    name = canonicalize_name(requirement.name)
    assert name in PINS, f"{name} is in pyproject.toml but not locked: run make lock"
    assert requirement.specifier.contains(PINS[name]), f"{name}=={PINS[name]} is outside {spec}"


def test_every_pin_has_a_hash() -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", LOCK)[1:]  # [0] is the header
    assert len(blocks) == len(PINS) > len(DEPENDENCIES)
    for block in blocks:
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_the_lock_names_no_local_index() -> None:
    assert "--index-url" not in LOCK
    assert "--find-links" not in LOCK
