"""`check --output` / `--in-place` never lose what a person typed, and running it again changes nothing.

Each test writes real workbooks to tmp_path, edits the scored copy as a person would (openpyxl stands in for
Excel), and runs the CLI again on it.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment

from test_cli import (EXAMPLE, ERROR_FILL, INPUT_FILL, RESULTS, SHEET, TEMPLATE, WARNING_FILL, edit_workbook, example_copy,
                      fill_rgb, run_check, sha256, snapshot)

STATE_HEADER_START = "本工具填入的单元格"


def scored(form: Path, out: Path, *args) -> Path:
    run = run_check(form, "--output", out, *args)
    assert run.code in (0, 1), run.out
    return out / form.name


def state_of(path: Path) -> dict[str, tuple]:
    """The state section of 校验结果: cell -> (填入值, 标记, 原底色, 所在指标)."""
    rows = list(openpyxl.load_workbook(path)[RESULTS].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if isinstance(row[0], str) and row[0].startswith(STATE_HEADER_START))
    state = {}
    for row in rows[start + 2:]:
        if not row[0]:
            break
        state[row[0]] = tuple(row[1:5])
    return state


def workbook_picture(path: Path) -> dict:
    """Everything a person sees: per sheet, every cell's value, fill and note, the links, the defined names."""
    wb = openpyxl.load_workbook(path)
    picture = {"sheets": wb.sheetnames, "names": {n: d.attr_text for n, d in wb.defined_names.items()}}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for cell in row:
                comment = (cell.comment.author, cell.comment.text) if cell.comment else None
                link = cell.hyperlink.location or cell.hyperlink.target if cell.hyperlink else None
                entry = (cell.value, cell.fill.fill_type, fill_rgb(cell), comment, link)
                if entry != (None, None, "", None, None):
                    cells[cell.coordinate] = entry
        picture[ws.title] = cells
    return picture


def template_formulas() -> dict[str, str]:
    ws = openpyxl.load_workbook(TEMPLATE)[SHEET]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value.startswith("=")}


# --- typed values win ----------------------------------------------------------------------------------------


def test_a_typed_score_that_differs_from_the_rule_is_kept_with_a_suggestion(tmp_path):
    form = example_copy(tmp_path / "in")  # H17 typed 20 for the cost block, as printed
    run = run_check(form, "--output", tmp_path / "out", "--json")
    [record] = run.records
    [i307] = [i for i in record["issues"] if i["code"] == "I307" and i["cell"] == "H17"]
    assert i307["severity"] == "warning" and isinstance(i307["suggested"], float) and i307["suggested"] != 20
    ws = openpyxl.load_workbook(tmp_path / "out" / form.name)[SHEET]
    assert ws["H17"].value == 20
    assert ws["K17"].value == i307["suggested"]  # the suggestion goes to 建议得分, beside the typed value
    assert fill_rgb(ws["H17"]) == WARNING_FILL and "[I307]" in ws["H17"].comment.text
    assert "H17" not in {cell for cell, (filled, *_) in state_of(tmp_path / "out" / form.name).items()
                         if filled not in (None, "")}


def test_checking_the_scored_copy_again_gives_the_same_workbook(tmp_path):
    form = example_copy(tmp_path / "in", cells={"H14": None, "H15": None})
    first = scored(form, tmp_path / "out1")
    second = scored(first, tmp_path / "out2")
    third = scored(second, tmp_path / "out3")
    assert workbook_picture(first) == workbook_picture(second) == workbook_picture(third)
    # And what we filled is recorded as ours, so the next run may update it.
    assert state_of(first)["H14"][0] == 2.5 and state_of(first)["H15"][0] == 2.5


def test_in_place_twice_changes_nothing_the_second_time(tmp_path):
    form = example_copy(tmp_path, cells={"H14": None})
    assert run_check(form, "--in-place").code == 1
    once = workbook_picture(form)
    assert run_check(form, "--in-place").code == 1
    assert workbook_picture(form) == once


def test_a_value_typed_over_our_fill_is_kept_on_the_next_runs(tmp_path):
    form = example_copy(tmp_path / "in", cells={"H14": None})
    first = scored(form, tmp_path / "out1")
    assert openpyxl.load_workbook(first)[SHEET]["H14"].value == 2.5
    typed = edit_workbook(first, tmp_path / "edited" / "seed004.xlsx", {"H14": 2})  # the unit scores it 2
    second = scored(typed, tmp_path / "out2")
    ws = openpyxl.load_workbook(second)[SHEET]
    assert ws["H14"].value == 2
    assert "[I307]" in ws["H14"].comment.text  # reported, with the rule's 2.5 as suggestion
    assert ws["K14"].value == 2.5
    assert state_of(second).get("H14", (None,))[0] in (None, "")  # no longer ours
    third = scored(second, tmp_path / "out3")
    assert openpyxl.load_workbook(third)[SHEET]["H14"].value == 2


