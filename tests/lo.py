"""LibreOffice headless as the real spreadsheet engine of the tests: it recalculates our formulas as Excel would.

In CI a missing LibreOffice is a failure, not a skip (.ci/run installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is required in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    return exe


def recalculate_all(sources: list[Path], outdir: Path) -> list[Path]:
    """Open every source in one LibreOffice run, recalculate, save as .xlsx into `outdir` with the formula results
    cached. A private profile keeps parallel runs apart. Fails with LibreOffice's output if a file is missing."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run([soffice(), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--calc",
                               "--convert-to", "xlsx", "--outdir", str(outdir), *map(str, sources)],
                              capture_output=True, text=True, timeout=180)
    results = [outdir / (Path(src).stem + ".xlsx") for src in sources]
    for result in results:
        assert result.is_file(), f"LibreOffice did not convert {result.name}: {proc.stdout}\n{proc.stderr}"
    return results


def recalculate(src: Path, outdir: Path) -> Path:
    return recalculate_all([src], outdir)[0]
