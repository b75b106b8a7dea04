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

from seed_forms import SEED_004_INDICATORS  # noqa: E402

from perfeval_xl.grid import parse_area  # noqa: E402


def _names(workbook) -> dict:
    return {name: parse_area(d.attr_text) for name, d in workbook.defined_names.items()}


def fill_seed_004(template: Path, dest: Path) -> None:
    wb = openpyxl.load_workbook(template)
    names = _names(wb)
    ws = wb[names["绩效指标"].sheet]

    def put(name: str, value) -> None:
        area = names[name]
        ws.cell(area.top + 1, area.left + 1, value)

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
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)


def main() -> None:
    templates = ROOT / "workbook_templates"
    examples = ROOT / "examples"
    fill_seed_004(templates / "项目支出绩效自评表.xlsx", examples / "邵阳-信息化建设专项经费-2023.xlsx")
    print("examples/ 已更新")


if __name__ == "__main__":
    main()
