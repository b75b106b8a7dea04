"""Scoring policies: every number and choice that differs between provinces, as data (TOML).

`load_policy("national-2020")` loads a shipped policy; `load_policy("D:/财政局/本市口径.toml")` loads a bureau's own.
A policy file may say `extends = "<name or path>"` and list only what differs.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

DEFAULT_POLICY = "national-2020"
SEVERITIES = ("error", "warning", "info", "off")


class PolicyError(ValueError):
    """A policy that cannot be loaded; the message is Chinese and names the file."""


@dataclass(frozen=True)
class Policy:
    name: str
    title: str
    weights: dict[str, float]
    execution_denominator: str
    low_rate_warning: float
    reverse_rule: str
    cost_without_comparator: str
    exact_tolerance: float
    over_completion_threshold: float
    zero_cost_actual: str
    qualitative_bands: dict[str, tuple[float, float]]
    achieved_words: tuple[str, ...]
    grade_bands: tuple[tuple[float, str], ...]
    decimals: int
    score_tolerance: float
    severity: dict[str, str] = field(default_factory=dict)
    source: str = ""
    # 三级指标 name parts that make a comparator-less 成本指标 higher-is-better (完成率, 到位率 …)
    higher_is_better_names: tuple[str, ...] = ()
    late_deadline: str = "judgment"  # a 时效指标 finished after its date: "judgment" (the unit's, below 达成) or "zero"

    def grade(self, total: float | None) -> str | None:
        if total is None:
            return None
        for lower, grade in self.grade_bands:
            if total >= lower:
                return grade
        return self.grade_bands[-1][1]

    def grade_rule_text(self) -> str:
        return "、".join(f"≥{lower:g} {grade}" for lower, grade in self.grade_bands[:-1]) + f"、其余 {self.grade_bands[-1][1]}"


def shipped_policy_names() -> list[str]:
    return list(_shipped_names())


@lru_cache(maxsize=1)
def _shipped_names() -> tuple[str, ...]:
    folder = resources.files("perfeval_xl") / "policies"
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml")))


def _read_toml(name_or_path: str) -> tuple[dict[str, Any], str]:
    path = Path(name_or_path)
    if _is_file(name_or_path):
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):  # a folder, a FIFO (reading it would block), a device
                raise PolicyError(f"评分口径文件 {name_or_path} 不是普通文件（可能是文件夹），请给出 .toml 文件的路径。")
            return tomllib.loads(path.read_text(encoding="utf-8")), str(path)
        except FileNotFoundError:
            raise PolicyError(f"评分口径文件不存在：{name_or_path}") from None
        except UnicodeDecodeError:
            raise PolicyError(f"评分口径文件 {name_or_path} 格式有误：不是 UTF-8 编码的文本，请用记事本等另存为 UTF-8 后再试。") from None
        except tomllib.TOMLDecodeError as exc:
            # tomllib's reason is English ("Expected '=' after a key…"): say where, in Chinese, and what to check.
            where = re.search(r"at line (\d+), column (\d+)", str(exc))
            at = f"第 {where.group(1)} 行第 {where.group(2)} 列附近" if where else "某处"
            raise PolicyError(f"评分口径文件 {name_or_path} 格式有误：{at}不符合 TOML 写法（检查等号、引号、方括号是否"
                              f"成对，中文是否写在引号内）。") from None
        except OSError as exc:
            raise PolicyError(f"评分口径文件 {name_or_path} 无法读取（系统错误 {exc.errno}）。") from None
    resource = resources.files("perfeval_xl") / "policies" / f"{name_or_path}.toml"
    if not resource.is_file():
        names = "、".join(shipped_policy_names())
        raise PolicyError(f"没有名为“{name_or_path}”的评分口径。可用的有：{names}；也可以给出 .toml 文件路径。")
    return tomllib.loads(resource.read_text(encoding="utf-8")), f"{name_or_path}（内置）"


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _is_file(name_or_path: str) -> bool:
    """A policy file, not a shipped name. A shipped name always means the shipped policy, even where a file of
    that name (without .toml) happens to lie in the current folder: a form's 评分口径 cell must not reach files."""
    if name_or_path.endswith(".toml"):
        return True
    return name_or_path not in _shipped_names() and Path(name_or_path).exists()


