"""Layout recognition: forms as units print them, read by their labels (perfeval_xl/layout.py).

Every layout is written by tests/layouts.py to a real .xlsx, read through both readers (calamine, openpyxl) and
forms.read_form, then scored by engine.evaluate. Expected figures are the published ones (shared/spec/
seeds-expected.md) or, for the three designed layouts, the arithmetic in the comments.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import openpyxl
import pytest

from layouts import (LAYOUTS, hubei_2021_data, write_hubei, write_hubei_2020, write_layout, write_reordered,
                     write_scorecard, write_seed_000_printed, write_seed_004_printed, write_yuan, yinchuan_2021_data)

from perfeval_xl.cli import main
from perfeval_xl.engine import evaluate, resolve_policy
from perfeval_xl.forms import read_form
from perfeval_xl.grid import FormReadError, Grid, GridBook, grids_from_openpyxl, read_with_calamine
from perfeval_xl.layout import SheetIndex, key_of, recognise
from perfeval_xl.model import Evaluation, Form, load_family
from perfeval_xl.policy import load_policy
from perfeval_xl.xlsx_io import check_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_004 = ROOT / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"
EXAMPLE_000 = ROOT / "examples" / "晋中-信息网络软件硬件购置更新-2020.xlsx"
PRINTED = ROOT / "examples" / "printed"


def _calamine(path: Path) -> GridBook:
    return read_with_calamine(path)


def _openpyxl(path: Path) -> GridBook:
    return grids_from_openpyxl(openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True), path.name)


READERS = {"calamine": _calamine, "openpyxl": _openpyxl}


@pytest.fixture(params=list(READERS))
def read(request):
    return READERS[request.param]


def _evaluate(book: GridBook, policy: str | None = None, family: str | None = None) -> Evaluation:
    form = read_form(book, family)
    chosen, notes = resolve_policy(form, policy)
    return evaluate(form, chosen, notes)


def _codes(evaluation: Evaluation, severity: str | None = None) -> set[str]:
    return {i.code for i in evaluation.issues if severity is None or i.severity == severity}


def _items(evaluation: Evaluation) -> list[tuple]:
    return [(i.label, i.weight, i.typed, i.suggested) for i in evaluation.items]


def _row(form: Form, name: str) -> dict:
    return next(row for row in form.rows if row.get("name") and row["name"].value == name)


# --- The two seeds as printed ----------------------------------------------------------------------------------


def test_seed_004_printed(tmp_path, read):
    path = tmp_path / "邵阳-原表样.xlsx"
    where = write_seed_004_printed(path)
    evaluation = _evaluate(read(path))
    form = evaluation.form
    assert form.family == "standard" and form.layout.startswith("识别：标准表样") and "第 12 行" in form.layout
    assert form.source == path.name
    # 97.73 / 373.60 = 26.16 %; 10 × 26.16 % = 2.62; 2.62 + 2.5 + 2.5 + 5 + 20 + 15 + 15 + 10 = 72.62 → 中
    assert round(evaluation.execution_rate, 4) == 0.2616
    assert evaluation.execution_score == 2.62
    assert evaluation.total == 72.62 and evaluation.grade == "中"

    template = check_file(EXAMPLE_004)
    assert evaluation.total == template.total and evaluation.execution_score == template.execution_score
    # The printed page types its amounts as text (664.6万元, 373.60万元, "　  2.62"): V110 on those cells, nothing
    # else differs from our template example.
    assert _codes(evaluation) == _codes(template) | {"V110"}
    assert {i.cell for i in evaluation.issues if i.code == "V110"} == {"D6", "E6", "F6", "I6", "E8", "E9"}
    assert _items(evaluation) == _items(template)

    # Real cells: merged 分值 40 / 得分 20 on the first 成本 row, empty below; labels merged down their groups.
    assert where["header"] == "B12"
    first_cost = _row(form, "数据库安全项目建设(已完工）")
    assert (first_cost["weight"].value, first_cost["weight"].ref) == (40, "G19")
    assert (first_cost["score"].value, first_cost["score"].ref) == (20, "H19")
    second_cost = _row(form, "中心电脑及打印机等设备购置（已完工）")
    assert second_cost["weight"].value is None and second_cost["weight"].ref == "G20"
    assert second_cost["level2"].value is None
    assert where["block:成本指标"] == "G19:G33"
    first = form.rows[0]
    assert (first["target"].value, first["target"].ref) == ("11台", "E13")
    assert form.fields["project_name"].ref == "B3" and "信息化建设专项经费" in form.fields["project_name"].value
    assert form.fields["year"].value == 2023
    assert form.budget["total"]["executed"].value == "97.73万元"
    assert form.budget["carryover"]["annual"].ref == "E8"
    assert form.fields["total"].ref == where["total"]


def test_seed_000_printed(tmp_path, read):
    path = tmp_path / "晋中-原表样.xlsx"
    where = write_seed_000_printed(path)
    evaluation = _evaluate(read(path))
    form = evaluation.form
    assert form.family == "legacy" and form.layout.startswith("识别：评分表表样")
    items = {i.label: i for i in evaluation.items}
    # 161.69 / 170 = 95.11 % → 3 × 95.11 % = 2.85; 153.33 / 161.69 = 94.83 % → 2.84
    assert items["资金到位率"].suggested == 2.85
    assert items["预算执行率"].suggested == 2.84
    assert items["完成及时率"].typed == 0 and items["完成及时率"].suggested is None
    assert evaluation.subtotals == {"投入": 18.94, "过程": 20.0, "产出": 18.78, "效果": 30.0}
    errors = [i for i in evaluation.issues if i.severity == "error"]
    assert [(i.code, i.cell, i.suggested) for i in errors] == [("T403", where["subtotal:投入"], 18.94)]
    assert "13.25" in errors[0].message
    assert evaluation.total == 87.72 and evaluation.grade == "良"
    assert _codes(evaluation) == _codes(check_file(EXAMPLE_000))

    # The funding lines: the same label under two sections.
    funding = {key: cell.value for key, cell in form.funding.items()}
    assert funding == {"planned_own": 170, "planned_other": 0, "arrived": 161.69, "spent_own": 153.33,
                       "spent_carryover": 7.02, "spent_upper": 0, "spent_other": 0}
    assert form.funding["spent_own"].ref == where["funding:spent_own"]
    assert form.funding["planned_other"].ref == where["funding:planned_other"]
    # Subtotal rows are not scored rows; the rows under them carry their 一级指标.
    assert len(form.rows) == 21  # the 绩效目标实现情况 table above is not read
    assert form.subtotals["投入"].value == 13.25 and form.subtotals["投入"].ref == where["subtotal:投入"]
    satisfaction = _row(form, "社会公众或服务对象满意度")
    assert satisfaction["level1"].value == "效果" and satisfaction["weight"].value == 10
    assert form.fields["total"].value == 87.72 and form.fields["total"].ref == where["total"]
    assert form.fields["grade"].value == "良" and form.fields["grade"].ref == where["grade"]
    assert form.fields["year"].value == 2020
    assert form.fields["department"].value == "731"


def test_the_legacy_family_can_be_named(tmp_path):
    path = tmp_path / "晋中.xlsx"
    write_seed_000_printed(path)
    assert _evaluate(_calamine(path), family="legacy").total == 87.72
    with pytest.raises(FormReadError, match="三级指标|年度指标值|实际完成值"):
        read_form(_calamine(path), "standard")
    standard = tmp_path / "邵阳.xlsx"
    write_seed_004_printed(standard)
    with pytest.raises(FormReadError):  # a 绩效指标 table is not a 评分表
        read_form(_calamine(standard), "legacy")


# --- Designed layouts (scoring.md §4) --------------------------------------------------------------------------


def test_reordered_columns_values_below_labels(tmp_path, read):
    path = tmp_path / "a.xlsx"
    where = write_reordered(path)
    evaluation = _evaluate(read(path))
    form = evaluation.form
    # Fields printed under their labels.
    assert form.fields["project_name"].value == "城乡居民医保信息系统运维" and form.fields["project_name"].ref == "A3"
    assert form.fields["department"].value == "某市医疗保障局"
    assert form.fields["year"].value == 2022 and form.fields["year"].ref == "G3"
    # 其中：本年财政拨款 130 + 上年结转 20 = 150 = 年度资金总额 (no B203); 执行 121 + 17 = 138.
    assert form.budget["current"]["annual"].value == 130
    # 执行率 = 138 / 150 = 92 %; 得分 = 10 × 0.92 = 9.2 (cells empty: filled by us)
    assert evaluation.execution_rate == pytest.approx(0.92) and evaluation.execution_score == 9.2
    outputs = {o.cell: o.value for o in evaluation.outputs}
    assert outputs[where["budget:rate"]] == 0.92 and outputs[where["budget:score"]] == 9.2
    # 分值 column D sits before 年度指标值 E; the 得分计算方法 column G is ignored.
    row = _row(form, "故障处理次数")
    assert (row["weight"].ref, row["target"].ref, row["actual"].ref, row["score"].ref) == ("D13", "E13", "F13", "H13")
    assert "method" not in row
    # Group labels only on the first row, carried down: 产出 10+10+10+10+10 = 50, 效益 15+15 = 30, 满意度 10.
    # 故障处理次数 180 / 200 = 90 % → 10 × 0.9 = 9, printed 8 → I307 suggestion 9 (a suggestion, not an error).
    items = {i.label: i for i in evaluation.items}
    assert items["故障处理次数"].suggested == 9 and items["故障处理次数"].typed == 8
    assert [(i.code, i.suggested) for i in evaluation.issues if i.code == "I307"] == [("I307", 9)]
    # 总分 = 9.2 + (10 + 8 + 10 + 10 + 10) + (15 + 15) + 10 = 97.2 → 优; printed 合计 97.2, 自评等级 优: no T404/T405.
    assert evaluation.total == 97.2 and evaluation.grade == "优"
    assert form.fields["total"].ref == where["total"] and form.fields["grade"].value == "优"
    assert evaluation.subtotals == {"产出指标": 48, "效益指标": 30, "满意度指标": 10}
    assert _codes(evaluation, "error") == set()
    assert "T401" not in _codes(evaluation) and "T402" not in _codes(evaluation)


def test_hubei_split_target_and_20_point_execution(tmp_path, read):
    path = tmp_path / "b.xlsx"
    write_hubei(path)
    book = read(path)
    evaluation = _evaluate(book, policy="hb-2020")
    form = evaluation.form
    assert "指标性质" in form.layout
    # 指标性质 ≧ | 指标值 735 | 度量单位 人次 → one target `≧735人次`, at the 指标值 cell.
    row = _row(form, "培训养护人员")
    assert (row["target"].value, row["target"].ref) == ("≧735人次", "E15")
    assert _row(form, "养护任务按时完成率")["target"].value == "═100百分比"
    assert _row(form, "群众出行条件")["target"].value == "明显改善"  # 定性 is not a comparator
    assert _row(form, "每公里养护成本")["target"].value == "≦2.6万元"
    # 执行率 304 / 320 = 95 %; 预算执行 20 × 0.95 = 19.
    assert evaluation.execution_rate == pytest.approx(0.95) and evaluation.execution_score == 19
    items = {i.label: i for i in evaluation.items}
    # ≧85百分比 vs 88% → full 10; ═100百分比 vs 100% → 5; ≦2.6万元 vs 2.5万元 → 5; ≧90百分比 vs 0.92 → 10.
    assert items["路面优良率"].suggested == 10
    assert items["养护任务按时完成率"].suggested == 5
    assert items["每公里养护成本"].suggested == 5
    assert items["沿线群众满意度"].suggested == 10
    # 公路使用年限延长 2年 / ≧3年 = 66.67 % → 15 × 2/3 = 10, printed 12 → I307.
    assert items["公路使用年限延长"].suggested == 10
    assert [(i.code, i.suggested) for i in evaluation.issues if i.code == "I307"] == [("I307", 10)]
    # 总分 = 19 + (10 + 10 + 10 + 5 + 5) + (15 + 12) + 10 = 96 → 优.
    assert evaluation.total == 96 and evaluation.grade == "优"
    # Under hb-2020 (预算执行 20, 产出 40) the weights are as expected; national-2020 flags both.
    assert {"B209", "T402"}.isdisjoint(_codes(evaluation)) and _codes(evaluation, "error") == set()
    national = _evaluate(book)
    assert {"B209", "T402"} <= _codes(national) and national.total == 96


def test_amounts_in_yuan_total_row_zero_and_not_applicable_cells(tmp_path, read):
    path = tmp_path / "c.xlsx"
    write_yuan(path)
    evaluation = _evaluate(read(path))
    form = evaluation.form
    assert "金额单位：元" in form.layout
    # 年度资金总额 printed 0 / 0 / 0; the money is in 其中：当年财政拨款: 1,329,100 / 1,329,100 = 100 % (a ratio: the
    # unit does not matter) → 10 × 100 % = 10, as printed; 执行率 printed `1` reads as 100 % (no B206).
    assert form.budget["total"]["annual"].value == 0
    assert evaluation.execution_rate == pytest.approx(1.0) and evaluation.execution_score == 10
    assert "B204" in _codes(evaluation) and "B206" not in _codes(evaluation)
    # `—` / `/` / `无` are "not applicable": the all-`/` 经济效益 row is no indicator, 无 is no reason.
    assert not any(i.label == "/" for i in evaluation.items)
    assert len(evaluation.items) == 7
    # ≤5000元 vs 4800元 (元 → 万元 both sides) → full 5; 达成预期指标 → 达成 → 20.
    items = {i.label: i for i in evaluation.items}
    assert items["户均改造补助"].suggested == 5 and items["居民居住条件"].suggested == 20
    # 已建立 vs 建立: the tier is not evident → I308, the typed 9 stands.
    assert "I308" in _codes(evaluation) and items["小区长效管理机制"].typed == 9
    # 总分 = 10 + (20 + 15 + 10 + 5) + (20 + 9) + 10 = 99 → 优.
    assert evaluation.total == 99 and evaluation.grade == "优"
    assert _codes(evaluation, "error") == set()
    # Bare amounts are in the form's unit (元 here): 1,329,100 元 = 132.91 万元, far from the 100 亿元 of V114.
    assert form.amount_unit == "元" and "V114" not in _codes(evaluation)


# --- 湖北 财政项目绩效自评表 (2020 onwards): 20 + 80, no per-row 分值 ---------------------------------------------------


def test_hubei_2020_published_form(tmp_path, read):
    """The published 2020年度长江禁捕项目自评表 (tests/layouts.py HUBEI_2020_SOURCE), read by its labels although its
    title is not `…财政项目绩效自评表`, and scored under hb-2020 without being told."""
    path = tmp_path / "湖北-长江禁捕.xlsx"
    where = write_hubei_2020(path)
    evaluation = _evaluate(read(path))
    form = evaluation.form
    assert form.family == "hubei" and form.layout.startswith("识别：湖北财政项目绩效自评表表样")
    assert evaluation.policy_name == "hb-2020"  # the family's default_policy: the form's own 备注 is hb-2020
    assert form.fields["unit_name"].value == "农业工作科" and form.fields["project_name"].value == "渔业成品油价格改革补贴"
    assert form.fields["implementing_unit"].value == "农业科" and form.fields["year"].value == 2020
    assert "部门预算项目☑" in form.fields["project_category"].value
    # `预算执行情况（万元）（20分）` → 20 points; `年度绩效目标（80分）` → 80.
    assert (form.budget["total"]["weight"].value, form.budget["total"]["weight"].ref) == (20, where["budget_points"])
    assert (form.fields["goals_points"].value, form.fields["goals_points"].ref) == (80, where["goal_points"])
    # 执行率 1.56 / 1.56 = 100 % → 20 × 100 % = 20, as printed (the printed 执行率 `1` is 100 %).
    assert evaluation.execution_rate == 1.0 and evaluation.execution_score == 20
    # 总分 = 20 + (20 + 10 + 10 + 40) = 100 → 优; the printed 总分 100 agrees.
    assert evaluation.total == 100 and evaluation.grade == "优"
    assert form.fields["total"].ref == where["total"]
    # No per-row 分值: every item has no weight and keeps its typed score; said once, as info.
    assert [(i.label, i.weight, i.typed) for i in evaluation.items] == [
        ("补贴渔船数", None, 20), ("渔船补贴发放率", None, 10), ("补贴发放时间", None, 10), ("退捕渔民抽样调查满意度", None, 40)]
    assert [i.code for i in evaluation.issues if i.code == "I319"] == ["I319"]
    # The figures add up: no error. The actual `≥90%` carries a comparator (I312), the one warning.
    assert _codes(evaluation, "error") == set()
    assert _codes(evaluation, "warning") == {"I312"}
    # The reason rows are fields, not indicators.
    assert form.fields["reason"].value == "无" and len(form.rows) == 4


def test_hubei_2021_designed_form(tmp_path, read):
    path = tmp_path / "湖北-2021.xlsx"
    where = write_hubei_2020(path, hubei_2021_data())
    evaluation = _evaluate(read(path))
    form = evaluation.form
    assert form.family == "hubei" and evaluation.policy_name == "hb-2020"
    assert form.fields["year"].value == 2021  # from the title `2021年度财政项目绩效自评表`
    # 预算数 120 = 当年财政拨款 100 + 上年结余结转 20 (the 调整后 total incl. 结转); 执行数 108 = 90 + 18.
    # 执行率 108 / 120 = 90 % → 得分 20 × 90 % = 18, as printed.
    assert evaluation.execution_rate == pytest.approx(0.9) and evaluation.execution_score == 18
    assert form.budget["carryover"]["annual"].ref == f"C{where['budget:carryover']}"
    results = {i.label: i for i in evaluation.items}
    # 人均培训成本 ≤2000元 against a bare 1900: 1900 元 (the target's unit as typed) ≤ 2000 元 → met.
    assert "1900 / ≤2000元 = 95.00%，反向指标，未超过目标" in results["人均培训成本"].explanation
    # 参训农民人均增收 800元 / ≥1000元 = 80 %: not met; its reason is in the 偏差大或目标未完成原因分析 row, so no I305.
    assert "800元 / ≥1000元 = 80.00%，未达到目标" in results["参训农民人均增收"].explanation
    assert "I305" not in _codes(evaluation)
    # 指标得分 20 + 10 + 10 + 10 + 8 + 10 = 68 ≤ 80; 总分 = 18 + 68 = 86 → 良, as printed.
    assert evaluation.total == 86 and evaluation.grade == "良"
    assert _codes(evaluation, "error") == set() and _codes(evaluation, "warning") == set()
    assert {"B208", "I319", "I313"} == _codes(evaluation, "info")


def test_hubei_form_whose_figures_do_not_add_up(tmp_path):
    data = hubei_2021_data()
    data["indicators"][0]["score"] = 34  # 34 + 10 + 10 + 10 + 8 + 10 = 82 > 80
    data["total_score"] = 101  # printed; 18 + 82 = 100
    data["reason"] = "无"
    path = tmp_path / "湖北-错.xlsx"
    where = write_hubei_2020(path, data)
    evaluation = _evaluate(_calamine(path))
    found = {i.code: i for i in evaluation.issues}
    assert found["T407"].cell == where["goal_points"]
    assert "各指标得分合计 82，超过年度绩效目标的 80 分 2 分" in found["T407"].message
    assert found["T404"].cell == where["total"] and "但各项得分合计为 100" in found["T404"].message
    assert "超过满分 100 分 1 分" in found["T406"].message
    # 参训农民人均增收 not met and the reason row says only 无: I305 points at that row.
    assert found["I305"].cell == where["reason"] and "偏差大或目标未完成原因分析" in found["I305"].message


# --- 部门项目支出绩效自评表 as a scorecard (银川 2021) -------------------------------------------------------------------


def test_yinchuan_2021_scorecard_published_form(tmp_path, read):
    """The published 银川市本级部门项目支出绩效自评表 (2021年) (tests/layouts.py YINCHUAN_2021_SOURCE): 参考分值 before
    指标值(A), groups with their points in the label, 预算执行率 as a row of 项目管理, 自评得分 in the head rows."""
    path = tmp_path / "银川-2021.xlsx"
    where = write_scorecard(path)
    evaluation = _evaluate(read(path))
    form = evaluation.form
    assert form.family == "scorecard" and form.layout.startswith("识别：部门项目支出绩效自评表（评分卡）表样")
    assert form.fields["year"].value == 2021 and form.fields["implementing_unit"].value == "银川市第六中学"
    assert (form.fields["total"].value, form.fields["total"].ref) == (98, where["total"])  # 自评得分, head rows
    assert form.fields["review_score"].ref == where["review_score"]
    # The template's `指标1：` / `指标2：` slots (8 of them) are no indicators: 4 + 4 + 6 + 3 = 17 scored rows.
    assert len(evaluation.items) == 17 and not any("指标" in i.label[:3] for i in evaluation.items)
    assert not any("指标2" in issue.message or "指标1" in issue.message for issue in evaluation.issues)
    # 参考分值: 项目决策 4 + 2 + 2 + 2 = 10, 项目管理 10 + 7 + 2 + 6 = 25, 项目产出 10 + 5 + 5 + 4 + 3 + 3 = 30,
    # 项目效益 15 + 10 + 10 = 35: 100, each as its label says (no T401, no T408).
    assert {"T401", "T408"}.isdisjoint(_codes(evaluation))
    # 预算执行率 = 全年执行数 64.8 / 调整预算数 64.8 = 100 % → 10 × 100 % = 10; printed 9 → I307 with 10.
    items = {i.label: i for i in evaluation.items}
    assert evaluation.execution_rate == 1.0 and items["预算执行率"].suggested == 10 and items["预算执行率"].typed == 9
    i307 = {i.cell: i.suggested for i in evaluation.issues if i.code == "I307"}
    assert i307[f"G{where['row:预算执行率']}"] == 10
    # Typed scores below the rule where target and actual read the same (5 → 4, 15 → 13, 10 → 8): suggestions only.
    assert i307[f"G{where['row:公用经费完成时间']}"] == 5 and i307[f"G{where['row:效果显著']}"] == 15
    # Rows: 10 + (9 + 7 + 2 + 6) + (10 + 5 + 4 + 4 + 3 + 3) + (13 + 8 + 10) = 10 + 24 + 29 + 31 = 94 → 优.
    assert evaluation.total == 94 and evaluation.grade == "优"
    # The printed 自评得分 98 is more than the rows give (94, and at most 94 whatever the cut-off last row holds): the
    # one error, at the 自评得分 cell.
    errors = [i for i in evaluation.issues if i.severity == "error"]
    assert [(i.code, i.cell, i.suggested) for i in errors] == [("T404", where["total"], 94)]
    assert "自评得分填为 98，但各项得分合计为 94" in errors[0].message


def test_a_scorecard_whose_figures_add_up_has_no_error(tmp_path):
    data = yinchuan_2021_data()
    data["self_score"] = 94
    path = tmp_path / "银川-94.xlsx"
    write_scorecard(path, data)
    evaluation = _evaluate(_calamine(path))
    assert evaluation.total == 94 and _codes(evaluation, "error") == set()


@pytest.mark.parametrize("title", ["邵阳市住房公积金管理中心部门项目支出绩效自评表", "2023年度财政项目绩效自评表"])
def test_a_standard_form_under_another_family_s_title_stays_standard(tmp_path, title):
    """Titles are no proof: the standard layout printed under a scorecard's or a 湖北 form's title is read as standard
    (its table has 年度指标值 and 分值, its money block 全年预算数), and seed 004 keeps its figures."""
    from layouts import seed_004_data

    data = seed_004_data()
    data["title"] = title
    path = tmp_path / "title.xlsx"
    write_seed_004_printed(path, data)
    evaluation = _evaluate(_calamine(path))
    assert evaluation.form.family == "standard"
    assert (evaluation.execution_score, evaluation.total, evaluation.grade) == (2.62, 72.62, "中")


def test_sichuan_2023_form_reads_with_its_header_synonyms(tmp_path):
    """四川 部门预算项目支出绩效自评表 (510000_0013zp, the 青神 2023 form of tests/corpus): 年初预算 / 调整后预算数 /
    预算执行数 / 预算执行率 / 权重 in the money block, 总额 / 其中:财政资金 rows, and 完成值 / 权重 in the table: synonyms
    in families/standard.toml, no layout of its own."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["部门预算项目支出绩效自评表(2023年度)"])
    ws.append(["项目名称", None, "51000021R000000019951-工资性支出"])
    ws.append(["主管部门", None, "青神县发展和改革局本级"])
    ws.append(["实施单位\n(盖章)", None, "青神县发展和改革局"])
    ws.append(["预算执行情况(10分)", "年度预算数(万元)", None, "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重",
               "得分", "原因"])
    ws.append([None, "总额", None, 238.93, 251.89, 251.89, "100.00%", 10, None, "1.预算执行率=预算执行数/调整后预算数"])
    ws.append([None, "其中:财政资金", None, 238.93, 251.89, 251.89, "100.00%", "/", "/"])
    ws.append(["绩效指标(90分)", "一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分",
               "未完成原因分析"])
    ws.append([None, "产出指标", "数量指标", "发放(缴纳)覆盖率", "=", 100, "%", None, 60])
    ws.append([None, "效益指标", "社会效益指标", "足额保障率(参保率)", "=", 100, "%", None, 30])
    ws.append(["合计", None, None, None, None, None, None, None, 100])
    path = tmp_path / "青神.xlsx"
    wb.save(path)
    evaluation = _evaluate(_calamine(path))
    form = evaluation.form
    assert form.family == "standard"
    assert form.budget["total"]["annual"].ref == "E6" and form.budget["current"]["executed"].ref == "F7"
    # 预算执行率 251.89 / 251.89 = 100 % → 权重 10 × 100 % = 10 (得分 left blank).
    assert evaluation.execution_rate == 1.0 and evaluation.execution_score == 10
    # 权重 10 + 60 + 30 = 100: no T401. Both rows lack their 完成值 (H9, H10): the real gaps.
    assert "T401" not in _codes(evaluation)
    assert [(i.code, i.cell) for i in evaluation.issues if i.severity == "error"] == [("I301", "H9"), ("I301", "H10")]


