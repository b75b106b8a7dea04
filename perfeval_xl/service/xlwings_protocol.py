"""Our side of xlwings' VBA client protocol: the Excel button runs against the service with no xlwings PRO licence.

The add-in carries xlwings' own client, unchanged from the pinned xlwings (0.37.8): `RunServerPython` in
`xlwings/addin/Remote.bas` with VBA-Web (WebClient/WebRequest/WebResponse/WebHelpers) and Dictionary.cls. xlwings'
server side for it (`xw.Book(json=…)`, xlwings/pro/_xlremote.py) is PRO-licensed, so this module implements the
protocol itself and runs the same core as desktop Excel (workbook_edit.check_edit / clear_edit). xlwings' engine is
used only in the tests, as the differential oracle (tests/test_xlwings_protocol.py).

What RunServerPython sends (Remote.bas, line numbers of 0.37.8), as a JSON body posted with WinHttp:
- `client`: "VBA"; `version`: the add-in's XLWINGS_VERSION (Main.bas) — l. 91-92. xlwings' engine refuses any
  version but its own unless the client is Office.js (_xlremote.Book.__init__); so do we, in Chinese.
- `book`: `name` = ActiveWorkbook.Name (the file name), `active_sheet_index` = ActiveSheet.Index - 1, `selection` =
  Selection.Address(False, False) ("B3:C4", relative), or null when the selection is not a range — l. 94-102.
- `names`: one entry per workbook name that refers to a range (On Error around RefersToRange; constants and #REF!
  names are left out) — l. 104-152: `name` (Name.Name: "Sheet!x" for a sheet-scoped name), `sheet_index`
  (RefersToRange.Parent.Index - 1), `address` (RefersToRange.Address(False, False): "D20:N49", "16:16" for whole
  rows, as print titles are), `book_scope`, `scope_sheet_name`/`scope_sheet_index` (null for book scope). Print_Area
  and Print_Titles arrive too, as "Sheet!Print_Area". `[]` when there are none.
- `sheets`: every worksheet, in order, always with its `name` — l. 154-258. `pictures` ([{name, height, width}])
  and `tables` ([{name, range_address, …}]) only for sheets not excluded, else `[]`. `values`: the sheet's
  `Range(A1, last cell of UsedRange).Value` — from A1, values only, no formulas, no colours — l. 228-255:
  - an excluded sheet, or one with nothing used: `[[]]`; a used range of exactly A1: `[[v]]`;
  - `include`/`exclude` (comma-separated sheet names, trimmed; one or the other, not both; an include list is
    turned into an exclude list of every other sheet — l. 27-56) only blank the values (and pictures/tables) of
    the other sheets: their names and positions are still sent;
  - encoding is WebHelpers.ConvertToJson (l. 2069-2340): an empty cell is `null` (vbEmpty in an array → "null"),
    a formula showing nothing is `""`, a date is the local date and time as "yyyy-mm-ddTHH:mm:ss.000Z" (no time
    zone), a number is CStr of the Double (15 significant digits; a cell formatted as currency arrives as Currency,
    4 decimals), booleans are true/false, the 7 classic errors are strings ("#DIV/0!", "#N/A", "#NAME?", "#NULL!",
    "#NUM!", "#REF!", "#VALUE!"), and a text of 16-100 characters made only of digits, ".", "E" and "e" is sent
    bare, i.e. as a number (json_StringIsLargeNumber).
- The `Authorization` header (auth:= or the AUTH config key) and a 30 s default timeout (l. 295-299).

What it applies (l. 328-339): for a 200 response, `Application.Run action("func"), wb, action` for each of
`{"actions": [...]}`, in order; any other status shows the raw response body, decoded as UTF-8, in a MsgBox
(WebResponse.cls l. 161-165), so the route should answer an error with the Chinese sentence as a plain-text body.
The request body is ASCII: ConvertToJson writes every non-ASCII character as \\uXXXX. Each action has `func`, `args`
(a list: VBA reads args(1), args(2)…), `values`, `sheet_position`, `start_row`, `start_column`, `row_count`,
`column_count` (0-based; GetRange l. 364-380 takes the rectangle from the four numbers, `wb.Worksheets(pos + 1)`).
The funcs of the pinned client (l. 541-877): setValues, rangeClearContents, rangeClearFormats, rangeClear,
addSheet [position, name], setSheetName, setAutofit, setRangeColor ["#rrggbb"], activateSheet [index],
addHyperlink, setNumberFormat, setPictureName/Height/Width, deletePicture, addPicture, updatePicture,
alert [prompt, title, buttons, mode, callback], setRangeName, namesAdd, nameDelete, runMacro [name, args…],
rangeDelete, rangeInsert, rangeSelect, addTable, setTableName, resizeTable, showAutofilterTable, showHeadersTable,
showTotalsTable, setTableStyle, copyRange, sheetDelete, sheetClear, sheetClearContents, sheetClearFormats.
A func not in the list stops the client mid-way (Application.Run: "cannot run the macro"). Notes, fonts,
formulas-as-such, setScreenUpdating and setCalculation (which xlwings' engine emits) are not among them.
- setValues (l. 542-571): each value goes through WebHelpers.ParseIso first, so a text like "2024-1-5" is written
  as a date; the rest is assigned as Range.Value, which Excel parses as typing ("=…" is a formula, "" empties the
  cell). The block is `ReDim arr(rows, cols of the first row)`: rows must be equally long.
- "No fill" cannot be expressed: setRangeColor always sets Interior.Color (HexToRgb of "" is black; of null, the
  colour xlwings' engine sends for None, a run-time error), and rangeClearFormats would also drop borders, number
  formats and fonts. So we call the add-in's own sub through runMacro: workbook_edit.CLEAR_FILL_MACRO, whose VBA
  source is workbook_edit.CLEAR_FILL_VBA (the add-in build must include it).
- addSheet (l. 585-592) adds before the active sheet, then moves the new sheet after Worksheets(args(1) + 1) and
  leaves it active; with args(1) = the number of sheets it ends up last.

What we send back: only what changed, in blocks. Form cells as one setValues per run of adjacent cells in a column,
colours as one setRangeColor per column run (and one runMacro per 255-character address for no fill), the 校验结果
sheet as one setValues from A1 (after sheetClearContents, or addSheet the first time), then activateSheet and an
alert with the summary — the same actions, in the same order, as xlwings' engine running our ribbon entry (xl.py).
For the examples and templates: 6-18 actions, 4-11 kB, 10-25 ms in handle() (scripts/benchmark_protocol.py), far
from the client's 30 s timeout.

Where we differ from xlwings' engine, on purpose: a cell that arrived as "" (a formula showing nothing) is never
written, as a formula is not on desktop; the engine reads "" as empty and would write over the formula.
What the client cannot tell us: formulas (a form from our template is taken to have the template's formulas) and
merged ranges (a merged range's value arrives in its top-left cell, the others as null, like empty cells). So a
printed form whose reading depends on its merges can read differently than from the file: of the examples,
examples/printed/晋中-2020-原表样.xlsx gets one I301 more (C72, beside a merged 三级指标 cell) than `check` gives.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..grid import Area, Grid, GridBook, column_index, ref
from ..forms import sheets_to_read
from ..workbook_edit import (CLEAR_FILL_MACRO, CLEAR_FILL_VBA, BookEdit, check_button, clear_edit, colour_groups,
                             column_runs, multi_area_addresses, value_blocks)
from ..writeback import RESULTS_SHEET

__all__ = ["ProtocolError", "ProtocolLimits", "handle", "ENTRIES", "CLEAR_FILL_MACRO", "CLEAR_FILL_VBA",
           "server_xlwings_version"]

ENTRIES = {"main": "校验并计分", "clear_marks": "清除标记"}

# xlwings' engine reads these as datetimes (pro/_xlremote.py datetime_pattern); the VBA client writes dates so.
_ISO_DATETIME = re.compile(r"^(-?(?:[1-9][0-9]*)?[0-9]{4})-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9])"
                           r"T(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?(Z|[+-](?:2[0-3]|[01][0-9]):[0-5][0-9])?$")
_ADDRESS = re.compile(r"^\$?([A-Z]{1,3})?\$?([0-9]{1,7})?(?::\$?([A-Z]{1,3})?\$?([0-9]{1,7})?)?$")
_MAX_ROW, _MAX_COLUMN = 1_048_576, 16_384  # Excel's sheet size


class ProtocolError(Exception):
    """A request the service cannot take: `status` is the HTTP status, `message` a Chinese sentence for the user."""

    def __init__(self, status: int, message: str):
        super().__init__(status, message)  # both in args, so the error crosses a process pool intact
        self.status, self.message = status, message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ProtocolLimits:
    """Bounds on a payload (a stranger can post one). Generous for any real form: a form is a few thousand cells;
    the rows/columns bound matches the file reader's budget."""

    max_sheets: int = 255
    max_names: int = 5_000
    max_rows: int = 20_000
    max_columns: int = 500
    max_cells: int = 1_000_000  # values sent, empty ones included, over all sheets
    max_text: int = 32_767  # Excel's longest cell text
    max_list: int = 1_000  # pictures or tables of one sheet


