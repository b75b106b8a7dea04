"""From a parsed `Form` and a `Policy` to the facts the checks look at: every rate, suggested score and sum.

Pure: no I/O. One function per form part (budget, scored rows, groups, totals); both families go through the same
functions, differing only in what their description (families/*.toml) provides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import EMPTY, Cell, Family, Form
from .policy import Policy
from .scoring import (TIER_BY_LABEL, TIER_LABELS, DeadlineOutcome, Quantitative, RateScore, evident_tier, grade_of,
                      percent_text, rate_score, round_score, score_deadline, score_quantitative)
from .values import (MONEY_FACTORS_TO_WANYUAN, Parsed, as_amount, as_fraction, convert_money, indicator_name, label_key,
                     one_line, read_deadline, shown_number)

BUDGET_COLUMN_LABEL = {"initial": "年初预算数", "annual": "全年预算数", "executed": "全年执行数"}


# --- 预算执行 (standard family) --------------------------------------------------------------------------------


@dataclass
class BudgetAnalysis:
    amounts: dict[str, dict[str, float | None]]  # row -> column -> 万元 (None when blank or unreadable)
    denominator_key: str  # "annual" | "initial"
    weight: float | None
    weight_from_policy: bool
    rate: RateScore | None
    used_parts_sum: bool  # the 年度资金总额 row was empty or 0, so the 其中 rows were added up
    typed_rate: float | None
    typed_score: float | None
    labels: dict[str, str] = field(default_factory=lambda: dict(BUDGET_COLUMN_LABEL))  # column key → its name
    scored: bool = True  # False: the block only gives the rate, a table row scores it (scorecard 预算执行率)

    @property
    def denominator_label(self) -> str:
        return self.labels.get(self.denominator_key, BUDGET_COLUMN_LABEL[self.denominator_key])


def amount_of(cell: Cell, form: Form) -> float | None:
    """An amount in 万元. A bare number is in the form's amount unit (万元, or 元 / 千元 when the form says so);
    a number typed with its unit (`977300元`) was already converted by the parser."""
    parsed = cell.parsed
    amount = as_amount(parsed)
    if amount is not None and not parsed.unit and form.amount_unit != "万元" and form.amount_unit in MONEY_FACTORS_TO_WANYUAN:
        amount = convert_money(amount, form.amount_unit, "万元")
    return amount


def as_printed_amount(amount: float, form: Form) -> float:
    """An amount in 万元 back in the unit the form prints bare amounts in (元 on a `项目资金(元)` form): explanations
    quote the figures the person sees on the form (215457.6 / 250000, not 21.5458 / 25)."""
    if form.amount_unit != "万元" and form.amount_unit in MONEY_FACTORS_TO_WANYUAN:
        return convert_money(amount, "万元", form.amount_unit)
    return amount


def family_scored(family: Family | None) -> bool:
    """False for a family whose forms carry no points at all (families/*.toml `scored = false`: no 分值, 得分, 总分 or
    等次): its rows' completion and its 执行率 are checked, nothing is scored or suggested."""
    return family is None or family.data.get("scored", True)


def budget_column_labels(family: Family | None) -> dict[str, str]:
    """What each 项目资金 column is called in explanations: the family's `explain`, else our usual names."""
    labels = dict(BUDGET_COLUMN_LABEL)
    if family is not None:
        for column in family.data.get("budget", {}).get("columns", []):
            if column.get("explain"):
                labels[column["key"]] = column["explain"]
    return labels


def printed_denominator(form: Form, policy: Policy) -> str:
    """The 预算数 column the 执行率 is over: the policy's (全年预算数, or 年初预算数 under bj-2016), unless the form
    prints only the other one (山东历城 2019: 年初预算数(A), 全年执行数(B), 执行率(B/A)): that one is the form's A."""
    wanted = policy.execution_denominator
    other = "initial" if wanted == "annual" else "annual"
    printed = {key for columns in form.budget.values() for key in columns}
    return other if wanted not in printed and other in printed else wanted


def analyse_budget(form: Form, policy: Policy, family: Family | None = None) -> BudgetAnalysis | None:
    if not form.budget:
        return None
    labels = budget_column_labels(family)
    amounts = {row: {col: amount_of(cell, form) for col, cell in cols.items()} for row, cols in form.budget.items()}
    total = amounts.get("total", {})
    parts = [amounts[row] for row in ("current", "carryover", "other") if row in amounts]
    used_parts_sum = False
    denominator_key = printed_denominator(form, policy)
    denominator, executed = total.get(denominator_key), total.get("executed")
    # Real forms print 0 / 0 / 0 in the total row while the money sits in a 其中 row: add the parts up, and say so.
    if not denominator and any(p.get(denominator_key) for p in parts):
        denominator = sum(p.get(denominator_key) or 0.0 for p in parts)
        if not executed:
            filled = [p["executed"] for p in parts if p.get("executed") is not None]
            executed = sum(filled) if filled else executed
        used_parts_sum = True
    scored = family is None or (family.data.get("budget", {}).get("scored", True) and family_scored(family))
    weight_cell = form.budget_cell("total", "weight").parsed
    weight = weight_cell.number if weight_cell.is_number else None
    weight_from_policy = weight is None and scored
    if weight is None and scored:
        weight = policy.weights.get("budget")
    rate = None
    what = f"{labels['executed']} / {labels[denominator_key]}" + ("（按其中各项合计）" if used_parts_sum else "")
    if denominator and denominator > 0 and executed is not None and weight is not None:
        rate = rate_score(as_printed_amount(executed, form), as_printed_amount(denominator, form), weight, policy, what)
    elif denominator and denominator > 0 and executed is not None and not scored:
        share = executed / denominator
        # Where the rate is scored instead, if anywhere (scorecard: a row of its table); a form without points: nowhere.
        note = family.data.get("budget", {}).get("rate_note", "") if family is not None else ""
        rate = RateScore(share, 0.0, f"{what} = {shown_number(as_printed_amount(executed, form))} / "
                                     f"{shown_number(as_printed_amount(denominator, form))} = "
                                     f"{percent_text(share)}" + (f"（{note}）" if note else ""))
    typed_rate = as_fraction(form.budget_cell("total", "rate").parsed)
    score_parsed = form.budget_cell("total", "score").parsed
    typed_score = score_parsed.number if score_parsed.is_number and not score_parsed.unit else None
    return BudgetAnalysis(amounts, denominator_key, weight, weight_from_policy, rate, used_parts_sum, typed_rate,
                          typed_score, labels, scored)


# --- 绩效指标 / 评分表 rows ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    index: int  # 0-based position in the table block
    cells: dict[str, Cell]
    level1: str  # carried down from the rows above when left empty (merged cells, group labels on first row only)
    level2: str
    # The 三级指标 written on a blank template's slot: None when it is not (the name as it stands), "" for an empty
    # slot (`指标1：`, `……`), else the name after the slot's `指标1：`. Worked out once, when the row is made.
    slot_name: str | None = None

    def cell(self, key: str) -> Cell:
        return self.cells.get(key, EMPTY)

    def parsed(self, key: str) -> Parsed:
        return self.cells.get(key, EMPTY).parsed

    def number(self, key: str) -> float | None:
        p = self.cells.get(key, EMPTY).parsed
        return p.number if p.is_number else None

    @property
    def label(self) -> str:
        """The 三级指标 as typed (without a template slot's `指标1：`), or the group it sits in when the name is empty."""
        if self.slot_name:
            return self.slot_name
        if self.slot_name is None:
            name = self.cells.get("name", EMPTY)
            if not name.parsed.is_blank:
                return one_line(name.value)
        return self.level2 or self.level1 or f"第{self.index + 1}行"

    @property
    def name_is_slot(self) -> bool:
        """The 三级指标 is only a template slot (`指标1：`, `……`): no name typed."""
        return self.slot_name == ""

    @property
    def has_content(self) -> bool:
        """Something is typed in the row. A template slot's `指标1：` or `……` alone is not: an empty slot."""
        cells = self.cells
        for key in _CONTENT_KEYS:
            cell = cells.get(key)
            if cell is not None and cell.value is not None and not cell.parsed.is_blank:
                if key == "name" and self.slot_name == "":
                    continue
                return True
        return False


_CONTENT_KEYS = ("name", "target", "actual", "weight", "score", "planned_value", "actual_value")


@dataclass(slots=True)
class RowResult:
    row: Row
    kind: str  # "quantitative" | "qualitative" | "deadline" | "rate" | "judgment" | "unscorable"
    fraction: float | None = None  # share of 分值 earned by the rule
    quantitative: Quantitative | None = None
    tier: str | None = None
    tier_chosen: bool = False  # the unit picked the tier in the 定性评价档次 column
    unit_mismatch: bool = False
    explanation: str = ""
    deadline: DeadlineOutcome | None = None  # kind "deadline": a 时效指标 whose target and actual are dates


@dataclass
class Item:
    """A scored unit: one row, or a block of rows sharing one 分值 (a merged 分值 cell on the printed form)."""

    rows: list[Row]
    weight: float | None
    typed: float | None
    results: list[RowResult] = field(default_factory=list)
    suggested: float | None = None
    explanation: str = ""

    @property
    def first(self) -> Row:
        return self.rows[0]

    @property
    def is_block(self) -> bool:
        return len(self.rows) > 1

    @property
    def score_cell(self) -> Cell:
        return self.first.cell("score")

    @property
    def used_score(self) -> float | None:
        """What counts toward the total: the typed score when there is one (typed values win), else the rule's."""
        return self.typed if self.typed is not None else self.suggested


def _carry_down(form: Form) -> list[Row]:
    rows, level1, level2 = [], "", ""
    for index, cells in enumerate(form.rows):
        l1 = cells.get("level1", EMPTY).parsed.text
        l2 = cells.get("level2", EMPTY).parsed.text
        if l1:
            level1, level2 = l1, ""
        if l2:
            level2 = l2
        name = cells.get("name")
        value = name.value if name is not None else None
        rows.append(Row(index, cells, level1, level2, indicator_name(value) if value.__class__ is str else None))
    return rows


def _group_into_items(rows: list[Row]) -> list[Item]:
    """Rows after a row with a 分值, in the same 二级指标, with neither 分值 nor 得分, belong to its block."""
    items: list[Item] = []
    for row in rows:
        if not row.has_content:
            continue
        weight, typed = row.number("weight"), row.number("score")
        previous = items[-1] if items else None
        if (weight is None and typed is None and row.parsed("weight").is_blank and row.parsed("score").is_blank
                and previous is not None and previous.weight is not None
                and previous.first.level2 == row.level2 and previous.first.level1 == row.level1):
            previous.rows.append(row)
            continue
        items.append(Item([row], weight, typed))
    return items


def score_indicator(target: Any, actual: Any, policy: Policy, level2: str = "", name: str = "",
                    year: int | None = None) -> RowResult:
    """One indicator row from its values alone, by the same rules as a form's rows (the worksheet functions use it):
    `level2` (二级指标) decides 成本 and 时效, `name` (三级指标) a 成本 rate's direction, `year` the year of
    `年底前`."""
    row = Row(0, {"target": Cell(target), "actual": Cell(actual), "name": Cell(name or None)}, "", level2 or "")
    return _score_indicator_row(row, "成本" in row.level2, policy, year)


def _score_indicator_row(row: Row, is_cost: bool, policy: Policy, year: int | None = None) -> RowResult:
    target, actual = row.parsed("target"), row.parsed("actual")
    chosen = TIER_BY_LABEL.get(row.parsed("tier").text)
    if target.is_blank or actual.is_blank:
        return RowResult(row, "unscorable")
    deadline = _deadline_row(row, target, actual, policy, year)
    if deadline is not None:
        return deadline
    if target.is_number and actual.is_number:
        outcome = score_quantitative(target, actual, is_cost, policy, row.label)
        if outcome is None:
            return RowResult(row, "unscorable", unit_mismatch=True, explanation="单位不一致，无法比较")
        return RowResult(row, "quantitative", outcome.fraction, outcome, explanation=outcome.explanation)
    tier = chosen or evident_tier(target, actual, policy)
    if tier is None:
        return RowResult(row, "qualitative", explanation="定性指标，档次需由单位判断")
    fraction = policy.qualitative_bands[tier][1] if tier == "achieved" else None
    how = "已选档次" if chosen else ("实际与目标表述一致" if actual.text == target.text else "实际完成值表明已达成")
    return RowResult(row, "qualitative", fraction, tier=tier, tier_chosen=chosen is not None,
                     explanation=f"定性指标，{how}：{tier_label(tier)}")


def _deadline_row(row: Row, target: Parsed, actual: Parsed, policy: Policy, year: int | None) -> RowResult | None:
    """Target and actual both dates or periods (`2019年` → `2020年`): compared as dates, not as the numbers 2019 and
    2020. `2019.12` and a bare `2019` count as dates only in a 时效指标; a target typed with ≥ (not before) is left
    to the other rules."""
    expect_date = "时效" in row.level2
    if target.comparator in (">=", ">"):
        return None
    due = read_deadline(target, year, expect_date)
    done = read_deadline(actual, year, expect_date) if due is not None else None
    if due is None or done is None:
        return None
    outcome = score_deadline(due, done, policy)
    return RowResult(row, "deadline", outcome.fraction, deadline=outcome, explanation=outcome.explanation)


def _form_year(form: Form) -> int | None:
    parsed = form.field_cell("year").parsed
    return int(parsed.number) if parsed.is_number and parsed.number == int(parsed.number) else None


def _budget_rate_row(row: Row, budget: BudgetAnalysis | None) -> RowResult:
    """A 预算执行率 row of a scorecard: its share is the money block's rate (capped at 100 %), whatever is typed."""
    if budget is None or budget.rate is None:
        return RowResult(row, "unscorable", explanation="项目资金表缺少预算数或执行数，预算执行率无法计算")
    rate = budget.rate
    return RowResult(row, "rate", min(max(rate.rate, 0.0), 1.0), explanation=rate.explanation.split("（由")[0])


def tier_label(tier: str) -> str:
    return TIER_LABELS[tier]


def _explain_item(item: Item, policy: Policy) -> str:
    if item.suggested is None:
        return "；".join(r.explanation for r in item.results if r.explanation) or "无法按规则计分"
    weight = shown_number(item.weight)
    scored = [r for r in item.results if r.fraction is not None]
    share = sum(r.fraction for r in scored) / len(scored)
    if share >= 1.0:
        outcome = f"记满分 {weight}"
    else:
        outcome = f"{weight} × {share * 100:.2f}% = {shown_number(item.suggested)}"
    if not item.is_block:
        return f"{item.results[0].explanation}，{outcome}（{policy.name}）"
    skipped = len(item.results) - len(scored)
    note = f"，{skipped} 行无法计分未计入" if skipped else ""
    return f"{len(item.rows)} 行共用分值 {weight}，按各行完成比例平均{note}：{outcome}（{policy.name}）"


def analyse_indicator_items(rows: list[Row], family: Family, policy: Policy,
                            budget: BudgetAnalysis | None = None, year: int | None = None) -> list[Item]:
    cost_level2 = {entry["label"] for entry in family.table.get("level2", []) if entry.get("cost")}
    from_budget = {label_key(rule["name"]) for rule in family.table.get("computable", [])
                   if str(rule.get("numerator", "")).startswith("budget.")}
    items = _group_into_items(rows)
    for item in items:
        item.results = [_budget_rate_row(row, budget) if from_budget and label_key(row.label) in from_budget
                        else _score_indicator_row(row, row.level2 in cost_level2 or "成本" in row.level2, policy, year)
                        for row in item.rows]
        scored = [r.fraction for r in item.results if r.fraction is not None]
        if item.weight is not None and scored and (item.is_block or item.results[0].fraction is not None):
            item.suggested = round_score(item.weight * sum(scored) / len(scored), policy.decimals)
        item.explanation = _explain_item(item, policy)
    return items


# --- 评分表 rows whose score follows from figures on the form (legacy family) ----------------------------------


def _figure(name: str, row: Row, funding: dict[str, float | None]) -> float | None:
    if name.startswith("row."):
        return row.number(name[4:])
    return funding.get(name)


def funding_amounts(form: Form, family: Family) -> dict[str, float | None]:
    spec = family.data.get("funding", {})
    amounts = {key: amount_of(form.funding.get(key, EMPTY), form) for key in spec}
    for key, entry in spec.items():
        parts = entry.get("sum_of")
        if parts and any(amounts.get(p) is not None for p in parts):
            amounts[f"{key}.parts"] = sum(amounts.get(p) or 0.0 for p in parts)
            if amounts.get(key) is None:
                amounts[key] = amounts[f"{key}.parts"]
    return amounts


def analyse_score_table_items(rows: list[Row], family: Family, policy: Policy, funding: dict[str, float | None]
                              ) -> list[Item]:
    computable = {label_key(entry["name"]): entry for entry in family.table.get("computable", [])}
    items = [Item([row], row.number("weight"), row.number("score")) for row in rows if row.has_content]
    for item in items:
        row = item.first
        rule = computable.get(label_key(row.slot_name if row.slot_name is not None else row.parsed("name").text))
        numerator = _figure(rule["numerator"], row, funding) if rule else None
        denominator = _figure(rule["denominator"], row, funding) if rule else None
        if rule and numerator is not None and denominator and denominator > 0 and item.weight is not None:
            if rule.get("kind") == "saving":
                # 成本节约率 = (计划 − 实际) / 计划: spending at or under plan earns full marks, overspending 计划/实际.
                saving = (denominator - numerator) / denominator
                fraction = 1.0 if numerator <= denominator else denominator / numerator
                item.suggested = round_score(item.weight * fraction, policy.decimals)
                item.explanation = (f"{rule['explain']} = ({shown_number(denominator)} − {shown_number(numerator)}) / "
                                    f"{shown_number(denominator)} = {saving * 100:.2f}%；{shown_number(item.weight)} × "
                                    f"{fraction * 100:.2f}% = {shown_number(item.suggested)}（{policy.name}）")
            else:
                outcome = rate_score(numerator, denominator, item.weight, policy, rule["explain"])
                fraction, item.suggested, item.explanation = min(outcome.rate, 1.0), outcome.score, outcome.explanation
            item.results = [RowResult(row, "rate", fraction, explanation=item.explanation)]
        else:
            why = "缺少计算所需的数据，" if rule else ""
            item.results = [RowResult(row, "judgment", explanation=f"{why}评价人判断项，保留填报得分，仅检查范围")]
            item.explanation = item.results[0].explanation
    return items


# --- Groups, totals, grade -------------------------------------------------------------------------------------


@dataclass
class Group:
    label: str
    policy_weight: float | None
    weight_sum: float
    score_sum: float | None
    subtotal_cell: Cell = field(default_factory=Cell)
    printed_points: Cell | None = None  # the group label's own points, `项目决策(10分)` → 10 (at that label's cell)


@dataclass
class Analysis:
    form: Form
    family: Family
    policy: Policy
    rows: list[Row]
    items: list[Item]
    budget: BudgetAnalysis | None
    funding: dict[str, float | None]
    groups: list[Group]
    total_weight: float
    total: float | None
    grade: str | None
    memo: dict = field(default_factory=dict)  # facts several checks derive alike, made once (checks._number_cells)
    weights_printed: bool = True  # the table has a 分值 column (湖北: no; its rows' weights cannot be checked)
    # 二级指标 labels that print their points (`数量指标(10分)`): (label as printed, its cell, Σ 分值 of its rows)
    level2_points: list[tuple[str, Cell, float]] = field(default_factory=list)
    # 一级 / 二级 分值 printed in columns of their own (one 分值 column per level): (label, its 分值 cell, Σ of the 分值
    # one level down, what that level is called)
    column_points: list[tuple[str, Cell, float, str]] = field(default_factory=list)
    goal_points: float | None = None  # the indicators' printed points when the form prints them (湖北 80)
    scored: bool = True  # False: the family's forms carry no points (no total, no grade; checks of points are off)
    # Scored parts with neither a typed 得分 nor a rule's: while any is left, the scores do not make a 总分 (no total,
    # no grade); `partial_total` is what the scored parts add up to, for the message that says so.
    items_without_score: list[Item] = field(default_factory=list)
    budget_without_score: bool = False
    partial_total: float | None = None
    # Whose scores make the total: "typed" (the unit's), "suggested" (all ours: no 得分 typed at all) or "mixed".
    total_basis: str | None = None

    @property
    def execution_score_used(self) -> float | None:
        if self.budget is None or not self.budget.scored:
            return None
        if self.budget.typed_score is not None:
            return self.budget.typed_score
        return self.budget.rate.score if self.budget.rate else None


_POINTS_IN_LABEL = re.compile(r"[(（]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]")


def _level1_labels(rows: list[Row]) -> list[Cell]:
    """The 一级指标 cells that print points (`项目决策(10分)`, `产出指标（50分）`), in order."""
    labels = []
    for row in rows:
        cell = row.cells.get("level1")
        if cell is not None and cell.value.__class__ is str and "分" in cell.value:
            labels.append(cell)
    return labels


def _level2_points(rows: list[Row], items: list[Item]) -> list[tuple[str, Cell, float]]:
    """Each 二级指标 label printing its points (`数量指标(10分)`), with the 分值 of the rows under it."""
    found = []
    for row in rows:
        cell = row.cells.get("level2")
        if cell is None or cell.value.__class__ is not str or "分" not in cell.value:
            continue
        match = _POINTS_IN_LABEL.search(cell.value)
        if match:
            label = row.level2
            weights = sum(item.weight or 0.0 for item in items
                          if item.first.level2 == label and item.first.level1 == row.level1)
            found.append((one_line(cell.value), Cell(float(match.group(1)), cell.ref), weights))
    return found


def _column_points(rows: list[Row]) -> list[tuple[str, Cell, float, str]]:
    """Each 一级 / 二级 label whose 分值 stands in a column of its own (`level1_weight`, `level2_weight`), with the 分值
    one level down: an 二级's against its 三级 rows, an 一级's against its 二级 分值 (a 二级 without one counts its rows;
    a form without a 二级 分值 column counts the rows). Read in table order, so a label printed twice is two groups."""
    if not any("level1_weight" in row.cells or "level2_weight" in row.cells for row in rows):
        return []
    level2_column = any("level2_weight" in row.cells for row in rows)
    found: list[list] = []  # [label, cell, sum, what], summed as the rows go
    open1 = open2 = None
    for row in rows:
        if not row.parsed("level1").is_blank:
            open1, open2 = None, None
            cell = row.cells.get("level1_weight")
            if cell is not None and cell.parsed.is_number:
                open1 = [row.level1, Cell(cell.parsed.number, cell.ref), 0.0, "二级指标" if level2_column else "三级指标"]
                found.append(open1)
        if not row.parsed("level2").is_blank:
            open2 = None
            cell = row.cells.get("level2_weight")
            if cell is not None and cell.parsed.is_number:
                open2 = [row.level2, Cell(cell.parsed.number, cell.ref), 0.0, "三级指标"]
                found.append(open2)
                if open1 is not None:
                    open1[2] += cell.parsed.number
        weight = row.number("weight")
        if weight is not None:
            if open2 is not None:
                open2[2] += weight
            if open1 is not None and (not level2_column or open2 is None):
                open1[2] += weight
    return [(one_line(label), cell, round(total, 6), what) for label, cell, total, what in found]


def _printed_points(labels: list[Cell], group_key: str) -> Cell | None:
    """The points a group's label prints, as a cell at that label."""
    for cell in labels:
        if _level1_matches(label_key(cell.value), group_key):
            match = _POINTS_IN_LABEL.search(cell.value)
            return Cell(float(match.group(1)), cell.ref) if match else None
    return None


def _group_weights(family: Family) -> list[tuple[str, str, str | None]]:
    """(label, policy weight key, subtotal key) for each first-level group of the family."""
    if "groups" in family.table:
        return [(g["label"], g["weight_key"], g["label"]) for g in family.table["groups"]]
    return [(g["label"], g["weight_key"], None) for g in family.table.get("level1", [])]


def _level1_matches(level1_key: str, label_key_: str) -> bool:
    return level1_key.startswith(label_key_) or label_key_ in level1_key


def analyse(form: Form, family: Family, policy: Policy) -> Analysis:
    rows = _carry_down(form)
    budget = analyse_budget(form, policy, family)
    funding = funding_amounts(form, family) if family.data.get("funding") else {}
    if family.data.get("score_table"):
        items = analyse_score_table_items(rows, family, policy, funding)
    else:
        items = analyse_indicator_items(rows, family, policy, budget, _form_year(form))

    groups = []
    level1_keys = [label_key(item.first.level1) for item in items]
    pointed = _level1_labels(rows)
    for label, weight_key, subtotal_key in _group_weights(family):
        key = label_key(label)
        members = [item for item, level1 in zip(items, level1_keys) if _level1_matches(level1, key)]
        scores = [item.used_score for item in members if item.used_score is not None]
        groups.append(Group(label, policy.weights.get(weight_key),
                            sum(item.weight or 0.0 for item in members),
                            round_score(sum(scores), policy.decimals) if scores else None,
                            form.subtotals.get(subtotal_key, Cell()) if subtotal_key else Cell(),
                            _printed_points(pointed, key) if members and pointed else None))

    # A family whose layout prints no 分值 column, unless this form added one (a unit's own 权重 column).
    weights_printed = family.table.get("weights_printed", True) or any("weight" in row.cells for row in rows)
    goal_points = form.field_cell("goals_points").parsed
    goal_points = goal_points.number if goal_points.is_number else None
    if weights_printed:
        total_weight = sum(item.weight or 0.0 for item in items) + (budget.weight or 0.0 if budget and budget.scored else 0.0)
    else:  # no per-row 分值: the points printed for the goals (or what the budget leaves of 100) stand for them
        budget_weight = budget.weight or 0.0 if budget else 0.0
        goal_points = goal_points if goal_points is not None else 100.0 - budget_weight
        total_weight = budget_weight + goal_points
    parts = [item.used_score for item in items if item.used_score is not None]
    typed = [item.typed for item in items if item.typed is not None]
    execution = None
    if budget is not None and budget.scored:
        execution = budget.typed_score if budget.typed_score is not None else (budget.rate.score if budget.rate else None)
    if execution is not None:
        parts.append(execution)
    partial = round_score(sum(parts), policy.decimals) if parts else None
    # A part that carries points (a 分值, or every row where the layout prints none) but no score at all.
    without_score = [item for item in items if item.used_score is None and (item.weight or not weights_printed)]
    budget_without_score = budget is not None and budget.scored and execution is None and bool(items)
    total = partial if not without_score and not budget_without_score else None
    # Whose judgment the indicator scores are. The 预算执行 score is left out: it is arithmetic (rate × 分值) that our
    # template's formula computes too, so counting it would call every template form's total "mixed".
    judged = [item for item in items if item.used_score is not None]
    basis = None if not judged else ("typed" if len(typed) == len(judged) else "suggested" if not typed else "mixed")
    scored = family_scored(family)
    if not scored:  # nothing on the form is a point: no total, no grade, whatever the rows hold
        total, weights_printed, goal_points, total_weight = None, False, None, 0.0
        without_score, budget_without_score, partial, basis = [], False, None, None
    return Analysis(form, family, policy, rows, items, budget, funding, groups, total_weight, total,
                    grade_of(total, policy), weights_printed=weights_printed, goal_points=goal_points,
                    level2_points=_level2_points(rows, items) if weights_printed else [],
                    column_points=_column_points(rows) if weights_printed and scored else [], scored=scored,
                    items_without_score=without_score, budget_without_score=budget_without_score,
                    partial_total=partial, total_basis=basis)
