"""Find the form in a `GridBook` and turn it into a `Form`.

A workbook made from our templates is read by its defined names (docs/template.md); other layouts go through
label recognition (layout.py). Which family a workbook is comes from its names, or from `family=` when given.
"""

from __future__ import annotations

from .grid import Area, FormReadError, Grid, GridBook
from .model import Family, Form, family_ids, load_family
from .writeback import RESULTS_SHEET, StateEntry, read_state, same_value, trusted_state


def _grid_for(book: GridBook, area: Area, what: str) -> Grid:
    grid = book.sheets.get(area.sheet)
    if grid is None:
        raise FormReadError(f"{book.source}：名称“{what}”指向的工作表“{area.sheet}”不存在。")
    return grid


def detect_family(book: GridBook) -> Family | None:
    """The family whose table name (绩效指标 / 评分表) the workbook defines."""
    for family_id in family_ids():
        family = load_family(family_id)
        if family.table.get("name") in book.names:
            return family
    return None


def form_from_names(book: GridBook, family: Family) -> Form:
    table_area = book.names.get(family.table["name"])
    if table_area is None:
        raise FormReadError(f"{book.source}：找不到名称“{family.table['name']}”，不是由本工具模板生成的{family.title}。")
    grid = _grid_for(book, table_area, family.table["name"])
    form = Form(family.id, grid.name, source=book.source, layout="template")

    for key, spec in family.fields.items():
        area = book.names.get(spec["name"])
        if area is not None and area.sheet == grid.name:
            form.fields[key] = grid.cell(area.top, area.left)

    budget_spec = family.data.get("budget")
    if budget_spec and budget_spec["name"] in book.names:
        area = book.names[budget_spec["name"]]
        columns = {col_spec["key"]: area.left + c for c, col_spec in enumerate(budget_spec["columns"][:area.width])}
        for r, row_spec in enumerate(budget_spec["rows"]):
            form.budget[row_spec["key"]] = grid.row_cells(area.top + r, columns) if r < area.height else {}

    for key, spec in family.data.get("funding", {}).items():
        area = book.names.get(spec["name"])
        if area is not None:
            form.funding[key] = grid.cell(area.top, area.left)

    columns = {key: table_area.left + c for c, key in enumerate(family.table_columns[:table_area.width])}
    form.rows = [grid.row_cells(r, columns) for r in range(table_area.top, table_area.bottom + 1)]

    for group in family.table.get("groups", []):
        area = book.names.get(group.get("subtotal_name", ""))
        if area is not None:
            form.subtotals[group["label"]] = grid.cell(area.top, area.left)
    return form


def sheets_to_read(names: dict[str, Area], sheet_names: list[str]) -> list[str] | None:
    """For read_with_calamine: a workbook made from our template needs only the sheets its names point to (and our
    校验结果 sheet, which holds what we filled last time); any other workbook is searched sheet by sheet."""
    if not any(load_family(f).table.get("name") in names for f in family_ids()):
        return None
    return sorted({area.sheet for area in names.values()} | ({RESULTS_SHEET} & set(sheet_names)))


def read_form(book: GridBook, family_id: str | None = None) -> Form:
    """The form in `book`: by defined names when the workbook has ours, else by recognising its labels.

    Cells that still hold what we filled in on an earlier run are read as empty, so the rules compute them afresh
    (a changed input updates our value) instead of mistaking them for values a person typed.
    """
    family = load_family(family_id) if family_id else detect_family(book)
    if family is not None and family.table.get("name") in book.names:
        form = form_from_names(book, family)
    else:
        from .layout import recognise  # label recognition for forms not made from our templates

        form = recognise(book, family)
    if RESULTS_SHEET in book.sheets:
        forget_our_fills(form, read_state(book.sheets[RESULTS_SHEET].values))
    return form


def forget_our_fills(form: Form, previous: dict[str, StateEntry]) -> None:
    """Blank the cells whose value is still the one we wrote last time (see writeback.plan)."""
    if not previous:
        return
    previous = trusted_state(previous, form)  # a row that now holds another indicator: its content is typed
    cells = list(form.fields.values()) + list(form.funding.values()) + list(form.subtotals.values())
    cells += [cell for row in form.budget.values() for cell in row.values()]
    cells += [cell for row in form.rows for cell in row.values()]
    for cell in cells:
        entry = previous.get(cell.ref)
        if entry is not None and entry.filled is not None and same_value(entry.filled, cell.value):
            cell.value = None
