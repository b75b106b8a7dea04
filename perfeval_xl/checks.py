"""Every check, a small named function under a stable code, like a linter's rules.

A check reads the `Analysis` (facts already computed) and yields `Finding`s: the cell, a plain-Chinese message that
says what is wrong and what to do, and the suggested value when there is one. The registry gives each code its
default severity and a one-line condition; a policy can change the severity or switch a code off ([severity]).
`docs/checks.md` is generated from this registry (scripts/build_docs.py) and a test keeps it in step.

Code letters say the area, not the severity: F 表头, V 数值, B 预算执行, I 指标, T 权重与合计.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .analysis import Analysis, Item, Row, amount_of
from .model import Cell, Issue
from .policy import load_policy, shipped_policy_names
from .scoring import TIER_LABELS, band_text, in_band, percent_text
from .values import EXCEL_ERRORS, label_key, printed_rate_half_step, shown_number, shown_value, unit_as_typed


@dataclass(frozen=True)
class Finding:
    cell: str
    message: str
    suggested: object = None


@dataclass(frozen=True)
class Check:
    code: str
    severity: str
    title: str
    condition: str
    example: str
    run: Callable[[Analysis], Iterable[Finding]]


REGISTRY: dict[str, Check] = {}


def check(code: str, severity: str, title: str, example: str):
    """Register a check. The function's docstring is its condition, shown in docs/checks.md."""

    def register(fn: Callable[[Analysis], Iterable[Finding]]):
        if code in REGISTRY:
            raise ValueError(f"duplicate check code {code}")
        REGISTRY[code] = Check(code, severity, title, (fn.__doc__ or "").strip(), example, fn)
        return fn

    return register


# Checks of points (分值, 得分, 小计, 总分, 等次): they have nothing to look at on a form that carries none (a family
# with `scored = false`), and some would read the missing points as wrong (T401 "合计不等于 100").
POINTS_CODES = frozenset({"B207", "B209", "I302", "I303", "I307", "I309", "I310", "I319", "I320", "T401", "T402",
                          "T403", "T404", "T405", "T406", "T407", "T408", "T409", "T410"})


def run_checks(analysis: Analysis) -> list[Issue]:
    """Run every check (never stopping at the first problem), with severities from the policy."""
    issues = []
    for code, entry in REGISTRY.items():
        severity = analysis.policy.severity.get(code, entry.severity)
        if severity == "off" or (not analysis.scored and code in POINTS_CODES):
            continue
        for finding in entry.run(analysis):
            issues.append(Issue(code, severity, finding.cell, finding.message, finding.suggested))
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(issues, key=lambda i: (order[i.severity], _cell_sort_key(i.cell), i.code))


def _cell_sort_key(ref: str) -> tuple[int, str]:
    digits = "".join(ch for ch in ref if ch.isdigit())
    return (int(digits) if digits else 0, ref)


def _scored_rows(a: Analysis) -> Iterator[tuple[Item, Row]]:
    for item in a.items:
        for row in item.rows:
            yield item, row


def _is_standard(a: Analysis) -> bool:
    return a.budget is not None


# --- F 表头 ----------------------------------------------------------------------------------------------------


@check("F101", "error", "必填项为空", "项目名称 为空")
def required_field_empty(a: Analysis) -> Iterator[Finding]:
    """A field the family marks required (项目名称, 主管部门, 实施单位, 年度) is empty."""
    labels = {"project_name": "项目名称", "department": "主管部门", "implementing_unit": "实施单位", "year": "年度"}
    for key, spec in a.family.fields.items():
        if spec.get("required") and a.form.field_cell(key).parsed.is_blank:
            where = a.form.field_cell(key).ref
            yield Finding(where, f"{labels.get(key, spec['name'])}未填写，请补充。")


@check("F102", "warning", "年度不是有效年份", "年度 填了 “二〇二三”")
def year_not_valid(a: Analysis) -> Iterator[Finding]:
    """年度 is filled but is not a year between 2000 and 2100 (e.g. text or a date)."""
    cell = a.form.field_cell("year")
    parsed = cell.parsed
    if parsed.is_blank:
        return
    year = parsed.number if parsed.is_number else None
    if year is None or not (2000 <= year <= 2100) or year != int(year):
        yield Finding(cell.ref, f"年度“{shown_value(parsed)}”不是有效年份，请填写四位数字年份，如 2023。")


@check("F103", "error", "评分口径不存在", "评分口径 填了 “湖北”")
def policy_name_unknown(a: Analysis) -> Iterator[Finding]:
    """The form's 评分口径 cell names no shipped policy and no policy file. Raised by `resolve_policy` before the
    analysis (the form is then scored under national-2020), so this function itself finds nothing."""
    return iter(())


# --- V 数值 ----------------------------------------------------------------------------------------------------


class _RowWhat:
    """“<三级指标>”的<分值>, built only when a message is: most number cells are fine and never named."""

    __slots__ = ("row", "what")

    def __init__(self, row: Row, what: str):
        self.row, self.what = row, what

    def __str__(self) -> str:
        return f"“{self.row.label}”的{self.what}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _number_cells(a: Analysis) -> list[tuple[str | _RowWhat, Cell]]:
    """Cells that must hold numbers, with what to call them: amounts, 分值, 得分, printed totals. Several checks
    walk them; the list is made once per analysis."""
    cached = a.memo.get("number_cells")
    if cached is None:
        cached = a.memo["number_cells"] = list(_find_number_cells(a))
    return cached


_BUDGET_NUMBER_COLUMNS = {"initial": "年初预算数", "annual": "全年预算数", "executed": "全年执行数", "weight": "分值",
                          "score": "得分"}
_ROW_NUMBER_COLUMNS = (("weight", "分值"), ("score", "得分"), ("planned_value", "计划值"), ("actual_value", "实际值"))


