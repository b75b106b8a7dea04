"""The cell value parser (perfeval_xl/values.py): every way real forms write a value, read to one record.

Expected values are worked out by hand in the tables, never by calling our code. The property tests check two
promises the rest of the core relies on: `parse_value` never raises, and `format_parsed` writes a quantity back in
a form that reads as the same quantity.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from perfeval_xl.values import (Parsed, as_amount, as_fraction, comparable, format_number, format_parsed, indicator_name,
                                printed_rate_half_step,
                                parse_value, read_deadline, shown_number, shown_value)

# --- parse_value: numbers with comparators and units ----------------------------------------------------------

# raw → (number, unit, comparator, typed_as_text); every row is kind "number".
QUANTITIES = [
    # comparators: half-width, full-width (NFKC), mathematical and box-drawing glyphs, words
    ("≥10台", 10.0, "台", ">=", True),
    ("＞＝10台", 10.0, "台", ">=", True),
    (">=10台", 10.0, "台", ">=", True),
    ("≧ 10 台", 10.0, "台", ">=", True),
    ("≦5万元", 5.0, "万元", "<=", True),
    ("≤193.5万元", 193.5, "万元", "<=", True),
    ("＜＝3天", 3.0, "天", "<=", True),
    ("＞90%", 90.0, "%", ">", True),
    ("＜3天", 3.0, "天", "<", True),
    ("＝100%", 100.0, "%", "=", True),
    ("═100%", 100.0, "%", "=", True),
    ("=100%", 100.0, "%", "=", True),
    ("不低于95%", 95.0, "%", ">=", True),
    ("不少于735人次", 735.0, "人次", ">=", True),
    ("大于等于735人次", 735.0, "人次", ">=", True),
    ("不超过50万元", 50.0, "万元", "<=", True),
    ("控制在50万元以内", 50.0, "万元", "<=", True),
    ("10台以上", 10.0, "台", ">=", True),
    ("5个工作日以内", 5.0, "个工作日", "<=", True),
    ("≥10台以上", 10.0, "台", ">=", True),  # a glyph and a word: the glyph is kept
    ("≥266米", 266.0, "米", ">=", True),
    # units: counts, money converted into 万元, percent spellings
    ("20套", 20.0, "套", None, True),
    ("735人次", 735.0, "人次", None, True),
    ("11台", 11.0, "台", None, True),
    ("97.73万元", 97.73, "万元", None, True),
    ("97.73万", 97.73, "万元", None, True),
    ("977300元", 97.73, "万元", None, True),  # 977300 元 = 97.73 万元
    ("1.2亿元", 12000.0, "万元", None, True),  # 1 亿 = 10000 万
    ("0.3亿", 3000.0, "万元", None, True),
    ("5千元", 0.5, "万元", None, True),  # 5000 元 = 0.5 万元
    ("26.16%", 26.16, "%", None, True),
    ("26.16％", 26.16, "%", None, True),
    ("26.16 %", 26.16, "%", None, True),
    ("26.16百分比", 26.16, "%", None, True),
    ("3百分点", 3.0, "%", None, True),
    # area and volume: ㎡ and m² must not become the digit 2
    ("≥500㎡", 500.0, "m²", ">=", True),
    ("≥500m²", 500.0, "m²", ">=", True),
    ("500m2", 500.0, "m²", None, True),
    ("480平方米", 480.0, "m²", None, True),
    ("10m³", 10.0, "m³", None, True),
    # separators, full-width digits, whitespace
    ("1,234.5", 1234.5, "", None, True),
    ("1,234,567", 1234567.0, "", None, True),
    ("１２３", 123.0, "", None, True),
    ("１２３台", 123.0, "台", None, True),
    ("１，２３４．５", 1234.5, "", None, True),  # full-width comma and point
    (" 97.73 ", 97.73, "", None, True),
    ("97.73\n", 97.73, "", None, True),
    ("-5", -5.0, "", None, True),
    ("+5", 5.0, "", None, True),
    ("0", 0.0, "", None, True),
    ("0万元", 0.0, "万元", None, True),
    # real numbers from the workbook are not "typed as text"
    (97.73, 97.73, "", None, False),
    (0.2616, 0.2616, "", None, False),
    (10, 10.0, "", None, False),
    (0, 0.0, "", None, False),
    (-5, -5.0, "", None, False),
]


@pytest.mark.parametrize("raw, number, unit, comparator, typed_as_text", QUANTITIES, ids=[repr(q[0]) for q in QUANTITIES])
def test_quantities(raw, number, unit, comparator, typed_as_text):
    parsed = parse_value(raw)
    assert parsed.kind == "number"
    assert parsed.number == pytest.approx(number, rel=1e-12, abs=1e-12)
    assert parsed.unit == unit
    assert parsed.comparator == comparator
    assert parsed.typed_as_text is typed_as_text
    assert parsed.raw == raw


# --- parse_value: everything that is not a number ---------------------------------------------------------------

# raw → (kind, text)
NOT_NUMBERS = [
    (None, "empty", ""),
    ("", "empty", ""),
    ("   ", "empty", ""),
    ("\u3000", "empty", ""),  # ideographic space
    ("\n\t", "empty", ""),
    ("—", "na", "—"),
    ("——", "na", "——"),
    ("-", "na", "-"),
    ("－", "na", "-"),  # full-width hyphen, NFKC to "-"
    ("/", "na", "/"),
    ("／", "na", "/"),
    ("无", "na", "无"),
    (" 无 ", "na", "无"),
    ("不适用", "na", "不适用"),
    ("N/A", "na", "N/A"),
    ("n/a", "na", "n/a"),
    ("#DIV/0!", "error", "#DIV/0!"),
    ("#div/0!", "error", "#DIV/0!"),
    ("#VALUE!", "error", "#VALUE!"),
    ("#REF!", "error", "#REF!"),
    ("#N/A", "error", "#N/A"),
    (float("nan"), "error", "nan"),
    (float("inf"), "error", "inf"),
    (10**400, "error", "#NUM!"),  # beyond float range
    # qualitative text stays text, digits inside or not
    ("按期完成", "text", "按期完成"),
    ("项目按期完成", "text", "项目按期完成"),
    ("达成预期指标", "text", "达成预期指标"),
    ("逐步提升", "text", "逐步提升"),
    ("明显改善", "text", "明显改善"),
    ("数据库审计系统7月1日完成上线", "text", "数据库审计系统7月1日完成上线"),
    ("12月底前完成", "text", "12月底前完成"),
    ("2024年完成", "text", "2024年完成"),
    ("3个月内上线", "text", "3个月内上线"),
    ("2023年12月", "text", "2023年12月"),
    ("二〇二三", "text", "二〇二三"),
    ("两分半", "text", "两分半"),
    ("达到100%", "text", "达到100%"),
    ("12,34", "text", "12,34"),  # not a thousands separator
    ("1e5", "text", "1e5"),
    ("≥", "text", "≥"),
    ("大于等于", "text", "大于等于"),
    ("以上", "text", "以上"),
    ("≥ 10 万 元", "text", "≥ 10 万 元"),  # a unit with a space inside is not read
    ("按期\n完成", "text", "按期 完成"),  # line breaks fold to one space
    # bool and dates are values, but not numbers
    (True, "text", "True"),
    (False, "text", "False"),
    (datetime(2023, 7, 1, 9, 30), "text", "2023-07-01T09:30:00"),
    (date(2023, 7, 1), "text", "2023-07-01"),
]


@pytest.mark.parametrize("raw, kind, text", NOT_NUMBERS, ids=[repr(c[0])[:30] for c in NOT_NUMBERS])
def test_not_numbers(raw, kind, text):
    parsed = parse_value(raw)
    assert (parsed.kind, parsed.text) == (kind, text)
    assert parsed.number is None and parsed.unit == "" and parsed.comparator is None
    assert parsed.is_number is False
    assert parsed.is_blank is (kind in ("empty", "na"))


def test_flags():
    assert parse_value("26.16%").is_percent and not parse_value("26.16").is_percent
    assert parse_value("977300元").is_money and not parse_value("11台").is_money
    assert parse_value("—").is_blank and parse_value(None).is_blank and not parse_value(0).is_blank


def test_same_value_of_another_type_is_not_taken_from_the_cache():
    # 1, 1.0 and True are equal in Python; the cache must still tell a typed number, a text and a bool apart.
    assert parse_value(1).kind == "number" and parse_value(1).typed_as_text is False
    assert parse_value(True).kind == "text"
    assert parse_value("1").typed_as_text is True
    assert parse_value(1.0).number == 1.0


def test_unhashable_input_is_read_without_the_cache():
    parsed = parse_value(["≥10台"])
    assert (parsed.kind, parsed.text) == ("text", "['≥10台']")


def test_an_object_whose_str_fails_is_an_error():
    class Broken:
        def __str__(self):
            raise RuntimeError("no")

        def __repr__(self):
            return "<Broken>"

    parsed = parse_value(Broken())
    assert (parsed.kind, parsed.text) == ("error", "<Broken>")


# --- as_fraction ------------------------------------------------------------------------------------------------

FRACTIONS = [
    (0.2616, 0.2616),  # a percent cell: Excel stores the ratio
    (26.16, 0.2616),  # percent points typed as a bare number
    ("26.16%", 0.2616),
    ("26.16百分比", 0.2616),
    ("26.16", 0.2616),
    (1, 1.0),  # `1` printed as the 执行率 means 100 %
    ("1", 1.0),
    ("100%", 1.0),
    (100, 1.0),
    (1.5, 1.5),  # the largest bare value read as a ratio
    (2, 0.02),  # above 1.5: percent points
    (150, 1.5),
    (0, 0.0),
    ("120%", 1.2),
    ("10台", None),
    ("97.73万元", None),
    ("按期完成", None),
    ("—", None),
    (None, None),
    ("#DIV/0!", None),
]


@pytest.mark.parametrize("raw, expected", FRACTIONS, ids=[repr(f[0]) for f in FRACTIONS])
def test_as_fraction(raw, expected):
    result = as_fraction(parse_value(raw))
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=1e-12)


# --- as_amount --------------------------------------------------------------------------------------------------

AMOUNTS = [
    (97.73, 97.73),
    ("97.73", 97.73),
    ("97.73万元", 97.73),
    ("977300元", 97.73),
    ("1.2亿元", 12000.0),
    ("1,234.5", 1234.5),
    ("１２３", 123.0),
    (0, 0.0),
    ("26.16%", None),
    ("10台", None),
    ("—", None),
    (None, None),
    ("无", None),
    ("按期完成", None),
]


@pytest.mark.parametrize("raw, expected", AMOUNTS, ids=[repr(a[0]) for a in AMOUNTS])
def test_as_amount(raw, expected):
    result = as_amount(parse_value(raw))
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=1e-12)


# --- comparable -------------------------------------------------------------------------------------------------

COMPARABLE = [
    ("≥10台", "23台", (10.0, 23.0)),
    ("11台", "23", (11.0, 23.0)),  # a bare actual takes the target's unit
    ("23", "11台", (23.0, 11.0)),
    ("193.5万元", "1413000元", (193.5, 141.3)),  # 元 and 万元 meet in the target's 万元
    ("1.2亿元", "9000万元", (1.2, 0.9)),  # compared in the unit the target was typed in: 亿元
    ("﹦ 72890 元", 72890, (72890.0, 72890.0)),  # a bare actual takes the target's unit as typed: 元, not 万元
    ("≤5000元", "4800", (5000.0, 4800.0)),
    ("≥500元", "0.05万元", (500.0, 500.0)),  # 0.05 万元 = 500 元, met exactly (no 499.99999…)
    ("10", "100000元", (10.0, 100000.0)),  # a bare target takes the actual's unit as typed: 10 元
    ("=100%", 1, (100.0, 100.0)),  # a percent cell holds 1 and shows 100%
    ("=100%", 0.96, (100.0, 96.0)),
    ("≥95%", 96, (95.0, 96.0)),
    ("≥95%", "96百分比", (95.0, 96.0)),
    (0.95, "96%", (95.0, 96.0)),
    ("≥10台", "10套", None),  # 台 vs 套: no conversion
    ("23.40万元", "0%", None),  # seed 004's cost row
    ("≥500㎡", "480平方米", (500.0, 480.0)),
    ("按期完成", "按期完成", None),
    ("≥10台", "—", None),
    ("≥10台", None, None),
]


@pytest.mark.parametrize("target, actual, expected", COMPARABLE, ids=[f"{c[0]!r}-{c[1]!r}" for c in COMPARABLE])
def test_comparable(target, actual, expected):
    result = comparable(parse_value(target), parse_value(actual))
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=1e-9)


# --- format_parsed / format_number ------------------------------------------------------------------------------

FORMATTED = [
    ("≥10台", "≥10台"),
    ("＞＝10台", "≥10台"),
    ("≧ 10 台", "≥10台"),
    ("不超过193.5万元", "≤193.5万元"),
    ("≦5万元", "≤5万元"),
    ("10台以上", "≥10台"),
    ("＝100%", "=100%"),
    ("═100%", "=100%"),
    ("＞90%", ">90%"),
    ("＜3天", "<3天"),
    ("977300元", "97.73万元"),
    ("26.16百分比", "26.16%"),
    ("１２３", "123"),
    ("1,234.5", "1234.5"),
    ("≥500㎡", "≥500m²"),
    ("0.1元", "0.00001万元"),  # 0.1 元 = 0.00001 万元, never `1e-05万元`
    (2.5, "2.5"),
    (10.0, "10"),
    (10, "10"),
    (1e-7, "0.0000001"),
    ("项目按期完成", "项目按期完成"),
    ("按期\n完成", "按期 完成"),
    ("—", "—"),
    ("#DIV/0!", "#DIV/0!"),
    (None, ""),
    ("  ", ""),
]


@pytest.mark.parametrize("raw, expected", FORMATTED, ids=[repr(f[0]) for f in FORMATTED])
def test_format_parsed(raw, expected):
    assert format_parsed(parse_value(raw)) == expected


NUMBERS_WRITTEN = [
    (2.5, "2.5"),
    (10.0, "10"),
    (-0.0, "0"),
    (0.0001, "0.0001"),
    (1.234567890123e-7, "0.0000001234567890123"),
    (1e20, "100000000000000000000"),
    (123456789.12345679, "123456789.12345679"),
    (97.73, "97.73"),
    (373.6, "373.6"),
]


@pytest.mark.parametrize("number, expected", NUMBERS_WRITTEN, ids=[repr(n[0]) for n in NUMBERS_WRITTEN])
def test_format_number_is_plain_and_shortest(number, expected):
    assert format_number(number) == expected


# --- properties -------------------------------------------------------------------------------------------------

KINDS = {"empty", "na", "number", "text", "error"}


@given(st.text())
@example("≥")
@example("1" * 400)  # a float('inf') from digits
@example("9" * 5000)  # more digits than int() accepts by default
@example("\ud800")  # a lone surrogate
def test_parse_value_never_raises_on_text(raw):
    parsed = parse_value(raw)
    assert isinstance(parsed, Parsed) and parsed.kind in KINDS
    if parsed.kind == "number":
        assert math.isfinite(parsed.number)


ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(),
    st.binary(),
    st.datetimes(),
    st.dates(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.from_type(object),
)


@given(ANYTHING)
@example(10**400)
@example(Decimal("sNaN"))  # unhashable and not convertible to float
@example(float("-inf"))
def test_parse_value_never_raises_on_anything(raw):
    parsed = parse_value(raw)
    assert isinstance(parsed, Parsed) and parsed.kind in KINDS
    if parsed.kind == "number":
        assert math.isfinite(parsed.number)


GLYPHS = ["", "≥", "≤", "＞", "＜", "＝", "═", "≧", "≦", ">=", "<=", ">", "<", "=", "＞＝", "＜＝",
          "不低于", "不少于", "不超过", "不高于", "大于", "小于", "大于等于", "小于等于"]
UNITS = ["", "台", "套", "人次", "个", "次", "天", "个工作日", "米", "%", "％", "百分比", "元", "千元", "万元", "万", "亿元",
         "m²", "㎡", "平方米", "m3"]
SUFFIXES = ["", "以上", "以内", "以下"]


@st.composite
def quantities(draw) -> str:
    number = draw(st.decimals(min_value=0, max_value=10**9, places=draw(st.integers(0, 6)), allow_nan=False,
                              allow_infinity=False))
    text = format(number, "f")
    if draw(st.booleans()) and "." not in text and len(text) > 3:  # thousands separators
        text = f"{int(text):,}"
    if draw(st.booleans()):
        text = text.translate(str.maketrans("0123456789.,", "０１２３４５６７８９．，"))
    space = draw(st.sampled_from(["", " "]))
    return f"{draw(st.sampled_from(GLYPHS))}{space}{text}{space}{draw(st.sampled_from(UNITS))}{draw(st.sampled_from(SUFFIXES))}"


def _essence(parsed: Parsed) -> tuple:
    return parsed.kind, parsed.number, parsed.unit, parsed.comparator


@given(quantities())
@example("≥10台")
@example("0.1元")  # 0.00001 万元
@example("1.5元")
@example("≥500㎡")
@example("1,234,567.5")
def test_quantities_round_trip(text):
    parsed = parse_value(text)
    assert parsed.kind == "number", text
    again = parse_value(format_parsed(parsed))
    assert _essence(again) == _essence(parsed)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_reads_back_exactly(number):
    text = format_number(number)
    assert "e" not in text.lower()
    assert float(text) == number


# --- Numbers and values as messages show them ---------------------------------------------------------------------

SHOWN_NUMBERS = [
    (38.766462000000004, "38.7665"),  # the float noise a reviewer saw in a message
    (387664.62 * 1e-4, "38.7665"),
    (0.1 + 0.2, "0.3"),
    (2.5, "2.5"),
    (10.0, "10"),
    (72.62, "72.62"),
    (2.84499999, "2.845"),
    (0.00005, "0.0001"),  # half up at the 4th decimal
    (1e-7, "0"),
    (-0.00001, "0"),
    (-3.25, "-3.25"),
    (123456789.123456, "123456789.1235"),
]


@pytest.mark.parametrize("number, expected", SHOWN_NUMBERS, ids=[repr(n[0]) for n in SHOWN_NUMBERS])
def test_shown_number_has_at_most_four_decimals_and_no_noise(number, expected):
    assert shown_number(number) == expected


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e14, max_value=1e14))
def test_shown_number_is_near_the_number(number):
    text = shown_number(number)
    assert "e" not in text.lower()
    assert len(text.partition(".")[2]) <= 4
    assert abs(float(text) - number) <= 0.00005 + 1e-9 * abs(number)


SHOWN_VALUES = [
    ("﹦ 72890 元", "=72890元"),  # as typed, not =7.289万元
    ("387664.62元", "387664.62元"),  # not 38.766462000000004万元
    ("≤193.5万元", "≤193.5万元"),
    ("26.16百分比", "26.16%"),
    ("≥10台", "≥10台"),
    (0.123456789, "0.1235"),
    ("按期完成", "按期完成"),
]


@pytest.mark.parametrize("raw, expected", SHOWN_VALUES, ids=[repr(v[0]) for v in SHOWN_VALUES])
def test_shown_value_is_as_typed(raw, expected):
    assert shown_value(parse_value(raw)) == expected


def test_money_converts_without_float_noise():
    assert parse_value("387664.62元").number == 38.766462
    assert parse_value("0.1元").number == 0.00001
    assert parse_value("1.2亿元").number == 12000.0


SLOT_NAMES = [
    ("指标1：", ""),
    ("指标2:", ""),
    ("指标 3 ：", ""),
    ("指标１：", ""),
    ("指标一：", ""),
    ("指标1", ""),
    ("……", ""),
    ("…", ""),
    ("...", ""),
    ("指标1：工程质量合格", "工程质量合格"),
    ("指标1:/", ""),  # a slot marked 'not applicable' is still an empty slot
    ("指标1：—", ""),
    ("指标2: 群众满意度", "群众满意度"),
    # 廊坊 2019 (tests/corpus/hebei-2019-langfang-nuantong.toml): the slot number and the name with no colon between.
    ("指标1工程资金金额", "工程资金金额"),
    ("指标2工程验收合格率", "工程验收合格率"),
    ("指标一工程完工率", None),  # after 一二三 a name needs the colon: 指标一… could be a name of its own
    ("工程质量合格", None),  # not written on a slot: the name as it stands
    ("指标完成率", None),
    ("数量指标", None),
    ("1.", None),
]


@pytest.mark.parametrize("text, expected", SLOT_NAMES, ids=[s[0] for s in SLOT_NAMES])
def test_indicator_name_on_template_slots(text, expected):
    assert indicator_name(text) == expected


# --- read_deadline: dates and periods in a 时效指标 -------------------------------------------------------------

# raw → last day covered, in a form whose 年度 is 2019; read the same whether or not the row is a 时效指标.
DEADLINES = [
    ("2019年", date(2019, 12, 31)),  # 鄂州 2019 完成时限: a year is met by any day in it
    ("2020年", date(2020, 12, 31)),
    ("2019年度", date(2019, 12, 31)),
    ("2019年12月", date(2019, 12, 31)),
    ("2019年6月", date(2019, 6, 30)),
    ("2020年2月", date(2020, 2, 29)),
    ("2019-12", date(2019, 12, 31)),
    ("2019/06/30", date(2019, 6, 30)),
    ("2019年12月31日", date(2019, 12, 31)),
    ("2019年12月底前完成", date(2019, 12, 31)),
    ("2019年底前", date(2019, 12, 31)),
    ("不晚于2019年10月", date(2019, 10, 31)),
    ("2024年3月完成", date(2024, 3, 31)),  # seed 004's reasons write completion dates so
    ("１２月底前", date(2019, 12, 31)),  # full-width digits; the year from the form
    ("12月底前", date(2019, 12, 31)),
    ("10月底前完成", date(2019, 10, 31)),
    ("12月31日前", date(2019, 12, 31)),
    ("年底前", date(2019, 12, 31)),
    ("年内完成", date(2019, 12, 31)),
    (date(2019, 6, 30), date(2019, 6, 30)),  # a date cell
    (datetime(2019, 6, 30, 0, 0), date(2019, 6, 30)),
]


@pytest.mark.parametrize("raw, last_day", DEADLINES)
def test_read_deadline(raw, last_day):
    for expect_date in (False, True):
        deadline = read_deadline(parse_value(raw), 2019, expect_date)
        assert deadline is not None and deadline.last_day == last_day


# Not dates: texts and quantities stay what they were (按时完成 is a qualitative text, ≥8年 a duration).
NOT_DEADLINES = ["按时完成", "及时", "按期完成", "项目按期完成", "3个月内", "≥8年", "10年", "2000台", "2019.2.30", "2019年13月",
                 "100%", "", "—", 2.5, 2000.5]


@pytest.mark.parametrize("raw", NOT_DEADLINES)
def test_not_a_deadline(raw):
    assert read_deadline(parse_value(raw), 2019, True) is None


@pytest.mark.parametrize("raw, last_day", [("2019.12", date(2019, 12, 31)), ("2019.12.31", date(2019, 12, 31)),
                                           ("2019", date(2019, 12, 31)), (2019, date(2019, 12, 31))])
def test_numbers_are_dates_only_where_a_date_is_expected(raw, last_day):
    assert read_deadline(parse_value(raw), 2019, expect_date=True).last_day == last_day
    assert read_deadline(parse_value(raw), 2019, expect_date=False) is None  # 2019.12 元 in a 成本指标 is money


def test_month_without_a_year_needs_the_forms_year():
    assert read_deadline(parse_value("12月底前"), None, True) is None
    assert read_deadline(parse_value("年底前"), None, True) is None
    assert read_deadline(parse_value("12月底前"), 2023, True).last_day == date(2023, 12, 31)


def test_a_label_wrapped_in_a_narrow_column_reads_as_one_word():
    from perfeval_xl.values import one_line

    # 衡山 2020: "国家政策性粮收购\n价格执行率" is one name the print wrapped; words of other scripts keep a space
    assert one_line("国家政策性粮收购\n价格执行率") == "国家政策性粮收购价格执行率"
    assert one_line("年度指标\n值（A）") == "年度指标值（A）"
    assert one_line("GDP\n增速") == "GDP 增速" and one_line("完成 100 台") == "完成 100 台"
    assert one_line("  ") == "" and one_line(2023) == "2023"


# --- printed_rate_half_step: how precisely a typed 执行率 was printed -----------------------------------------------

PRINTED_RATES = [
    ("86%", 0.005),  # 廊坊 2019: 37.24 / 43.2 = 86.20 %, printed 86%
    ("86.19%", 0.00005),  # 上海普陀 2022: 215457.6 / 250000 = 86.18 %, printed 86.19%
    ("86.2", 0.0005),  # percent points typed as text
    ("0.86", 0.005),  # a ratio typed as text
    ("100.00%", 0.00005),
    (0.86, 0.0),  # a number cell: all its digits are there
    ("", 0.0),
]


@pytest.mark.parametrize("raw, half_step", PRINTED_RATES, ids=[str(r[0]) for r in PRINTED_RATES])
def test_printed_rate_half_step(raw, half_step):
    assert printed_rate_half_step(parse_value(raw)) == pytest.approx(half_step)
