"""The scoring rules (perfeval_xl/scoring.py) under every shipped policy, and whole forms through `evaluate`.

Every expected figure is worked out by hand in the table or the comment next to it (see shared/spec/scoring.md),
never by calling our code. Policies differ only where their TOML says so; the tables list, per policy, the
figure that differs.
"""

from __future__ import annotations

import dataclasses

import pytest

from seed_forms import seed_000_form, seed_004_form

from perfeval_xl.engine import evaluate
from perfeval_xl.model import Cell, Form
from perfeval_xl.policy import load_policy
from perfeval_xl.scoring import (band_text, direction_of, evident_tier, grade_of, in_band, qualitative_band, rate_score,
                                 round_score, score_deadline, score_quantitative)
from perfeval_xl.values import parse_value, read_deadline

POLICIES = ["national-2020", "hb-2020", "bj-2016", "linear-reverse", "bands-80-70-60", "gx-130", "sx-120", "strict"]


def each_policy(cases):
    """Every case under every shipped policy: [(policy, *case), …]."""
    return [pytest.param(name, *case, id=f"{name}-{i}") for name in POLICIES for i, case in enumerate(cases)]


@pytest.fixture(scope="module")
def policies():
    return {name: load_policy(name) for name in POLICIES}


# --- round_score ------------------------------------------------------------------------------------------------

ROUNDING = [
    (2.845, 2, 2.85),  # half up, not Python's half-to-even
    (2.615, 2, 2.62),
    (2.625, 2, 2.63),  # round() would give 2.62
    (1.005, 2, 1.01),  # round() gives 1.0: 1.005 is stored as 1.00499999…
    (0.125, 2, 0.13),
    (2.8449, 2, 2.84),
    (2.8451, 2, 2.85),
    (25.714285714285715, 2, 25.71),  # 40 × 9/14
    (72.62, 2, 72.62),
    (2.5, 0, 3.0),
    (3.5, 0, 4.0),
    (0.0, 2, 0.0),
]


@pytest.mark.parametrize("value, decimals, expected", ROUNDING)
def test_round_score_half_up(value, decimals, expected):
    assert round_score(value, decimals) == expected


@pytest.mark.parametrize("numerator, denominator, weight, expected", [
    (28.45, 100, 10, 2.85),  # 10 × 28.45 % = 2.845 → 2.85
    (95.5, 100, 3, 2.87),  # 3 × 95.5 % = 2.865 → 2.87
])
def test_rate_score_rounds_the_product_people_compute(numerator, denominator, weight, expected, policies):
    assert rate_score(numerator, denominator, weight, policies["national-2020"], "x").score == expected


# --- rate_score (预算执行, 资金到位率, 预算执行率) ----------------------------------------------------------------------

RATES = [
    # numerator, denominator, 分值, rate (by hand), score (by hand)
    (97.73, 373.6, 10, 0.261590, 2.62),  # seed 004: 97.73 / 373.6 = 26.159 % → 10 × 0.26159 = 2.6159 → 2.62
    (97.73, 664.6, 10, 0.147051, 1.47),  # seed 004 over 年初预算数: 14.705 % → 1.4705 → 1.47
    (161.69, 170, 3, 0.951118, 2.85),  # seed 000 资金到位率: 95.112 % → 3 × 0.95112 = 2.8534 → 2.85
    (153.33, 161.69, 3, 0.948296, 2.84),  # seed 000 预算执行率: 94.830 % → 2.84489 → 2.84
    (132.91, 202.64, 10, 0.655892, 6.56),  # a budget cut, over 年初预算数: 65.589 % → 6.5589 → 6.56
    (132.91, 132.91, 10, 1.0, 10.0),  # the same cut over 全年预算数
    (120, 100, 10, 1.2, 10.0),  # over-execution is capped at 100 %
    (0, 100, 10, 0.0, 0.0),
    (50, 100, 20, 0.5, 10.0),  # 湖北: 预算执行 20 分
]


@pytest.mark.parametrize("name, numerator, denominator, weight, rate, score", each_policy(RATES))
def test_rate_score(name, numerator, denominator, weight, rate, score, policies):
    result = rate_score(numerator, denominator, weight, policies[name], "全年执行数 / 全年预算数")
    assert result.rate == pytest.approx(rate, abs=1e-6)
    assert result.score == score
    assert result.explanation.endswith(f"（{name}）")
    assert ("超过 100% 按 100% 计" in result.explanation) is (rate > 1)


