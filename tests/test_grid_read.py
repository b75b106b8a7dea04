"""The fast reader, grid.read_with_calamine, on real files: what it reads itself rather than through calamine.

It reads xl/workbook.xml (sheet names, defined names) and its relationships with regular expressions, so these
tests feed it what an XML parser takes in its stride, and zips in the shapes producers write them: escaped names,
namespace prefixes, single quotes, attributes in any order, names that must be ignored, error values written as
character references, parts stored or carrying extra fields. Every expectation comes from an independent read
(openpyxl, which parses the XML) or is written out by hand.
"""

from __future__ import annotations

import re
import shutil
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import quote_sheetname
from openpyxl.workbook.defined_name import DefinedName

from perfeval_xl.forms import sheets_to_read
from perfeval_xl.grid import (Area, FormReadError, GridBook, defined_names_from_zip, error_cells_from_zip,
                              grids_from_openpyxl, parse_area, read_with_calamine)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.xlsx"))
EXAMPLE = ROOT / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"
RD = "R&D '经费'"


def _rezip(src: Path, dest: Path, replace: dict[str, bytes] | None = None, compression: int = zipfile.ZIP_DEFLATED,
           extra: bytes = b"", reverse_directory: bool = False) -> Path:
    """`src` written again as `dest`: some parts replaced, another compression, an extra field on every part, or
    the central directory listing the parts in the reverse order of their data."""
    replace = replace or {}
    with zipfile.ZipFile(src) as archive, zipfile.ZipFile(dest, "w", compression) as out:
        for info in archive.infolist():
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type = compression
            copy.extra = extra
            out.writestr(copy, replace.get(info.filename, archive.read(info)))
        if reverse_directory:
            out.filelist.reverse()
    return dest


def _openpyxl_names(path: Path) -> dict[str, Area]:
    """Workbook-scope defined names as openpyxl reads them (an XML parser; local names go to the sheets)."""
    wb = openpyxl.load_workbook(path)
    return {name: parse_area(d.attr_text) for name, d in wb.defined_names.items() if parse_area(d.attr_text or "")}


def _same_cells(book: GridBook, other: GridBook) -> None:
    assert list(book.sheets) == list(other.sheets)
    for name, grid in book.sheets.items():
        expected = other.sheets[name]
        for row in range(max(grid.height, expected.height)):
            for col in range(max(grid.width, expected.width)):
                assert grid.get(row, col) == expected.get(row, col), (name, row, col)
        assert sorted(grid.merged) == sorted(expected.merged), name


