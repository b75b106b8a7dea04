"""Recognising forms that were not made from our templates, by their labels.

A printed 自评表 typed into Excel by a unit (or converted from a PDF) has no defined names: we find each thing by
the labels people print beside it, listed in the family descriptions (families/*.toml, the `labels` arrays).

How a sheet is read, in one pass over its cells:
- every short text cell is indexed under its label key (values.label_key: no spaces, line breaks, punctuation; NFKC
  so full-width characters match) and under its core (the key without a bracketed note such as （万元） or （50分）,
  and without a leading 其中), so `年度\n指标值`, `项目支\n出名称`, `分值（分）` and `其中：本年财政拨款` all match;
- merged ranges are mapped once, so a merged label's value is looked for right of its whole width, and a merged
  分值 over a block reads as a value on the first row and empty on the others (what analysis.py expects).

Then everything is looked up in that index: no label search rescans the sheet.

Recognition runs once per file of a batch, next to a raw read that costs well under a millisecond, so it is kept
cheap: the pass does work only for text cells, and what a text says (its keys, a year in it, a `label：value` split)
is worked out once per distinct text and remembered across forms; a merged range is noted once per row it spans (its
columns and top-left), not once per cell it covers; a family's label keys are worked out once; the table header found
while detecting the family is reused; and the table's cells are built straight from its rows.

- A field's value is the first non-empty cell right of its label in the same row, stopping at another label; when
  there is none, the cell below the label.
- The indicator / 评分表 table starts at the first row holding its key column labels (standard: 三级指标, 年度指标值,
  实际完成值, 分值; legacy: 三级指标, 指标分值 / 分值, 评价得分 / 得分), possibly with a second header row under it
  (湖北: 年度指标值 split into 指标性质 / 指标值 / 度量单位, joined back into one target text), and runs to the
  总分 / 合计 / 综合得分 row or the end of the sheet. Header rows repeated on a second printed page are skipped.
- Legacy 评分表 rows like `投入： 20 13.25` are subtotal rows: their score is the printed subtotal and the rows below
  get that 一级指标.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .grid import FormReadError, Grid, GridBook, ref
from .model import Cell, Family, Form, load_family
from .values import format_number, label_key, one_line

# --- Label keys ----------------------------------------------------------------------------------------------

_BRACKETED = re.compile(r"\([^()]*\)")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_INLINE_SPLIT = re.compile(r"\s*[:：]\s*|\s+")
_YEAR_DIGITS = re.compile(r"\d{4}")
_UNIT_NOTE = re.compile(r"\((元|万元|千元)\)")
_YEAR_ONLY = re.compile(r"(?:19|20)\d{2}\s*年?度?")

LONG_TEXT = 80  # longer texts are narratives, never labels: not indexed

# Labels the family files do not list because they are not values we read, but which mark where a value ends
# (a field's value scan stops at any label) or which split the target over three columns.
SECTION_LABELS = ("项目资金", "项目资金情况", "年度总体目标", "绩效指标", "评分表", "项目概况", "项目资金使用情况",
                  "项目组织实施情况", "绩效目标实现情况", "项目绩效情况", "其他需说明的问题", "评价人员", "填报单位",
                  "填报单位公章", "联系电话", "负责人", "经办人", "填报日期", "填表人", "资金到位率", "预算执行率",
                  "得分汇总", "姓名", "职称职务", "科室", "单位负责人签章", "金额单位", "单位")
SPLIT_COMPARATOR_LABELS = ("指标性质", "指标符号", "比较符", "符号")
SPLIT_VALUE_LABELS = ("指标值", "数值")
SPLIT_UNIT_LABELS = ("度量单位", "计量单位", "单位")
TOTAL_LABELS = ("总分", "合计", "总计", "综合得分", "得分合计", "总得分")
# A 指标性质 that is a word, not a comparator.
_NATURE_WORDS = {"定性": "", "定量": "", "正向": "≥", "正向指标": "≥", "反向": "≤", "反向指标": "≤"}
# What a grade cell may hold (anything longer is a note beside it, e.g. the template's band text).
_GRADE_WORDS = {"优", "良", "中", "差", "优秀", "良好", "合格", "不合格", "较差", "一般"}

REQUIRED_COLUMNS = {"standard": ("name", "target", "actual", "weight"), "legacy": ("name", "weight", "score")}
FAMILY_TITLES = {"standard": "标准表样", "legacy": "评分表表样"}


@lru_cache(maxsize=65536)
def _keys(text: str) -> tuple[str, str]:
    """(key, core) of a label text: core drops bracketed notes and a leading 其中."""
    key = label_key(text)
    core = key
    if "(" in text or "（" in text or "﹙" in text:
        core = label_key(_BRACKETED.sub("", unicodedata.normalize("NFKC", text)))
    if core.startswith("其中") and len(core) > 2:
        core = core[2:]
    return key, core or key


def key_of(text: str) -> str:
    return _keys(text)[0]


def _label_keys(labels) -> tuple[str, ...]:
    return tuple(key_of(label) for label in labels)


def _may_be_inline(text: str) -> bool:
    return "：" in text or ":" in text or " " in text or "\u3000" in text or "\n" in text


def _inline(text: str) -> tuple[str, str] | None:
    """`实施单位：某某中心` / `实施单位 某某中心` → (label key, value text)."""
    normal = unicodedata.normalize("NFKC", text).strip()
    parts = _INLINE_SPLIT.split(normal, maxsplit=1)
    if len(parts) != 2 or not parts[0] or not parts[1].strip():
        return None
    return label_key(parts[0]), parts[1].strip()


def _year_in(text: str) -> int | None:
    match = _YEAR_IN_TEXT.search(unicodedata.normalize("NFKC", text))
    return int(match.group(1)) if match else None


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# What the index needs of one short text, worked out once per distinct text (a batch repeats the same labels in
# every form): its label key when that is all (most texts); else (key, core or None, the year it names or None, its
# `label：value` split or None); False when its key is empty (only spaces or punctuation: not indexed).
_TEXT_INFO: dict[str, str | tuple | bool] = {}
_TEXT_INFO_MAX = 65536


def _text_info(text: str) -> str | tuple | bool:
    key, core = _keys(text)
    if not key:
        info = False
    else:
        year = _year_in(text) if "年" in text and len(text) <= 40 else None
        pair = _inline(text) if _may_be_inline(text) else None
        core = core if core != key else None
        info = key if core is None and year is None and pair is None else (key, core, year, pair)
    if len(_TEXT_INFO) >= _TEXT_INFO_MAX:
        _TEXT_INFO.clear()
    _TEXT_INFO[text] = info
    return info


# --- The per-sheet index -------------------------------------------------------------------------------------


class SheetIndex:
    """One sheet's short text cells by label key, its `label：value` cells, its year texts and its merged ranges.

    positions: key / core → cells, row-major. inline: label key → (row, col, value text), row-major. years: (row,
    col, year) of short texts naming a year (2020年度), row-major. merge_end: a merged range's top-left → (bottom,
    right). Which merged range covers a cell (not its top-left): covered_at, from `spans`."""

    __slots__ = ("grid", "values", "height", "width", "positions", "inline", "years", "merge_end", "spans",
                 "_headers")

    def __init__(self, grid: Grid):
        self.grid = grid
        self.values = grid.values
        self.height = len(grid.values)
        self.width = max(map(len, grid.values), default=0)
        self.positions: dict[str, list[tuple[int, int]]] = {}
        self.inline: dict[str, list[tuple[int, int, str]]] = {}
        self.years: list[tuple[int, int, int]] = []
        self.merge_end: dict[tuple[int, int], tuple[int, int]] = {}
        # Per row (None: no merged ranges on the sheet): (left, right, top) of each merged range over the row that
        # covers more than its top-left, in the grid's order, or None. Not one entry per covered cell: a merged
        # narrative block covers hundreds.
        self.spans: list[list[tuple[int, int, int]] | None] | None = None
        self._headers: dict = {}  # family spec → _find_header's answer (detection and reading ask for the same)

    @classmethod
    def build(cls, grid: Grid) -> SheetIndex:
        index = cls(grid)
        positions = index.positions
        info_of = _TEXT_INFO.get
        long_text = LONG_TEXT
        extras = None
        for r, row in enumerate(index.values):
            for c, value in enumerate(row):
                if value is None or value.__class__ is not str:
                    continue
                key = info_of(value)
                if key is None:
                    if len(value) > long_text:
                        continue
                    key = _text_info(value)
                if key.__class__ is not str:
                    if key is False:
                        continue
                    if extras is None:
                        extras = []
                    extras.append((r, c, key))
                    key = key[0]
                found = positions.get(key)
                if found is None:
                    positions[key] = [(r, c)]
                else:
                    found.append((r, c))
        if extras is not None:
            index._add_extras(extras)
        if grid.merged:
            height, width = index.height, index.width
            merge_end = index.merge_end
            spans = index.spans = [None] * height
            for top, left, bottom, right in grid.merged:
                if bottom >= height:
                    bottom = height - 1
                if right >= width:
                    right = width - 1
                if bottom < top or right < left:
                    continue
                merge_end[(top, left)] = (bottom, right)
                if bottom > top or right > left:  # covers more than its top-left
                    span = (left, right, top)
                    for r in range(top, bottom + 1):
                        here = spans[r]
                        if here is None:
                            spans[r] = [span]
                        else:
                            here.append(span)
        return index

    def _add_extras(self, extras: list[tuple[int, int, tuple]]) -> None:
        """The few texts with more to them than a key: a core, a year, a `label：value` split (row-major)."""
        positions, inline, years = self.positions, self.inline, self.years
        mixed = []  # keys whose cells now hold cores after the cells keyed so: back to row-major
        for r, c, (_, core, year, pair) in extras:
            if core is not None:
                found = positions.get(core)
                if found is None:
                    positions[core] = [(r, c)]
                else:
                    if found[-1] > (r, c):
                        mixed.append(found)
                    found.append((r, c))
            if year is not None:
                years.append((r, c, year))
            if pair is not None:
                found = inline.get(pair[0])
                if found is None:
                    inline[pair[0]] = [(r, c, pair[1])]
                else:
                    found.append((r, c, pair[1]))
        for found in mixed:
            found.sort()

    def row_spans(self, r: int) -> list[tuple[int, int, int]] | None:
        spans = self.spans
        return spans[r] if spans is not None and 0 <= r < len(spans) else None

    def covered_at(self, r: int, c: int) -> tuple[int, int] | None:
        """The top-left of the merged range covering (r, c) when (r, c) is not that top-left; else None. Where
        ranges overlap (a damaged file), the one listed last wins."""
        spans = self.spans
        if spans is None or not 0 <= r < len(spans):
            return None
        spans = spans[r]
        if spans:
            for left, right, top in reversed(spans):
                if left <= c <= right and (top != r or left != c):
                    return top, left
        return None

    def _find(self, keys: tuple[str, ...]) -> list[tuple[int, int]]:
        """Cells under any of `keys`, row-major (may be the index's own list: do not change it)."""
        positions = self.positions
        first = more = None
        for key in keys:
            found = positions.get(key)
            if found:
                if first is None:
                    first = found
                elif more is None:
                    more = [first, found]
                else:
                    more.append(found)
        if more is not None:
            return sorted(set().union(*more))
        return first if first is not None else []  # one key's cells: already row-major, each once

    def find(self, labels) -> list[tuple[int, int]]:
        """Cells matching any of `labels`, row-major."""
        return list(self._find(_label_keys(labels)))

    def _has(self, keys: tuple[str, ...]) -> bool:
        positions = self.positions
        for key in keys:
            if key in positions:
                return True
        return False

    def has(self, labels) -> bool:
        return self._has(_label_keys(labels))

    def end_of(self, r: int, c: int) -> tuple[int, int]:
        return self.merge_end.get((r, c), (r, c))

    def get(self, r: int, c: int):
        if 0 <= r < self.height:
            row = self.values[r]
            if 0 <= c < len(row):
                return row[c]
        return None

    def text(self, r: int, c: int) -> str:
        value = self.get(r, c)
        return value if isinstance(value, str) else ""

    def cell(self, r: int, c: int) -> Cell:
        return self.grid.cell(r, c)

    def row_cells(self, r: int, columns: dict[str, int]) -> dict[str, Cell]:
        return self.grid.row_cells(r, columns)


@lru_cache(maxsize=None)
def _known_labels() -> frozenset[str]:
    """Every label of every family (a field's value scan stops at any of them)."""
    from .model import family_ids

    labels: set[str] = set(SECTION_LABELS) | set(SPLIT_COMPARATOR_LABELS) | set(SPLIT_UNIT_LABELS) | set(TOTAL_LABELS)
    for fid in family_ids():
        data = load_family(fid).data
        for spec in data.get("fields", {}).values():
            labels.update(spec.get("labels", []))
        budget = data.get("budget", {})
        for spec in budget.get("rows", []) + budget.get("columns", []):
            labels.update(spec.get("labels", []))
        for spec in data.get("funding", {}).values():
            labels.update(spec.get("labels", []))
            if spec.get("section"):
                labels.add(spec["section"])
        table = data.get("indicators") or data.get("score_table") or {}
        for spec in table.get("columns", []):
            labels.update(spec.get("labels", []))
        labels.update(table.get("end_labels", []))
        for spec in data.get("points", {}).values():
            labels.update(spec.get("labels", []))
        for group in table.get("groups", []):
            labels.add(group["label"])
    return frozenset(key_of(label) for label in labels)


def _is_label(value, known: frozenset[str]) -> bool:
    if value.__class__ is not str or len(value) > LONG_TEXT:
        return False
    key, core = _keys(value)
    return key in known or core in known


# --- Fields --------------------------------------------------------------------------------------------------


def _value_beside(ix: SheetIndex, r: int, c: int, known: frozenset[str], accept=None) -> Cell | None:
    """The value of the label at (r, c): the first non-empty cell to its right in the same row (skipping merged
    continuation, stopping at another label), else the cell below it. When there is no value: an empty Cell at the
    slot right of the label, so a message can name it; None when the label has no room beside it.

    A blank box drawn right of the label (a merged cell, or one holding only spaces) is the value's place: the
    field is empty, and the cell below (usually the next section) is not looked at."""
    merge_end = ix.merge_end
    bottom, right = merge_end.get((r, c), (r, c))
    row = ix.values[r] if r < ix.height else []
    merged_row = ix.row_spans(r) is not None
    slot: tuple[int, int] | None = None
    drawn = False
    cc = right + 1
    while cc < len(row):
        if merged_row and ix.covered_at(r, cc) is not None:
            cc += 1
            continue
        value = row[cc]
        if _is_blank(value):
            boxed = value is not None or (r, cc) in merge_end
            if slot is None and (boxed or cc == right + 1):
                slot, drawn = (r, cc), boxed
        elif _is_label(value, known):
            break
        elif accept is None or accept(value):
            return ix.cell(r, cc)
        elif slot is None:
            slot, drawn = (r, cc), True
        end = merge_end.get((r, cc))
        cc = (end[1] if end is not None else cc) + 1
    if not drawn:
        below = ix.get(bottom + 1, c)
        if not _is_blank(below) and not _is_label(below, known) and (accept is None or accept(below)):
            return ix.cell(bottom + 1, c)
    return ix.cell(*slot) if slot is not None else None


def _field(ix: SheetIndex, keys: tuple[str, ...], known: frozenset[str], accept=None) -> Cell | None:
    """A field by its label keys: the first label occurrence with a value; else its empty slot; else a
    `label：value` cell."""
    first_slot = None
    for r, c in ix._find(keys):
        cell = _value_beside(ix, r, c, known, accept)
        if cell is None:
            continue
        if not _is_blank(cell.value):
            return cell
        first_slot = first_slot or cell
    inline = ix.inline
    for key in keys:
        for r, c, text in inline.get(key, ()):
            if accept is None or accept(text):
                return Cell(text, ref(r, c))
    return first_slot


def _year(ix: SheetIndex, keys: tuple[str, ...], known: frozenset[str], before_row: int) -> Cell | None:
    """年度: a 年度 label with the year beside it; the template's `（ | 2023 | 年度）` with the number left of the 年度
    text; or a title line such as `（ 2020 年度）` or `邵阳市2023年度项目支出绩效自评表` above the table."""
    slot = None
    for r, c in ix._find(keys):
        text = unicodedata.normalize("NFKC", ix.text(r, c)).strip()
        if text.endswith(")"):  # `年度）` closing a bracket: the year is the number left of it
            cc = c - 1
            while cc >= 0 and ix.get(r, cc) is None and ix.covered_at(r, cc) is not None:
                cc -= 1
            if cc >= 0 and _is_year(ix.get(r, cc)):
                return _as_year_cell(ix.cell(r, cc))
            continue
        cell = _value_beside(ix, r, c, known, _is_year)
        if cell is not None and not _is_blank(cell.value):
            return _as_year_cell(cell)
        slot = slot or cell
    for r, c, year in ix.years:
        if r < before_row:
            return Cell(year, ref(r, c))
    return slot


def _as_year_cell(cell: Cell) -> Cell:
    if isinstance(cell.value, str):
        return Cell(int(_YEAR_DIGITS.search(unicodedata.normalize("NFKC", cell.value)).group()), cell.ref, cell.is_formula)
    return cell


def _is_year(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return 1990 <= value <= 2100 and value == int(value)
    if isinstance(value, str):
        return bool(_YEAR_ONLY.fullmatch(unicodedata.normalize("NFKC", value).strip()))
    return False


def _grade_like(value) -> bool:
    return isinstance(value, str) and label_key(value) in _GRADE_WORDS


# --- Tables --------------------------------------------------------------------------------------------------


@dataclass
class Header:
    row: int  # first header row (0-based)
    bottom: int  # last header row
    columns: dict[str, int]  # column key → column index
    split: tuple[int, int | None, int | None] | None = None  # (value col, comparator col, unit col) of a split target


def _column_labels(family: Family) -> dict[str, list[str]]:
    return {spec["key"]: spec.get("labels", []) for spec in family.table.get("columns", []) if not spec.get("owned")}


_SPLIT_COMPARATOR_KEYS = _label_keys(SPLIT_COMPARATOR_LABELS)
_SPLIT_VALUE_KEYS = _label_keys(SPLIT_VALUE_LABELS)
_SPLIT_UNIT_KEYS = _label_keys(SPLIT_UNIT_LABELS)
_SPLIT_HEADER_KEYS = _SPLIT_COMPARATOR_KEYS + _SPLIT_UNIT_KEYS
_TOTAL_KEYS = _label_keys(TOTAL_LABELS)
_LEGACY_SCORE_KEYS = _label_keys(["指标分值", "评价得分"])
_INPUT_KEYS, _PROCESS_KEYS = _label_keys(["投入"]), _label_keys(["过程"])
_STANDARD_SIGNAL_KEYS = _label_keys(["年度资金总额", "绩效指标"])
_FUNDING_SECTION_KEYS = _label_keys(["项目资金", "项目资金情况"])


class _FamilySpec:
    """A family's labels as keys, worked out once (recognition asks for them for every form)."""

    def __init__(self, family: Family):
        data = self.data = family.data
        columns = _column_labels(family)
        self.columns = tuple((key, _label_keys(labels)) for key, labels in columns.items())
        # Columns printed under a label the header repeats (分值 beside each of 一级 / 二级 / 三级指标): placed by the
        # column they stand right of (`right_of` in the family's columns), not by the first such label in the row.
        self.right_of = tuple((spec["key"], _label_keys(spec.get("labels", [])), spec["right_of"])
                              for spec in family.table.get("columns", []) if spec.get("right_of"))
        recognition = data.get("recognition", {})
        self.required = tuple(recognition.get("required_columns")
                              or REQUIRED_COLUMNS.get(family.id, REQUIRED_COLUMNS["standard"]))
        self.signals = _label_keys(recognition.get("signals", []))
        # Column labels the family's table never has (a form without points: 分值, 得分): a header holding one is not it.
        self.absent = _label_keys(recognition.get("absent_columns", []))
        self.title = re.compile(recognition["title"]) if recognition.get("title") else None
        self.end_keys = _label_keys(family.table.get("end_labels", []))
        self.points = tuple((key, _label_keys(entry["labels"])) for key, entry in data.get("points", {}).items())
        self.indicators = bool(data.get("indicators"))
        self.header_keys = tuple(dict.fromkeys(key for _, keys in self.columns for key in keys))
        self.groups = {key_of(g["label"]): g["label"] for g in family.table.get("groups", [])}
        self.group_texts: dict[str, str | None] = {}  # text → _group_of(text), as met
        self.fields = tuple((key, _label_keys(spec.get("labels", []))) for key, spec in family.fields.items())
        self.target_actual = tuple((key, keys) for key, keys in self.columns if key in ("target", "actual"))
        budget = data.get("budget")
        self.budget = None
        if budget:
            self.budget = (
                tuple(c["key"] for c in budget["columns"] if c["key"] in ("initial", "annual", "executed")),
                tuple((c["key"], _label_keys(c["labels"])) for c in budget["columns"]),
                tuple((row["key"], _label_keys(row["labels"])) for row in budget["rows"]),
            )
        funding = data.get("funding", {})
        sections = {entry["section"] for entry in funding.values() if entry.get("section")}
        self.funding_sections = tuple((section, (key_of(section),)) for section in sections)
        self.funding_lines = tuple(_label_keys(entry["labels"]) for entry in funding.values()
                                   if not entry.get("section") and entry.get("labels"))
        self.funding = tuple((key, _label_keys(entry["labels"]), entry.get("section")) for key, entry in funding.items()
                             if entry.get("labels"))

    def signalled(self, ix: SheetIndex) -> bool:
        """One of the family's own labels is on the sheet, or a title such as `2020年度财政项目绩效自评表`."""
        if self.signals and ix._has(self.signals):
            return True
        if self.title is not None:
            return any(self.title.match(key_of(ix.text(r, c))) for r, c, _ in ix.years)
        return False

    def group_of(self, text: str) -> str | None:
        """_group_of(text), remembered (a batch prints the same row labels in every form)."""
        group = _group_of(text, self.groups)
        if len(self.group_texts) >= _TEXT_INFO_MAX:
            self.group_texts.clear()
        self.group_texts[text] = group
        return group


_SPECS: dict[str, _FamilySpec] = {}


def _spec(family: Family) -> _FamilySpec:
    spec = _SPECS.get(family.id)
    if spec is None or spec.data is not family.data:
        spec = _SPECS[family.id] = _FamilySpec(family)
    return spec


def _find_header(ix: SheetIndex, family: Family) -> tuple[Header | None, tuple[int, dict[str, int]] | None]:
    """The table header (first row holding the family's key column labels, with an optional second header row
    under it), or (None, the best partial header row) for the message. Found once per sheet and family: detection
    and reading ask for the same."""
    spec = _spec(family)
    found = ix._headers.get(spec)
    if found is None:
        found = ix._headers[spec] = _search_header(ix, spec)
    return found


def _rows_with(ix: SheetIndex, columns: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[int, dict[str, int]]:
    """row → {column key: column} for every header label on the sheet. Within a row, the label listed first in the
    family wins over a looser synonym (年度指标值 over 指标值), and the leftmost cell over a later one."""
    positions = ix.positions
    by_row: dict[int, dict[str, int]] = {}
    for key, keys in columns:
        for label_key_ in keys:
            for r, c in positions.get(label_key_, ()):
                by_row.setdefault(r, {}).setdefault(key, c)
    return by_row


def _search_header(ix: SheetIndex, spec: _FamilySpec) -> tuple[Header | None, tuple[int, dict[str, int]] | None]:
    required = spec.required
    by_row = _rows_with(ix, spec.columns)
    split_rows = {r for r, _ in ix._find(_SPLIT_HEADER_KEYS)}
    absent_rows = {r for r, _ in ix._find(spec.absent)} if spec.absent else set()
    best: tuple[int, dict[str, int]] | None = None
    best_count = 0
    for r in sorted(by_row):
        here = by_row[r]
        if spec.right_of:
            here = _placed_right_of(ix, r, here, spec.right_of)
        below = by_row.get(r + 1, {})
        present = sum([key in here for key in required])
        if present > best_count:
            best, best_count = (r, here), present
        if present < 2 or not all([key in here or key in below for key in required]):
            continue
        if not spec.indicators and _standard_table_row(ix, r):
            continue  # 年度指标值 / 实际完成值: a 绩效指标 table, not a 评分表
        if r in absent_rows or (below and r + 1 in absent_rows):
            continue  # a 分值 / 得分 column: a scored form of another family
        mapping = dict(below)
        mapping.update(here)
        bottom = max([r] + [ix.end_of(r, c)[0] for c in here.values()])
        if below or (r + 1) in split_rows:
            bottom = max(bottom, r + 1)
        header = Header(r, bottom, mapping)
        if spec.indicators:
            header.split = _split_target(ix, header)
            if header.split:
                header.columns["target"] = header.split[0]
        return header, None
    return None, best


def _placed_right_of(ix: SheetIndex, r: int, here: dict[str, int],
                     right_of: tuple[tuple[str, tuple[str, ...], str], ...]) -> dict[str, int]:
    """Header row r's columns with each `right_of` column placed as the first cell holding its label right of the
    column it belongs to and before the next other column (一级指标 | 分值 | 二级指标 | 分值 | 三级指标 | 分值: three 分值,
    one per level). Not printed there: not mapped, so a header without it is not the family's."""
    placed = {key for key, _, _ in right_of}
    anchors = {key: c for key, c in here.items() if key not in placed}
    columns = dict(anchors)
    for key, keys, after in right_of:
        start = anchors.get(after)
        if start is None:
            continue
        bound = min([c for c in anchors.values() if c > start], default=ix.width)
        col = next((c for rr, c in ix._find(keys) if rr == r and start < c < bound), None)
        if col is not None:
            columns[key] = col
    return columns


def _standard_table_row(ix: SheetIndex, r: int) -> bool:
    positions = ix.positions
    found = {key for key, keys in _spec(load_family("standard")).target_actual for label_key_ in keys
             if any(pr == r for pr, _ in positions.get(label_key_, ()))}
    return len(found) == 2


def _split_target(ix: SheetIndex, header: Header) -> tuple[int, int | None, int | None] | None:
    """指标性质 / 指标值 / 度量单位 in the header rows: the target is those three cells joined."""
    rows = range(header.row, header.bottom + 1)
    nature = [(r, c) for r, c in ix._find(_SPLIT_COMPARATOR_KEYS) if r in rows]
    unit = [(r, c) for r, c in ix._find(_SPLIT_UNIT_KEYS) if r in rows]
    if not nature and not unit:
        return None
    anchor_row = (nature or unit)[0][0]
    values = [c for r, c in ix._find(_SPLIT_VALUE_KEYS) if r == anchor_row]
    # 年度指标值 | 计量单位 (no 指标值 sub-header): the number is in the target column itself.
    value_col = values[0] if values else header.columns.get("target")
    if value_col is None:
        return None
    nature_col = next((c for r, c in nature if r == anchor_row), None)
    unit_col = next((c for r, c in unit if r == anchor_row), None)
    return value_col, nature_col, unit_col


def _joined_target(ix: SheetIndex, r: int, split: tuple[int, int | None, int | None], cell: Cell | None = None) -> Cell:
    """The split target of row r as one cell (`cell`: the value column's cell, when already made)."""
    value_col, nature_col, unit_col = split
    if cell is None:
        cell = ix.cell(r, value_col)
    nature = ix.get(r, nature_col) if nature_col is not None else None
    unit = ix.get(r, unit_col) if unit_col is not None else None
    if _is_blank(nature) and _is_blank(unit):
        return cell
    if _is_blank(cell.value):
        return cell
    nature_text = "" if _is_blank(nature) else str(nature).strip()
    nature_text = _NATURE_WORDS.get(label_key(nature_text), nature_text)
    value = cell.value
    value_text = format_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value).strip()
    unit_text = "" if _is_blank(unit) else str(unit).strip()
    return Cell.at(f"{nature_text}{value_text}{unit_text}", r, value_col, cell.is_formula)


def _total_rows(ix: SheetIndex, after: int, before_col: int) -> list[int]:
    return sorted({r for r, c in ix._find(_TOTAL_KEYS) if r > after and c < before_col})


def _header_repeats(ix: SheetIndex, keys: tuple[str, ...]) -> set[int]:
    """Rows where a header is printed again (a table continued on a second page, or a summary block's own header):
    two or more cells holding a column label."""
    positions = ix.positions
    cells: set[tuple[int, int]] = set()
    for key in keys:
        found = positions.get(key)
        if found:
            cells.update(found)
    counts: dict[int, int] = {}
    for r, _ in cells:
        counts[r] = counts.get(r, 0) + 1
    return {r for r, n in counts.items() if n >= 2}


_UNSEEN = object()


def _group_of(value, groups: dict[str, str]) -> str | None:
    if value.__class__ is not str or len(value) > LONG_TEXT:
        return None
    key, core = _keys(value)
    for candidate in (key, core, core[:-2] if core.endswith("指标") else None):
        if candidate and candidate in groups:
            return groups[candidate]
    return None


@dataclass
class TableRead:
    rows: list[dict[str, Cell]]
    subtotals: dict[str, Cell]
    total: Cell | None
    end: int


def _read_table(ix: SheetIndex, header: Header, family: Family) -> TableRead:
    spec = _spec(family)
    values = ix.values
    columns = header.columns
    weight_col = columns.get("weight", columns.get("score", ix.width))
    name_col = columns.get("name")
    totals = _total_rows(ix, header.bottom, max(weight_col, 1))
    end = totals[0] if totals else ix.height
    if spec.end_keys:  # reason rows under the table (湖北) end it when no 总分 row does first
        end = min([end] + [r for r, _ in ix._find(spec.end_keys) if r > header.bottom])
    groups, group_of = spec.groups, spec.group_texts
    repeats = _header_repeats(ix, spec.header_keys)
    items = list(columns.items())
    split = header.split
    target_made = split is not None and columns.get("target") == split[0]
    merged = ix.spans is not None
    check_name = merged and name_col is not None
    level1 = "level1" not in columns
    rows: list[dict[str, Cell]] = []
    subtotals: dict[str, Cell] = {}
    group: tuple[str, str] | None = None  # (label, ref of its subtotal row label)
    for r in range(header.bottom + 1, end):
        if r in repeats:
            continue
        row = values[r]
        width = len(row)
        if groups:
            label_ = None
            for lead in range(min(weight_col, width)):  # the row's first non-blank cell left of the 分值
                value = row[lead]
                if _is_blank(value):
                    continue
                if value.__class__ is str:
                    label_ = group_of.get(value, _UNSEEN)
                    if label_ is _UNSEEN:
                        label_ = spec.group_of(value)
                break
            if label_:
                name_here = row[name_col] if name_col is not None and name_col < width else None
                if (name_col is None or lead >= name_col or _is_blank(name_here)
                        or (merged and ix.covered_at(r, name_col) is not None)):
                    if "score" in columns:
                        subtotals[label_] = ix.cell(r, columns["score"])
                    group = (label_, ref(r, lead))
                    continue
        cells = ix.row_cells(r, columns)
        if split is not None:
            cells["target"] = _joined_target(ix, r, split, cells["target"] if target_made else None)
        if check_name:
            name = row[name_col] if name_col < width else None
            covering = ix.covered_at(r, name_col) if _is_blank(name) else None
            if covering is not None:
                top, left = covering
                if top == r and left < name_col:  # a name printed across the 二级/三级 columns
                    cells["name"] = ix.cell(r, left)
                    for key, c in items:
                        if c == left and key != "name":
                            cells[key] = Cell(None, "")
        if group is not None and level1:
            cells["level1"] = Cell(group[0], group[1])
        rows.append(cells)
    total = None
    if totals:
        r = totals[0]
        score_col = columns.get("score")
        if score_col is not None:
            total = ix.cell(r, score_col)  # blank when not printed: the engine fills it
        else:
            numbers = [c for c, v in enumerate(values[r]) if isinstance(v, (int, float)) and not isinstance(v, bool)]
            total = ix.cell(r, numbers[-1]) if numbers else None
    return TableRead(rows, subtotals, total, end)


# --- Budget (standard) and funding (legacy) ------------------------------------------------------------------


def _read_budget(ix: SheetIndex, family: Family, before_row: int) -> tuple[dict[str, dict[str, Cell]], str | None]:
    spec = _spec(family).budget
    if not spec:
        return {}, None
    amount_keys, column_keys, row_keys = spec
    by_row: dict[int, dict[str, int]] = {}
    for col_key, keys in column_keys:
        for r, c in ix._find(keys):
            by_row.setdefault(r, {}).setdefault(col_key, c)
    header_row = None
    for r in sorted(by_row):
        if r < before_row:
            here = by_row[r]
            if sum([key in here for key in amount_keys]) >= 2:
                header_row = r
                break
    if header_row is None:
        return {}, "没有找到项目资金表头（年初预算数、全年预算数、全年执行数）"
    columns = by_row[header_row]
    first_col = min(columns.values())
    budget: dict[str, dict[str, Cell]] = {}
    for row_key, keys in row_keys:
        match = next(((r, c) for r, c in ix._find(keys)
                      if header_row < r <= header_row + 10 and r < before_row and c < first_col), None)
        if match is None:
            continue
        budget[row_key] = ix.row_cells(match[0], columns)
    if "total" not in budget:
        return budget, "没有找到“年度资金总额”行"
    return budget, None


def _read_funding(ix: SheetIndex, family: Family, known: frozenset[str]) -> dict[str, Cell]:
    spec = _spec(family)
    # Section labels, and the unsectioned lines that also end a section (预算下达资金 sits between the two).
    markers = [(r, c, s) for s, keys in spec.funding_sections for r, c in ix._find(keys)]
    markers += [(r, c, None) for keys in spec.funding_lines for r, c in ix._find(keys)]
    funding: dict[str, Cell] = {}
    for key, keys, wanted in spec.funding:
        for r, c in ix._find(keys):
            if wanted:
                above = [(mr, mc, s) for mr, mc, s in markers if mr <= r and mc < c]
                section = max(above, key=lambda m: (m[0], m[1]))[2] if above else None
                if section != wanted:
                    continue
            cell = _value_beside(ix, r, c, known)
            if cell is not None:
                funding[key] = cell
                break
    return funding


def _amount_unit_note(ix: SheetIndex) -> str | None:
    for head in ("单位", "金额单位"):
        for _, _, tail in ix.inline.get(head, ()):
            unit = label_key(tail)
            if unit in ("元", "万元", "千元"):
                return unit
    for r, c in ix._find(_FUNDING_SECTION_KEYS):
        text = unicodedata.normalize("NFKC", ix.text(r, c))
        match = _UNIT_NOTE.search(text.replace(" ", ""))
        if match:
            return match.group(1)
    return None


# --- Recognition ---------------------------------------------------------------------------------------------


def _legacy_signal(ix: SheetIndex) -> bool:
    return ix._has(_LEGACY_SCORE_KEYS) or (ix._has(_INPUT_KEYS) and ix._has(_PROCESS_KEYS))


def _standard_signal(ix: SheetIndex) -> bool:
    return ix._has(_STANDARD_SIGNAL_KEYS)


@lru_cache(maxsize=None)
def _signalled_families() -> tuple[Family, ...]:
    """Families that say in data how they are told apart (recognition.signals / title), in their order."""
    from .model import family_ids

    families = [load_family(fid) for fid in family_ids()]
    signalled = [f for f in families if f.data.get("recognition", {}).get("signals") or
                 f.data.get("recognition", {}).get("title")]
    return tuple(sorted(signalled, key=lambda f: (f.data["recognition"].get("order", 100), f.id)))


def _detect(indexes: dict[str, SheetIndex]) -> Family | None:
    legacy, standard = load_family("legacy"), load_family("standard")
    candidates = []
    for family in _signalled_families():
        spec = _spec(family)
        for ix in indexes.values():
            if spec.signalled(ix):
                if _find_header(ix, family)[0] is not None:
                    return family
                candidates.append(family)
    for ix in indexes.values():
        if _legacy_signal(ix) and _find_header(ix, legacy)[0] is not None:
            return legacy
    for ix in indexes.values():
        if _find_header(ix, standard)[0] is not None:
            return standard
    if candidates:  # its own labels are there but its table is not: say what is missing from that table
        return candidates[0]
    if any(_standard_signal(ix) for ix in indexes.values()):
        return standard
    if any(_legacy_signal(ix) for ix in indexes.values()):
        return legacy
    return None


def family_short_title(family: Family) -> str:
    return family.data.get("recognition", {}).get("short_title") or FAMILY_TITLES.get(family.id, family.title)


_POINTS_IN_LABEL = re.compile(r"\((\d+(?:\.\d+)?)分\)")


def _points(ix: SheetIndex, keys: tuple[str, ...]) -> Cell | None:
    """The points printed in a section label, `预算执行情况（万元）（20分）` → 20, as a cell at the label."""
    for r, c in ix._find(keys):
        match = _POINTS_IN_LABEL.search(unicodedata.normalize("NFKC", ix.text(r, c)).replace(" ", ""))
        if match:
            number = float(match.group(1))
            return Cell(int(number) if number == int(number) else number, ref(r, c))
    return None


def _quoted(labels) -> str:
    return "".join(f"“{label_}”" for label_ in labels)


def _looked(indexes: dict[str, SheetIndex]) -> str:
    parts = [f"{name}（第 1–{ix.grid.height} 行）" if ix.grid.height > 1 else f"{name}（第 1 行）"
             for name, ix in indexes.items()]
    return "、".join(parts) if parts else "（工作簿中没有工作表）"


def _missing_header_message(book: GridBook, indexes: dict[str, SheetIndex], family: Family,
                            partials: dict[str, tuple[int, dict[str, int]] | None]) -> str:
    columns = _column_labels(family)
    required = _spec(family).required
    shown = "、".join(columns[key][0] for key in required)
    table = "绩效指标表" if family.data.get("indicators") else "评分表"
    sheets = "、".join(indexes) or "（无）"

    def count(item):
        return sum(1 for key in required if key in item[1][1])

    best = max(((name, p) for name, p in partials.items() if p is not None), key=count, default=None)
    if best is not None and count(best) >= 2:
        name, (row, have) = best
        missing = [key for key in required if key not in have]
        if not missing:  # the row was turned down: a 绩效指标 table where a 评分表 was asked for
            return (f"{book.source}：工作表“{name}”第 {row + 1} 行是项目支出绩效自评表的绩效指标表头（有年度指标值、"
                    f"实际完成值），不是{family.title}的{table}；在工作表 {sheets} 中没有找到{table}（查找了表头：{shown}）。"
                    f"请核对表样，或不指定表样让工具自动识别。")
        missing_text = "、".join(f"“{columns[key][0]}”" for key in missing)
        present = "、".join(columns[key][0] for key in required if key in have)
        synonyms = "；".join(f"“{columns[key][0]}”也可写作{'、'.join(columns[key][1:])}" for key in missing
                             if len(columns[key]) > 1)
        return (f"{book.source}：在工作表 {sheets} 中没有找到{missing_text}列（查找了表头：{shown}…；工作表“{name}”"
                f"第 {row + 1} 行的表头只有{present}{'；' + synonyms if synonyms else ''}）。请核对{table}的表头。")
    return (f"{book.source}：在工作表 {_looked(indexes)}中没有找到{family.title}的{table}：没有同时含有"
            f"{''.join(f'“{columns[key][0]}”' for key in required)}的表头行（查找了表头：{shown}…）。"
            f"请确认这是{family.title}，或把内容填入本工具的模板。")


@lru_cache(maxsize=None)
def _results_sheet() -> str:
    from .writeback import RESULTS_SHEET  # not at import time: writeback is not needed to read a form

    return RESULTS_SHEET


def recognise(book: GridBook, family: Family | None) -> Form:
    """Find the form on any sheet of `book` by its labels. Raises FormReadError naming what was missing and where."""
    indexes = {name: SheetIndex.build(grid) for name, grid in book.sheets.items() if name != _results_sheet()}
    if family is None:
        family = _detect(indexes)
    if family is None:
        standard, legacy = load_family("standard"), load_family("legacy")
        std = [_column_labels(standard)[k][0] for k in REQUIRED_COLUMNS["standard"]]
        leg = [_column_labels(legacy)[k][0] for k in REQUIRED_COLUMNS["legacy"]]
        raise FormReadError(f"{book.source}：在工作表 {_looked(indexes)}中没有找到自评表：既没有{_quoted(std)}表头"
                            f"（{standard.title}），也没有{_quoted(leg)}评分表（{legacy.title}）。"
                            f"请确认这是项目支出绩效自评表。")
    partials: dict[str, tuple[int, dict[str, int]] | None] = {}
    for name, ix in indexes.items():
        header, partial = _find_header(ix, family)
        if header is None:
            partials[name] = partial
            continue
        return _form_from_sheet(book, ix, header, family)
    raise FormReadError(_missing_header_message(book, indexes, family, partials))


def _form_from_sheet(book: GridBook, ix: SheetIndex, header: Header, family: Family) -> Form:
    known = _known_labels()
    table = _read_table(ix, header, family)
    notes = []
    form = Form(family.id, ix.grid.name, source=book.source)
    for key, keys in _spec(family).fields:
        if key == "year":
            cell = _year(ix, keys, known, header.row)
        elif key == "total":
            # The 总分 row under the table; else a total printed in the head rows (自评得分 beside 财政审核评分).
            cell = table.total if table.total is not None else _field(ix, keys, known)
        elif key == "grade":
            cell = _field(ix, keys, known, _grade_like)
        else:
            cell = _field(ix, keys, known)
        if cell is not None:
            form.fields[key] = cell
    if family.data.get("budget"):
        form.budget, problem = _read_budget(ix, family, header.row)
        if problem:
            notes.append(problem)
    for key, keys in _spec(family).points:
        cell = _points(ix, keys)
        if cell is not None:
            form.fields[f"{key}_points"] = cell
    budget_points = form.fields.get("budget_points")
    if budget_points is not None and "total" in form.budget and "weight" not in form.budget["total"]:
        form.budget["total"]["weight"] = budget_points  # `预算执行情况（万元）（20分）`: the block's 分值
    if family.data.get("funding"):
        form.funding = _read_funding(ix, family, known)
    form.rows = table.rows
    form.subtotals = table.subtotals
    if header.split:
        notes.append("年度指标值分列（指标性质、指标值、度量单位）已合并读取")
    unit = _amount_unit_note(ix)
    if unit and unit != family.data.get("amount_unit", "万元"):
        notes.append(f"金额单位：{unit}")
        form.amount_unit = unit
    extra = "；".join([f"工作表“{ix.grid.name}”，表头第 {header.row + 1} 行"] + notes)
    form.layout = f"识别：{family_short_title(family)}（{extra}）"
    return form


# --- Explaining a recognition ----------------------------------------------------------------------------------

_FIELD_NAMES = {"project_name": "项目名称", "department": "主管部门", "implementing_unit": "实施单位", "year": "年度",
                "total": "总分", "grade": "评价等次", "policy": "评分口径"}


def explain_recognition(book: GridBook, family: Family | None = None) -> list[str]:
    """What `recognise` found, line by line, for `check --explain-layout`: the family and the labels that told it,
    the table header and each column with the label it was found by, the money block, the fields and the printed
    points. Raises FormReadError as `recognise` does (its message names the labels found and those missing)."""
    indexes = {name: SheetIndex.build(grid) for name, grid in book.sheets.items() if name != _results_sheet()}
    chosen = family
    form = recognise(book, family)  # raises with the message naming what was missing
    family = chosen or load_family(form.family)
    ix = indexes[form.sheet]
    spec = _spec(family)
    header, _ = _find_header(ix, family)
    lines = [f"{book.source}：识别为{family_short_title(family)}（families/{family.id}.toml）" +
             (f"，默认评分口径 {family.data['default_policy']}" if family.data.get("default_policy") else "")]
    if chosen is not None:
        lines.append("  依据：按 --family 指定")
    else:
        # A label shown on one line, as the column labels below are: printed forms break labels across lines.
        told = [f"“{one_line(ix.text(r, c))}”（{ref(r, c)}）" for r, c in ix._find(spec.signals)][:6]
        if spec.title is not None:
            told += [f"标题“{one_line(ix.text(r, c))}”（{ref(r, c)}）" for r, c, _ in ix.years
                     if spec.title.match(key_of(ix.text(r, c)))][:1]
        lines.append("  依据：" + ("、".join(told) if told else f"表头含{'、'.join(_column_labels(family)[k][0] for k in spec.required)}"))
    labels = _column_labels(family)
    lines.append(f"  绩效指标表：工作表“{form.sheet}”，表头第 {header.row + 1} 行" +
                 (f"至第 {header.bottom + 1} 行" if header.bottom > header.row else "") + f"，共读到 {len(form.rows)} 行")
    for key, keys in spec.columns:
        col = header.columns.get(key)
        if col is None:
            continue
        cell = next(((r, c) for r, c in ix._find(keys) if c == col and header.row <= r <= header.bottom), None)
        found = f"表头“{one_line(ix.text(*cell))}”（{ref(*cell)}）" if cell else "（由分列表头合成）"
        lines.append(f"    {labels[key][0]} ← {column_name(col)} 列，{found}")
    if header.split:
        lines.append("    年度指标值由 指标性质 / 指标值 / 度量单位 三列合并读取")
    missing = [labels[key][0] for key, _ in spec.columns if key not in header.columns]
    if missing:
        lines.append(f"    本表没有的列：{'、'.join(missing)}")
    if form.budget:
        budget = family.data.get("budget", {})
        column_names = {c["key"]: c["labels"][0] for c in budget.get("columns", [])}
        column_names.setdefault("weight", "分值（标签中标注）")
        row_names = {row["key"]: row["labels"][0] for row in budget.get("rows", [])}
        total = form.budget.get("total", {})
        where = "、".join(f"{column_names.get(key, key)} {cell.ref}" for key, cell in total.items() if cell.ref)
        rows = "、".join(row_names.get(key, key) for key in form.budget)
        lines.append(f"  项目资金：读到 {rows} 行；{row_names.get('total', '年度资金总额')}行 {where}")
    if form.funding:
        names = {key: spec.get("name", key) for key, spec in family.data.get("funding", {}).items()}
        lines.append("  资金：" + "、".join(f"{names.get(key, key)} {cell.ref}" for key, cell in form.funding.items()))
    shown = []
    for key, cell in form.fields.items():
        if key.endswith("_points"):
            continue
        name = family.fields.get(key, {}).get("name") or _FIELD_NAMES.get(key, key)
        shown.append(f"{name} {cell.ref or '（行内）'}")
    lines.append("  表头字段：" + "、".join(shown))
    points = [(key, cell) for key, cell in form.fields.items() if key.endswith("_points")]
    if points:
        lines.append("  标签中的分值：" + "、".join(f"“{ix.text(*_rc(cell.ref))}” → {cell.value} 分" for _, cell in points))
    if family.data.get("scored", True) is False:
        lines.append("  本表样不打分（scored = false）：没有分值、得分、总分和等次，只核对执行率和各项指标完成情况")
    elif family.table.get("weights_printed", True) is False:
        lines.append("  本表样不列各指标分值（权重）：各行得分无法逐项核对（I319）")
    return lines


def column_name(col: int) -> str:
    from .model import column_letter

    return column_letter(col)


def _rc(cell_ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in cell_ref if ch.isalpha())
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(cell_ref[len(letters):]) - 1, col - 1
