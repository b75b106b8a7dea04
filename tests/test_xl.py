"""The 校验并计分 button's Python side, run against real xlwings Book objects (xlwings' remote engine).

Desktop Excel cannot run here; the remote engine is xlwings' own implementation of the same Book/Sheet/Range API,
fed with the values an Excel client would send. We assert on the actions it returns, which is what Excel applies.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from lo import recalculate
from xl_support import actions_of, apply_actions, book_from, payload_from_xlsx

from perfeval_xl.grid import column_letter, parse_area
from perfeval_xl.writeback import RESULTS_SHEET
from perfeval_xl.xl import check_book, clear_book, column_runs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"


def _names(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {name: parse_area(d.attr_text) for name, d in wb.defined_names.items()}


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory) -> Path:
    """The seed 004 example as Excel would hold it: formulas computed (by LibreOffice)."""
    return recalculate(EXAMPLE, tmp_path_factory.mktemp("lo"))


def book_sheets(path: Path) -> list[str]:
    return openpyxl.load_workbook(path, read_only=True).sheetnames


def _cells_written(actions, sheet_position=0) -> set[str]:
    cells = set()
    for a in actions:
        if a["func"] == "setValues" and a["sheet_position"] == sheet_position:
            for i, row in enumerate(a["values"]):
                for j, _ in enumerate(row):
                    cells.add(f"{column_letter(a['start_column'] + j)}{a['start_row'] + i + 1}")
    return cells


def _colours(actions) -> dict[str, str]:
    colours = {}
    for a in actions:
        if a["func"] == "setRangeColor" and a["sheet_position"] == 0:
            for i in range(a["row_count"]):
                colours[f"{column_letter(a['start_column'])}{a['start_row'] + i + 1}"] = a["args"][0]
    return colours


def test_seed_004_in_excel_gives_the_published_figures(recalculated):
    book = book_from(payload_from_xlsx(recalculated))
    evaluation, _ = check_book(book)
    # From the published form: 97.73 / 373.60 = 26.16 %, 10 × 26.16 % = 2.62; 总分 72.62 → 中.
    assert round(evaluation.execution_rate, 4) == 0.2616
    assert evaluation.execution_score == 2.62
    assert evaluation.total == 72.62 and evaluation.grade == "中"
    codes = {i.code for i in evaluation.issues}
    assert {"B205", "I306", "I310", "I304", "I311", "I308", "I307"} <= codes


def test_check_writes_results_sheet_with_links_and_marks_problem_cells(recalculated):
    book = book_from(payload_from_xlsx(recalculated))
    evaluation, write = check_book(book)
    actions = actions_of(book)
    funcs = [a["func"] for a in actions]
    assert funcs.count("addSheet") == 1 and actions[funcs.index("addSheet")]["args"][1] == RESULTS_SHEET
    results_position = len(book_sheets(recalculated))  # added after the last sheet
    results = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == results_position]
    assert len(results) == 1, "the 校验结果 sheet is written in one block"
    flat = [v for row in results[0]["values"] for v in row]
    unit_mismatch = next(i for i in evaluation.issues if i.code == "I304")
    assert f'=HYPERLINK("#\'自评表\'!{unit_mismatch.cell}","{unit_mismatch.cell}")' in flat
    colours = _colours(actions)
    assert colours[unit_mismatch.cell] == "#ffc7ce"  # error
    cost_block = next(i for i in evaluation.issues if i.code == "I307")
    assert colours[cost_block.cell] == "#ffeb9c"  # warning


def test_typed_values_and_formulas_are_never_written(recalculated):
    names = _names(recalculated)
    book = book_from(payload_from_xlsx(recalculated))
    evaluation, write = check_book(book)
    written = _cells_written(actions_of(book))
    formula_cells = {names[n].address for n in ("执行率", "预算执行得分", "总分", "评价等次")}
    assert not written & formula_cells
    typed_scores = {i.cell for i in evaluation.items if i.typed is not None}
    assert typed_scores and not written & typed_scores
    # the tool-owned columns are written as whole blocks
    table = names["绩效指标"]
    owned = {f"{column_letter(table.left + 9)}{r + 1}" for r in range(table.top, table.bottom + 1)}
    assert owned <= written


def test_second_run_gives_the_same_actions_and_keeps_a_value_typed_over_ours(tmp_path, recalculated):
    names = _names(recalculated)
    table = names["绩效指标"]
    wb = openpyxl.load_workbook(recalculated)
    ws = wb[table.sheet]
    score_col = table.left + 7  # 得分
    first = table.top + 1
    ws.cell(first, score_col).value = None  # 自助终端机: leave the score for the tool to fill
    path = tmp_path / "blank-score.xlsx"
    wb.save(path)
    payload = payload_from_xlsx(path)
    score_cell = f"{column_letter(score_col - 1)}{first}"

    book = book_from(payload)
    _, write = check_book(book)
    first_actions = actions_of(book)
    assert write.values[score_cell] == 2.5  # 23台 ≥ 11台 → full 2.5, filled because the cell was empty

    after = apply_actions(payload, first_actions)
    book2 = book_from(after)
    check_book(book2)
    second = [a for a in actions_of(book2) if a["func"] == "setValues"]
    first_values = [a for a in first_actions if a["func"] == "setValues"]
    assert [(a["sheet_position"], a["start_row"], a["start_column"], a["values"]) for a in second] == \
           [(a["sheet_position"], a["start_row"], a["start_column"], a["values"])
            for a in first_values]

    # a person now types 2 over the 2.5 we filled: the next run keeps it and says why
    row, col = first - 1, score_col - 1
    after["sheets"][0]["values"][row][col] = 2
    book3 = book_from(after)
    evaluation3, write3 = check_book(book3)
    assert score_cell not in _cells_written(actions_of(book3))
    assert score_cell in write3.kept_typed or all(o.cell != score_cell for o in evaluation3.outputs if o.mode == "fill")
    assert any(i.code == "I307" and i.cell == score_cell and i.suggested == 2.5 for i in evaluation3.issues)


def test_clear_marks_restores_the_form(tmp_path, recalculated):
    payload = payload_from_xlsx(recalculated)
    book = book_from(payload)
    _, write = check_book(book)
    after = apply_actions(payload, actions_of(book))
    cleared = book_from(after)
    clear_book(cleared)
    actions = actions_of(cleared)
    assert actions[-1]["func"] == "sheetDelete" and actions[-1]["sheet_position"] == len(book_sheets(recalculated))
    colours = _colours(actions)
    # every cell we marked gets its template colour back: input cells yellow, computed cells grey
    assert set(colours) == set(write.marks)
    assert set(colours.values()) <= {"#fff2cc", "#f2f2f2"}


def test_number_of_excel_calls_does_not_grow_with_rows(tmp_path):
    from perfeval_xl.template_builder import build_standard_template

    counts = {}
    for rows in (30, 300):
        wb = build_standard_template(indicator_rows=rows)
        names = {name: parse_area(d.attr_text) for name, d in wb.defined_names.items()}
        ws = wb[names["绩效指标"].sheet]
        table = names["绩效指标"]
        for name, value in (("项目名称", "测试"), ("主管部门", "某局"), ("实施单位", "某中心"), ("年度", 2024),
                            ("全年预算数", 100), ("全年执行数", 95)):
            area = names[name]
            ws.cell(area.top + 1, area.left + 1, value)
        # the same 12 clean indicators in both forms; the bigger one just has more empty rows
        for i in range(12):
            r = table.top + 1 + i
            for c, v in enumerate(("产出指标", "数量指标", f"指标{i}", "≥10台", "10台", 7.5, None)):
                ws.cell(r, table.left + 1 + c, v)
        path = tmp_path / f"rows{rows}.xlsx"
        wb.save(path)
        book = book_from(payload_from_xlsx(path))
        check_book(book)
        counts[rows] = len(actions_of(book))
    assert counts[30] == counts[300]


def test_column_runs_groups_adjacent_cells():
    assert column_runs(["B3", "B4", "B5", "B9", "C1"]) == [(1, 2, 4), (1, 8, 8), (2, 0, 0)]


def test_ribbon_entries_exist_and_are_wired_to_the_adapter():
    import perfeval_xl

    for name in ("main", "clear_marks", "new_form", "open_help"):
        assert callable(getattr(perfeval_xl, name))


def test_clear_marks_keeps_a_value_whose_row_now_holds_another_indicator(tmp_path, recalculated):
    names = _names(recalculated)
    table = names["绩效指标"]
    wb = openpyxl.load_workbook(recalculated)
    ws = wb[table.sheet]
    first = table.top + 1
    ws.cell(first, table.left + 7).value = None  # 自助终端机's 得分 (7th column) left for the tool: it fills 2.5
    path = tmp_path / "blank-score.xlsx"
    wb.save(path)
    payload = payload_from_xlsx(path)
    book = book_from(payload)
    check_book(book)
    after = apply_actions(payload, actions_of(book))
    # a person re-uses the row for another indicator and keeps 2.5 as its (typed) score
    after["sheets"][0]["values"][first - 1][table.left + 2] = "新购服务器"
    cleared = book_from(after)
    clear_book(cleared)
    score_cell = f"{column_letter(table.left + 6)}{first}"
    assert after["sheets"][0]["values"][first - 1][table.left + 6] == 2.5
    assert score_cell not in _cells_written(actions_of(cleared))
