"""The 评分表 with a 分值 beside every level (一级指标 | 分值 | 二级指标 | 分值 | 三级指标 | 分值 | 得分, 海南 服务贸易项目绩效自评表),
as real .xlsx files written by tests/layouts.py and checked by the CLI as a person runs it.

What is right is worked by hand from the figures typed in tests/layouts.py (hainan_fuwumaoyi_data): the levels add up
(20 + 25 + 55 = 100, each 二级 the sum of its 三级 分值), the typed 得分 add up to 96, and 到位率 is 398.88 / 570 =
69.98 %. Each test below changes one or two cells and names the cells that must then be flagged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from layouts import hainan_fuwumaoyi_data, write_three_weights
from restore_support import differences
from test_cli import REPO, snapshot


def _check_json(path: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "check", "--json", str(path)], env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)
    return json.loads(proc.stdout)[0]


def _cli(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run([sys.executable, "-m", "perfeval_xl.cli", *map(str, args)], env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


def _errors(record: dict) -> set[tuple[str, str]]:
    return {(i["code"], i["cell"]) for i in record["issues"] if i["severity"] == "error"}


def _with_rows(changes: dict[str, tuple[int, object]], **fields) -> dict:
    """The default figures with row cells changed: {三级指标 name: (tuple index, value)}; index 1 / 3 change the
    一级 / 二级 分值 printed on that row, 5 the 三级 分值, 6 the 得分."""
    data = hainan_fuwumaoyi_data()
    rows = []
    for row in data["rows"]:
        if row[4] in changes:
            index, value = changes[row[4]]
            row = row[:index] + (value,) + row[index + 1:]
        rows.append(row)
    data["rows"] = rows
    data.update(fields)
    return data


def test_the_complete_form_is_read_with_no_error(tmp_path):
    path = tmp_path / "海南.xlsx"
    where = write_three_weights(path)
    record = _check_json(path)
    assert "error" not in record and record["family"] == "three-weights"
    assert _errors(record) == set()
    assert record["total"] == 96 and record["grade"] == "优"  # 20 + 25 + 15 + (8 + 14 + 5 + 4 + 5)
    # 到位率 is shown from the money (398.88 / 570 = 69.98 %), a suggestion against the typed 3, never an error.
    rate = next(item for item in record["items"] if item["label"] == "到位率")
    assert rate["cell"] == where["score:到位率"] and rate["typed"] == 3
    assert "398.88 / 570 = 69.98%" in rate["explanation"]


def test_a_score_above_its_points_and_a_level_sum_off_are_found_at_their_cells(tmp_path):
    # 分配结果 得分 7 of 分值 6; 项目管理 printed 26 over 二级 5 + 10 + 10 = 25. The 合计 printed as the typed sum 97.
    data = _with_rows({"分配结果": (6, 7), "到位率": (1, 26)}, total_score=97)
    path = tmp_path / "海南-两处错误.xlsx"
    where = write_three_weights(path, data)
    record = _check_json(path)
    assert _errors(record) == {("I302", where["score:分配结果"]), ("T408", where["level1:项目管理"])}
    t408 = next(i for i in record["issues"] if i["code"] == "T408")
    assert "项目管理" in t408["message"] and "26" in t408["message"] and "25" in t408["message"]


def test_a_third_level_point_off_is_found_at_its_second_level_and_in_the_total(tmp_path):
    # 财务管理 分值 4: 资金管理 10 over 7 + 4 = 11, and all 三级 分值 add up to 101. 项目管理 25 = 5 + 10 + 10 still holds.
    path = tmp_path / "海南-三级分值.xlsx"
    where = write_three_weights(path, _with_rows({"财务管理": (5, 4)}, total_weight=101))
    record = _check_json(path)
    assert _errors(record) == {("T408", where["level2:资金管理"]), ("T401", where["total"])}


def test_the_money_lines_are_read_and_their_parts_checked(tmp_path):
    # 计划投资额 570 printed, 其中 0 + 560 + 0 + 0 = 560: the total's cell is flagged (B210); 到位 398.88 = its parts.
    path = tmp_path / "海南-资金.xlsx"
    where = write_three_weights(path, _with_rows({}, planned_lines=[0, 560, 0, 0]))
    record = _check_json(path)
    assert _errors(record) == {("B210", where["planned"])}


def test_check_output_then_clear_gives_back_the_file(tmp_path):
    form = tmp_path / "in" / "海南-两处错误.xlsx"
    write_three_weights(form, _with_rows({"分配结果": (6, 7)}, total_score=97))
    before = snapshot(form.parent)
    scored = _cli("check", form, "--output", tmp_path / "out")
    assert scored.returncode == 1, scored.stdout  # errors found
    copy = tmp_path / "out" / form.name
    wb = openpyxl.load_workbook(copy)
    assert "校验结果" in wb.sheetnames
    assert any(row[3] == "G17" for row in wb["校验结果"].iter_rows(values_only=True) if len(row) > 3)
    assert wb["Sheet1"]["G17"].value == 7  # the typed score is never overwritten
    cleared = _cli("clear", copy, "--output", tmp_path / "cleared")
    assert cleared.returncode == 0, cleared.stdout
    assert differences(form, tmp_path / "cleared" / form.name) == []
    assert snapshot(form.parent) == before  # --output never touches the original