def _find_number_cells(a: Analysis) -> Iterator[tuple[str | _RowWhat, Cell]]:
    """The non-blank ones only: blank cells never fire."""
    names = _BUDGET_NUMBER_COLUMNS
    for row_key, columns in a.form.budget.items():
        for key, cell in columns.items():
            if key in names and not cell.parsed.is_blank:
                yield names[key], cell
    for key, cell in a.form.funding.items():
        if not cell.parsed.is_blank:
            yield "资金", cell
    for _, row in _scored_rows(a):
        cells = row.cells
        for key, what in _ROW_NUMBER_COLUMNS:
            cell = cells.get(key)
            if cell is not None and not cell.parsed.is_blank:
                yield _RowWhat(row, what), cell
    for label, cell in a.form.subtotals.items():
        if not cell.parsed.is_blank:
            yield f"{label}小计", cell
    total = a.form.field_cell("total")
    if not total.parsed.is_blank:
        yield "总分", total


@check("V110", "warning", "数字以文本形式填写", "全年执行数 填了 “97.73万元”")
def number_typed_as_text(a: Analysis) -> Iterator[Finding]:
    """A number cell holds text that reads as a number (`97.73万元`, `１２３`, `1,234.5`). It is read, but Excel
    formulas (总分、执行率) treat text as 0."""
    for what, cell in _number_cells(a):
        parsed = cell.parsed
        if parsed.is_number and parsed.typed_as_text:
            unit_note = "（单位已在表头）" if parsed.unit else ""
            yield Finding(cell.ref, f"{what}“{cell.value}”是文本，已按 {shown_number(parsed.number)}{parsed.unit} 读取；"
                                    f"请只填数字{unit_note}，否则表内公式会把它当作 0。", parsed.number)


@check("V111", "error", "无法识别的数值", "分值 填了 “两分半”")
def number_unreadable(a: Analysis) -> Iterator[Finding]:
    """A number cell holds text that cannot be read as a number."""
    for what, cell in _number_cells(a):
        if cell.parsed.kind == "text":
            yield Finding(cell.ref, f"{what}“{cell.value}”不是数字，无法计算；请填写数字。")


@check("V112", "error", "公式结果为错误值", "执行率 显示 #DIV/0!")
def formula_error(a: Analysis) -> Iterator[Finding]:
    """A cell shows an Excel error value (#DIV/0!, #VALUE!, #REF! …)."""
    cells = [c for _, c in _number_cells(a)] + [c for cols in a.form.budget.values() for c in cols.values()]
    cells += a.form.fields.values()
    cells += [c for _, row in _scored_rows(a) for c in row.cells.values()]
    seen = set()
    for cell in cells:
        if cell.value is not None and cell.parsed.kind == "error" and cell.ref not in seen:
            seen.add(cell.ref)
            shown = cell.parsed.text if cell.parsed.text in EXCEL_ERRORS else str(cell.value)
            yield Finding(cell.ref, f"单元格显示错误值 {shown}，通常是公式引用了空白或文本单元格；请检查该公式引用的数据。")


@check("V113", "error", "负数", "全年执行数 填了 -5")
def negative_number(a: Analysis) -> Iterator[Finding]:
    """An amount, 分值 or 得分 is negative."""
    for what, cell in _number_cells(a):
        parsed = cell.parsed
        if parsed.is_number and parsed.number < 0:
            yield Finding(cell.ref, f"{what}为负数（{shown_number(parsed.number)}），请核实后改为非负数。")


@check("V114", "warning", "金额异常大", "全年预算数 填了 3736000（疑似以元填写）")
def amount_implausible(a: Analysis) -> Iterator[Finding]:
    """An amount above 1,000,000 万元 (100 亿元): usually typed in 元 where the form asks for 万元."""
    cells = [c for cols in a.form.budget.values() for k, c in cols.items() if k in ("initial", "annual", "executed")]
    cells += list(a.form.funding.values())
    for cell in cells:
        amount = amount_of(cell, a.form)
        if amount is not None and amount > 1_000_000:
            yield Finding(cell.ref, f"金额 {shown_number(amount)} 万元超过 100 亿元，是否按“元”填写了？"
                                    f"本表金额单位为{a.form.amount_unit}。", amount / 10_000)


# --- B 预算执行 ------------------------------------------------------------------------------------------------


def shipped_policies():
    return [load_policy(name) for name in shipped_policy_names()]


def _denominator_label(a: Analysis) -> str:
    return a.budget.denominator_label


@check("B201", "error", "预算数为空或为 0，无法计算执行率", "全年预算数 为空")
def budget_denominator_missing(a: Analysis) -> Iterator[Finding]:
    """The 执行率 denominator (全年预算数, or 年初预算数 under a policy that says so) is empty or 0, and no 其中 row
    holds it either."""
    if not _is_standard(a) or a.budget.rate is not None:
        return
    key = a.budget.denominator_key
    cell = a.form.budget_cell("total", key)
    executed = a.form.budget_cell("total", "executed")
    if cell.parsed.kind == "error" or executed.parsed.kind == "error":
        return  # V112 already names the error value
    if not a.budget.amounts.get("total", {}).get(key) and not a.budget.used_parts_sum:
        yield Finding(cell.ref, f"年度资金总额的{_denominator_label(a)}为空或为 0，执行率无法计算，预算执行得分暂不计入。"
                                f"请填写{_denominator_label(a)}（万元）。")
    elif a.budget.amounts.get("total", {}).get("executed") is None:
        yield Finding(a.form.budget_cell("total", "executed").ref, "年度资金总额的全年执行数为空，执行率无法计算；请填写全年执行数（万元）。")


@check("B202", "warning", "执行数超过预算数", "全年执行数 120 > 全年预算数 100")
def budget_over_executed(a: Analysis) -> Iterator[Finding]:
    """全年执行数 is larger than the denominator: over-execution (得分 is capped at 分值)."""
    if _is_standard(a) and a.budget.rate and a.budget.rate.rate > 1.0 + 1e-9:
        yield Finding(a.form.budget_cell("total", "executed").ref,
                      f"全年执行数超过{_denominator_label(a)}（执行率 {percent_text(a.budget.rate.rate)}），"
                      f"请核实是否有预算调整未反映在预算数中；得分按 100% 封顶。")


