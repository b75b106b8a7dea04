"""Workbooks as plain grids of values, read in whole blocks.

Every adapter (calamine for fast reading, openpyxl for writing, xlwings for a live workbook) turns a workbook into a
`GridBook`: for each sheet a 2-D list of values from A1, the merged ranges, and the workbook's defined names. The
form readers work only on this, so a form reads the same whichever adapter produced it.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
import olefile

_REF_RE = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


class FormReadError(Exception):
    """A file or form that cannot be read. `str()` is a Chinese sentence naming the file (and cell, if any)."""


class FormWriteError(FormReadError):
    """The scored workbook could not be written (folder not writable, disk full, file locked…). The original file is
    untouched. A FormReadError too, so every caller that reports unreadable files reports this the same way."""


@lru_cache(maxsize=1024)
def column_letter(index: int) -> str:
    """0-based column index → letters (0 → A)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def ref(row: int, col: int) -> str:
    """0-based row and column → "A1"."""
    return f"{column_letter(col)}{row + 1}"


def parse_ref(text: str) -> tuple[int, int]:
    match = _REF_RE.match(text.strip().upper())
    if not match:
        raise ValueError(text)
    return int(match.group(2)) - 1, column_index(match.group(1))


@dataclass(frozen=True)
class Area:
    """A rectangular range on a sheet, 0-based inclusive."""

    sheet: str
    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1

    @property
    def width(self) -> int:
        return self.right - self.left + 1

    @property
    def address(self) -> str:
        first, last = ref(self.top, self.left), ref(self.bottom, self.right)
        return first if first == last else f"{first}:{last}"


def parse_area(text: str) -> Area | None:
    """`'自评表'!$C$3` or `自评表!$D$20:$N$49` → Area; None for anything else (#REF!, constants, several areas)."""
    if "!" not in text or "," in text:
        return None
    sheet, _, cells = text.rpartition("!")
    sheet = sheet.strip("'").replace("''", "'")
    try:
        first, _, last = cells.partition(":")
        top, left = parse_ref(first)
        bottom, right = parse_ref(last) if last else (top, left)
    except ValueError:
        return None
    return Area(sheet, top, left, bottom, right)


@dataclass
class Grid:
    name: str
    values: list[list[Any]]  # from A1; None for empty
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (top, left, bottom, right)
    formulas: set[tuple[int, int]] | None = None  # cells holding formulas, where the reader can tell

    def get(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.values) and 0 <= col < len(self.values[row]):
            return self.values[row][col]
        return None

    def is_formula(self, row: int, col: int) -> bool:
        return bool(self.formulas) and (row, col) in self.formulas

    @property
    def height(self) -> int:
        return len(self.values)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.values), default=0)


@dataclass
class GridBook:
    sheets: dict[str, Grid]
    names: dict[str, Area]
    source: str = ""


# --- Reading files -------------------------------------------------------------------------------------------


def sniff(path: Path, verify: bool = True) -> None:
    """Raise FormReadError with a plain Chinese reason when `path` is not a workbook we can read.

    `verify` also checks every part's CRC (unpacking it all): worth it before we write a copy, not before a fast
    read, where calamine fails on a damaged part anyway and we report that."""
    _check_head(path)
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(archive, path.name, verify)
    except zipfile.BadZipFile:
        raise FormReadError(_TRUNCATED.format(name=path.name)) from None


_TRUNCATED = "{name}：文件已损坏或不完整（可能下载或拷贝中断），无法打开。请重新获取文件。"


def _check_head(path: Path) -> None:
    """Exists, is a file, and starts like an .xlsx (a zip), not an .xls, an encrypted workbook or something else."""
    name = path.name
    if not path.exists():
        raise FormReadError(f"{name}：文件不存在。")
    if path.is_dir():
        raise FormReadError(f"{name}：这是一个文件夹，不是工作簿。")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise FormReadError(f"{name}：无法打开文件（{exc.strerror or exc}）。是否正被其他程序占用？") from None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        try:
            with olefile.OleFileIO(str(path)) as ole:
                encrypted = ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage")
        except OSError:
            encrypted = False
        if encrypted:
            raise FormReadError(f"{name}：工作簿设置了打开密码，无法读取。请在 Excel 中取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后另存。")
        raise FormReadError(f"{name}：这是旧版 Excel 97-2003 格式（.xls）。请在 Excel 或 WPS 中“另存为 Excel 工作簿（*.xlsx）”后再校验。")
    if not head.startswith(b"PK"):
        raise FormReadError(f"{name}：不是 Excel 工作簿（.xlsx）。请确认文件类型，或在 Excel 中另存为 .xlsx。")


def _check_archive(archive: zipfile.ZipFile, name: str, verify: bool) -> None:
    if "xl/workbook.xml" not in archive.NameToInfo:
        raise FormReadError(f"{name}：这是一个压缩包或其他 Office 文件，不是 Excel 工作簿。")
    bad = archive.testzip() if verify else None
    if bad:
        raise FormReadError(f"{name}：文件已损坏（{bad} 校验失败），请重新获取或从备份恢复。")


def defined_names_from_zip(path: Path) -> dict[str, Area]:
    """Workbook-scope defined names, read straight from xl/workbook.xml (calamine does not expose them)."""
    with zipfile.ZipFile(path) as archive:
        return _defined_names(SafeET.fromstring(archive.read("xl/workbook.xml")))


def _defined_names(root) -> dict[str, Area]:
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    names = {}
    for node in root.iter(f"{ns}definedName"):
        if node.get("localSheetId") is not None or not node.text:
            continue
        area = parse_area(node.text)
        if area is not None:
            names[node.get("name")] = area
    return names


