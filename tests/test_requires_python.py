"""pyproject's requires-python admits no Python that a pinned dependency excludes.

Each pin's Requires-Python is read from the installed distribution's metadata (importlib.metadata), after checking that
the installed version is the pinned one. A pin whose marker is false here (pywin32, Windows only) is not installed on
this machine; its wheels' Requires-Python is checked against the targets in tests/test_bundle.py.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

PYPROJECT = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
OURS = SpecifierSet(PYPROJECT["project"]["requires-python"])
PINS = [Requirement(text) for text in PYPROJECT["project"]["dependencies"]]
# Every CPython 3 release line, with a first and a late patch release.
PYTHONS = [Version(f"3.{minor}.{patch}") for minor in range(0, 30) for patch in (0, 1, 30)]


def _installed_pins():
    return [pytest.param(req, id=req.name) for req in PINS if req.marker is None or req.marker.evaluate()]


def test_every_dependency_is_pinned():
    loose = [str(req) for req in PINS if not (len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==")]
    assert loose == []


@pytest.mark.parametrize("pin", _installed_pins())
def test_requires_python_admits_nothing_the_pin_excludes(pin):
    installed = importlib.metadata.version(pin.name)
    assert pin.specifier.contains(installed), f"{pin.name} {installed} is installed, the pin says {pin.specifier}"
    theirs = SpecifierSet(importlib.metadata.metadata(pin.name).get("Requires-Python") or "")
    admitted_by_us_only = [str(v) for v in PYTHONS if OURS.contains(v) and not theirs.contains(v)]
    assert admitted_by_us_only == [], (
        f"requires-python {OURS} admits {admitted_by_us_only[:3]}…, which {pin.name} {installed} "
        f"(Requires-Python {theirs}) does not support")


def test_requires_python_excludes_what_the_code_cannot_run_on():
    # The package imports tomllib, new in 3.11.
    assert not OURS.contains("3.10.12") and OURS.contains("3.11.0")
