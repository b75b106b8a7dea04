"""What writing and clearing must survive (issue #12, the writing side): one `Kind` per hostile or unusual workbook.

Every kind starts from the published 邵阳 example (examples/, the form the other tests check) and changes what a
person, another application or an interrupted run could leave in it: numbers that are not finite, merged cells over
the cells we write, fills of every kind on the cells we mark, notes by other people, rich text, dates, error values,
a LibreOffice save, a read-only file, a backup or a stale temporary file already beside it, parts and features
openpyxl cannot carry.

writable=True: `check --output`, `check --in-place` and `clear` succeed and check → clear gives back the original
cell by cell (tests/restore_support.differences). writable=False: the copy would lose something, so --in-place and
an in-place clear refuse with exit 2 and leave the file alone, while --output writes a copy and names the loss.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import zipfile
from pathlib import Path
from typing import Callable

import openpyxl
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.styles import GradientFill, PatternFill
from openpyxl.styles.colors import Color
from openpyxl.worksheet.formula import ArrayFormula

from .kind import Kind

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"
SHEET = "自评表"
FORM_PART = "xl/worksheets/sheet1.xml"
# Cells of the example that check marks (its issues) and fills (the tool-owned 建议得分 / 计分说明 columns).
MARKED = ["F14", "I14", "F19", "G17", "H17", "F26", "F27", "F29", "F30", "F31", "J33", "J34", "H7"]
OWNED = ["K14", "L14", "K15", "L15"]


# --- building blocks ----------------------------------------------------------------------------------------


def _edit(folder: Path, name: str, change: Callable[[openpyxl.Workbook], None]) -> Path:
    """The example with `change` applied through openpyxl (a workbook as openpyxl saves it)."""
    folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.load_workbook(EXAMPLE)
    change(wb)
    dest = folder / name
    wb.save(dest)
    return dest


def _patch(folder: Path, name: str, edits: dict[str, Callable[[bytes], bytes]] | None = None,
           add: dict[str, bytes] | None = None, src: Path = EXAMPLE) -> Path:
    """The example with parts of its package changed byte for byte (what another application might write)."""
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / name
    edits, add = edits or {}, add or {}
    with zipfile.ZipFile(src) as archive, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename in edits:
                data = edits[info.filename](data)
            out.writestr(info, data)
        for part, data in add.items():
            out.writestr(part, data)
    return dest


def _replace_cell(ref: str, xml: str) -> Callable[[bytes], bytes]:
    """Replace cell `ref` of a sheet part by `xml` (the cell must exist in the part)."""
    def edit(data: bytes) -> bytes:
        text, count = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', xml, data.decode("utf-8"), count=1)
        assert count == 1, ref
        return text.encode("utf-8")
    return edit


def _append_cells(row: int, xml: str) -> Callable[[bytes], bytes]:
    """Add cells at the end of row `row` (columns right of the form, M and beyond)."""
    def edit(data: bytes) -> bytes:
        text, count = re.subn(rf'(<row r="{row}"[^>]*>.*?)</row>', lambda m: m.group(1) + xml + "</row>",
                              data.decode("utf-8"), count=1, flags=re.S)
        assert count == 1, row
        return text.encode("utf-8")
    return edit


def _chain(*edits: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        for step in edits:
            data = step(data)
        return data
    return edit


def _add_content_type(entry: str) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(b"</Types>", entry.encode("utf-8") + b"</Types>")


# --- the kinds ----------------------------------------------------------------------------------------------


def inf_number(folder: Path) -> Path:
    """A typed score holding infinity (1e999 overflows to inf) and one outside the form (-1E+400)."""
    return _patch(folder, "无穷大.xlsx", {FORM_PART: _chain(
        _replace_cell("H15", '<c r="H15" s="3" t="n"><v>1e999</v></c>'),
        _append_cells(5, '<c r="M5" s="3" t="n"><v>-1E+400</v></c>'))})


def nan_number(folder: Path) -> Path:
    """`NaN` and `inf` written as the text of number cells (some tools write them so), beside the form."""
    return _patch(folder, "非数.xlsx", {FORM_PART: _chain(
        _append_cells(5, '<c r="M5" s="3" t="n"><v>NaN</v></c><c r="N5"><v>inf</v></c>'))})


def merged_over_computed(folder: Path) -> Path:
    """建议得分 and 计分说明 merged into one cell (L14 is hidden in K14:L14), a marked cell merged with its left."""
    def change(wb):
        wb[SHEET].merge_cells("K14:L14")
        wb[SHEET].merge_cells("E15:F15")
    return _edit(folder, "合并单元格.xlsx", change)


def libreoffice_saved(folder: Path) -> Path:
    """The example opened and saved by LibreOffice Calc (fills written with alpha FF, shared strings, its styles)."""
    import lo  # tests/lo.py: LibreOffice headless, a failure in CI when missing

    work = folder / "lo-src"
    work.mkdir(parents=True, exist_ok=True)
    source = work / "LibreOffice另存.xlsx"
    shutil.copyfile(EXAMPLE, source)
    converted = lo.recalculate(source, folder / "lo-out")
    dest = folder / "LibreOffice另存.xlsx"
    shutil.move(converted, dest)
    shutil.rmtree(work)
    shutil.rmtree(folder / "lo-out")
    return dest


def theme_fills(folder: Path) -> Path:
    """Theme colours with tints on cells check marks."""
    def change(wb):
        ws = wb[SHEET]
        ws["F14"].fill = PatternFill("solid", fgColor=Color(theme=4, tint=0.5999938962981048))
        ws["I14"].fill = PatternFill("solid", fgColor=Color(theme=9, tint=-0.249977111117893))
        ws["J33"].fill = PatternFill("solid", fgColor=Color(theme=0, tint=-0.0499893185216834), bgColor=Color(indexed=64))
    return _edit(folder, "主题色.xlsx", change)


def indexed_fills(folder: Path) -> Path:
    """Legacy palette (indexed) colours, as old templates and WPS write them."""
    def change(wb):
        ws = wb[SHEET]
        ws["F19"].fill = PatternFill("solid", fgColor=Color(indexed=13), bgColor=Color(indexed=64))
        ws["G17"].fill = PatternFill("solid", fgColor=Color(indexed=44), bgColor=Color(indexed=64))
    return _edit(folder, "索引色.xlsx", change)


def pattern_fills(folder: Path) -> Path:
    """Patterned fills (not solid) with two colours."""
    def change(wb):
        ws = wb[SHEET]
        ws["H17"].fill = PatternFill("darkTrellis", fgColor="FFFF0000", bgColor="FF00FF00")
        ws["F26"].fill = PatternFill("gray125")
        ws["F27"].fill = PatternFill("lightGrid", fgColor=Color(theme=5), bgColor="FFFFFFFF")
    return _edit(folder, "图案填充.xlsx", change)


def alpha_fills(folder: Path) -> Path:
    """The same colour with alpha 00, 80 and FF (Excel writes FF, openpyxl 00, LibreOffice FF)."""
    def change(wb):
        ws = wb[SHEET]
        ws["F29"].fill = PatternFill("solid", fgColor="00FFF2CC")
        ws["F30"].fill = PatternFill("solid", fgColor="80FFF2CC")
        ws["F31"].fill = PatternFill("solid", fgColor="FFFFF2CC", bgColor="FFF2F2F2")
    return _edit(folder, "透明度.xlsx", change)


def gradient_fill(folder: Path) -> Path:
    """A gradient fill on a marked cell."""
    def change(wb):
        wb[SHEET]["J34"].fill = GradientFill(stop=("FFFFFF", "4F81BD"), degree=90)
    return _edit(folder, "渐变填充.xlsx", change)


def read_only_file(folder: Path) -> Path:
    """A form whose file is read-only (the person protected it, or it came from a read-only share)."""
    dest = folder / "只读.xlsx"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(EXAMPLE, dest)
    os.chmod(dest, 0o444)
    return dest


def existing_backup(folder: Path) -> Path:
    """A `<name>.bak.xlsx` beside the form already, holding someone's own earlier version."""
    form = _edit(folder, "已有备份.xlsx", lambda wb: None)
    _edit(folder, "已有备份.bak.xlsx", lambda wb: wb[SHEET].__setitem__("I19", "这是张三自己留的旧版本"))
    return form