DEFAULT_LIMITS = ProtocolLimits()


@lru_cache(maxsize=1)
def server_xlwings_version() -> str:
    """The xlwings version the add-in must carry: the pinned one installed with the service (not imported: the
    service needs none of xlwings' code)."""
    from importlib.metadata import version

    return version("xlwings")


# --- Reading the payload -----------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """The workbook as the VBA client sent it."""

    book: GridBook
    sheet_names: list[str]  # every worksheet, in order (sent even when its values are excluded)
    blank_texts: dict[str, set[str]] = field(default_factory=dict)  # cells that arrived as "": formulas showing nothing


def _bad(what: str, status: int = 422) -> ProtocolError:
    return ProtocolError(status, f"请求内容不是 Excel 加载项（xlwings）发送的格式：{what}。")


def _expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise _bad(what)
    return value


def _check_version(payload: dict) -> None:
    client, version = payload.get("client"), payload.get("version")
    if client != "VBA":
        raise ProtocolError(400, "本服务只接受 Excel 加载项（xlwings VBA 客户端）的请求；请在 Excel 中使用“绩效自评”选项卡的按钮，"
                                 "或在服务页面上传工作簿。")
    server = server_xlwings_version()
    if version != server:
        shown = version if isinstance(version, str) and len(version) <= 40 else "未知"
        raise ProtocolError(400, f"请使用与服务版本一致的加载项：当前 Excel 加载项的 xlwings 版本是 {shown}，服务需要 {server}。"
                                 f"请从服务页面重新下载并安装“绩效自评”Excel 加载项后再试。")


