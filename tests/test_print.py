"""The printed form: rows tall enough for their text, the indicator header on every page, no empty slots on paper,
and the form as wide as the page.

Row heights are checked against glyph widths measured in a real CJK font (WenQuanYi Zen Hei, Debian's
fonts-wqy-zenhei, installed by .ci/run) with Pillow, not against our own estimate; the page width against a
LibreOffice render to PDF, read back with pypdf.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pytest

from lo import soffice

from perfeval_xl.print_layout import column_width_pt, height_for_lines, line_count

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.xlsx")) + sorted((REPO / "examples" / "printed").glob("*.xlsx"))
TEMPLATES = sorted((REPO / "workbook_templates").glob("*.xlsx"))
FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def _font(size_pt: float):
    if not FONT_FILE.exists():
        if os.environ.get("CI"):
            pytest.fail("fonts-wqy-zenhei is required in CI (.ci/run installs it)")
        pytest.skip("fonts-wqy-zenhei is not installed")
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT_FILE), size=round(size_pt * 96 / 72))


def _measured_lines(text: str, width_px: float, size_pt: float) -> int:
    """Lines the text takes in the real font when broken between characters wherever the line is full (the least
    any wrapping can give: Excel breaks Latin words only at spaces, which gives more)."""
    font = _font(size_pt)
    usable = width_px - 4 * 96 / 72  # the cell's padding, as print_layout keeps it
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for ch in paragraph:
            w = font.getlength(ch)
            if used + w > usable and used > 0:
                lines += 1
                used = 0.0
            used += w
    return lines


def _scored_copy(src: Path, out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "check", str(src), "--output", str(out), "--exit-zero"],
                   check=True, capture_output=True)
    return out / src.name


@pytest.fixture(scope="module")
def scored_copies(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("scored")
    return [_scored_copy(src, out) for src in EXAMPLES]


def _wrapped_text_cells(ws):
    spans = {(m.min_row, m.min_col): (m.max_row, m.max_col) for m in ws.merged_cells.ranges}
    covered = {(r, c) for (t, l), (b, rt) in spans.items() for r in range(t, b + 1) for c in range(l, rt + 1)
               if (r, c) != (t, l)}
    for row in ws.iter_rows():
        for cell in row:
            value = cell.value
            if not isinstance(value, str) or value.startswith("=") or not value.strip():
                continue
            if (cell.row, cell.column) in covered or cell.alignment is None:
                continue
            if not (cell.alignment.wrap_text or "\n" in value) or cell.alignment.textRotation:
                continue
            yield cell, spans.get((cell.row, cell.column), (cell.row, cell.column))


def _row_height(ws, row: int) -> float:
    dim = ws.row_dimensions.get(row)
    return float(dim.height) if dim is not None and dim.height else float(ws.sheet_format.defaultRowHeight or 15)


def _assert_rows_fit(path: Path) -> int:
    wb = openpyxl.load_workbook(path)
    checked = 0
    for ws in wb.worksheets:
        for cell, (bottom, right) in _wrapped_text_cells(ws):
            size = float(cell.font.sz or 11)
            width_px = sum(column_width_pt(ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width or 8.43)
                           for c in range(cell.column, right + 1)) / 0.75
            lines = _measured_lines(cell.value, width_px, size)
            rows = [r for r in range(cell.row, bottom + 1) if not ws.row_dimensions[r].hidden]
            if not rows:
                continue
            have = sum(_row_height(ws, r) for r in rows)
            # A line of CJK text needs at least its em height plus the line gap; 1.2 em is the tightest Excel shows.
            assert have >= lines * size * 1.2, (
                f"{path.name}:{ws.title}!{cell.coordinate}: {lines} lines of {size} pt need "
                f"{lines * size * 1.2:.1f} pt, the row(s) have {have} pt: {cell.value[:40]!r}")
            checked += 1
    return checked


@pytest.mark.parametrize("path", EXAMPLES + TEMPLATES, ids=lambda p: p.name)
def test_every_row_of_the_shipped_workbooks_fits_its_text(path):
    assert _assert_rows_fit(path) > 0


def test_every_row_of_the_scored_copies_fits_its_text(scored_copies):
    for path in scored_copies:
        assert _assert_rows_fit(path) > 0


def test_a_long_indicator_name_in_a_scored_copy_gets_more_than_one_line(scored_copies):
    """The bug that was seen: 邵阳's long 三级指标 names kept the default height and were cut off."""
    scored = next(p for p in scored_copies if p.name.startswith("邵阳") and p.parent.name != "printed")
    ws = openpyxl.load_workbook(scored)["自评表"]
    row = next(c.row for r in ws.iter_rows() for c in r if c.value == "5G智慧云电子大屏宣传建设经费（已完工）")
    assert _row_height(ws, row) >= 2 * 11 * 1.2


