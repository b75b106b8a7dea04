"""What the 校验并计分 and 清除标记 buttons change in an open workbook, decided once for every Excel client.

Two clients apply it: desktop Excel through xlwings (xl.py) and the add-in's VBA client through the service
(service/xlwings_protocol.py). Each reads the workbook into a `GridBook` (plus the formula cells where it can tell),
calls `check_edit` / `clear_edit` here — which call the same writeback.plan / results_sheet / clear_plan as the file
adapter — and only turns the resulting `BookEdit` into its own calls: xlwings API calls or the VBA client's action
dicts. Writes are blocks (runs of adjacent cells in a column), never cell by cell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .engine import evaluate, resolve_policy
from .forms import read_form
from .grid import FormReadError, GridBook, parse_ref, ref
from .model import Evaluation, Form, load_family
from .policy import PolicyError
from .writeback import MARK_COLOURS, RESULTS_SHEET, WritePlan, clear_plan, plan, read_state, summary_line

# The template's fill colours by role (template_builder.py uses the same): where the client cannot read a cell's
# colour, a mark remembers, and 清除标记 restores, the colour of the cell's role.
INPUT_FILL, COMPUTED_FILL = "FFF2CC", "F2F2F2"

# "No fill" for the VBA client. xlwings' Remote.bas can set a colour (setRangeColor → Interior.Color) or clear every
# format of a range (rangeClearFormats: borders, number formats and fonts too), but cannot take a fill off; and the
# colour None that xlwings' own engine sends for "no fill" stops the client (HexToRgb(Null): "Invalid use of Null").
# So the add-in carries this sub, and the service calls it through Remote.bas' runMacro
# (`Application.Run args(1), wb, args(2), args(3)`), resolved like Remote.bas' own funcs. One call per address of at
# most 255 characters (several areas: "F15:F17,H3").
CLEAR_FILL_MACRO = "PerfevalClearFill"
CLEAR_FILL_VBA = f"""\
Attribute VB_Name = "PerfevalActions"
' Actions the perfeval-xl service sends that xlwings' Remote.bas has no func for. The service calls them through
' Remote.bas' runMacro: Application.Run <name>, wb, <args...>. Source: perfeval_xl/workbook_edit.py (CLEAR_FILL_VBA).
Option Explicit

' Take the fill off cells (as xlwings does on desktop for color = None), keeping borders, number formats and fonts.
Public Sub {CLEAR_FILL_MACRO}(wb As Workbook, sheetPosition As Variant, address As Variant)
    wb.Worksheets(CLng(sheetPosition) + 1).Range(CStr(address)).Interior.ColorIndex = xlColorIndexNone
End Sub
"""


@dataclass
class Alert:
    text: str
    title: str
    mode: str  # "info" or "critical", as xlwings' App.alert and Remote.bas' alert take it


@dataclass
class BookEdit:
    """Everything one button click changes. Cells are on `form_sheet`; `fills` maps a cell to "RRGGBB" or to ""
    (no fill); `results` is the whole 校验结果 sheet from A1 (the sheet is added after the last one when missing)."""

    form_sheet: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    fills: dict[str, str] = field(default_factory=dict)
    results: list[list[Any]] | None = None
    delete_results: bool = False
    activate_results: bool = False
    alert: Alert | None = None


# --- Blocks ------------------------------------------------------------------------------------------------------


def column_runs(cells: Iterable[str]) -> list[tuple[int, int, int]]:
    """Group cells into vertical runs: (column, first row, last row), 0-based. One write per run."""
    by_column: dict[int, list[int]] = defaultdict(list)
    for cell in cells:
        row, col = parse_ref(cell)
        by_column[col].append(row)
    runs = []
    for col in sorted(by_column):
        rows = sorted(by_column[col])
        start = prev = rows[0]
        for row in rows[1:]:
            if row != prev + 1:
                runs.append((col, start, prev))
                start = row
            prev = row
        runs.append((col, start, prev))
    return runs


def value_blocks(values: dict[str, Any]) -> list[tuple[int, int, list[list[Any]]]]:
    """(first row, column, one-column block) per column run of `values`."""
    return [(top, col, [[values[ref(r, col)]] for r in range(top, bottom + 1)])
            for col, top, bottom in column_runs(values)]


def colour_groups(fills: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(colour, cells) per colour, in a stable order: one group is painted with as few calls as the client allows."""
    by_colour: dict[str, list[str]] = defaultdict(list)
    for cell, colour in fills.items():
        by_colour[colour].append(cell)
    return sorted(by_colour.items())


def multi_area_addresses(cells: Iterable[str], limit: int = 255) -> list[str]:
    """Column runs joined into multi-area addresses ("F15:F17,F25,H3") of at most `limit` characters, the most
    Excel's Range() accepts: one call colours every cell of an address."""
    parts = [ref(top, col) if top == bottom else f"{ref(top, col)}:{ref(bottom, col)}"
             for col, top, bottom in column_runs(cells)]
    chunks, current = [], ""
    for part in parts:
        if current and len(current) + 1 + len(part) > limit:
            chunks.append(current)
            current = part
        else:
            current = f"{current},{part}" if current else part
    return chunks + ([current] if current else [])


# --- Decisions ---------------------------------------------------------------------------------------------------


