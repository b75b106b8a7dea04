"""How many Excel calls 校验并计分 makes, and how long the Python side takes, for 10, 100 and 1,000 indicator rows.

    python scripts/benchmark_addin.py

Runs the ribbon entry's code (perfeval_xl.xl.check_book) on real xlwings Books from xlwings' remote engine and
counts every call our code makes through the xlwings API that would be a COM round trip on desktop Excel (reading
or writing a range's value, formula or colour, names, used ranges, sheets). Prints figures; asserts nothing.
Two cases per size: every row clean, and one problem row in ten (problem cells are coloured in column runs, so the
count grows with the number of *runs* of marked cells, not with rows as such).
"""

from __future__ import annotations

import copy
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings PRO remote engine: free noncommercial key
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import xlwings as xw  # noqa: E402
import xlwings.main as xm  # noqa: E402

from xl_support import payload_from_xlsx  # noqa: E402

from perfeval_xl.grid import parse_area  # noqa: E402
from perfeval_xl.template_builder import build_standard_template  # noqa: E402
from perfeval_xl.writeback import MARK_COLOURS  # noqa: E402
from perfeval_xl.xl import check_book, multi_area_addresses  # noqa: E402

CALLS: Counter = Counter()


def _count_property(cls, name: str) -> None:
    prop = getattr(cls, name)

    def getter(self, _prop=prop, _name=name):
        CALLS[f"read {cls.__name__}.{_name}"] += 1
        return _prop.fget(self)

    def setter(self, value, _prop=prop, _name=name):
        CALLS[f"write {cls.__name__}.{_name}"] += 1
        return _prop.fset(self, value)

    setattr(cls, name, property(getter, setter if prop.fset else None))


for cls, names in ((xm.Range, ("value", "formula", "color", "last_cell")), (xm.Sheet, ("used_range",)),
                   (xm.Name, ("refers_to",))):
    for attr in names:
        _count_property(cls, attr)
def make_form(rows: int, problem_every: int | None, folder: Path) -> Path:
    wb = build_standard_template(indicator_rows=rows)
    names = {n: parse_area(d.attr_text) for n, d in wb.defined_names.items()}
    table = names["绩效指标"]
    ws = wb[table.sheet]
    for name, value in (("项目名称", "基准测试"), ("主管部门", "某局"), ("实施单位", "某中心"), ("年度", 2024),
                        ("全年预算数", 100), ("全年执行数", 95)):
        ws.cell(names[name].top + 1, names[name].left + 1, value)
    weight = 90 / rows
    for i in range(rows):
        actual = "8台" if problem_every and i % problem_every == 0 else "10台"  # not completed, no reason → I305
        for c, v in enumerate(("产出指标", "数量指标", f"指标{i}", "≥10台", actual, weight, None)):
            ws.cell(table.top + 1 + i, table.left + 1 + c, v)
    path = folder / f"form-{rows}-{problem_every}.xlsx"
    wb.save(path)
    return path


def main() -> None:
    print("remote 引擎实测的 xlwings 调用次数（桌面 Excel 上每次即一次 COM 往返）；")
    print("桌面上色调用：桌面 Excel 用多区域地址一次给同色单元格上色，按同一分组函数算出的调用次数。")
    print(f"{'行数':>6} {'情形':<10} {'读取':>5} {'写入':>5} {'动作':>5} {'桌面写入':>8} {'Python 用时':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (10, 100, 1000):
            for problem_every, label in ((None, "全部正常"), (10, "一成有问题")):
                payload = payload_from_xlsx(make_form(rows, problem_every, Path(tmp)))
                book = xw.Book(json=copy.deepcopy(payload))
                CALLS.clear()
                start = time.perf_counter()
                _, write = check_book(book)
                elapsed = time.perf_counter() - start
                reads = sum(v for k, v in CALLS.items() if k.startswith("read"))
                writes = sum(v for k, v in CALLS.items() if k.startswith("write"))
                actions = len(book.json()["actions"])
                colour_calls = sum(v for k, v in CALLS.items() if k == "write Range.color")
                by_colour = {}
                for cell, severity in write.marks.items():
                    by_colour.setdefault(MARK_COLOURS[severity], []).append(cell)
                desktop_colour = sum(len(multi_area_addresses(cells)) for cells in by_colour.values())
                desktop_writes = writes - colour_calls + desktop_colour
                print(f"{rows:>6} {label:<10} {reads:>5} {writes:>5} {actions:>5} {desktop_writes:>8} "
                      f"{elapsed * 1000:>10.1f} ms")


if __name__ == "__main__":
    main()
