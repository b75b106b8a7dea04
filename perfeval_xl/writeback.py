"""What to write back into a checked workbook, decided once for every adapter (openpyxl file, live Excel).

Pure: given the evaluation, what the cells hold now and what we wrote last time (the state kept in the `校验结果`
sheet), it returns the cells to write, the cells to mark, the rows of the `校验结果` sheet and the new state.

The rules that keep a person's work safe:
- A "fill" cell is written only when it is empty or still holds exactly what we wrote last time. Anything else is
  a value a person typed (or a formula), and it wins: we report, we don't overwrite.
- "owned" cells (建议得分, 计分说明) and the `校验结果` sheet are ours and rewritten every run.
- Marks (fill colours) remember the colour they replaced, so 清除标记 puts it back; where the adapter can read the
  whole fill (openpyxl), they remember it exactly (pattern, theme colour and tint, indexed colour, alpha), so a fill
  that any application saved comes back as it was.
- A filled cell of the indicator table also remembers its row's 三级指标. If that row now holds another indicator
  (a row inserted above it, rows re-ordered, an indicator replaced), the address no longer means the cell we filled:
  whatever it holds counts as typed, even when it happens to equal our old value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .model import UNSCORED_TEXT, Evaluation, Form
from .values import format_number

RESULTS_SHEET = "校验结果"
OWNED_KEYS = ("suggested", "explanation")  # table columns only this tool writes (families/*.toml: owned = true)
STATE_HEADER = "本工具填入的单元格（再次校验时据此更新；清除标记时据此还原，请勿修改）"
STATE_COLUMNS = ["单元格", "填入值", "标记", "原底色", "所在指标", "原填充"]
SEVERITY_LABEL = {"error": "错误", "warning": "警告", "info": "提示"}
_SEVERITY_BY_LABEL = {label: severity for severity, label in SEVERITY_LABEL.items()}
MARK_COLOURS = {"error": "FFC7CE", "warning": "FFEB9C"}  # Excel's own "bad" and "neutral" fills
RESULTS_COLUMNS = ["序号", "级别", "代码", "单元格", "说明", "建议值"]
_CELL_REF = re.compile(r"^[A-Z]{1,3}[1-9][0-9]{0,6}$")


@dataclass
class StateEntry:
    cell: str
    filled: Any = None  # the value we wrote (None when we only marked the cell)
    mark: str = ""  # the severity we marked it with, "" when not marked
    original_fill: str = ""  # the fill colour the mark replaced ("" = none)
    anchor: str | None = None  # the row's 三级指标 when we filled it ("" outside the table; None: not recorded)
    original_style: str = ""  # the whole fill the mark replaced, exactly (xlsx_io.fill_text); "" = not recorded


@dataclass
class WritePlan:
    values: dict[str, Any] = field(default_factory=dict)  # cell -> value, on the form's sheet
    marks: dict[str, str] = field(default_factory=dict)  # cell -> severity ("error" / "warning")
    notes: dict[str, str] = field(default_factory=dict)  # cell -> note text (where the adapter can add notes)
    unmark: dict[str, str] = field(default_factory=dict)  # cell -> fill to restore (marks from the last run now gone)
    kept_typed: list[str] = field(default_factory=list)  # fill cells left alone because a person typed there
    unwritten: dict[str, str] = field(default_factory=dict)  # cell -> why its value was not written (Chinese)
    results: list[list[Any]] = field(default_factory=list)  # the 校验结果 sheet, from A1
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) in results -> cell on the form
    state: list[StateEntry] = field(default_factory=list)


def same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    return str(a) == str(b)


def read_state(results_values: list[list[Any]] | None) -> dict[str, StateEntry]:
    """The state section of an existing `校验结果` sheet (as values from A1)."""
    if not results_values:
        return {}
    start = next((i for i, row in enumerate(results_values) if row and row[0] == STATE_HEADER), None)
    if start is None or start + 1 >= len(results_values):
        return {}
    header = list(results_values[start + 1] or [])
    has_anchor = len(header) > 4 and header[4] == STATE_COLUMNS[4]  # sheets written before 所在指标 existed lack it
    has_style = len(header) > 5 and header[5] == STATE_COLUMNS[5]  # nor before 原填充 existed
    state = {}
    for row in results_values[start + 2:]:
        if not row or not row[0]:
            break
        if not _CELL_REF.match(str(row[0]).strip()):  # someone edited the sheet: ignore what is not a cell address
            continue
        cells = list(row) + [None] * 6
        filled = None if cells[1] in ("", None) else cells[1]
        anchor = ("" if cells[4] is None else str(cells[4])) if has_anchor else None
        mark = _SEVERITY_BY_LABEL.get(str(cells[2] or ""), str(cells[2] or ""))
        style = str(cells[5] or "") if has_style else ""
        state[str(cells[0])] = StateEntry(str(cells[0]), filled, mark, str(cells[3] or ""), anchor, style)
    return state


def row_anchors(form: Form) -> dict[str, str]:
    """Every table cell → the 三级指标 of its row (cells outside the table are absent: their anchor is "")."""
    anchors = {}
    for row in form.rows:
        name = row.get("name")
        anchor = "" if name is None or name.value is None else " ".join(str(name.value).split())
        for cell in row.values():
            if cell.ref:
                anchors[cell.ref] = anchor
    return anchors


def trusted_state(previous: dict[str, StateEntry], form: Form) -> dict[str, StateEntry]:
    """`previous` with the fills whose row now holds another indicator forgotten (their marks are kept, so the
    colour still comes back). Such a cell's content is then treated as typed: reported, never overwritten."""
    trusted = {}
    anchors = row_anchors(form)
    for cell, entry in previous.items():
        if entry.filled is not None and entry.anchor is not None and entry.anchor != anchors.get(cell, ""):
            entry = StateEntry(entry.cell, None, entry.mark, entry.original_fill, entry.anchor, entry.original_style)
        trusted[cell] = entry
    return trusted


