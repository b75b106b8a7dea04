"""The openpyxl and calamine adapters: read a form from a file, write a scored copy atomically.

Reading for a check uses calamine (fast, cached values). Writing loads the workbook with openpyxl twice — once with
formulas (so we never overwrite one) and once for the cached values — and saves to a temporary file beside the
target, then renames it into place: a failure never leaves a half-written workbook.
"""

from __future__ import annotations

import errno
import io
import hashlib
import math
import os
import re
import shutil
import socket
import stat
import tempfile
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock_time, timedelta
from pathlib import Path

from .copy_fidelity import has_iso_date_cells, keep_rich_text, lost_in_copy, raw_numbers
from .engine import evaluate, resolve_policy
from .forms import read_form, sheets_to_read
from .grid import (FormReadError, FormWriteError, GridBook, grids_from_openpyxl, read_package, read_received,
                   read_with_calamine)
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
    unwritten: dict[str, str] = field(default_factory=dict)  # cell -> why a value for it was not written (Chinese)


def check_file(path: Path, policy_override: str | None = None, family: str | None = None) -> Evaluation:
    """Read and evaluate one file without writing anything."""
    return _evaluate(read_with_calamine(path, sheets_to_read), policy_override, family)


def check_received(data: bytes, name: str, policy_override: str | None = None, family: str | None = None) -> Evaluation:
    """check_file on a file's bytes as the service received them (same gate, reader and rules; no temporary file)."""
    return _evaluate(read_received(data, name, sheets_to_read), policy_override, family)


def _evaluate(book: GridBook, policy_override: str | None, family: str | None) -> Evaluation:
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
    for prefix, what in (("customXml/", "自定义 XML 数据（customXml）"),
                         ("xl/threadedComments/", "新版批注（批注会话）"), ("xl/embeddings/", "嵌入的对象"),
                         ("xl/ctrlProps/", "表单控件"), ("xl/slicers/", "切片器"), ("xl/timelines/", "日程表")):
        if any(n.startswith(prefix) for n in names):
            lost.append(what)
    return lost


def _load_openpyxl(path: Path):
    """The workbook loaded twice by openpyxl (formulas; cached values), from one read of the file through the same
    gate as the fast reader (grid.read_package: regular file, format, input budget), so both decide alike."""
    import openpyxl

    data, _ = read_package(path)
    _read_non_finite_numbers()
    keep_vba = path.suffix.lower() == ".xlsm"  # keep the macros in the copy; openpyxl never runs them
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Data Validation extension is not supported" and the like
            formulas = openpyxl.load_workbook(io.BytesIO(data), keep_vba=keep_vba)
            values = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except FormReadError:
        raise
    except (zipfile.BadZipFile, EOFError):  # a part that does not unpack (CRC, cut short): said as the fast reader does
        raise FormReadError(f"{path.name}：文件已损坏或不完整（可能下载或拷贝中断），无法打开。请重新获取文件。") from None
    except Exception:
        raise FormReadError(f"{path.name}：文件内容已损坏，无法读取。请在 Excel 中用“文件→打开→打开并修复”修复后另存，"
                            f"或重新获取文件。") from None
    return formulas, values


def _read_non_finite_numbers() -> None:
    """openpyxl casts a number cell's text with int() unless it has "." or "E", so `<v>NaN</v>` or `<v>inf</v>`
    (which some exporters write, and calamine reads as float) make the whole workbook unreadable for it. Read them
    as float, as calamine does: one file, one verdict, the same value."""
    from openpyxl.worksheet import _reader

    if getattr(_reader._cast_number, "perfeval_non_finite", False):
        return
    cast = _reader._cast_number

    def cast_number(value):
        try:
            return cast(value)
        except ValueError:
            return float(value)  # "NaN", "inf", "-Infinity"; anything else still raises ValueError

    cast_number.perfeval_non_finite = True
    _reader._cast_number = cast_number


def _fill_of(cell) -> str:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return ""
    rgb = fill.fgColor.rgb if fill.fgColor is not None and fill.fgColor.type == "rgb" else ""
    return rgb[-6:] if isinstance(rgb, str) else ""


