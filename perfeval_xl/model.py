"""The records the core works on: a form as read (cells with their addresses) and what checking it gives back.

No I/O here. Adapters (openpyxl, calamine, xlwings) build a `Form`; the engine returns an `Evaluation`; adapters
write it back. Everything is plain data so the CLI, the workbook and pandas can all show the same records.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from collections.abc import Callable
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from .values import parse_value


@lru_cache(maxsize=1024)
def column_letter(index: int) -> str:
    """0-based column index → letters (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class Cell:
    """One cell as read: its raw value and where it is (`ref` like "E12"; "" when the form has no such cell).

    A plain slotted class, not a dataclass: a batch builds hundreds of these per form. `parsed` is a plain slot,
    filled on first use (many cells of a printed sheet are never looked at; the checks ask the others hundreds of
    times per form), and a cell made with `Cell.at(value, row, col)` spells its address only when asked."""

    __slots__ = ("_value", "parsed", "_ref", "_row", "_col", "is_formula")

    def __init__(self, value: Any = None, ref: str = "", is_formula: bool = False):
        self._value = value
        self._ref = ref
        self.is_formula = is_formula  # the cell holds a formula (only known where the reader can see formulas)

    @classmethod
    def at(cls, value: Any, row: int, col: int, is_formula: bool = False) -> Cell:
        """The cell at 0-based (row, col) of its sheet."""
        cell = cls.__new__(cls)
        cell._value = value
        cell._ref = None
        cell._row, cell._col = row, col
        cell.is_formula = is_formula
        return cell

    def __getattr__(self, name: str) -> Any:
        # Called only for a slot not yet filled: `parsed` is worked out here once, then read as a plain attribute.
        if name == "parsed":
            parsed = self.parsed = parse_value(self._value)  # the value as understood (values.parse_value)
            return parsed
        raise AttributeError(f"'Cell' object has no attribute '{name}'")

    @property
    def value(self) -> Any:
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        self._value = value
        try:
            del self.parsed  # a changed value is parsed afresh
        except AttributeError:
            pass

    @property
    def ref(self) -> str:
        ref = self._ref
        if ref is None:
            ref = self._ref = f"{column_letter(self._col)}{self._row + 1}"
        return ref

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cell) and (self._value, self.ref, self.is_formula) == (other._value, other.ref,
                                                                                           other.is_formula)

    def __repr__(self) -> str:
        return f"Cell({self._value!r}, {self.ref!r})"


EMPTY = Cell()


@dataclass
class Form:
    """A 自评表 as read from one sheet. Keys follow the family description (families/*.toml)."""

    family: str
    sheet: str
    fields: dict[str, Cell] = field(default_factory=dict)
    budget: dict[str, dict[str, Cell]] = field(default_factory=dict)  # standard: row key -> column key -> cell
    funding: dict[str, Cell] = field(default_factory=dict)  # legacy funding lines
    rows: list[dict[str, Cell]] = field(default_factory=list)  # 绩效指标 (standard) or 评分表 (legacy) rows
    subtotals: dict[str, Cell] = field(default_factory=dict)  # legacy: group label -> printed subtotal cell
    source: str = ""  # file name, for messages
    layout: str = "template"  # "template" or the name of a recognised foreign layout
    amount_unit: str = "万元"  # the unit bare amounts are in (a printed "单位：元" makes it 元)

    def field_cell(self, key: str) -> Cell:
        return self.fields.get(key, EMPTY)

    def budget_cell(self, row: str, column: str) -> Cell:
        return self.budget.get(row, {}).get(column, EMPTY)


@dataclass(frozen=True)
class Issue:
    """One finding, like a linter's: where, which rule, how bad, what to do, and the value we would suggest."""

    code: str
    severity: str  # "error" | "warning" | "info"
    cell: str  # "E12", or "" for the whole form
    message: str
    suggested: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "cell": self.cell, "message": self.message,
                "suggested": self.suggested}


@dataclass(frozen=True)
class Output:
    """A value the engine proposes for a cell.

    mode "fill": write only if the cell is empty, or still holds what we wrote last time (a typed value wins).
    mode "owned": a cell only we write (建议得分, 计分说明): always written.
    """

    cell: str
    value: Any
    mode: str
    explanation: str = ""


@dataclass
class ItemScore:
    """How one scored line came out: for the report and the 计分说明 column."""

    label: str
    cell: str  # the 得分 cell
    weight: float | None
    typed: float | None
    suggested: float | None
    explanation: str


# What is shown for the total and the grade of a form that carries no points (a family with `scored = false`).
UNSCORED_TEXT = "本表不打分"


@dataclass
class Evaluation:
    form: Form
    policy_name: str
    issues: list[Issue] = field(default_factory=list)
    items: list[ItemScore] = field(default_factory=list)
    execution_rate: float | None = None
    execution_score: float | None = None
    total: float | None = None
    grade: str | None = None
    subtotals: dict[str, float] = field(default_factory=dict)
    scored: bool = True  # False: the form carries no points (no 分值, 得分, 总分, 等次): total and grade stay None
    # "typed" | "suggested" (no 得分 typed: the total is all ours) | "mixed"; None when nothing is scored
    total_basis: str | None = None
    make_outputs: Callable[[], list[Output]] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def outputs(self) -> list[Output]:
        """The values we would write (engine.proposed_outputs), worked out on first use: a batch that only checks
        and counts never needs them."""
        return self.make_outputs() if self.make_outputs is not None else []

    def count(self, severity: str) -> int:
        return sum(1 for issue in self.issues if issue.severity == severity)

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def warnings(self) -> int:
        return self.count("warning")


@dataclass(frozen=True)
class Family:
    """A form family description (families/<id>.toml), as loaded."""

    id: str
    title: str
    sheet: str
    template_file: str
    data: dict[str, Any]

    @property
    def fields(self) -> dict[str, dict[str, Any]]:
        return self.data.get("fields", {})

    @property
    def table(self) -> dict[str, Any]:
        """The scored table: [indicators] (standard) or [score_table] (legacy)."""
        return self.data.get("indicators") or self.data.get("score_table") or {}

    @property
    def table_columns(self) -> list[str]:
        return [column["key"] for column in self.table.get("columns", [])]


@lru_cache(maxsize=None)
def load_family(family_id: str) -> Family:
    resource = resources.files("perfeval_xl") / "families" / f"{family_id}.toml"
    if not resource.is_file():
        raise ValueError(f"没有名为“{family_id}”的表样。可用的有：{'、'.join(family_ids())}")
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    return Family(data["id"], data["title"], data["sheet"], data["template_file"], data)


@lru_cache(maxsize=None)
def family_ids() -> tuple[str, ...]:
    folder = resources.files("perfeval_xl") / "families"
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml")))
