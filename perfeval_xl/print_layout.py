"""How a form prints: row heights that fit the text they hold, and spare table rows kept off the page.

Excel does not resize rows when it opens a file: a row keeps the height stored in it (or the default, one line),
so a long 三级指标 name or 偏差原因 text in a wrapped cell is cut off on screen and in print. We therefore store a
height for every row whose text needs more than one line, worked out from the column widths and the font size the
way Excel lays out text:

- A column's width is counted in "characters" of the default font's digit width (7 px at 96 dpi for 宋体 11 and
  Calibri 11); Excel adds 5 px of padding, and a cell keeps about 2 pt clear on each side.
- A CJK character (East Asian wide, full-width or ambiguous, such as ≥) is one em wide; a few wide Latin letters
  (m, w, %…) 0.85 em; any other character 0.6 em: 宋体 gives Latin letters and digits half an em, the CJK fonts
  LibreOffice and WPS fall back to (文泉驿正黑: digits 0.6 em) a little more.
- CJK text wraps between any two characters; a run of Latin letters or digits wraps only at a space (or, when the
  run is longer than the line, inside it), as Excel does.
- A line is 1.3 em high (宋体 11 pt: Excel's 14.25 pt row holds one line), plus 2 pt for the cell's padding.

The estimate errs towards too many lines: a row a little too tall prints fine; a row too short hides text.
Nothing here changes a cell's value: heights and hidden rows are sheet formatting only.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any, Iterable

from openpyxl.utils import get_column_letter

from .grid import parse_ref
from .values import indicator_name

DIGIT_WIDTH_PX = 7  # Excel's width unit: the default font's widest digit at 96 dpi (宋体 11, Calibri 11)
COLUMN_PADDING_PX = 5  # Excel adds this to width × digit width
CELL_PADDING_PT = 4.0  # text keeps clear of the left and right border
LINE_HEIGHT_EM = 1.3
ROW_PADDING_PT = 2.0
DEFAULT_FONT_SIZE = 11.0
DEFAULT_COLUMN_WIDTH = 8.43  # Excel's default, in characters
DEFAULT_ROW_HEIGHT_PT = 14.25


_WIDE_LATIN = frozenset("mwMW%@")


def char_width_em(ch: str) -> float:
    """The width of `ch` in em, erring wide (see the module's notes)."""
    if unicodedata.east_asian_width(ch) in ("W", "F", "A"):
        return 1.0
    return 0.85 if ch in _WIDE_LATIN else 0.6


def column_width_pt(width_chars: float) -> float:
    """The printable width of a column `width_chars` wide (Excel's unit), in points."""
    pixels = math.trunc(width_chars * DIGIT_WIDTH_PX + COLUMN_PADDING_PX)
    return pixels * 0.75


def _tokens(paragraph: str) -> list[str]:
    """Pieces Excel will not break: each CJK character alone, each run of other non-space characters, each space."""
    tokens: list[str] = []
    word = ""
    for ch in paragraph:
        if ch == " " or unicodedata.east_asian_width(ch) in ("W", "F", "A"):
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def line_count(text: str, width_pt: float, font_size: float = DEFAULT_FONT_SIZE) -> int:
    """How many lines `text` takes when wrapped in a cell `width_pt` wide, in a font of `font_size` points."""
    usable = max(width_pt - CELL_PADDING_PT, font_size)  # a cell always takes at least one character a line
    lines = 0
    for paragraph in str(text).split("\n"):
        lines += 1
        used = 0.0
        for token in _tokens(paragraph):
            width = sum(char_width_em(ch) for ch in token) * font_size
            if used + width <= usable or (token == " " and used > 0):
                used += width
                continue
            if width <= usable:  # the token starts a new line
                lines += 1 if used > 0 else 0
                used = width
                continue
            for ch in token:  # longer than a whole line: Excel breaks it where the line ends
                w = char_width_em(ch) * font_size
                if used + w > usable and used > 0:
                    lines += 1
                    used = 0.0
                used += w
    return max(lines, 1)


def height_for_lines(lines: int, font_size: float = DEFAULT_FONT_SIZE) -> float:
    """The row height in points that shows `lines` lines of a `font_size`-point font, rounded up to a quarter point."""
    return math.ceil((lines * font_size * LINE_HEIGHT_EM + ROW_PADDING_PT) * 4) / 4


def _text_of(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return None if value.startswith("=") or not value.strip() else value
    return None  # numbers never wrap: Excel shows ### instead


def needed_heights(ws) -> dict[int, float]:
    """Row (1-based) → the height in points its wrapped text needs, for rows whose text needs more than one line.

    A merged cell's text is laid out across the merged columns; when it spans several rows, the rows it spans
    together must be tall enough, and any shortfall is added to its last row."""
    widths: dict[int, float] = {}
    default_width = ws.sheet_format.defaultColWidth or DEFAULT_COLUMN_WIDTH

    def width_of(col: int) -> float:
        if col not in widths:
            dim = ws.column_dimensions.get(get_column_letter(col))
            hidden = dim is not None and dim.hidden
            widths[col] = 0.0 if hidden else column_width_pt(dim.width if dim is not None and dim.width else default_width)
        return widths[col]

    spans = {(m.min_row, m.min_col): (m.max_row, m.max_col) for m in ws.merged_cells.ranges}
    covered = {(r, c) for (top, left), (bottom, right) in spans.items()
               for r in range(top, bottom + 1) for c in range(left, right + 1) if (r, c) != (top, left)}
    single: dict[int, float] = {}
    multi: list[tuple[int, int, float]] = []
    for row in ws.iter_rows():
        for cell in row:
            text = _text_of(cell.value)
            if text is None or (cell.row, cell.column) in covered:
                continue
            alignment = cell.alignment
            if alignment is None or not (alignment.wrap_text or "\n" in text) or alignment.textRotation:
                continue
            bottom, right = spans.get((cell.row, cell.column), (cell.row, cell.column))
            size = float(cell.font.sz) if cell.font is not None and cell.font.sz else DEFAULT_FONT_SIZE
            width = sum(width_of(c) for c in range(cell.column, right + 1))
            lines = line_count(text, width, size)
            if bottom == cell.row:
                if lines > 1:
                    single[cell.row] = max(single.get(cell.row, 0.0), height_for_lines(lines, size))
            else:
                multi.append((cell.row, bottom, height_for_lines(lines, size)))
    heights = dict(single)
    for top, bottom, needed in multi:
        have = sum(heights.get(r) or _height(ws, r) for r in range(top, bottom + 1))
        if have < needed:
            heights[bottom] = (heights.get(bottom) or _height(ws, bottom)) + (needed - have)
    return heights


def _height(ws, row: int) -> float:
    dim = ws.row_dimensions.get(row)
    if dim is not None and dim.height:
        return float(dim.height)
    return float(ws.sheet_format.defaultRowHeight or DEFAULT_ROW_HEIGHT_PT)


def fit_row_heights(ws) -> dict[int, float]:
    """Raise every row whose wrapped text needs more room to the height it needs; never lower a row (a template's
    roomy rows stay as they are). Returns {row: new height} for the rows changed."""
    changed = {}
    for row, needed in needed_heights(ws).items():
        dim = ws.row_dimensions[row]
        if dim.hidden:
            continue
        if needed > _height(ws, row) + 0.01:
            dim.height = needed
            changed[row] = needed
    return changed


def spare_rows(rows: Iterable[dict[str, Any]]) -> list[int]:
    """The 1-based rows of a form's table (model.Form.rows) in which nothing is typed: empty template slots.

    A slot whose cells hold only the template's formulas counts as empty too: they show nothing until a row is
    filled in; so does one whose 三级指标 is only the official blank template's slot text (`指标1：`, `……`)."""
    spare = []
    for row in rows:
        cells = [(key, cell) for key, cell in row.items() if cell.ref]
        if cells and all(cell.is_formula or cell.parsed.is_blank or (key == "name" and _slot_text(cell.value))
                         for key, cell in cells):
            spare.append(parse_ref(cells[0][1].ref)[0] + 1)
    return spare


def _slot_text(value: Any) -> bool:
    return isinstance(value, str) and indicator_name(value) == ""


def hide_spare_rows(ws, rows: Iterable[int]) -> list[int]:
    """Hide the given rows so a filled form prints without its empty slots; `show_rows` brings them back."""
    hidden = []
    for row in rows:
        dim = ws.row_dimensions[row]
        if not dim.hidden:
            dim.hidden = True
            hidden.append(row)
    return hidden


def show_rows(ws, rows: Iterable[int]) -> None:
    for row in rows:
        ws.row_dimensions[row].hidden = False
