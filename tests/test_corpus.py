"""The corpus of real, published 自评表 (tests/corpus/): each form, laid out in its printed arrangement by
tests/corpus_build.py, is checked by the CLI as a finance bureau would run it.

For each form the tool must reproduce the published 总分 / 自评得分 and grade, or flag exactly the cells where the
published arithmetic is wrong, and give no error on a form whose printed figures add up. What is right comes from
the published figures and the arithmetic worked by hand in the transcription's [expected] table, never from
running our code. A form whose layout the reader cannot read yet is marked xfail(strict) with the missing reader
feature, so the mark must go the moment the reader learns it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from corpus_build import (MERGED_LEFT, MERGED_UP, build_all, discrepancies, false_warnings, grid_from_xlsx, load_corpus,
                          run_check)

ROOT = Path(__file__).resolve().parents[1]
FORMS = load_corpus()

# What the reader still lacks, per `reader_gap` in a transcription (the reader work of issue #10, parts 1–4).
READER_GAPS = {
    "placeholder rows": "读取器尚不认识模板占位行（指标1：名称 / 指标2： / ……），#10 第 1 部分",
    "hubei": "读取器尚不认识湖北 财政项目绩效自评表（预算执行 20 分 + 年度绩效目标 80 分，无分值列），#10 第 2 部分",
    "scorecard": "读取器尚不认识记分卡式 部门项目支出绩效自评表（参考分值、项目决策/管理/产出/效益、表头自评得分），#10 第 3 部分",
    "header synonyms": "读取器尚不认识表头同义词“完成值”（四川 510000_0013zp 表式），#10 第 3 部分：表头同义词放在数据中",
    "slash rows": "读取器把模板占位行上填“/”（不适用）的一行（指标1:/ | / | /，无分值）当作缺分值的指标（I301），不在 #10 的清单内",
    "units": "读取器单位与数字格式问题，#10 第 4 部分",
    "breakdown rows": "读取器把无分值的“其中……”分项行当作缺分值的指标（不在 #10 的清单内）",
    "unscored": "读取器尚不能读没有分值/得分列的 绩效目标自评表（不在 #10 的清单内）",
}


# Warnings the reader gives for no reason on a form, per `false_warning_gap` (not in #10's list: found by the corpus).
WARNING_GAPS = {
    "wrapped labels": "读取器没有把折行或竖排印的一级指标名（“产\\n出\\n指\\n标\\n(50分)”“满意度\\n指标”）认作标准名称，误报 I315",
}


@pytest.fixture(scope="session")
def corpus_built(tmp_path_factory):
    """Every form built once for the whole session: {id: workbook path}."""
    return build_all(tmp_path_factory.mktemp("corpus"), FORMS)


@pytest.fixture(scope="session")
def corpus_records(corpus_built):
    """Every built form checked in one CLI run."""
    return run_check(list(corpus_built.values()))


def _param(form):
    gap = form.expected.get("reader_gap")
    marks = [pytest.mark.xfail(strict=True, reason=READER_GAPS[gap])] if gap else []
    return pytest.param(form, id=form.id, marks=marks)


@pytest.mark.parametrize("form", [_param(f) for f in FORMS])
def test_corpus_form(form, corpus_records):
    assert discrepancies(form, corpus_records[form.id]) == []


def _warning_param(form):
    gap = form.expected.get("false_warning_gap")
    marks = [pytest.mark.xfail(strict=True, reason=WARNING_GAPS[gap])] if gap else []
    return pytest.param(form, id=form.id, marks=marks)


@pytest.mark.parametrize("form", [_warning_param(f) for f in FORMS
                                  if f.expected.get("false_warning_codes") or f.expected.get("false_warnings")])
def test_corpus_form_has_no_false_warnings(form, corpus_records):
    """Warnings the form gives no reason for (worked out by hand, listed in the transcription) are not raised."""
    record = corpus_records[form.id]
    assert "error" not in record
    assert false_warnings(form, record) == []


def _normalised(grid: list[list[str]]) -> list[list[str]]:
    """Plain numbers compared by value (`4.00` is the number 4), trailing empty cells and rows dropped."""
    rows = []
    for row in grid:
        cells = [format(float(c), "g") if c not in ("", MERGED_LEFT, MERGED_UP) and c.replace(".", "", 1).isdigit()
                 else c for c in row]
        while cells and cells[-1] == "":
            cells.pop()
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


@pytest.mark.parametrize("form", FORMS, ids=[f.id for f in FORMS])
def test_workbook_keeps_the_printed_arrangement(form, corpus_built):
    """The built workbook read back cell by cell, merged ranges included, is the transcription's grid."""
    assert _normalised(grid_from_xlsx(corpus_built[form.id])) == _normalised(form.grid)


def test_corpus_is_broad_enough():
    """Issue #10: at least 12 forms, 6 provinces, 3 layouts; every form names its source and place."""
    assert len(FORMS) >= 12
    assert len({f.data["province"] for f in FORMS}) >= 6
    assert len({f.data["layout"] for f in FORMS}) >= 3
    for form in FORMS:
        assert form.data["source"] or form.data["source_title"], form.id
        assert form.id == f"{form.path.stem}" and form.data["id"] == form.id


def test_docs_corpus_md_is_current(corpus_records):
    """docs/corpus.md is what scripts/build_corpus_doc.py renders from the transcriptions and this run of the tool."""
    spec = importlib.util.spec_from_file_location("build_corpus_doc", ROOT / "scripts" / "build_corpus_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render(FORMS, corpus_records)
    assert (ROOT / "docs" / "corpus.md").read_text(encoding="utf-8") == expected, \
        "docs/corpus.md 已过期：请运行 python scripts/build_corpus_doc.py"
