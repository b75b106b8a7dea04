"""`perfeval-xl summary` end to end on real workbooks: the two examples copied with changed figures, a truncated file
and a file that is not a workbook, summarised, then the 汇总.xlsx read back with openpyxl and pandas.

Expected totals are worked out by hand from the published forms (tests/seed_forms.py, shared/spec/scoring.md):
- 邵阳 (standard) as published: 97.73 / 373.60 = 26.16 % → 2.62; indicators typed 2.5 + 2.5 + 5 + 20 + 15 + 15 + 10 = 70;
  total 72.62 → 中.
- 全年执行数 373.60: 100 % → 10; total 80.00 → 良.  Also 成本指标 得分 20 → 30: total 90.00 → 优.
- 全年执行数 186.80: 50 % → 5; 成本指标 得分 20 → 0: indicators 50; total 55.00 → 差.
- 项目资金 and every indicator cleared: nothing to add up → 未评.
- 晋中 (legacy) as published: rows add up to 87.72 → 良; 预算执行率 153.33 / 161.69 = 94.83 %.
- 实际支出 80.845 (161.69 / 2 = 50 %) and its 预算执行率 得分 2.84 → 1.50: 87.72 − 1.34 = 86.38 → 良.
- 投入 subtotal corrected to 18.94: no error left.
"""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, ScatterChart

from perfeval_xl import xlsx_io
from perfeval_xl.cli import main

ROOT = Path(__file__).resolve().parents[1]
STANDARD = ROOT / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"
LEGACY = ROOT / "examples" / "晋中-信息网络软件硬件购置更新-2020.xlsx"

# file name -> (source, cells to change, expected 全年预算数, 全年执行数, 执行率, 总分, 等次)
FORMS = {
    "邵阳-原样.xlsx": (STANDARD, {}, 373.6, 97.73, 97.73 / 373.6, 72.62, "中"),
    "邵阳-全额执行.xlsx": (STANDARD, {"F7": 373.6}, 373.6, 373.6, 1.0, 80.0, "良"),
    "邵阳-优.xlsx": (STANDARD, {"F7": 373.6, "H17": 30}, 373.6, 373.6, 1.0, 90.0, "优"),
    "邵阳-差.xlsx": (STANDARD, {"F7": 186.8, "H17": 0}, 373.6, 186.8, 0.5, 55.0, "差"),
    "晋中-原样.xlsx": (LEGACY, {}, 170.0, 153.33, 153.33 / 161.69, 87.72, "良"),
    "晋中-执行一半.xlsx": (LEGACY, {"E12": 80.845, "H22": 1.5}, 170.0, 80.845, 0.5, 86.38, "良"),
    "区县/晋中-小计已改.xlsx": (LEGACY, {"H39": 18.94}, 170.0, 153.33, 153.33 / 161.69, 87.72, "良"),
}
EMPTIED = "邵阳-未填.xlsx"
CORRUPT, NOT_A_WORKBOOK = "损坏.xlsx", "不是工作簿.xlsx"


