"""Regenerate docs/corpus.md: the corpus of real published 自评表 (tests/corpus/) and what perfeval-xl finds on each.

    python scripts/build_corpus_doc.py

Builds every transcription into a workbook (tests/corpus_build.py), runs `perfeval-xl check --json` on them and
writes the table. tests/test_corpus.py compares docs/corpus.md with what this renders now, so the page changes
(and must be regenerated) whenever the reader learns a layout or a result moves.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from corpus_build import CorpusForm, build_all, discrepancies, false_warnings, load_corpus, run_check  # noqa: E402

OUT = ROOT / "docs" / "corpus.md"

LAYOUT_NAMES = {
    "standard": "标准表样（财预〔2020〕10号）",
    "standard-weight-first": "标准表样变体：分值列在指标值前（衔接资金 绩效目标自评表）",
    "sichuan-2023": "四川 部门预算项目支出绩效自评表（510000_0013zp）",
    "hubei": "湖北 财政项目绩效自评表（预算执行 20 分 + 目标 80 分）",
    "scorecard": "记分卡式 部门项目支出绩效自评表（决策/管理/产出/效益）",
    "legacy": "旧式 财政支出项目绩效自评表（投入/过程/产出/效果 评分表）",
    "unscored": "不打分的 绩效目标自评表（无分值、得分列）",
    "hainan-three-weights": "海南 服务贸易项目绩效自评表（决策/管理/绩效，三级各列分值）",
}


def _number(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _published(form: CorpusForm) -> str:
    p = form.published
    if form.expected.get("scored") is False:
        return "不打分（无分值、得分）"
    total = _number(p.get("total"))
    if p.get("grade"):
        total += f"（{p['grade']}）"
    return total if form.data.get("complete") or p.get("total") is not None else "—（页面截断）"


def _found(record: dict) -> str:
    if "error" in record:
        return "未能读取"
    errors = [f"{i['code']} {i['cell']}".strip() for i in record["issues"] if i["severity"] == "error"]
    total = _number(record.get("total")) if record.get("scored") is not False else "无（本表不打分）"
    grade = f"（{record['grade']}）" if record.get("grade") else ""
    # Warnings are left out on purpose: their number moves with every wording change, errors and totals do not.
    return f"总分 {total}{grade}；错误 {', '.join(errors) if errors else '无'}"


def _verdict(form: CorpusForm, record: dict) -> str:
    wrong = discrepancies(form, record, with_messages=False)
    noise = false_warnings(form, record)
    if noise:
        wrong.append(f"误报警告 {len(noise)} 条：" + "，".join(sorted({code for code, _ in noise})))
    if not wrong:
        return "与手算一致"
    gap = form.expected.get("reader_gap")
    return ("尚未一致" + (f"（缺：{gap}）" if gap else "") + "：" + "；".join(wrong)).replace("|", "｜").replace("\n", " ")


def _source(form: CorpusForm) -> str:
    url = form.data.get("source")
    if url:
        return f"[{form.data['source_title']}]({url})"
    return form.data["source_title"] + ("" if "shared/seeds" in form.data["source_title"] else "（搜索结果未给网址）")


def render(forms: list[CorpusForm], records: dict[str, dict]) -> str:
    lines = [
        "# 真实自评表语料",
        "",
        "<!-- 本文件由 scripts/build_corpus_doc.py 根据 tests/corpus/ 的转录和一次 perfeval-xl check 运行生成，请勿手工修改。 -->",
        "",
        "各地公开发布、已填写的项目支出绩效自评表，逐格照录在 `tests/corpus/<省>-<年>-<简称>.toml`（原样保留错字、单位笔误和",
        "模板占位行），由 `tests/corpus_build.py` 按原表的排列（合并单元格、表头行、列序）生成工作簿，再由 `perfeval-xl check --json`",
        "校验。“手算”一栏是在转录文件 `[expected]` 中按公布的数字逐项核算的结果：公布的算术对的，工具应得出公布的总分和等次且不报错误；",
        "公布的算术错的，工具应恰好指出那几个单元格。页面截断的表只核对已录入的部分。",
        "",
        f"共 {len(forms)} 张，{len({f.data['province'] for f in forms})} 个省区，"
        f"{len({f.data['layout'] for f in forms})} 种表式。",
        "",
        "| 地方 | 年度 | 表式 | 项目 | 来源 | 公布总分 | 手算发现 | 工具结果 | 对照 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for form in forms:
        d = form.data
        hand = "；".join(e.get("why", "") for e in form.expected.get("errors", [])) or "算术无误"
        if not d.get("complete"):
            hand += "（页面截断）"
        cells = [d["place"], str(d["year"]), LAYOUT_NAMES.get(d["layout"], d["layout"]), d["project"], _source(form),
                 _published(form), hand, _found(records[form.id]), _verdict(form, records[form.id])]
        lines.append("| " + " | ".join(c.replace("|", "｜").replace("\n", " ") for c in cells) + " |")
    lines += [
        "",
        "## 增加一张表",
        "",
        "1. 在 `tests/corpus/` 新建 `<省>-<年>-<简称>.toml`：`source`（网址，照搜索结果）、`source_title`、`place`、`province`、`year`、",
        "   `layout`、`complete`、`notes`，以及 `grid`：逐行逐格照录，`\"<\"` 表示与左格合并，`\"^\"` 表示与上格合并，纯数字写成数字格。",
        "2. `[published]` 填公布的执行率、预算执行得分、总分、等次；`[expected]` 写手算的总分、等次和应报的错误（代码与单元格，",
        "   `why` 写出算式）；页面截断造成的错误代码列入 `truncation_codes`；读取器尚不认识的表式写 `reader_gap`（测试标为 xfail）。",
        "3. 运行 `python scripts/build_corpus_doc.py` 更新本页，再运行 `pytest tests/test_corpus.py`。",
        "",
    ]
    return "\n".join(lines)


def records_now(forms: list[CorpusForm]) -> dict[str, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        built = build_all(Path(tmp), forms)
        return run_check(list(built.values()))


def main() -> None:
    forms = load_corpus()
    OUT.write_text(render(forms, records_now(forms)), encoding="utf-8")
    print(f"已写入 {OUT}")


if __name__ == "__main__":
    main()
