"""Worksheet functions (UDFs) for Excel through xlwings: the same rules as the 校验并计分 button, cell by cell.

Names are ASCII VBA identifiers (Chinese names only work on Chinese-locale Windows); descriptions are Chinese and
reach the function wizard through Application.MacroOptions. Every function takes single cells or whole columns and
returns a value or an array of the same shape, so 1,000 rows recalculate in one call. A bad argument gives a
readable `#错误：…` string in the cell, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import xlwings as xw

from .policy import Policy, PolicyError, load_policy
from .scoring import grade_of, rate_score
from .values import as_amount, as_fraction, shown_number, shown_value, parse_value

CATEGORY = "绩效自评"


@lru_cache(maxsize=32)
def _policy(name: Any) -> Policy:
    return load_policy(str(name) if name not in (None, "") else None)


def _error(message: str) -> str:
    return f"#错误：{message}"


def _broadcast(fn: Callable[..., Any], *columns: list[list[Any]]) -> list[list[Any]]:
    """Apply `fn` element-wise over 2-D arguments; a 1×1 argument is repeated to the others' shape."""
    height = max(len(c) for c in columns)
    width = max(len(c[0]) if c else 1 for c in columns)
    out = []
    for r in range(height):
        row = []
        for c in range(width):
            args = [col[r if len(col) > 1 else 0][c if len(col[0]) > 1 else 0] for col in columns]
            try:
                row.append(fn(*args))
            except PolicyError as exc:
                row.append(_error(str(exc)))
            except (ValueError, TypeError, ZeroDivisionError, IndexError) as exc:
                row.append(_error(f"参数无法计算（{exc}）"))
        out.append(row)
    return out


def _amount(value: Any, what: str) -> float:
    amount = as_amount(parse_value(value))
    if amount is None:
        raise ValueError(f"{what}“{value}”不是金额")
    return amount


def _number(value: Any, what: str) -> float:
    parsed = parse_value(value)
    if not parsed.is_number:
        raise ValueError(f"{what}“{value}”不是数字")
    return parsed.number


@xw.func(category=CATEGORY)
@xw.arg("executed", ndim=2, doc="全年执行数（万元），可选整列")
@xw.arg("budget", ndim=2, doc="全年预算数（或年初预算数，视当地口径），可选整列")
@xw.ret(expand="table")
def PE_EXEC_RATE(executed, budget):
    """预算执行率 = 全年执行数 / 预算数，返回小数（0.2616 即 26.16%）。预算数为空或 0 时返回提示。"""

    def one(e, b):
        if parse_value(b).is_blank or parse_value(e).is_blank:
            return ""
        b_amount = _amount(b, "预算数")
        if b_amount <= 0:
            return _error("预算数为 0，执行率无法计算")
        return _amount(e, "执行数") / b_amount

    return _broadcast(one, executed, budget)


@xw.func(category=CATEGORY)
@xw.arg("executed", ndim=2, doc="全年执行数（万元）")
@xw.arg("budget", ndim=2, doc="预算数（万元）")
@xw.arg("weight", ndim=2, doc="预算执行分值，如 10")
@xw.arg("policy", doc="评分口径名称，可省略（默认 national-2020）")
@xw.ret(expand="table")
def PE_EXEC_SCORE(executed, budget, weight, policy=None):
    """预算执行得分 = 分值 × min(执行率, 100%)，保留两位小数（四舍五入）。"""

    def one(e, b, w):
        if parse_value(b).is_blank or parse_value(e).is_blank:
            return ""
        b_amount = _amount(b, "预算数")
        if b_amount <= 0:
            return _error("预算数为 0，执行率无法计算")
        return rate_score(_amount(e, "执行数"), b_amount, _number(w, "分值"), _policy(policy), "执行率").score

    return _broadcast(one, executed, budget, weight)


def _indicator(target, actual, weight, level2, policy, name=None, year=None):
    """(score or None, explanation) for one indicator: the engine's own row rule (analysis.score_indicator), so a
    worksheet function and the button never disagree (成本 direction by name, 完成时限 as dates, tiers)."""
    from .analysis import score_indicator
    from .scoring import round_score

    rules = _policy(policy)
    w = _number(weight, "分值")
    if parse_value(target).is_blank or parse_value(actual).is_blank:
        return None, "目标值或实际值为空"
    result = score_indicator(target, actual, rules, str(level2 or ""), str(name or ""), _year(year))
    if result.unit_mismatch:
        return None, f"单位不一致：{shown_value(parse_value(target))} 与 {shown_value(parse_value(actual))}"
    if result.fraction is None:
        return None, result.explanation or "无法按规则计分"
    score = round_score(w * result.fraction, rules.decimals)
    if result.kind == "qualitative":
        return score, f"定性指标，已达成，记满分 {shown_number(w)}（{rules.name}）"
    return score, (f"{result.explanation}，{shown_number(w)} × {result.fraction * 100:.2f}% = {shown_number(score)}"
                   f"（{rules.name}）")


