"""Regenerate workbook_templates/*.xlsx from perfeval_xl/families/*.toml.

    python scripts/build_templates.py [OUT_DIR]

The templates are generated, never hand-edited: tests/test_templates.py fails when the committed files differ
from a fresh build. Output is byte-for-byte reproducible, so an unchanged build leaves git clean.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perfeval_xl.template_builder import DEFAULT_OUT_DIR, write_templates  # noqa: E402


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else DEFAULT_OUT_DIR
    for path in write_templates(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
