"""The pure core's one entry: `evaluate(form, policy)` → issues, proposed cell values, scores, total, grade.

Adapters call this and nothing else of the core. No I/O.
"""

from __future__ import annotations

from .analysis import Analysis, analyse
from .checks import run_checks
from .model import Evaluation, Form, Issue, ItemScore, Output, load_family
from .policy import DEFAULT_POLICY, Policy, PolicyError, load_policy, shipped_policy_names
from .values import shown_number


def resolve_policy(form: Form, override: str | None = None) -> tuple[Policy, list[Issue]]:
    """The policy to use: `override` (the --policy option) wins, else the form's 评分口径 cell, else its family's
    default (families/*.toml `default_policy`), else national-2020.

    An unknown name in the form is reported (F103) and the default used; an unknown --policy raises PolicyError.
    """
    if override:
        return load_policy(override), []
    default = family_default_policy(form.family)
    cell = form.field_cell("policy")
    name = cell.parsed.text if not cell.parsed.is_blank else ""
    if not name:
        return load_policy(default), []
    if name.endswith(".toml") or "/" in name or "\\" in name:
        # A form is data from outside: it may name a shipped policy, not a file on the reviewer's machine.
        return load_policy(default), [Issue("F103", "error", cell.ref,
                                            f"表内“评分口径”只能填内置口径名称（{'、'.join(shipped_policy_names())}），"
                                            f"不能填文件路径；自定义口径文件请用 --policy 指定。本次按 {default} 计算。")]
    try:
        return load_policy(name), []
    except PolicyError as exc:
        return load_policy(default), [Issue("F103", "error", cell.ref, f"{exc} 本次按 {default} 计算。")]


def family_default_policy(family_id: str) -> str:
    """The policy a form family's own notes prescribe (湖北 财政项目绩效自评表: hb-2020), else the national default."""
    try:
        return load_family(family_id).data.get("default_policy") or DEFAULT_POLICY
    except ValueError:  # a form of no known family (built by hand): the national default
        return DEFAULT_POLICY


def evaluate(form: Form, policy: Policy | None = None, notes: list[Issue] | None = None) -> Evaluation:
    """Check and score one form. `notes` are issues found before evaluation (e.g. an unknown 评分口径)."""
    family = load_family(form.family)
    policy = policy or load_policy(None)
    analysis = analyse(form, family, policy)
    evaluation = Evaluation(form, policy.name, list(notes or []) + run_checks(analysis))
    evaluation.total, evaluation.grade = analysis.total, analysis.grade
    evaluation.scored = analysis.scored
    evaluation.total_basis = analysis.total_basis
    if analysis.budget is not None:
        rate = analysis.budget.rate
        evaluation.execution_rate = rate.rate if rate else None
        evaluation.execution_score = analysis.execution_score_used
    evaluation.subtotals = {g.label: g.score_sum for g in analysis.groups if g.score_sum is not None}
    evaluation.items = [ItemScore(item.first.label, item.score_cell.ref, item.weight, item.typed, item.suggested,
                                  item.explanation) for item in analysis.items]
    evaluation.make_outputs = lambda: proposed_outputs(analysis)
    return evaluation


def proposed_outputs(a: Analysis) -> list[Output]:
    """What we would write. "fill" cells are written only when empty (or still holding our last value): a typed
    value always wins. "owned" cells (建议得分, 计分说明) are ours and rewritten every run, blanks included, so
    a stale suggestion never survives a change."""
    outputs: list[Output] = []
    if a.budget is not None and a.budget.rate is not None:
        rate = a.budget.rate
        outputs.append(Output(a.form.budget_cell("total", "rate").ref, round(rate.rate, 6), "fill", rate.explanation))
        outputs.append(Output(a.form.budget_cell("total", "score").ref, rate.score, "fill", rate.explanation))
    item_by_first_row = {item.first.index: item for item in a.items}
    for row in a.rows:
        item = item_by_first_row.get(row.index)
        if item is not None and item.typed is None and item.suggested is not None and item.score_cell.ref:
            outputs.append(Output(item.score_cell.ref, item.suggested, "fill", item.explanation))
        if row.cells.get("suggested") is not None and row.cell("suggested").ref:
            value = item.suggested if item is not None and item.suggested is not None else ""
            outputs.append(Output(row.cell("suggested").ref, value, "owned"))
        if row.cells.get("explanation") is not None and row.cell("explanation").ref:
            text = item.explanation if item is not None else ""
            outputs.append(Output(row.cell("explanation").ref, text, "owned"))
    for group in a.groups:
        if group.subtotal_cell.ref and group.score_sum is not None:
            outputs.append(Output(group.subtotal_cell.ref, group.score_sum, "fill",
                                  f"{group.label}各项得分合计 {shown_number(group.score_sum)}"))
    if a.total is not None:
        outputs.append(Output(a.form.field_cell("total").ref, a.total, "fill", "各项得分合计"))
        outputs.append(Output(a.form.field_cell("grade").ref, a.grade, "fill",
                              f"总分 {shown_number(a.total)}，{a.policy.grade_rule_text()}（{a.policy.name}）"))
    return [o for o in outputs if o.cell]