def _year(value) -> int | None:
    """The form's 年度 for a deadline such as 年底前: a number like 2023 (or blank)."""
    parsed = parse_value(value)
    if parsed.is_blank:
        return None
    number = _number(value, "年度")
    if number != int(number) or not 1900 <= number <= 2999:
        raise ValueError(f"年度“{value}”不是四位年份")
    return int(number)


@xw.func(category=CATEGORY)
@xw.arg("target", ndim=2, doc="年度指标值，如 ≥10台、≤193.5万元、=100%、按期完成；可选整列")
@xw.arg("actual", ndim=2, doc="实际完成值；可选整列")
@xw.arg("weight", ndim=2, doc="分值")
@xw.arg("level2", ndim=2, doc="二级指标（可省略；“成本指标”未写比较符时按反向计分，名称为完成率等的除外；“时效指标”按日期比较）")
@xw.arg("policy", doc="评分口径名称，可省略")
@xw.arg("name", ndim=2, doc="三级指标名称（可省略；成本指标名为“完成率”“到位率”等时按越高越好）")
@xw.arg("year", doc="年度（可省略；“年底前”“12月底前”按此年份）")
@xw.ret(expand="table")
def PE_SCORE(target, actual, weight, level2=None, policy=None, name=None, year=None):
    """按规则计算一个（或一列）三级指标的得分：正向按 实际/目标，反向按 目标/实际，达成记满分；完成时限按日期比较；定性指标档次不明时返回空。"""
    level2 = level2 if level2 is not None else [[None]]
    name = name if name is not None else [[None]]

    def one(t, a, w, l2, n):
        score, _ = _indicator(t, a, w, l2, policy, n, year)
        return "" if score is None else score

    return _broadcast(one, target, actual, weight, level2, name)


@xw.func(category=CATEGORY)
@xw.arg("target", ndim=2, doc="年度指标值")
@xw.arg("actual", ndim=2, doc="实际完成值")
@xw.arg("weight", ndim=2, doc="分值")
@xw.arg("level2", ndim=2, doc="二级指标（可省略）")
@xw.arg("policy", doc="评分口径名称，可省略")
@xw.arg("name", ndim=2, doc="三级指标名称（可省略）")
@xw.arg("year", doc="年度（可省略）")
@xw.ret(expand="table")
def PE_EXPLAIN(target, actual, weight, level2=None, policy=None, name=None, year=None):
    """说明一个三级指标的得分是怎样算出来的（读到的数值、规则、评分口径）。"""
    level2 = level2 if level2 is not None else [[None]]
    name = name if name is not None else [[None]]
    return _broadcast(lambda t, a, w, l2, n: _indicator(t, a, w, l2, policy, n, year)[1], target, actual, weight,
                      level2, name)


@xw.func(category=CATEGORY)
@xw.arg("total", ndim=2, doc="总分，可选整列")
@xw.arg("policy", doc="评分口径名称，可省略（默认 90/80/60 分档）")
@xw.ret(expand="table")
def PE_GRADE(total, policy=None):
    """总分对应的评价等次：默认 ≥90 优、≥80 良、≥60 中、其余 差。"""

    def one(t):
        if parse_value(t).is_blank:
            return ""
        return grade_of(_number(t, "总分"), _policy(policy))

    return _broadcast(one, total)


@xw.func(category=CATEGORY)
@xw.arg("value", ndim=2, doc="任意单元格，如 ≥10台、97.73万元、26.16%")
@xw.ret(expand="table")
def PE_PARSE(value):
    """显示本工具如何读取一个单元格：类型、比较符、数值和单位（金额统一为万元）。"""

    def one(v):
        p = parse_value(v)
        if p.kind == "number":
            parts = [f"数值 {shown_number(p.number)}"]
            if p.unit:
                parts.append(f"单位 {p.unit}")
            if p.comparator:
                parts.insert(0, f"比较符 {p.comparator}")
            if p.unit == "%" or (not p.unit and abs(p.number) <= 1.5):
                parts.append(f"作比率为 {as_fraction(p) * 100:.2f}%")
            if p.typed_as_text:
                parts.append("（文本形式的数字）")
            return "；".join(parts)
        return {"empty": "空", "na": "不适用", "error": f"错误值 {p.text}", "text": f"文字（定性）：{p.text}"}[p.kind]

    return _broadcast(one, value)