def test_clearing_an_input_empties_our_fill_but_not_a_typed_score(tmp_path):
    form = example_copy(tmp_path / "in", cells={"H14": None})  # H14 ours after the run; H15 typed 2.5
    first = scored(form, tmp_path / "out1")
    ws = openpyxl.load_workbook(first)[SHEET]
    assert (ws["H14"].value, ws["H15"].value) == (2.5, 2.5)
    cleared = edit_workbook(first, tmp_path / "edited" / "seed004.xlsx", {"F14": None, "F15": None})
    second = scored(cleared, tmp_path / "out2")
    ws = openpyxl.load_workbook(second)[SHEET]
    assert ws["H14"].value is None  # we filled it, its input is gone: emptied again
    assert ws["H15"].value == 2.5  # typed by the unit: kept
    assert ws["K14"].value in (None, "")  # no suggestion any more
    assert "H14" not in state_of(second) or state_of(second)["H14"][0] in (None, "")


def test_template_formulas_are_never_replaced_by_values(tmp_path):
    formulas = template_formulas()
    assert {"H7", "I7", "H44", "H45"} <= set(formulas)  # 执行率, 预算执行得分, 总分, 评价等次
    form = example_copy(tmp_path / "in", cells={"H14": None})
    first = scored(form, tmp_path / "out1")
    second = scored(edit_workbook(first, tmp_path / "edited" / "seed004.xlsx", {"F14": None}), tmp_path / "out2")
    for path in (first, second):
        ws = openpyxl.load_workbook(path)[SHEET]
        assert {ref: ws[ref].value for ref in formulas} == formulas, path


def test_marks_from_an_earlier_run_are_replaced_not_piled_up(tmp_path):
    form = example_copy(tmp_path / "in")
    first = scored(form, tmp_path / "out1")
    ws = openpyxl.load_workbook(first)[SHEET]
    assert fill_rgb(ws["F26"]) == WARNING_FILL and "[I311]" in ws["F26"].comment.text  # 0万元 cost row
    assert fill_rgb(ws["F19"]) == ERROR_FILL
    # The unit fills the 0万元 row with what was spent: the I311 mark must go, the template colour come back.
    fixed = edit_workbook(first, tmp_path / "edited" / "seed004.xlsx", {"F26": "50万元"})
    second = scored(fixed, tmp_path / "out2")
    ws = openpyxl.load_workbook(second)[SHEET]
    assert fill_rgb(ws["F26"]) == INPUT_FILL and ws["F26"].comment is None
    assert "F26" not in state_of(second)
    for ref in ("F19", "F27", "H17"):  # still wrong: one mark, one note, each issue once
        assert ws[ref].comment.text.count("[") == ws[ref].comment.text.count("\n") + 1, ref
    assert ws["F27"].comment.text.count("[I311]") == 1
    assert fill_rgb(ws["F19"]) == ERROR_FILL
    assert state_of(second)["F19"][2] == INPUT_FILL  # the colour to restore is the template's, not our red


def test_a_note_someone_wrote_is_never_dropped(tmp_path):
    form = example_copy(tmp_path / "in")
    person = Comment("得分经局务会审定，维持 20 分。", "王会计")
    wb = openpyxl.load_workbook(form)
    wb[SHEET]["H17"].comment = person
    wb[SHEET]["D14"].comment = Comment("终端机分布在三个网点。", "王会计")
    wb.save(form)
    first = scored(form, tmp_path / "out1")
    ws = openpyxl.load_workbook(first)[SHEET]
    assert ws["H17"].comment.text.startswith("得分经局务会审定，维持 20 分。")
    assert "[I307]" in ws["H17"].comment.text and ws["H17"].comment.author == "王会计"
    assert ws["D14"].comment.text == "终端机分布在三个网点。"
    # Again: our part is replaced, not appended twice.
    second = scored(first, tmp_path / "out2")
    assert openpyxl.load_workbook(second)[SHEET]["H17"].comment.text == ws["H17"].comment.text
    # The unit takes the suggestion: our part goes, theirs stays exactly as typed.
    suggestion = ws["K17"].value
    resolved = scored(edit_workbook(second, tmp_path / "edited" / "seed004.xlsx", {"H17": suggestion}),
                      tmp_path / "out3")
    ws = openpyxl.load_workbook(resolved)[SHEET]
    assert ws["H17"].comment.text == "得分经局务会审定，维持 20 分。" and ws["H17"].comment.author == "王会计"
    assert fill_rgb(ws["H17"]) == INPUT_FILL


