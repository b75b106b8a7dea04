"""Workbooks as plain grids of values, read in whole blocks.

Every adapter (calamine for fast reading, openpyxl for writing, xlwings for a live workbook) turns a workbook into a
`GridBook`: for each sheet a 2-D list of values from A1, the merged ranges, and the workbook's defined names. The
form readers work only on this, so a form reads the same whichever adapter produced it.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
import olefile

_REF_RE = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


class FormReadError(Exception):
    """A file or form that cannot be read. `str()` is a Chinese sentence naming the file (and cell, if any)."""


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


def sniff(path: Path) -> None:
    """Raise FormReadError with a plain Chinese reason when `path` is not a workbook we can read."""
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
    try:
        with zipfile.ZipFile(path) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise FormReadError(f"{name}：这是一个压缩包或其他 Office 文件，不是 Excel 工作簿。")
            bad = archive.testzip()
            if bad:
                raise FormReadError(f"{name}：文件已损坏（{bad} 校验失败），请重新获取或从备份恢复。")
    except zipfile.BadZipFile:
        raise FormReadError(f"{name}：文件已损坏或不完整（可能下载或拷贝中断），无法打开。请重新获取文件。") from None


def defined_names_from_zip(path: Path) -> dict[str, Area]:
    """Workbook-scope defined names, read straight from xl/workbook.xml (calamine does not expose them)."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as archive:
        root = SafeET.fromstring(archive.read("xl/workbook.xml"))
    names = {}
    for node in root.iter(f"{ns}definedName"):
        if node.get("localSheetId") is not None or not node.text:
            continue
        area = parse_area(node.text)
        if area is not None:
            names[node.get("name")] = area
    return names


def _clean(value: Any) -> Any:
    return None if value == "" else value


def read_with_calamine(path: Path) -> GridBook:
    """The fast reader: cached values only (what Excel last computed), no styles, no formulas."""
    from python_calamine import CalamineWorkbook

    sniff(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = {}
        for sheet_name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(sheet_name)
            rows = sheet.to_python(skip_empty_area=False)
            values = [[_clean(v) for v in row] for row in rows]
            merged = [(top, left, bottom, right) for (top, left), (bottom, right) in (sheet.merged_cell_ranges or [])]
            sheets[sheet_name] = Grid(sheet_name, values, merged)
        names = defined_names_from_zip(path)
    except FormReadError:
        raise
    except Exception as exc:  # calamine reports corrupt parts as generic errors
        raise FormReadError(f"{path.name}：文件内容已损坏，无法读取（{type(exc).__name__}: {str(exc)[:120]}）。") from None
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