def template_computed_cells(form: Form) -> set[str]:
    """Cells our template fills with formulas (family fields/budget columns marked `computed`, subtotals)."""
    family = load_family(form.family)
    cells = {form.field_cell(key).ref for key, spec in family.fields.items() if spec.get("computed")}
    computed_columns = {c["key"] for c in family.data.get("budget", {}).get("columns", []) if c.get("computed")}
    cells |= {cell.ref for row in form.budget.values() for key, cell in row.items() if key in computed_columns}
    cells |= {cell.ref for cell in form.subtotals.values()}
    cells |= {form.funding[key].ref for key, spec in family.data.get("funding", {}).items()
              if spec.get("computed") and key in form.funding}
    return {c for c in cells if c}


def results_values(write: WritePlan, form_sheet: str) -> list[list[Any]]:
    """The 校验结果 rows, with HYPERLINK formulas so the links travel in the same single write."""
    rows = [list(r) for r in write.results]
    for (r, c), target in write.links.items():
        shown = rows[r][c]
        rows[r][c] = f'=HYPERLINK("#\'{form_sheet}\'!{target}","{shown}")'
    return [["" if v is None else v for v in row] for row in rows]


def check_edit(gridbook: GridBook, formulas: dict[str, set[str]] | None = None,
               formula_hints: dict[str, set[str]] | None = None, policy_override: str | None = None
               ) -> tuple[Evaluation, WritePlan, BookEdit]:
    """校验并计分 on a workbook read by a client. `formulas`: per sheet, every formula cell, where the client can
    tell (desktop Excel); elsewhere a form from our template is taken to have the template's formulas. `formula_hints`:
    cells known to hold formulas though the list is not complete (the VBA client sends "" for a formula that shows
    nothing). Raises FormReadError / PolicyError when the workbook holds no form we can read."""
    formulas, formula_hints = formulas or {}, formula_hints or {}
    form = read_form(gridbook)
    policy, notes = resolve_policy(form, policy_override)
    evaluation = evaluate(form, policy, notes)
    grid = gridbook.sheets[form.sheet]
    previous = read_state(gridbook.sheets[RESULTS_SHEET].values) if RESULTS_SHEET in gridbook.sheets else {}
    if form.sheet in formulas:
        formula_cells = set(formulas[form.sheet])
    else:
        formula_cells = template_computed_cells(form) if form.layout == "template" else set()
    formula_cells |= formula_hints.get(form.sheet, set())
    cells = {o.cell for o in evaluation.outputs} | set(previous) | {i.cell for i in evaluation.issues if i.cell}
    current = {cell: grid.get(*parse_ref(cell)) for cell in cells}
    default_fill = {}
    if form.layout == "template":
        default_fill = {cell: COMPUTED_FILL if cell in formula_cells else INPUT_FILL for cell in cells}
    write = plan(evaluation, current, formula_cells, previous, default_fill=default_fill)
    fills = dict(write.unmark)
    fills.update({cell: MARK_COLOURS[severity] for cell, severity in write.marks.items()})
    kept = f"\n保留了 {len(write.kept_typed)} 处手工填写的值（与规则不同处见校验结果）。" if write.kept_typed else ""
    edit = BookEdit(form.sheet, dict(write.values), fills, results_values(write, form.sheet), activate_results=True,
                    alert=Alert(summary_line(evaluation) + kept, "绩效自评：校验完成", "info"))
    return evaluation, write, edit


def check_button(gridbook: GridBook, formulas: dict[str, set[str]] | None = None,
                 formula_hints: dict[str, set[str]] | None = None) -> BookEdit:
    """The 校验并计分 button: check_edit, or only an alert saying why the workbook cannot be checked."""
    try:
        return check_edit(gridbook, formulas, formula_hints)[2]
    except (FormReadError, PolicyError) as exc:
        return BookEdit(alert=Alert(str(exc), "绩效自评：无法校验", "critical"))


def clear_edit(gridbook: GridBook) -> tuple[BookEdit, int]:
    """清除标记: empty the cells we filled (if they still hold our value and their row still holds the same
    indicator), restore colours, drop 校验结果. Returns the edit and how many cells it restores."""
    if RESULTS_SHEET not in gridbook.sheets:
        return BookEdit(alert=Alert(_cleared(0), "绩效自评", "info")), 0
    state = read_state(gridbook.sheets[RESULTS_SHEET].values)
    try:
        form = read_form(gridbook)
        form_sheet = form.sheet
    except FormReadError:
        form, form_sheet = None, _form_sheet_name(gridbook)
        if form_sheet is None:
            return BookEdit(alert=Alert("找不到自评表所在的工作表，未清除标记。", "绩效自评", "critical")), 0
    grid = gridbook.sheets[form_sheet]
    values, colours = clear_plan(state, form, {cell: grid.get(*parse_ref(cell)) for cell in state})
    restored = len(values) + len(colours)
    return BookEdit(form_sheet, dict(values), dict(colours), delete_results=True,
                    alert=Alert(_cleared(restored), "绩效自评", "info")), restored


def _cleared(restored: int) -> str:
    return f"已清除校验标记，还原 {restored} 处单元格。"


def _form_sheet_name(gridbook: GridBook) -> str | None:
    """The form's sheet as 校验结果's title names it ("<file>（<sheet>）"), else the first other sheet."""
    results = gridbook.sheets[RESULTS_SHEET].values
    title = results[0][1] if results and len(results[0]) > 1 else ""
    for name in gridbook.sheets:
        if name != RESULTS_SHEET and isinstance(title, str) and title.endswith(f"（{name}）"):
            return name
    return next((name for name in gridbook.sheets if name != RESULTS_SHEET), None)