def test_words_typed_into_our_note_are_kept(tmp_path):
    first = scored(example_copy(tmp_path / "in"), tmp_path / "out1")
    wb = openpyxl.load_workbook(first)
    note = wb[SHEET]["F26"].comment
    wb[SHEET]["F26"].comment = Comment(note.text + "\n已请示：该项目 2024 年续建。", note.author)
    wb[SHEET]["F26"].value = "50万元"  # and the issue goes away
    edited = tmp_path / "edited" / "seed004.xlsx"
    edited.parent.mkdir()
    wb.save(edited)
    ws = openpyxl.load_workbook(scored(edited, tmp_path / "out2"))[SHEET]
    assert ws["F26"].comment is not None and "已请示：该项目 2024 年续建。" in ws["F26"].comment.text
    assert "[I311]" not in ws["F26"].comment.text


def test_a_row_now_holding_another_indicator_is_not_ours_even_with_our_old_value(tmp_path):
    # Run 1 fills H14 = 2.5 for 自助终端机. The unit then puts another indicator in that row and types 2.5 itself
    # (its judgment; the rule gives 3 / 4 × 2.5). The cell's address and value are what we wrote, but it is theirs.
    form = example_copy(tmp_path / "in", cells={"H14": None})
    first = scored(form, tmp_path / "out1")
    assert state_of(first)["H14"][0] == 2.5
    replaced = edit_workbook(first, tmp_path / "edited" / "seed004.xlsx",
                             {"D14": "新增服务网点", "E14": "≥4个", "F14": "3个", "H14": 2.5, "I14": "一处网点选址未定。"})
    second = scored(replaced, tmp_path / "out2")
    ws = openpyxl.load_workbook(second)[SHEET]
    assert ws["H14"].value == 2.5  # kept
    assert "[I307]" in ws["H14"].comment.text and ws["K14"].value != 2.5  # reported with the rule's suggestion
    assert state_of(second).get("H14", (None,))[0] in (None, "")


def test_a_row_left_as_it_was_is_still_ours(tmp_path):
    # The same check must not stop us updating our own fill when only the inputs changed.
    form = example_copy(tmp_path / "in", cells={"H15": None})
    first = scored(form, tmp_path / "out1")
    assert openpyxl.load_workbook(first)[SHEET]["H15"].value == 2.5  # 10台 against ≥10台
    changed = edit_workbook(first, tmp_path / "edited" / "seed004.xlsx", {"F15": "8台"})
    ws = openpyxl.load_workbook(scored(changed, tmp_path / "out2"))[SHEET]
    assert ws["H15"].value == 2  # 2.5 × 8 / 10: our fill follows its input
    assert state_of(tmp_path / "out2" / "seed004.xlsx")["H15"][3] == "中心电脑及打印机等设备购置"


def test_a_results_sheet_from_before_the_row_column_still_works(tmp_path):
    form = example_copy(tmp_path / "in", cells={"H15": None})
    first = scored(form, tmp_path / "out1")
    wb = openpyxl.load_workbook(first)
    rs = wb[RESULTS]
    start = next(r for r in range(1, rs.max_row + 1) if str(rs.cell(r, 1).value or "").startswith(STATE_HEADER_START))
    for r in range(start + 1, rs.max_row + 1):
        rs.cell(r, 5).value = None  # a 校验结果 sheet written by the previous version: four state columns
    wb["自评表"]["F15"].value = "8台"
    old = tmp_path / "old" / "seed004.xlsx"
    old.parent.mkdir()
    wb.save(old)
    assert openpyxl.load_workbook(scored(old, tmp_path / "out2"))[SHEET]["H15"].value == 2


# --- atomic writes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"), RuntimeError("boom")])
@pytest.mark.parametrize("mode", ["output", "in-place"])
def test_a_failed_save_leaves_the_destination_untouched(tmp_path, monkeypatch, capsys, failure, mode):
    from openpyxl.workbook.workbook import Workbook

    from perfeval_xl import cli

    form = example_copy(tmp_path / "in", cells={"H14": None})
    out = tmp_path / "out"
    scored(form, out)  # a scored copy already there, which the failed run must not damage
    before_in, before_out = snapshot(form.parent), snapshot(out)
    attempts = []

    def failing_save(self, filename):
        attempts.append(Path(filename))
        with open(filename, "wb") as handle:
            handle.write(b"PK\x03\x04 half a workbook")  # a partial file, as a crash halfway would leave
        raise failure

    monkeypatch.setattr(Workbook, "save", failing_save)
    args = ["check", str(form), "--output", str(out)] if mode == "output" else ["check", str(form), "--in-place"]
    status = cli.main(args)
    printed = capsys.readouterr().out
    assert status == 2
    assert attempts and all(p.parent == (out if mode == "output" else form.parent) for p in attempts)
    assert attempts[0] not in (out / form.name, form)  # written beside the target, never onto it
    assert snapshot(form.parent) == before_in and snapshot(out) == before_out  # no temp file, no .bak
    line = next(line for line in printed.splitlines() if line.startswith(f"{form}: "))
    assert "无法写入" in line and "保存" in line and "原样" in line
    if isinstance(failure, OSError):
        assert "磁盘空间不足" in line
    assert "No space" not in printed and "boom" not in printed


