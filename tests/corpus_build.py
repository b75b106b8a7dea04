"""Lay each transcription in tests/corpus/ out as a workbook in its printed arrangement.

A transcription (tests/corpus/<province>-<year>-<short>.toml) carries the published form as a grid of printed cells,
row by row, column by column, exactly as published (typos, unit slips, `指标1：` placeholder rows included):

- `""` is an empty cell;
- `"<"` belongs to the merged cell on its left, `"^"` to the merged cell above: a merged range is its top-left
  value followed by `<` across and `^` down, as on paper;
- a cell that holds only a plain number (`287`, `89.974`) becomes a number cell, as in the unit's workbook;
  everything else (`60%`, `≥50个`, `100人次`, `　`, `=100%`) stays text as printed. A cell listed in `text_cells` stays text
  even when it looks like a number (the published page typed it as text).

Everything else in the file is about the form, not its cells: the source address, place, year, layout, the
published figures and, under [expected], what a careful reviewer finds by hand (see docs/corpus.md).

`python tests/corpus_build.py OUT_DIR` writes every form to OUT_DIR/<id>.xlsx (the tests do the same into a
session tmp directory); `python tests/corpus_build.py --from-xlsx FILE [SHEET]` prints a received workbook's sheet
as a `grid = [...]` block, to start a transcription from a form someone sent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from layouts import Sheet, save

_ROOT = Path(__file__).resolve().parents[1]  # the checkout whose perfeval_xl the CLI runs
CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
MERGED_LEFT, MERGED_UP = "<", "^"


@dataclass
class CorpusForm:
    """One transcription, as read from its file."""

    id: str
    path: Path
    data: dict
    grid: list[list[str]] = field(default_factory=list)

    @property
    def expected(self) -> dict:
        return self.data.get("expected", {})

    @property
    def published(self) -> dict:
        return self.data.get("published", {})


def load_corpus(directory: Path = CORPUS_DIR) -> list[CorpusForm]:
    forms = []
    for path in sorted(directory.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        forms.append(CorpusForm(path.stem, path, data, [list(row) for row in data["grid"]]))
    return forms


def cell_value(text: str, ref: str, text_cells: set[str]):
    """A printed cell's content as the workbook holds it: plain numbers as numbers, the rest as text."""
    if text == "":
        return None
    if ref not in text_cells and _PLAIN_NUMBER.fullmatch(text):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    return text


def merged_ranges(grid: list[list[str]]) -> dict[tuple[int, int], tuple[int, int]]:
    """(row, col) of each merged range's top-left cell → (height, width); 0-based."""
    def at(r: int, c: int) -> str | None:
        return grid[r][c] if r < len(grid) and c < len(grid[r]) else None

    ranges = {}
    for r, row in enumerate(grid):
        for c, text in enumerate(row):
            if text in (MERGED_LEFT, MERGED_UP):
                continue
            width = 1
            while at(r, c + width) == MERGED_LEFT:
                width += 1
            height = 1
            while at(r + height, c) == MERGED_UP:
                height += 1
            if width > 1 or height > 1:
                ranges[(r, c)] = (height, width)
    return ranges


def build_workbook(form: CorpusForm, path: Path) -> Path:
    """Write `form` as printed: one sheet, its cells at the grid's positions, merged as on paper."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = form.data.get("sheet", "Sheet1")
    widths = form.data.get("column_widths", {})
    pen = Sheet(ws, widths)
    text_cells = set(form.data.get("text_cells", []))
    spans = merged_ranges(form.grid)
    for r, row in enumerate(form.grid):
        for c, text in enumerate(row):
            if text in (MERGED_LEFT, MERGED_UP):
                continue
            ref = f"{get_column_letter(c + 1)}{r + 1}"
            to = None
            if (r, c) in spans:
                height, width = spans[(r, c)]
                to = f"{get_column_letter(c + width)}{r + height}"
            if text == "" and to is None:
                continue
            pen.put(ref, cell_value(text, ref, text_cells), to)
            if text.startswith("="):
                # Printed as typed (`=100%` on a 上海 form): a text cell. openpyxl would store it as a formula with
                # no cached value, which no spreadsheet the unit sent could hold.
                ws[ref].data_type = "s"
    save(wb, path)
    return path


def grid_from_xlsx(path: Path, sheet: str | None = None) -> list[list[str]]:
    """A received workbook's sheet as a grid in the transcription's notation (the way to add a form someone sent as
    .xlsx): values as text, merged ranges as `<` / `^`, trailing empty cells dropped."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet] if sheet else wb.active
    grid = [["" if c.value is None else _as_text(c.value) for c in row] for row in ws.iter_rows()]
    for merged in ws.merged_cells.ranges:
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                if (r, c) != (merged.min_row, merged.min_col):
                    grid[r - 1][c - 1] = MERGED_LEFT if r == merged.min_row else MERGED_UP
    return [_trim(row) for row in grid]


def _as_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _trim(row: list[str]) -> list[str]:
    while row and row[-1] == "":
        row = row[:-1]
    return row


def grid_toml(grid: list[list[str]]) -> str:
    """The `grid = [...]` block of a transcription file."""
    rows = ",\n".join("  [" + ", ".join(json.dumps(cell, ensure_ascii=False) for cell in row) + "]" for row in grid)
    return f"grid = [\n{rows},\n]\n"


