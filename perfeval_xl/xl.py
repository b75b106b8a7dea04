"""The xlwings adapter: the ribbon buttons' Python side. Thin by design — no rules live here.

校验并计分 reads the workbook in a few whole-range reads (names, then each sheet's used block, then the form sheet's
formulas where the engine can give them), hands it to the same core as the service's VBA client (workbook_edit:
check_edit / clear_edit, which use writeback's plan like the CLI), and writes the resulting BookEdit back in a few
whole-range writes with screen updating off. The number of Excel calls depends on the number of sheets and of *runs*
of adjacent cells to write or colour, not on the number of indicator rows (scripts/benchmark_addin.py prints the
counts).

It works with a live desktop Excel (`xw.Book.caller()`, COM) and with xlwings' remote engine (`xw.Book(json=…)`),
which the tests use on Linux as the oracle for the service's own implementation of the VBA client's protocol
(service/xlwings_protocol.py). The remote engine cannot read formulas or colours; where it cannot, we assume our
template's layout (its computed cells hold formulas, its cells have the template's colours), so we still never write
into a template formula cell. On that engine we also send only actions xlwings' VBA client (Remote.bas) can apply:
no setScreenUpdating, and "no fill" through the add-in's macro (workbook_edit.CLEAR_FILL_MACRO), not a colour None.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .forms import sheets_to_read
from .grid import FormReadError, Grid, GridBook, parse_area, ref
from .model import Evaluation
from .policy import PolicyError
from .workbook_edit import (CLEAR_FILL_MACRO, BookEdit, check_edit, clear_edit, colour_groups, column_runs,
                            multi_area_addresses, template_computed_cells, value_blocks)
from .writeback import RESULTS_SHEET, WritePlan

__all__ = ["read_book", "check_book", "clear_book", "apply_edit", "column_runs", "multi_area_addresses",
           "template_computed_cells", "check_active_book", "clear_active_book"]


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


@contextmanager
def screen_updating_off(book) -> Iterator[None]:
    """Screen updating off while we write, restored after — on desktop Excel. The remote engine would send a
    setScreenUpdating action, which xlwings' VBA client has no func for (it would stop with "cannot run the macro");
    the VBA client applies the actions without repainting in between anyway."""
    if not _is_desktop(book):
        yield
        return
    app = book.app
    before = app.screen_updating
    app.screen_updating = False
    try:
        yield
    finally:
        app.screen_updating = before


# --- Writing ---------------------------------------------------------------------------------------------------


def _is_desktop(book) -> bool:
    return getattr(getattr(book.app, "engine", None), "name", "") == "excel"


def _paint(book, sheet, fills: dict[str, str]) -> None:
    """Colour cells, one call per colour and address chunk on desktop Excel. The remote engine reads a
    multi-area address as its first area only, so there we colour each column run; and "no fill" there goes
    through the add-in's macro, the one way the VBA client has to take a fill off."""
    desktop = _is_desktop(book)
    for colour, cells in colour_groups(fills):
        if desktop:
            for address in multi_area_addresses(cells):
                sheet.range(address).color = _hex_to_rgb(colour)
        elif not colour:
            for address in multi_area_addresses(cells):
                book.app.macro(CLEAR_FILL_MACRO)(sheet.index - 1, address)
        else:
            for col, top, bottom in column_runs(cells):
                sheet.range((top + 1, col + 1), (bottom + 1, col + 1)).color = _hex_to_rgb(colour)


def apply_edit(book, edit: BookEdit) -> None:
    """Write what the core decided: form cells in column blocks, colours, then the 校验结果 sheet in one block."""
    with screen_updating_off(book):
        if edit.form_sheet is not None:
            sheet = book.sheets[edit.form_sheet]
            for top, col, block in value_blocks(edit.values):
                sheet.range((top + 1, col + 1), (top + len(block), col + 1)).value = block
            _paint(book, sheet, edit.fills)
        names = [s.name for s in book.sheets]
        if edit.results is not None:
            if RESULTS_SHEET in names:
                results = book.sheets[RESULTS_SHEET]
                results.clear_contents()
            else:
                results = book.sheets.add(RESULTS_SHEET, after=book.sheets[len(names) - 1])
            results.range("A1").value = edit.results
        if edit.delete_results and RESULTS_SHEET in names:
            book.sheets[RESULTS_SHEET].delete()
    if edit.activate_results:
        book.sheets[RESULTS_SHEET].activate()
    if edit.alert is not None:
        book.app.alert(edit.alert.text, title=edit.alert.title, mode=edit.alert.mode)


def check_book(book, policy_override: str | None = None) -> tuple[Evaluation, WritePlan]:
    """校验并计分 on an xlwings Book: read, evaluate, write back (no alert). Returns what was done (for tests)."""
    gridbook, formulas = read_book(book)
    evaluation, write, edit = check_edit(gridbook, formulas, policy_override=policy_override)
    edit.activate_results, edit.alert = False, None
    apply_edit(book, edit)
    return evaluation, write


def clear_book(book) -> int:
    """清除标记 on an xlwings Book (no alert). Returns how many cells were restored."""
    gridbook, _ = read_book(book)
    edit, restored = clear_edit(gridbook)
    edit.alert = None
    apply_edit(book, edit)
    return restored


# --- Ribbon entries (called from perfeval_xl/__init__.py) ------------------------------------------------------


def _caller():
    import xlwings as xw

    return xw.Book.caller()


def check_active_book(book=None) -> None:
    """The 校验并计分 button on `book` (default: the workbook that called): write back, show 校验结果, and alert
    the summary — or only alert why the workbook cannot be checked."""
    book = book if book is not None else _caller()
    try:
        gridbook, formulas = read_book(book)
        edit = check_edit(gridbook, formulas)[2]
    except (FormReadError, PolicyError) as exc:
        book.app.alert(str(exc), title="绩效自评：无法校验", mode="critical")
        return
    apply_edit(book, edit)


def clear_active_book(book=None) -> None:
    """The 清除标记 button on `book` (default: the workbook that called)."""
    book = book if book is not None else _caller()
    edit, _ = clear_edit(read_book(book)[0])
    apply_edit(book, edit)


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