def fill_text(fill) -> str:
    """A cell's whole fill as text, for the 原填充 column of 校验结果: pattern, foreground and background colour each
    as rgb with its alpha, theme with tint, indexed or auto — what Excel, WPS, LibreOffice and openpyxl write."""
    if getattr(fill, "tagname", "") == "gradientFill":
        from openpyxl.xml.functions import tostring

        return "gradient|" + tostring(fill.to_tree()).decode("utf-8")
    return "|".join(["pattern", fill.fill_type or "", _colour_text(fill.fgColor), _colour_text(fill.bgColor)])


def _colour_text(colour) -> str:
    if colour is None:
        return ""
    return f"{colour.type}:{colour.value}:{colour.tint!r}"


def fill_from_text(text: str):
    """The fill `fill_text` wrote; None when the text is not one (edited by hand, or written by an older version)."""
    from openpyxl.styles import PatternFill
    from openpyxl.styles.colors import Color
    from openpyxl.styles.fills import GradientFill
    from openpyxl.xml.functions import fromstring

    def colour(part: str):
        if not part:
            return None
        kind, value, tint = part.split(":")
        value = {"rgb": str, "theme": int, "indexed": int, "auto": lambda v: v == "True"}[kind](value)
        return Color(**{kind: value}, tint=float(tint))

    try:
        kind, _, rest = text.partition("|")
        if kind == "gradient":
            return GradientFill.from_tree(fromstring(rest.encode("utf-8")))
        pattern, fg, bg = rest.split("|")
        return PatternFill(fill_type=pattern or None, fgColor=colour(fg), bgColor=colour(bg)) if kind == "pattern" \
            else None
    except (ValueError, TypeError, KeyError, SyntaxError):
        return None


def _restore_fill(cell, entry_or_colour, PatternFill) -> None:
    """Put back the fill a mark replaced: exactly, when the state has it; else the colour (older state sheets)."""
    style, colour = entry_or_colour
    exact = fill_from_text(style) if style else None
    if exact is not None:
        cell.fill = exact
    else:
        cell.fill = PatternFill(fill_type="solid", fgColor=colour) if colour else PatternFill(fill_type=None)


_CELL_TYPES = (str, int, float, bool, date, datetime, clock_time, timedelta)


def _unwritable(ws, cells, raws: dict[str, str]) -> dict[str, str]:
    """The cells of `ws` that a write would change beyond their value -> why, in Chinese: a cell hidden inside a
    merged range (only its top-left cell holds anything), a value openpyxl cannot write back as it is (a number
    that is not finite, an array formula, a type of its own)."""
    from openpyxl.cell.cell import MergedCell

    found = {}
    for ref in cells:
        cell = ws[ref]
        if isinstance(cell, MergedCell):
            area = next((r for r in ws.merged_cells.ranges if ref in r), None)
            where = f"合并单元格 {area.coord} 的范围内，只有左上角的 {area.start_cell.coordinate} 能显示内容" if area else \
                "合并单元格的范围内"
            found[ref] = f"{ref} 在{where}；未写入，如需本工具填写请取消合并后再校验。"
        elif ref in raws or (isinstance(cell.value, float) and not math.isfinite(cell.value)):
            found[ref] = f"{ref} 中的数值“{raws.get(ref, cell.value)}”不是有效数字，本工具无法原样写回；保留原内容，未写入。"
        elif cell.value is not None and not isinstance(cell.value, _CELL_TYPES):
            found[ref] = f"{ref} 的内容（数组公式或特殊类型）本工具无法原样写回；保留原内容，未写入。"
    return found


def _keep_raw_numbers(workbook, raws: dict[str, dict[str, str]]) -> None:
    """Put the original text back into number cells that hold no finite number: openpyxl would write them empty.
    A str value with the cell's data type kept as "n" is written by openpyxl as it is: <c t="n"><v>1e999</v></c>."""
    for sheet, cells in raws.items():
        if sheet not in workbook.sheetnames:
            continue
        ws = workbook[sheet]
        for ref, text in cells.items():
            cell = ws[ref]
            value = getattr(cell, "_value", None)
            if cell.data_type == "n" and (value is None or (isinstance(value, float) and not math.isfinite(value))):
                cell._value = text


