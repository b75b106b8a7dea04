"""Regenerate docs/checks.md from the check registry (perfeval_xl/checks.py REGISTRY).

    python scripts/build_docs.py [OUT_FILE]

The catalogue is generated, never hand-edited: tests/test_checks.py fails when the committed file differs from a
fresh build, and this script refuses to build when a code has no "处理" text below (or one is left for a code that
no longer exists). Each section gives the code's title, default severity, condition (the check function's
docstring), example and what to do, plus any shipped policy that changes its severity.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perfeval_xl.checks import POINTS_CODES, REGISTRY  # noqa: E402
from perfeval_xl.policy import load_policy, shipped_policy_names  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "checks.md"

SEVERITY_TEXT = {"error": "错误（error）", "warning": "警告（warning）", "info": "提示（info）", "off": "关闭（off）"}
AREAS = {"F": "F 表头", "V": "V 数值", "B": "B 预算执行", "I": "I 指标", "T": "T 权重与合计"}

# What the unit should do about each finding. Keyed by code; every code in REGISTRY needs one.
WHAT_TO_DO = {
    "F101": "在表头填写该项（项目名称、主管部门、实施单位、年度）。",
    "F102": "年度填四位数字年份，如 2023；不要填汉字或日期。",
    "F103": "在“评分口径”单元格选择内置口径（如 national-2020、hb-2020），或填写口径文件（.toml）的路径；留空则按 "
            "national-2020 计算。",
    "V110": "单元格只填数字，单位已在表头（金额为万元）：把“97.73万元”改为 97.73，并把单元格格式设为数值。建议值为读出的数字。",
    "V111": "改为数字；不适用的单元格留空或填“—”。",
    "V112": "检查产生错误值的公式及其引用的单元格（常见原因：分母为空或为 0、引用了文本）。",
    "V113": "核实后改为非负数；核减的资金不要以负数填在执行数中。",
    "V114": "本表金额单位为万元；若按元填写，请除以 10000（建议值即换算结果）。",
    "B201": "填写年度资金总额的全年预算数（以年初预算数为分母的口径则填年初预算数）和全年执行数。",
    "B202": "核实预算调整是否已反映在预算数中；得分按 100% 封顶，无需改分。",
    "B203": "核对其中各项（当年财政拨款、上年结转资金、其他资金）与年度资金总额，改正有误的一方。建议值为其中各项合计。",
    "B204": "在年度资金总额行填写其中各项的合计数。",
    "B205": "在偏差原因分析或自评报告中说明执行率偏低的原因和改进措施。",
    "B206": "核对执行率：用模板公式，或填建议值（全年执行数 / 预算数）。",
    "B207": "核实预算执行得分；没有特殊理由时改为建议值（分值 × 执行率，执行率超过 100% 按 100% 计）。",
    "B208": "无需处理。如当地要求以另一种预算数为分母，请换用相应评分口径（如 bj-2016 以年初预算数为分母）。",
    "B209": "填写预算执行分值；与评分口径不同时确认有特殊情况，并保证各项分值合计为 100。",
    "B210": "核对资金合计与各分项，改正有误的一方。建议值为分项之和。",
    "B211": "核实实际支出与到位资金；预算执行率按 100% 封顶。",
    "I300": "在绩效指标表中逐行填写指标；模板至少 30 行，行数不够时按 docs/template.md 增加。",
    "I301": "补全三级指标、年度指标值、实际完成值和分值；不适用的指标整行留空。",
    "I302": "把得分改为不超过分值。建议值为按规则计算的得分。",
    "I303": "分值填大于 0 的数；不适用的指标整行留空。",
    "I304": "年度指标值和实际完成值用同一单位填写（万元与元、% 与百分比可以换算，% 与台、套等不能）。",
    "I305": "在“偏差原因分析及改进措施”中写明未完成的原因和改进措施。",
    "I306": "分析超额原因（目标是否定得偏低），写在偏差原因中。得分不因此扣减，是否调整由单位判断。",
    "I317": "在“偏差原因分析及改进措施”中写明超额完成的原因，并说明年度指标值是否定得偏低。",
    "I318": "在三级指标中写明指标名称（可保留“指标1：”前缀，如“指标1：工程质量合格”）；不用的占位行保持空白。",
    "I307": "核实得分；确有理由与规则不同时在偏差原因中说明，否则改为建议值。",
    "I308": "在“定性评价档次”中选择档次，并在该档次的区间内打分。",
    "I309": "把得分改到所选档次的区间内，或改选与得分相符的档次。",
    "I310": "为每个三级指标分别设置分值，合计等于原来共用的分值。",
    "I311": "在偏差原因中说明该项是未实施还是确有节约；未实施的按 0 分计。",
    "I312": "实际完成值只填实际数值（如“266米”）；比较符只用于年度指标值。",
    "I313": "在实际完成值中写上与年度指标值相同的单位。",
    "I315": "从下拉列表选择一级指标（产出指标、效益指标、满意度指标；评分表为投入、过程、产出、效果）。",
    "I316": "在成本指标的年度指标值前写明“≤”；若该指标越高越好，写“≥”。",
    "I320": "未按时完成的时效指标不能记满分：在“部分达成”或“未达成”档次内打分，并在偏差原因中说明；"
            "实际确已按时完成的，改正实际完成值。",
    "I321": "无需处理。如该指标确为越低越好，在年度指标值前写明“≤”；名称表（完成率、到位率等）在评分口径的 "
            "higher_is_better_names 中。",
    "T401": "调整各项分值，使预算执行分值与全部指标分值合计为 100。",
    "T402": "确认一级指标分值的调整有特殊情况依据；否则按评分口径的标准权重设置。",
    "T403": "把小计改为其下各项得分之和。建议值即该合计。",
    "T404": "把总分改为各项得分之和。建议值即该合计。",
    "T406": "总分不能超过 100：核对各项得分是否超过分值、小计和总分是否加错。",
    "T408": "核对一级指标下各三级指标的分值，使其合计等于标签上标注的分值（或改正标注）。",
    "T407": "核对各指标得分，使其合计不超过年度绩效目标的分值（湖北表为 80 分）。",
    "I319": "无需处理。如需逐行核对，请在自评报告中列出各指标分值，或改用列有分值的表样。",
    "T409": "补全未计分指标的实际完成值（定性指标选择档次），或填写得分；补全后总分和等次自动给出。",
    "T410": "核对建议得分后填入得分栏（或用 --output 让本工具填入空白得分格）；报送的应是单位自己的自评得分。",
    "T405": "按总分和评分口径的分档改填等次。建议值即应填的等次。",
}

INTRO = """\
# 校验规则一览

