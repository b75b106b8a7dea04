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


def recalculate(src: Path, outdir: Path) -> Path:
    """Open `src` in LibreOffice, recalculate, save as .xlsx into `outdir` (cached formula results included)."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--calc",
                        "--convert-to", "xlsx", "--outdir", str(outdir), str(src)],
                       check=True, capture_output=True, timeout=180)
    return outdir / (Path(src).stem + ".xlsx")