def score_workbook(path: Path, dest: Path, policy_override: str | None = None, family: str | None = None,
                   backup: bool = False) -> Checked:
    """Evaluate `path` and write the scored workbook to `dest` (may equal `path` for --in-place). With `backup`, a
    file already at `dest` is kept as `<name>.bak.xlsx` (or .bak2, .bak3… when that exists) before it is replaced."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    in_place = os.path.realpath(dest) == os.path.realpath(path)  # realpath: a symlink loop is refused when read
    read_as = FileStamp.of(path) if in_place else None  # before reading: a save made while we work is noticed
    workbook, values_workbook = _load_openpyxl(path)
    dropped = content_openpyxl_drops(path)
    if dropped and in_place:
        raise FormWriteError(_loss_refusal(path, dropped))
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
    styles = {c: fill_text(ws[c].fill) for c in cells}
    raws = raw_numbers(path)
    unwritable = _unwritable(ws, cells, raws.get(form.sheet, {}))
    write = plan(evaluation, current, formula_cells, previous, fills, current_styles=styles, unwritable=unwritable)
    del grid

    for cell, value in write.values.items():
        ws[cell].value = value
    for cell, original in write.unmark.items():
        _restore_fill(ws[cell], (previous[cell].original_style, original), PatternFill)
    for cell, severity in write.marks.items():
        ws[cell].fill = PatternFill(fill_type="solid", fgColor=MARK_COLOURS[severity])
    # Our notes: on every marked cell, and taken off cells marked last time that are fine now. A note someone else
    # wrote on the cell is kept; ours is appended below it and taken off again later. A cell inside a merged range
    # cannot carry a note: its issue is in 校验结果 (and on the terminal) all the same.
    for cell in set(previous) | set(write.marks):
        if not _is_merged_inside(ws[cell]):
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
        if row and row[0] in ("计分明细", "未写入的单元格", STATE_HEADER):
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
    _keep_raw_numbers(workbook, raws)
    keep_rich_text(workbook, path)
    workbook.iso_dates = has_iso_date_cells(path)  # a date typed as ISO text stays one (see has_iso_date_cells)

    lost = list(dropped)

    def nothing_lost_in_place(copy: Path) -> None:
        # The copy as written, against the original, part by part and sheet feature by feature: before it replaces
        # anything, so --in-place never swaps a workbook for one that lacks what openpyxl could not carry.
        emptied = {form.sheet: {cell for cell, value in write.values.items() if value in (None, "")}}
        found = lost_in_copy(path, copy, emptied, replaced_sheets=(RESULTS_SHEET,))
        lost.extend(what for what in found if what not in lost)
        if lost and in_place:
            raise FormWriteError(_loss_refusal(path, lost))

    kept = save_atomically(workbook, dest, backup=backup, read_as=read_as, check_copy=nothing_lost_in_place)
    return Checked(path, evaluation, dest, write, kept, lost, dict(write.unwritten))


def _loss_refusal(path: Path, lost: list[str]) -> str:
    return (f"{path.name}：工作簿中有{'、'.join(lost)}，本工具写回时无法保留，直接写回会丢失这些内容。"
            f"请改用 --output 写到另一个文件夹（原文件不变）。原文件未改动。")


def _is_merged_inside(cell) -> bool:
    from openpyxl.cell.cell import MergedCell

    return isinstance(cell, MergedCell)


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


@dataclass
class Cleared:
    restored: int  # cells emptied or given their fill back
    backup: Path | None = None  # the copy of the file that was at the destination, when one was made
    lost: list[str] = field(default_factory=list)  # what the cleared copy does not carry (an --output copy only)
    had_marks: bool = True  # the file held our 校验结果 sheet (a form with no issue may still have had nothing to restore)


def clear_workbook(path: Path, dest: Path, backup: bool = True) -> int:
    """清除标记 for a file: empty what we filled (if still ours), restore fills, take our notes off, drop 校验结果.
    Returns how many cells were restored. The same decisions as the add-in's button (writeback.clear_plan)."""
    return clear_file(path, dest, backup).restored