_PLAIN = frozenset({type(None), bool, int, float, str})
_INT_BOUND = 10 ** 308


def _cell_value(value: Any, where: str, limits: ProtocolLimits) -> Any:
    """One value the client sent, as the core reads it (an ISO text is a date, as xlwings' engine reads it)."""
    if type(value) not in _PLAIN:
        raise _bad(f"{where}的值类型不对")
    if type(value) is float and not math.isfinite(value):
        raise _bad(f"{where}的数值无效")
    if type(value) is int and not -_INT_BOUND <= value <= _INT_BOUND:
        raise _bad(f"{where}的数值超出范围")
    if type(value) is str:
        if len(value) > limits.max_text:
            raise ProtocolError(413, f"{where}的文字超过 {limits.max_text} 个字符，超出 Excel 单元格的上限。")
        if len(value) >= 19 and value[10:11] == "T":
            return _iso_datetime(value)
    return value


@lru_cache(maxsize=4096)  # a sheet's dates repeat; a datetime is immutable
def _iso_datetime(value: str) -> Any:
    if not _ISO_DATETIME.match(value):
        return value
    try:
        moment = dt.datetime.fromisoformat(value[:-1] if value.endswith("Z") else value)
    except ValueError:
        return value
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


def _row_values(row: list, r: int, sheet_name: str, limits: ProtocolLimits, blank_texts: set[tuple[int, int]]
                ) -> list:
    """A row of values; the common row (empty cells, numbers, short texts) is checked at C speed, the rest cell by
    cell."""
    kinds = set(map(type, row))
    if kinds <= {type(None), bool, int} and (int not in kinds or
                                             all(-_INT_BOUND <= v <= _INT_BOUND for v in row if type(v) is int)):
        return list(row)
    if not kinds <= _PLAIN or (float in kinds and not all(map(math.isfinite, (v for v in row if type(v) is float)))):
        pass  # the slow path below names the cell
    elif str not in kinds or max(len(v) for v in row if type(v) is str) <= limits.max_text:
        if int not in kinds or all(-_INT_BOUND <= v <= _INT_BOUND for v in row if type(v) is int):
            line = list(row)
            if str in kinds:
                for c, value in enumerate(line):
                    if type(value) is str and (value == "" or (len(value) >= 19 and value[10:11] == "T")):
                        if value == "":
                            blank_texts.add((r, c))
                            line[c] = None
                        else:
                            line[c] = _iso_datetime(value)
            return line
    line = []
    for c, value in enumerate(row):
        value = _cell_value(value, f"工作表“{sheet_name}”{ref(r, c)}单元格", limits)
        if value == "":
            blank_texts.add((r, c))
            value = None
        line.append(value)
    return line


