"""The openpyxl and calamine adapters: read a form from a file, write a scored copy atomically.

Reading for a check uses calamine (fast, cached values). Writing loads the workbook with openpyxl twice — once with
formulas (so we never overwrite one) and once for the cached values — and saves to a temporary file beside the
target, then renames it into place: a failure never leaves a half-written workbook.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .engine import evaluate, resolve_policy
from .forms import read_form, sheets_to_read
from .grid import FormReadError, FormWriteError, GridBook, grids_from_openpyxl, read_with_calamine, sniff
from .model import Evaluation, Form
from .print_layout import fit_row_heights, hide_spare_rows, show_rows, spare_rows
from .writeback import (MARK_COLOURS, RESULTS_COLUMNS, RESULTS_SHEET, STATE_HEADER, WritePlan, clear_plan, plan,
                        read_state)

NOTE_AUTHOR = "perfeval-xl"
# Where our text starts inside a note someone else wrote on the same cell (their text above it is never touched).
NOTE_SEPARATOR = "\n\n—— perfeval-xl 校验 ——\n"
_OUR_NOTE_LINE = re.compile(r"^\[[A-Z]\d{3}\] ")  # each line of our note: "[I307] 说明"


@dataclass
class Checked:
    path: Path
    evaluation: Evaluation
    written: Path | None = None
    plan: WritePlan | None = None
    backup: Path | None = None  # the file that was at the destination before, kept as <name>.bak.xlsx
    dropped: list[str] | None = None  # content of the original the scored copy does not carry (see content_openpyxl_drops)


def check_file(path: Path, policy_override: str | None = None, family: str | None = None) -> Evaluation:
    """Read and evaluate one file without writing anything."""
    book = read_with_calamine(path, sheets_to_read)
    form = read_form(book, family)
    policy, notes = resolve_policy(form, policy_override)
    return evaluate(form, policy, notes)


def _pillow_available() -> bool:
    try:
        import PIL  # noqa: F401  openpyxl keeps pictures only when Pillow is installed
    except ImportError:
        return False
    return True


def content_openpyxl_drops(path: Path) -> list[str]:
    """What a copy saved by openpyxl would lose, in Chinese ("图片", "形状或文本框"…); empty when nothing.

    openpyxl rewrites the whole package and keeps only what it understands. The original is never touched, but an
    --in-place run would replace it with a workbook missing these, so callers refuse --in-place for such files.
    """
    lost: list[str] = []
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        drawings = [n for n in names if n.startswith("xl/drawings/") and n.endswith(".xml") and "/_rels/" not in n]
        has_shapes = any(re.search(rb"<(?:\w+:)?sp[\s>]", archive.read(n)) for n in drawings)
    if any(n.startswith("xl/media/") for n in names) and not _pillow_available():
        lost.append("图片")
    if has_shapes:
        lost.append("形状或文本框")
    for prefix, what in (("xl/threadedComments/", "新版批注（批注会话）"), ("xl/embeddings/", "嵌入的对象"),
                         ("xl/ctrlProps/", "表单控件"), ("xl/slicers/", "切片器"), ("xl/timelines/", "日程表")):
        if any(n.startswith(prefix) for n in names):
            lost.append(what)
    return lost


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
    except Exception:
        raise FormReadError(f"{path.name}：文件内容已损坏，无法读取。请在 Excel 中用“文件→打开→打开并修复”修复后另存，"
                            f"或重新获取文件。") from None
    return formulas, values


def _fill_of(cell) -> str:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return ""
    rgb = fill.fgColor.rgb if fill.fgColor is not None and fill.fgColor.type == "rgb" else ""
    return rgb[-6:] if isinstance(rgb, str) else ""


def score_workbook(path: Path, dest: Path, policy_override: str | None = None, family: str | None = None,
                   backup: bool = False) -> Checked:
    """Evaluate `path` and write the scored workbook to `dest` (may equal `path` for --in-place). With `backup`, a
    file already at `dest` is kept as `<name>.bak.xlsx` before it is replaced."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    workbook, values_workbook = _load_openpyxl(path)
    dropped = content_openpyxl_drops(path)
    if dropped and Path(dest).resolve() == Path(path).resolve():
        raise FormWriteError(f"{path.name}：工作簿中有{'、'.join(dropped)}，本工具写回时无法保留，直接写回会丢失这些内容。"
                             f"请改用 --output 写到另一个文件夹（原文件不变）。原文件未改动。")
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
    for cell, severity in write.marks.items():
        ws[cell].fill = PatternFill(fill_type="solid", fgColor=MARK_COLOURS[severity])
    # Our notes: on every marked cell, and taken off cells marked last time that are fine now. A note someone else
    # wrote on the cell is kept; ours is appended below it and taken off again later.
    for cell in set(previous) | set(write.marks):
        _set_our_note(ws[cell], write.notes.get(cell) if cell in write.marks else None, Comment)

    if RESULTS_SHEET in workbook.sheetnames:
        del workbook[RESULTS_SHEET]
    rs = workbook.create_sheet(RESULTS_SHEET)
    for r, row in enumerate(write.results, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None and value != "":
                rs.cell(r, c, value)
    for (r, c), target in write.links.items():
        cell = rs.cell(r + 1, c + 1)
        # An internal link (location=), not an external "#Sheet!A1" target: no relationship part, no security prompt.
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{form.sheet}'!{target}")
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
    for r, row in enumerate(write.results, start=1):
        if row and row[0] in ("计分明细", STATE_HEADER):
            rs.cell(r, 1).font = Font(bold=True)
            for c in range(1, 7):
                rs.cell(r + 1, c).font = Font(bold=True)
    rs.page_setup.orientation = "landscape"
    rs.page_setup.paperSize = rs.PAPERSIZE_A4
    rs.page_setup.fitToWidth, rs.page_setup.fitToHeight = 1, 0
    rs.sheet_properties.pageSetUpPr.fitToPage = True
    rs.freeze_panes = rs.cell(header_row + 1, 1)
    workbook.calculation.fullCalcOnLoad = True  # Excel, WPS and LibreOffice recompute the form's formulas on open
    print_like_the_form(ws, rs, form)

    kept = save_atomically(workbook, dest, backup=backup)
    return Checked(path, evaluation, dest, write, kept, dropped)


def print_like_the_form(ws, results_ws, form: Form) -> None:
    """The scored copy prints as the official form does: every row tall enough for its text, and the template's
    empty indicator slots off the page (hidden; `clear` shows them again). Formatting only: no value changes."""
    if form.layout == "template":
        hide_spare_rows(ws, spare_rows(form.rows))
    fit_row_heights(ws)
    fit_row_heights(results_ws)


def _others_note(comment) -> str | None:
    """The part of a cell's note that someone else wrote (None when there is none)."""
    if comment is None:
        return None
    text = comment.text or ""
    at = text.find(NOTE_SEPARATOR)
    if at >= 0:
        return text[:at]
    if comment.author != NOTE_AUTHOR:
        return text
    # Our note, but someone may have typed into it (Excel keeps the author when a note is edited): keep their lines.
    extra = [line for line in text.splitlines() if line.strip() and not _OUR_NOTE_LINE.match(line)]
    return "\n".join(extra) or None


def _set_our_note(cell, ours: str | None, Comment) -> None:
    """Put our note text on `cell` (or take it off when `ours` is None), never dropping a note a person wrote."""
    theirs = _others_note(cell.comment)
    if theirs is None:
        if ours:
            comment = Comment(ours, NOTE_AUTHOR)
            comment.width, comment.height = 360, 160
            cell.comment = comment
        elif cell.comment is not None:  # ours alone: remove it
            cell.comment = None
        return
    text = theirs + NOTE_SEPARATOR + ours if ours else theirs
    if text != cell.comment.text:
        comment = Comment(text, cell.comment.author)
        comment.width, comment.height = max(cell.comment.width or 0, 360), max(cell.comment.height or 0, 160)
        cell.comment = comment


def clear_workbook(path: Path, dest: Path, backup: bool = True) -> int:
    """清除标记 for a file: empty what we filled (if still ours), restore fills, take our notes off, drop 校验结果.
    Returns how many cells were restored. The same decisions as the add-in's button (writeback.clear_plan)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    workbook, values_workbook = _load_openpyxl(path)
    if RESULTS_SHEET not in workbook.sheetnames:
        return 0
    dropped = content_openpyxl_drops(path)
    if dropped and Path(dest).resolve() == Path(path).resolve():
        raise FormWriteError(f"{path.name}：工作簿中有{'、'.join(dropped)}，本工具写回时无法保留；请改用 --output。原文件未改动。")
    book = grids_from_openpyxl(workbook, values_workbook, path.name)
    previous = read_state(book.sheets[RESULTS_SHEET].values)
    try:
        form = read_form(book)
        sheet = form.sheet
    except FormReadError:
        form, sheet = None, next(name for name in workbook.sheetnames if name != RESULTS_SHEET)
    ws = workbook[sheet]
    empty, colours = clear_plan(previous, form, {cell: ws[cell].value for cell in previous})
    for cell in empty:
        ws[cell].value = None
    for cell, original in colours.items():
        ws[cell].fill = PatternFill(fill_type="solid", fgColor=original) if original else PatternFill(fill_type=None)
    for cell in previous:
        _set_our_note(ws[cell], None, Comment)
    if form is not None and form.layout == "template":
        show_rows(ws, spare_rows(form.rows))  # the empty slots the scored copy kept off the page
    del workbook[RESULTS_SHEET]
    save_atomically(workbook, dest, backup=backup)
    return len(empty) + len(colours)


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


_OS_REASONS = {
    getattr(errno, name): reason for name, reason in (
        ("EACCES", "没有写入权限"), ("EPERM", "没有写入权限"), ("EROFS", "所在磁盘是只读的"),
        ("ENOSPC", "磁盘空间不足"), ("EDQUOT", "超出磁盘配额"), ("EEXIST", "输出位置已有同名文件，不是文件夹"),
        ("ENOTDIR", "输出路径中有一段是文件，不是文件夹"), ("ENAMETOOLONG", "路径太长"),
        ("ENOENT", "文件夹不存在"), ("EBUSY", "文件正被其他程序占用"), ("EIO", "磁盘读写出错"))
    if hasattr(errno, name)}


def os_reason(exc: OSError) -> str:
    """A Chinese reason for an OS error (strerror is English, or the ANSI code page's language on Windows)."""
    if getattr(exc, "winerror", None) in (32, 33):  # sharing / lock violation: the file is open in Excel
        return "文件正被其他程序（如 Excel、WPS）打开"
    if exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]
    return f"系统错误 {exc.errno}" if exc.errno else "系统错误"


def _new_file_mode(dest: Path) -> int:
    """The permissions the saved file should get: the replaced file's, or what a new file gets (0666 minus umask).
    mkstemp creates 0600, which would lock colleagues out of a shared folder after an --in-place run."""
    try:
        return stat.S_IMODE(dest.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def save_atomically(workbook, dest: Path, backup: bool = False) -> Path | None:
    """Save to a temporary file in the same folder, then rename over `dest`. With `backup`, an existing `dest` is
    kept as `<name>.bak<suffix>` first. Any failure leaves `dest` as it was and removes the temporary file; it is
    raised as FormWriteError with a Chinese reason. Returns the backup's path when one was made."""
    dest = Path(dest)
    if dest.is_symlink():  # --in-place on a link: write the file it points to, keep the link
        dest = dest.resolve()
    folder = dest.parent
    try:
        if folder.exists() and not folder.is_dir():
            raise FileExistsError(errno.EEXIST, "not a folder", str(folder))
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".~perfeval-", suffix=dest.suffix, dir=folder)
        os.close(handle)
    except OSError as exc:
        raise FormWriteError(f"{dest}：无法写入输出文件夹 {folder}（{os_reason(exc)}）。请换一个可以写入的文件夹。"
                             f"原文件未改动。") from None
    temp = Path(temp_name)
    backup_path = None
    try:
        workbook.save(temp)
        os.chmod(temp, _new_file_mode(dest))
        if backup and dest.exists():
            backup_path = dest.with_name(dest.stem + ".bak" + dest.suffix)
            try:
                shutil.copy2(dest, backup_path)
            except OSError:
                backup_path.unlink(missing_ok=True)  # no half a backup either; dest is still untouched
                raise
        os.replace(temp, dest)
    except OSError as exc:
        raise FormWriteError(f"{dest}：保存失败（{os_reason(exc)}）。文件是否正在 Excel 或 WPS 中打开？"
                             f"{dest.name} 保持原样，未写入任何内容。") from None
    except Exception as exc:  # openpyxl refusing a value, a bug: still never a half-written file or a traceback
        raise FormWriteError(f"{dest}：保存评分后的工作簿时出错（{type(exc).__name__}）。{dest.name} 保持原样，"
                             f"未写入任何内容。") from None
    finally:
        if temp.exists():
            temp.unlink()
    return backup_path


def scored_copy_path(path: Path, output_dir: Path) -> Path:
    return Path(output_dir) / path.name