def _rd_workbook(path: Path) -> Path:
    """A sheet whose name needs escaping in XML and quoting in a reference, named ranges on it, an error value."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = RD
    ws["B2"], ws["C3"], ws["D4"] = "预算", 12.5, "#DIV/0!"  # openpyxl writes '#DIV/0!' as an error cell (t="e")
    notes = wb.create_sheet("说明<1>")
    notes["A1"] = "说明"
    wb.defined_names["研发经费"] = DefinedName("研发经费", attr_text=f"{quote_sheetname(RD)}!$B$2:$C$3")
    wb.defined_names["说明格"] = DefinedName("说明格", attr_text="'说明<1>'!$A$1")
    ws.defined_names["本表打印区"] = DefinedName("本表打印区", attr_text=f"{quote_sheetname(RD)}!$A$1:$D$4")
    wb.save(path)
    return path


def test_names_on_a_sheet_whose_name_has_an_ampersand_and_apostrophes(tmp_path):
    path = _rd_workbook(tmp_path / "研发.xlsx")
    with zipfile.ZipFile(path) as archive:
        workbook_xml = archive.read("xl/workbook.xml")
    assert b"R&amp;D ''" in workbook_xml and b"&lt;1&gt;" in workbook_xml and b'localSheetId="0"' in workbook_xml

    book = read_with_calamine(path)
    assert book.names == {"研发经费": Area(RD, 1, 1, 2, 2), "说明格": Area("说明<1>", 0, 0, 0, 0)}
    assert book.names == _openpyxl_names(path) == defined_names_from_zip(path)
    assert list(book.sheets) == [RD, "说明<1>"]
    grid = book.sheets[RD]
    assert (grid.get(1, 1), grid.get(2, 2), grid.get(3, 3)) == ("预算", 12.5, "#DIV/0!")
    assert error_cells_from_zip(path) == {RD: {(3, 3): "#DIV/0!"}}

    offered = []

    def only_the_named_sheet(names, sheet_names):
        offered.append((names, sheet_names))
        return [names["研发经费"].sheet]

    assert list(read_with_calamine(path, only_the_named_sheet).sheets) == [RD]
    assert offered == [(book.names, [RD, "说明<1>"])]


def test_a_sheet_named_like_the_names_element(tmp_path):
    # The names are read from the stretch of xl/workbook.xml between the first and last "definedName": here it
    # starts in a sheet's name, and that sheet (with its error value) must still be found.
    wb = openpyxl.Workbook()
    wb.active.title = "definedName表"
    wb.active["A1"] = "#REF!"
    data = wb.create_sheet("数据")
    data["B2"] = 3.5
    wb.defined_names["金额"] = DefinedName("金额", attr_text="数据!$B$2")
    path = tmp_path / "名称.xlsx"
    wb.save(path)
    book = read_with_calamine(path)
    assert list(book.sheets) == ["definedName表", "数据"]
    assert book.names == {"金额": Area("数据", 1, 1, 1, 1)} == _openpyxl_names(path)
    assert book.sheets["definedName表"].get(0, 0) == "#REF!" and book.sheets["数据"].get(1, 1) == 3.5


def _patched_workbook_xml(original: str) -> str:
    """xl/workbook.xml as another producer might write it: elements under an `x:` prefix, the relationships
    namespace under `rel:`, attributes single-quoted, reordered and spread over lines, and a few names the reader
    must skip or decode."""
    text = re.sub(r"<(/?)(?=[A-Za-z])", r"<\1x:", original)
    text = text.replace('xmlns="http://schemas', 'xmlns:x="http://schemas').replace("xmlns:r=", "xmlns:rel=")
    text = text.replace(" r:id=", " rel:id=")

    def reorder(match: re.Match) -> str:
        attrs = re.findall(r'(\S+)="([^"]*)"', match.group(2))
        quoted = [(key, value.replace("'", "&apos;")) for key, value in reversed(attrs)]
        spread = "".join(f"\n\t{key} = '{value}'" for key, value in quoted)
        return f"<{match.group(1)}{spread}\n{match.group(3)}>"

    text = re.sub(r"<(x:sheet|x:definedName) ([^>]*?)\s*(/?)>", reorder, text)
    extra = ("<x:definedName localSheetId='0' name='局部'>'自评表'!$A$1</x:definedName>"
             "<x:definedName name='空' />'自评表'!$A$9"  # text after an empty name is not the name's
             "<x:definedName comment='a &gt; b, and a > c' name=\"带注释\">&apos;自评表&apos;!$D$4</x:definedName>"
             "<x:definedName name='编码'>&#39;&#x81EA;评表'!$E$5:$F$6</x:definedName>")
    return text.replace("</x:definedNames>", extra + "</x:definedNames>")


@pytest.mark.parametrize("source", ["example", "rd"])
def test_names_written_with_prefixes_single_quotes_and_references(tmp_path, source):
    src = EXAMPLE if source == "example" else _rd_workbook(tmp_path / "研发.xlsx")
    with zipfile.ZipFile(src) as archive:
        original = archive.read("xl/workbook.xml").decode("utf-8")
    patched_xml = _patched_workbook_xml(original)
    assert "\trel:id = 'rId1'" in patched_xml and "<x:definedName\n\tname = '" in patched_xml
    patched = _rezip(src, tmp_path / "前缀.xlsx", {"xl/workbook.xml": patched_xml.encode("utf-8")})

    book, original_book = read_with_calamine(patched), read_with_calamine(src)
    expected = _openpyxl_names(patched)
    assert "局部" not in expected and "空" not in expected and "本表打印区" not in expected  # openpyxl agrees
    assert book.names == expected == defined_names_from_zip(patched)
    assert book.names["带注释"] == Area("自评表", 3, 3, 3, 3)
    assert book.names["编码"] == Area("自评表", 4, 4, 5, 5)
    assert {k: v for k, v in book.names.items() if k not in ("带注释", "编码")} == original_book.names
    _same_cells(book, original_book)
    if source == "example":
        assert list(read_with_calamine(patched, sheets_to_read).sheets) == ["自评表"]
    else:  # the error value is found through the sheet's relationship, now `rel:id`
        assert book.sheets[RD].get(3, 3) == "#DIV/0!"
        assert error_cells_from_zip(patched) == {RD: {(3, 3): "#DIV/0!"}}


def test_a_workbook_part_the_regexes_leave_to_the_xml_parser(tmp_path):
    # A comment (and any DTD, CDATA or non-UTF-8 encoding) sends the part to defusedxml: same names either way.
    with zipfile.ZipFile(EXAMPLE) as archive:
        original = archive.read("xl/workbook.xml").decode("utf-8")
    commented = original.replace("<definedNames>", "<definedNames><!-- <definedName name='注释中'>'自评表'!$A$1"
                                                   "</definedName> -->")
    patched = _rezip(EXAMPLE, tmp_path / "注释.xlsx", {"xl/workbook.xml": commented.encode("utf-8")})
    book = read_with_calamine(patched)
    assert "注释中" not in book.names
    assert book.names == _openpyxl_names(patched) == read_with_calamine(EXAMPLE).names


ERROR_SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>全年执行数</t></is></c><c r="B1"><v>97.73</v></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>执行率</t></is></c><c r="B2" t="e"><f>B1/C1</f><v>#DIV/0!</v></c></row>
<row r="3"><c r="A3" t='e'><f>VLOOKUP(A1,D:E,2,0)</f><v>&#35;N/A</v></c><c r="B3"><v>1</v></c></row>
</sheetData></worksheet>"""