def _sheet_values(sheet: dict, index: int, limits: ProtocolLimits, budget: list[int]
                  ) -> tuple[list[list[Any]], set[str]]:
    rows = _expect(sheet.get("values"), list, f"第 {index + 1} 个工作表缺少 values")
    if len(rows) > limits.max_rows:
        raise ProtocolError(413, f"工作表“{sheet['name']}”有 {len(rows)} 行，超过本服务的上限 {limits.max_rows} 行。")
    width = len(rows[0]) if rows and isinstance(rows[0], list) else 0
    if width > limits.max_columns:
        raise ProtocolError(413, f"工作表“{sheet['name']}”有 {width} 列，超过本服务的上限 {limits.max_columns} 列。")
    budget[0] -= len(rows) * width
    if budget[0] < 0:
        raise ProtocolError(413, f"工作簿发送的单元格超过本服务的上限 {limits.max_cells} 个；"
                                 f"请只保留自评表所在的工作表后再试。")
    values, blank_texts = [], set()
    for r, row in enumerate(rows):
        if type(row) is not list or len(row) != width:
            raise _bad(f"工作表“{sheet['name']}”的第 {r + 1} 行不是与首行等长的数组")
        values.append(_row_values(row, r, sheet["name"], limits, blank_texts))
    if values == [[]]:
        values = []
    return values, blank_texts


def _area(address: str, sheet: str) -> Area | None:
    """A range address as RefersToRange.Address(False, False) gives it ("C3", "D20:N49", "16:16", "A:C"); None for
    several areas or anything else."""
    match = _ADDRESS.match(address.strip().upper())
    if not match or not address.strip():
        return None
    col1, row1, col2, row2 = match.groups()
    if ":" not in address:
        col2, row2 = col1, row1
    if (col1 is None) != (col2 is None) or (row1 is None) != (row2 is None) or (col1 is None and row1 is None):
        return None
    top, bottom = (int(row1) - 1, int(row2) - 1) if row1 is not None else (0, _MAX_ROW - 1)
    left, right = (column_index(col1), column_index(col2)) if col1 is not None else (0, _MAX_COLUMN - 1)
    if not (0 <= top <= bottom < _MAX_ROW and 0 <= left <= right < _MAX_COLUMN):
        return None
    return Area(sheet, top, left, bottom, right)