def _resolve(name_or_path: str, seen: tuple[str, ...] = ()) -> tuple[dict[str, Any], str]:
    if name_or_path in seen:
        raise PolicyError(f"评分口径 {name_or_path} 的 extends 形成了循环：{' → '.join(seen + (name_or_path,))}")
    data, source = _read_toml(name_or_path)
    if _is_file(name_or_path) and "name" not in data:
        data["name"] = Path(name_or_path).stem  # a bureau's file is known by its file name, not its parent's
    parent = data.get("extends")
    if parent:
        parent = str(parent)
        if parent.endswith(".toml") and _is_file(name_or_path) and not Path(parent).is_absolute():
            parent = str(Path(name_or_path).parent / parent)  # relative to the file that names it
        base, _ = _resolve(parent, seen + (name_or_path,))
        base = {k: v for k, v in base.items() if k not in ("name", "title")}
        data = _merge(base, data)
    return data, source


def load_policy(name_or_path: str | None = None) -> Policy:
    """A shipped policy by name, or a policy file by path. Cached (a batch loads the same one per form): by name,
    or by path and modification time, so an edited file is read again."""
    name_or_path = name_or_path or DEFAULT_POLICY
    try:
        stamp = Path(name_or_path).stat().st_mtime_ns if _is_file(name_or_path) else None
    except OSError:
        stamp = None
    return _load_policy_cached(name_or_path, stamp)


@lru_cache(maxsize=64)
def _load_policy_cached(name_or_path: str, stamp: int | None) -> Policy:
    data, source = _resolve(name_or_path)
    try:
        q, e, qual = data["quantitative"], data["execution"], data["qualitative"]
        severity = {str(k): str(v) for k, v in data.get("severity", {}).items()}
        bad = {k: v for k, v in severity.items() if v not in SEVERITIES}
        if bad:
            raise PolicyError(f"评分口径 {source} 的 [severity] 只能取 {'/'.join(SEVERITIES)}，而 {bad} 不是。")
        if e["denominator"] not in ("annual", "initial"):
            raise PolicyError(f"评分口径 {source} 的 execution.denominator 只能是 annual（全年预算数）或 initial（年初预算数）。")
        if q["reverse_rule"] not in ("ratio", "linear"):
            raise PolicyError(f"评分口径 {source} 的 quantitative.reverse_rule 只能是 ratio 或 linear。")
        if q["cost_without_comparator"] not in ("reverse", "positive"):
            raise PolicyError(f"评分口径 {source} 的 quantitative.cost_without_comparator 只能是 reverse 或 positive。")
        if q["zero_cost_actual"] not in ("not_done", "saving"):
            raise PolicyError(f"评分口径 {source} 的 quantitative.zero_cost_actual 只能是 not_done 或 saving。")
        late = data.get("timeliness", {}).get("late", "judgment")
        if late not in ("judgment", "zero"):
            raise PolicyError(f"评分口径 {source} 的 timeliness.late 只能是 judgment 或 zero。")
        from .checks import REGISTRY  # here, not at the top: checks imports the analysis, which imports this module

        unknown = sorted(code for code in severity if code not in REGISTRY)
        if unknown:
            raise PolicyError(f"评分口径 {source} 的 [severity] 中有不存在的检查代码：{'、'.join(unknown)}"
                              f"（代码见 docs/checks.md）。")
        return Policy(
            name=str(data.get("name", name_or_path)),
            title=str(data.get("title", data.get("name", ""))),
            weights={k: float(v) for k, v in data["weights"].items()},
            execution_denominator=e["denominator"],
            low_rate_warning=float(e["low_rate_warning"]),
            reverse_rule=q["reverse_rule"],
            cost_without_comparator=q["cost_without_comparator"],
            exact_tolerance=float(q["exact_tolerance"]),
            over_completion_threshold=float(q["over_completion_threshold"]),
            zero_cost_actual=q["zero_cost_actual"],
            qualitative_bands={tier: (float(qual[tier][0]), float(qual[tier][1])) for tier in ("achieved", "partial", "failed")},
            achieved_words=tuple(qual["achieved_words"]),
            grade_bands=tuple((float(lo), str(g)) for lo, g in data["grades"]["bands"]),
            decimals=int(data["rounding"]["decimals"]),
            score_tolerance=float(data["rounding"]["score_tolerance"]),
            severity=severity,
            source=source,
            # optional: a bureau's policy file written before this setting existed keeps its old reading
            higher_is_better_names=tuple(str(n) for n in q.get("higher_is_better_names", [])),
            late_deadline=late,
        )
    except KeyError as exc:
        raise PolicyError(f"评分口径 {source} 缺少设置项 {exc}；请以 national-2020.toml 为底本修改。") from None
    except (TypeError, ValueError, IndexError, AttributeError) as exc:
        if isinstance(exc, PolicyError):
            raise
        # the exception's text is Python's English: name the file and the kind of mistake instead
        raise PolicyError(f"评分口径 {source} 有一项设置的取值不对：类型不符（例如该写数字处写成了文字、该写列表处写成了单个值），"
                          f"请以 national-2020.toml 为底本核对。") from None