def others_comments(folder: Path) -> Path:
    """Notes by other people on cells check marks (ours is added below theirs, and taken off again)."""
    def change(wb):
        ws = wb[SHEET]
        ws["F14"].comment = Comment("张三：数量已与合同核对。", "张三")
        ws["H7"].comment = Comment("财政局李四：执行率请说明。", "李四")
        ws["J33"].comment = Comment("待补充佐证材料", "王五")
    return _edit(folder, "他人批注.xlsx", change)


def rich_text(folder: Path) -> Path:
    """Text in runs of different fonts: the title and a deviation reason."""
    def change(wb):
        ws = wb[SHEET]
        ws["I15"] = CellRichText(["已按", TextBlock(InlineFont(b=True, color="FFFF0000"), "合同"), "完成采购。"])
        ws["A1"] = CellRichText([TextBlock(InlineFont(b=True, sz=18), "项目支出"), "绩效自评表"])
    return _edit(folder, "富文本.xlsx", change)


def date_cells(folder: Path) -> Path:
    """Dates beside the form: a serial date with a Chinese format, an ISO date cell (t="d"), a time."""
    def change(wb):
        import datetime

        ws = wb[SHEET]
        ws["M3"] = datetime.datetime(2024, 1, 31)
        ws["M3"].number_format = 'yyyy"年"m"月"d"日"'
        ws["M4"] = datetime.time(9, 30)
        ws["M4"].number_format = "h:mm"
    edited = _edit(folder / "base", "日期.xlsx", change)
    dest = _patch(folder, "日期.xlsx", {FORM_PART: _append_cells(5, '<c r="M5" t="d"><v>2024-03-01T00:00:00</v></c>')},
                  src=edited)
    shutil.rmtree(folder / "base")
    return dest


