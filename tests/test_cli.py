"""`perfeval-xl check` end to end: real .xlsx files in tmp_path, the CLI run as a user runs it (a subprocess).

Expected figures for seed 004 come from the published form (shared/spec/seeds-expected.md): 执行率 26.16 %,
预算执行得分 2.62, 总分 72.62, 等次 中, and the typed scores 2.5 / 2.5 for the two 数量 rows. Nothing here is
compared against what our own code printed on an earlier run.

The helpers at the top are shared with test_bad_input.py and test_writeback.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"
TEMPLATE = REPO / "workbook_templates" / "项目支出绩效自评表.xlsx"
SHEET = "自评表"
RESULTS = "校验结果"
CJK = re.compile(r"[\u4e00-\u9fff]")
ISSUE_LINE = re.compile(r"^(?P<file>.+?):(?P<sheet>[^:!]+)!(?P<cell>[A-Z]{1,3}\d+): (?P<code>[FVBIT]\d{3}) "
                        r"(?P<level>错误|警告|提示) (?P<message>.+)$")
VERDICT = re.compile(r"^(?P<file>.+?): (?:执行率 (?P<rate>\S+)，)?总分 (?P<total>\S+)，等次 (?P<grade>\S+)，"
                     r"错误 (?P<errors>\d+)，警告 (?P<warnings>\d+)，评分口径 \S+$")
ERROR_FILL, WARNING_FILL, INPUT_FILL = "FFC7CE", "FFEB9C", "FFF2CC"

# Seed 004 in the template (scripts/build_examples.py): where its rows landed.
ROW_OF = {"自助终端机": 14, "中心电脑及打印机等设备购置": 15, "数据库安全项目建设(已完工）": 17,
          "业务系统指纹及人脸识别设备采购": 19, "提升中心服务质量，提升中心办结业务进度": 33,
          "缴存单位及群众对中心业务服务能力更满意": 34}
ZERO_COST_ROWS = ["异地实时灾备建设", "中心数据机房三级等保测评", "视频会议系统2期建设",
                  "中心办公大楼无线WIFI管控全覆盖建设", "“湘易办”超级移动端接口开发建设"]


# --- helpers ------------------------------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.out.splitlines() if line.strip()]

    @property
    def records(self) -> list[dict]:
        return json.loads(self.out)


def run_check(*args: Any, cwd: Path | None = None) -> Run:
    """`perfeval-xl check ARGS` in a fresh interpreter, as a user runs it. Never a traceback, whatever the input."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("PERFEVAL_XL_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "check", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    return Run(proc.returncode, proc.stdout, proc.stderr)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under `folder`: size, mtime (ns) and hash — to prove a run wrote nothing."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns, sha256(p))
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit_workbook(src: Path, dest: Path, cells: dict[str, Any] | None = None, sheet: str = SHEET) -> Path:
    """Copy `src` to `dest` through openpyxl, setting `cells` (None empties a cell), as a person editing in Excel."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.load_workbook(src, keep_vba=src.suffix.lower() == ".xlsm")
    ws = wb[sheet]
    for ref, value in (cells or {}).items():
        ws[ref].value = value
    wb.save(dest)
    return dest


def example_copy(folder: Path, name: str = "seed004.xlsx", cells: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if not cells:
        return Path(shutil.copyfile(EXAMPLE, folder / name))
    return edit_workbook(EXAMPLE, folder / name, cells)


def issues_by_code(record: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for issue in record["issues"]:
        found.setdefault(issue["code"], []).append(issue)
    return found


def fill_rgb(cell) -> str:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid" or fill.fgColor is None or fill.fgColor.type != "rgb":
        return ""
    return fill.fgColor.rgb[-6:]


def results_rows(wb) -> tuple[list[tuple], int]:
    """The issue rows of the 校验结果 sheet and the row number of its header."""
    rows = list(wb[RESULTS].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[:4] == ("序号", "级别", "代码", "单元格"))
    issues = []
    for row in rows[header + 1:]:
        if not row or row[0] in (None, ""):
            break
        issues.append(row)
    return issues, header + 1


# --- seed 004, the published figures --------------------------------------------------------------------------


def test_seed_004_json_matches_the_published_form():
    before = sha256(EXAMPLE)
    run = run_check(EXAMPLE, "--json")
    assert sha256(EXAMPLE) == before
    [record] = run.records
    assert record["file"] == str(EXAMPLE)
    assert round(record["execution_rate"], 4) == 0.2616
    assert record["execution_score"] == 2.62
    assert record["total"] == 72.62
    assert record["grade"] == "中"
    for issue in record["issues"]:
        assert set(issue) >= {"severity", "code", "cell", "message"}
        assert issue["severity"] in ("error", "warning", "info")
        assert CJK.search(issue["message"]), issue

    found = issues_by_code(record)
    assert any(i["cell"] == "H7" and "26.16%" in i["message"] for i in found["B205"])  # 执行率低
    assert any("自助终端机" in i["message"] and "209" in i["message"] for i in found["I306"])  # 23 台 vs 11 台
    assert found["I310"], "成本指标 share one 分值 40 for the whole block"
    assert any(i["cell"].endswith(str(ROW_OF["业务系统指纹及人脸识别设备采购"])) and "0%" in i["message"]
               and "23.4" in i["message"] for i in found["I304"])  # 23.40万元 vs 0%
    zero_rows = {name for name in ZERO_COST_ROWS if any(f"“{name}”" in i["message"] for i in found["I311"])}
    assert zero_rows == set(ZERO_COST_ROWS)
    i308_rows = {int(re.sub(r"\D", "", i["cell"])) for i in found["I308"]}
    assert {ROW_OF["提升中心服务质量，提升中心办结业务进度"], ROW_OF["缴存单位及群众对中心业务服务能力更满意"]} <= i308_rows
    cost = [i for i in found["I307"] if i["cell"] == f"H{ROW_OF['数据库安全项目建设(已完工）']}"]
    assert cost and isinstance(cost[0]["suggested"], (int, float)) and 0 <= cost[0]["suggested"] <= 40
    assert cost[0]["suggested"] != 20  # the printed 得分 20 is what differs from the rule
    assert run.code == 1  # I304 (unit mismatch) is an error


def test_text_output_is_linter_style_with_one_verdict_line(tmp_path):
    form = example_copy(tmp_path)
    run = run_check(form.name, cwd=tmp_path)
    assert run.code == 1
    *issue_lines, verdict = run.lines
    assert issue_lines
    for line in issue_lines:
        match = ISSUE_LINE.match(line)
        assert match, line
        assert match["file"] == form.name and match["sheet"] == SHEET
        assert CJK.search(match["message"])
    summary = VERDICT.match(verdict)
    assert summary, verdict
    assert (summary["file"], summary["total"], summary["grade"], summary["rate"]) == (form.name, "72.62", "中", "26.16%")
    levels = [ISSUE_LINE.match(line)["level"] for line in issue_lines]
    assert int(summary["errors"]) == levels.count("错误") >= 1
    assert int(summary["warnings"]) == levels.count("警告") >= 7
    assert "提示" not in levels  # infos only with --info

    with_info = run_check(form.name, "--info", cwd=tmp_path)
    assert any(ISSUE_LINE.match(line)["level"] == "提示" for line in with_info.lines[:-1])
    assert with_info.lines[-1] == verdict


def test_a_folder_gives_one_verdict_per_file(tmp_path):
    example_copy(tmp_path, "a.xlsx")
    example_copy(tmp_path, "b.xlsx")
    run = run_check(tmp_path)
    verdicts = [line for line in run.lines if VERDICT.match(line)]
    assert [VERDICT.match(v)["file"] for v in verdicts] == [str(tmp_path / "a.xlsx"), str(tmp_path / "b.xlsx")]
    assert run.lines[-1] == verdicts[-1]


# --- exit codes -----------------------------------------------------------------------------------------------


@pytest.fixture
def three_kinds(tmp_path) -> dict[str, Path]:
    """A form without errors, one with an error, and a file that is not a workbook."""
    clean = example_copy(tmp_path, "clean.xlsx", {"F19": "0万元"})  # the 0% row written in 万元 like its target
    broken = example_copy(tmp_path, "error.xlsx")
    junk = tmp_path / "junk.xlsx"
    junk.write_text("这不是工作簿", encoding="utf-8")
    return {"clean": clean, "error": broken, "junk": junk}


def test_exit_codes(three_kinds):
    clean, broken, junk = three_kinds["clean"], three_kinds["error"], three_kinds["junk"]
    ok = run_check(clean)
    assert ok.code == 0, ok.out
    assert VERDICT.match(ok.lines[-1])["errors"] == "0"
    assert run_check(broken).code == 1
    assert run_check(clean, broken).code == 1
    assert run_check(junk).code == 2
    assert run_check(clean, junk).code == 2
    assert run_check(broken, junk).code == 2  # unreadable wins over errors
    assert run_check(junk, broken).code == 2
    assert run_check(broken, "--exit-zero").code == 0
    assert run_check(broken, junk, "--exit-zero").code == 2


def test_json_lists_every_form_and_unreadable_files_with_an_error_key(three_kinds):
    run = run_check(three_kinds["clean"], three_kinds["junk"], three_kinds["error"], "--json")
    assert run.code == 2
    clean, junk, broken = run.records
    assert clean["file"] == str(three_kinds["clean"]) and "error" not in clean
    assert clean["total"] == 72.62 and clean["grade"] == "中" and clean["execution_score"] == 2.62
    assert round(clean["execution_rate"], 4) == 0.2616
    assert not [i for i in clean["issues"] if i["severity"] == "error"]
    assert junk["file"] == str(three_kinds["junk"])
    assert "junk.xlsx" in junk["error"] and CJK.search(junk["error"])
    assert broken["errors"] >= 1 and any(i["severity"] == "error" for i in broken["issues"])


# --- writing --------------------------------------------------------------------------------------------------


def test_without_output_flags_nothing_is_written(tmp_path):
    example_copy(tmp_path, "a.xlsx")
    example_copy(tmp_path, "b.xlsx", {"H14": None})
    (tmp_path / "note.txt").write_text("x", encoding="utf-8")
    before = snapshot(tmp_path)
    run_check(tmp_path)
    run_check(tmp_path, "--json")
    assert snapshot(tmp_path) == before


def test_output_writes_a_scored_copy(tmp_path):
    # The two 数量 rows with their typed 得分 removed: the published form scores them 2.5 and 2.5.
    form = example_copy(tmp_path / "in", cells={"H14": None, "H15": None})
    before = sha256(form)
    run = run_check(form, "--output", tmp_path / "out", "--json")
    assert sha256(form) == before
    [record] = run.records
    out = tmp_path / "out" / form.name
    assert record["written"] == str(out) and out.exists()
    assert record["total"] == 72.62

    wb = openpyxl.load_workbook(out)
    ws = wb[SHEET]
    assert ws["H14"].value == 2.5 and ws["H15"].value == 2.5  # empty 得分 cells get the rule score
    assert ws["H17"].value == 20  # a typed 得分 stays
    for row in (14, 15, 16, 17, 32):  # owned columns: 建议得分 and 计分说明
        assert isinstance(ws[f"K{row}"].value, (int, float)), row
        assert CJK.search(ws[f"L{row}"].value or ""), row
    assert ws["K14"].value == 2.5

    by_cell = {}
    for issue in record["issues"]:
        by_cell.setdefault(issue["cell"], []).append(issue)
    assert fill_rgb(ws["F19"]) == ERROR_FILL
    assert "[I304]" in ws["F19"].comment.text and ws["F19"].comment.author == "perfeval-xl"
    assert fill_rgb(ws["H17"]) == WARNING_FILL and "[I307]" in ws["H17"].comment.text
    for cell, issues in by_cell.items():
        if cell and any(i["severity"] in ("error", "warning") for i in issues):
            worst = ERROR_FILL if any(i["severity"] == "error" for i in issues) else WARNING_FILL
            assert fill_rgb(ws[cell]) == worst, cell
            assert ws[cell].comment is not None, cell
    assert fill_rgb(ws["D14"]) == INPUT_FILL and ws["D14"].comment is None  # untouched cells keep the template look

    rows, header_row = results_rows(wb)
    assert [(r[2], r[3]) for r in rows] == [(i["code"], i["cell"] or "（全表）") for i in record["issues"]]
    rs = wb[RESULTS]
    for offset, row in enumerate(rows, start=1):
        link = rs.cell(header_row + offset, 4).hyperlink
        if row[3] != "（全表）":
            assert link is not None and link.location == f"'{SHEET}'!{row[3]}", row


def test_scored_copy_recalculates_to_the_published_total_in_libreoffice(tmp_path):
    from lo import recalculate

    form = example_copy(tmp_path / "in", cells={"H14": None, "H15": None})
    run_check(form, "--output", tmp_path / "out")
    recalculated = recalculate(tmp_path / "out" / form.name, tmp_path / "lo")
    ws = openpyxl.load_workbook(recalculated, data_only=True)[SHEET]
    assert round(ws["H7"].value, 4) == 0.2616
    assert ws["I7"].value == 2.62
    assert ws["H44"].value == 72.62
    assert ws["H45"].value == "中"


def test_in_place_keeps_a_backup_and_the_file_permissions(tmp_path):
    form = example_copy(tmp_path, cells={"H14": None})
    os.chmod(form, 0o640)
    original = sha256(form)
    run = run_check(form, "--in-place")
    assert run.code == 1
    backup = tmp_path / "seed004.bak.xlsx"
    assert sha256(backup) == original
    assert (form.stat().st_mode & 0o777) == 0o640
    wb = openpyxl.load_workbook(form)
    assert RESULTS in wb.sheetnames and wb[SHEET]["H14"].value == 2.5
    # The backup is not picked up as a form when the folder is checked again.
    again = run_check(tmp_path)
    assert [VERDICT.match(line)["file"] for line in again.lines if VERDICT.match(line)] == [str(form)]


def test_output_never_drops_a_file_already_in_the_output_folder(tmp_path):
    form = example_copy(tmp_path / "in")
    out = tmp_path / "out"
    run_check(form, "-o", out)
    edit_workbook(out / form.name, out / form.name, {"I19": "已与财政核对，单位口径不同。"})  # someone works on the copy
    edited = sha256(out / form.name)
    run = run_check(form, "-o", out)
    assert sha256(out / "seed004.bak.xlsx") == edited
    assert "seed004.bak.xlsx" in run.out


def test_two_inputs_with_the_same_name_are_not_written_over_each_other(tmp_path):
    first = example_copy(tmp_path / "a")
    second = example_copy(tmp_path / "b", cells={"H14": None})
    run = run_check(first, second, "-o", tmp_path / "out")
    assert run.code == 2
    assert sha256(tmp_path / "out" / "seed004.xlsx") != sha256(first)  # the first one was scored and written
    line = next(line for line in run.lines if line.startswith(str(second)))
    assert "同名" in line and CJK.search(line)
    assert not (tmp_path / "out" / "seed004.bak.xlsx").exists()


def test_output_folder_equal_to_the_input_folder_is_refused(tmp_path):
    form = example_copy(tmp_path)
    before = snapshot(tmp_path)
    run = run_check(form, "-o", tmp_path)
    assert run.code == 2
    assert "seed004.xlsx" in run.out and "--in-place" in run.out
    assert snapshot(tmp_path) == before


def test_output_and_in_place_together_are_refused(tmp_path):
    form = example_copy(tmp_path)
    before = snapshot(tmp_path)
    run = run_check(form, "-o", tmp_path / "out", "--in-place")
    assert run.code == 2
    assert CJK.search(run.err) and "Traceback" not in run.err
    assert snapshot(tmp_path) == before


def test_a_crash_inside_the_checker_is_one_chinese_line_and_the_batch_goes_on(tmp_path, monkeypatch, capsys):
    from perfeval_xl import cli, xlsx_io

    good = example_copy(tmp_path, "a.xlsx")
    bad = example_copy(tmp_path, "b.xlsx")
    real = xlsx_io.evaluate

    def sometimes_broken(form, *args, **kwargs):
        if form.source == "b.xlsx":
            raise ZeroDivisionError("float division by zero")
        return real(form, *args, **kwargs)

    monkeypatch.setattr(xlsx_io, "evaluate", sometimes_broken)
    before = snapshot(tmp_path)
    assert cli.main(["check", str(good), str(bad)]) == 2
    captured = capsys.readouterr()
    [line] = [line for line in captured.out.splitlines() if line.startswith(f"{bad}: ")]
    assert line.startswith(f"{bad}: 无法校验：") and "维护人员" in line
    assert "Traceback" not in captured.out + captured.err and "division" not in line
    assert VERDICT.match(next(line for line in captured.out.splitlines() if line.startswith(f"{good}: ")))
    assert snapshot(tmp_path) == before

    assert cli.main(["check", str(bad), "--json"]) == 2
    [record] = json.loads(capsys.readouterr().out)
    assert record["file"] == str(bad) and "b.xlsx" in record["error"]
