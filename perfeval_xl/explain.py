"""`perfeval-xl check --explain-layout FILE`: which form family and which columns were recognised, from which labels.

A thin adapter over layout.explain_recognition (the core's own account of what it found). A form that is refused
gets the same message as `check` gives: the labels found and the ones missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .grid import FormReadError

EXIT_OK, EXIT_UNREADABLE = 0, 2


def explain_layout_files(paths: list[Path], family_id: str | None = None) -> int:
    from .forms import sheets_to_read
    from .grid import read_with_calamine
    from .layout import explain_recognition
    from .model import load_family

    status = EXIT_OK
    family = load_family(family_id) if family_id else None
    for path in paths:
        try:
            book = read_with_calamine(path, sheets_to_read)
            lines = explain_recognition(book, family)
        except FormReadError as exc:
            from .cli import reason_without_name

            print(f"{path}: 无法识别：{reason_without_name(str(exc), path)}")
            status = EXIT_UNREADABLE
            continue
        print("\n".join(lines))
    return status


def maybe_explain(args) -> int | None:
    """For cmd_check: run the explanation instead of the check when --explain-layout was given."""
    if not getattr(args, "explain_layout", False):
        return None
    from .cli import expand_inputs

    paths = expand_inputs(args.files)
    if not paths:
        print("没有找到要识别的工作簿（.xlsx）。", file=sys.stderr)
        return EXIT_UNREADABLE
    return explain_layout_files(paths, args.family)
