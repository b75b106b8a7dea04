"""One reading (issue #12): the fast reader (calamine, for check and summary) and the openpyxl reader (for --output
and clear) read the same values from the same file, or refuse it the same way.

For every example workbook and every readable hostile kind, grid.read_with_calamine's GridBook is compared with
grids_from_openpyxl's, cell by cell (a number is a number whichever type it comes as; NaN equals NaN), with the
merged ranges and the defined names. A difference is a bug in one of the readers or in how we call it.

The service reads an upload's bytes without a file (grid.read_received); for every regular file among them it must
read what read_with_calamine reads from the file, or refuse it in the same words.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from hostile.runner import all_kinds
from perfeval_xl.grid import FormReadError, GridBook, grids_from_openpyxl, read_received, read_with_calamine
from perfeval_xl.xlsx_io import _load_openpyxl

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.xlsx"))
KINDS = all_kinds()  # the read side's and, once merged, the write side's
READABLE = [k for k in KINDS if k.readable]


def _same_value(fast, slow) -> bool:
    if isinstance(fast, float) and isinstance(slow, float) and math.isnan(fast) and math.isnan(slow):
        return True
    if isinstance(fast, bool) or isinstance(slow, bool):
        return type(fast) is type(slow) and fast == slow
    if isinstance(fast, (int, float)) and isinstance(slow, (int, float)):
        return fast == slow
    if isinstance(fast, dt.datetime) and isinstance(slow, dt.datetime):
        return fast == slow
    if isinstance(fast, dt.date) and isinstance(slow, dt.datetime):  # calamine gives a date where the time is 0:00
        return dt.datetime.combine(fast, dt.time()) == slow
    return fast == slow


def _differences(fast: GridBook, slow: GridBook) -> list[str]:
    found = []
    if list(fast.sheets) != list(slow.sheets):
        return [f"sheets {list(fast.sheets)} != {list(slow.sheets)}"]
    if fast.names != slow.names:
        found.append(f"names {fast.names} != {slow.names}")
    for name, grid in fast.sheets.items():
        other = slow.sheets[name]
        for row in range(max(grid.height, other.height)):
            for col in range(max(grid.width, other.width)):
                a, b = grid.get(row, col), other.get(row, col)
                if not _same_value(a, b):
                    found.append(f"{name}!R{row + 1}C{col + 1}: fast {a!r} != openpyxl {b!r}")
        if sorted(grid.merged) != sorted(other.merged):
            found.append(f"{name}: merged {sorted(grid.merged)} != {sorted(other.merged)}")
    return found


def _compare(path: Path) -> None:
    try:
        fast = read_with_calamine(path)
    except FormReadError as exc:
        fast_error = str(exc)
    else:
        fast_error = None
    try:
        formulas, values = _load_openpyxl(path)
    except FormReadError as exc:
        # openpyxl loads every sheet: a file the fast reader can read only because it skips a sheet may be refused
        # here, in Chinese, naming the file; a file the fast reader refuses must be refused here too
        assert str(exc).startswith(path.name + "："), exc
        return
    assert fast_error is None, f"the fast reader refused what openpyxl reads: {fast_error}"
    slow = grids_from_openpyxl(formulas, values, path.name)
    assert _differences(fast, slow) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_read_the_same_with_both_readers(path):
    _compare(path)


@pytest.mark.parametrize("kind", READABLE, ids=[k.name for k in READABLE])
def test_readable_hostile_kinds_read_the_same_with_both_readers(kind, tmp_path):
    _compare(kind.build(tmp_path))


@pytest.mark.parametrize("kind", [k for k in KINDS if not k.readable], ids=[k.name for k in KINDS if not k.readable])
def test_unreadable_kinds_are_refused_by_both_readers_in_the_same_words(kind, tmp_path):
    path = kind.build(tmp_path)
    if path.is_dir():
        return  # a folder is never handed to a reader: the commands say "no workbook here" (test_hostile.py)
    with pytest.raises(FormReadError) as fast:
        read_with_calamine(path)
    with pytest.raises(FormReadError) as slow:
        _load_openpyxl(path)
    assert str(fast.value) == str(slow.value)


def _received_as_from_file(path: Path) -> None:
    try:
        from_file = read_with_calamine(path)
    except FormReadError as exc:
        with pytest.raises(FormReadError) as received:
            read_received(path.read_bytes(), path.name)
        assert str(received.value) == str(exc)
        return
    received = read_received(path.read_bytes(), path.name)
    assert _differences(received, from_file) == [] and received.source == from_file.source


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_the_service_reads_received_bytes_as_the_file_reader_reads_the_file(kind, tmp_path):
    path = kind.build(tmp_path)
    if path.is_symlink() or not path.is_file():
        return  # a FIFO, a folder or a link is a matter of the file system: the service only ever has bytes
    _received_as_from_file(path)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_the_service_reads_the_examples_bytes_as_the_file(path):
    _received_as_from_file(path)
