"""`perfeval-xl clear`: what check wrote is taken back and the workbook is as the person left it."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from perfeval_xl.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [ROOT / "examples" / "邵阳-信息化建设专项经费-2023.xlsx", ROOT / "examples" / "晋中-信息网络软件硬件购置更新-2020.xlsx"]


def _snapshot(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): (c.value, c.fill.fgColor.rgb if c.fill.fill_type else None,
                                       c.comment.text if c.comment else None)
            for ws in wb.worksheets for row in ws.iter_rows() for c in row}, wb.sheetnames


def test_check_then_clear_gives_back_the_original(tmp_path):
    for example in EXAMPLES:
        scored, cleared = tmp_path / "scored", tmp_path / "cleared"
        main(["check", str(example), "--output", str(scored)])
        assert "校验结果" in openpyxl.load_workbook(scored / example.name).sheetnames
        assert main(["clear", str(scored / example.name), "--output", str(cleared)]) == 0
        before, after = _snapshot(example), _snapshot(cleared / example.name)
        assert after[1] == before[1]  # no 校验结果 sheet left
        changed = {k: (before[0].get(k), after[0].get(k)) for k in set(before[0]) | set(after[0])
                   if before[0].get(k, (None, None, None)) != after[0].get(k, (None, None, None))}
        assert changed == {}


def test_clear_keeps_a_value_typed_over_ours(tmp_path):
    example = EXAMPLES[0]
    wb = openpyxl.load_workbook(example)
    names = {n: d.attr_text.split("!")[1].replace("$", "") for n, d in wb.defined_names.items()}
    first_score = openpyxl.utils.cell.range_boundaries(names["绩效指标"])
    score_cell = f"{openpyxl.utils.get_column_letter(first_score[0] + 6)}{first_score[1]}"
    wb["自评表"][score_cell] = None  # left empty: check fills the rule score (2.5)
    source = tmp_path / "form.xlsx"
    wb.save(source)
    main(["check", str(source), "--in-place"])
    wb = openpyxl.load_workbook(source)
    assert wb["自评表"][score_cell].value == 2.5
    wb["自评表"][score_cell] = 2  # the person changes our 2.5 to 2
    wb.save(source)
    main(["clear", str(source)])
    wb = openpyxl.load_workbook(source)
    assert wb["自评表"][score_cell].value == 2 and "校验结果" not in wb.sheetnames
    assert (tmp_path / "form.bak.xlsx").exists()


def test_clear_without_marks_changes_nothing(tmp_path, capsys):
    example = EXAMPLES[0]
    target = tmp_path / example.name
    target.write_bytes(example.read_bytes())
    assert main(["clear", str(target)]) == 0
    assert target.read_bytes() == example.read_bytes()
    assert "没有校验标记" in capsys.readouterr().out
