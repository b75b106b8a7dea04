"""Regenerate examples/: the seed forms filled into our templates (and, later, in their printed layouts).

    python scripts/build_examples.py

The figures come from tests/seed_forms.py, transcribed by hand from shared/seeds; nothing here is computed by
perfeval-xl, so checking the examples tests the engine against the published forms.
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from seed_forms import (SEED_000_FUNDING, SEED_000_SCORE_ROWS, SEED_000_SUBTOTALS,  # noqa: E402
                        SEED_004_INDICATORS)

from perfeval_xl.grid import parse_area  # noqa: E402
from perfeval_xl.print_layout import fit_row_heights  # noqa: E402
from perfeval_xl.template_builder import workbook_bytes  # noqa: E402


def _names(workbook) -> dict:
    return {name: parse_area(d.attr_text) for name, d in workbook.defined_names.items()}


def _save(wb, dest: Path) -> None:
    """Same bytes for the same content, so regenerating the examples leaves git quiet. Rows are as tall as the
    text typed into them, as a clerk's Excel would show them after adjusting the rows."""
    for ws in wb.worksheets:
        fit_row_heights(ws)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(workbook_bytes(wb))


def _open(template: Path, table_name: str):
    """The template, its defined names, the form sheet, and `put(name, value)` writing a named cell."""
    wb = openpyxl.load_workbook(template)
    names = _names(wb)
    ws = wb[names[table_name].sheet]

    def put(name: str, value) -> None:
        area = names[name]
        ws.cell(area.top + 1, area.left + 1, value)

    return wb, names, ws, put


def fill_seed_004(template: Path, dest: Path) -> None:
    wb, names, ws, put = _open(template, "绩效指标")

    put("项目名称", "信息化建设专项经费")
    put("主管部门", "邵阳市住房公积金管理中心")
    put("实施单位", "邵阳市住房公积金管理中心")
    put("年度", 2023)
    put("预期目标", "认真贯彻落实国务院“放管服”改革要求，全面提升我市住房公积金服务水平，满足缴存职工多样化需求。")
    put("实际完成情况", "按时、按质、按量完成。")
    budget = names["项目资金"]
    # 年度资金总额: 年初 664.6, 全年 373.60, 执行 97.73, 分值 10; 上年结转 全年 191.10; 其他资金 全年 182.50.
    for row, values in ((0, [664.6, 373.60, 97.73, 10]), (2, [None, 191.10, None]), (3, [None, 182.50, None])):
        for col, value in enumerate(values):
            if value is not None:
                ws.cell(budget.top + row + 1, budget.left + col + 1, value)
    table = names["绩效指标"]
    for offset, values in enumerate(SEED_004_INDICATORS):
        for col, value in enumerate(values):
            if value is not None:
                ws.cell(table.top + offset + 1, table.left + col + 1, value)
    _save(wb, dest)


def fill_seed_000(template: Path, dest: Path) -> None:
    """Seed 000 as its unit would have filled our legacy template: the printed subtotals, 综合得分 and 等次 typed
    over the template's formulas (as people paste values), so 投入 13.25 stays wrong as on paper."""
    wb, names, ws, put = _open(template, "评分表")

    put("项目名称", "信息网络软件、硬件购置更新")
    put("主管部门", "731")
    put("实施单位", "晋中市住房公积金管理中心")
    put("年度", 2020)
    put("项目属性", "延续性项目")
    put("项目期", "202001至202012")
    funding_names = {"planned_own": "预算资金_本级", "planned_other": "预算资金_其他", "arrived": "预算下达资金",
                     "spent_own": "实际支出_本级", "spent_carryover": "实际支出_上年结转", "spent_upper": "实际支出_上级",
                     "spent_other": "实际支出_其他"}
    for key, value in SEED_000_FUNDING.items():
        put(funding_names[key], value)
    table = names["评分表"]
    for offset, (level1, level2, name, weight, score) in enumerate(SEED_000_SCORE_ROWS):
        r = table.top + offset + 1
        for col, value in ((0, level1), (1, level2), (2, name), (3, weight), (6, score)):
            ws.cell(r, table.left + col + 1, value)
    for label, value in SEED_000_SUBTOTALS.items():
        put(f"{label}得分", value)
    put("综合得分", 87.72)
    put("评价结果等次", "良")
    _save(wb, dest)


def main() -> None:
    templates = ROOT / "workbook_templates"
    examples = ROOT / "examples"
    fill_seed_004(templates / "项目支出绩效自评表.xlsx", examples / "邵阳-信息化建设专项经费-2023.xlsx")
    fill_seed_000(templates / "财政支出项目绩效自评表（评分表）.xlsx", examples / "晋中-信息网络软件硬件购置更新-2020.xlsx")
    print("examples/ 已更新")


if __name__ == "__main__":
    main()
