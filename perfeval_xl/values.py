"""Reading what people type into a 自评表 cell.

Pure functions: a raw cell value (str, number, None, …) in, a `Parsed` record out. Nothing here raises on any
input: a value we cannot read becomes kind "text" (qualitative) or "error", and the caller decides what that means.

Real forms write the same thing many ways: `≥10台`, `＞＝10台`, `≧ 10 台`, `不少于10台`; `26.16%`, `0.2616`, `26.16`,
`26.16百分比`; `97.73万元`, `977300元`, `１２３`, `1,234.5`. All are normalised here so the scoring rules never see
the variety.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

# Comparator glyphs and words, normalised to one of ">=", "<=", "=", ">", "<".
# Longest first, so that "大于等于" wins over "大于".
_COMPARATOR_WORDS: list[tuple[str, str]] = [
    ("大于或等于", ">="), ("小于或等于", "<="), ("大于等于", ">="), ("小于等于", "<="),
    ("不低于", ">="), ("不少于", ">="), ("不小于", ">="), ("至少", ">="),
    ("不高于", "<="), ("不超过", "<="), ("不大于", "<="), ("不多于", "<="), ("控制在", "<="),
    (">=", ">="), ("=>", ">="), ("<=", "<="), ("=<", "<="),
    ("≥", ">="), ("≧", ">="), ("⩾", ">="), ("≤", "<="), ("≦", "<="), ("⩽", "<="),
    ("大于", ">"), ("高于", ">"), ("小于", "<"), ("低于", "<"),
    (">", ">"), ("<", "<"), ("=", "="), ("═", "="), ("等于", "="),
]
_COMPARATOR_SYMBOL = {">=": "≥", "<=": "≤", "=": "=", ">": ">", "<": "<"}

# Units that convert into each other. Money is kept in 万元 because both official layouts print 万元.
MONEY_FACTORS_TO_WANYUAN = {"元": 1e-4, "千元": 1e-1, "万元": 1.0, "万": 1.0, "亿元": 1e4, "亿": 1e4}
PERCENT_UNITS = {"%", "百分比", "百分点"}
# Area and volume units people write several ways; NFKC turns ㎡ and m² into "m2", whose digit would end the number.
UNIT_ALIASES = {"m2": "m²", "平方米": "m²", "平米": "m²", "km2": "km²", "平方公里": "km²", "m3": "m³", "立方米": "m³"}
_SQUARE_SIGNS = {"㎡": "m²", "㎥": "m³", "㎢": "km²", "㎞": "km"}
# Words that mean "does not apply" in a cell.
NOT_APPLICABLE = {"—", "-", "--", "——", "/", "／", "无", "不适用", "n/a", "na", "N/A", "－", "―", "─"}
EXCEL_ERRORS = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA", "#SPILL!", "#CALC!"}

_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_QUANTITY_RE = re.compile(rf"^(?P<num>{_NUMBER})\s*(?P<unit>k?m[23²³]|[^\d\s]{{0,6}}?)\s*(?:以上|以内|以下)?$")
_WORD_SUFFIX = {"以上": ">=", "以内": "<=", "以下": "<="}
# What follows the number is a deadline or an outcome, not a unit: `12月底前完成`, `2024年完成`, `3个月内上线`.
# Such a value is qualitative text; read as a number it would be compared with `11月完成` as a unit mismatch.
_NOT_A_UNIT = re.compile("完成|达成|达到|实现|上线|验收|交付|启动|开工|竣工|建成|前|底|末|旬")


@dataclass(frozen=True, slots=True)
class Parsed:
    """One cell value as understood.

    kind: "empty" | "na" (—, /, 无) | "number" | "text" (qualitative or unreadable) | "error" (#DIV/0!…)
    For "number": `number` in `unit` (normalised: 万元 for money, "%" for percent with number in percent
    points, e.g. 26.16), `comparator` (None when none was typed), `typed_as_text` when the person typed digits
    into a text cell (a number format problem worth a gentle warning).
    """

    kind: str
    raw: object = None
    number: float | None = None
    unit: str = ""
    comparator: str | None = None
    typed_as_text: bool = False
    text: str = ""
    # The number and unit as typed, when the unit was converted (`72890元` → 7.289 万元: 72890, "元"). Comparing a
    # target with an actual, and showing either in a message, goes by what was typed.
    typed_number: float | None = None
    typed_unit: str = ""
    # Asked for hundreds of times per form by the checks: plain attributes, set once, not properties.
    is_number: bool = field(init=False, repr=False, compare=False)
    is_blank: bool = field(init=False, repr=False, compare=False)  # empty or 'not applicable': nothing to score

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_number", self.kind == "number")
        object.__setattr__(self, "is_blank", self.kind in ("empty", "na"))

    @property
    def is_percent(self) -> bool:
        return self.unit == "%"

    @property
    def is_money(self) -> bool:
        return self.unit == "万元"


def normalise_text(text: str) -> str:
    """Full-width to half-width (NFKC), strip, fold inner whitespace and line breaks.

    Superscript ² and ³ (and ㎡ ㎥ ㎢) are kept as m² / m³: NFKC would make `500㎡` read as `500m2`.
    """
    for sign, unit in _SQUARE_SIGNS.items():
        text = text.replace(sign, unit)
    text = "".join(part if part in ("²", "³") else unicodedata.normalize("NFKC", part)
                   for part in re.split("([²³])", text))
    text = text.replace("\u3000", " ").replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


_LABEL_NOISE = re.compile(r"[\s:：,，.。、()（）\[\]【】*＊]")


@lru_cache(maxsize=65536)
def _label_key(text: str) -> str:
    return _LABEL_NOISE.sub("", unicodedata.normalize("NFKC", text))


def label_key(text: object) -> str:
    """A label as compared when finding a form by its labels: no spaces, no line breaks, no punctuation.
    Cached: recognising a batch of forms asks for the same labels thousands of times."""
    if text is None:
        return ""
    return _label_key(str(text))


def _split_comparator(text: str) -> tuple[str | None, str]:
    for word, comparator in _COMPARATOR_WORDS:
        if text.startswith(word):
            return comparator, text[len(word):].strip()
    return None, text


def _normalise_unit(unit: str, number: float) -> tuple[str, float]:
    unit = UNIT_ALIASES.get(unit.strip(), unit.strip())
    if unit in PERCENT_UNITS:
        return "%", number
    if unit in MONEY_FACTORS_TO_WANYUAN:
        return "万元", convert_money(number, unit, "万元")
    return unit, number


@lru_cache(maxsize=16384)
def convert_money(number: float, unit: str, into: str) -> float:
    """An amount from one money unit into another, in decimal arithmetic: 387664.62 元 is 38.766462 万元, not the
    float product 38.766462000000004."""
    factor = Decimal(repr(MONEY_FACTORS_TO_WANYUAN[unit])) / Decimal(repr(MONEY_FACTORS_TO_WANYUAN[into]))
    return float(Decimal(repr(float(number))) * factor)


def parse_value(raw: object) -> Parsed:
    """Read one cell value. Never raises. Cached: a form's checks ask for the same cells many times, and a batch
    of forms repeats the same texts (≥10台, 100%, 按期完成) endlessly."""
    if raw is None:
        return _BLANK
    # One cache per type: 1, 1.0 and True are equal as dict keys but are not the same cell value.
    cache = _PARSE_CACHES.get(raw.__class__)
    if cache is None:
        cache = _PARSE_CACHES.setdefault(raw.__class__, {})
    try:
        parsed = cache.get(raw)
    except TypeError:  # unhashable input
        return _parse(raw)
    if parsed is None:
        if len(cache) >= _PARSE_CACHE_SIZE:
            cache.clear()  # a long batch of varied texts: start afresh rather than grow without bound
        parsed = cache[raw] = _parse(raw)
    return parsed


_PARSE_CACHES: dict[type, dict[object, Parsed]] = {}
_PARSE_CACHE_SIZE = 65536


def _parse(raw: object) -> Parsed:
    if raw is None:
        return Parsed("empty", raw)
    if isinstance(raw, bool):
        return Parsed("text", raw, text=str(raw))
    if isinstance(raw, (int, float)):
        try:
            number = float(raw)
        except OverflowError:  # an int beyond float range: Excel shows #NUM! for such a number
            return Parsed("error", raw, text="#NUM!")
        if math.isnan(number) or math.isinf(number):
            return Parsed("error", raw, text=str(raw))
        return Parsed("number", raw, number=number)
    if isinstance(raw, (datetime, date)):
        return Parsed("text", raw, text=raw.isoformat())
    try:
        text = normalise_text(str(raw))
    except Exception:  # a str() that fails is an object we cannot read; say so, don't crash
        return Parsed("error", raw, text=repr(raw))
    if text == "":
        return Parsed("empty", raw)
    if text in NOT_APPLICABLE or text.lower() in NOT_APPLICABLE:
        return Parsed("na", raw, text=text)
    if text.upper() in EXCEL_ERRORS:
        return Parsed("error", raw, text=text.upper())
    comparator, rest = _split_comparator(text)
    match = _QUANTITY_RE.match(rest)
    if match and not _NOT_A_UNIT.search(match.group("unit")):
        try:
            number = float(match.group("num").replace(",", ""))
        except ValueError:
            return Parsed("text", raw, text=text)
        if math.isinf(number):
            return Parsed("text", raw, text=text)
        suffix = next((w for w in _WORD_SUFFIX if rest.endswith(w)), None)
        if comparator is None and suffix:
            comparator = _WORD_SUFFIX[suffix]
        typed_unit = match.group("unit").strip()
        typed_number = number
        unit, number = _normalise_unit(typed_unit, number)
        if unit != "万元" or typed_unit in ("万元", ""):
            typed_number, typed_unit = None, ""
        return Parsed("number", raw, number=number, unit=unit, comparator=comparator, typed_as_text=True, text=text,
                      typed_number=typed_number, typed_unit=typed_unit)
    return Parsed("text", raw, text=text)


_BLANK = _parse(None)


@lru_cache(maxsize=16384)  # pure; a form formats the same 分值 and amounts many times
def format_number(number: float) -> str:
    """Shortest plain decimal form (no exponent) that reads back as the same float: 2.5, 10, 0.0001, 0.00000012."""
    if not math.isfinite(number):
        return repr(number)
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    text = format(Decimal(repr(number)), "f")  # repr gives the shortest digits; "f" never writes an exponent
    return text.rstrip("0").rstrip(".") if "." in text else text


# The official blank template (财预〔2020〕10号) prints 三级指标 slots as `指标1：`, `指标2：`, `……`: a slot left empty is
# not an indicator, and `指标1：工程质量合格` is the indicator 工程质量合格.
# The colon is sometimes left out (`指标1工程资金金额`, 廊坊 2019): after Arabic digits the name may follow directly;
# after 一二三… it may not (`指标一` followed by a name is too close to a name of its own).
_PLACEHOLDER = re.compile(r"^(?:指标\s*(?:[0-9０-９]+\s*[:：]?|[一二三四五六七八九十]+\s*(?:[:：]|$))\s*(?P<name>.*)"
                          r"|…+|\.{2,}|。{3,}|．{2,})$", re.DOTALL)


_SLOT_STARTS = frozenset("指….。．")


def indicator_name(text: str) -> str | None:
    """The name in a 三级指标 text written on a template slot: `指标1：工程质量合格` → `工程质量合格`; `指标1：`, `……`,
    `...`, `指标1:/` → "" (an empty slot); None when the text is not written on a slot (it is the name as it stands)."""
    stripped = text.lstrip()
    if not stripped or stripped[0] not in _SLOT_STARTS:  # most names: decided without the pattern
        return None
    return _slot_name(stripped)


@lru_cache(maxsize=16384)
def _slot_name(text: str) -> str | None:
    match = _PLACEHOLDER.match(" ".join(text.split()))
    if match is None:
        return None
    name = (match.group("name") or "").strip()
    return "" if name in NOT_APPLICABLE else name  # `指标1:/`: the slot marked 'not applicable' is still empty


# CJK ideographs, CJK and full-width punctuation: a line break between two of these is where a printed form's narrow
# column wrapped a word, not a space between words.
_CJK_CHAR = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def one_line(text: Any) -> str:
    """A label on one line: white space runs become one space, except between two CJK characters, where the break
    only wrapped a word ("国家政策性粮收购\n价格执行率" → "国家政策性粮收购价格执行率"; "GDP\n增速" keeps a space)."""
    parts = str(text).split()
    if not parts:
        return ""
    joined = parts[0]
    for part in parts[1:]:
        joined += ("" if _CJK_CHAR.match(joined[-1]) and _CJK_CHAR.match(part[0]) else " ") + part
    return joined


@lru_cache(maxsize=16384)
def shown_number(number: float, decimals: int = 4) -> str:
    """A number as a message or an explanation shows it: at most `decimals` decimals (half up), no float noise, no
    exponent: 38.766462000000004 → 38.7665, 2.50 → 2.5, 1e-7 → 0. (format_number is the exact form, for cells.)"""
    if not math.isfinite(number):
        return repr(number)
    if abs(number) >= 1e15:
        return format_number(number)
    rounded = Decimal(f"{number:.15g}").quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = format(rounded, "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def shown_value(value: Parsed) -> str:
    """A parsed value as a message shows it: as typed (`72890元`, not 7.289万元), numbers by shown_number."""
    if value.kind == "number":
        prefix = _COMPARATOR_SYMBOL.get(value.comparator, "") if value.comparator else ""
        if value.typed_number is not None:
            return f"{prefix}{shown_number(value.typed_number)}{value.typed_unit}"
        return f"{prefix}{shown_number(value.number)}{value.unit}"
    if value.kind in ("empty",):
        return ""
    return value.text


def unit_as_typed(value: Parsed) -> str:
    return value.typed_unit or value.unit


def format_parsed(value: Parsed) -> str:
    """The canonical text of a parsed value: `≥10台`, `193.5万元`, `26.16%`, `项目按期完成`."""
    if value.kind == "number":
        prefix = _COMPARATOR_SYMBOL.get(value.comparator, "") if value.comparator else ""
        return f"{prefix}{format_number(value.number)}{value.unit}"
    if value.kind in ("empty",):
        return ""
    return value.text


def as_fraction(value: Parsed) -> float | None:
    """A rate typed as 0.2616, 26.16, `26.16%` or `1` (meaning 100 %), as a fraction.

    A bare number above 1.5 is read as percent points: nobody executes a budget at 150 × 100 %, while 1.5 as a
    ratio is plausible. Used for 执行率 cells, where the form prints a percentage.
    """
    if value.kind != "number":
        return None
    if value.unit == "%":
        return value.number / 100
    if value.unit:
        return None
    return value.number if abs(value.number) <= 1.5 else value.number / 100


_PRINTED_DIGITS = re.compile(r"[0-9][0-9,]*(?:\.([0-9]*))?")


def printed_rate_half_step(value: Parsed) -> float:
    """Half a step of the last digit a rate was printed with, as a fraction: `86%` stands for anything from 85.5 %
    to 86.5 % (0.005), `86.19%` for 86.185–86.195 % (0.00005), `0.86` for 0.855–0.865. 0 for a number cell: its
    digits are all there, whatever the display rounds to."""
    if value.kind != "number" or not value.typed_as_text:
        return 0.0
    match = _PRINTED_DIGITS.search(value.text)
    if match is None:
        return 0.0
    step = 10.0 ** -len(match.group(1) or "")
    if value.unit == "%" or (not value.unit and abs(value.number) > 1.5):  # percent points, as as_fraction reads them
        step /= 100
    return step / 2


def as_amount(value: Parsed) -> float | None:
    """An amount in 万元 (the unit both layouts print); bare numbers are taken as 万元."""
    if value.kind != "number" or value.unit not in ("", "万元"):
        return None
    return value.number


def comparable(target: Parsed, actual: Parsed) -> tuple[float, float] | None:
    """Target and actual on one scale, or None when their units cannot be compared.

    A bare number next to a unit takes that unit (`23` against `11台`): forms often leave the unit off the actual.
    The scale is the unit the target was typed in: a bare `72890` against `﹦ 72890 元` is 72890 元, not 72890 万元.
    """
    if target.kind != "number" or actual.kind != "number":
        return None
    if target.unit == "万元" or actual.unit == "万元":
        return _comparable_money(target, actual)
    if target.unit == actual.unit:
        return target.number, actual.number
    # A percent cell in Excel holds 0.96 and shows 96%: a bare number beside a percent is read as a rate.
    if target.unit == "%" and not actual.unit:
        return target.number, as_fraction(actual) * 100
    if actual.unit == "%" and not target.unit:
        return as_fraction(target) * 100, actual.number
    if not target.unit or not actual.unit:
        return target.number, actual.number
    return None


def _comparable_money(target: Parsed, actual: Parsed) -> tuple[float, float] | None:
    """Both amounts in the target's typed money unit (or the actual's, when the target is bare)."""
    if target.unit == "万元":
        scale = target.typed_unit or "万元"
        t = target.typed_number if target.typed_number is not None else target.number
        if not actual.unit:
            return t, actual.number
        if actual.unit != "万元":
            return None
        if actual.typed_unit == scale:
            a = actual.typed_number
        else:
            a = actual.number if scale == "万元" else convert_money(actual.number, "万元", scale)
        return t, a
    if target.unit:
        return None
    scale = actual.typed_unit or "万元"
    return target.number, actual.typed_number if actual.typed_number is not None else actual.number


# --- Dates and periods (时效指标: 完成时限 2019年 → 2020年) ---------------------------------------------------------

_YEARS = range(1990, 2101)  # a 4-digit number outside this is a quantity (2000台), not a year
# A deadline as typed: an optional "by" word, the date or period, an optional 前/之前 and an optional verb after it.
_DEADLINE_BY = r"(?:不晚于|不迟于|截至|截止|≤|<=|<)?\s*"
_DEADLINE_TAIL = r"\s*(?:之前|以前|前|止)?\s*(?:全部完成|前完成|内完成|完成|完工|竣工|办结|验收|交付|上线)?$"
_YMD = re.compile(_DEADLINE_BY + r"(?P<y>\d{4})\s*年(?:度)?(?:\s*(?P<m>\d{1,2})\s*月(?:份)?(?:\s*(?P<d>\d{1,2})\s*[日号])?)?"
                  r"\s*(?:底|末|内|年底|年末)?" + _DEADLINE_TAIL)
_ISO = re.compile(_DEADLINE_BY + r"(?P<y>\d{4})[-/](?P<m>\d{1,2})(?:[-/](?P<d>\d{1,2}))?(?:T[\d:.]+)?" + _DEADLINE_TAIL)
# `2019.12`, `2019.12.31` and a bare `2019` are dates only where a date is expected (a 时效指标): elsewhere a number.
_DOTTED = re.compile(_DEADLINE_BY + r"(?P<y>\d{4})(?:\.(?P<m>\d{1,2})(?:\.(?P<d>\d{1,2}))?)?" + _DEADLINE_TAIL)
# Month or year-end without a year (`12月底前`, `年底前`): the form's 年度 supplies the year.
_MONTH_ONLY = re.compile(_DEADLINE_BY + r"(?:当年|本年度?)?\s*(?P<m>\d{1,2})\s*月(?:份)?(?:\s*(?P<d>\d{1,2})\s*[日号])?"
                         r"\s*(?:底|末|中旬|上旬|下旬)?" + _DEADLINE_TAIL)
_YEAR_END = re.compile(_DEADLINE_BY + r"(?:当年|本年度?|年度)?\s*(?:年底|年末|年内|年度内|当年内)" + _DEADLINE_TAIL)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A date or period typed in a target or actual cell, as the last day it covers: `2019年` → 2019-12-31,
    `2019年12月` / `2019-12` → 2019-12-31, `12月底前` in a 2019 form → 2019-12-31. `text` is the cell as typed."""

    last_day: date
    text: str


