"""xlwings' VBA client (Remote.bas of the pinned xlwings 0.37.8), re-implemented in Python for the tests.

Desktop Excel cannot run here, so this module stands in for the two things the client does around the HTTP call,
written from the VBA source (line numbers are those of xlwings/addin/Remote.bas and WebHelpers.bas):

- `BookModel.payload()` builds the request body as RunServerPython does (Remote.bas l. 89-258): the workbook's
  worksheets in order, each with its used range from A1 as cached values (no formulas, no colours) encoded as
  WebHelpers.ConvertToJson encodes them (l. 2069-2340: empty → null, dates → "yyyy-mm-ddTHH:mm:ss.000Z", numbers by
  CStr with 15 significant digits, currency cells as Currency, digit-only texts of 16+ characters bare), the names
  that refer to ranges (Name.Name, RefersToRange.Parent.Index - 1, Address(False, False)), and include/exclude.
- `BookModel.apply(actions)` applies a response's actions as `Application.Run action("func"), wb, action` does
  (l. 328-332), func by func from the Subs at l. 541-877, including what each does with odd input (a func the client
  lacks, a null colour, rows of unequal length: VbaRuntimeError, where VBA would stop).

A `BookModel` is an Excel workbook reduced to what the protocol touches: per sheet the values as Excel holds them
(formulas as their text, with the value they show), the fill colours and number formats, and the used range.
It is loaded from a real .xlsx with openpyxl (formula results must be cached in the file: recalculate it first).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.cell import range_boundaries

from perfeval_xl.grid import column_letter, parse_area
from perfeval_xl.workbook_edit import CLEAR_FILL_MACRO

CLIENT_VERSION = "0.37.8"  # XLWINGS_VERSION of the add-in built from the pinned xlwings (Main.bas)


def _web_user_agent() -> str:
    """VBA-Web's User-Agent, read from the pinned xlwings' WebHelpers.bas (WebUserAgent, l. 275)."""
    import xlwings

    source = (Path(xlwings.__file__).parent / "addin" / "WebHelpers.bas").read_text(encoding="utf-8", errors="replace")
    return re.search(r'Public Const WebUserAgent As String = "([^"]+)"', source).group(1)


def request_headers(auth: str | None = None) -> dict[str, str]:
    """The headers RunServerPython's request carries: VBA-Web's User-Agent (WebRequest.cls l. 868), and for
    Format = WebFormat.Json (Remote.bas l. 291) JSON both ways (WebRequest.cls: RequestFormat/ResponseFormat);
    `auth` as the Authorization header (Remote.bas l. 280-287)."""
    headers = {"User-Agent": _web_user_agent(), "Content-Type": "application/json", "Accept": "application/json"}
    if auth:
        headers["Authorization"] = auth
    return headers


def message_box_text(status: int, reason: str, body: bytes) -> str:
    """What the client shows for an answer that is not 200 (Remote.bas l. 333-339): the body, decoded as UTF-8
    (WebResponse.cls l. 161-165), or when it is empty the status text and code."""
    content = body.decode("utf-8", errors="replace")
    return content if content else f"{reason} ({status})"


class VbaRuntimeError(Exception):
    """Where the VBA client would stop with a run-time error (and leave the rest of the actions unapplied)."""


@dataclass
class SheetModel:
    name: str
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)  # 0-based (row, col) → value or "=formula"
    shown: dict[tuple[int, int], Any] = field(default_factory=dict)  # formula cells → the value they show
    fills: dict[tuple[int, int], str] = field(default_factory=dict)  # solid fill "RRGGBB"; absent = no fill
    formats: dict[tuple[int, int], str] = field(default_factory=dict)  # number formats other than General
    used: tuple[int, int] = (0, 0)  # UsedRange's last row and column, 1-based (0, 0: nothing used)

    def value(self, key: tuple[int, int]) -> Any:
        """What Range.Value gives for the cell."""
        return self.shown.get(key) if key in self.shown else self.cells.get(key)

    def put(self, key: tuple[int, int], value: Any) -> None:
        self.cells.pop(key, None)
        self.shown.pop(key, None)
        if value is None:
            return
        if isinstance(value, str) and value.startswith("="):
            self.shown[key] = _formula_shows(value)
        self.cells[key] = value
        self.used = (max(self.used[0], key[0] + 1), max(self.used[1], key[1] + 1))


@dataclass
class BookModel:
    name: str
    sheets: list[SheetModel]
    names: list[tuple[str, str, str]]  # (Name.Name, sheet of RefersToRange, Address(False, False))
    active: int = 0
    selection: str | None = "A1"
    alerts: list[tuple[str, str, str, str]] = field(default_factory=list)  # MsgBoxes shown (prompt, title, …)
    macros: frozenset[str] = frozenset({CLEAR_FILL_MACRO})  # subs of the add-in that runMacro can reach

    @classmethod
    def from_xlsx(cls, path: Path, name: str | None = None) -> "BookModel":
        formulas = openpyxl.load_workbook(path)
        values = openpyxl.load_workbook(path, data_only=True)
        sheets = []
        for ws in formulas.worksheets:
            sheet = SheetModel(ws.title)
            cached = values[ws.title]
            for row in ws.iter_rows():
                for cell in row:
                    key = (cell.row - 1, cell.column - 1)
                    if cell.value is not None:
                        sheet.cells[key] = cell.value
                        if isinstance(cell.value, str) and cell.value.startswith("="):
                            sheet.shown[key] = cached.cell(cell.row, cell.column).value
                    if cell.fill is not None and cell.fill.fill_type == "solid" and cell.fill.fgColor.type == "rgb":
                        sheet.fills[key] = str(cell.fill.fgColor.rgb)[-6:].upper()
                    if cell.number_format and cell.number_format != "General":
                        sheet.formats[key] = cell.number_format
            # Excel's UsedRange covers every cell with content or formatting, which is what openpyxl's extent is
            sheet.used = (ws.max_row, ws.max_column) if sheet.cells or ws.max_row > 1 or ws.max_column > 1 else (0, 0)
            sheets.append(sheet)
        names = []
        for defined_name, definition in formulas.defined_names.items():
            area = parse_area(definition.attr_text)
            if area is not None:
                names.append((defined_name, area.sheet, area.address))
        for ws in formulas.worksheets:
            prefix = _sheet_prefix(ws.title)
            for defined_name, definition in ws.defined_names.items():
                area = parse_area(definition.attr_text)
                if area is not None:
                    names.append((f"{prefix}!{defined_name}", area.sheet, area.address))
            if ws.print_area:
                area = parse_area(ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0])
                if area is not None:
                    names.append((f"{prefix}!Print_Area", ws.title, area.address))
            if ws.print_title_rows:
                names.append((f"{prefix}!Print_Titles", ws.title, ws.print_title_rows.replace("$", "")))
        names.sort(key=lambda n: n[0].casefold())  # Excel's Names collection is in name order
        active = formulas.worksheets.index(formulas.active) if formulas.active in formulas.worksheets else 0
        selection = formulas.worksheets[active].sheet_view.selection[0].sqref if \
            formulas.worksheets[active].sheet_view.selection else "A1"
        return cls(name or path.name, sheets, names, active, str(selection or "A1").replace(" ", ","))

    def copy(self) -> "BookModel":
        return copy.deepcopy(self)

    def sheet(self, name: str) -> SheetModel:
        return next(s for s in self.sheets if s.name == name)

    # --- The request (Remote.bas l. 89-258) ----------------------------------------------------------------------

    def payload(self, include: list[str] | None = None, exclude: list[str] | None = None,
                version: str = CLIENT_VERSION) -> dict:
        if include and exclude:
            raise VbaRuntimeError("Either use 'include' or 'exclude', but not both!")  # l. 43-46: a MsgBox
        excluded = set(exclude or [])
        if include:  # l. 48-56: every sheet not included is excluded (names trimmed by IsInArray, l. 418)
            wanted = {name.strip() for name in include}
            excluded = {s.name for s in self.sheets if s.name not in wanted}
        names = []
        for name, sheet, address in self.names:  # l. 104-152
            index = next((i for i, s in enumerate(self.sheets) if s.name == sheet), None)
            if index is None:
                continue  # RefersToRange fails: not sent
            scoped = "!" in name
            names.append({"name": name, "sheet_index": index, "address": address, "book_scope": not scoped,
                          "scope_sheet_name": sheet if scoped else None, "scope_sheet_index": index if scoped else None})
        sheets = []
        for sheet in self.sheets:  # l. 156-257
            entry = {"name": sheet.name, "pictures": [], "tables": []}
            if sheet.name in excluded or sheet.used == (0, 0):
                entry["values"] = [[]]  # l. 230-233
            else:
                rows, cols = sheet.used
                entry["values"] = [[_to_json(sheet.value((r, c)), sheet.formats.get((r, c), ""))
                                    for c in range(cols)] for r in range(rows)]
            sheets.append(entry)
        body = {"client": "VBA", "version": version,
                "book": {"name": self.name, "active_sheet_index": self.active, "selection": self.selection},
                "names": names, "sheets": sheets}
        return json.loads(json.dumps(body, ensure_ascii=False))  # what goes over the wire, parsed as the server does

    # --- The response (Remote.bas l. 328-332 and the Subs at l. 541-877) ---------------------------------------------

    def apply(self, actions: list[dict]) -> None:
        for action in json.loads(json.dumps(actions)):  # the client sees the JSON, not our Python objects
            func = action.get("func")
            handler = _FUNCS.get(func)
            if handler is None:
                raise VbaRuntimeError(f"Cannot run the macro '{func}'.")  # Application.Run of a missing Sub
            handler(self, action)


def _sheet_prefix(name: str) -> str:
    return name if re.fullmatch(r"[^\s'!\-+()（）,;]+", name) else "'" + name.replace("'", "''") + "'"


def _formula_shows(formula: str) -> Any:
    """What a formula we write shows: our only formula is HYPERLINK(link, friendly name)."""
    match = re.fullmatch(r'=HYPERLINK\("[^"]*","([^"]*)"\)', formula)
    if not match:
        raise VbaRuntimeError(f"unexpected formula written: {formula}")
    return match.group(1)


# --- ConvertToJson of one cell value (WebHelpers.bas l. 2098-2340) ----------------------------------------------


def _vba_cstr_number(value: float) -> Any:
    """CStr of a Double (15 significant digits, E notation from 1E+15), then parsed as JSON by the server."""
    return json.loads("%.15G" % value)


def _to_json(value: Any, number_format: str) -> Any:
    if value is None:
        return None  # vbEmpty in an array → null (l. 2182-2188)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if any(symbol in number_format for symbol in ("¥", "￥", "$", "€")):
            value = round(value, 4)  # Range.Value of a currency-formatted cell is a Currency (4 decimals)
        return _vba_cstr_number(float(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # ConvertToIso, l. 2919-2924: local time, literal .000Z
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.time):
        return dt.datetime(1899, 12, 30, value.hour, value.minute, value.second).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    text = str(value)
    if 16 <= len(text) <= 100 and all(ch in ".0123456789Ee" for ch in text):  # json_StringIsLargeNumber: sent bare
        try:
            return json.loads(text)
        except ValueError:
            raise VbaRuntimeError(f"the client would send invalid JSON for the text {text!r}") from None
    return text


# --- Applying actions --------------------------------------------------------------------------------------------


def _worksheet(book: BookModel, action: dict) -> SheetModel:
    position = action["sheet_position"]
    if not isinstance(position, int) or not 0 <= position < len(book.sheets):
        raise VbaRuntimeError("Subscript out of range (wb.Worksheets(sheet_position + 1))")
    return book.sheets[position]


def _range(book: BookModel, action: dict) -> tuple[SheetModel, list[tuple[int, int]]]:
    """GetRange (l. 364-380): the rectangle start_row/start_column, row_count × column_count."""
    sheet = _worksheet(book, action)
    top, left, rows, cols = (action.get(k) for k in ("start_row", "start_column", "row_count", "column_count"))
    if not all(isinstance(v, int) for v in (top, left, rows, cols)) or rows < 1 or cols < 1 or top < 0 or left < 0:
        raise VbaRuntimeError("Invalid use of Null / bad range in GetRange")
    return sheet, [(top + i, left + j) for i in range(rows) for j in range(cols)]


def _parse_iso(text: str) -> dt.datetime | None:
    """WebHelpers.ParseIso (l. 2839-2900): None where it raises (and setValues keeps the value as it is)."""
    try:
        date_part, _, time_part = text.partition("T")
        pieces = date_part.split("-")
        if len(pieces) < 3:
            return None
        year, month, day = (_cint(p) for p in pieces[:3])
        if 0 <= year <= 29:
            year += 2000
        elif 30 <= year <= 99:
            year += 1900
        moment = _date_serial(year, month, day)
        if time_part:
            clock = [_cint(p) if i < 2 else int(float(p)) for i, p in enumerate(time_part.replace("Z", "").split(":")[:3])]
            moment += dt.timedelta(hours=clock[0], minutes=clock[1] if len(clock) > 1 else 0,
                                   seconds=clock[2] if len(clock) > 2 else 0)
        return moment
    except (ValueError, IndexError, OverflowError):
        return None


def _cint(text: str) -> int:
    value = float(text.strip())
    if not -32768 <= value <= 32767:
        raise OverflowError(text)
    return round(value)


def _date_serial(year: int, month: int, day: int) -> dt.datetime:
    """VBA DateSerial: months and days out of range roll over."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.datetime(year, month, 1) + dt.timedelta(days=day - 1)


