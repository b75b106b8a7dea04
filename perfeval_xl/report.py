"""The 校验报告: what `check --output` writes beside the scored workbooks, for a person to read or forward.

Pure: evaluation records (cli.evaluation_record) in, Markdown text out. One section per form: the verdict, every
score with how it was reached, and every issue with its cell.
"""

from __future__ import annotations

from typing import Any

from .model import UNSCORED_TEXT
from .values import one_line, shown_number
from .writeback import SEVERITY_LABEL

REPORT_NAME = "校验报告.md"


def _number(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return shown_number(value) if isinstance(value, (int, float)) else str(value)


def _cell_text(text: Any) -> str:
    return one_line(text).replace("|", "｜")


def markdown_report(records: list[dict]) -> str:
    lines = ["# 项目支出绩效自评 校验报告", ""]
    readable = [r for r in records if "error" not in r]
    lines.append(f"共 {len(records)} 份，读取 {len(readable)} 份；有错误的 {sum(1 for r in readable if r['errors'])} 份。")
    for record in records:
        lines += ["", f"## {record['file']}", ""]
        if "error" in record:
            lines.append(f"无法读取：{record['error']}")
            continue
        rate = record.get("execution_rate")
        facts = [("项目名称", record.get("project_name")), ("实施单位", record.get("implementing_unit")),
                 ("年度", record.get("year")), ("评分口径", record.get("policy")),
                 ("执行率", f"{rate * 100:.2f}%" if rate is not None else None),
                 ("预算执行得分", record.get("execution_score")), ("总分", record.get("total")),
                 ("评价等次", record.get("grade")), ("错误", record.get("errors")), ("警告", record.get("warnings"))]
        if record.get("scored") is False:  # a form without points: say so where the total and grade would be
            facts[-4:-2] = [("总分、等次", f"{UNSCORED_TEXT}（表样没有分值、得分，只核对执行率和各项指标完成情况）")]
        lines.append("；".join(f"{name} {_number(value)}" for name, value in facts if value not in (None, "")))
        if record.get("items") and record.get("scored") is False:
            lines += ["", "| 指标 | 完成情况 |", "| --- | --- |"]
            lines += [f"| {_cell_text(item['label'])} | {_cell_text(item['explanation'])} |" for item in record["items"]]
        elif record.get("items"):
            lines += ["", "| 指标 | 得分单元格 | 分值 | 填报得分 | 规则得分 | 计分说明 |", "| --- | --- | --- | --- | --- | --- |"]
            for item in record["items"]:
                lines.append(f"| {_cell_text(item['label'])} | {item['cell']} | {_number(item['weight'])} | "
                             f"{_number(item['typed'])} | {_number(item['suggested'])} | {_cell_text(item['explanation'])} |")
        if record.get("issues"):
            lines += ["", "| 单元格 | 代码 | 级别 | 说明 |", "| --- | --- | --- | --- |"]
            for issue in record["issues"]:
                lines.append(f"| {issue['cell'] or '全表'} | {issue['code']} | {SEVERITY_LABEL[issue['severity']]} | "
                             f"{_cell_text(issue['message'])} |")
        else:
            lines += ["", "未发现问题。"]
    return "\n".join(lines) + "\n"