@check("B203", "error", "其中各项之和与年度资金总额不符", "191.10 + 182.50 ≠ 373.60")
def budget_parts_mismatch(a: Analysis) -> Iterator[Finding]:
    """In a column, the 其中 rows (当年财政拨款, 上年结转资金, 其他资金) are filled but do not add up to 年度资金总额."""
    if not _is_standard(a):
        return
    amounts = a.budget.amounts
    for column, label in (("initial", "年初预算数"), ("annual", "全年预算数"), ("executed", "全年执行数")):
        parts = [amounts.get(row, {}).get(column) for row in ("current", "carryover", "other")]
        total = amounts.get("total", {}).get(column)
        if all(p is None for p in parts) or not total:
            continue
        parts_sum = sum(p or 0.0 for p in parts)
        if abs(parts_sum - total) > 0.005:
            yield Finding(a.form.budget_cell("total", column).ref,
                          f"{label}：其中各项合计 {shown_number(round(parts_sum, 6))} 万元，与年度资金总额 "
                          f"{shown_number(total)} 万元不符；请核对各项资金或总额。", round(parts_sum, 6))


@check("B204", "warning", "年度资金总额未填，按其中各项合计计算", "年度资金总额 为 0，上年结转资金 191.10")
def budget_total_from_parts(a: Analysis) -> Iterator[Finding]:
    """年度资金总额 is empty or 0 while its 其中 rows hold money: the rate is computed from the sum of the parts."""
    if _is_standard(a) and a.budget.used_parts_sum:
        yield Finding(a.form.budget_cell("total", a.budget.denominator_key).ref,
                      f"年度资金总额的{_denominator_label(a)}为空或为 0，但其中各项有金额；执行率已按其中各项合计计算。"
                      f"请在年度资金总额行填写合计数。")


@check("B205", "warning", "执行率偏低", "执行率 26.16%")
def budget_rate_low(a: Analysis) -> Iterator[Finding]:
    """执行率 is below the policy's low-rate threshold (90 % by default)."""
    if _is_standard(a) and a.budget.rate and a.budget.rate.rate < a.policy.low_rate_warning:
        yield Finding(a.form.budget_cell("total", "rate").ref,
                      f"预算执行率仅 {percent_text(a.budget.rate.rate)}，低于 {percent_text(a.policy.low_rate_warning)}；"
                      f"请在偏差原因或自评报告中说明执行率偏低的原因及改进措施。")


@check("B206", "warning", "填报的执行率与计算不符", "执行率 填 30%，计算为 26.16%")
def budget_rate_differs(a: Analysis) -> Iterator[Finding]:
    """The 执行率 cell holds a value (typed, or a formula's result) that differs from 全年执行数 / 预算数 by more than
    the digits it was printed with allow (`86%` for 86.20 % is the rate rounded as printed)."""
    b = a.budget if _is_standard(a) else None
    printed = printed_rate_half_step(a.form.budget_cell("total", "rate").parsed)
    if b and b.rate and b.typed_rate is not None and abs(b.typed_rate - b.rate.rate) > max(0.00005, printed) + 1e-9:
        yield Finding(a.form.budget_cell("total", "rate").ref,
                      f"执行率填为 {percent_text(b.typed_rate)}，按 {b.rate.explanation.split('；')[0]}；请核对。",
                      round(b.rate.rate, 4))


@check("B207", "warning", "填报的预算执行得分与规则不符", "得分 填 3，规则为 2.62")
def budget_score_differs(a: Analysis) -> Iterator[Finding]:
    """The 预算执行得分 cell holds a score that differs from 分值 × min(执行率, 100 %)."""
    b = a.budget if _is_standard(a) else None
    if b and b.rate and b.typed_score is not None and abs(b.typed_score - b.rate.score) > a.policy.score_tolerance:
        yield Finding(a.form.budget_cell("total", "score").ref,
                      f"预算执行得分填为 {shown_number(b.typed_score)}，按规则应为 {shown_number(b.rate.score)}"
                      f"（{b.rate.explanation}）。保留填报值，请核实。", b.rate.score)


@check("B208", "info", "执行率所用分母", "执行率以全年预算数为分母")
def budget_denominator_used(a: Analysis) -> Iterator[Finding]:
    """Always says which 预算数 was the denominator: the choice changes the score a lot."""
    if _is_standard(a) and a.budget.rate:
        other_key = "initial" if a.budget.denominator_key == "annual" else "annual"
        printed = any(other_key in columns for columns in a.form.budget.values())
        other = f"如当地要求以{a.budget.labels[other_key]}为分母，请换用相应评分口径。" if printed else ""
        why = (f"本表只列{_denominator_label(a)}" if a.budget.denominator_key != a.policy.execution_denominator
               else f"评分口径 {a.policy.name}")
        yield Finding(a.form.budget_cell("total", "rate").ref,
                      f"执行率以{_denominator_label(a)}为分母（{why}）：{a.budget.rate.explanation}。{other}")


@check("B209", "warning", "预算执行分值与评分口径不同", "分值 填 20，口径为 10")
def budget_weight_differs(a: Analysis) -> Iterator[Finding]:
    """The 预算执行 分值 differs from the policy's weight, or is empty (the policy's weight is then used)."""
    if not _is_standard(a) or not a.budget.scored:
        return
    expected = a.policy.weights.get("budget")
    cell = a.form.budget_cell("total", "weight")
    if a.budget.weight_from_policy:
        yield Finding(cell.ref, f"预算执行分值未填，已按评分口径 {a.policy.name} 取 {shown_number(expected)} 分；请填写分值。", expected)
    elif expected is not None and abs(a.budget.weight - expected) > 1e-9:
        matching = [p for p in shipped_policies() if p.weights.get("budget") == a.budget.weight]
        hint = f"若按{matching[0].title}口径填报，请改用评分口径 {matching[0].name}。" if matching else ""
        yield Finding(cell.ref, f"预算执行分值为 {shown_number(a.budget.weight)}，评分口径 {a.policy.name} 为 "
                                f"{shown_number(expected)} 分；如有特殊情况可调整，但各项分值合计须为 100。{hint}")