def test_rate_score_explanation(policies):
    result = rate_score(97.73, 373.6, 10, policies["national-2020"], "全年执行数 / 全年预算数")
    assert result.explanation == "全年执行数 / 全年预算数 = 97.73 / 373.6 = 26.16%；得分 = 10 × 26.16% = 2.62（national-2020）"
    capped = rate_score(120, 100, 10, policies["bj-2016"], "全年执行数 / 年初预算数")
    assert capped.explanation == ("全年执行数 / 年初预算数 = 120 / 100 = 120.00%，超过 100% 按 100% 计；"
                                  "得分 = 10 × 100.00% = 10（bj-2016）")


# --- direction and quantitative indicators ----------------------------------------------------------------------

DIRECTIONS = [
    ("≥10台", False, "positive"),
    ("＞10台", False, "positive"),
    ("不低于95%", False, "positive"),
    ("10台以上", False, "positive"),
    ("11台", False, "positive"),  # no comparator: higher is better
    ("≤100万元", True, "reverse"),
    ("≦100万元", False, "reverse"),
    ("＜3天", False, "reverse"),
    ("5个工作日以内", False, "reverse"),
    ("=100%", False, "exact"),
    ("═100%", False, "exact"),
    ("193.5万元", True, "reverse"),  # a 成本指标 with no comparator is lower-is-better (every shipped policy)
    ("193.5万元", False, "positive"),
]


@pytest.mark.parametrize("name, target, is_cost, direction", each_policy(DIRECTIONS))
def test_direction_of(name, target, is_cost, direction, policies):
    assert direction_of(parse_value(target), is_cost, policies[name]) == direction


def test_cost_without_comparator_follows_the_policy(policies):
    positive = dataclasses.replace(policies["national-2020"], cost_without_comparator="positive")
    assert direction_of(parse_value("193.5万元"), True, positive) == "positive"


# A 成本指标 whose name is a rate where more is better (鄂州 2019 购买第三方服务: 成本指标 “计划完成率” 90% → 60%, 得分
# 10 of 20): read as ≥ target when no comparator is typed; a typed comparator still decides; other cost names stay ≤.
NAMED_DIRECTIONS = [
    ("90%", True, "计划完成率", "positive"),
    ("100%", True, "资金到位率", "positive"),
    ("95%", True, "预算执行率", "positive"),
    ("≤90%", True, "计划完成率", "reverse"),  # the comparator wins over the name
    ("不超过90%", True, "计划完成率", "reverse"),
    ("=100%", True, "资金到位率", "exact"),
    ("90%", True, "成本控制率", "reverse"),  # 鄂州 2019 财政政务管理: not a higher-is-better name
    ("193.5万元", True, "数据库安全项目建设(已完工）", "reverse"),  # seed 004's cost rows keep their reading
    ("90%", False, "计划完成率", "positive"),
]


@pytest.mark.parametrize("name, target, is_cost, label, direction", each_policy(NAMED_DIRECTIONS))
def test_direction_of_a_named_rate(name, target, is_cost, label, direction, policies):
    assert direction_of(parse_value(target), is_cost, policies[name], label) == direction


def test_cost_completion_rate_from_the_ezhou_form(policies):
    # 60% / 90% = 66.67 %, not completed; 20 × 66.67 % = 13.33 (the form typed 10); not "≤90%, met, full 20".
    result = score_quantitative(parse_value("90%"), parse_value("60%"), True, policies["national-2020"], "计划完成率")
    assert (result.direction, result.completed, round(result.fraction, 4), result.higher_by_name) == \
        ("positive", False, 0.6667, "完成率")
    assert "完成率" in result.explanation and "未达到目标" in result.explanation


def test_higher_is_better_names_are_a_policy_setting(policies):
    none = dataclasses.replace(policies["national-2020"], higher_is_better_names=())
    assert direction_of(parse_value("90%"), True, none, "计划完成率") == "reverse"


# --- 时效指标 with dates ---------------------------------------------------------------------------------------

# target, actual (form year 2019), completed: the actual no later than the target's last day is on time.
DEADLINE_CASES = [
    ("2019年", "2020年", False),  # 鄂州 2019 财政政务管理 完成时限 (published 10 of 20, "部分项目延续至下年")
    ("2019年", "2019年", True),  # 鄂州 2019 购买第三方服务 完成时限 (published 15 of 15)
    ("2019年", "2019年12月", True),
    ("2019年12月", "2020年1月", False),
    ("12月底前", "2019-12-20", True),
    ("12月底前", "2020.1", False),
    ("年底前", "2019年11月", True),
    ("2019年6月30日", "2019年7月1日", False),
]