def test_line_count_breaks_cjk_anywhere_and_latin_only_at_spaces():
    one_line = column_width_pt(10)  # 10 characters wide: 75 px, 56.25 pt
    assert line_count("项目按期完成", one_line) == 2  # 6 CJK × 11 pt = 66 pt > 52 pt usable
    assert line_count("项目", one_line) == 1
    assert line_count("第一行\n第二行", column_width_pt(40)) == 2
    # "abcdefg hijklmn": each word 7 × 6.6 = 46.2 pt fits alone, both do not: the second word moves down whole
    assert line_count("abcdefg hijklmn", one_line) == 2
    assert height_for_lines(2) > height_for_lines(1) > 11


def test_the_scored_copy_hides_only_the_empty_slots_and_clear_shows_them_again(tmp_path):
    src = REPO / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"
    work = tmp_path / src.name
    shutil.copy(src, work)
    before = openpyxl.load_workbook(work)["自评表"]
    table_rows = range(14, 44)  # the template's 30 indicator slots (defined name 绩效指标)
    typed = {r for r in table_rows if any(before.cell(r, c).value not in (None, "") and
                                          not str(before.cell(r, c).value).startswith("=") for c in range(2, 11))}
    values_before = {(c.row, c.column): c.value for row in before.iter_rows() for c in row}

    subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "check", str(work), "--in-place", "--exit-zero"],
                   check=True, capture_output=True)
    scored = openpyxl.load_workbook(work)["自评表"]
    hidden = {r for r in table_rows if scored.row_dimensions[r].hidden}
    assert hidden == set(table_rows) - typed and typed and hidden
    assert not any(scored.row_dimensions[r].hidden for r in range(1, 14))

    subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "clear", str(work)], check=True, capture_output=True)
    cleared = openpyxl.load_workbook(work)["自评表"]
    assert not any(cleared.row_dimensions[r].hidden for r in table_rows)
    assert {(c.row, c.column): c.value for row in cleared.iter_rows() for c in row} == values_before


def test_the_blank_template_keeps_its_slots_on_paper():
    ws = openpyxl.load_workbook(TEMPLATES[0] if "项目支出" in TEMPLATES[0].name else TEMPLATES[1])["自评表"]
    assert not any(dim.hidden for dim in ws.row_dimensions.values())


@pytest.mark.parametrize("path", TEMPLATES + [REPO / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"],
                         ids=lambda p: p.name)
def test_the_indicator_header_repeats_on_every_printed_page(path, tmp_path):
    ws = openpyxl.load_workbook(path).worksheets[0]
    header = next(c.row for r in ws.iter_rows() for c in r if c.value in ("三级指标", "评分表", "二级指标"))
    titles = ws.print_title_rows
    assert titles, f"{path.name}: no print titles"
    first, last = (int(x.replace("$", "")) for x in titles.split(":"))
    assert first <= header <= last


def _pdf_pages(src: Path, outdir: Path) -> list[str]:
    from pypdf import PdfReader

    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([soffice(), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(outdir), str(src)],
                       capture_output=True, timeout=180)
    pdf = outdir / (src.stem + ".pdf")
    assert pdf.is_file(), f"LibreOffice did not render {src.name}"
    return [page.extract_text() or "" for page in PdfReader(str(pdf)).pages]


def _header_words(path: Path) -> tuple[str, str]:
    """The first and last labels of the table header row on the form sheet, within its print area."""
    ws = openpyxl.load_workbook(path).worksheets[0]
    right = ws.max_column
    if ws.print_area:
        right = openpyxl.utils.cell.range_boundaries(ws.print_area.split(",")[0].split("!")[-1].replace("$", ""))[2]
    for row in ws.iter_rows(max_col=right):
        labels = [c for c in row if isinstance(c.value, str) and c.value.strip()]
        if any(c.value.strip() == "三级指标" for c in labels):
            texts = [c.value.strip().split("\n")[0] for c in labels]
            return texts[1] if len(texts) > 1 else texts[0], texts[-1]
    pytest.fail(f"{path.name}: no 三级指标 header")


@pytest.mark.parametrize("path", [p for p in EXAMPLES if "晋中" not in p.name], ids=lambda p: p.name)
def test_the_form_fits_the_page_width_in_a_libreoffice_render(path, tmp_path):
    """A page that shows the indicator header shows all of it: no column spilled onto a page of its own."""
    first, last = _header_words(path)
    pages = _pdf_pages(path, tmp_path)
    with_header = [text for text in pages if first in text]
    assert with_header, f"{path.name}: the header {first!r} is on no page"
    for text in with_header:
        assert last in text, f"{path.name}: a page shows {first!r} but not {last!r}: the form is wider than the page"