@check("B210", "error", "资金合计与分项之和不符", "预算资金合计 180，分项 170 + 0")
def funding_total_mismatch(a: Analysis) -> Iterator[Finding]:
    """A printed funding total (e.g. 预算资金合计 of the legacy form) differs from the sum of its parts."""
    for key, spec in a.family.data.get("funding", {}).items():
        parts_sum = a.funding.get(f"{key}.parts")
        cell = a.form.funding.get(key)
        printed = cell.parsed if cell is not None else None
        if parts_sum is not None and printed is not None and printed.is_number and abs(printed.number - parts_sum) > 0.005:
            yield Finding(cell.ref, f"资金合计填为 {shown_number(printed.number)} 万元，但分项之和为 "
                                    f"{shown_number(round(parts_sum, 6))} 万元；请核对。", round(parts_sum, 6))


@check("B211", "warning", "实际支出超过到位资金", "实际支出 170，到位资金 161.69")
def funding_spent_over_arrived(a: Analysis) -> Iterator[Finding]:
    """Legacy form: 实际支出资金 (本级) exceeds 预算下达 (到位) 资金; 预算执行率 is capped at 100 %."""
    spent, arrived = a.funding.get("spent_own"), a.funding.get("arrived")
    if spent is not None and arrived and spent > arrived + 0.005:
        yield Finding(a.form.funding["spent_own"].ref, f"实际支出 {shown_number(spent)} 万元超过到位资金 "
                                                       f"{shown_number(arrived)} 万元，请核实；预算执行率按 100% 封顶。")


# --- I 指标 ----------------------------------------------------------------------------------------------------


@check("I300", "error", "没有填写任何指标", "空白模板：绩效指标表全空")
def no_indicators(a: Analysis) -> Iterator[Finding]:
    """The 绩效指标 table (or 评分表) has no filled row: nothing can be scored."""
    if not a.items:
        first = a.form.rows[0].get("name") if a.form.rows else None
        what = "绩效指标表" if _is_standard(a) else "评分表"
        yield Finding(first.ref if first is not None else "", f"{what}中没有填写任何指标，无法计分；请逐行填写三级指标、"
                                                              f"年度指标值、实际完成值和分值。")


@check("I301", "error", "指标行缺项", "三级指标 “自助终端机” 未填实际完成值")
def indicator_row_incomplete(a: Analysis) -> Iterator[Finding]:
    """A filled row lacks one of 三级指标, 年度指标值, 实际完成值 (standard form), or its 分值 where no block covers it.
    Rows of a family's `judged_groups` (scorecard 项目决策 / 项目管理) need only 三级指标 and 分值."""
    needed = (("name", "三级指标"), ("target", "年度指标值"), ("actual", "实际完成值")) if _is_standard(a) else (("name", "三级指标"),)
    judged = a.family.table.get("judged_groups", [])  # scorecard 项目决策 / 项目管理: the evaluator's judgment
    for item, row in _scored_rows(a):
        missing = [label for key, label in needed if row.parsed(key).kind == "empty"
                   and not (key != "name" and judged and any(group in row.level1 for group in judged))]
        if row is item.first and item.weight is None and row.parsed("weight").kind == "empty" and a.weights_printed:
            missing.append("分值")
        if missing:
            ref = next((row.cell(k).ref for k, lbl in needed + (("weight", "分值"),) if lbl == missing[0]), "")
            yield Finding(ref or row.cell("name").ref, f"指标“{row.label}”未填{'、'.join(missing)}，请补充。")


@check("I302", "error", "得分超过分值", "分值 2.5，得分 3")
def score_above_weight(a: Analysis) -> Iterator[Finding]:
    """A typed 得分 is larger than its 分值."""
    for item in a.items:
        if item.typed is not None and item.weight is not None and item.typed > item.weight + 1e-9:
            yield Finding(item.score_cell.ref, f"指标“{item.first.label}”得分 {shown_number(item.typed)} 超过分值 "
                                               f"{shown_number(item.weight)}；得分不能超过分值。", item.suggested)


@check("I303", "error", "分值不大于 0", "分值 填 0")
def weight_not_positive(a: Analysis) -> Iterator[Finding]:
    """A 分值 is 0 or negative on a row that has an indicator (standard form; the legacy 评分表 allows 0 for rows
    that do not apply)."""
    if not _is_standard(a):
        return
    for item in a.items:
        if item.weight is not None and item.weight <= 0:
            yield Finding(item.first.cell("weight").ref, f"指标“{item.first.label}”的分值为 {shown_number(item.weight)}，"
                                                         f"分值应大于 0；不适用的指标请整行留空。")


@check("I304", "error", "目标值与实际值单位不一致", "年度指标值 23.40万元，实际完成值 0%")
def unit_mismatch(a: Analysis) -> Iterator[Finding]:
    """年度指标值 and 实际完成值 are both numbers but in units that cannot be converted (万元 vs %, 台 vs 套)."""
    for _, result in _results(a):
        row = result.row
        if result.unit_mismatch:
            yield Finding(row.cell("actual").ref, f"指标“{row.label}”的年度指标值“{shown_value(row.parsed('target'))}”与实际完成值"
                                                  f"“{shown_value(row.parsed('actual'))}”单位不一致，无法比较；请用同一单位填写。")


def _results(a: Analysis):
    for item in a.items:
        for result in item.results:
            yield item, result