def plan(evaluation: Evaluation, current: dict[str, Any], formula_cells: set[str], previous: dict[str, StateEntry],
         current_fills: dict[str, str] | None = None, default_fill: dict[str, str] | None = None,
         current_styles: dict[str, str] | None = None, unwritable: dict[str, str] | None = None) -> WritePlan:
    """Decide every write.

    current: what each cell the engine talks about holds now (value as read).
    formula_cells: cells known to hold formulas (never written; their formula computes the value).
    previous: the state from the last run.
    current_fills: the fill colour of cells, where the adapter can read it (openpyxl); else default_fill gives the
    template's colour for the cell's role, so an unmark restores the form's look.
    current_styles: the whole fill of cells, exactly (where the adapter can read it), kept for 清除标记.
    unwritable: cells the adapter cannot write without changing something a person has (a cell inside a merged
    range, a value its writer cannot write back as it is) -> why, in Chinese. They are left as they are and listed
    in 校验结果.
    """
    result = WritePlan()
    previous = trusted_state(previous, evaluation.form)
    current_fills = current_fills or {}
    current_styles = current_styles or {}
    unwritable = unwritable or {}
    default_fill = default_fill or {}
    filled: dict[str, Any] = {}
    for output in evaluation.outputs:
        if output.cell in unwritable:
            if output.value not in (None, ""):
                result.unwritten[output.cell] = unwritable[output.cell]
            continue
        if output.mode == "owned":
            result.values[output.cell] = output.value
            continue
        now = current.get(output.cell)
        ours_last_time = output.cell in previous and same_value(previous[output.cell].filled, now)
        if output.cell in formula_cells:
            continue
        if now is None or ours_last_time:
            result.values[output.cell] = output.value
            filled[output.cell] = output.value
        else:
            result.kept_typed.append(output.cell)
    # A cell we filled last time and no longer fill (its input was removed): empty it again, if still ours.
    for cell, entry in previous.items():
        if entry.filled is not None and cell not in filled and cell not in result.values:
            if same_value(entry.filled, current.get(cell)) and cell not in formula_cells and cell not in unwritable:
                result.values[cell] = None

    worst: dict[str, str] = {}
    messages: dict[str, list[str]] = {}
    for issue in evaluation.issues:
        if not issue.cell:
            continue
        # One line per issue (line breaks typed inside a label are folded): adapters tell our lines from a person's.
        messages.setdefault(issue.cell, []).append(f"[{issue.code}] {' '.join(issue.message.split())}")
        if issue.severity in MARK_COLOURS and (worst.get(issue.cell) != "error"):
            worst[issue.cell] = issue.severity
    result.marks = worst
    result.notes = {cell: "\n".join(texts) for cell, texts in messages.items() if cell in worst}

    cells = sorted(set(filled) | set(worst), key=_cell_order)
    anchors = row_anchors(evaluation.form)
    for cell in cells:
        if cell in worst:
            # Keep the colour found before our first mark: a cell marked last run shows our colour now.
            if cell in previous and previous[cell].mark:
                original, style = previous[cell].original_fill, previous[cell].original_style
            else:
                original, style = current_fills.get(cell, default_fill.get(cell, "")), current_styles.get(cell, "")
        else:
            original, style = "", ""
        anchor = anchors.get(cell, "") if cell in filled else ""
        result.state.append(StateEntry(cell, filled.get(cell), worst.get(cell, ""), original, anchor, style))
    for cell, entry in previous.items():
        if entry.mark and cell not in worst:
            result.unmark[cell] = entry.original_fill
    result.results, result.links = results_sheet(evaluation, result.state, result.unwritten)
    return result


