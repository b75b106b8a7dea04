"""scripts/load_service.py is a benchmark (it prints figures and asserts nothing), but what it measures must be the
real work: its prebuilt raw requests must be answered 200 with the JSON each route gives, or every figure it prints
is the speed of an error page. A short bounded run (2 clients, 1 s, on 127.0.0.1) checks that; no timing is asserted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_load_script_sends_requests_the_service_answers():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "load_service.py"), "--duration", "1",
                          "--clients", "2", "--workers", "1", "--calibrate", "0.5"],
                         capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "mix page+excel" in run.stdout, run.stdout  # the Excel-client calls are part of the mix
    assert re.search(r"^errors: 0$", run.stdout, re.M), run.stdout
    for kind in ("page", "excel"):
        counted = re.search(rf"^\s+{kind}\s*:\s+(\d+) requests", run.stdout, re.M)
        assert counted and int(counted.group(1)) > 0, run.stdout