def test_cached_error_values_of_formula_cells(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "自评表"
    wb.active["A1"] = "占位"
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    path = _rezip(plain, tmp_path / "错误值.xlsx", {"xl/worksheets/sheet1.xml": ERROR_SHEET.encode("utf-8")})

    ws = openpyxl.load_workbook(path, data_only=True)["自评表"]
    assert (ws["B2"].value, ws["A3"].value) == ("#DIV/0!", "#N/A")  # what Excel cached, as openpyxl reads it
    grid = read_with_calamine(path).sheets["自评表"]
    assert (grid.get(1, 1), grid.get(2, 0)) == ("#DIV/0!", "#N/A")  # calamine alone reads both as blank
    assert (grid.get(0, 1), grid.get(2, 1), grid.get(1, 0)) == (97.73, 1, "执行率")
    assert error_cells_from_zip(path) == {"自评表": {(1, 1): "#DIV/0!", (2, 0): "#N/A"}}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_reads_as_openpyxl_reads_it(path):
    book = read_with_calamine(path)
    assert book.source == path.name
    assert book.names == _openpyxl_names(path)
    reference = grids_from_openpyxl(openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True))
    _same_cells(book, reference)
    assert reference.names == book.names
    picked = sheets_to_read(book.names, list(book.sheets))
    assert list(read_with_calamine(path, sheets_to_read).sheets) == (picked or list(book.sheets))


@pytest.mark.parametrize("variant", ["stored", "extra_field", "reverse_directory"])
def test_zip_variants_read_the_same(tmp_path, variant):
    # Stored parts, an extra field, parts out of order: the zip pass and calamine must read all alike.
    path = _rd_workbook(tmp_path / "研发.xlsx")
    timestamp = struct.pack("<HHBL", 0x5455, 5, 1, 1_700_000_000)  # "extended timestamp", as Info-ZIP writes
    kwargs = {"stored": {"compression": zipfile.ZIP_STORED}, "extra_field": {"extra": timestamp},
              "reverse_directory": {"reverse_directory": True}}[variant]
    copy = _rezip(path, tmp_path / f"{variant}.xlsx", **kwargs)
    book, original = read_with_calamine(copy), read_with_calamine(path)
    assert book.names == original.names
    _same_cells(book, original)
    assert book.sheets[RD].get(3, 3) == "#DIV/0!"


