"""The worksheet functions, called through xlwings' own custom-function machinery (argument conversion, ndim,
array results) rather than as plain Python functions. Expected values are worked out by hand."""

from __future__ import annotations

import asyncio
import re

import pytest
import xlwings as xw
from xlwings.pro.udfs_officejs import custom_functions_call, custom_functions_meta

import perfeval_xl.udfs as udfs


def call(name: str, *args):
    data = {"func_name": name, "args": list(args), "version": xw.__version__, "client": "Office.js",
            "caller_address": "Sheet1!A1", "formula_name": name, "runtime": "1.4", "culture_info_name": "zh-CN"}
    return asyncio.run(custom_functions_call(data, udfs))


def test_execution_rate_and_score_of_seed_004():
    # 97.73 / 373.60 = 0.261590…; 10 × 26.16 % = 2.6159 → 2.62
    assert call("PE_EXEC_RATE", [[97.73]], [[373.6]])[0][0] == pytest.approx(0.2615899, abs=1e-6)
    assert call("PE_EXEC_SCORE", [[97.73]], [[373.6]], [[10]]) == [[2.62]]


def test_execution_score_is_capped_and_accepts_text_amounts():
    # 120 / 100 → capped at 100 % → 10; "97.73万元" is read as 97.73
    assert call("PE_EXEC_SCORE", [[120], ["97.73万元"]], [[100], [373.6]], [[10]]) == [[10.0], [2.62]]


def test_indicator_scores_for_a_whole_column():
    targets = [["11台"], ["≥10台"], ["≤100万元"], ["=100%"], ["按期完成"]]
    actuals = [["23台"], ["8台"], ["125万元"], ["96%"], ["按期完成"]]
    weights = [[2.5], [2.5], [10], [5], [5]]
    # 23 ≥ 11 → 2.5; 8/10 × 2.5 = 2.0; reverse 100/125 × 10 = 8.0; exact 96/100 × 5 = 4.8; same text → 5
    assert call("PE_SCORE", targets, actuals, weights) == [[2.5], [2.0], [8.0], [4.8], [5.0]]


def test_reverse_indicator_under_the_linear_policy():
    # linear: 125 vs 100 → 2 − 1.25 = 0.75 → 7.5
    assert call("PE_SCORE", [["≤100万元"]], [["125万元"]], [[10]], [[""]], "linear-reverse") == [[7.5]]


def test_one_thousand_rows_in_one_call():
    n = 1000
    result = call("PE_SCORE", [["≥10台"]] * n, [[f"{i % 20}台"] for i in range(n)], [[5]])
    assert len(result) == n
    assert result[5] == [2.5] and result[10] == [5.0] and result[19] == [5.0]


def test_grade_and_readable_errors():
    assert call("PE_GRADE", [[72.62], [90], [59.99]]) == [["中"], ["优"], ["差"]]
    assert call("PE_GRADE", [[80]], "bands-80-70-60") == [["优"]]
    bad = call("PE_GRADE", [["abc"]])[0][0]
    assert bad.startswith("#错误：") and "abc" in bad and "Traceback" not in bad
    unknown = call("PE_SCORE", [["11台"]], [["23台"]], [[2.5]], [[""]], "湖北")[0][0]
    assert unknown.startswith("#错误：") and "湖北" in unknown
    assert call("PE_EXEC_RATE", [[5]], [[0]])[0][0].startswith("#错误：预算数为 0")


def test_parse_explains_how_a_value_was_read():
    assert call("PE_PARSE", [["≧10台"]]) == [["比较符 >=；数值 10；单位 台；（文本形式的数字）"]]
    assert call("PE_PARSE", [["977300元"]])[0][0].startswith("数值 97.73；单位 万元")
    assert call("PE_PARSE", [["逐步提升"]]) == [["文字（定性）：逐步提升"]]


def test_explain_matches_score():
    text = call("PE_EXPLAIN", [["11台"]], [["23台"]], [[2.5]])[0][0]
    assert "23台 / 11台 = 209.09%" in text and "national-2020" in text


def test_function_wizard_metadata_is_chinese_and_names_are_vba_identifiers():
    meta = custom_functions_meta(udfs)["functions"]
    names = {f["name"] for f in meta}
    assert names == {"PE_EXEC_RATE", "PE_EXEC_SCORE", "PE_SCORE", "PE_EXPLAIN", "PE_GRADE", "PE_PARSE"}
    for f in meta:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,254}", f["name"])
        assert re.search(r"[\u4e00-\u9fff]", f["description"])
        assert all(re.search(r"[\u4e00-\u9fff]", p["description"]) for p in f["parameters"])


def test_worksheet_functions_follow_the_engine_on_deadlines_and_cost_rate_names():
    # 完成时限 2019年 → 2020年 is late: not the ratio 2020/2019 (≥ 1, full points) but the unit's judgment (blank);
    # on time is full points. The same rows in a form give the same verdict (analysis.score_indicator).
    assert call("PE_SCORE", [["2019年"], ["2019年12月"]], [["2020年"], ["2019年11月"]], [[20]], [["时效指标"]]) == [[""], [20.0]]
    assert "晚于" in call("PE_EXPLAIN", [["2019年"]], [["2020年"]], [[20]], [["时效指标"]])[0][0]
    # 年底前 takes the year given: done in 2023年12月 → on time for 2023, late for 2022
    assert call("PE_SCORE", [["年底前"]], [["2023年12月"]], [[10]], [["时效指标"]], None, [[None]], 2023) == [[10.0]]
    assert call("PE_SCORE", [["年底前"]], [["2023年12月"]], [[10]], [["时效指标"]], None, [[None]], 2022) == [[""]]
    # A 成本指标 named 计划完成率 without a comparator is higher-is-better: 60/90 × 20 = 13.33; unnamed, it is
    # reverse: 60 ≤ 90 → full 20.
    assert call("PE_SCORE", [["90%"]], [["60%"]], [[20]], [["成本指标"]], None, [["计划完成率"]]) == [[13.33]]
    assert call("PE_SCORE", [["90%"]], [["60%"]], [[20]], [["成本指标"]]) == [[20.0]]