@check("I305", "warning", "未完成目标且未说明偏差原因", "实际 8台 < 目标 10台，偏差原因为空")
def unmet_without_reason(a: Analysis) -> Iterator[Finding]:
    """A quantitative indicator is not completed (or a qualitative one is not 达成) and 偏差原因分析及改进措施 is empty."""
    for _, r in _results(a):
        unmet = ((r.quantitative is not None and not r.quantitative.completed) or r.tier in ("partial", "failed")
                 or (r.deadline is not None and not r.deadline.completed))
        if not unmet:
            continue
        reason = _reason_cell(a, r.row)
        if reason is not None and _no_reason(reason):
            yield Finding(reason.ref, f"指标“{r.row.label}”未完成年度指标值，请填写"
                                      f"{_column_reason_label(a) if reason is r.row.cells.get('reason') else _form_reason_label(a)}。")


def _reason_cell(a: Analysis, row: Row) -> Cell | None:
    """Where the reason for this row's deviation belongs: its own 偏差原因 cell, or (湖北) the form's one
    偏差大或目标未完成原因分析 row under the table; None when the form has neither."""
    if "reason" in row.cells:
        return row.cells["reason"]
    return a.form.fields.get("reason")


def _no_reason(cell: Cell) -> bool:
    """Empty, `/`, or a form-wide reason of only 无 (which says there was nothing to explain)."""
    return cell.parsed.is_blank


def _column_reason_label(a: Analysis) -> str:
    """The reason column as the family prints it (未完成原因和改进措施 on the 县级专项资金 form)."""
    column = next((c for c in a.family.table.get("columns", []) if c["key"] == "reason" and c.get("labels")), None)
    return column["labels"][0] if column is not None else "偏差原因分析及改进措施"


def _form_reason_label(a: Analysis) -> str:
    spec = a.family.fields.get("reason", {})
    return (spec.get("labels") or ["偏差原因分析"])[0]


def _over_completed(a: Analysis):
    threshold = a.policy.over_completion_threshold
    for _, r in _results(a):
        q = r.quantitative
        if q and q.direction == "positive" and q.ratio is not None and q.ratio >= threshold:
            yield r, q.ratio


@check("I306", "warning", "超额完成较多，请分析原因", "目标 11台，实际 23台（209%）")
def over_completed(a: Analysis) -> Iterator[Finding]:
    """A positive indicator's actual / target is at or above the policy's threshold (130 % by default). The score is
    not reduced: [MOF-2020] leaves that to the unit's judgment when the target was set too low. Shown whether or not
    a reason is given; a missing reason is I317."""
    for r, ratio in _over_completed(a):
        yield Finding(r.row.cell("actual").ref,
                      f"指标“{r.row.label}”实际完成 {shown_value(r.row.parsed('actual'))}，为目标 "
                      f"{shown_value(r.row.parsed('target'))} 的 {percent_text(ratio)}，达到或超过 "
                      f"{percent_text(a.policy.over_completion_threshold)}，超额完成较多，请分析原因（目标是否定得偏低）。")


@check("I317", "warning", "超额完成较多，未说明偏差原因", "目标 11台，实际 23台，偏差原因为空")
def over_completed_without_reason(a: Analysis) -> Iterator[Finding]:
    """An over-completed indicator (I306) has an empty 偏差原因分析及改进措施 cell. [GX] requires the reason."""
    for r, ratio in _over_completed(a):
        reason = _reason_cell(a, r.row)
        if reason is not None and _no_reason(reason):
            yield Finding(reason.ref,
                          f"指标“{r.row.label}”超额完成（{percent_text(ratio)}），偏差原因分析及改进措施为空；"
                          f"请说明超额的原因，以及年度指标值是否定得偏低。")


@check("I318", "warning", "指标名称缺失（模板占位行填了数值）", "三级指标 只有 “指标1：”，却填了目标值和实际值")
def slot_row_without_name(a: Analysis) -> Iterator[Finding]:
    """A row whose 三级指标 is only the blank template's slot text (`指标1：`, `……`) holds values: it is read and
    scored as an indicator, but has no name. (An empty slot row is not an indicator and is never reported.)"""
    for item, row in _scored_rows(a):
        if row.name_is_slot:
            yield Finding(row.cell("name").ref, f"三级指标“{' '.join(str(row.cell('name').value).split())}”是模板的占位"
                                                f"文字，没有写指标名称，但该行填了数值；已作为一项指标读取和计分，请补写指标名称。")


@check("I307", "warning", "填报得分与规则计算不同", "得分 20，规则建议 25.71")
def typed_score_differs(a: Analysis) -> Iterator[Finding]:
    """A typed 得分 differs from the rule-based score. A suggestion, not an error: the unit may have reasons."""
    for item in a.items:
        if item.typed is not None and item.suggested is not None and abs(item.typed - item.suggested) > a.policy.score_tolerance:
            yield Finding(item.score_cell.ref, f"指标“{item.first.label}”填报得分 {shown_number(item.typed)}，按规则建议 "
                                               f"{shown_number(item.suggested)}（{item.explanation}）。保留填报值，"
                                               f"{'如有理由请在偏差原因中说明。' if 'reason' in item.first.cells else '请核实。'}",
                          item.suggested)


@check("I308", "warning", "定性指标档次不明", "目标 明显改善，实际 逐步提升")
def qualitative_tier_unclear(a: Analysis) -> Iterator[Finding]:
    """A qualitative indicator's actual text does not make the tier evident (not the same as the target, no 达成/完成)
    and no 定性评价档次 was chosen."""
    for item, r in _results(a):
        if r.kind == "qualitative" and r.tier is None:
            bands = "；".join(band_text(t, item.weight, a.policy) for t in TIER_LABELS) if item.weight else ""
            where = r.row.cell("tier").ref or item.score_cell.ref or r.row.cell("actual").ref
            yield Finding(where, f"指标“{r.row.label}”为定性指标，目标“{r.row.parsed('target').text or shown_value(r.row.parsed('target'))}”，"
                                 f"实际“{r.row.parsed('actual').text or shown_value(r.row.parsed('actual'))}”，从表述看不出是否达成；"
                                 + (f"请选择定性评价档次并在相应区间内打分（{bands}）。" if a.scored else
                                    f"请在{_column_reason_label(a)}中写明完成程度，或把全年完成值写成可与目标比较的表述。"))


