"""What one Excel-button call to the service costs: request and response size, actions, and handle()'s time.

    python scripts/benchmark_protocol.py

For every example workbook and template (recalculated by LibreOffice when it holds formulas, as Excel holds it),
builds the request as xlwings' VBA client builds it (tests/vba_client.py), then times our handle() for 校验并计分
(first and second click) and 清除标记, next to xlwings' own engine running the ribbon entry on the same request.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings PRO remote engine, for comparison only
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import xlwings as xw  # noqa: E402

from lo import recalculate_all  # noqa: E402
from test_xlwings_protocol import WORKBOOKS, _has_formulas, addin_include  # noqa: E402
from vba_client import BookModel  # noqa: E402

from perfeval_xl.service.xlwings_protocol import DEFAULT_LIMITS, handle  # noqa: E402
from perfeval_xl.xl import check_active_book  # noqa: E402


def _timed(func, repeat: int = 20) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        func()
    return (time.perf_counter() - start) / repeat * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with_formulas = [p for p in WORKBOOKS if _has_formulas(p)]
        recalculated = dict(zip((p.stem for p in with_formulas), recalculate_all(with_formulas, Path(tmp))))
        print(f"{'workbook':34} {'request':>9} {'actions':>7} {'response':>9} {'main ms':>8} {'2nd ms':>7} "
              f"{'clear ms':>8} {'xlwings ms':>10}")
        for path in WORKBOOKS:
            book = BookModel.from_xlsx(recalculated.get(path.stem, path))
            payload = book.payload(include=addin_include(book))
            request = len(json.dumps(payload).encode())  # ASCII, as ConvertToJson escapes non-ASCII characters
            actions = handle("main", payload)["actions"]
            response = len(json.dumps({"actions": actions}, ensure_ascii=False).encode())
            after = book.copy()
            after.apply(actions)
            second = after.payload(include=addin_include(after))
            main_ms = _timed(lambda: handle("main", payload))
            second_ms = _timed(lambda: handle("main", second))
            clear_ms = _timed(lambda: handle("clear_marks", second))
            engine_ms = _timed(lambda: check_active_book(xw.Book(json=copy.deepcopy(payload))))
            print(f"{path.stem[:34]:34} {request:>9,} {len(actions):>7} {response:>9,} {main_ms:>8.1f} {second_ms:>7.1f} "
                  f"{clear_ms:>8.1f} {engine_ms:>10.1f}")
    # The most a stranger's request can cost: the payload bound (ProtocolLimits.max_cells) filled with texts, dates
    # and formulas showing nothing, which take the slow path.
    limit = DEFAULT_LIMITS.max_cells
    rows = [[1.5, None, "2024-01-01T00:00:00.000Z", "", "文字"] * 20 for _ in range(limit // 100)]
    hostile = {"client": "VBA", "version": xw.__version__, "book": {"name": "大.xlsx", "active_sheet_index": 0,
                                                                    "selection": "A1"},
               "names": [], "sheets": [{"name": "S", "values": rows, "pictures": [], "tables": []}]}
    body = json.dumps(hostile)
    start = time.perf_counter()
    handle("main", json.loads(body))
    print(f"\n{limit:,} cells ({len(body) / 1e6:.1f} MB request): handle() {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
