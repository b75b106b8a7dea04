"""The older 投入/过程/产出/效果 form (seed 000, 晋中 2020) on the same engine, end to end on real files.

Expected figures are from the published form and shared/spec/seeds-expected.md: 资金到位率 161.69 / 170 = 95.11 % →
2.85 of 3; 预算执行率 153.33 / 161.69 = 94.83 % → 2.84 of 3; 投入 rows add up to 18.94 while 13.25 is printed;
综合得分 87.72; 良.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from xl_support import actions_of, book_from, payload_from_xlsx

from perfeval_xl.cli import main
from perfeval_xl.xl import check_book

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "晋中-信息网络软件硬件购置更新-2020.xlsx"


def _json(capsys, *args) -> list[dict]:
    main(["check", *args, "--json"])
    return json.loads(capsys.readouterr().out)


def test_seed_000_in_the_legacy_template(capsys):
    (record,) = _json(capsys, str(EXAMPLE))
    assert record["family"] == "legacy"
    items = {i["label"]: i for i in record["items"]}
    assert items["资金到位率"]["suggested"] == 2.85 and "95.11%" in items["资金到位率"]["explanation"]
    assert items["预算执行率"]["suggested"] == 2.84 and "94.83%" in items["预算执行率"]["explanation"]
    assert items["完成及时率"]["typed"] == 0 and items["完成及时率"]["suggested"] is None  # the evaluator's judgment stands
    assert record["subtotals"] == {"投入": 18.94, "过程": 20.0, "产出": 18.78, "效果": 30.0}
    assert record["total"] == 87.72 and record["grade"] == "良"
    errors = [i for i in record["issues"] if i["severity"] == "error"]
    assert [(i["code"], i["suggested"]) for i in errors] == [("T403", 18.94)]
    wb = openpyxl.load_workbook(EXAMPLE)
    subtotal = wb.defined_names["投入得分"].attr_text.split("!")[1].replace("$", "")
    assert errors[0]["cell"] == subtotal and "13.25" in errors[0]["message"]


def test_family_is_detected_and_can_be_overridden(capsys):
    (record,) = _json(capsys, str(EXAMPLE), "--family", "legacy")
    assert record["family"] == "legacy"
    main(["check", str(EXAMPLE), "--family", "standard"])
    out = capsys.readouterr().out
    assert "无法读取" in out and EXAMPLE.name in out


def test_scored_copy_keeps_the_typed_subtotal_and_marks_it(tmp_path):
    status = main(["check", str(EXAMPLE), "--output", str(tmp_path)])
    assert status == 1
    wb = openpyxl.load_workbook(tmp_path / EXAMPLE.name)
    ws = wb["自评表"]
    cell = wb.defined_names["投入得分"].attr_text.split("!")[1].replace("$", "")
    assert ws[cell].value == 13.25  # typed by the unit: reported, never overwritten
    assert ws[cell].fill.fgColor.rgb.endswith("FFC7CE")
    assert "18.94" in ws[cell].comment.text
    results = [row for row in wb["校验结果"].iter_rows(values_only=True)]
    assert any(row[2] == "T403" for row in results if row and len(row) > 2)


def test_the_excel_button_handles_the_legacy_family(tmp_path):
    book = book_from(payload_from_xlsx(EXAMPLE))
    evaluation, write = check_book(book)
    assert evaluation.form.family == "legacy" and evaluation.total == 87.72
    assert any(a["func"] == "addSheet" for a in actions_of(book))
    assert "T403" in {i.code for i in evaluation.issues}
