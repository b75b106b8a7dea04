"""Policies as data (perfeval_xl/policy.py, perfeval_xl/policies/*.toml): every shipped policy loads with the
settings its file states, `extends` merges, and a bad file gives a Chinese PolicyError that names it."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfeval_xl.policy import DEFAULT_POLICY, PolicyError, load_policy, shipped_policy_names

SHIPPED = ["bands-80-70-60", "bj-2016", "gx-130", "hb-2020", "linear-reverse", "national-2020", "strict", "sx-120"]

NATIONAL_WEIGHTS = {"budget": 10.0, "output": 50.0, "outcome": 30.0, "satisfaction": 10.0,
                    "input": 20.0, "process": 20.0, "legacy_output": 30.0, "effect": 30.0}
NATIONAL_GRADES = ((90.0, "优"), (80.0, "良"), (60.0, "中"), (0.0, "差"))
NATIONAL_BANDS = {"achieved": (0.8, 1.0), "partial": (0.6, 0.8), "failed": (0.0, 0.6)}

# What each file says, read off perfeval_xl/policies/*.toml by hand; everything not listed is national-2020's.
DIFFERS = {
    "national-2020": {},
    "hb-2020": {"weights": {**NATIONAL_WEIGHTS, "budget": 20.0, "output": 40.0},
                "qualitative_bands": {"achieved": (0.8, 1.0), "partial": (0.5, 0.8), "failed": (0.0, 0.5)}},
    "bj-2016": {"execution_denominator": "initial"},
    "linear-reverse": {"reverse_rule": "linear"},
    "bands-80-70-60": {"grade_bands": ((80.0, "优"), (70.0, "良"), (60.0, "中"), (0.0, "差"))},
    "gx-130": {"over_completion_threshold": 1.3, "severity": {"I317": "error"}},
    "sx-120": {"over_completion_threshold": 1.2},
    "strict": {"severity": {"I305": "error", "I317": "error"}},
}
NATIONAL = {
    "weights": NATIONAL_WEIGHTS, "execution_denominator": "annual", "low_rate_warning": 0.9, "reverse_rule": "ratio",
    "cost_without_comparator": "reverse", "exact_tolerance": 0.005, "over_completion_threshold": 1.3,
    "zero_cost_actual": "not_done", "qualitative_bands": NATIONAL_BANDS,
    "achieved_words": ("达成", "完成", "达到", "实现", "满意"), "grade_bands": NATIONAL_GRADES, "decimals": 2,
    "score_tolerance": 0.01, "severity": {},
}


def test_shipped_policy_names():
    assert shipped_policy_names() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_policy_loads_with_what_its_file_says(name):
    policy = load_policy(name)
    assert policy.name == name
    assert policy.title and policy.title != name
    assert policy.source == f"{name}（内置）"
    for key, expected in {**NATIONAL, **DIFFERS[name]}.items():
        assert getattr(policy, key) == expected, key


def test_default_policy():
    assert DEFAULT_POLICY == "national-2020"
    assert load_policy(None).name == "national-2020"
    assert load_policy("").name == "national-2020"


def test_grade_rule_text():
    assert load_policy("national-2020").grade_rule_text() == "≥90 优、≥80 良、≥60 中、其余 差"
    assert load_policy("bands-80-70-60").grade_rule_text() == "≥80 优、≥70 良、≥60 中、其余 差"


# --- extends ----------------------------------------------------------------------------------------------------

def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_extends_merges_tables_key_by_key(tmp_path):
    path = write(tmp_path / "本市.toml", 'name = "本市"\ntitle = "本市口径"\nextends = "national-2020"\n\n'
                                         '[quantitative]\nover_completion_threshold = 1.5\n\n[severity]\nB208 = "off"\n')
    policy = load_policy(str(path))
    assert (policy.name, policy.title, policy.source) == ("本市", "本市口径", str(path))
    assert policy.over_completion_threshold == 1.5
    # the rest of [quantitative] comes from national-2020
    assert (policy.reverse_rule, policy.exact_tolerance, policy.zero_cost_actual) == ("ratio", 0.005, "not_done")
    assert policy.severity == {"B208": "off"}
    assert policy.grade_bands == NATIONAL_GRADES


def test_extends_a_chain(tmp_path):
    # 本市 → hb-2020 → national-2020: hb's weights and bands, national's grades, our denominator
    path = write(tmp_path / "本市.toml", 'name = "本市"\nextends = "hb-2020"\n\n[execution]\ndenominator = "initial"\n')
    policy = load_policy(str(path))
    assert policy.weights["budget"] == 20.0 and policy.weights["output"] == 40.0 and policy.weights["input"] == 20.0
    assert policy.qualitative_bands["partial"] == (0.5, 0.8)
    assert policy.execution_denominator == "initial"
    assert policy.low_rate_warning == 0.9
    assert policy.grade_bands == NATIONAL_GRADES


def test_extends_a_file_by_path(tmp_path):
    base = write(tmp_path / "省口径.toml", 'name = "省口径"\nextends = "national-2020"\n\n[grades]\n'
                                          'bands = [[85, "优"], [75, "良"], [60, "中"], [0, "差"]]\n')
    child = write(tmp_path / "市口径.toml", f'name = "市口径"\nextends = "{base.as_posix()}"\n\n[rounding]\ndecimals = 1\n')
    policy = load_policy(str(child))
    assert policy.name == "市口径"
    assert policy.grade_bands == ((85.0, "优"), (75.0, "良"), (60.0, "中"), (0.0, "差"))
    assert policy.decimals == 1 and policy.score_tolerance == 0.01


def test_relative_extends_is_next_to_the_file(tmp_path, monkeypatch):
    write(tmp_path / "省口径.toml", 'name = "省口径"\nextends = "national-2020"\n\n[execution]\ndenominator = "initial"\n')
    child = write(tmp_path / "市口径.toml", 'name = "市口径"\nextends = "省口径.toml"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_policy(str(child)).execution_denominator == "initial"


def test_a_file_without_a_name_is_named_after_the_file(tmp_path):
    path = write(tmp_path / "本市口径.toml", 'extends = "national-2020"\n\n[execution]\ndenominator = "initial"\n')
    assert load_policy(str(path)).name == "本市口径"


def test_a_shipped_name_means_the_shipped_policy_even_beside_a_file_of_that_name(tmp_path, monkeypatch):
    # A form's 评分口径 cell names a shipped policy; a stray file called "hb-2020" in the current folder must not
    # be read in its place (nor may a form reach files at all).
    write(tmp_path / "hb-2020", 'name = "hb-2020"\nextends = "national-2020"\n\n[weights]\nbudget = 55\n')
    monkeypatch.chdir(tmp_path)
    assert load_policy("hb-2020").weights["budget"] == 20.0
    assert load_policy("hb-2020").source == "hb-2020（内置）"


# --- bad files --------------------------------------------------------------------------------------------------

def _error(name_or_path: str) -> str:
    with pytest.raises(PolicyError) as info:
        load_policy(name_or_path)
    return str(info.value)


def test_unknown_name_lists_the_shipped_ones():
    message = _error("湖北")
    assert message == ("没有名为“湖北”的评分口径。可用的有：" + "、".join(SHIPPED) + "；也可以给出 .toml 文件路径。")


def test_missing_file(tmp_path):
    path = tmp_path / "不存在.toml"
    assert _error(str(path)) == f"评分口径文件不存在：{path}"


def test_bad_toml(tmp_path):
    path = write(tmp_path / "坏.toml", 'name = "坏"\nextends = national-2020\n')
    message = _error(str(path))
    assert message.startswith(f"评分口径文件 {path} 格式有误：")


def test_not_utf8(tmp_path):
    # Saved by Notepad on a Chinese Windows: GBK
    path = write(tmp_path / "本市.toml", 'name = "本市口径"\nextends = "national-2020"\n', encoding="gbk")
    assert _error(str(path)).startswith(f"评分口径文件 {path} 格式有误：")


@pytest.mark.parametrize("table, line, message", [
    ("execution", 'denominator = "budget"', "的 execution.denominator 只能是 annual（全年预算数）或 initial（年初预算数）。"),
    ("quantitative", 'reverse_rule = "inverse"', "的 quantitative.reverse_rule 只能是 ratio 或 linear。"),
    ("severity", 'I306 = "fatal"', "的 [severity] 只能取 error/warning/info/off，而 {'I306': 'fatal'} 不是。"),
])
def test_bad_enum_values(tmp_path, table, line, message):
    path = write(tmp_path / "坏.toml", f'name = "坏"\nextends = "national-2020"\n\n[{table}]\n{line}\n')
    assert _error(str(path)) == f"评分口径 {path} {message}"


@pytest.mark.parametrize("table, line", [
    ("execution", 'low_rate_warning = "九成"'),
    ("grades", 'bands = [[90, "优", 1]]'),
    ("rounding", 'decimals = "两位"'),
])
def test_bad_values(tmp_path, table, line):
    path = write(tmp_path / "坏.toml", f'name = "坏"\nextends = "national-2020"\n\n[{table}]\n{line}\n')
    assert _error(str(path)).startswith(f"评分口径 {path} 有一项设置的取值不对：")


@pytest.mark.parametrize("line", ['cost_without_comparator = "revers"', 'zero_cost_actual = "not-done"'])
def test_unchecked_enums(tmp_path, line):
    path = write(tmp_path / "坏.toml", f'name = "坏"\nextends = "national-2020"\n\n[quantitative]\n{line}\n')
    assert str(path) in _error(str(path))


@pytest.mark.parametrize("line", ['severity = "off"', "weights = [10, 50, 30, 10]"])
def test_a_value_where_a_table_belongs(tmp_path, line):
    path = write(tmp_path / "坏.toml", f'name = "坏"\nextends = "national-2020"\n{line}\n')
    assert str(path) in _error(str(path))


def test_missing_setting(tmp_path):
    path = write(tmp_path / "空.toml", 'name = "空"\n')
    assert _error(str(path)) == f"评分口径 {path} 缺少设置项 'quantitative'；请以 national-2020.toml 为底本修改。"


def test_extends_cycle(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    write(a, f'name = "a"\nextends = "{b.as_posix()}"\n')
    write(b, f'name = "b"\nextends = "{a.as_posix()}"\n')
    # the chain as written: the path given, then each `extends` as spelled in the files
    assert _error(str(a)) == f"评分口径 {a.as_posix()} 的 extends 形成了循环：{a} → {b.as_posix()} → {a.as_posix()}"


def test_extends_itself(tmp_path):
    path = tmp_path / "自己.toml"
    write(path, f'name = "自己"\nextends = "{path.as_posix()}"\n')
    assert _error(str(path)) == f"评分口径 {path.as_posix()} 的 extends 形成了循环：{path} → {path.as_posix()}"


def test_extends_a_missing_parent(tmp_path):
    path = write(tmp_path / "子.toml", 'name = "子"\nextends = "不存在的口径"\n')
    assert _error(str(path)).startswith("没有名为“不存在的口径”的评分口径。")
