"""Cell-by-cell comparison of two workbooks, for the exact-restore tests of issue #12 (check → clear = original).

Everything a person sees or typed is compared: value and its type, number format, the fill with every attribute
(pattern, foreground and background colour as rgb with its alpha, theme with tint, or indexed), the note's text and
author, and the sheet list.
"""

from __future__ import annotations

import math
import re
import warnings
import zipfile
from pathlib import Path

import openpyxl

from perfeval_xl.xlsx_io import _read_non_finite_numbers

# openpyxl cannot read a number cell whose text is NaN or inf at all; the comparison reads them as floats (the
# reader's patch only widens openpyxl's parsing) and compares their raw text separately (raw_non_finite, below).
_read_non_finite_numbers()


def _colour(colour) -> tuple | None:
    if colour is None:
        return None
    return (colour.type, colour.value, round(colour.tint or 0.0, 9))


def fill_key(fill) -> tuple:
    if fill is None:
        return ("none",)
    if getattr(fill, "tagname", "") == "gradientFill":
        return ("gradient", fill.type, fill.degree, fill.left, fill.right, fill.top, fill.bottom,
                tuple((stop.position, _colour(stop.color)) for stop in fill.stop))
    return ("pattern", fill.fill_type, _colour(fill.fgColor), _colour(fill.bgColor))


def cell_key(cell) -> tuple:
    comment = (cell.comment.text, cell.comment.author) if cell.comment is not None else None
    value = cell.value
    if type(value).__name__ in ("ArrayFormula", "DataTableFormula"):
        shown = repr(dict(value)) + repr(getattr(value, "text", None))
    else:
        shown = repr(value)  # CellRichText's repr lists every run with its font
    return (type(value).__name__, shown, cell.number_format, fill_key(cell.fill), comment)


def workbook_cells(path: Path) -> tuple[list[str], dict[tuple[str, str], tuple]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path, keep_vba=Path(path).suffix.lower() == ".xlsm", rich_text=True)
    blank = None
    cells = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                key = cell_key(cell)
                if blank is None:
                    blank = ("NoneType", "None", "General", fill_key(None), None)
                if key[0] == "NoneType" and key[3] in (("pattern", None, ("rgb", "00000000", 0.0),
                                                       ("rgb", "00000000", 0.0)),) and key[4] is None \
                        and key[2] == "General":
                    continue  # an empty, unstyled cell is the same as no cell
                cells[(ws.title, cell.coordinate)] = key
    return wb.sheetnames, cells


_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)


def raw_non_finite(path: Path) -> list[str]:
    """The raw text of number cells that hold no finite number, per part, in order (`1e999`, `NaN`): read from the
    XML itself, independently of openpyxl and of the code under test."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            if not name.startswith("xl/worksheets/") or not name.endswith(".xml"):
                continue
            for attrs, content in _CELL.findall(archive.read(name).decode("utf-8")):
                kind = re.search(r'\bt="([^"]*)"', attrs)
                value = re.search(r"<v>([^<]*)</v>", content or "")
                if (kind and kind.group(1) != "n") or not value or "<f" in content:
                    continue
                try:
                    finite = math.isfinite(float(value.group(1)))
                except ValueError:
                    finite = False
                if value.group(1).strip() and not finite:
                    found.append(value.group(1))
    return found


def differences(original: Path, restored: Path) -> list[str]:
    """Every cell that differs, as readable lines (empty when the two are the same for a person)."""
    names_a, a = workbook_cells(original)
    names_b, b = workbook_cells(restored)
    lines = [] if names_a == names_b else [f"sheets {names_a} != {names_b}"]
    if sorted(raw_non_finite(original)) != sorted(raw_non_finite(restored)):
        lines.append(f"raw numbers {raw_non_finite(original)} != {raw_non_finite(restored)}")
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            lines.append(f"{key[0]}!{key[1]}: {a.get(key)} != {b.get(key)}")
    return lines