def _names(payload: dict, sheet_names: list[str], limits: ProtocolLimits) -> dict[str, Area]:
    entries = _expect(payload.get("names"), list, "缺少 names 列表")
    if len(entries) > limits.max_names:
        raise ProtocolError(413, f"工作簿定义了 {len(entries)} 个名称，超过本服务的上限 {limits.max_names} 个。")
    names: dict[str, Area] = {}
    for i, entry in enumerate(entries):
        entry = _expect(entry, dict, f"names 的第 {i + 1} 项不是对象")
        name = _expect(entry.get("name"), str, f"names 的第 {i + 1} 项缺少名称")
        sheet_index = _expect(entry.get("sheet_index"), (int, type(None)), f"名称“{name[:50]}”的 sheet_index 不对")
        address = _expect(entry.get("address"), (str, type(None)), f"名称“{name[:50]}”的 address 不对")
        _expect(entry.get("book_scope"), bool, f"名称“{name[:50]}”的 book_scope 不对")
        if len(name) > 255 or address is None or len(address) > 255 or sheet_index is None:
            continue
        if not 0 <= sheet_index < len(sheet_names):  # Index counts chart sheets too; such a name is not ours
            continue
        area = _area(address, sheet_names[sheet_index])
        if area is not None:  # keyed as xl.read_book keys them: without the "Sheet!" of a sheet-scoped name
            names[name.rsplit("!", 1)[-1]] = area
    return names


def read_payload(payload: Any, limits: ProtocolLimits = DEFAULT_LIMITS) -> Snapshot:
    """Check a payload strictly and turn it into the GridBook the core reads (the sheets a form from our template
    needs, or every sheet sent). Raises ProtocolError."""
    if not isinstance(payload, dict):
        raise _bad("请求体不是 JSON 对象", 400)
    _check_version(payload)
    book = _expect(payload.get("book"), dict, "缺少 book")
    book_name = _expect(book.get("name"), str, "缺少工作簿名称")
    if not book_name or len(book_name) > 255:
        raise _bad("工作簿名称为空或过长")
    _expect(book.get("active_sheet_index"), int, "缺少活动工作表序号")
    selection = _expect(book.get("selection"), (str, type(None)), "选定区域不对")
    if selection is not None and len(selection) > 8_192:
        raise _bad("选定区域过长")
    sheets = _expect(payload.get("sheets"), list, "缺少 sheets 列表")
    if not sheets:
        raise _bad("sheets 列表为空")
    if len(sheets) > limits.max_sheets:
        raise ProtocolError(413, f"工作簿有 {len(sheets)} 个工作表，超过本服务的上限 {limits.max_sheets} 个。")
    sheet_names = []
    for i, sheet in enumerate(sheets):
        sheet = _expect(sheet, dict, f"第 {i + 1} 个工作表不是对象")
        name = _expect(sheet.get("name"), str, f"第 {i + 1} 个工作表缺少名称")
        if not name or len(name) > 31 or name in sheet_names:
            raise _bad(f"第 {i + 1} 个工作表的名称为空、过长或重复")
        for key in ("pictures", "tables"):
            if len(_expect(sheet.get(key, []), list, f"工作表“{name}”的 {key} 不是数组")) > limits.max_list:
                raise ProtocolError(413, f"工作表“{name}”的图片或表格过多。")
        sheet_names.append(name)
    names = _names(payload, sheet_names, limits)
    wanted = sheets_to_read(names, sheet_names)
    grids, blank_texts, budget = {}, {}, [limits.max_cells]
    for i, sheet in enumerate(sheets):
        values, blanks = _sheet_values(sheet, i, limits, budget)  # every sheet is checked, even one not read
        if wanted is None or sheet["name"] in wanted:
            grids[sheet["name"]] = Grid(sheet["name"], values)
            blank_texts[sheet["name"]] = {ref(r, c) for r, c in blanks}
    return Snapshot(GridBook(grids, names, book_name), sheet_names, blank_texts)


# --- Writing actions ---------------------------------------------------------------------------------------------


def _action(func: str, args: list | None = None, values: list | None = None, sheet_position: int | None = None,
            start_row: int | None = None, start_column: int | None = None, row_count: int | None = None,
            column_count: int | None = None) -> dict:
    """One action, with the keys xlwings' engine gives every action (Remote.bas reads the ones its func needs)."""
    return {"func": func, "args": args if args is not None else [], "values": values,
            "sheet_position": sheet_position, "start_row": start_row, "start_column": start_column,
            "row_count": row_count, "column_count": column_count}


