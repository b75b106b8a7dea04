"""The xlwings adapter: the ribbon buttons' Python side. Thin by design — no rules live here.

校验并计分 reads the workbook in a few whole-range reads (names, then each sheet's used block, then the form sheet's
formulas where the engine can give them), runs the same core as the CLI, and writes back in a few whole-range writes
with screen updating off. The number of Excel calls depends on the number of sheets and of *runs* of adjacent cells
to write or colour, not on the number of indicator rows (scripts/benchmark_addin.py prints the counts).

It works with a live desktop Excel (`xw.Book.caller()`, COM) and with xlwings' remote engine (`xw.Book(json=…)`),
which the tests use on Linux and which serves Excel clients without a local Python. The remote engine cannot read
formulas or colours; where it cannot, we assume our template's layout (its computed cells hold formulas, its cells
have the template's colours), so we still never write into a template formula cell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .engine import evaluate, resolve_policy
from .forms import read_form, sheets_to_read
from .grid import FormReadError, Grid, GridBook, parse_area, parse_ref, ref
from .model import Evaluation, Form, load_family
from .policy import PolicyError
from .writeback import RESULTS_SHEET, WritePlan, clear_plan, plan, read_state, summary_line

# The template's fill colours by role (template_builder.py uses the same): where the engine cannot read a cell's
# colour, clearing a mark restores the colour of the cell's role.
INPUT_FILL, COMPUTED_FILL = "FFF2CC", "F2F2F2"


def _hex_to_rgb(hex_colour: str) -> tuple[int, int, int] | None:
    if not hex_colour:
        return None
    return int(hex_colour[0:2], 16), int(hex_colour[2:4], 16), int(hex_colour[4:6], 16)


# --- Reading ---------------------------------------------------------------------------------------------------


def read_book(book) -> tuple[GridBook, dict[str, set[str]]]:
    """The defined names, then the values of each sheet worth reading in one read per sheet (a workbook from our
    template: only the sheets its names point to and 校验结果, as forms.sheets_to_read decides for the file reader),
    and the formula cells of each sheet where the engine can tell (desktop Excel); sheets whose formulas are unknown
    are absent from the second result."""
    names = {}
    for name in book.names:
        refers_to = name.refers_to or ""
        area = parse_area(refers_to.lstrip("="))
        if area is not None:
            names[name.name.rsplit("!", 1)[-1]] = area
    sheets, formulas = {}, {}
    all_sheets = list(book.sheets)
    wanted = sheets_to_read(names, [sheet.name for sheet in all_sheets])
    for sheet in all_sheets:
        if wanted is not None and sheet.name not in wanted:
            continue
        last = sheet.used_range.last_cell
        block = sheet.range((1, 1), (last.row, last.column))
        values = block.options(ndim=2, err_to_str=True).value or []
        sheets[sheet.name] = Grid(sheet.name, [[None if v == "" else v for v in row] for row in values])
        try:
            texts = block.formula
        except (NotImplementedError, AttributeError):
            continue  # the remote engine does not send formulas
        if isinstance(texts, str):
            texts = ((texts,),)
        formulas[sheet.name] = {ref(r, c) for r, row in enumerate(texts) for c, text in enumerate(row)
                                if isinstance(text, str) and text.startswith("=")}
    return GridBook(sheets, names, book.name), formulas


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


@contextmanager
def screen_updating_off(app) -> Iterator[None]:
    """Screen updating off while we write, restored after (desktop). The remote engine can only suspend it until
    its next sync and cannot report the setting, so there we switch it off and let the sync end it."""
    try:
        before = app.screen_updating
    except NotImplementedError:
        app.screen_updating = False
        yield
        return
    app.screen_updating = False
    try:
        yield
    finally:
        app.screen_updating = before


# --- Writing ---------------------------------------------------------------------------------------------------


def column_runs(cells: Iterable[str]) -> list[tuple[int, int, int]]:
    """Group cells into vertical runs: (column, first row, last row), 0-based. One Excel call per run."""
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


def _write_values(sheet, values: dict[str, Any]) -> None:
    for col, top, bottom in column_runs(values):
        block = [[values[ref(r, col)]] for r in range(top, bottom + 1)]
        sheet.range((top + 1, col + 1), (bottom + 1, col + 1)).value = block


def multi_area_addresses(cells: Iterable[str], limit: int = 255) -> list[str]:
    """Column runs joined into multi-area addresses ("F15:F17,F25,H3") of at most `limit` characters, the most
    Excel's Range() accepts: one COM call colours every cell of an address."""
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


def _paint(sheet, colours: dict[str, str], multi_area: bool) -> None:
    """Colour cells, one call per colour and address chunk on desktop Excel. The remote engine reads a
    multi-area address as its first area only, so there we colour each column run."""
    by_colour: dict[str, list[str]] = defaultdict(list)
    for cell, colour in colours.items():
        by_colour[colour].append(cell)
    for colour, cells in sorted(by_colour.items()):
        if multi_area:
            for address in multi_area_addresses(cells):
                sheet.range(address).color = _hex_to_rgb(colour)
            continue
        for col, top, bottom in column_runs(cells):
            sheet.range((top + 1, col + 1), (bottom + 1, col + 1)).color = _hex_to_rgb(colour)


def _supports_multi_area(book) -> bool:
    return getattr(getattr(book.app, "engine", None), "name", "") == "excel"


def _results_values(write: WritePlan, form_sheet: str) -> list[list[Any]]:
    """The 校验结果 rows, with HYPERLINK formulas so the links travel in the same single write."""
    rows = [list(r) for r in write.results]
    for (r, c), target in write.links.items():
        shown = rows[r][c]
        rows[r][c] = f'=HYPERLINK("#\'{form_sheet}\'!{target}","{shown}")'
    return [["" if v is None else v for v in row] for row in rows]