def test_shandong_2019_form_reads_with_its_header_synonyms(tmp_path):
    """济南历城 2019 区级部门预算项目支出绩效自评表 (tests/corpus/shandong-2019-licheng-wenhuaguan.toml): 项目实施单位,
    a money block with 年初预算数(A) and 全年执行数(B) only (执行率(B/A)), 预期指标值(A) / 实际完成指标值(B) / 未完成原因
    and a 得分计算方法 column: synonyms in families/standard.toml, and the rate over the one 预算数 the form prints."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["区级部门预算项目支出绩效自评表"])
    ws.append(["( 2019 年度)"])
    ws.append(["项目名称", "商品和服务支出", None, None, "主管部门", "济南市历城区文化和旅游局"])
    ws.append(["项目实施单位", "济南市历城区文化馆", None, None, "项目负责人", "田延青", "联系电话", "88894492"])
    ws.append(["项目预算\n执行情况\n(10分)", None, None, "年初预算数(A)", "全年执行数(B)", "分值", "执行率(B/A)", "得分",
               "得分计算方法"])
    ws.append([None, "年度资金总额", None, 45, 45, 10, "100%", 10, "执行率*该指标分值,最高不得超过分值上限。"])
    ws.append([None, "其中:财政拨款", None, 45, 45, "-", "-", "-"])
    ws.append(["一级\n指标", "二级\n指标", "三级指标", "预期指标值(A)", "实际完成指标值(B)", "分值", "得分", "未完成原因",
               "得分计算方法"])
    ws.append(["产出指标", "数量指标", "全年免费开放", "100%", "100%", 50, 50])
    ws.append(["效益指标", "经济效益\n指标", "承担重要公益服务项目、助推民生事业发展", "100%", "100%", 30, 30])
    ws.append(["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "95%", 10, 10])
    ws.append(["总分", None, None, None, None, 100, 100])
    path = tmp_path / "历城.xlsx"
    wb.save(path)
    evaluation = _evaluate(_calamine(path))
    form = evaluation.form
    assert form.family == "standard"
    assert form.fields["implementing_unit"].value == "济南市历城区文化馆"
    assert [c for c in form.budget["total"]] == ["initial", "executed", "weight", "rate", "score"]
    # 执行率 45 / 45 over 年初预算数(A), the only 预算数 printed (national-2020 asks for 全年预算数): 100 % → 10.
    assert evaluation.execution_rate == 1.0 and evaluation.execution_score == 10
    [b208] = [i for i in evaluation.issues if i.code == "B208"]
    assert "执行率以年初预算数为分母（本表只列年初预算数）：全年执行数 / 年初预算数 = 45 / 45 = 100.00%" in b208.message
    assert [row["target"].ref for row in form.rows] == ["D9", "D10", "D11"]
    assert evaluation.total == 100 and _codes(evaluation, "error") == set()


# --- check --explain-layout -----------------------------------------------------------------------------------


def test_explain_layout_names_the_family_the_columns_and_their_labels(capsys):
    status = main(["check", "--explain-layout", str(PRINTED / "银川-2021-评分卡-原表样.xlsx"),
                   str(PRINTED / "湖北-2020-长江禁捕-原表样.xlsx")])
    out = capsys.readouterr().out
    assert status == 0
    assert "银川-2021-评分卡-原表样.xlsx：识别为部门项目支出绩效自评表（评分卡）表样（families/scorecard.toml）" in out
    assert "依据：“财政审核评分”（D4）、“参考分值”（D9）" in out
    assert "参考分值 ← D 列，表头“参考分值”（D9）" in out and "指标值（A） ← E 列，表头“指标值（A）”（E9）" in out
    assert "自评得分 C4" in out
    assert "识别为湖北财政项目绩效自评表表样（families/hubei.toml），默认评分口径 hb-2020" in out
    assert "年初目标值（A） ← E 列，表头“年初目标值（A）”（E10）" in out
    assert "“预算执行情况（万元）（20分）” → 20 分、“年度绩效目标（80分）” → 80 分" in out
    assert "本表样不列各指标分值" in out
    assert "校验" not in out and "错误" not in out  # explains; checks nothing


def test_explain_layout_shows_a_label_printed_over_two_lines_on_one(capsys):
    assert main(["check", "--explain-layout", str(PRINTED / "衡山-2020-县级专项资金-不打分-原表样.xlsx")]) == 0
    out = capsys.readouterr().out
    reason = next(line for line in out.splitlines() if line.startswith("  依据："))
    assert "“全年完成值”（E10）" in reason and "“专项资金名称”（A2）" in reason


def test_explain_layout_of_a_refused_form_names_what_was_found_and_missing(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2021年度财政项目绩效自评表"])
    ws.append(["年度财政资金总额", 1, 1])
    ws.append(["一级指标", "二级指标", "三级指标", "年初目标值（A）", "得分"])
    path = tmp_path / "缺列.xlsx"
    wb.save(path)
    status = main(["check", "--explain-layout", str(path)])
    out = capsys.readouterr().out
    assert status == 2
    assert "没有找到“实际完成值（B）”列" in out and "表头只有三级指标、年初目标值（A）、得分" in out


# --- The committed examples ------------------------------------------------------------------------------------


def test_printed_examples_are_current_and_all_read(tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_layout_examples", ROOT / "scripts" / "build_layout_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.build(tmp_path):
        committed = PRINTED / path.name
        assert committed.exists(), f"{committed} missing: run python scripts/build_layout_examples.py"
        assert committed.read_bytes() == path.read_bytes(), f"{committed.name} is stale: run the build script"
    status = main(["check", str(PRINTED), "--json"])
    records = json.loads(capsys.readouterr().out)
    assert status != 2 and len(records) == len(LAYOUTS)
    assert all("error" not in record and record["layout"].startswith("识别") for record in records)
    totals = {Path(r["file"]).name: (r["total"], r["grade"]) for r in records}
    assert totals["邵阳-2023-原表样.xlsx"] == (72.62, "中") and totals["晋中-2020-原表样.xlsx"] == (87.72, "良")
    assert totals["湖北-2020-长江禁捕-原表样.xlsx"] == (100, "优") and totals["示例D-湖北财政项目绩效自评表.xlsx"] == (86, "良")
    assert totals["银川-2021-评分卡-原表样.xlsx"] == (94, "优")
    assert totals["衡山-2020-县级专项资金-不打分-原表样.xlsx"] == (None, None)
    assert totals["海南-服务贸易-三级分值-评分表.xlsx"] == (96, "优")  # 20 + 25 + 15 + 36, typed


def test_scored_copy_of_a_printed_form(tmp_path):
    status = main(["check", str(PRINTED / "示例A-列序调整-得分计算方法.xlsx"), "--output", str(tmp_path)])
    assert status == 0
    ws = openpyxl.load_workbook(tmp_path / "示例A-列序调整-得分计算方法.xlsx")["绩效自评"]
    assert ws["G5"].value == 0.92 and ws["H5"].value == 9.2  # 执行率 and 得分 filled in the printed cells
    assert ws["H13"].value == 8  # the typed score is never overwritten


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_varied_figures_read_in_every_layout(tmp_path, name):
    for seed in range(3):
        path = tmp_path / f"{name}-{seed}.xlsx"
        write_layout(name, path, seed=seed)
        evaluation = _evaluate(_calamine(path))
        assert evaluation.form.layout.startswith("识别")
        # A layout that carries no points (县级专项资金绩效目标自评表) has no total; every other one has one.
        assert (evaluation.total is not None) == evaluation.scored
        assert f"样本{seed}" in evaluation.form.fields["project_name"].value


def test_our_templates_read_by_labels_when_the_names_are_lost(tmp_path):
    """A copy-pasted template loses its defined names: recognition reads it the same."""
    for example in (EXAMPLE_004, EXAMPLE_000):
        wb = openpyxl.load_workbook(example)
        for name in list(wb.defined_names):
            del wb.defined_names[name]
        path = tmp_path / example.name
        wb.save(path)
        printed, template = _evaluate(_calamine(path)), check_file(example)
        assert printed.form.layout.startswith("识别")
        assert (printed.total, printed.grade, printed.subtotals) == (template.total, template.grade, template.subtotals)
        assert _codes(printed) == _codes(template) and _items(printed) == _items(template)


# --- Failures say what was missing and where -------------------------------------------------------------------


def _book(sheets: dict[str, list[list]], merged: dict[str, list] | None = None, source: str = "某.xlsx") -> GridBook:
    return GridBook({name: Grid(name, values, (merged or {}).get(name, [])) for name, values in sheets.items()}, {},
                    source)


def test_a_sheet_with_no_form():
    book = _book({"Sheet1": [["工作安排"], ["一、", "按计划推进"]], "Sheet2": [[None, "备注"]]})
    with pytest.raises(FormReadError) as info:
        read_form(book)
    message = str(info.value)
    assert message.startswith("某.xlsx：") and "Sheet1" in message and "Sheet2" in message
    assert "“三级指标”" in message and "“实际完成值”" in message and "“指标分值”" in message


def test_a_table_without_the_actual_column(tmp_path, read):
    path = tmp_path / "缺列.xlsx"
    write_seed_004_printed(path)
    wb = openpyxl.load_workbook(path)
    wb.active["F12"] = "备注"
    wb.save(path)
    with pytest.raises(FormReadError) as info:
        read_form(read(path))
    message = str(info.value)
    assert message.startswith("缺列.xlsx：") and "“实际完成值”" in message and "Sheet1" in message
    assert "第 12 行" in message and "三级指标" in message and "实际完成指标值" in message


def test_a_named_family_that_is_not_there():
    book = _book({"Sheet1": [["项目名称", "某项目"], ["年度资金总额", 1, 2, 3]]})
    with pytest.raises(FormReadError, match="绩效指标表.*“三级指标”“年度指标值”“实际完成值”“分值”"):
        recognise(book, load_family("standard"))


# --- Label tolerance -------------------------------------------------------------------------------------------


def test_label_keys_ignore_spacing_width_breaks_and_notes():
    assert key_of("年度\n指标值") == key_of("年度指标值")
    assert key_of("项目支\n出名称") == key_of("项目支出名称")
    assert key_of("项目名称：") == key_of("项目名称:") == key_of(" 项目名称 ") == "项目名称"
    assert key_of("三　级　指　标") == "三级指标"  # ideographic spaces
    ix = SheetIndex.build(Grid("S", [["分值（分）", "其中：本年财政拨款", "实际\r\n完成值", "ＡＢＣ指标"]]))
    assert ix.find(["分值"]) == [(0, 0)]
    assert ix.find(["本年财政拨款"]) == [(0, 1)]
    assert ix.find(["实际完成值"]) == [(0, 2)]
    assert ix.find(["ABC指标"]) == [(0, 3)]


def test_the_index_lists_cells_row_major_when_some_match_by_their_core():
    ix = SheetIndex.build(Grid("S", [["分值（分）", "其中：本年财政拨款"], ["分值", "本年财政拨款", "分值（万元）"],
                                     [None, "分值"]]))
    assert ix.find(["分值"]) == [(0, 0), (1, 0), (1, 2), (2, 1)]
    assert ix.find(["本年财政拨款"]) == [(0, 1), (1, 1)]
    assert ix.find(["分值", "本年财政拨款"]) == [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 1)]


def test_merged_ranges_cover_their_cells_but_not_their_top_left():
    grid = Grid("S", [[None] * 4 for _ in range(4)], [(0, 0, 2, 1), (1, 2, 1, 3), (3, 2, 9, 9), (5, 5, 6, 6)])
    ix = SheetIndex.build(grid)
    assert ix.covered_at(0, 0) is None and ix.covered_at(0, 1) == (0, 0) and ix.covered_at(2, 1) == (0, 0)
    assert ix.covered_at(1, 2) is None and ix.covered_at(1, 3) == (1, 2) and ix.covered_at(2, 2) is None
    assert ix.covered_at(3, 3) == (3, 2) and ix.end_of(3, 2) == (3, 3)  # clipped to the sheet
    assert ix.end_of(0, 0) == (2, 1) and ix.end_of(5, 5) == (5, 5)  # a range off the sheet is dropped


def test_a_small_form_with_every_tolerance():
    """Full-width colons, line breaks and spaces in labels, a merged label, a value below its label, `label：value` in
    one cell, a target split over three columns under one header row, a merged 分值 over two rows."""
    rows = [
        ["项目支出绩效自评表（2024年度）", None, None, None, None, None, None, None, None],
        ["项目名称：", None, "示范项目", None, "实施单位：示范中心", None, "主管部门", None, None],
        [None, None, None, None, None, None, "示范局", None, None],
        ["项目资金", "年初预算数", "全年\n预算数", "全年 执行数", "分 值", "执行率", "得分", None, None],
        ["年度资金总额", "100", "97.73万元", "88", 10, None, None, None, None],
        ["一级指标", "二级指标", "三级\n指标", "指标性质", "指标值", "度量单位", "实际\n完成值", "分值", "得分"],
        ["产出指标", "数量指标", "设备", "≥", 10, "台", "10台", 25, 25],
        [None, None, "培训", "≥", 100, "人次", "100人次", None, None],
        [None, "质量指标", "合格率", "=", 100, "%", "100%", 25, 25],
        ["效益指标", "社会效益指标", "服务", None, "提升", None, "提升", 30, 30],
        ["满意度指标", "服务对象满意度指标", "满意度", "≥", 90, "%", "95%", 10, 10],
        ["总　分", None, None, None, None, None, None, 100, None],
    ]
    merged = [(1, 0, 1, 1), (6, 7, 7, 7), (6, 8, 7, 8), (11, 0, 11, 6)]
    form = read_form(_book({"表1": rows}, {"表1": merged}))
    assert form.family == "standard"
    assert (form.fields["project_name"].value, form.fields["project_name"].ref) == ("示范项目", "C2")
    assert form.fields["implementing_unit"].value == "示范中心" and form.fields["implementing_unit"].ref == "E2"
    assert (form.fields["department"].value, form.fields["department"].ref) == ("示范局", "G3")
    assert (form.fields["year"].value, form.fields["year"].ref) == (2024, "A1")
    assert form.budget["total"]["annual"].value == "97.73万元" and form.budget["total"]["executed"].ref == "D5"
    assert [row["target"].value for row in form.rows] == ["≥10台", "≥100人次", "=100%", "提升", "≥90%"]
    assert form.rows[1]["weight"].value is None and form.rows[1]["target"].ref == "E8"
    evaluation = evaluate(form, load_policy(None))
    # 执行率 88 / 97.73 = 90.04 % → 10 × 0.9004 = 9.0; 25 + 25 + 30 + 10 = 90 → 总分 99.0
    assert evaluation.execution_score == 9.0 and evaluation.total == 99.0
    assert form.fields["total"].ref == "I12"


# --- Reading stays linear in the sheet size ---------------------------------------------------------------------


def test_recognition_time_grows_linearly(tmp_path):
    path = tmp_path / "f.xlsx"
    write_seed_004_printed(path)
    base = _calamine(path)
    grid = base.sheets["Sheet1"]

    def padded(extra_rows: int, tag: str) -> GridBook:
        # Fresh texts each time, so the label-key cache helps neither size.
        filler = [[f"{tag}说明{r}-{c}" if c % 3 else r for c in range(20)] for r in range(extra_rows)]
        return GridBook({"Sheet1": Grid("Sheet1", [list(row) for row in grid.values] + filler, list(grid.merged))},
                        {}, "f.xlsx")

    def seconds(extra_rows: int, tag: str) -> float:
        book = padded(extra_rows, tag)
        start = time.process_time()  # CPU time: the ratio below must not depend on what else the machine runs
        form = recognise(book, None)
        assert form.family == "standard" and form.fields["total"].value == 72.62
        return time.process_time() - start

    seconds(500, "warm")
    t_small = min(seconds(2_000, f"s{i}") for i in range(2))
    t_large = min(seconds(16_000, f"l{i}") for i in range(2))
    assert t_large < 8 * t_small * 3 + 0.05  # 8× the cells: linear, far from quadratic (64×)


def test_empty_template_slots_are_spare_rows_of_a_scored_copy():
    """The scored copy keeps empty indicator slots off the page (print_layout.spare_rows): a `指标2：` or `……` slot
    with nothing typed is one of them; `指标1：工程质量合格` is an indicator and stays."""
    from perfeval_xl.model import Cell
    from perfeval_xl.print_layout import spare_rows

    rows = [{"name": Cell("指标1：工程质量合格", "C10"), "target": Cell(None, "D10")},
            {"name": Cell("指标2：", "C11"), "target": Cell(None, "D11"), "weight": Cell("—", "E11")},
            {"name": Cell("……", "C12"), "target": Cell(None, "D12")},
            {"name": Cell("指标3：", "C13"), "target": Cell("≥5台", "D13")}]
    assert spare_rows(rows) == [11, 12]
