"""check → clear gives back the original, cell by cell, whatever application saved it (issue #12, "Exact restore").

Every example workbook and every writable kind of tests/hostile/kinds_write.py goes through the CLI as a person
runs it (subprocesses): `check --in-place`, then `clear`, and the result is compared with a copy of the original
taken before: value and its type, number format, the whole fill (pattern, rgb with alpha, theme with tint,
indexed, gradient), the note's text and author, the sheet list, and the raw text of numbers that are not finite.
The kinds that a copy would lose something of are refused in place and copied with the loss named.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from hostile.kinds_write import KINDS
from restore_support import differences, raw_non_finite
from test_cli import CJK, REPO, sha256, snapshot

EXAMPLES = sorted((REPO / "examples").glob("*.xlsx")) + sorted((REPO / "examples" / "printed").glob("*.xlsx"))
WRITABLE = [kind for kind in KINDS if kind.writable]
NOT_WRITABLE = [kind for kind in KINDS if not kind.writable]
ENGLISH_ERRORS = ("Error", "Exception", "Traceback", "errno")


def cli(*args) -> subprocess.CompletedProcess:
    """`perfeval-xl ARGS` in a fresh interpreter, as a person runs it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("PERFEVAL_XL_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", *map(str, args)], env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)
    output = proc.stdout + proc.stderr
    assert not any(word in output for word in ENGLISH_ERRORS), output
    return proc


