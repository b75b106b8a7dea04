"""Regenerate examples/printed/: filled forms in printed layouts that are not our templates.

    python scripts/build_layout_examples.py

The two seeds as they were printed (邵阳 2023, 晋中 2020) and three layouts designed from the variants in
shared/spec/scoring.md §4, written by tests/layouts.py from figures typed by hand (nothing here is computed by
perfeval-xl). `perfeval-xl check examples/printed/` reads them by their labels (perfeval_xl/layout.py).
Same figures, same bytes: regenerating leaves git quiet.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from layouts import LAYOUTS, write_layout  # noqa: E402

OUT = ROOT / "examples" / "printed"


def build(out: Path = OUT) -> list[Path]:
    written = []
    for name, (_, _, _, file_name) in LAYOUTS.items():
        path = Path(out) / file_name
        write_layout(name, path)
        written.append(path)
    return written


def main() -> None:
    for path in build():
        print(f"已生成 {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