def test_save_atomically_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    form = example_copy(tmp_path, cells={"H14": None})
    os.chmod(form, 0o604)
    assert run_check(form, "--in-place").code == 1
    assert form.stat().st_mode & 0o777 == 0o604
    assert sha256(tmp_path / "seed004.bak.xlsx") != sha256(form)


# --- content openpyxl cannot carry ------------------------------------------------------------------------------

_PNG_1X1 = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
                         "ffff3f0005fe02fea7d6a4a90000000049454e44ae426082")


def with_picture(src: Path, dest: Path) -> Path:
    """`src` with a picture on the form sheet (a scanned 公章, say), wired as Excel writes it."""
    import zipfile

    drawing = (
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<xdr:oneCellAnchor><xdr:from><xdr:col>8</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>44</xdr:row>'
        '<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="952500" cy="952500"/>'
        '<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="公章"/><xdr:cNvPicPr/></xdr:nvPicPr>'
        '<xdr:blipFill><a:blip r:embed="rIdImg"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
        '<xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/>'
        '</xdr:oneCellAnchor></xdr:wsDr>')
    rel = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
           '<Relationship Id="{id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{type}" '
           'Target="{target}"/></Relationships>')
    with zipfile.ZipFile(src) as archive, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</worksheet>", b'<drawing xmlns:r="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships" r:id="rIdDr"/></worksheet>')
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Default Extension="png" ContentType="image/png"/><Override '
                                    b'PartName="/xl/drawings/drawing1.xml" ContentType="application/vnd.'
                                    b'openxmlformats-officedocument.drawing+xml"/></Types>')
            out.writestr(zipfile.ZipInfo(info.filename, info.date_time), data)
        assert "xl/worksheets/_rels/sheet1.xml.rels" not in archive.namelist()
        out.writestr("xl/worksheets/_rels/sheet1.xml.rels", rel.format(id="rIdDr", type="drawing",
                                                                        target="../drawings/drawing1.xml"))
        out.writestr("xl/drawings/drawing1.xml", drawing)
        out.writestr("xl/drawings/_rels/drawing1.xml.rels", rel.format(id="rIdImg", type="image",
                                                                        target="../media/image1.png"))
        out.writestr("xl/media/image1.png", _PNG_1X1)
    return dest


def _has_picture(path: Path) -> bool:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return any(n.startswith("xl/media/") for n in archive.namelist())


def _openpyxl_keeps_pictures(folder: Path) -> bool:
    folder.mkdir()
    openpyxl.load_workbook(with_picture(EXAMPLE, folder / "p.xlsx")).save(folder / "saved.xlsx")
    return _has_picture(folder / "saved.xlsx")


def test_in_place_is_refused_when_the_copy_would_lose_a_picture(tmp_path):
    (tmp_path / "in").mkdir()
    form = with_picture(EXAMPLE, tmp_path / "in" / "盖章.xlsx")
    if _openpyxl_keeps_pictures(tmp_path / "probe"):
        # With Pillow (a test dependency) openpyxl carries the picture: then --in-place must write and keep it.
        done = run_check(form, "--in-place")
        assert done.code == 1 and f"{form}: 已写入评分后的工作簿" in done.out
        assert _has_picture(form)
        return
    before = snapshot(form.parent)

    refused = run_check(form, "--in-place")
    assert refused.code == 2
    [line] = refused.lines
    assert line.startswith(f"{form}: 无法写入：") and "图片" in line and "--output" in line
    assert snapshot(form.parent) == before  # no rewrite, no backup

    copy = run_check(form, "--output", tmp_path / "out")
    assert copy.code == 1  # the form itself is checked and scored as usual
    assert f"{form}: 注意：" in copy.out and "图片" in copy.out
    assert (tmp_path / "out" / form.name).exists()
    assert snapshot(form.parent) == before