def _restore_round_trip(form: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference.xlsx"
    shutil.copyfile(form, reference)
    original = sha256(form)

    checked = cli("check", form, "--in-place")
    assert checked.returncode in (0, 1), checked.stdout
    assert f"{form}: 已写入评分后的工作簿 {form}" in checked.stdout
    assert "校验结果" in openpyxl.load_workbook(form).sheetnames
    backup_line = next(line for line in checked.stdout.splitlines() if "原文件已备份为" in line)
    backup = Path(backup_line.split("原文件已备份为 ", 1)[1])
    assert sha256(backup) == original  # the person's original, byte for byte

    cleared = cli("clear", form)
    assert cleared.returncode == 0, cleared.stdout
    assert cleared.stdout.startswith(f"{form}: 已清除校验标记") and CJK.search(cleared.stdout)
    assert differences(reference, form) == []
    assert sha256(backup) == original  # clear made its own backup, never over the first one


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_every_example_comes_back_exactly(example, tmp_path):
    form = tmp_path / "in" / example.name
    form.parent.mkdir()
    shutil.copyfile(example, form)
    _restore_round_trip(form, tmp_path)


@pytest.mark.parametrize("kind", WRITABLE, ids=[k.name for k in WRITABLE])
def test_every_writable_kind_comes_back_exactly(kind, tmp_path):
    form = kind.build(tmp_path / "in")
    _restore_round_trip(form, tmp_path)


@pytest.mark.parametrize("kind", WRITABLE, ids=[k.name for k in WRITABLE])
def test_the_scored_copy_keeps_every_typed_value_and_clears_back(kind, tmp_path):
    form = kind.build(tmp_path / "in")
    before = snapshot(form.parent)
    scored = cli("check", form, "--output", tmp_path / "out")
    assert scored.returncode in (0, 1), scored.stdout
    copy = tmp_path / "out" / form.name
    assert raw_non_finite(copy) == raw_non_finite(form)  # 1e999, NaN… are not blanked
    cleared = cli("clear", copy, "--output", tmp_path / "cleared")
    assert cleared.returncode == 0, cleared.stdout
    assert differences(form, tmp_path / "cleared" / form.name) == []
    assert snapshot(form.parent) == before  # --output never touches the original


@pytest.mark.parametrize("kind", NOT_WRITABLE, ids=[k.name for k in NOT_WRITABLE])
def test_a_copy_that_would_lose_something_is_refused_in_place_and_named(kind, tmp_path):
    form = kind.build(tmp_path / "in")
    before = snapshot(form.parent)
    refused = cli("check", form, "--in-place")
    assert refused.returncode == 2
    line = next(line for line in refused.stdout.splitlines() if line.startswith(f"{form}: 无法写入："))
    assert "无法保留" in line and "--output" in line and "原文件未改动" in line
    assert snapshot(form.parent) == before  # no rewrite, no backup, no temp file

    copied = cli("check", form, "--output", tmp_path / "out")
    assert copied.returncode in (0, 1)
    notice = next(line for line in copied.stdout.splitlines() if line.startswith(f"{form}: 注意："))
    lost = line.split("工作簿中有", 1)[1].split("，本工具", 1)[0]
    assert lost and lost in notice  # the same loss, named in both messages
    assert (tmp_path / "out" / form.name).exists() and snapshot(form.parent) == before


def test_cells_that_stay_unwritten_are_listed_in_the_results_sheet(tmp_path):
    kinds = {kind.name: kind for kind in KINDS}
    merged = kinds["merged-over-computed"].build(tmp_path / "merged")
    run = cli("check", merged, "--output", tmp_path / "out")
    assert run.returncode == 1
    assert f"{merged}: 注意：L14 在合并单元格 K14:L14 的范围内" in run.stdout
    wb = openpyxl.load_workbook(tmp_path / "out" / merged.name)
    rows = list(wb["校验结果"].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == "未写入的单元格")
    listed = {row[3]: row[4] for row in rows[start + 2:] if row[1] == "提示"}
    assert "L14" in listed and "K14:L14" in listed["L14"]
    assert wb["自评表"]["K14"].value == 2.5  # the top-left cell of the merge is written as usual

    infinite = kinds["inf-number"].build(tmp_path / "inf")
    run = cli("check", infinite, "--output", tmp_path / "out2")
    ws = openpyxl.load_workbook(tmp_path / "out2" / infinite.name)["校验结果"]
    assert any(row[3] == "H15" and "1e999" in row[4] for row in ws.iter_rows(values_only=True) if row[1] == "提示")


def test_every_kind_of_fill_is_written_to_the_state_and_read_back_equal():
    from openpyxl.styles import GradientFill, PatternFill
    from openpyxl.styles.colors import Color

    from perfeval_xl.xlsx_io import fill_from_text, fill_text

    fills = [PatternFill(), PatternFill("solid", fgColor="FFFFF2CC", bgColor="FFF2F2F2"),
             PatternFill("solid", fgColor="00FFF2CC"), PatternFill("solid", fgColor=Color(theme=4, tint=0.3999755851924192)),
             PatternFill("solid", fgColor=Color(indexed=13), bgColor=Color(indexed=64)),
             PatternFill("darkTrellis", fgColor=Color(auto=True), bgColor=Color(theme=0, tint=-0.5)),
             GradientFill(stop=("FFFFFF", "4F81BD"), degree=90)]
    for fill in fills:
        text = fill_text(fill)
        assert "\n" not in text and fill_from_text(text) == fill, text
    assert fill_from_text("FFF2CC") is None and fill_from_text("pattern|solid|rgb:nonsense") is None


def test_a_results_sheet_written_before_the_whole_fill_was_kept_still_clears(tmp_path):
    """Sheets written by the previous version have no 原填充 column: clear falls back to 原底色 (a colour)."""
    example = REPO / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"
    form = tmp_path / example.name
    shutil.copyfile(example, form)
    assert cli("check", form, "--in-place").returncode == 1
    wb = openpyxl.load_workbook(form)
    ws = wb["校验结果"]
    header = next(row for row in ws.iter_rows() if row[0].value == "单元格" and row[3].value == "原底色")
    assert header[5].value == "原填充"
    for row in ws.iter_rows(min_row=header[0].row):
        row[5].value = None  # as the previous version wrote it: five columns
    wb.save(form)
    assert cli("clear", form).returncode == 0
    assert differences(example, form) == []  # the example's fills are plain solid colours: the colour is enough