def apply_plan(book, form: Form, write: WritePlan) -> None:
    from .writeback import MARK_COLOURS

    sheet = book.sheets[form.sheet]
    _write_values(sheet, write.values)
    multi_area = _supports_multi_area(book)
    _paint(sheet, dict(write.unmark), multi_area)
    _paint(sheet, {cell: MARK_COLOURS[severity] for cell, severity in write.marks.items()}, multi_area)
    names = [s.name for s in book.sheets]
    if RESULTS_SHEET in names:
        results = book.sheets[RESULTS_SHEET]
        results.clear_contents()
    else:
        results = book.sheets.add(RESULTS_SHEET, after=book.sheets[len(names) - 1])
    results.range("A1").value = _results_values(write, form.sheet)


def check_book(book, policy_override: str | None = None) -> tuple[Evaluation, WritePlan]:
    """校验并计分 on an xlwings Book: read, evaluate, write back. Returns what was done (for tests and the alert)."""
    gridbook, formulas = read_book(book)
    form = read_form(gridbook)
    policy, notes = resolve_policy(form, policy_override)
    evaluation = evaluate(form, policy, notes)
    grid = gridbook.sheets[form.sheet]
    previous = read_state(gridbook.sheets[RESULTS_SHEET].values) if RESULTS_SHEET in gridbook.sheets else {}
    if form.sheet in formulas:
        formula_cells = formulas[form.sheet]
    else:
        formula_cells = template_computed_cells(form) if form.layout == "template" else set()
    cells = {o.cell for o in evaluation.outputs} | set(previous) | {i.cell for i in evaluation.issues if i.cell}
    current = {cell: grid.get(*parse_ref(cell)) for cell in cells}
    default_fill = {}
    if form.layout == "template":
        default_fill = {cell: COMPUTED_FILL if cell in formula_cells else INPUT_FILL for cell in cells}
    write = plan(evaluation, current, formula_cells, previous, default_fill=default_fill)
    with screen_updating_off(book.app):
        apply_plan(book, form, write)
    return evaluation, write


def clear_book(book) -> int:
    """清除标记: empty the cells we filled (if they still hold our value and their row still holds the same
    indicator), restore colours, drop 校验结果. Returns how many cells were restored."""
    gridbook, _ = read_book(book)
    if RESULTS_SHEET not in gridbook.sheets:
        return 0
    state = read_state(gridbook.sheets[RESULTS_SHEET].values)
    try:
        form = read_form(gridbook)
        form_sheet = form.sheet
    except FormReadError:
        form, form_sheet = None, _form_sheet_name(gridbook)
    grid = gridbook.sheets[form_sheet]
    values, colours = clear_plan(state, form, {cell: grid.get(*parse_ref(cell)) for cell in state})
    with screen_updating_off(book.app):
        sheet = book.sheets[form_sheet]
        _write_values(sheet, values)
        _paint(sheet, colours, _supports_multi_area(book))
        book.sheets[RESULTS_SHEET].delete()
    return len(values) + len(colours)


def _form_sheet_name(gridbook: GridBook) -> str:
    results = gridbook.sheets[RESULTS_SHEET].values
    title = results[0][1] if results and len(results[0]) > 1 else ""
    for name in gridbook.sheets:
        if name != RESULTS_SHEET and isinstance(title, str) and title.endswith(f"（{name}）"):
            return name
    return next(name for name in gridbook.sheets if name != RESULTS_SHEET)


# --- Ribbon entries (called from perfeval_xl/__init__.py) ------------------------------------------------------


def _caller():
    import xlwings as xw

    return xw.Book.caller()


def check_active_book() -> None:
    book = _caller()
    try:
        evaluation, write = check_book(book)
    except (FormReadError, PolicyError) as exc:
        book.app.alert(str(exc), title="绩效自评：无法校验", mode="critical")
        return
    book.sheets[RESULTS_SHEET].activate()
    kept = f"\n保留了 {len(write.kept_typed)} 处手工填写的值（与规则不同处见校验结果）。" if write.kept_typed else ""
    book.app.alert(summary_line(evaluation) + kept, title="绩效自评：校验完成", mode="info")


def clear_active_book() -> None:
    book = _caller()
    restored = clear_book(book)
    book.app.alert(f"已清除校验标记，还原 {restored} 处单元格。", title="绩效自评", mode="info")


def template_path() -> Path:
    """The standard template: the repository's workbook_templates/ when running from a checkout, else built once
    into the user's temp folder by the same builder (a pip-installed package carries the builder, not the file)."""
    import tempfile

    from .template_builder import template_path as built_path, write_templates

    repo = built_path("standard", Path(__file__).resolve().parent.parent / "workbook_templates")
    if repo.exists():
        return repo
    cache = Path(tempfile.gettempdir()) / "perfeval_xl_templates"
    if not built_path("standard", cache).exists():
        write_templates(cache)
    return built_path("standard", cache)


def open_new_form() -> None:
    """A new, unsaved workbook from the template (Workbooks.Add(Template:=…)), so nobody saves over our template."""
    book = _caller()
    try:
        book.app.api.Workbooks.Add(str(template_path()))  # desktop Excel only (COM); see docs/addin.md
    except OSError as exc:
        book.app.alert(f"无法生成或打开模板：{exc}", title="绩效自评", mode="critical")


def open_guide() -> None:
    import webbrowser

    guide = Path(__file__).resolve().parent / "data" / "使用说明.html"
    webbrowser.open(guide.as_uri())