def clear_file(path: Path, dest: Path, backup: bool = True) -> Cleared:
    """clear_workbook, telling also where the backup went and what a copy lost."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    in_place = os.path.realpath(dest) == os.path.realpath(path)
    read_as = FileStamp.of(path) if in_place else None
    workbook, values_workbook = _load_openpyxl(path)
    if RESULTS_SHEET not in workbook.sheetnames:
        return Cleared(0, had_marks=False)
    dropped = content_openpyxl_drops(path)
    if dropped and in_place:
        raise FormWriteError(_loss_refusal(path, dropped))
    book = grids_from_openpyxl(workbook, values_workbook, path.name)
    previous = read_state(book.sheets[RESULTS_SHEET].values)
    try:
        form = read_form(book)
        sheet = form.sheet
    except FormReadError:
        form, sheet = None, next(name for name in workbook.sheetnames if name != RESULTS_SHEET)
    ws = workbook[sheet]
    empty, colours = clear_plan(previous, form, {cell: ws[cell].value for cell in previous})
    raws = raw_numbers(path)
    unwritable = _unwritable(ws, set(empty), raws.get(sheet, {}))
    empty = {cell: value for cell, value in empty.items() if cell not in unwritable}
    for cell in empty:
        ws[cell].value = None
    for cell, original in colours.items():
        _restore_fill(ws[cell], (previous[cell].original_style, original), PatternFill)
    for cell in previous:
        if not _is_merged_inside(ws[cell]):
            _set_our_note(ws[cell], None, Comment)
    if form is not None and form.layout == "template":
        show_rows(ws, spare_rows(form.rows))  # the empty slots the scored copy kept off the page
    del workbook[RESULTS_SHEET]
    _keep_raw_numbers(workbook, raws)
    keep_rich_text(workbook, path)
    workbook.iso_dates = has_iso_date_cells(path)  # a date typed as ISO text stays one (see has_iso_date_cells)
    lost = list(dropped)

    def nothing_lost_in_place(copy: Path) -> None:
        found = lost_in_copy(path, copy, {sheet: set(empty)}, replaced_sheets=(RESULTS_SHEET,))
        lost.extend(what for what in found if what not in lost)
        if lost and in_place:
            raise FormWriteError(_loss_refusal(path, lost))

    kept = save_atomically(workbook, dest, backup=backup, read_as=read_as, check_copy=nothing_lost_in_place)
    return Cleared(len(empty) + len(colours), kept, lost)


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


@dataclass(frozen=True)
class FileStamp:
    """What a file was when it was read: a replace checks the file on disk is still this one (no lost update)."""
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> "FileStamp | None":
        """None when `path` is not a regular file one can read (missing, a FIFO, a device, a symlink loop): opened
        without blocking and checked before anything is read, so a FIFO never hangs us and /dev/zero never fills."""
        try:
            handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        except OSError:
            return None
        try:
            info = os.fstat(handle)
            if not stat.S_ISREG(info.st_mode):
                return None
            digest = hashlib.sha256()
            for block in iter(lambda: os.read(handle, 1 << 20), b""):
                digest.update(block)
        except OSError:
            return None
        finally:
            os.close(handle)
        return cls(info.st_size, info.st_mtime_ns, digest.hexdigest())


class ChangedWhileWorking(FormWriteError):
    """The file was saved by someone else while we worked on it: our result went beside it (`beside`)."""

    def __init__(self, message: str, beside: Path | None) -> None:
        super().__init__(message)
        self.beside = beside


TEMP_PREFIX = ".~perfeval-"
# Our temporary files: .~perfeval-<host>-<pid>-<random>.xlsx (older versions wrote .~perfeval-<random>.xlsx).
_TEMP_NAME = re.compile(r"^\.~perfeval-(?:([0-9a-f]{6})-([0-9]+)-)?[A-Za-z0-9_]{6,}\.(?:xlsx|xlsm)$")
STALE_TEMP_SECONDS = 10 * 60
MAX_BACKUPS = 99


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def _process_gone(pid: int) -> bool:
    if os.name != "posix":  # on Windows os.kill(pid, 0) would send a console event: rely on the age alone
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists and belongs to someone else
        return False
    return False


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove temporary files that an interrupted run of ours left in `folder` (a kill during --in-place).

    Only our exact name pattern is touched, and only a file no run can still be writing: older than ten minutes,
    or made on this computer by a process that is gone. A run in progress (here or on another computer sharing the
    folder) keeps its file."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now, host = time.time(), _host_tag()
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if not match or not entry.is_file(follow_symlinks=False):
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        pid = int(match.group(2)) if match.group(2) else None
        ours_and_dead = match.group(1) == host and pid is not None and pid != os.getpid() and _process_gone(pid)
        if age > STALE_TEMP_SECONDS or ours_and_dead:
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


def _claim_new_file(candidates) -> Path | None:
    """Create the first of `candidates` that does not exist yet (atomically: a concurrent run takes another)."""
    for candidate in candidates:
        try:
            handle = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.close(handle)
        return Path(candidate)
    return None


def backup_names(dest: Path):
    """<name>.bak.xlsx, then <name>.bak2.xlsx, <name>.bak3.xlsx … up to MAX_BACKUPS."""
    yield dest.with_name(dest.stem + ".bak" + dest.suffix)
    for number in range(2, MAX_BACKUPS + 1):
        yield dest.with_name(f"{dest.stem}.bak{number}{dest.suffix}")


def _make_backup(dest: Path) -> Path:
    """Copy `dest` to a new numbered backup. An existing backup is never written over: one that already holds
    exactly these bytes is reused, else the next free number is taken."""
    current = FileStamp.of(dest)
    for existing in backup_names(dest):
        if not existing.exists():
            break
        stamp = FileStamp.of(existing)
        if current is not None and stamp is not None and (stamp.size, stamp.sha256) == (current.size, current.sha256):
            return existing
    claimed = _claim_new_file(backup_names(dest))
    if claimed is None:
        raise FormWriteError(f"{dest}：已有 {MAX_BACKUPS} 个备份（{dest.stem}.bak…{dest.suffix}），不再新建；请先整理这些"
                             f"备份再写回。{dest.name} 保持原样，未写入任何内容。")
    try:
        shutil.copyfile(dest, claimed)
        shutil.copystat(dest, claimed)
    except OSError:
        claimed.unlink(missing_ok=True)  # only the file we just created: an older backup is never touched
        raise
    return claimed


def result_beside(dest: Path) -> Path | None:
    """A new file beside `dest` for a result that could not replace it: <name>.perfeval-结果.xlsx (then -结果2…)."""
    names = [dest.with_name(f"{dest.stem}.perfeval-结果{'' if n == 1 else n}{dest.suffix}") for n in range(1, 100)]
    return _claim_new_file(names)


def save_atomically(workbook, dest: Path, backup: bool = False, read_as: FileStamp | None = None,
                    check_copy=None) -> Path | None:
    """Save to a temporary file in the same folder, then rename over `dest`. Any failure leaves `dest` as it was
    and removes the temporary file; it is raised as FormWriteError with a Chinese reason.

    backup: an existing `dest` is first kept as a new numbered backup (see _make_backup); returns its path.
    read_as: what `dest` was when it was read (--in-place, clear). If the file on disk is no longer that one (someone
        saved it meanwhile), `dest` is left alone, the result is kept beside it, and ChangedWhileWorking is raised.
    check_copy: called with the saved temporary file before anything is replaced; it may raise FormWriteError to
        stop (e.g. the copy lacks content of the original)."""
    dest = Path(dest)
    if dest.is_symlink():  # --in-place on a link: write the file it points to, keep the link
        dest = Path(os.path.realpath(dest))
    folder = dest.parent
    try:
        if folder.exists() and not folder.is_dir():
            raise FileExistsError(errno.EEXIST, "not a folder", str(folder))
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(folder)
        handle, temp_name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{_host_tag()}-{os.getpid()}-",
                                             suffix=dest.suffix, dir=folder)
        os.close(handle)
    except OSError as exc:
        raise FormWriteError(f"{dest}：无法写入输出文件夹 {folder}（{os_reason(exc)}）。请换一个可以写入的文件夹。"
                             f"原文件未改动。") from None
    temp = Path(temp_name)
    backup_path = None
    try:
        workbook.save(temp)
        os.chmod(temp, _new_file_mode(dest))
        if check_copy is not None:
            check_copy(temp)
        if read_as is not None and FileStamp.of(dest) != read_as:
            beside = result_beside(dest)
            if beside is not None:
                os.replace(temp, beside)
            where = f"本工具的结果已另存为 {beside}，" if beside else ""
            raise ChangedWhileWorking(
                f"{dest}：处理期间文件已被修改或保存（可能有人正在 Excel 或 WPS 中编辑）。为免覆盖这次修改，未写回原文件；"
                f"{where}请在保存完成后重新运行。", beside)
        if backup and dest.exists():
            backup_path = _make_backup(dest)
        os.replace(temp, dest)
    except FormWriteError:
        raise
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