_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _sheet_parts(archive: zipfile.ZipFile, workbook=None) -> dict[str, str]:
    """Sheet name -> the worksheet part's path inside the zip (xl/worksheets/sheet1.xml)."""
    if workbook is None:
        workbook = SafeET.fromstring(archive.read("xl/workbook.xml"))
    try:
        rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    targets = {}
    for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
        target = rel.get("Target") or ""
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id")] = path
    parts = {}
    for sheet in workbook.iter(f"{_MAIN_NS}sheet"):
        part = targets.get(sheet.get(f"{_REL_NS}id"))
        if part:
            parts[sheet.get("name")] = part
    return parts


def error_cells_from_zip(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Cells holding an Excel error value (`t="e"`: #DIV/0!, #REF!…), per sheet, 0-based.

    calamine hands error cells back as empty strings, so a cached `#DIV/0!` would read as a blank cell and the
    check would say "为空" instead of naming the broken formula. Only sheets that contain an error cell are parsed.
    """
    with zipfile.ZipFile(path) as archive:
        return _error_cells(archive)


def _error_cells(archive: zipfile.ZipFile, parts: dict[str, str] | None = None) -> dict[str, dict[tuple[int, int], str]]:
    found: dict[str, dict[tuple[int, int], str]] = {}
    for sheet_name, part in (_sheet_parts(archive) if parts is None else parts).items():
        try:
            data = archive.read(part)
        except KeyError:
            continue
        if b't="e"' not in data and b"t='e'" not in data:
            continue
        cells = {}
        for _, node in SafeET.iterparse(io.BytesIO(data), events=("end",)):
            if node.tag == f"{_MAIN_NS}c":
                if node.get("t") == "e" and node.get("r"):
                    value = node.find(f"{_MAIN_NS}v")
                    try:
                        cells[parse_ref(node.get("r"))] = (value.text if value is not None else None) or "#VALUE!"
                    except ValueError:
                        pass
                node.clear()
        if cells:
            found[sheet_name] = cells
    return found


def _put_errors(values: list[list[Any]], errors: dict[tuple[int, int], str]) -> None:
    for (row, col), text in errors.items():
        while len(values) <= row:
            values.append([])
        line = values[row]
        while len(line) <= col:
            line.append(None)
        if line[col] is None:
            line[col] = text


def _clean(value: Any) -> Any:
    return None if value == "" else value


def read_with_calamine(path: Path, sheets_for=None) -> GridBook:
    """The fast reader: cached values only (what Excel last computed), no styles, no formulas.

    `sheets_for(names, sheet_names)` may pick the sheets worth reading once the defined names are known (a
    workbook made from our template needs only its form sheet, not the 填表说明 sheet); None reads them all.
    The zip is opened once for what calamine does not give: the defined names and error values (#DIV/0!…).
    """
    from python_calamine import CalamineWorkbook

    _check_head(path)
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(archive, path.name, verify=False)
            root = SafeET.fromstring(archive.read("xl/workbook.xml"))
            names = _defined_names(root)
            parts = _sheet_parts(archive, root)
            workbook = CalamineWorkbook.from_path(str(path))
            wanted = (sheets_for(names, workbook.sheet_names) if sheets_for else None) or workbook.sheet_names
            sheets = {}
            for sheet_name in workbook.sheet_names:
                if sheet_name not in wanted:
                    continue
                sheet = workbook.get_sheet_by_name(sheet_name)
                values = [[None if v == "" else v for v in row] for row in sheet.to_python(skip_empty_area=False)]
                merged = [(top, left, bottom, right) for (top, left), (bottom, right) in (sheet.merged_cell_ranges or [])]
                sheets[sheet_name] = Grid(sheet_name, values, merged)
            errors_by_sheet = _error_cells(archive, {n: p for n, p in parts.items() if n in sheets})
        for sheet_name, errors in errors_by_sheet.items():
            _put_errors(sheets[sheet_name].values, errors)
    except FormReadError:
        raise
    except zipfile.BadZipFile:
        raise FormReadError(_TRUNCATED.format(name=path.name)) from None
    except Exception:  # calamine reports corrupt parts as generic errors (English, and about XML, not the form)
        raise FormReadError(f"{path.name}：文件内容已损坏，无法读取。请在 Excel 中用“文件→打开→打开并修复”修复后另存，"
                            f"或重新获取文件。") from None
    return GridBook(sheets, names, path.name)


def grids_from_openpyxl(workbook, values_workbook=None, source: str = "") -> GridBook:
    """A GridBook from an openpyxl workbook loaded with formulas; `values_workbook` (data_only) supplies the cached
    results of formula cells when given."""
    sheets = {}
    for ws in workbook.worksheets:
        vs = values_workbook[ws.title] if values_workbook is not None else None
        values, formulas = [], set()
        for r, row in enumerate(ws.iter_rows(values_only=True)):
            out = []
            for c, value in enumerate(row):
                if isinstance(value, str) and value.startswith("="):
                    formulas.add((r, c))
                    value = vs.cell(r + 1, c + 1).value if vs is not None else None
                elif value is not None and not isinstance(value, (str, int, float, bool)) and hasattr(value, "text"):
                    value = str(value.text)  # array formulas and rich text
                out.append(_clean(value))
            values.append(out)
        merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
        sheets[ws.title] = Grid(ws.title, values, merged, formulas)
    names = {}
    for name, definition in workbook.defined_names.items():
        area = parse_area(definition.attr_text or "")
        if area is not None:
            names[name] = area
    return GridBook(sheets, names, source)