@pytest.mark.parametrize("name, target, actual, completed", each_policy(DEADLINE_CASES))
def test_score_deadline(name, target, actual, completed, policies):
    due, done = (read_deadline(parse_value(v), 2019, True) for v in (target, actual))
    result = score_deadline(due, done, policies[name])
    assert result.completed is completed
    # every shipped policy leaves a late row to the unit's judgment: no rule fraction; on time is full marks
    assert result.fraction == (1.0 if completed else None)


def test_late_deadline_explanation_and_zero_policy(policies):
    due, done = read_deadline(parse_value("2019年"), 2019), read_deadline(parse_value("2020年"), 2019)
    result = score_deadline(due, done, policies["national-2020"])
    assert "实际 2020年 晚于目标 2019年，未按时完成" in result.explanation
    zero = dataclasses.replace(policies["national-2020"], late_deadline="zero")
    assert score_deadline(due, done, zero).fraction == 0.0


LINEAR = "linear-reverse"

# target, actual, is_cost, direction, completed, fraction (ratio rule), fraction (linear rule), actual/target
QUANTITATIVE = [
    ("≥10台", "12台", False, "positive", True, 1.0, 1.0, 1.2),
    ("≥10台", "8台", False, "positive", False, 0.8, 0.8, 0.8),  # 8 / 10
    ("≥10台", "10台", False, "positive", True, 1.0, 1.0, 1.0),
    ("≥10台", "0台", False, "positive", False, 0.0, 0.0, 0.0),
    ("11台", "23台", False, "positive", True, 1.0, 1.0, 23 / 11),  # seed 004 自助终端机, 209.09 %
    ("11台", "23", False, "positive", True, 1.0, 1.0, 23 / 11),  # the bare actual takes 台
    ("＞10台", "10台", False, "positive", True, 1.0, 1.0, 1.0),  # ＞ is read as ≥ (spec §1.2: both positive)
    ("≥95%", 0.96, False, "positive", True, 1.0, 1.0, 96 / 95),  # a percent cell holding 0.96
    ("≥95%", "90%", False, "positive", False, 90 / 95, 90 / 95, 90 / 95),
    ("≤100万元", "80万元", True, "reverse", True, 1.0, 1.0, 0.8),
    ("≤100万元", "100万元", True, "reverse", True, 1.0, 1.0, 1.0),
    ("≤100万元", "125万元", True, "reverse", False, 0.8, 0.75, 1.25),  # 100/125 = 0.8; 2 − 1.25 = 0.75
    ("≤100万元", "1500000元", True, "reverse", False, 100 / 150, 0.5, 1.5),  # 150 万元; 2 − 1.5 = 0.5
    ("≤100万元", "250万元", True, "reverse", False, 0.4, 0.0, 2.5),  # 100/250; linear ≥ 2× target → 0
    ("100万元", "125万元", True, "reverse", False, 0.8, 0.75, 1.25),  # 成本指标, no comparator → reverse
    ("100万元", "125万元", False, "positive", True, 1.0, 1.0, 1.25),  # not a cost: higher is better
    ("＜3天", "5天", False, "reverse", False, 0.6, 1 / 3, 5 / 3),  # 3/5; 2 − 5/3
    ("=100%", "100%", False, "exact", True, 1.0, 1.0, 1.0),
    ("=100%", 1, False, "exact", True, 1.0, 1.0, 1.0),
    ("=100%", "99.6%", False, "exact", True, 1.0, 1.0, 0.996),  # within 0.5 % of 100
    ("=100%", "98%", False, "exact", False, 0.98, 0.98, 0.98),
    ("=100%", "102%", False, "exact", False, 100 / 102, 100 / 102, 1.02),
]


@pytest.mark.parametrize("name, target, actual, is_cost, direction, completed, ratio_rule, linear_rule, ratio",
                         each_policy(QUANTITATIVE))
def test_score_quantitative(name, target, actual, is_cost, direction, completed, ratio_rule, linear_rule, ratio,
                            policies):
    result = score_quantitative(parse_value(target), parse_value(actual), is_cost, policies[name])
    assert result.direction == direction
    assert result.completed is completed
    assert result.fraction == pytest.approx(linear_rule if name == LINEAR else ratio_rule, abs=1e-9)
    assert result.ratio == pytest.approx(ratio, abs=1e-9)
    assert result.zero_cost is False