def formula_errors(folder: Path) -> Path:
    """Error values: a formula whose cached result is #DIV/0!, a typed #N/A, a #REF! formula."""
    return _patch(folder, "错误值.xlsx", {FORM_PART: _chain(
        _append_cells(5, '<c r="M5" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="N5" t="e"><v>#N/A</v></c>'
                         '<c r="O5" t="e"><f>#REF!+1</f><v>#REF!</v></c>'))})


def number_formats(folder: Path) -> Path:
    """Custom number formats on amounts and on cells check marks or fills."""
    def change(wb):
        ws = wb[SHEET]
        ws["D7"].number_format = '#,##0.00"万元"'
        ws["F7"].number_format = "[Red]0.00;[Blue]-0.00"
        ws["F14"].number_format = "@"
        ws["K14"].number_format = "0.0_);(0.0)"
    return _edit(folder, "数字格式.xlsx", change)


def stale_temp_files(folder: Path) -> Path:
    """Temporary files a killed run left beside the form (ours: old, or from a process that is gone), next to
    files that only look alike (another program's, a person's) which must stay."""
    form = _edit(folder, "临时文件.xlsx", lambda wb: None)
    old = time.time() - 3600
    for name in (".~perfeval-abcdef-4194303-x1y2z3ab.xlsx", ".~perfeval-k3j4h5g6.xlsx"):
        (folder / name).write_bytes(b"PK\x03\x04 half a workbook")
        os.utime(folder / name, (old, old))
    for name in (".~perfeval-notes.txt", "~$临时文件.xlsx", ".~perfeval-草稿.xlsx"):
        (folder / name).write_bytes(b"not ours")
        os.utime(folder / name, (old, old))
    return form


def array_formula_owned(folder: Path) -> Path:
    """An array formula typed into a tool-owned column (建议得分): left alone, said so."""
    def change(wb):
        wb[SHEET]["K15"] = ArrayFormula("K15", "=SUM(G15:H15)")
    return _edit(folder, "数组公式.xlsx", change)


def hidden_sheets(folder: Path) -> Path:
    """A hidden and a very hidden sheet with content of their own."""
    def change(wb):
        hidden = wb.create_sheet("备注")
        hidden["A1"], hidden.sheet_state = "内部备注", "hidden"
        secret = wb.create_sheet("参数")
        secret["A1"], secret.sheet_state = 42, "veryHidden"
    return _edit(folder, "隐藏表.xlsx", change)


_CUSTOM_XML_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                    'openxmlformats.org/officeDocument/2006/relationships/customXmlProps" Target="itemProps1.xml"/>'
                    '</Relationships>')
_ITEM_PROPS = ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<ds:datastoreItem ds:itemID="{6C1A3A4E-0D0B-4F6B-'
               '9C1B-2B3F1D5E7A90}" xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml">'
               '<ds:schemaRefs/></ds:datastoreItem>')


def custom_xml_part(folder: Path) -> Path:
    """A customXml data part (document management systems and OA exports write them): openpyxl drops it."""
    def workbook_rels(data: bytes) -> bytes:
        return data.replace(b"</Relationships>", b'<Relationship Id="rIdCx1" Type="http://schemas.openxmlformats.org/'
                            b'officeDocument/2006/relationships/customXml" Target="../customXml/item1.xml"/>'
                            b"</Relationships>")
    return _patch(folder, "自定义XML.xlsx", {
        "xl/_rels/workbook.xml.rels": workbook_rels,
        "[Content_Types].xml": _add_content_type(
            '<Override PartName="/customXml/itemProps1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.customXmlProperties+xml"/>'),
    }, add={"customXml/item1.xml": '<?xml version="1.0"?><公文 编号="财绩〔2024〕12号"/>'.encode("utf-8"),
            "customXml/itemProps1.xml": _ITEM_PROPS.encode("utf-8"),
            "customXml/_rels/item1.xml.rels": _CUSTOM_XML_RELS.encode("utf-8")})


