"""The scoring rules of 项目支出绩效自评, one small pure function each, readable next to the regulations.

Sources (see shared/spec/scoring.md): 财预〔2020〕10号 [MOF-2020], 财政部 2016 自评通知 [MOF-2016], 北京海淀 2016 [BJ-2016],
湖北黄冈 2020 [HB-2020], 线性反向计分 [LIN], 财预〔2013〕53号 [53号]. Every choice where they differ comes from the
`Policy`, never from an `if` on a province here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from .policy import Policy
from .values import Deadline, Parsed, comparable, shown_number, shown_value

TIER_LABELS = {
    "achieved": "达成年度指标",
    "partial": "部分达成年度指标并具有一定效果",
    "failed": "未达成年度指标且效果较差",
}
TIER_BY_LABEL = {label: tier for tier, label in TIER_LABELS.items()}
# Words that undo an "achieved" word in the actual value: 未完成, 部分完成, 尚未实现 …
_NEGATIONS = ("未", "没", "不", "无法", "难以", "尚未", "部分", "推迟", "滞后", "延期", "暂缓", "取消")
# Phrases with 不 that are not negations ("不断提升" = keeps improving).
_NOT_NEGATIONS = ("不断", "不懈")


@lru_cache(maxsize=16384)  # pure, and Decimal is slow; a batch rounds the same products again and again
def round_score(value: float, decimals: int = 2) -> float:
    """Round half up, as people and Excel's ROUND do (Python's round() is half-to-even)."""
    if not abs(value) < 1e15:  # nothing to round, and Decimal.quantize would overflow its precision
        return value
    # 15 significant digits, as Excel keeps: 10 × 0.2845 is 2.8449999999999998 as a float but 2.845 to Excel.
    return float(Decimal(f"{value:.15g}").quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def percent_text(fraction: float) -> str:
    return f"{fraction * 100:.2f}%"


# --- 预算执行 -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateScore:
    rate: float
    score: float
    explanation: str


def rate_score(numerator: float, denominator: float, weight: float, policy: Policy, what: str) -> RateScore:
    """得分 = 分值 × min(执行率, 100 %), rounded [BJ-2016 "最高不得超过分值上限"; 53号 for 资金到位率 and the like].

    `what` names the ratio for the explanation, e.g. "全年执行数 / 全年预算数".
    """
    rate = numerator / denominator
    score = round_score(weight * min(max(rate, 0.0), 1.0), policy.decimals)
    capped = "，超过 100% 按 100% 计" if rate > 1 else ""
    explanation = (f"{what} = {shown_number(numerator)} / {shown_number(denominator)} = {percent_text(rate)}"
                   f"{capped}；得分 = {shown_number(weight)} × {percent_text(min(max(rate, 0.0), 1.0))} = "
                   f"{shown_number(score)}（{policy.name}）")
    return RateScore(rate, score, explanation)


# --- 定量指标 -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantitative:
    """How a quantitative row came out. `fraction` is the share of 分值 earned (0–1); None when not scorable."""

    direction: str  # "positive" | "reverse" | "exact"
    target: float
    actual: float
    completed: bool
    fraction: float | None
    ratio: float | None  # actual / target, for the over-completion check
    zero_cost: bool
    explanation: str
    # A 成本指标 without a comparator read as higher-is-better because of this part of its name (完成率 …)
    higher_by_name: str | None = None


def named_higher_is_better(name: str, policy: Policy) -> str | None:
    """The part of a 三级指标 name that says more is better (`计划完成率` → 完成率), per the policy's list; else None."""
    return next((part for part in policy.higher_is_better_names if part in name), None) if name else None


def direction_of(target: Parsed, is_cost: bool, policy: Policy, name: str = "") -> str:
    """≥ ＞ > or none → positive; ≤ ＜ < → reverse; = → exact. A typed comparator always decides. A 成本指标 with no
    comparator follows the policy, unless its name is a higher-is-better rate (完成率, 到位率 …: the policy's list)."""
    if target.comparator in (">=", ">"):
        return "positive"
    if target.comparator in ("<=", "<"):
        return "reverse"
    if target.comparator == "=":
        return "exact"
    if is_cost and policy.cost_without_comparator == "reverse" and named_higher_is_better(name, policy) is None:
        return "reverse"
    return "positive"