@pytest.mark.parametrize("name, weight, expected", [
    # 分值 10, target ≤100, actual 125: ratio 10 × 100/125 = 8.0; linear (2 − 1.25) × 10 = 7.5
    *[(name, 10, 7.5 if name == LINEAR else 8.0) for name in POLICIES],
])
def test_reverse_rule_points(name, weight, expected, policies):
    result = score_quantitative(parse_value("≤100万元"), parse_value("125万元"), True, policies[name])
    assert round_score(weight * result.fraction) == expected


def test_explanations(policies):
    ratio = score_quantitative(parse_value("≤100万元"), parse_value("125万元"), True, policies["national-2020"])
    assert ratio.explanation == "125万元 / ≤100万元 = 125.00%，反向指标超过目标，按 目标/实际 计"
    linear = score_quantitative(parse_value("≤100万元"), parse_value("125万元"), True, policies[LINEAR])
    assert linear.explanation == "125万元 / ≤100万元 = 125.00%，反向指标超过目标，线性计分（≥ 2 倍目标记 0）"
    met = score_quantitative(parse_value("11台"), parse_value("23台"), False, policies["national-2020"])
    assert met.explanation == "23台 / 11台 = 209.09%，达到目标"


@pytest.mark.parametrize("name", POLICIES)
def test_zero_cost_actual_is_not_a_saving(name, policies):
    # Every shipped policy says zero_cost_actual = "not_done": 0 万元 spent on a cost line means it was not done.
    result = score_quantitative(parse_value("≤55万元"), parse_value("0万元"), True, policies[name])
    assert (result.direction, result.completed, result.fraction, result.zero_cost) == ("reverse", False, 0.0, True)
    assert "成本实际为 0，视为未实施而非节约" in result.explanation


def test_zero_cost_actual_as_saving(policies):
    saving = dataclasses.replace(policies["national-2020"], zero_cost_actual="saving")
    result = score_quantitative(parse_value("≤55万元"), parse_value("0万元"), True, saving)
    assert (result.completed, result.fraction, result.zero_cost) == (True, 1.0, True)
    # a 0 on a line that is not a cost is just a shortfall
    result = score_quantitative(parse_value("≥10台"), parse_value("0台"), False, policies["national-2020"])
    assert result.zero_cost is False


@pytest.mark.parametrize("name, target, actual", each_policy([
    ("≥10台", "10套"),
    ("23.40万元", "0%"),  # seed 004
    ("≥95%", "10台"),
]))
def test_units_that_cannot_be_compared_are_not_scored(name, target, actual, policies):
    assert score_quantitative(parse_value(target), parse_value(actual), False, policies[name]) is None


# --- qualitative indicators -------------------------------------------------------------------------------------

EVIDENT = [
    ("按期完成", "按期完成", "achieved"),
    ("逐步提升", "逐步提升", "achieved"),  # seed 004 社会效益
    ("逐步提升。", "逐步提升", "achieved"),  # a full stop is not a difference
    ("明显改善", "逐步提升", None),  # seed 004 可持续影响: the unit must choose
    ("群众满意度逐年提高", "逐步提升", None),  # seed 004 满意度
    ("效果明显", "达成预期指标", "achieved"),
    ("按期完成", "已完成", "achieved"),
    ("按期完成", "全部实现", "achieved"),
    ("服务对象满意", "群众满意", "achieved"),
    ("按期完成", "未完成", None),
    ("按期完成", "部分完成", None),
    ("按期完成", "尚未实现", None),
    ("按期完成", "项目延期，年底完成", None),
    ("按期完成", "进度滞后", None),
    ("按期完成", "", None),
]


@pytest.mark.parametrize("name, target, actual, tier", each_policy(EVIDENT))
def test_evident_tier(name, target, actual, tier, policies):
    assert evident_tier(parse_value(target), parse_value(actual), policies[name]) == tier


@pytest.mark.parametrize("actual", ["群众不满意", "没完成", "无法按期完成", "不能按期完成", "难以实现"])
def test_negated_achievement_is_not_evident(actual, policies):
    assert evident_tier(parse_value("按期完成"), parse_value(actual), policies["national-2020"]) is None


HB = "hb-2020"


def _bands(name):
    """Bands in points for 分值 15, by hand: default 80–100 / 60–80 / 0–60 %, 湖北 80–100 / 50–80 / 0–50 %."""
    if name == HB:
        return {"achieved": (12.0, 15.0), "partial": (7.5, 12.0), "failed": (0.0, 7.5)}
    return {"achieved": (12.0, 15.0), "partial": (9.0, 12.0), "failed": (0.0, 9.0)}