def _last_day(year: int, month: int | None, day: int | None) -> date | None:
    if year not in _YEARS or (month is not None and not 1 <= month <= 12):
        return None
    if month is None:
        return date(year, 12, 31)
    if day is None:
        following = date(year + (month == 12), month % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)
    try:
        return date(year, month, day)
    except ValueError:  # 2月30日
        return None


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def read_deadline(value: Parsed, year: int | None = None, expect_date: bool = False) -> Deadline | None:
    """The date or period a cell holds, or None when it is no date (`按时完成`, `及时`, `3个月内`, `≥8年`).

    `year` is the form's 年度, for `12月底前` and `年底前`. `expect_date` (the row is a 时效指标) also reads the
    forms that are numbers elsewhere: `2019.12`, `2019.12.31` and a bare `2019`. Pure; never raises."""
    if value.raw.__class__ in (date, datetime):
        day = value.raw if value.raw.__class__ is date else value.raw.date()
        return Deadline(day, day.isoformat())  # a date cell: shown as its date, without 00:00:00
    if value.kind == "number" and not value.text:  # a number cell: only a bare year, where a date is expected
        number = value.number
        if expect_date and number == int(number) and int(number) in _YEARS:
            return Deadline(date(int(number), 12, 31), format_number(number))
        return None
    text = value.text
    if value.kind not in ("number", "text") or not text or not any(ch.isdigit() or ch in "年月" for ch in text):
        return None
    patterns = [_YMD, _ISO] + ([_DOTTED] if expect_date else [])
    for pattern in patterns:
        match = pattern.match(text)
        if match:
            last = _last_day(int(match.group("y")), _int(match.group("m")), _int(match.group("d")))
            return Deadline(last, text) if last else None
    if year is None or year not in _YEARS:
        return None
    match = _MONTH_ONLY.match(text)
    if match:
        last = _last_day(year, int(match.group("m")), _int(match.group("d")))
        return Deadline(last, text) if last else None
    if _YEAR_END.match(text):
        return Deadline(date(year, 12, 31), text)
    return None
