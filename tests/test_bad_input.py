"""Every bad input gets a clear Chinese answer: the file (and the cell, when a cell is at fault), never a traceback,
and the input file byte-for-byte unchanged.

Bad files are real files written to tmp_path: a text file renamed .xlsx, a workbook cut in half, an .xls made by
LibreOffice, a workbook encrypted with msoffcrypto-tool, an .xlsm carrying a real vbaProject.bin, cells holding
cached error values (one computed by LibreOffice from =1/0), and so on.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest

from test_cli import (CJK, EXAMPLE, ISSUE_LINE, REPO, SHEET, TEMPLATE, VERDICT, example_copy, issues_by_code,
                      run_check, sha256, snapshot)


def _need(module: str):
    """Import a test dependency; a skip locally, a failure in CI (pyproject's `test` extra installs it)."""
    try:
        return __import__(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is required in CI (pip install -e '.[test]')")
        pytest.skip(f"{module} is not installed")


def _soffice() -> str:
    from lo import soffice

    return soffice()


def make_xls(folder: Path) -> Path:
    """A genuine Excel 97-2003 file: our example converted by LibreOffice."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([_soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xls",
                        "--outdir", str(folder), str(example_copy(folder / "src"))],
                       check=True, capture_output=True, timeout=180)
    return folder / "seed004.xls"


def make_encrypted(folder: Path) -> Path:
    """Our example with an open password (OOXML agile encryption, as Excel's 用密码进行加密 does)."""
    _need("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with EXAMPLE.open("rb") as handle:
        OOXMLFile(handle).encrypt("123456", out)
    path = folder / "加密.xlsx"
    path.write_bytes(out.getvalue())
    return path


def vba_project_bin() -> bytes:
    """A real vbaProject.bin: our own add-in's, else xlwings' quickstart workbook's."""
    for source in (REPO / "addin" / "perfeval_xl.xlam", REPO / "perfeval_xl" / "data" / "perfeval_xl.xlam"):
        if source.exists():
            with zipfile.ZipFile(source) as archive:
                if "xl/vbaProject.bin" in archive.namelist():
                    return archive.read("xl/vbaProject.bin")
    import xlwings

    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart.xlsm") as archive:
        return archive.read("xl/vbaProject.bin")


def make_xlsm(folder: Path) -> tuple[Path, bytes]:
    """Our example as a macro-enabled workbook: the vbaProject part, its relationship and content types."""
    vba = vba_project_bin()
    path = folder / "宏.xlsm"
    with zipfile.ZipFile(EXAMPLE) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", b'<Default Extension="bin" '
                                    b'ContentType="application/vnd.ms-office.vbaProject"/></Types>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.'
                                    b'com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
                                    b"</Relationships>")
            dst.writestr(zipfile.ZipInfo(info.filename, info.date_time), data)
        dst.writestr(zipfile.ZipInfo("xl/vbaProject.bin", (2024, 1, 1, 0, 0, 0)), vba)
    return path, vba


def _rezip(src: Path, dest: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(src) as archive, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            out.writestr(zipfile.ZipInfo(info.filename, info.date_time), replace.get(info.filename, archive.read(info)))
    return dest


# --- files that cannot be read ----------------------------------------------------------------------------------


def _not_a_workbook(folder: Path) -> Path:
    path = folder / "说明.xlsx"
    path.write_text("项目名称,信息化建设专项经费\n这是一份文本文件，只是改了扩展名。\n", encoding="utf-8")
    return path


def _empty_file(folder: Path) -> Path:
    path = folder / "空文件.xlsx"
    path.write_bytes(b"")
    return path


def _truncated(folder: Path) -> Path:
    data = EXAMPLE.read_bytes()
    path = folder / "下载中断.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def _corrupt_part(folder: Path) -> Path:
    """A sound zip whose sheet XML is garbage (a broken save)."""
    return _rezip(EXAMPLE, folder / "内容损坏.xlsx", {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row>"})


def _other_zip(folder: Path) -> Path:
    path = folder / "压缩包.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return path


def _xls(folder: Path) -> Path:
    return make_xls(folder)


def _xls_renamed(folder: Path) -> Path:
    return Path(shutil.copyfile(make_xls(folder), folder / "改名的旧格式.xlsx"))


def _encrypted(folder: Path) -> Path:
    return make_encrypted(folder)


def _missing(folder: Path) -> Path:
    return folder / "不存在.xlsx"


def _plain_workbook(folder: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "通讯录"
    wb.active["A1"] = "姓名"
    wb.active["B1"] = "电话"
    wb.active["A2"] = "张三"
    path = folder / "通讯录.xlsx"
    wb.save(path)
    return path


UNREADABLE = {
    "not_a_workbook": (_not_a_workbook, "不是 Excel 工作簿"),
    "empty_file": (_empty_file, "不是 Excel 工作簿"),
    "truncated": (_truncated, "损坏"),
    "corrupt_part": (_corrupt_part, "损坏"),
    "other_zip": (_other_zip, "不是 Excel 工作簿"),
    "xls": (_xls, ".xls"),
    "xls_renamed_xlsx": (_xls_renamed, ".xls"),
    "encrypted": (_encrypted, "密码"),
    "missing": (_missing, "不存在"),
    "plain_workbook": (_plain_workbook, "没有找到自评表"),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_unreadable_file_gets_one_chinese_line_and_exit_2(tmp_path, case):
    make, reason = UNREADABLE[case]
    bad = make(tmp_path)
    before = sha256(bad) if bad.exists() else None

    run = run_check(bad, cwd=tmp_path)
    assert run.code == 2
    [line] = run.lines
    assert line.startswith(f"{bad}: 无法读取："), line
    assert reason in line and CJK.search(line.split("：", 1)[1])
    for english in ("Error", "Exception", "errno", "No such file"):
        assert english not in line, line

    [record] = run_check(bad, "--json", cwd=tmp_path).records
    assert record["file"] == str(bad)
    assert bad.name in record["error"] and reason in record["error"]

    out = tmp_path / "out"
    scored = run_check(bad, "--output", out, cwd=tmp_path)
    assert scored.code == 2 and reason in scored.out
    assert not out.exists() or not list(out.iterdir())  # nothing written, no temporary file left behind
    if before is not None:
        assert sha256(bad) == before
        run_check(bad, "--in-place", cwd=tmp_path)
        assert sha256(bad) == before
        assert [p.name for p in tmp_path.iterdir() if ".bak" in p.name] == []


def test_an_unreadable_file_does_not_stop_the_others(tmp_path):
    good = example_copy(tmp_path)
    bad = _truncated(tmp_path)
    run = run_check(bad, good, "-o", tmp_path / "out")
    assert run.code == 2
    assert any(line.startswith(f"{bad}: 无法读取") for line in run.lines)
    assert VERDICT.match(next(line for line in run.lines if line.startswith(f"{good}: 执行率")))
    assert (tmp_path / "out" / good.name).exists() and not (tmp_path / "out" / bad.name).exists()


def test_a_folder_without_workbooks(tmp_path):
    (tmp_path / "readme.txt").write_text("nothing", encoding="utf-8")
    run = run_check(tmp_path)
    assert run.code == 2
    assert "没有找到要校验的工作簿" in run.err


# --- macro-enabled workbooks ------------------------------------------------------------------------------------


def test_xlsm_is_read_its_macros_never_run_and_the_scored_copy_keeps_them(tmp_path, monkeypatch, capsys):
    from perfeval_xl import cli

    xlsm, vba = make_xlsm(tmp_path)
    before = sha256(xlsm)

    def no_processes(*args, **kwargs):
        raise AssertionError(f"checking a workbook started a process: {args}")

    monkeypatch.setattr(subprocess, "Popen", no_processes)
    monkeypatch.setattr(os, "system", no_processes)
    monkeypatch.setattr(os, "startfile", no_processes, raising=False)
    status = cli.main(["check", str(xlsm), "--output", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert status == 1
    assert any(VERDICT.match(line) for line in out.splitlines()) and "总分 72.62，等次 中" in out
    assert sha256(xlsm) == before

    scored = tmp_path / "out" / xlsm.name
    with zipfile.ZipFile(scored) as archive:
        assert archive.read("xl/vbaProject.bin") == vba
        types = archive.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
        assert "vbaProject" in archive.read("xl/_rels/workbook.xml.rels").decode()
    assert "校验结果" in openpyxl.load_workbook(scored, keep_vba=True).sheetnames


def test_xlsm_in_place_keeps_a_macro_enabled_backup(tmp_path):
    xlsm, vba = make_xlsm(tmp_path)
    before = sha256(xlsm)
    assert run_check(xlsm, "--in-place").code == 1
    assert sha256(tmp_path / "宏.bak.xlsm") == before
    with zipfile.ZipFile(xlsm) as archive:
        assert archive.read("xl/vbaProject.bin") == vba


# --- forms with bad content: readable, so exit 0/1 and cell-level issues ---------------------------------------


def _lines_for(run, cell: str, code: str) -> list[str]:
    return [line for line in run.lines if (m := ISSUE_LINE.match(line)) and m["cell"] == cell and m["code"] == code]


def test_empty_template_reports_the_missing_fields(tmp_path):
    blank = Path(shutil.copyfile(TEMPLATE, tmp_path / "空白.xlsx"))
    before = sha256(blank)
    run = run_check(blank, "--json")
    assert run.code == 1
    [record] = run.records
    missing = {i["cell"] for i in record["issues"] if i["code"] == "F101"}
    assert missing >= {"B3", "B4", "G4", "F2"}  # 项目名称, 主管部门, 实施单位, 年度
    assert record["total"] is None and record["grade"] is None
    text = run_check(blank)
    assert any("项目名称" in line for line in _lines_for(text, "B3", "F101"))
    assert VERDICT.match(text.lines[-1])["errors"] == str(record["errors"])
    scored = run_check(blank, "-o", tmp_path / "out")
    assert scored.code == 1 and (tmp_path / "out" / blank.name).exists()
    assert sha256(blank) == before


def test_text_in_a_number_cell_is_read_with_a_warning(tmp_path):
    form = example_copy(tmp_path, cells={"F7": "97.73万元"})  # 全年执行数 typed as text
    before = sha256(form)
    [record] = run_check(form, "--json").records
    [v110] = [i for i in record["issues"] if i["code"] == "V110"]
    assert v110["cell"] == "F7" and v110["severity"] == "warning" and "97.73万元" in v110["message"]
    assert round(record["execution_rate"], 4) == 0.2616 and record["execution_score"] == 2.62
    assert record["total"] == 72.62
    run = run_check(form, "-o", tmp_path / "out")
    assert _lines_for(run, "F7", "V110") and f"{form}:{SHEET}!F7: V110 警告" in run.out
    assert openpyxl.load_workbook(tmp_path / "out" / form.name)[SHEET]["F7"].value == "97.73万元"  # typed text kept
    assert sha256(form) == before


def test_cached_error_value_is_reported_on_its_cell(tmp_path):
    # openpyxl stores '#DIV/0!' as an error cell (t="e"), as Excel saves a formula's error result.
    form = example_copy(tmp_path, cells={"F7": "#DIV/0!", "H14": "#VALUE!"})
    with zipfile.ZipFile(form) as archive:
        assert b't="e"' in archive.read("xl/worksheets/sheet1.xml")
    before = sha256(form)
    for args in ((), ("-o", tmp_path / "out")):  # the fast reader and the writer's reader agree
        run = run_check(form, *args)
        assert run.code == 1
        [line] = _lines_for(run, "F7", "V112")
        assert "#DIV/0!" in line and line.startswith(f"{form}:{SHEET}!F7: V112 错误 ")
        assert "#VALUE!" in _lines_for(run, "H14", "V112")[0]
    assert sha256(form) == before


def test_formula_error_computed_by_libreoffice(tmp_path):
    from lo import recalculate

    source = example_copy(tmp_path / "src", cells={"F7": "=1/0"})
    form = recalculate(source, tmp_path / "lo")
    ws = openpyxl.load_workbook(form, data_only=True)[SHEET]
    assert ws["F7"].value == "#DIV/0!"  # LibreOffice computed and cached the error
    before = sha256(form)
    run = run_check(form)
    assert run.code == 1
    [line] = _lines_for(run, "F7", "V112")
    assert "#DIV/0!" in line
    scored = run_check(form, "-o", tmp_path / "out")
    assert _lines_for(scored, "F7", "V112")
    assert openpyxl.load_workbook(tmp_path / "out" / form.name)[SHEET]["F7"].value == "=1/0"  # formula kept
    assert sha256(form) == before


def test_negative_amount(tmp_path):
    form = example_copy(tmp_path, cells={"F7": -97.73, "G14": -2.5})
    before = sha256(form)
    run = run_check(form, "--json")
    assert run.code == 1
    [record] = run.records
    found = issues_by_code(record)
    assert any(i["cell"] == "F7" and "-97.73" in i["message"] for i in found["V113"])
    assert any(i["cell"] == "G14" and i["severity"] == "error" for i in found["V113"] + found.get("I303", []))
    assert record["execution_score"] is None or record["execution_score"] >= 0
    assert sha256(form) == before


def test_amount_typed_in_yuan(tmp_path):
    form = example_copy(tmp_path, cells={"E7": 3736000})  # 全年预算数 373.60 万元 typed as 元
    [record] = run_check(form, "--json").records
    [v114] = [i for i in record["issues"] if i["code"] == "V114"]
    assert v114["cell"] == "E7" and v114["suggested"] == pytest.approx(373.6)
    assert "万元" in v114["message"]


@pytest.mark.parametrize("cell", ["F7", "E7", "G14"])
def test_absurdly_huge_number_never_crashes(tmp_path, cell):
    form = example_copy(tmp_path, cells={cell: 1e300})
    before = sha256(form)
    run = run_check(form)
    assert run.code in (1, 2)
    assert run.lines and all(CJK.search(line) for line in run.lines)
    assert sha256(form) == before


def test_absurdly_huge_score_gives_a_chinese_answer_not_a_traceback(tmp_path):
    form = example_copy(tmp_path, cells={"H14": 1e300})
    before = sha256(form)
    run = run_check(form, "-o", tmp_path / "out")
    assert run.code in (1, 2)
    assert str(form) in run.out and CJK.search(run.out)
    assert sha256(form) == before
    assert not (tmp_path / "out").exists() or not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".~")]


def test_absurdly_huge_score_is_reported_on_its_cell(tmp_path):
    form = example_copy(tmp_path, cells={"H14": 1e300})
    run = run_check(form)
    assert run.code == 1
    assert any((m := ISSUE_LINE.match(line)) and m["cell"] == "H14" for line in run.lines)


# --- where the scored copy cannot be written --------------------------------------------------------------------


def _assert_clean_write_failure(run, form: Path, before: str, folder: Path):
    assert run.code == 2
    line = next(line for line in run.lines if line.startswith(f"{form}: "))
    assert "无法写入" in line and CJK.search(line)
    for english in ("Errno", "Permission denied", "File exists", "Not a directory", "Read-only"):
        assert english not in run.out
    assert sha256(form) == before
    if folder.is_dir():
        assert not [p for p in folder.iterdir() if p.name.startswith(".~perfeval")]


def test_read_only_output_folder(tmp_path):
    form = example_copy(tmp_path / "in")
    before = sha256(form)
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    try:
        probe = locked / "probe"
        try:
            probe.write_bytes(b"")
            probe.unlink()
            writable = True  # root: permissions do not stop us; use a path that cannot be a folder instead
        except OSError:
            writable = False
        target = (tmp_path / "a-file.txt") if writable else locked
        if writable:
            target.write_text("我是文件，不是文件夹", encoding="utf-8")
        run = run_check(form, "--output", target)
        _assert_clean_write_failure(run, form, before, locked)
        if writable:
            assert target.read_text(encoding="utf-8") == "我是文件，不是文件夹"
        else:
            assert list(locked.iterdir()) == []
    finally:
        os.chmod(locked, 0o755)


def test_permission_denied_is_said_in_chinese(tmp_path, monkeypatch, capsys):
    # What a non-root user gets from a read-only folder (the test above may run as root, where chmod is no barrier).
    from perfeval_xl import cli, xlsx_io

    form = example_copy(tmp_path / "in")
    before = sha256(form)

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(xlsx_io.tempfile, "mkstemp", denied)
    assert cli.main(["check", str(form), "--output", str(tmp_path / "out")]) == 2
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith(f"{form}: ")]
    assert "无法写入" in line and "没有写入权限" in line and "Permission" not in line
    assert sha256(form) == before


def test_output_folder_below_a_file(tmp_path):
    form = example_copy(tmp_path / "in")
    before = sha256(form)
    blocker = tmp_path / "报表.txt"
    blocker.write_text("x", encoding="utf-8")
    run = run_check(form, "--json", "--output", blocker / "评分")
    assert run.code == 2
    [record] = run.records
    assert "error" in record and form.name in record["error"] and CJK.search(record["error"])
    _assert_clean_write_failure(run_check(form, "--output", blocker / "评分"), form, before, tmp_path)


def test_missing_file_among_good_ones(tmp_path):
    good = example_copy(tmp_path)
    before = snapshot(tmp_path)
    run = run_check(good, tmp_path / "没有这个文件.xlsx")
    assert run.code == 2
    assert f"{tmp_path / '没有这个文件.xlsx'}: 无法读取：文件不存在。" in run.lines
    assert snapshot(tmp_path) == before