@pytest.mark.parametrize("name", POLICIES)
def test_qualitative_bands(name, policies):
    bands = _bands(name)
    for tier, band in bands.items():
        assert qualitative_band(tier, 15, policies[name]) == band
    if name == HB:
        assert band_text("partial", 15, policies[name]) == "部分达成年度指标并具有一定效果：50%–80%（7.5–12 分）"
    else:
        assert band_text("partial", 15, policies[name]) == "部分达成年度指标并具有一定效果：60%–80%（9–12 分）"
    assert band_text("achieved", 15, policies[name]) == "达成年度指标：80%–100%（12–15 分）"


@pytest.mark.parametrize("name", POLICIES)
def test_in_band_edges(name, policies):
    policy, bands = policies[name], _bands(name)
    lo, hi = bands["partial"]
    assert in_band(lo, "partial", 15, policy)  # the low end is included
    assert not in_band(lo - 0.01, "partial", 15, policy)
    assert in_band(hi - 0.01, "partial", 15, policy)
    assert in_band(12, "achieved", 15, policy)
    assert in_band(15, "achieved", 15, policy)  # the top band includes 100 %
    assert not in_band(15.01, "achieved", 15, policy)
    assert not in_band(11.99, "achieved", 15, policy)
    assert in_band(0, "failed", 15, policy)
    assert in_band(bands["failed"][1] - 0.01, "failed", 15, policy)


@pytest.mark.parametrize("name", POLICIES)
def test_lower_bands_exclude_their_top(name, policies):
    policy, bands = policies[name], _bands(name)
    assert not in_band(bands["partial"][1], "partial", 15, policy)  # 12 of 15 is 达成, not 部分达成
    assert not in_band(bands["failed"][1], "failed", 15, policy)  # 9 (湖北 7.5) of 15 is 部分达成


# --- grades -----------------------------------------------------------------------------------------------------

TOTALS = [100, 90, 89.99, 80, 79.99, 70, 69.99, 60, 59.99, 0]
GRADES = {
    # [MOF-2020] 90 (含) 优, 80 (含) 良, 60 (含) 中, 差
    "default": ["优", "优", "良", "良", "中", "中", "中", "中", "差", "差"],
    # 80 / 70 / 60
    "bands-80-70-60": ["优", "优", "优", "优", "良", "良", "中", "中", "差", "差"],
}


@pytest.mark.parametrize("name, total, grade", [
    pytest.param(name, total, grade, id=f"{name}-{total}")
    for name in POLICIES for total, grade in zip(TOTALS, GRADES.get(name, GRADES["default"]))])
def test_grade(name, total, grade, policies):
    assert grade_of(total, policies[name]) == grade


def test_no_total_no_grade(policies):
    assert grade_of(None, policies["national-2020"]) is None


# --- whole forms through evaluate -------------------------------------------------------------------------------

# Seed 004 (邵阳 2023). Typed scores: 2.5 + 2.5 + 5 + 20 + 15 + 15 + 10 = 70.
# 全年预算数: 97.73 / 373.6 = 26.159 % → 10 × 0.26159 = 2.6159 → 2.62; total 70 + 2.62 = 72.62.
# 年初预算数 (bj-2016): 97.73 / 664.6 = 14.705 % → 1.4705 → 1.47; total 70 + 1.47 = 71.47.
# The form's own 分值 10 is used under hb-2020 too (the policy's 20 only fills an empty cell).
SEED_004 = {
    "national-2020": (0.261590, 2.62, 72.62, "中"),
    "hb-2020": (0.261590, 2.62, 72.62, "中"),
    "bj-2016": (0.147051, 1.47, 71.47, "中"),
    "linear-reverse": (0.261590, 2.62, 72.62, "中"),
    "bands-80-70-60": (0.261590, 2.62, 72.62, "良"),  # 70 ≤ 72.62 < 80
    "gx-130": (0.261590, 2.62, 72.62, "中"),
    "sx-120": (0.261590, 2.62, 72.62, "中"),
    "strict": (0.261590, 2.62, 72.62, "中"),
}


