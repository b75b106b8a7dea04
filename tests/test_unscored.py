"""A form that carries no points at all: the 湖南 县级专项资金绩效目标自评表 (families/county-fund.toml, `scored = false`).

The published 衡山 2020 form (县级储备粮) is written by tests/layouts.py as a real .xlsx in its printed arrangement,
then changed the way a unit's mistakes change it, and run through the readers, the engine and the CLI. What is right
is worked by hand from the printed figures: 194.9 / 194.9 = 100 %; every row met or its reason written; no 分值,
得分, 总分 or 等次 anywhere, so there is no total and no grade and no point is suggested.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from layouts import hengshan_2020_data, write_county_fund
from restore_support import differences
from test_restore import _restore_round_trip

from perfeval_xl.cli import main
from perfeval_xl.engine import evaluate, resolve_policy
from perfeval_xl.forms import read_form
from perfeval_xl.grid import grids_from_openpyxl, read_with_calamine
from perfeval_xl.model import Evaluation

READERS = {
    "calamine": read_with_calamine,
    "openpyxl": lambda path: grids_from_openpyxl(openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True),
                                                 path.name),
}


def _evaluate(path: Path, reader: str = "calamine") -> Evaluation:
    form = read_form(READERS[reader](path), None)
    policy, notes = resolve_policy(form)
    return evaluate(form, policy, notes)


def _write(tmp_path: Path, name: str = "衡山.xlsx", change=None) -> tuple[Path, dict[str, str]]:
    data = hengshan_2020_data()
    if change:
        change(data)
    path = tmp_path / name
    return path, write_county_fund(path, data)


def _by_code(evaluation: Evaluation) -> dict[str, list]:
    found: dict[str, list] = {}
    for issue in evaluation.issues:
        found.setdefault(issue.code, []).append(issue)
    return found


@pytest.mark.parametrize("reader", list(READERS))
def test_the_published_form_is_read_and_not_scored(tmp_path, reader):
    path, where = _write(tmp_path)
    evaluation = _evaluate(path, reader)
    form = evaluation.form
    assert form.family == "county-fund" and form.layout.startswith("识别：县级专项资金绩效目标自评表")
    assert form.fields["project_name"].value == "县级储备粮" and form.fields["project_name"].ref == where["project_name"]
    assert form.fields["department"].value == "衡山县商务和粮食局" and form.fields["year"].value == 2020
    assert len(form.rows) == 16  # the 说明 row under the table is not an indicator
    assert evaluation.errors == 0 and evaluation.warnings == 0, evaluation.issues
    assert evaluation.execution_rate == pytest.approx(1.0)  # 194.9 / 194.9
    assert (evaluation.total, evaluation.grade, evaluation.execution_score) == (None, None, None)
    assert not evaluation.scored
    # Nothing is invented: no row gets points, and no check of points (缺分值, 分值合计, 总分) is raised.
    assert all(item.weight is None and item.suggested is None for item in evaluation.items)
    assert not {"I301", "I319", "T401", "T404", "T405"} & set(_by_code(evaluation))


def test_execution_rate_is_checked_against_b_over_a(tmp_path):
    def spend_less(data):
        data["budget"]["total"]["executed"] = 175.41  # the printed 执行率 stays 100%: 175.41 / 194.9 = 90.00 %
    path, where = _write(tmp_path, change=spend_less)
    evaluation = _evaluate(path)
    assert evaluation.execution_rate == pytest.approx(0.9)
    [rate] = _by_code(evaluation)["B206"]
    assert rate.cell == where["budget:total:rate"] and rate.severity == "warning" and rate.suggested == 0.9
    assert "100.00%" in rate.message and "90.00%" in rate.message
    assert evaluation.total is None and "B207" not in _by_code(evaluation)  # no 预算执行得分 to check


def test_a_row_not_met_needs_its_reason(tmp_path):
    def miss(data):
        rows = data["rows"]
        rows[1] = rows[1][:4] + ("95%", None)  # 库存数量真实率: 目标 100%, 完成 95%, 原因 empty
    path, where = _write(tmp_path, change=miss)
    evaluation = _evaluate(path)
    [unmet] = _by_code(evaluation)["I305"]
    assert unmet.cell == where["reason:库存数量真实率"] and unmet.severity == "warning"
    assert unmet.message == "指标“库存数量真实率”未完成年度指标值，请填写未完成原因和改进措施。"
    # The row that was not met but says why (政策性挂账利息补贴保障率: 完成值 无, 没有轮换、动用库存) is not flagged.
    assert evaluation.total is None and evaluation.grade is None


def test_a_form_of_this_layout_with_a_score_column_is_a_scored_form(tmp_path):
    """A unit that added 分值 / 得分 columns made a scored form: it is read as the standard family, not as this one."""
    path, _ = _write(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws["G10"], ws["H10"] = "分值", "得分"
    for r in range(11, 27):
        ws[f"G{r}"], ws[f"H{r}"] = 5, 5
    wb.save(path)
    evaluation = _evaluate(path)
    assert evaluation.form.family == "standard" and evaluation.scored and evaluation.total is not None


def test_check_json_text_report_and_summary_say_unscored(tmp_path, capsys):
    path, _ = _write(tmp_path / "in")
    assert main(["check", str(path), "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert (record["total"], record["grade"], record["scored"], record["family"]) == (None, None, False, "county-fund")

    assert main(["check", str(path)]) == 0
    verdict = capsys.readouterr().out.strip().splitlines()[-1]
    assert verdict == f"{path}: 执行率 100.00%，本表不打分（无总分、等次），错误 0，警告 0，评分口径 national-2020"

    assert main(["check", str(path), "--explain-layout"]) == 0
    assert "本表样不打分" in capsys.readouterr().out

    assert main(["check", str(path), "--output", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    report = (tmp_path / "out" / "校验报告.md").read_text(encoding="utf-8")
    assert "总分、等次 本表不打分" in report and "| 指标 | 完成情况 |" in report and "规则得分" not in report

    summary = tmp_path / "汇总.xlsx"
    assert main(["summary", str(path), "-o", str(summary), "--jobs", "1"]) == 0
    ws = openpyxl.load_workbook(summary)["汇总"]
    header = [c.value for c in ws[1]]
    row = dict(zip(header, [c.value for c in ws[2]]))
    assert row["项目名称"] == "县级储备粮" and row["总分"] is None and row["等次"] == "不打分"
    assert row["执行率"] == pytest.approx(1.0)


def _form_cells(path: Path) -> dict[str, object]:
    ws = openpyxl.load_workbook(path)["Sheet1"]
    return {cell.coordinate: cell.value for row in ws.iter_rows() for cell in row if cell.value is not None}


def test_output_writes_no_cell_of_the_form(tmp_path):
    """There are no score cells to fill: the scored copy's form sheet holds exactly what the unit typed, and the
    only thing added is our 校验结果 sheet."""
    path, _ = _write(tmp_path / "in")
    assert main(["check", str(path), "--output", str(tmp_path / "out")]) == 0
    out = tmp_path / "out" / path.name
    assert _form_cells(out) == _form_cells(path)
    assert openpyxl.load_workbook(out).sheetnames == ["Sheet1", "校验结果"]


def test_check_then_clear_gives_back_the_original_with_marks(tmp_path):
    """A form with a mark (I305 on the empty reason) goes through `check --in-place` and `clear` as a person runs
    them: the original comes back cell by cell (tests/test_restore.py's round trip)."""
    def miss(data):
        data["rows"][1] = data["rows"][1][:4] + ("95%", None)
    path, where = _write(tmp_path / "in", change=miss)
    keep = tmp_path / "kept.xlsx"
    shutil.copyfile(path, keep)
    _restore_round_trip(path, tmp_path)
    assert differences(keep, path) == []
