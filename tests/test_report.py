"""校验报告.md: written by `check --output` beside the scored workbooks, with every score's explanation."""

from __future__ import annotations

from pathlib import Path

from perfeval_xl.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEED_004 = ROOT / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"


def test_report_lists_scores_with_explanations_and_every_issue(tmp_path):
    broken = tmp_path / "坏.xlsx"
    broken.write_text("不是工作簿", encoding="utf-8")
    out = tmp_path / "out"
    main(["check", str(SEED_004), str(broken), "--output", str(out)])
    report = (out / "校验报告.md").read_text(encoding="utf-8")
    assert "共 2 份，读取 1 份；有错误的 1 份。" in report
    section = report.split(f"## {SEED_004}")[1]
    # the published form's figures, and how the 自助终端机 score was reached (23 / 11 = 209.09 %)
    assert "执行率 26.16%" in section and "总分 72.62" in section and "评价等次 中" in section
    assert "| 自助终端机 | H14 | 2.5 | 2.5 | 2.5 | 23台 / 11台 = 209.09%，达到目标，记满分 2.5（national-2020） |" in section
    assert "| F19 | I304 | 错误 |" in section
    assert f"## {broken}\n\n无法读取：" in report
    assert not list(out.glob(".~*")), "no temporary file left behind"


def test_no_report_without_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main(["check", str(SEED_004)])
    assert list(tmp_path.iterdir()) == []