@check("I309", "error", "得分不在所选档次区间内", "选“部分达成”，分值 15，得分 15")
def score_outside_tier_band(a: Analysis) -> Iterator[Finding]:
    """A qualitative indicator's typed 得分 is outside the band of the tier chosen in 定性评价档次."""
    for item, r in _results(a):
        if r.kind == "qualitative" and r.tier and r.tier_chosen and item.typed is not None and item.weight:
            if not in_band(item.typed, r.tier, item.weight, a.policy):
                yield Finding(item.score_cell.ref, f"指标“{r.row.label}”选了“{TIER_LABELS[r.tier]}”，得分应在 "
                                                   f"{band_text(r.tier, item.weight, a.policy)} 之内，现为 {shown_number(item.typed)}。")


@check("I320", "warning", "完成时限晚于目标，得分仍在达成档次", "完成时限 目标 2019年，实际 2020年，得分 20 / 20")
def late_deadline_scored_as_met(a: Analysis) -> Iterator[Finding]:
    """A 时效指标 whose target and actual are dates or periods was finished later than its target (2019年 → 2020年),
    yet its typed 得分 lies in the 达成年度指标 band (full points, or close to them)."""
    for item, r in _results(a):
        d = r.deadline
        if d is None or d.completed or item.typed is None or not item.weight:
            continue
        if in_band(item.typed, "achieved", item.weight, a.policy):
            lower = "；".join(band_text(t, item.weight, a.policy) for t in ("partial", "failed"))
            yield Finding(item.score_cell.ref,
                          f"{r.row.label}目标为{d.target.text}，实际为{d.actual.text}，晚于目标，未按时完成；得分 "
                          f"{shown_number(item.typed)}（分值 {shown_number(item.weight)}）却在“{TIER_LABELS['achieved']}”档次内。"
                          f"请按未按时完成打分（{lower}），并在偏差原因中说明。")


@check("I310", "warning", "一组指标共用一个分值", "成本指标 15 行共用分值 40")
def block_weight(a: Analysis) -> Iterator[Finding]:
    """Several rows share one 分值 (a merged cell on the printed form): each indicator should carry its own."""
    for item in a.items:
        if item.is_block:
            yield Finding(item.first.cell("weight").ref,
                          f"{item.first.level2 or '该组'}的 {len(item.rows)} 个指标共用一个分值 {shown_number(item.weight)}，"
                          f"未逐项设置分值；已按各行完成比例平均计算建议得分。建议为每个三级指标分别设置分值。")


@check("I311", "warning", "成本实际为 0", "异地实时灾备建设 55万元 → 0万元")
def zero_cost(a: Analysis) -> Iterator[Finding]:
    """A cost indicator's actual is 0: usually the item was not carried out, which is not a saving."""
    for _, r in _results(a):
        if r.quantitative and r.quantitative.zero_cost:
            how = "按未实施记 0 分" if a.policy.zero_cost_actual == "not_done" else "按节约记满分"
            yield Finding(r.row.cell("actual").ref, f"成本指标“{r.row.label}”实际为 0，通常表示项目未实施而不是节约（{how}）；"
                                                    f"请在偏差原因中说明。")


@check("I312", "warning", "实际完成值带有比较符", "实际完成值 填了 “≥266米”")
def comparator_in_actual(a: Analysis) -> Iterator[Finding]:
    """The actual value carries a comparator (≥, ≤ …): an actual is a measured value."""
    for _, row in _scored_rows(a):
        parsed = row.parsed("actual")
        if parsed.is_number and parsed.comparator:
            yield Finding(row.cell("actual").ref, f"指标“{row.label}”的实际完成值“{row.cell('actual').value}”带有比较符；"
                                                  f"实际完成值应填实际数值，已按 {shown_value(parsed).lstrip('≥≤=<>')} 计算。")


@check("I313", "info", "实际完成值未写单位", "目标 11台，实际 23")
def actual_without_unit(a: Analysis) -> Iterator[Finding]:
    """The target has a unit and the actual is a bare number: read in the target's unit."""
    for _, row in _scored_rows(a):
        target, actual = row.parsed("target"), row.parsed("actual")
        if target.is_number and actual.is_number and target.unit and target.unit != "%" and not actual.unit:
            yield Finding(row.cell("actual").ref, f"指标“{row.label}”的实际完成值未写单位，已按目标单位“{unit_as_typed(target)}”理解。")


@check("I315", "warning", "一级指标未填或不规范", "一级指标 为空")
def indicator_level_unknown(a: Analysis) -> Iterator[Finding]:
    """A scored row has no 一级指标 (so it counts toward no first-level weight) or an unknown one."""
    known = [entry["label"] for entry in a.family.table.get("level1", a.family.table.get("groups", []))]
    known_keys = [label_key(k) for k in known]  # `产\n出\n指\n标\n(50分)`, printed one character a line, is 产出指标
    for item in a.items:
        level1 = item.first.level1
        if not level1:
            yield Finding(item.first.cell("level1").ref, f"指标“{item.first.label}”未填一级指标，无法计入一级指标分值合计；"
                                                         f"请从下拉列表选择（{'、'.join(known)}）。")
        elif not any(k in level1 for k in known) and not any(k in label_key(level1) for k in known_keys):
            yield Finding(item.first.cell("level1").ref, f"一级指标“{level1}”不是 {'、'.join(known)} 之一，请核对。")


@check("I316", "info", "成本指标未写比较符，按反向指标计", "成本指标 目标 193.5万元")
def cost_without_comparator(a: Analysis) -> Iterator[Finding]:
    """A 成本指标 target has no comparator; under the policy it is lower-is-better (≤)."""
    for item in a.items:
        rows = [r.row for r in item.results if r.quantitative and r.quantitative.direction == "reverse"
                and r.row.parsed("target").comparator is None]
        if rows:
            which = f"“{rows[0].label}”" + (f"等 {len(rows)} 个" if len(rows) > 1 else "")
            yield Finding(rows[0].cell("target").ref, f"成本指标{which}目标值未写比较符，按“≤目标值”（越低越好）计分；"
                                                      f"建议写明“≤”，如“≤{shown_value(rows[0].parsed('target'))}”。")