def _variant(source: Path, dest: Path, cells: dict) -> None:
    wb = openpyxl.load_workbook(source)
    ws = wb["自评表"]
    for ref, value in cells.items():
        ws[ref] = value
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
    for name, (source, cells, *_) in FORMS.items():
        _variant(source, folder / name, cells)
    emptied = {f"{c}{r}": None for r in range(7, 11) for c in "DEFG"}
    emptied.update({f"{c}{r}": None for r in range(14, 35) for c in "BCDEFGHI"})
    _variant(STANDARD, folder / EMPTIED, emptied)
    data = STANDARD.read_bytes()
    (folder / CORRUPT).write_bytes(data[: len(data) // 3])  # a copy cut short
    (folder / NOT_A_WORKBOOK).write_text("这是一份会议记录，不是工作簿。", encoding="utf-8")
    (folder / "说明.txt").write_text("not a workbook suffix: ignored", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def summarised(batch, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "汇总.xlsx"
    status = main(["summary", str(batch), "-o", str(out), "--jobs", "1"])
    return out, status


def _sheet(path: Path, name: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name, engine="openpyxl")


def _check_json(capsys, path: Path) -> dict:
    main(["check", str(path), "--json"])
    (record,) = json.loads(capsys.readouterr().out)
    return record


def test_one_row_per_file_with_hand_worked_totals(batch, summarised, capsys):
    out, status = summarised
    assert status == 2  # two files could not be read
    forms = _sheet(out, "汇总").set_index("文件")
    expected_files = sorted([*FORMS, EMPTIED, CORRUPT, NOT_A_WORKBOOK])
    assert sorted(forms.index) == expected_files  # 说明.txt is not a workbook suffix: not listed
    for name, (_, _, budget, executed, rate, total, grade) in FORMS.items():
        row = forms.loc[name]
        assert row["全年预算数"] == pytest.approx(budget)
        assert row["全年执行数"] == pytest.approx(executed)
        assert row["执行率"] == pytest.approx(rate, abs=1e-6)
        assert row["总分"] == pytest.approx(total) and row["等次"] == grade
        record = _check_json(capsys, batch / name)  # the counts are the ones `check` reports for the same file
        assert (row["错误"], row["警告"]) == (record["errors"], record["warnings"])
        assert row["评分口径"] == "national-2020"
        assert row["得分来源"] == {"typed": "自评", "suggested": "建议", "mixed": "部分建议"}[record["total_basis"]]
    # 邵阳 types every indicator's 得分 (its 预算执行 score is the template's formula: arithmetic, not a judgment)
    assert forms.loc["邵阳-原样.xlsx", "得分来源"] == "自评" and pd.isna(forms.loc[EMPTIED, "得分来源"])
    assert forms.loc["区县/晋中-小计已改.xlsx", "错误"] == 0
    assert forms.loc["晋中-原样.xlsx", "表样"].startswith("财政支出项目绩效自评表")
    assert forms.loc[EMPTIED, "等次"] == "未评" and pd.isna(forms.loc[EMPTIED, "总分"])
    for name, reason in ((CORRUPT, "损坏"), (NOT_A_WORKBOOK, "不是 Excel 工作簿")):
        assert forms.loc[name, "等次"] == "读取失败"
        assert name in forms.loc[name, "读取失败原因"] and reason in forms.loc[name, "读取失败原因"]


def test_sheet_formatting(summarised):
    out, _ = summarised
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["汇总", "问题清单", "图表", "说明"]
    ws = wb["汇总"]
    header = [c.value for c in ws[1]]
    assert header[:15] == ["文件", "主管部门", "实施单位", "项目名称", "年度", "全年预算数", "全年执行数", "执行率",
                           "总分", "等次", "得分来源", "错误", "警告", "表样", "评分口径"]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == f"A1:P{ws.max_row}"
    assert all(c.font.bold for c in ws[1]) and ws.column_dimensions["A"].width > 20
    rate_column = header.index("执行率") + 1
    rates = [ws.cell(r, rate_column) for r in range(2, ws.max_row + 1) if ws.cell(r, rate_column).value is not None]
    assert rates and all(c.number_format == "0.00%" for c in rates)
    for row in range(2, ws.max_row + 1):  # every form links to its file
        link = ws.cell(row, 1).hyperlink
        assert link is not None and (out.parent / link.target).resolve().name == Path(ws.cell(row, 1).value).name
    notes = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "national-2020" in notes and "执行率" in notes


def test_every_issue_is_listed_with_a_link_to_its_cell(batch, summarised, capsys):
    out, _ = summarised
    wb = openpyxl.load_workbook(out)
    ws = wb["问题清单"]
    header = [c.value for c in ws[1]]
    assert header == ["文件", "工作表", "单元格", "级别", "代码", "说明", "建议值"]
    listed = [[c.value for c in row] + [row[0].hyperlink] for row in ws.iter_rows(min_row=2)]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == f"A1:G{ws.max_row}"
    expected = []
    for name in sorted([*FORMS, EMPTIED]):
        record = _check_json(capsys, batch / name)
        expected += [(name, record["sheet"], issue["cell"] or None, issue["code"], issue["message"])
                     for issue in record["issues"]]
    got = [(row[0], row[1], row[2], row[4], row[5]) for row in listed if row[3] != "读取失败"]
    assert sorted(got) == sorted(expected)
    levels = {row[3] for row in listed}
    assert {"错误", "警告", "提示", "读取失败"} <= levels
    for name, sheet, cell, *_, link in listed:
        assert link is not None, name
        assert (out.parent / link.target).resolve() == (batch / name).resolve()  # relative to the summary's folder
        assert not Path(link.target).is_absolute()
        if cell:
            assert link.location == f"'{sheet}'!{cell}"
    failures = {row[0]: row[5] for row in listed if row[3] == "读取失败"}
    assert set(failures) == {CORRUPT, NOT_A_WORKBOOK}


def test_charts_and_their_data(summarised):
    out, _ = summarised
    ws = openpyxl.load_workbook(out)["图表"]
    kinds = [type(chart) for chart in ws._charts]
    assert kinds == [BarChart, BarChart, ScatterChart]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    cells = {(r, c): v for r, row in enumerate(values) for c, v in enumerate(row) if v is not None}

    def table(title: str) -> dict:
        r, c = next(k for k, v in cells.items() if v == title)
        rows = {}
        for rr in range(r + 2, len(values)):
            key = cells.get((rr, c))
            if key is None or (rr, c + 1) not in cells:
                break
            rows[key] = cells[(rr, c + 1)]
        return rows

    assert table("等次分布") == {"优": 1, "良": 4, "中": 1, "差": 1, "未评": 1}
    histogram = table("总分分布（每 10 分一档，含下限）")
    assert histogram["50–60"] == 1 and histogram["70–80"] == 1 and histogram["80–90"] == 4
    assert histogram["90–100"] == 1 and sum(histogram.values()) == 7
    scatter = table("执行率与总分")
    assert len(scatter) == 7 and scatter["邵阳-差.xlsx"] == pytest.approx(0.5)


def test_two_processes_give_the_same_workbook(batch, summarised, tmp_path):
    out, status = summarised
    again = out.with_name("汇总-2进程.xlsx")
    assert main(["summary", str(batch), "-o", str(again), "--jobs", "2"]) == status
    for sheet in ("汇总", "问题清单", "图表", "说明"):
        pd.testing.assert_frame_equal(_sheet(out, sheet), _sheet(again, sheet))
    assert again.read_bytes() == out.read_bytes()  # deterministic: no timestamps, input order kept


def test_json_is_like_check(batch, tmp_path, capsys):
    status = main(["summary", str(batch / "邵阳-原样.xlsx"), str(batch / CORRUPT), "-o", str(tmp_path / "s.xlsx"),
                   "--json", "--jobs", "1"])
    assert status == 2
    records = json.loads(capsys.readouterr().out)
    assert [Path(r["file"]).name for r in records] == ["邵阳-原样.xlsx", CORRUPT]
    assert records[0]["total"] == 72.62 and records[0]["budget_annual"] == 373.6 and "error" not in records[0]
    assert "损坏" in records[1]["error"] and records[1]["issues"] == []


def test_exit_status(batch, tmp_path):
    clean = batch / "区县" / "晋中-小计已改.xlsx"
    assert main(["summary", str(clean), "-o", str(tmp_path / "a.xlsx")]) == 0
    assert main(["summary", str(clean), str(batch / "晋中-原样.xlsx"), "-o", str(tmp_path / "b.xlsx")]) == 1
    assert main(["summary", str(batch / "没有这个文件.xlsx"), "-o", str(tmp_path / "c.xlsx")]) == 2
    assert main(["summary", str(clean), "-o", str(tmp_path / "d.xlsx"), "--policy", "没有这个口径"]) == 2
    assert not (tmp_path / "d.xlsx").exists()


def test_an_unreadable_file_is_named_once_on_the_terminal(batch, tmp_path, capsys):
    # As `check` prints it: "<path>: 无法读取：<reason>", not the file name again inside the reason.
    assert main(["summary", str(batch / CORRUPT), "-o", str(tmp_path / "a.xlsx")]) == 2
    line = next(line for line in capsys.readouterr().out.splitlines() if "无法读取" in line)
    assert line == f"{batch / CORRUPT}: 无法读取：文件已损坏或不完整（可能下载或拷贝中断），无法打开。请重新获取文件。"


def test_a_checker_failure_costs_one_row(batch, tmp_path, monkeypatch):
    real = xlsx_io.check_file

    def flaky(path, *args):
        if path.name == "邵阳-优.xlsx":
            raise ZeroDivisionError("division by zero")
        return real(path, *args)

    monkeypatch.setattr(xlsx_io, "check_file", flaky)
    out = tmp_path / "汇总.xlsx"
    files = [str(batch / "邵阳-原样.xlsx"), str(batch / "邵阳-优.xlsx"), str(batch / "邵阳-差.xlsx")]
    assert main(["summary", *files, "-o", str(out), "--jobs", "1"]) == 2
    forms = _sheet(out, "汇总")
    assert list(forms["等次"]) == ["中", "读取失败", "差"]
    assert "ZeroDivisionError" in forms["读取失败原因"][1] and "邵阳-优.xlsx" in forms["读取失败原因"][1]


def test_the_summary_in_the_input_folder_is_not_read_back(batch, tmp_path):
    folder = tmp_path / "forms"
    folder.mkdir()
    _variant(STANDARD, folder / "a.xlsx", {})
    for _ in range(2):
        assert main(["summary", str(folder), "-o", str(folder / "汇总.xlsx")]) == 1
    assert list(_sheet(folder / "汇总.xlsx", "汇总")["文件"]) == ["a.xlsx"]
    assert not [p for p in folder.iterdir() if p.name.startswith(".~")]  # no temporary file left behind


def test_past_excels_hyperlink_limit_rows_link_by_formula(batch, tmp_path, monkeypatch):
    from perfeval_xl import summary

    monkeypatch.setattr(summary, "MAX_LINKS_PER_SHEET", 3)
    out = tmp_path / "汇总.xlsx"
    main(["summary", str(batch / "邵阳-原样.xlsx"), "-o", str(out), "--jobs", "1"])
    ws = openpyxl.load_workbook(out)["问题清单"]
    first = [ws.cell(r, 1) for r in range(2, ws.max_row + 1)]
    assert len(first) > 3 and all(c.hyperlink is not None for c in first[:3])
    for cell in first[3:]:  # the address of the form and the issue's cell, shown as the file name
        sheet, ref = ws.cell(cell.row, 2).value, ws.cell(cell.row, 3).value
        assert cell.hyperlink is None
        target = f"../{batch.name}/邵阳-原样.xlsx"
        address = f"[{target}]'{sheet}'!{ref}" if ref else target
        assert cell.value == f'=HYPERLINK("{address}","邵阳-原样.xlsx")'
    shown = _sheet(out, "问题清单")["文件"]  # readers that do not calculate see the file name
    assert set(shown) == {"邵阳-原样.xlsx"}
    notes = " ".join(str(c.value) for row in openpyxl.load_workbook(out)["说明"].iter_rows() for c in row if c.value)
    assert "HYPERLINK" in notes


def worker_data_bytes() -> int:
    """A worker's private data size at rest (VmData: what its RLIMIT_DATA counts), with the readers imported."""
    import perfeval_xl.xlsx_io  # noqa: F401  as in a worker that has checked a file

    status = Path("/proc/self/status").read_text()
    return int(status.split("VmData:")[1].split()[0]) * 1024


def test_a_worker_that_runs_out_of_memory_costs_one_row(batch, tmp_path):
    """A real file within the input budget that needs more memory than its worker may have (one 30 MB text cell,
    which calamine holds as a Rust string and then as a Python str: 60 MB more), under a worker limit of 40 MB above
    what a worker holds at rest: that file is one 读取失败 row naming it, the files before and after it are
    checked in fresh workers."""
    from perfeval_xl.isolation import Limits, run_limited
    from perfeval_xl.summary import check_all

    greedy = tmp_path / "邵阳-巨大文本.xlsx"
    with zipfile.ZipFile(STANDARD) as source, zipfile.ZipFile(greedy, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # openpyxl would cut the text to 32,767 characters
                # 30 MB that compress 30 to 1 (runs of random hex digits): under the budget's ratio limit
                text = "".join(c * 48 for c in random.Random(1).randbytes(312_500).hex())
                data = data.replace(b"</sheetData>", f'<row r="900"><c r="K900" t="inlineStr"><is><t>{text}</t>'
                                                     f'</is></c></row></sheetData>'.encode())
            copy.writestr(info, data, zipfile.ZIP_DEFLATED)
    limit = run_limited(worker_data_bytes) + 40 * 2**20
    paths = [batch / "邵阳-原样.xlsx", greedy, batch / "邵阳-优.xlsx", batch / "晋中-原样.xlsx"]
    records = check_all(paths, jobs=2, limits=Limits(memory_bytes=limit, seconds=30))
    assert [r.get("grade") for r in records] == ["中", None, "优", "良"]
    assert records[1]["error"].startswith(f"邵阳-巨大文本.xlsx：读取失败：超出内存限制（{limit // 2**20} MB）")
