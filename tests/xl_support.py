"""Real xlwings Books on Linux, through xlwings' remote engine (`xw.Book(json=payload)`).

The remote engine is xlwings PRO; it is free for noncommercial use and government institutions with the licence key
`noncommercial`, which must be set before xlwings is imported. A payload is what an Excel client sends: every
sheet's values from A1 and the defined names. We build it from a real .xlsx (recalculated by LibreOffice where the
test needs formula results, as Excel would have them).

`apply_actions` replays the value-changing actions xlwings returns (setValues, addSheet, clear, sheetDelete,
setRangeColor) onto a payload, so a second run sees what the first one wrote. It stands in for Excel applying the
actions — the only part of this loop that cannot run here — and handles only the actions our code emits.
"""

from __future__ import annotations

import copy
import datetime as dt
import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import openpyxl  # noqa: E402
import xlwings as xw  # noqa: E402

from perfeval_xl.grid import column_letter, parse_area  # noqa: E402


def _json_value(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return value


def payload_from_xlsx(path, client: str = "VBA") -> dict:
    wb = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in wb.worksheets:
        values = [[_json_value(v) for v in row] for row in ws.iter_rows(values_only=True)] or [[""]]
        width = max(len(r) for r in values)
        sheets.append({"name": ws.title, "values": [r + [""] * (width - len(r)) for r in values],
                       "pictures": [], "tables": []})
    names = []
    for name, definition in wb.defined_names.items():
        area = parse_area(definition.attr_text)
        if area is None:
            continue
        index = wb.sheetnames.index(area.sheet)
        first = f"${column_letter(area.left)}${area.top + 1}"
        last = f"${column_letter(area.right)}${area.bottom + 1}"
        names.append({"name": name, "sheet_index": index, "address": first if first == last else f"{first}:{last}",
                      "book_scope": True, "scope_sheet_name": None, "scope_sheet_index": None})
    return {"client": client, "version": xw.__version__,
            "book": {"name": os.path.basename(str(path)), "active_sheet_index": 0, "selection": "A1"},
            "names": names, "sheets": sheets}


def book_from(payload: dict):
    """A Book over a copy: the remote engine updates the payload it is given as actions are recorded."""
    return xw.Book(json=copy.deepcopy(payload))


def actions_of(book) -> list[dict]:
    return book.json()["actions"]


def apply_actions(payload: dict, actions: list[dict]) -> dict:
    """A new payload with the actions' effect on values (see module docstring)."""
    result = copy.deepcopy(payload)
    sheets = result["sheets"]
    for action in actions:
        func = action["func"]
        if func == "addSheet":
            position, name = action["args"]
            sheets.insert(position + 1, {"name": name, "values": [[""]], "pictures": [], "tables": []})
        elif func in ("sheetClear", "sheetClearContents"):
            sheets[action["sheet_position"]]["values"] = [[""]]
        elif func == "sheetDelete":
            del sheets[action["sheet_position"]]
        elif func in ("setValues",):
            grid = sheets[action["sheet_position"]]["values"]
            r0, c0 = action["start_row"], action["start_column"]
            need_rows = r0 + len(action["values"])
            need_cols = c0 + max(len(r) for r in action["values"])
            width = max(need_cols, max(len(r) for r in grid))
            for row in grid:
                row.extend([""] * (width - len(row)))
            while len(grid) < need_rows:
                grid.append([""] * width)
            for i, row in enumerate(action["values"]):
                for j, value in enumerate(row):
                    grid[r0 + i][c0 + j] = _displayed(value)
    return result


def _displayed(value):
    """What Excel shows for a written value: a HYPERLINK formula shows its friendly name."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith("=HYPERLINK("):
        return value.rsplit(",", 1)[1].strip('")')
    return value