def _cell_order(cell: str) -> tuple[int, str]:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return (int(digits) if digits else 0, cell)


def summary_line(evaluation: Evaluation) -> str:
    total = format_number(evaluation.total) if evaluation.total is not None else "—"
    rate = f"{evaluation.execution_rate * 100:.2f}%" if evaluation.execution_rate is not None else "—"
    # A total of only our suggestions is labelled so: it must not read as the unit's own self-assessment.
    name = "建议总分（未填自评得分）" if evaluation.total_basis == "suggested" and evaluation.total is not None else "总分"
    parts = [f"{name} {total}", f"等次 {evaluation.grade or '—'}"] if evaluation.scored else [f"{UNSCORED_TEXT}（无总分、等次）"]
    if evaluation.form.budget:
        parts.insert(0, f"执行率 {rate}")
    parts += [f"错误 {evaluation.errors}", f"警告 {evaluation.warnings}", f"评分口径 {evaluation.policy_name}"]
    return "，".join(parts)


def results_sheet(evaluation: Evaluation, state: list[StateEntry], unwritten: dict[str, str] | None = None
                  ) -> tuple[list[list[Any]], dict[tuple[int, int], str]]:
    """The `校验结果` sheet as rows of values, and which cells link to the form."""
    form: Form = evaluation.form
    rows: list[list[Any]] = [
        ["校验结果", f"{form.source}（{form.sheet}）"],
        ["汇总", summary_line(evaluation)],
        [],
        RESULTS_COLUMNS,
    ]
    links: dict[tuple[int, int], str] = {}
    for number, issue in enumerate(evaluation.issues, start=1):
        suggested = issue.suggested if issue.suggested is not None else ""
        rows.append([number, SEVERITY_LABEL[issue.severity], issue.code, issue.cell or "（全表）", issue.message, suggested])
        if issue.cell:
            links[(len(rows) - 1, 3)] = issue.cell
    if not evaluation.issues:
        rows.append(["", "", "", "", "未发现问题。", ""])
    if unwritten:  # values we computed but left out, so that what the cell holds stays exactly as it was
        rows += [[], ["未写入的单元格"], ["", "", "", "单元格", "原因", ""]]
        for cell, why in sorted(unwritten.items(), key=lambda item: _cell_order(item[0])):
            rows.append(["", "提示", "", cell, why, ""])
            links[(len(rows) - 1, 3)] = cell
    # Same columns as the issue list above (narrow numbers left, the link in D, the text in the wide E).
    rows += [[], ["计分明细"], ["序号", "分值", "填报得分", "得分单元格", "指标与计分说明", "规则得分"]]
    for number, item in enumerate(evaluation.items, start=1):
        rows.append([number, _blank(item.weight), _blank(item.typed), item.cell or "", f"{item.label}：{item.explanation}",
                     _blank(item.suggested)])
        if item.cell:
            links[(len(rows) - 1, 3)] = item.cell
    rows += [[], [STATE_HEADER], STATE_COLUMNS]
    for entry in state:
        rows.append([entry.cell, _blank(entry.filled), SEVERITY_LABEL.get(entry.mark, entry.mark), entry.original_fill,
                     entry.anchor or "", entry.original_style])
    width = max(len(r) for r in rows)
    return [list(r) + [None] * (width - len(r)) for r in rows], links


def _blank(value: Any) -> Any:
    return "" if value is None else value


def clear_plan(previous: dict[str, StateEntry], form: Form | None, current: dict[str, Any]
               ) -> tuple[dict[str, None], dict[str, str]]:
    """清除标记: (cells to empty, cells whose fill to restore → colour). A cell is emptied only if it still holds
    what we wrote and its row still holds the same indicator; when the form no longer reads (`form` None), nothing
    is emptied, since we cannot tell our values apart, but the colours still come back."""
    trusted = trusted_state(previous, form) if form is not None else {}
    empty = {cell: None for cell, entry in trusted.items()
             if entry.filled is not None and same_value(entry.filled, current.get(cell))}
    if form is not None:  # the tool-owned columns (建议得分, 计分说明) hold only what we wrote
        empty.update({row[key].ref: None for row in form.rows for key in OWNED_KEYS if key in row and row[key].ref})
    colours = {cell: entry.original_fill for cell, entry in previous.items() if entry.mark}
    return empty, colours