def test_a_damaged_part_is_reported_as_zipfile_and_calamine_find_it(tmp_path):
    # Stored parts with one character changed: they still parse, but their CRC is wrong. xl/workbook.xml is
    # checked by the zip pass (the message for a damaged download), a sheet by calamine (the one for a damaged part).
    stored = _rezip(_rd_workbook(tmp_path / "研发.xlsx"), tmp_path / "stored.xlsx", compression=zipfile.ZIP_STORED)
    for part, needle, name, reason in (
            ("xl/workbook.xml", b"!$B$2:$C$3<", "目录校验失败.xlsx", "：文件已损坏或不完整"),
            ("xl/worksheets/sheet1.xml", b"<v>12.5</v>", "表格校验失败.xlsx", "：文件内容已损坏，无法读取。")):
        data = bytearray(stored.read_bytes())
        data[data.index(needle) + 4] ^= 1  # $B$2 → $B$3, 12.5 → 13.5
        damaged = tmp_path / name
        damaged.write_bytes(bytes(data))
        with zipfile.ZipFile(damaged) as archive:
            assert archive.testzip() == part
        with pytest.raises(FormReadError) as caught:
            read_with_calamine(damaged)
        assert str(caught.value).startswith(name + reason)


def _other_zip(folder: Path) -> Path:
    path = folder / "压缩包.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return path


def _truncated(folder: Path) -> Path:
    path = folder / "下载中断.xlsx"
    path.write_bytes(EXAMPLE.read_bytes()[:9000])
    return path


def _folder(folder: Path) -> Path:
    path = folder / "表格.xlsx"
    path.mkdir()
    return path


def _text(folder: Path) -> Path:
    path = folder / "文本.xlsx"
    path.write_text("项目名称,信息化建设专项经费\n", encoding="utf-8")
    return path


def _corrupt_sheet(folder: Path) -> Path:
    return _rezip(EXAMPLE, folder / "内容损坏.xlsx", {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row>"})


def _corrupt_workbook(folder: Path) -> Path:
    return _rezip(EXAMPLE, folder / "目录损坏.xlsx", {"xl/workbook.xml": "<workbook>未完".encode("gb18030")})


@pytest.mark.parametrize("make, reason", [
    (lambda folder: folder / "不存在.xlsx", "：文件不存在。"),
    (_folder, "：这是一个文件夹，不是工作簿。"),
    (_text, "：不是 Excel 工作簿（.xlsx）"),
    (_other_zip, "：这是一个压缩包或其他 Office 文件，不是 Excel 工作簿。"),
    (_truncated, "：文件已损坏或不完整（可能下载或拷贝中断）"),
    (_corrupt_sheet, "：文件内容已损坏，无法读取。请在 Excel 中用“文件→打开→打开并修复”"),
    (_corrupt_workbook, "：文件内容已损坏，无法读取。"),
], ids=["missing", "folder", "text", "other_zip", "truncated", "corrupt_sheet", "corrupt_workbook"])
def test_unreadable_files_say_why_in_chinese(tmp_path, make, reason):
    path = make(tmp_path)
    with pytest.raises(FormReadError) as caught:
        read_with_calamine(path)
    assert str(caught.value).startswith(path.name + reason)


def test_a_copy_of_an_example_reads_the_same_as_the_example(tmp_path):
    copy = Path(shutil.copyfile(EXAMPLE, tmp_path / "副本.xlsx"))
    book, original = read_with_calamine(copy), read_with_calamine(EXAMPLE)
    assert book.names == original.names and book.source == "副本.xlsx"
    _same_cells(book, original)