@check("I321", "info", "成本指标名为完成率等，按越高越好计", "成本指标 计划完成率 目标 90%")
def cost_rate_read_higher_is_better(a: Analysis) -> Iterator[Finding]:
    """A 成本指标 target has no comparator, but its 三级指标 names a rate where more is better (完成率, 到位率, 执行率 …,
    the policy's higher_is_better_names): it is scored as ≥ target, not as a cost (I316)."""
    for _, r in _results(a):
        q = r.quantitative
        if q is not None and q.higher_by_name:
            yield Finding(r.row.cell("target").ref,
                          f"成本指标“{r.row.label}”目标值未写比较符；名称表明是“{q.higher_by_name}”，越高越好，按“≥目标值”计分"
                          f"（而非成本的“≤目标值”）；如确为越低越好，请在目标值前写明“≤”。")


# --- T 权重与合计 ----------------------------------------------------------------------------------------------


@check("T401", "error", "各项分值合计不等于 100", "分值合计 95")
def weights_not_100(a: Analysis) -> Iterator[Finding]:
    """All 分值 (预算执行 and every indicator, or every 评分表 row) do not add up to 100."""
    if a.items and abs(a.total_weight - 100) > 0.005:
        ref = a.form.field_cell("total").ref
        off = a.total_weight - 100
        how = f"多 {shown_number(off)} 分" if off > 0 else f"少 {shown_number(-off)} 分"
        yield Finding(ref, f"各项分值合计为 {shown_number(a.total_weight)}，应为 100，{how}；请调整分值。")


@check("T402", "warning", "一级指标分值与标准权重不同", "产出指标 40 分（标准 50 分）")
def level1_weight_differs(a: Analysis) -> Iterator[Finding]:
    """A first-level group's 分值 add up to something other than the policy's weight (产出 50 / 效益 30 / 满意度 10;
    投入 20 / 过程 20 / 产出 30 / 效果 30). Allowed "如有特殊情况", so only a warning."""
    if not a.weights_printed:
        return
    for group in a.groups:
        if group.policy_weight is not None and a.items and abs(group.weight_sum - group.policy_weight) > 0.005:
            first = next((item for item in a.items if item.first.level1 and group.label in item.first.level1), None)
            ref = first.first.cell("weight").ref if first else ""
            yield Finding(ref, f"{group.label}各指标分值合计 {shown_number(round(group.weight_sum, 4))} 分，"
                               f"评分口径 {a.policy.name} 为 {shown_number(group.policy_weight)} 分；如有特殊情况可调整，请确认。")


@check("T403", "error", "小计与所列各项之和不符", "投入 填 13.25，各项合计 18.94")
def subtotal_mismatch(a: Analysis) -> Iterator[Finding]:
    """A printed subtotal (投入 / 过程 / 产出 / 效果) differs from the sum of its rows' scores."""
    for group in a.groups:
        printed = group.subtotal_cell.parsed
        if printed.is_number and group.score_sum is not None and abs(printed.number - group.score_sum) > a.policy.score_tolerance:
            yield Finding(group.subtotal_cell.ref, f"{group.label}小计填为 {shown_number(printed.number)}，但其下各项得分合计为 "
                                                   f"{shown_number(group.score_sum)}；请更正小计。", group.score_sum)


@check("T404", "error", "总分与各项得分之和不符", "总分 填 75，各项合计 72.62")
def total_mismatch(a: Analysis) -> Iterator[Finding]:
    """The printed 总分 / 综合得分 differs from 预算执行得分 + Σ 指标得分 (or Σ 评分表 得分)."""
    cell = a.form.field_cell("total")
    printed = cell.parsed
    if printed.is_number and a.total is not None and abs(printed.number - a.total) > a.policy.score_tolerance:
        yield Finding(cell.ref, f"{_total_name(a)}填为 {shown_number(printed.number)}，但各项得分合计为 {shown_number(a.total)}；"
                                f"请更正。", a.total)


def _total_name(a: Analysis) -> str:
    """What the form calls its total: 总分, 综合得分, 自评得分 (families/*.toml, the total field's name)."""
    return a.family.fields.get("total", {}).get("name", "总分")


@check("T408", "error", "一级指标标注的分值与其下各项分值之和不符", "项目决策(10分)，其下参考分值合计 12")
def group_points_mismatch(a: Analysis) -> Iterator[Finding]:
    """A first- or second-level label prints its points (`项目决策(10分)`, `产出指标（50分）`, `数量指标(10分)`) and the
    分值 of its rows add up to something else; or, where each level has a 分值 column of its own (一级指标 | 分值 |
    二级指标 | 分值 | 三级指标 | 分值), an 二级指标's 分值 is not the sum of its 三级指标 分值, or an 一级指标's not the sum
    of its 二级指标 分值."""
    if not a.weights_printed:
        return
    for group in a.groups:
        points = group.printed_points
        if points is None or not a.items or abs(group.weight_sum - points.value) <= 0.005:
            continue
        off = group.weight_sum - points.value
        how = f"多 {shown_number(off)} 分" if off > 0 else f"少 {shown_number(-off)} 分"
        yield Finding(points.ref, f"{group.label}标注为 {shown_number(points.value)} 分，但其下各指标分值合计 "
                                  f"{shown_number(group.weight_sum)} 分，{how}；请核对分值或标注。")
    for label, points, weight_sum in a.level2_points:
        if weight_sum and abs(weight_sum - points.value) > 0.005:
            off = weight_sum - points.value
            how = f"多 {shown_number(off)} 分" if off > 0 else f"少 {shown_number(-off)} 分"
            yield Finding(points.ref, f"{label}标注为 {shown_number(points.value)} 分，但其下各指标分值合计 "
                                      f"{shown_number(weight_sum)} 分，{how}；请核对分值或标注。")
    for label, points, weight_sum, level in a.column_points:
        if abs(weight_sum - points.value) > 0.005:
            off = weight_sum - points.value
            how = f"多 {shown_number(off)} 分" if off > 0 else f"少 {shown_number(-off)} 分"
            yield Finding(points.ref, f"{label}的分值为 {shown_number(points.value)} 分，但其下{level}分值合计 "
                                      f"{shown_number(weight_sum)} 分，{how}；请核对分值。")