def score_quantitative(target: Parsed, actual: Parsed, is_cost: bool, policy: Policy, name: str = "") -> Quantitative | None:
    """[MOF-2016] completed → full; [MOF-2020, BJ-2016, HB-2020] positive → 实际/目标, reverse → 目标/实际 or [LIN];
    never above 分值, never below 0. None when the units cannot be compared."""
    pair = comparable(target, actual)
    if pair is None:
        return None
    t, a = pair
    direction = direction_of(target, is_cost, policy, name)
    shown = f"{shown_value(actual)} / {shown_value(target)}"
    ratio = a / t if t else None
    zero_cost = is_cost and direction == "reverse" and a == 0 and t > 0
    if direction == "positive":
        completed = a >= t
        fraction = 1.0 if completed else (max(a, 0.0) / t if t > 0 else 0.0)
        rule = "达到目标" if completed else "未达到目标，按 实际/目标 计"
    elif direction == "reverse":
        completed = a <= t
        if zero_cost and policy.zero_cost_actual == "not_done":
            completed, fraction = False, 0.0
            rule = "成本实际为 0，视为未实施而非节约"
        elif completed:
            fraction = 1.0
            rule = "反向指标，未超过目标"
        elif policy.reverse_rule == "linear":
            fraction = max(0.0, 2.0 - a / t) if t > 0 else 0.0
            rule = "反向指标超过目标，线性计分（≥ 2 倍目标记 0）"
        else:
            fraction = t / a if a > 0 else 0.0
            rule = "反向指标超过目标，按 目标/实际 计"
    else:
        tolerance = policy.exact_tolerance * max(abs(t), 1e-9)
        completed = abs(a - t) <= tolerance
        if completed:
            fraction = 1.0
        elif t == 0 or a <= 0:
            fraction = 0.0
        else:
            fraction = a / t if a < t else t / a
        rule = "等于目标" if completed else "偏离目标，按偏离比例计"
    ratio_text = f" = {percent_text(ratio)}" if ratio is not None else ""
    by_name = (named_higher_is_better(name, policy) if is_cost and target.comparator is None
               and policy.cost_without_comparator == "reverse" else None)
    if by_name:
        rule = f"成本指标名为“{by_name}”，按越高越好，{rule}"
    return Quantitative(direction, t, a, completed, min(max(fraction, 0.0), 1.0), ratio, zero_cost,
                        f"{shown}{ratio_text}，{rule}", by_name)


# --- 时效指标: dates ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineOutcome:
    """How a 时效指标 with a date target and a date actual came out. `fraction` None: the unit's judgment (late)."""

    target: Deadline
    actual: Deadline
    completed: bool
    fraction: float | None
    explanation: str


def score_deadline(target: Deadline, actual: Deadline, policy: Policy) -> DeadlineOutcome:
    """A deadline is met when the actual is no later than the target (a period by its last day: `2019年` is met by
    any date in 2019) → full 分值 [MOF-2016]. A later actual is not met: a ratio of two dates means nothing
    (2020 / 2019 = 100.05 %), so the policy says what it earns: the unit's judgment below 达成, or 0."""
    if actual.last_day <= target.last_day:
        return DeadlineOutcome(target, actual, True, 1.0, f"实际 {actual.text} 不晚于目标 {target.text}，按时完成")
    if policy.late_deadline == "zero":
        return DeadlineOutcome(target, actual, False, 0.0, f"实际 {actual.text} 晚于目标 {target.text}，未按时完成，不得分")
    return DeadlineOutcome(target, actual, False, None,
                           f"实际 {actual.text} 晚于目标 {target.text}，未按时完成；得分由单位在“达成”以下的档次内判断")


# --- 定性指标 -------------------------------------------------------------------------------------------------


def evident_tier(target: Parsed, actual: Parsed, policy: Policy) -> str | None:
    """The tier when the text makes it plain: same text as the target, or an 'achieved' word without a negation.

    Anything else (`明显改善` → `逐步提升`) is the unit's judgment: it must pick the tier [MOF-2020].
    """
    a = actual.text
    if not a:
        return None
    if target.text and a.strip("。. ") == target.text.strip("。. "):
        return "achieved"
    plain = a
    for phrase in _NOT_NEGATIONS:
        plain = plain.replace(phrase, "")
    if any(word in a for word in policy.achieved_words) and not any(neg in plain for neg in _NEGATIONS):
        return "achieved"
    return None


def qualitative_band(tier: str, weight: float, policy: Policy) -> tuple[float, float]:
    low, high = policy.qualitative_bands[tier]
    return round_score(weight * low, policy.decimals), round_score(weight * high, policy.decimals)


def band_text(tier: str, weight: float, policy: Policy) -> str:
    low, high = policy.qualitative_bands[tier]
    lo_pts, hi_pts = qualitative_band(tier, weight, policy)
    return f"{TIER_LABELS[tier]}：{low * 100:g}%–{high * 100:g}%（{shown_number(lo_pts)}–{shown_number(hi_pts)} 分）"


def in_band(score: float, tier: str, weight: float, policy: Policy) -> bool:
    """Low end included; the top band includes 100 %, lower bands exclude their top (which belongs to the next)."""
    lo_pts, hi_pts = qualitative_band(tier, weight, policy)
    eps = 10 ** -(policy.decimals + 2)
    if tier == "achieved":
        return lo_pts - eps <= score <= hi_pts + eps
    return lo_pts - eps <= score < hi_pts - eps


# --- 总分与等次 -----------------------------------------------------------------------------------------------


def grade_of(total: float | None, policy: Policy) -> str | None:
    """[MOF-2020] 90 (含) – 100 优, 80 (含) – 90 良, 60 (含) – 80 中, < 60 差; bands from the policy."""
    return policy.grade(total)