<!-- 本文件由 scripts/build_docs.py 根据 perfeval_xl/checks.py 的登记表生成，请勿手工修改。 -->

本工具对每份自评表逐条运行下列校验，发现一处问题就记一条：哪个单元格、哪条规则（固定代码）、有多严重、
用中文说明错在哪里和怎么改，能算出建议值时一并给出。命令行输出形如 `文件:工作表!单元格: 代码 级别 说明`，
工作簿中“校验结果”表每条一行，并链接到相应单元格。

代码的字母表示所属部分：{areas}。代码一经发布不再改变含义。

级别：**错误**须改正后再报送；**警告**请核实，单位可以有自己的理由；**提示**说明本工具是怎样计算的。
评分口径可以改变级别或关闭某条校验，在口径文件的 `[severity]` 中写，例如：

```toml
extends = "national-2020"

[severity]
I317 = "error"   # 超额完成未说明原因，作为错误
B208 = "off"     # 不再提示执行率所用分母
```

表样本身不打分的（家族描述 `perfeval_xl/families/*.toml` 中写 `scored = false`，如湖南县级专项资金绩效目标自评表：
没有分值、得分、总分和等次），只核对执行率和各项指标完成情况，不给总分、等次和建议得分，也不运行关于分值、得分、总分、
等次的校验（{unscored}）。

下文“条件”一项取自检查函数的说明（英文），是该规则的准确定义。

| 代码 | 标题 | 默认级别 |
| --- | --- | --- |
{table}
"""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _policy_overrides() -> dict[str, list[str]]:
    """code -> ["gx-130：错误（error）", …] for every shipped policy that changes the code's severity."""
    overrides: dict[str, list[str]] = {}
    for name in shipped_policy_names():
        for code, severity in sorted(load_policy(name).severity.items()):
            if code in REGISTRY and severity != REGISTRY[code].severity:
                overrides.setdefault(code, []).append(f"{name}：{SEVERITY_TEXT[severity]}")
    return overrides


def render() -> str:
    """The text of docs/checks.md for the current registry."""
    missing = [code for code in REGISTRY if code not in WHAT_TO_DO]
    stale = [code for code in WHAT_TO_DO if code not in REGISTRY]
    if missing or stale:
        raise SystemExit(f"scripts/build_docs.py: WHAT_TO_DO lacks {missing} / has codes no longer registered {stale}")
    codes = sorted(REGISTRY, key=lambda code: (list(AREAS).index(code[0]), code))
    overrides = _policy_overrides()
    table = "\n".join(f"| {code} | {REGISTRY[code].title} | {SEVERITY_TEXT[REGISTRY[code].severity]} |" for code in codes)
    parts = [INTRO.format(areas="、".join(AREAS.values()), table=table, unscored="、".join(sorted(POINTS_CODES)))]
    for code in codes:
        entry = REGISTRY[code]
        lines = [f"## {code} {entry.title}", "",
                 f"- 默认级别：{SEVERITY_TEXT[entry.severity]}"]
        if code in overrides:
            lines.append(f"- 内置评分口径中的调整：{'；'.join(overrides[code])}")
        lines += [f"- 条件：{_one_line(entry.condition)}",
                  f"- 示例：{entry.example}",
                  f"- 处理：{WHAT_TO_DO[code]}"]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(), encoding="utf-8", newline="\n")
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