def x14_validation(folder: Path) -> Path:
    """A drop-down list whose source is on another sheet, as Excel 2010+ writes it (an x14 extension in extLst)."""
    ext = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="http://schemas.microsoft.com/office/'
           'spreadsheetml/2009/9/main"><x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/'
           'excel/2006/main"><x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
           '<x14:formula1><xm:f>口径参数!$A$2:$A$9</xm:f></x14:formula1><xm:sqref>B5</xm:sqref></x14:dataValidation>'
           '</x14:dataValidations></ext></extLst>')
    return _patch(folder, "跨表下拉.xlsx", {FORM_PART: lambda data: data.replace(b"</worksheet>", ext.encode("utf-8") +
                                                                                 b"</worksheet>")})


def value_under_merge(folder: Path) -> Path:
    """A value left in a cell that a merged range covers (F5 inside E5:J5), as some generators write: openpyxl
    drops it on reading, so a copy would lose it."""
    return _patch(folder, "合并区内的值.xlsx", {FORM_PART: _replace_cell(
        "F5", '<c r="F5" s="14" t="inlineStr"><is><t>被合并区遮住的备注</t></is></c>')})


KINDS: list[Kind] = [
    Kind("inf-number", "数值单元格存的是无穷大（1e999 / -1E+400）：原样保留，不清空", inf_number, True, True),
    Kind("nan-number", "数值单元格的文本是 NaN / inf：写回时原样保留", nan_number, True, True),
    Kind("merged-over-computed", "建议得分与计分说明被合并（L14 在 K14:L14 内），被标记的单元格与左侧合并", merged_over_computed,
         True, True),
    Kind("libreoffice-saved", "LibreOffice 另存的工作簿（底色 alpha 为 FF、共享字符串）", libreoffice_saved, True, True),
    Kind("theme-fills", "被标记的单元格用主题色加深浅（theme + tint）", theme_fills, True, True),
    Kind("indexed-fills", "被标记的单元格用旧调色板（indexed）颜色", indexed_fills, True, True),
    Kind("pattern-fills", "被标记的单元格是图案填充（非纯色，两种颜色）", pattern_fills, True, True),
    Kind("alpha-fills", "同一颜色的 alpha 为 00 / 80 / FF", alpha_fills, True, True),
    Kind("gradient-fill", "被标记的单元格是渐变填充", gradient_fill, True, True),
    Kind("read-only-file", "只读文件：--in-place 后备份保留，再次写回与清除都不删除备份", read_only_file, True, True),
    Kind("existing-bak", "旁边已有同名 .bak.xlsx（别人的旧版本）：不覆盖、不删除，另编号备份", existing_backup, True, True),
    Kind("others-comments", "被标记的单元格上有他人（张三、李四）的批注", others_comments, True, True),
    Kind("rich-text", "单元格内有多种字体（富文本）", rich_text, True, True),
    Kind("date-cells", "日期与时间单元格（序列号日期、ISO 日期 t=\"d\"、时间）", date_cells, True, True),
    Kind("formula-errors", "错误值：缓存为 #DIV/0! 的公式、输入的 #N/A、#REF! 公式", formula_errors, True, True),
    Kind("number-formats", "自定义数字格式（万元、红蓝色、文本格式）在被标记、被填写的单元格上", number_formats, True, True),
    Kind("stale-temp-files", "上次被中断留下的 .~perfeval-*.xlsx 临时文件，旁边还有名字相近的他人文件", stale_temp_files,
         True, True),
    Kind("array-formula-owned", "建议得分列中输入了数组公式", array_formula_owned, True, True),
    Kind("hidden-sheets", "隐藏与深度隐藏的工作表", hidden_sheets, True, True),
    Kind("custom-xml-part", "含 customXml 数据部件（OA/文档管理系统写入）：写回会丢失，拒绝 --in-place", custom_xml_part,
         True, False),
    Kind("x14-validation", "引用其他工作表的下拉列表（x14 扩展）：写回会丢失，拒绝 --in-place", x14_validation, True, False),
    Kind("value-under-merge", "合并区域内被遮住的单元格有值（F5 在 E5:J5 内）：写回会丢失，拒绝 --in-place", value_under_merge,
         True, False),
]
