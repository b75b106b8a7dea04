"""What a copy written by openpyxl keeps of the original package, and what it loses (issue #12, the writing side).

openpyxl rewrites the whole package and keeps only what it understands. Two things are checked here, on the real
files, not on a list of what openpyxl is known to drop:
- the kinds of parts: every part's content type in the original against those in the copy (a customXml part, a
  slicer, an embedded object… that has no counterpart in the copy is lost), and, per worksheet, the sheet's own
  features (its child elements and the extensions in its extLst: extended data validation, sparklines…);
- numbers the writer cannot write: a number cell holding a value that is not a finite number (`1e999` is infinity
  when read) is written as an empty `<v/>` by openpyxl, so its raw text is read here and put back before saving.

Pure functions over zip files; xlsx_io decides what to do with the answers.
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
from pathlib import Path

from defusedxml import ElementTree as SafeET

# Part kinds (content types) that a copy rebuilds or may leave out without losing anything a person made:
# the calculation chain is a cache Excel rebuilds; docProps are rewritten by every writer; a printer driver's
# settings blob is regenerated when printing (the page set-up itself lives in the sheet and is kept); the
# thumbnail is redrawn on the next save in Excel; a missing sharedStrings part only means strings are inline.
# Notes (comments and their VML shapes) are written by openpyxl from its own model of them, so their parts come
# and go with the notes themselves (清除标记 takes ours off); the notes are compared cell by cell in the tests.
_REBUILT_KINDS = ("calcChain", "printerSettings", "extended-properties", "core-properties", "thumbnail",
                  "relationships", "sharedStrings", "vnd.ms-office.vbaProject", "spreadsheetml.comments",
                  "vmlDrawing")

# Chinese names for the kinds of parts a person would miss, by a word in the content type (first match wins).
_PART_NAMES = [
    ("customXml", "自定义 XML 数据（customXml）"), ("threadedComment", "新版批注（批注会话）"),
    ("person", "批注人员列表"), ("slicer", "切片器"), ("timeline", "日程表"), ("pivot", "数据透视表"),
    ("chart", "图表"), ("vmlDrawing", "控件或批注的图形"), ("drawing", "绘图对象（图片、形状或图表）"), ("image", "图片"), ("oleObject", "嵌入的对象"),
    ("package", "嵌入的对象"), ("activeX", "ActiveX 控件"), ("ctrlProp", "表单控件"), ("queryTable", "数据查询"),
    ("connections", "外部数据连接"), ("externalLink", "外部工作簿链接"), ("table", "表格（列表）"),
    ("comments", "批注"), ("custom-properties", "文档自定义属性"),
    ("richData", "单元格中的图片或富数据类型"), ("metadata", "单元格元数据（动态数组等）"),
    ("webextension", "Office 加载项数据"), ("ribbon", "自定义功能区"), ("customUI", "自定义功能区"),
    ("dialogsheet", "对话框工作表"), ("chartsheet", "图表工作表"), ("volatileDependencies", "实时数据（RTD）"),
    ("revision", "修订记录"), ("usernames", "修订记录"), ("model", "数据模型"),
]

# Per worksheet: child elements a person would miss, and the extensions (extLst/ext uri) Excel writes.
_SHEET_FEATURES = {
    "picture": "工作表背景图片", "oleObjects": "嵌入的对象", "controls": "表单控件", "legacyDrawingHF": "页眉页脚中的图片",
    "customSheetViews": "自定义视图", "scenarios": "方案（模拟分析）", "dataConsolidate": "合并计算设置",
    "cellWatches": "监视窗口", "smartTags": "智能标记", "webPublishItems": "网页发布设置",
    "customProperties": "工作表自定义属性", "ignoredErrors": "已忽略的错误检查提示", "tableParts": "表格（列表）",
    "sortState": "排序状态", "protectedRanges": "允许编辑的区域", "drawing": "绘图对象（图片、形状或图表）",
"hyperlinks": "超链接", "conditionalFormatting": "条件格式",
    "dataValidations": "数据验证（下拉列表等）", "mergeCells": "合并单元格", "autoFilter": "自动筛选",
    "sheetProtection": "工作表保护", "rowBreaks": "分页符", "colBreaks": "分页符", "headerFooter": "页眉页脚",
    "printOptions": "打印选项", "pageSetup": "页面设置", "phoneticPr": "拼音设置",
}
_EXTENSIONS = {
    "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}": "数据验证（引用其他工作表的下拉列表等）",
    "{78C0D931-6437-407d-A8EE-F0AAD7539E65}": "条件格式（数据条、图标集等扩展）",
    "{05C60535-1F16-4fd2-B633-F4F36F0B64E0}": "迷你图",
    "{A8765BA9-456A-4dab-B4F3-ACF838C121DE}": "切片器", "{3A4CF648-6AED-40f4-86FF-DC5316D8AED3}": "切片器",
    "{7E03D99C-DC04-49d9-9315-930204A7B6E9}": "日程表", "{F7C9EE02-42E1-4005-9D12-6889AFFD525C}": "数据透视表扩展",
    "{01252117-D84E-4E92-8308-4BE1C098FCBB}": "数据验证扩展",
}
# Sheet-level elements every writer handles its own way without losing content (sheet properties, views, sizes…).
_SHEET_HOUSEKEEPING = {"sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
                       "pageMargins", "extLst", "AlternateContent", "legacyDrawing"}

_REL_OFFICE_DOCUMENT = "officeDocument"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(element, name: str) -> str | None:
    """An attribute by its local name, whatever its namespace (transitional or Strict OOXML)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _content_types(archive: zipfile.ZipFile) -> dict[str, str]:
    """Every part's content type: its Override, else its extension's Default."""
    try:
        root = SafeET.fromstring(archive.read("[Content_Types].xml"))
    except (KeyError, SafeET.ParseError):
        return {}
    defaults, overrides = {}, {}
    for node in root:
        if _local(node.tag) == "Default" and node.get("Extension"):
            defaults[node.get("Extension").lower()] = node.get("ContentType", "")
        elif _local(node.tag) == "Override" and node.get("PartName"):
            overrides[node.get("PartName").lstrip("/")] = node.get("ContentType", "")
    kinds = {}
    for name in archive.namelist():
        if name.endswith("/") or name == "[Content_Types].xml":
            continue
        extension = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
        kinds[name] = overrides.get(name, defaults.get(extension, ""))
    return kinds


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type's last word, target part path) for `part` ("" for the package)."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    try:
        root = SafeET.fromstring(archive.read(rels_name))
    except (KeyError, SafeET.ParseError):
        return {}
    found = {}
    for node in root:
        if _local(node.tag) != "Relationship" or node.get("TargetMode") == "External":
            continue
        target = node.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[node.get("Id", "")] = (node.get("Type", "").rsplit("/", 1)[-1], path)
    return found


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name -> its part's path, from the package's relationships (any folder, transitional or Strict)."""
    workbook = next((path for kind, path in _rels(archive, "").values() if kind == _REL_OFFICE_DOCUMENT),
                    "xl/workbook.xml")
    try:
        root = SafeET.fromstring(archive.read(workbook))
    except (KeyError, SafeET.ParseError):
        return {}
    rels = _rels(archive, workbook)
    parts = {}
    for node in root.iter():
        if _local(node.tag) == "sheet" and node.get("name") is not None:
            kind, path = rels.get(_attr(node, "id") or "", ("", ""))
            if kind == "worksheet" and path in archive.NameToInfo:
                parts[node.get("name")] = path
    return parts


def _part_name(content_type: str, path: str) -> str:
    if path.startswith("customXml/") or "/customXml/" in path:
        return "自定义 XML 数据（customXml）"
    lowered = content_type.lower()
    for word, name in _PART_NAMES:
        if word.lower() in lowered:
            return name
    return f"其他内容（{path}）"


def _sheet_summary(archive: zipfile.ZipFile, part: str) -> tuple[set[str], set[str]]:
    """One worksheet in one pass: its features (child elements with content, and the extensions in its extLst, as
    keys of the tables above) and the cells that hold a value or a formula."""
    features: set[str] = set()
    cells: set[str] = set()
    depth = 0
    try:
        for event, element in SafeET.iterparse(io.BytesIO(archive.read(part)), events=("start", "end")):
            if event == "start":
                depth += 1
                continue
            depth -= 1
            name = _local(element.tag)
            if name == "c":
                if element.get("r") and any(_has_content(child) for child in element):
                    cells.add(element.get("r"))
                element.clear()
            elif depth == 1 and name == "extLst":
                features |= {"ext:" + (ext.get("uri") or "") for ext in element if _local(ext.tag) == "ext"}
            elif depth == 1 and name not in _SHEET_HOUSEKEEPING and _holds_something(element):
                features.add(name)
    except (KeyError, SafeET.ParseError):
        pass
    return features, cells


def _holds_something(element) -> bool:
    """An element that carries content: text somewhere inside, a child with attributes, or (attributes only, like
    <sheetProtection …/>) no children at all. LibreOffice writes an empty <headerFooter> that a copy may leave out."""
    children = list(element)
    if not children:
        return True
    return any((node.text or "").strip() or (node is not element and node.attrib) for node in element.iter())


def _empty_part(archive: zipfile.ZipFile, path: str) -> bool:
    """An XML part with nothing in it (LibreOffice writes an empty docProps/custom.xml)."""
    if not path.endswith(".xml"):
        return False
    try:
        root = SafeET.fromstring(archive.read(path))
    except (KeyError, SafeET.ParseError):
        return False
    return not list(root) and not (root.text or "").strip()


def _has_content(child) -> bool:
    """A cell's <v>, <f> or <is> that holds something: a value, a formula (or a shared formula's reference), text."""
    name = _local(child.tag)
    if name == "f":
        return bool((child.text or "").strip() or child.attrib)
    if name == "v":
        return bool((child.text or "").strip())
    if name == "is":
        return bool("".join(child.itertext()))
    return False


def lost_in_copy(original: Path, copy: Path, emptied: dict[str, set[str]] | None = None,
                 replaced_sheets: tuple[str, ...] = ()) -> list[str]:
    """What `copy` (written by openpyxl from `original`) lacks, in Chinese, each kind once; empty when nothing.

    Cell by cell too: a cell that held something in the original and holds nothing in the copy is lost, unless the
    writer emptied it on purpose (`emptied`: sheet -> cells; `replaced_sheets`: sheets rewritten whole, like
    校验结果). openpyxl drops, for instance, values hidden under a merged range."""
    lost: list[str] = []
    emptied = emptied or {}
    with zipfile.ZipFile(original) as before, zipfile.ZipFile(copy) as after:
        kinds_before, kinds_after = _content_types(before), _content_types(after)
        kept_kinds = set(kinds_after.values())
        kept_folders = {posixpath.dirname(path) for path in kinds_after}
        for path, kind in sorted(kinds_before.items()):
            if any(word.lower() in kind.lower() for word in _REBUILT_KINDS) or path.endswith(".rels"):
                continue
            if kind and kind in kept_kinds and not path.startswith("customXml/"):
                continue
            if not kind and posixpath.dirname(path) in kept_folders:
                continue
            if _empty_part(before, path):
                continue
            if path.startswith("customXml/") and any(p.startswith("customXml/") for p in kinds_after):
                continue
            lost.append(_part_name(kind, path))
        sheets_before, sheets_after = sheet_parts(before), sheet_parts(after)
        for sheet, part in sheets_before.items():
            if sheet not in sheets_after:
                if sheet not in replaced_sheets:
                    lost.append(f"工作表“{sheet}”")
                continue
            features_before, cells_before = _sheet_summary(before, part)
            features_after, cells_after = _sheet_summary(after, sheets_after[sheet])
            if sheet not in replaced_sheets:
                gone = cells_before - cells_after - emptied.get(sheet, set())
                if gone:
                    shown = "、".join(f"{sheet}!{ref}" for ref in sorted(gone, key=_cell_order)[:5])
                    lost.append(f"单元格 {shown}{'等' if len(gone) > 5 else ''} 中的内容")
            missing = features_before - features_after
            for feature in sorted(missing):
                if feature.startswith("ext:"):
                    lost.append(_EXTENSIONS.get(feature[4:], f"工作表“{sheet}”中的扩展功能（{feature[4:]}）"))
                elif feature != "phoneticPr":  # pinyin guides are a Japanese/Chinese typing aid, never on a form
                    lost.append(_SHEET_FEATURES.get(feature, f"工作表“{sheet}”中的 {feature} 设置"))
    return list(dict.fromkeys(lost))


def _cell_order(ref: str) -> tuple[int, int, str]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    digits = "".join(ch for ch in ref if ch.isdigit())
    return (int(digits or 0), len(letters), letters)


# --- numbers openpyxl cannot write --------------------------------------------------------------------------------


def _is_finite_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def raw_numbers(path: Path) -> dict[str, dict[str, str]]:
    """Sheet name -> {cell -> raw text} for the number cells whose text is not a finite number (`1e999`, `NaN`,
    `INF`): openpyxl writes such a value as an empty cell, so the writer puts this text back unchanged."""
    found: dict[str, dict[str, str]] = {}
    with zipfile.ZipFile(path) as archive:
        for sheet, part in sheet_parts(archive).items():
            data = archive.read(part)
            if b"<v" not in data:
                continue
            cells = {}
            for _event, element in SafeET.iterparse(io.BytesIO(data)):
                if _local(element.tag) != "c":
                    continue
                if element.get("t") in (None, "n") and element.get("r"):
                    value = next((child.text for child in element if _local(child.tag) == "v"), None)
                    formula = any(_local(child.tag) == "f" for child in element)
                    if value and value.strip() and not formula and not _is_finite_number(value.strip()):
                        cells[element.get("r")] = value
                element.clear()
            if cells:
                found[sheet] = cells
    return found


_RICH_RUN = re.compile(rb"<(?:\w+:)?r>")


def has_rich_text(path: Path) -> bool:
    """Some cell holds text in runs of different fonts (shared or inline rich text)."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".xml") and (name.startswith("xl/worksheets/") or name.endswith("sharedStrings.xml")):
                if _RICH_RUN.search(archive.read(name)):
                    return True
    return False