_NUMBER_TEXT = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
_DATE_LIKE_TEXT = re.compile(r"^\s*\d{1,4}[/\-.]\d{1,2}([/\-.]\d{1,4})?\s*$|^\s*\d+(\.\d+)?\s*%\s*$")


def _as_excel_stores(value: Any) -> Any:
    """Range.Value = value: Excel takes a text as if typed ("=…" a formula, "" nothing, "12.5" a number)."""
    if isinstance(value, str):
        if value == "":
            return None
        if value.startswith("="):
            return value
        if _NUMBER_TEXT.match(value):
            return float("%.15g" % float(value))  # typing keeps 15 significant digits
        if _DATE_LIKE_TEXT.match(value):
            raise VbaRuntimeError(f"Excel would turn the text {value!r} into a date or percentage")
    return value


def _json_number(value: Any) -> Any:
    """json_ParseNumber (l. 2491-2521): a number of 16+ characters (17 with a point) stays a String."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    text = json.dumps(value)
    large = len(text) >= 17 if "." in text else len(text) >= 16
    return text if large else float(value)


def set_values(book: BookModel, action: dict) -> None:  # l. 542-571
    values = action["values"]
    if not isinstance(values, list) or not values or not all(isinstance(r, list) for r in values) or not values[0]:
        raise VbaRuntimeError("setValues: values is not a 2-D array")
    width = len(values[0])
    if any(len(row) > width for row in values):
        raise VbaRuntimeError("Subscript out of range (a row longer than the first, l. 548)")
    arr = []
    for row in values:
        line = []
        for value in row + [None] * (width - len(row)):
            value = _json_number(value)
            parsed = _parse_iso(str(value)) if value is not None and not isinstance(value, bool) else None
            line.append(parsed if parsed is not None else value)  # ParseIso first, else the value (l. 553-566)
        arr.append(line)
    sheet, cells = _range(book, action)
    top, left = action["start_row"], action["start_column"]
    for row, col in cells:
        i, j = row - top, col - left
        value = arr[i][j] if i < len(arr) and j < width else "#N/A"  # a range bigger than the array shows #N/A
        sheet.put((row, col), _as_excel_stores(value))


def set_range_color(book: BookModel, action: dict) -> None:  # l. 606-608, HexToRgb l. 412-421
    colour = action["args"][0]
    if colour is None:
        raise VbaRuntimeError("Invalid use of Null (HexToRgb of a null colour)")
    text = str(colour).replace("#", "")
    rgb = "".join(f"{int(text[i:i + 2] or '0', 16):02X}" for i in (0, 2, 4))
    sheet, cells = _range(book, action)
    for key in cells:
        sheet.fills[key] = rgb


def add_sheet(book: BookModel, action: dict) -> None:  # l. 585-592
    position, name = action["args"][0], action["args"][1]
    new = SheetModel(name if name is not None else f"Sheet{len(book.sheets) + 1}")
    if any(s.name == new.name for s in book.sheets):
        raise VbaRuntimeError("That name is already taken (mysheet.Name = …)")
    book.sheets.insert(book.active, new)  # wb.Sheets.Add: before the active sheet
    after = book.sheets[position]  # Worksheets(args(1) + 1), in the list that now holds the new sheet
    book.sheets.remove(new)
    book.sheets.insert(book.sheets.index(after) + 1, new)
    book.active = book.sheets.index(new)  # the added sheet is active


def activate_sheet(book: BookModel, action: dict) -> None:  # l. 610-612
    index = action["args"][0]
    if not 0 <= index < len(book.sheets):
        raise VbaRuntimeError("Subscript out of range (wb.Sheets(args(1) + 1))")
    book.active = index


def alert(book: BookModel, action: dict) -> None:  # l. 688-734
    prompt, title, buttons, mode, callback = action["args"]
    if buttons not in ("ok", "ok_cancel", "yes_no", "yes_no_cancel") or callback:
        raise VbaRuntimeError("alert: unexpected buttons or callback")
    book.alerts.append((prompt, title, buttons, mode))


def run_macro(book: BookModel, action: dict) -> None:  # l. 758-787: Application.Run args(1), wb, args(2)…
    name, *args = action["args"]
    if name not in book.macros:
        raise VbaRuntimeError(f"Cannot run the macro '{name}'.")
    _MACROS[name](book, *args)


def clear_fill(book: BookModel, sheet_position: int, address: str) -> None:
    """workbook_edit.CLEAR_FILL_VBA: wb.Worksheets(pos + 1).Range(address).Interior.ColorIndex = xlColorIndexNone."""
    sheet = _worksheet(book, {"sheet_position": sheet_position})
    if len(address) > 255:
        raise VbaRuntimeError("Range(address) takes at most 255 characters")
    for area in address.split(","):
        left, top, right, bottom = range_boundaries(area)
        for row in range(top - 1, bottom):
            for col in range(left - 1, right):
                sheet.fills.pop((row, col), None)


def sheet_delete(book: BookModel, action: dict) -> None:  # l. 859-865
    sheet = _worksheet(book, action)
    index = book.sheets.index(sheet)
    book.sheets.remove(sheet)
    if book.active > index or book.active >= len(book.sheets):
        book.active -= 1


def sheet_clear_contents(book: BookModel, action: dict) -> None:  # l. 871-873
    sheet = _worksheet(book, action)
    sheet.cells.clear()
    sheet.shown.clear()


def range_clear_contents(book: BookModel, action: dict) -> None:  # l. 573-575
    sheet, cells = _range(book, action)
    for key in cells:
        sheet.put(key, None)


_FUNCS = {"setValues": set_values, "setRangeColor": set_range_color, "addSheet": add_sheet,
          "activateSheet": activate_sheet, "alert": alert, "runMacro": run_macro, "sheetDelete": sheet_delete,
          "sheetClearContents": sheet_clear_contents, "rangeClearContents": range_clear_contents}
_MACROS = {CLEAR_FILL_MACRO: clear_fill}


# --- What tests compare --------------------------------------------------------------------------------------------


def state(book: BookModel) -> dict:
    """Everything the user sees: sheets in order, every cell's content and fill, the active sheet, the MsgBoxes."""
    return {"sheets": [s.name for s in book.sheets], "active": book.active, "alerts": list(book.alerts),
            "cells": {s.name: {f"{column_letter(c)}{r + 1}": v for (r, c), v in sorted(s.cells.items())}
                      for s in book.sheets},
            "fills": {s.name: {f"{column_letter(c)}{r + 1}": v for (r, c), v in sorted(s.fills.items())}
                      for s in book.sheets}}