@check("T407", "error", "指标得分合计超过目标分值", "年度绩效目标（80分），各指标得分合计 82")
def indicator_scores_above_goal_points(a: Analysis) -> Iterator[Finding]:
    """The form prints no per-row 分值 (湖北: `年度绩效目标（80分）`) and its indicator scores add up to more than the
    points printed for the goals (or 100 less the budget's points)."""
    if a.weights_printed or a.goal_points is None:
        return
    scores = [item.typed for item in a.items if item.typed is not None]
    if scores and sum(scores) > a.goal_points + a.policy.score_tolerance:
        points = a.form.field_cell("goals_points")
        over = sum(scores) - a.goal_points
        yield Finding(points.ref or a.form.field_cell("total").ref,
                      f"各指标得分合计 {shown_number(sum(scores))}，超过年度绩效目标的 {shown_number(a.goal_points)} 分 "
                      f"{shown_number(over)} 分；请核对各指标得分。")


@check("I319", "info", "表样不列各指标分值，无法逐行核对", "湖北财政项目绩效自评表：年度绩效目标（80分）只有得分列")
def weights_not_printed(a: Analysis) -> Iterator[Finding]:
    """The form's layout prints no 分值 (weight) per indicator row (湖北 财政项目绩效自评表). Said once: what is
    checked instead is the budget score, each row's completion, the indicator scores against the goals' points, the
    total and the grade."""
    if a.weights_printed or not a.items:
        return
    points = shown_number(a.goal_points) if a.goal_points is not None else "目标"
    yield Finding(a.form.field_cell("goals_points").ref,
                  f"本表样不列各指标的分值（权重），无法核对每行得分是否超过其分值、也无法按规则给出每行建议得分；"
                  f"已核对预算执行得分、各行完成情况、指标得分合计不超过 {points} 分、总分和等次。")


@check("T409", "warning", "有得分未填也无法计分，总分不完整，不评定等次", "两项指标无完成值、无得分：已计分部分合计 10")
def total_incomplete(a: Analysis) -> Iterator[Finding]:
    """Some indicator with points (or the 预算执行 block) has neither a typed 得分 nor a score the rules can give (no
    实际完成值, a qualitative tier left open, no budget figures). The scored parts are then no 总分: no total and no
    grade are given (a grade from part of the points would read as the unit's own 差)."""
    if not a.items_without_score and not a.budget_without_score:
        return
    names = [item.first.label for item in a.items_without_score] + (["预算执行"] if a.budget_without_score else [])
    points = sum(item.weight or 0.0 for item in a.items_without_score) + ((a.budget.weight or 0.0) if a.budget_without_score else 0.0)
    shown = "、".join(f"“{n}”" for n in names[:5]) + (f"等 {len(names)} 项" if len(names) > 5 else "")
    worth = f"（分值合计 {shown_number(points)}）" if points else ""
    scored = f"已计分部分合计 {shown_number(a.partial_total)}，不是总分；" if a.partial_total is not None else ""
    yield Finding(a.form.field_cell("total").ref,
                  f"{shown}{worth}既未填写得分，也无法按规则计分，总分不完整：{scored}不计算总分、不评定等次。"
                  f"请补全实际完成值（或所选档次、得分）后再校验。")


@check("T410", "info", "自评得分未填写，总分为建议得分", "各项指标的得分均为空")
def total_is_all_suggested(a: Analysis) -> Iterator[Finding]:
    """No indicator has a typed 得分: every indicator score in the total, and so the grade, are the rules'
    suggestion, not the unit's self-assessment (the 预算执行 score is arithmetic either way)."""
    if a.total_basis != "suggested":
        return
    if a.total is not None:
        what = f"总分 {shown_number(a.total)}、等次“{a.grade}”是本工具按规则计算的建议得分"
    else:
        what = "表中的得分均为本工具按规则计算的建议得分"
    yield Finding(a.form.field_cell("total").ref, f"各项指标都没有填写得分（自评得分未填写）：{what}，不是单位的自评结果；"
                                                   f"请核对后填入或采用。")


@check("T406", "error", "总分超过 100", "总分 填 105")
def total_above_100(a: Analysis) -> Iterator[Finding]:
    """The printed 总分 / 综合得分 / 自评得分 is above 100, the most a form can score."""
    cell = a.form.field_cell("total")
    printed = cell.parsed
    if printed.is_number and not printed.unit and printed.number > 100 + 1e-9:
        yield Finding(cell.ref, f"{_total_name(a)}填为 {shown_number(printed.number)}，超过满分 100 分 {shown_number(printed.number - 100)} 分；"
                                f"请核对各项得分和总分。", a.total if a.total is not None and a.total <= 100 else None)


# The long names forms print for each grade.
GRADE_NAMES = {"优": ("优", "优秀"), "良": ("良", "良好"), "中": ("中", "中等"), "差": ("差", "较差")}


@check("T405", "error", "评价等次与总分不符", "总分 72.62，等次填 良")
def grade_mismatch(a: Analysis) -> Iterator[Finding]:
    """The printed grade differs from the grade of the total under the policy's bands (优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差)."""
    cell = a.form.field_cell("grade")
    printed = cell.parsed.text
    if printed and a.grade and printed.strip() not in GRADE_NAMES.get(a.grade, (a.grade,)):
        yield Finding(cell.ref, f"评价等次填为“{printed}”，按总分 {shown_number(a.total)} 和评分口径 {a.policy.name}"
                                f"（{a.policy.grade_rule_text()}）应为“{a.grade}”。", a.grade)