def keep_rich_text(workbook, path: Path) -> None:
    """Give cells holding rich text their runs back before saving: the writer's workbook was read with plain text
    only (the form reader needs strings), and openpyxl would write each such cell in one font. A cell whose text
    we changed keeps our text."""
    import warnings

    import openpyxl
    from openpyxl.cell.rich_text import CellRichText

    if not has_rich_text(path):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rich = openpyxl.load_workbook(path, rich_text=True)
    for sheet in rich.worksheets:
        if sheet.title not in workbook.sheetnames:
            continue
        target = workbook[sheet.title]
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, CellRichText):
                    mine = target[cell.coordinate]
                    if getattr(mine, "value", None) == str(cell.value) and mine.data_type == "s":
                        mine.value = cell.value


_ISO_DATE_CELL = re.compile(rb"<(?:\w+:)?c\s[^>]*?\bt\s*=\s*[\"']d[\"']")


def has_iso_date_cells(path: Path) -> bool:
    """Some cell holds a date as ISO 8601 text (t="d"). openpyxl writes dates as serial numbers unless told to
    write ISO dates, and a serial number in a cell formatted General shows as 45352, not as the date."""
    with zipfile.ZipFile(path) as archive:
        return any(_ISO_DATE_CELL.search(archive.read(part)) for part in sheet_parts(archive).values())