# --- Running the tool and judging its answer --------------------------------------------------------------------


def run_check(paths: list[Path]) -> dict[str, dict]:
    """`perfeval-xl check --json` on the built workbooks, in a subprocess as a finance bureau would run it; one
    record per form id (a refused form's record has an "error" and no issues)."""
    completed = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "check", "--json", *map(str, paths)],
                               capture_output=True, text=True, encoding="utf-8", env=_env(), cwd=_ROOT)
    try:
        records = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"perfeval-xl check --json gave no JSON (exit {completed.returncode}): "
                           f"{completed.stderr[-2000:]}") from None
    return {Path(record["file"]).stem: record for record in records}


def _env() -> dict:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def discrepancies(form: CorpusForm, record: dict, with_messages: bool = True) -> list[str]:
    """What the tool got wrong on `form`, against the hand-worked [expected] of its transcription; empty = right.

    - the form must be read (not refused);
    - errors: exactly the expected (code, cell) pairs; an expected entry with cell "*" stands for one more error
      of that code anywhere (a code another reader may place differently), code "*" for any code; codes listed in
      `truncation_codes` (what a cut-off page makes up, e.g. T401 when the last rows are missing) are ignored;
    - total, grade, execution score, execution rate: equal to the expected ones where given;
    - `scored = false` (a form that carries no points): no total and no grade, and the record says it is unscored;
    - `ungraded = true`: no total, no grade (the scores on the form do not add up to one, e.g. rows with neither a
      typed score nor a computable one).
    """
    if "error" in record:
        return [f"表格未能读取：{record['error']}"]
    expected = form.expected
    wrong = []
    ignored = set(expected.get("truncation_codes", []))
    found = sorted((i["code"], i["cell"] or "") for i in record["issues"]
                   if i["severity"] == "error" and i["code"] not in ignored)
    remaining = list(found)
    missing = []
    wildcards = []
    for entry in expected.get("errors", []):
        pair = (entry["code"], entry["cell"])
        if "*" in pair:
            wildcards.append(pair)
        elif pair in remaining:
            remaining.remove(pair)
        else:
            missing.append(pair)
    for code, cell in wildcards:
        match = next((p for p in remaining if code in ("*", p[0]) and cell in ("*", p[1])), None)
        if match:
            remaining.remove(match)
        else:
            missing.append((code, cell))
    if missing:
        wrong.append("未报出的错误：" + "，".join(f"{c} {r}" for c, r in missing))
    if remaining:
        messages = {(i["code"], i["cell"] or ""): i["message"] for i in record["issues"]}
        shown = [f"{c} {r}（{messages.get((c, r), '')}）" if with_messages else f"{c} {r}".strip() for c, r in remaining]
        wrong.append("多报的错误：" + ("；" if with_messages else "，").join(shown))
    if expected.get("ungraded") and (record.get("total") is not None or record.get("grade") is not None):
        wrong.append(f"总分、等次：工具为 {record.get('total')}（{record.get('grade')}），应不计总分、不评等次")
    for key, label in (("total", "总分"), ("grade", "等次"), ("execution_score", "预算执行得分")):
        if key in expected and not _same(record.get(key), expected[key]):
            wrong.append(f"{label}：工具为 {record.get(key)}，应为 {expected[key]}")
    if "execution_rate" in expected and not (isinstance(record.get("execution_rate"), (int, float))
                                             and abs(record["execution_rate"] - expected["execution_rate"]) < 0.00005):
        wrong.append(f"执行率：工具为 {record.get('execution_rate')}，应为 {expected['execution_rate']}")
    if expected.get("scored") is False and (record.get("scored") is not False or record.get("total") is not None
                                            or record.get("grade") is not None):
        wrong.append(f"不打分的表：工具给出 总分 {record.get('total')}、等次 {record.get('grade')}（scored = "
                     f"{record.get('scored')}），应无总分、等次")
    return wrong


def false_warnings(form: CorpusForm, record: dict) -> list[tuple[str, str]]:
    """(code, cell) of the warnings the transcription names as false (`false_warning_codes`: the form gives no
    reason for them, e.g. I315 on a 一级指标 printed vertically, 产\\n出\\n指\\n标), and the (code, cell) pairs it
    lists under `false_warnings`."""
    codes = set(form.expected.get("false_warning_codes", []))
    # `false_warnings`: one (code, cell) each, where the same code elsewhere on the form is right (I307 on one row).
    cells = {(entry["code"], entry["cell"]) for entry in form.expected.get("false_warnings", [])}
    return [(i["code"], i["cell"] or "") for i in record.get("issues", [])
            if i["code"] in codes or (i["code"], i["cell"] or "") in cells]


def _same(got, want) -> bool:
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return abs(got - want) < 0.005
    return got == want


def build_all(out_dir: Path, forms: list[CorpusForm] | None = None) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return {form.id: build_workbook(form, out_dir / f"{form.id}.xlsx") for form in (forms or load_corpus())}


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--from-xlsx":
        print(grid_toml(grid_from_xlsx(Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)), end="")
        sys.exit(0)
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("corpus-out")
    for form_id, written in build_all(target).items():
        print(f"{form_id}: {written}")