def _json_value(value: Any) -> Any:
    """A value as setValues takes it: "" empties a cell; a date goes as ISO text, which the client parses back."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _set_values(position: int, top: int, left: int, block: list[list[Any]]) -> dict:
    width = max(len(row) for row in block)
    rows = [[_json_value(v) for v in row] + [""] * (width - len(row)) for row in block]
    return _action("setValues", values=rows, sheet_position=position, start_row=top, start_column=left,
                   row_count=len(rows), column_count=width)


def actions_for(edit: BookEdit, sheet_names: list[str]) -> list[dict]:
    """The BookEdit as the VBA client's actions, in the order xl.apply_edit makes its calls."""
    actions: list[dict] = []
    if edit.form_sheet is not None:
        position = sheet_names.index(edit.form_sheet)
        for top, col, block in value_blocks(edit.values):
            actions.append(_set_values(position, top, col, block))
        for colour, cells in colour_groups(edit.fills):
            if not colour:
                actions += [_action("runMacro", [CLEAR_FILL_MACRO, position, address])
                            for address in multi_area_addresses(cells)]
                continue
            actions += [_action("setRangeColor", [f"#{colour.lower()}"], sheet_position=position, start_row=top,
                                start_column=col, row_count=bottom - top + 1, column_count=1)
                        for col, top, bottom in column_runs(cells)]
    sheets = list(sheet_names)
    if edit.results is not None:
        if RESULTS_SHEET in sheets:
            actions.append(_action("sheetClearContents", sheet_position=sheets.index(RESULTS_SHEET)))
        else:
            actions.append(_action("addSheet", [len(sheets), RESULTS_SHEET]))
            sheets.append(RESULTS_SHEET)
        actions.append(_set_values(sheets.index(RESULTS_SHEET), 0, 0, edit.results))
    if edit.delete_results and RESULTS_SHEET in sheets:
        actions.append(_action("sheetDelete", sheet_position=sheets.index(RESULTS_SHEET)))
        sheets.remove(RESULTS_SHEET)
    if edit.activate_results and RESULTS_SHEET in sheets:
        index = sheets.index(RESULTS_SHEET)
        actions.append(_action("activateSheet", [index], sheet_position=index))
    if edit.alert is not None:
        actions.append(_action("alert", [edit.alert.text, edit.alert.title, "ok", edit.alert.mode, ""]))
    return actions


# --- The entry ---------------------------------------------------------------------------------------------------


NOT_JSON = "加载项发来的内容无法识别（不是 JSON）。请使用与服务版本一致的加载项：从服务首页重新下载 Excel 加载项。"


def handle_body(entry: str, body: bytes, limits: ProtocolLimits = DEFAULT_LIMITS) -> dict:
    """handle() on the request body as the client sent it (JSON text); ProtocolError 400 when it is not a JSON object."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(400, NOT_JSON) from None
    if not isinstance(payload, dict):
        raise ProtocolError(400, NOT_JSON)
    return handle(entry, payload, limits)


def handle(entry: str, payload: Any, limits: ProtocolLimits = DEFAULT_LIMITS) -> dict:
    """One click of a ribbon button that needs a workbook: `entry` "main" (校验并计分) or "clear_marks" (清除标记),
    `payload` as RunServerPython posts it. Returns {"actions": [...]} for the client to apply. A workbook that holds
    no readable form gets an alert action, as on desktop; a request that is not a well-formed payload of the same
    xlwings version raises ProtocolError (400/413/422; 404 for an unknown entry) with a Chinese message."""
    if entry not in ENTRIES:
        raise ProtocolError(404, f"没有名为“{str(entry)[:40]}”的按钮入口；可用的入口：{'、'.join(ENTRIES)}。")
    snapshot = read_payload(payload, limits)
    try:
        if entry == "main":
            edit = check_button(snapshot.book, formula_hints=snapshot.blank_texts)
        else:
            edit = clear_edit(snapshot.book)[0]
        return {"actions": actions_for(edit, snapshot.sheet_names)}
    except (RecursionError, MemoryError):
        raise ProtocolError(413, f"工作簿“{snapshot.book.source}”过于复杂，本服务无法处理。") from None