@pytest.mark.parametrize("name", POLICIES)
def test_seed_004(name, policies):
    rate, score, total, grade = SEED_004[name]
    evaluation = evaluate(seed_004_form(), policies[name])
    assert evaluation.policy_name == name
    assert evaluation.execution_rate == pytest.approx(rate, abs=1e-6)
    assert evaluation.execution_score == score
    assert evaluation.total == total
    assert evaluation.grade == grade
    items = {item.label: item for item in evaluation.items}
    # 成本 block: 15 rows share 分值 40; 23.40万元 → 0% cannot be scored; 5 rows spent 0 (not done → 0);
    # the other 9 are within target (full). 40 × 9/14 = 25.714 → 25.71 (no row is over target, so linear agrees).
    cost = items["数据库安全项目建设(已完工）"]
    assert (cost.weight, cost.typed, cost.suggested) == (40, 20, 25.71)
    assert items["自助终端机"].suggested == 2.5  # 23 of 11 台: met, full marks
    assert items["提升中心服务质量，提升中心办结业务进度"].suggested is None  # 明显改善 → 逐步提升: unit's judgment


@pytest.mark.parametrize("name, score, total", [
    # 预算执行 分值 left empty: the policy's weight. 湖北 20 × 26.159 % = 5.2318 → 5.23; elsewhere 10 → 2.62 (bj 1.47).
    ("national-2020", 2.62, 72.62), ("hb-2020", 5.23, 75.23), ("bj-2016", 1.47, 71.47),
    ("linear-reverse", 2.62, 72.62), ("bands-80-70-60", 2.62, 72.62), ("gx-130", 2.62, 72.62),
    ("sx-120", 2.62, 72.62), ("strict", 2.62, 72.62)])
def test_seed_004_without_budget_weight_takes_the_policy_weight(name, score, total, policies):
    form = seed_004_form()
    form.budget["total"]["weight"].value = None
    evaluation = evaluate(form, policies[name])
    assert (evaluation.execution_score, evaluation.total) == (score, total)


def test_seed_004_default_policy():
    evaluation = evaluate(seed_004_form())
    assert evaluation.execution_rate == pytest.approx(0.2616, abs=5e-5)
    assert (evaluation.execution_score, evaluation.total, evaluation.grade) == (2.62, 72.62, "中")


@pytest.mark.parametrize("name", POLICIES)
def test_seed_000(name, policies):
    # 资金到位率 161.69 / 170 → 2.85; 预算执行率 153.33 / 161.69 → 2.84; 投入 rows 2.25 + 4 + 4 + 2.85 + 3 + 2.84
    # = 18.94; 过程 20; 产出 8 + 0 + 8 + 2.78 = 18.78; 效果 30; total 87.72 → 良 (优 under 80/70/60).
    evaluation = evaluate(seed_000_form(), policies[name])
    items = {item.label: item.suggested for item in evaluation.items}
    assert (items["资金到位率"], items["预算执行率"]) == (2.85, 2.84)
    assert evaluation.subtotals == {"投入": 18.94, "过程": 20.0, "产出": 18.78, "效果": 30.0}
    assert evaluation.total == 87.72
    assert evaluation.grade == ("优" if name == "bands-80-70-60" else "良")
    assert evaluation.execution_rate is None and evaluation.execution_score is None


def _one_row_form(target: str, actual: str, level2: str = "成本指标") -> Form:
    form = Form("standard", "自评表")
    form.fields = {"project_name": Cell("项目", "C3"), "department": Cell("部门", "C4"),
                   "implementing_unit": Cell("单位", "C5"), "year": Cell(2023, "C2")}
    form.rows = [{"level1": Cell("产出指标", "A20"), "level2": Cell(level2, "B20"), "name": Cell("设备采购成本", "C20"),
                  "target": Cell(target, "D20"), "actual": Cell(actual, "E20"), "weight": Cell(10, "F20"),
                  "score": Cell(None, "G20"), "reason": Cell("采购价格上涨", "H20")}]
    return form


@pytest.mark.parametrize("name, expected", [(name, 7.5 if name == LINEAR else 8.0) for name in POLICIES])
def test_reverse_row_through_evaluate(name, expected, policies):
    # 成本 ≤100万元, spent 125万元, 分值 10: ratio 10 × 100/125 = 8.0; linear 10 × (2 − 1.25) = 7.5
    evaluation = evaluate(_one_row_form("≤100万元", "125万元"), policies[name])
    (item,) = evaluation.items
    assert item.suggested == expected
    assert item.explanation.endswith(f"（{name}）")


@pytest.mark.parametrize("name", POLICIES)
def test_zero_cost_row_through_evaluate(name, policies):
    evaluation = evaluate(_one_row_form("≤55万元", "0万元"), policies[name])
    (item,) = evaluation.items
    assert item.suggested == 0.0
    assert "成本实际为 0，视为未实施而非节约" in item.explanation
