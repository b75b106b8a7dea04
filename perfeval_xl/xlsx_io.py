"""The openpyxl and calamine adapters: read a form from a file, write a scored copy atomically.

Reading for a check uses calamine (fast, cached values). Writing loads the workbook with openpyxl twice — once with
formulas (so we never overwrite one) and once for the cached values — and saves to a temporary file beside the
target, then renames it into place: a failure never leaves a half-written workbook.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from .engine import evaluate, resolve_policy
from .forms import read_form
from .grid import FormReadError, GridBook, grids_from_openpyxl, read_with_calamine, sniff
from .model import Evaluation, Form
from .policy import Policy
from .writeback import MARK_COLOURS, RESULTS_COLUMNS, RESULTS_SHEET, WritePlan, plan, read_state

NOTE_AUTHOR = "perfeval-xl"


@dataclass
class Checked:
    path: Path
    evaluation: Evaluation
    written: Path | None = None
    plan: WritePlan | None = None


def check_file(path: Path, policy_override: str | None = None, family: str | None = None) -> Evaluation:
    """Read and evaluate one file without writing anything."""
    book = read_with_calamine(path)
    form = read_form(book, family)
    policy, notes = resolve_policy(form, policy_override)
    return evaluate(form, policy, notes)


def _load_openpyxl(path: Path):
    import openpyxl

    sniff(path)
    keep_vba = path.suffix.lower() == ".xlsm"  # keep the macros in the copy; openpyxl never runs them
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Data Validation extension is not supported" and the like
            formulas = openpyxl.load_workbook(path, keep_vba=keep_vba)
            values = openpyxl.load_workbook(path, data_only=True, read_only=False)
    except FormReadError:
        raise
    except Exception as exc:
        raise FormReadError(f"{path.name}：文件内容已损坏，无法打开（{type(exc).__name__}）。") from None
    return formulas, values


def _fill_of(cell) -> str:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return ""
    rgb = fill.fgColor.rgb if fill.fgColor is not None and fill.fgColor.type == "rgb" else ""
    return rgb[-6:] if isinstance(rgb, str) else ""


def score_workbook(path: Path, dest: Path, policy_override: str | None = None, family: str | None = None,
                   backup: bool = False) -> Checked:
    """Evaluate `path` and write the scored workbook to `dest` (may equal `path` for --in-place)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook, values_workbook = _load_openpyxl(path)
    book: GridBook = grids_from_openpyxl(workbook, values_workbook, path.name)
    form: Form = read_form(book, family)
    policy, notes = resolve_policy(form, policy_override)
    evaluation = evaluate(form, policy, notes)

    ws = workbook[form.sheet]
    grid = book.sheets[form.sheet]
    previous = {}
    if RESULTS_SHEET in workbook.sheetnames:
        previous = read_state(book.sheets[RESULTS_SHEET].values)
    cells = {o.cell for o in evaluation.outputs} | set(previous) | {i.cell for i in evaluation.issues if i.cell}
    current = {c: ws[c].value if not _is_formula(ws[c].value) else values_workbook[form.sheet][c].value for c in cells}
    formula_cells = {c for c in cells if _is_formula(ws[c].value)}
    fills = {c: _fill_of(ws[c]) for c in cells}
    write = plan(evaluation, current, formula_cells, previous, fills)
    del grid

    for cell, value in write.values.items():
        ws[cell].value = value
    for cell, original in write.unmark.items():
        ws[cell].fill = PatternFill(fill_type="solid", fgColor=original) if original else PatternFill(fill_type=None)
        if ws[cell].comment is not None and ws[cell].comment.author == NOTE_AUTHOR:
            ws[cell].comment = None
    for cell, severity in write.marks.items():
        ws[cell].fill = PatternFill(fill_type="solid", fgColor=MARK_COLOURS[severity])
    for cell in {e.cell for e in previous.values()} - set(write.marks):
        if ws[cell].comment is not None and ws[cell].comment.author == NOTE_AUTHOR:
            ws[cell].comment = None
    for cell, text in write.notes.items():
        comment = Comment(text, NOTE_AUTHOR)
        comment.width, comment.height = 360, 160
        ws[cell].comment = comment

    if RESULTS_SHEET in workbook.sheetnames:
        del workbook[RESULTS_SHEET]
    rs = workbook.create_sheet(RESULTS_SHEET)
    for r, row in enumerate(write.results, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None and value != "":
                rs.cell(r, c, value)
    for (r, c), target in write.links.items():
        cell = rs.cell(r + 1, c + 1)
        cell.hyperlink = f"#'{form.sheet}'!{target}"
        cell.font = Font(color="0563C1", underline="single")
    rs["A1"].font = Font(bold=True, size=14)
    header_row = next(i for i, row in enumerate(write.results, start=1) if row[:len(RESULTS_COLUMNS)] == RESULTS_COLUMNS)
    for c in range(1, len(RESULTS_COLUMNS) + 1):
        rs.cell(header_row, c).font = Font(bold=True)
    for letter, width in zip("ABCDEF", (8, 8, 8, 10, 90, 12)):
        rs.column_dimensions[letter].width = width
    for row in rs.iter_rows(min_row=header_row + 1, min_col=5, max_col=6):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.calculation.fullCalcOnLoad = True  # Excel, WPS and LibreOffice recompute the form's formulas on open

    save_atomically(workbook, dest, backup=backup)
    return Checked(path, evaluation, dest, write)


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


def save_atomically(workbook, dest: Path, backup: bool = False) -> None:
    """Save to a temporary file in the same folder, then rename over `dest`. With `backup`, the old file is kept as
    `<name>.bak.xlsx` first."""
    dest = Path(dest)
    folder = dest.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".~perfeval-", suffix=dest.suffix, dir=folder)
        os.close(handle)
    except OSError as exc:
        raise FormReadError(f"{dest}：无法在输出文件夹中写入（{exc.strerror or exc}）。请换一个有写入权限的文件夹。") from None
    temp = Path(temp_name)
    try:
        workbook.save(temp)
        if backup and dest.exists():
            shutil.copy2(dest, dest.with_name(dest.stem + ".bak" + dest.suffix))
        os.replace(temp, dest)
    except OSError as exc:
        raise FormReadError(f"{dest.name}：保存失败（{exc.strerror or exc}）。文件是否正在 Excel 中打开？原文件未改动。") from None
    finally:
        if temp.exists():
            temp.unlink()


def scored_copy_path(path: Path, output_dir: Path) -> Path:
    return Path(output_dir) / path.name
