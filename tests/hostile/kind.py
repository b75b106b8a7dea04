"""One kind of broken or hostile input for the reliability corpus (issue #12).

Each kind builds its file (or folder) in a temporary directory; the corpus runner runs every command on it and
asserts exit codes, a Chinese message naming the file, no traceback, unchanged input bytes and, for the kinds that
can be written, an exact check → clear round trip. Kinds live in `kinds_read.py` (what reading must survive) and
`kinds_write.py` (what writing and clearing must survive).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Kind:
    name: str                       # short ASCII id, e.g. "zip-bomb-cells": the row in docs/reliability.md
    description: str                # one line, Chinese or English, for docs/reliability.md
    build: Callable[[Path], Path]   # writes the input under the given folder and returns its path
    readable: bool                  # check must read it (exit 0 or 1); False: it must refuse with exit 2
    writable: bool                  # --output, --in-place and clear must succeed, and check → clear restores exactly
