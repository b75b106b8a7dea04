"""`perfeval-xl summary`: check a whole batch of 自评表 and consolidate them into one workbook.

A finance bureau collects hundreds of forms. This checks every one with the same code as `check` (calamine read,
recognition, evaluation; `xlsx_io.check_file` and `cli.evaluation_record`), spread over all cores, and writes one
workbook:

- 汇总: one row per file (unreadable files too, with the reason), with amounts, 执行率, 总分, 等次 and issue counts;
- 问题清单: every issue of every form, the 文件 cell a hyperlink to that cell of that form;
- 图表: native Excel charts of the grade distribution, the score histogram and 执行率 against 总分, with their data;
- 说明: what each column means and which 评分口径 was used.

The output is deterministic apart from the data: fixed document and zip times, rows in input order, no timestamp.
One unreadable file, or one that makes the checker fail, becomes a 读取失败 row; it never stops the run.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import posixpath
import sys
import tempfile
import zipfile
from concurrent.futures import Future, as_completed
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple

from .analysis import funding_amounts
from .cli import (EXIT_ERRORS, EXIT_OK, EXIT_UNREADABLE, evaluation_record, expand_inputs, no_workbooks_message,
                  policy_option_ok, real_path, reason_without_name)
from .grid import FormReadError, column_letter
from .isolation import Limits, LimitedPool
from .model import Evaluation, family_ids, load_family
from .policy import DEFAULT_POLICY, PolicyError, load_policy
from .values import as_amount
from .writeback import SEVERITY_LABEL

SHEET_FORMS, SHEET_ISSUES, SHEET_CHARTS, SHEET_NOTES = "汇总", "问题清单", "图表", "说明"
UNREADABLE = "读取失败"
UNGRADED = "未评"
# Who gave the scores in a total (analysis.total_basis), as the 得分来源 column says it.
TOTAL_BASIS_LABEL = {"typed": "自评", "suggested": "建议", "mixed": "部分建议"}
UNSCORED = "不打分"  # the 等次 of a form whose layout carries no points (a family with `scored = false`)
GRADES = ("优", "良", "中", "差", UNGRADED)
SCORE_BINS = tuple(range(0, 101, 10))  # 0–10, 10–20, …, 90–100 (100 itself in the last bin)
# Excel keeps at most 65,530 hyperlinks on one worksheet; rows beyond get a HYPERLINK() formula instead.
MAX_LINKS_PER_SHEET = 65_530
FIXED_TIME = (2024, 1, 1, 0, 0, 0)

# (column, width, number format, meaning). The meaning goes on the 说明 sheet.
FORM_COLUMNS: list[tuple[str, int, str | None, str]] = [
    ("文件", 36, None, "自评表文件（相对于本汇总表所在文件夹的路径），点击打开"),
    ("主管部门", 24, None, "表内“主管部门”"),
    ("实施单位", 24, None, "表内“实施单位”"),
    ("项目名称", 30, None, "表内“项目名称”"),
    ("年度", 7, "0", "表内年度"),
    ("全年预算数", 12, "#,##0.00", "万元。标准表：项目资金“年度资金总额”行的全年预算数（该行为空或为 0 时取其中各项之和）；"
                                   "评分表：预算资金合计（本级 + 其他）"),
    ("全年执行数", 12, "#,##0.00", "万元。标准表：“年度资金总额”行的全年执行数（同上）；评分表：实际支出资金中的本级预算资金"),
    ("执行率", 9, "0.00%", "标准表：按评分口径计算的预算执行率（默认 全年执行数 / 全年预算数）；"
                          "评分表：预算执行率 = 实际支出 / 实际到位资金，与表内“预算执行率”一致"),
    ("总分", 8, "0.00", "按评分口径计算的总分（填报的得分优先，未填的按规则计）"),
    ("等次", 9, None, f"按评分口径的等次分档；无法算出总分的为“{UNGRADED}”，表样本身不打分（没有分值、得分）的为“{UNSCORED}”，文件打不开或认不出自评表的为“{UNREADABLE}”"),
    ("得分来源", 10, None, "总分中的得分是谁给的：“自评”为单位填写的得分；“建议”为单位没有填写任何得分，总分全部是本工具按规则"
                         "计算的建议得分（不是单位的自评结果）；“部分建议”为未填写的得分由规则补上"),
    ("错误", 6, "0", "“错误”级问题数（必须更正），明细见“问题清单”"),
    ("警告", 6, "0", "“警告”级问题数（请核实或说明），明细见“问题清单”"),
    ("表样", 26, None, "识别出的表样：本工具模板，或按标签识别的其他印制表样"),
    ("评分口径", 14, None, "计分所用的评分口径"),
    ("读取失败原因", 50, None, "文件无法读取或认不出自评表时的原因和处理办法"),
]
ISSUE_COLUMNS: list[tuple[str, int, str | None, str]] = [
    ("文件", 36, None, "自评表文件，点击打开并定位到问题所在单元格"),
    ("工作表", 10, None, "问题所在工作表"),
    ("单元格", 8, None, "问题所在单元格；为空表示针对整张表"),
    ("级别", 8, None, f"错误 / 警告 / 提示；文件无法读取的为“{UNREADABLE}”"),
    ("代码", 7, None, "检查规则的固定代码（见 docs/checks.md）"),
    ("说明", 90, None, "哪里不对、应该怎么改"),
    ("建议值", 10, None, "按规则建议填写的值（如有）"),
]
LAYOUT_LABELS = {"template": "本工具模板"}


# --- Checking the batch -----------------------------------------------------------------------------------------


def summary_record(path: Path, evaluation: Evaluation) -> dict[str, Any]:
    """`check --json`'s record plus the amounts the summary shows: budget_annual, budget_executed (万元) and
    budget_rate (the evaluation's 执行率 for the standard family; 实际支出 / 实际到位资金 for the legacy one)."""
    record = evaluation_record(path, evaluation)
    annual, executed, rate = _amounts(evaluation)
    record.update(budget_annual=annual, budget_executed=executed, budget_rate=rate)
    return record


def _amounts(evaluation: Evaluation) -> tuple[float | None, float | None, float | None]:
    form = evaluation.form
    if form.budget:
        def amount(row: str, column: str) -> float | None:
            return as_amount(form.budget_cell(row, column).parsed)

        annual, executed = amount("total", "annual"), amount("total", "executed")
        if not annual:  # the 年度资金总额 row left empty or 0 while the 其中 rows hold the money (as analysis.py does)
            parts = [row for row in ("current", "carryover", "other") if row in form.budget]
            if any(amount(row, "annual") for row in parts):
                annual = sum(amount(row, "annual") or 0.0 for row in parts)
                executed = executed or sum(amount(row, "executed") or 0.0 for row in parts) or None
        return annual, executed, evaluation.execution_rate
    if form.funding:
        family = load_family(form.family)
        funding = funding_amounts(form, family)
        rate = None
        for rule in family.table.get("computable", []):
            if rule.get("name") == "预算执行率":  # the form's own 实际支出 / 实际到位资金
                spent, arrived = funding.get(rule["numerator"]), funding.get(rule["denominator"])
                rate = spent / arrived if spent is not None and arrived else None
        return funding.get("planned"), funding.get("spent_own"), rate
    return None, None, evaluation.execution_rate


def check_one(path: Path, policy: str | None, family: str | None) -> dict[str, Any]:
    """One file's record; a file we cannot read, or one the checker fails on, gives a record with "error"."""
    from .xlsx_io import check_file

    try:
        return summary_record(path, check_file(path, policy, family))
    except FormReadError as exc:
        return failure_record(path, str(exc))
    except Exception as exc:  # a bug must cost one row, not the batch
        return failure_record(path, f"{path.name}：校验时程序出错（{type(exc).__name__}: {str(exc)[:200]}）。"
                                    "请把此文件反馈给维护人员；其他文件不受影响。")


def failure_record(path: Path, reason: str) -> dict[str, Any]:
    return {"file": str(path), "error": reason, "issues": []}


def check_all(paths: list[Path], policy: str | None = None, family: str | None = None, jobs: int | None = None,
              progress: Callable[[int], None] | None = None, limits: Limits | None = None) -> list[dict[str, Any]]:
    """Every file's record, in input order. `jobs` worker processes (default: all cores), each file under `limits`
    of memory and time (isolation.Limits): a file that makes its worker die or overrun is one 读取失败 row. Only
    `jobs=1`, asked for explicitly, checks in this process (no limits: for debugging and profiling)."""
    advance = progress or (lambda n: None)
    if jobs == 1:
        records = []
        for path in paths:
            records.append(check_one(path, policy, family))
            advance(1)
        return records
    if not paths:
        return []
    workers = max(1, min(jobs or os.cpu_count() or 1, len(paths)))
    records: list[dict[str, Any] | None] = [None] * len(paths)
    with LimitedPool(workers, limits or Limits()) as pool:
        futures: dict[Future, int] = {pool.submit(check_one, path, policy, family, name=path.name): index
                                      for index, path in enumerate(paths)}
        for future in as_completed(futures):
            index = futures[future]
            try:
                records[index] = future.result()
            except FormReadError as exc:  # WorkerLimitError: the worker died or ran over; named, one row
                records[index] = failure_record(paths[index], str(exc))
            except Exception as exc:  # check_one catches everything; this is the pool failing to send the task
                records[index] = failure_record(paths[index], f"{paths[index].name}：校验时程序出错"
                                                              f"（{type(exc).__name__}）。其他文件不受影响。")
            advance(1)
    return records  # type: ignore[return-value]


# --- Tables (pandas) ----------------------------------------------------------------------------------------------


def _relative_link(absolute: Path, folder: Path) -> str:
    """Where `absolute` is, seen from the summary's (resolved) folder: a relative link keeps working when the folder
    of forms and the summary are moved together. On another drive (Windows) only an absolute file: link reaches it."""
    try:
        return Path(os.path.relpath(absolute, folder)).as_posix()
    except ValueError:
        return absolute.as_uri()


def _display_names(resolved: list[Path]) -> list[str]:
    """Each file as a reviewer reads it: its path below the folder all inputs share (just the name for one folder)."""
    try:
        common = Path(os.path.commonpath([p.parent for p in resolved])) if resolved else None
    except ValueError:  # different drives
        common = None
    return [p.relative_to(common).as_posix() if common else str(p) for p in resolved]


def _layout_label(record: dict[str, Any]) -> str:
    try:
        title = load_family(record["family"]).title
    except (KeyError, ValueError):
        title = record.get("family") or ""
    layout = record.get("layout") or ""
    return f"{title}（{LAYOUT_LABELS.get(layout, layout)}）" if layout else title


def _year(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def build_tables(records: list[dict[str, Any]], folder: Path) -> dict[str, Any]:
    """The summary's tables as pandas DataFrames: forms, issues, grades, histogram, scatter."""
    import pandas as pd

    forms, issues = [], []
    # A link is shown (and linked to) under its own name: a dangling one or a loop has no target to show.
    resolved = [Path(os.path.abspath(f)) if os.path.islink(f) else real_path(Path(f)) for f in (r["file"] for r in records)]
    folder = real_path(Path(folder))
    for record, absolute, name in zip(records, resolved, _display_names(resolved)):
        link = _relative_link(absolute, folder)
        if "error" in record:
            forms.append({"文件": name, "等次": UNREADABLE, "读取失败原因": record["error"], "link": link})
            issues.append({"文件": name, "级别": UNREADABLE, "说明": record["error"], "link": link})
            continue
        forms.append({
            "link": link, "文件": name, "主管部门": record["department"], "实施单位": record["implementing_unit"],
            "项目名称": record["project_name"], "年度": _year(record["year"]),
            "全年预算数": record["budget_annual"], "全年执行数": record["budget_executed"],
            "执行率": record["budget_rate"], "总分": record["total"],
            "等次": record["grade"] or (UNSCORED if record.get("scored") is False else UNGRADED),
            "得分来源": TOTAL_BASIS_LABEL.get(record.get("total_basis")) if record["total"] is not None else None,
            "错误": record["errors"], "警告": record["warnings"], "表样": _layout_label(record),
            "评分口径": record["policy"],
        })
        for issue in record["issues"]:
            issues.append({"文件": name, "工作表": record["sheet"], "单元格": issue["cell"] or None,
                           "级别": SEVERITY_LABEL.get(issue["severity"], issue["severity"]), "代码": issue["code"],
                           "说明": issue["message"], "建议值": issue["suggested"],
                           "link": link, "sheet": record["sheet"]})
    forms_df = pd.DataFrame(forms, columns=[c[0] for c in FORM_COLUMNS] + ["link"])
    issues_df = pd.DataFrame(issues, columns=[c[0] for c in ISSUE_COLUMNS] + ["link", "sheet"])

    read = forms_df[forms_df["等次"] != UNREADABLE]
    # 优 良 中 差 always (a reviewer compares batches), other labels a local policy uses after them, 未评 last.
    order = [*GRADES[:-1], *(g for g in dict.fromkeys(read["等次"]) if g not in GRADES), UNGRADED]
    grades = read["等次"].value_counts().reindex(order, fill_value=0).rename_axis("等次").reset_index(name="份数")
    totals = pd.to_numeric(read["总分"], errors="coerce").dropna()
    labels = [f"{lo}–{lo + 10}" for lo in SCORE_BINS[:-1]]
    in_range = totals[(totals >= 0) & (totals <= 100)]
    binned = pd.cut(in_range.clip(upper=99.999), bins=list(SCORE_BINS), right=False, labels=labels)
    histogram = binned.value_counts().reindex(labels, fill_value=0).rename_axis("分数段").reset_index(name="份数")
    outside = int(len(totals) - len(in_range))
    if outside:
        histogram.loc[len(histogram)] = ["0–100 以外", outside]
    scatter = read[["文件", "执行率", "总分"]].copy()
    scatter[["执行率", "总分"]] = scatter[["执行率", "总分"]].apply(pd.to_numeric, errors="coerce")
    scatter = scatter.dropna(subset=["执行率", "总分"])
    return {"forms": forms_df, "issues": issues_df, "grades": grades, "histogram": histogram, "scatter": scatter,
            "unreadable": int((forms_df["等次"] == UNREADABLE).sum())}


# --- Writing the workbook ------------------------------------------------------------------------------------------
#
# openpyxl writes the frame of every sheet (column widths, frozen panes, autofilter, print setup, charts) and the
# styles; the rows are written here as XML text and put into openpyxl's output (RowSheet). openpyxl's
# pure-Python serialiser needs about 20 µs a cell, and 10,000 forms make about a million cells: 20 s of a 30 s budget.

# XML escapes, and the control characters XML cannot hold (openpyxl refuses them; text pasted into forms has them).
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;",
                           **{c: None for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]}})
_XML_ATTRIBUTE = str.maketrans({**_XML_TEXT, ord('"'): "&quot;"})
_LETTERS = [column_letter(i) for i in range(64)]
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HYPERLINK = f"{_NS_R}/hyperlink"
EXCEL_TEXT_LIMIT = 32_767


def _plain(value: Any) -> Any:
    """A DataFrame value as a cell value: NaN / NA → empty, numpy scalars → Python."""
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "item"):
        value = value.item()
    import pandas as pd

    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):  # not a scalar
        return value


class RowSheet:
    """A worksheet whose rows are written as SpreadsheetML text, with hyperlinks on cells."""

    def __init__(self, wb, title: str):
        self.wb, self.ws = wb, wb.create_sheet(title)
        self.rows: list[str] = []
        self.links: list[tuple[str, str, str | None]] = []  # (cell, target, location)
        self._style_ids: dict[tuple, int] = {}

    def style(self, font=None, fill=None, alignment=None, number_format: str | None = None) -> int:
        """The workbook's cellXfs index for this combination (registered through openpyxl, so it is written out)."""
        from openpyxl.cell import WriteOnlyCell

        key = (repr(font), repr(fill), repr(alignment), number_format)
        if key not in self._style_ids:
            cell = WriteOnlyCell(self.ws)
            if font is not None:
                cell.font = font
            if fill is not None:
                cell.fill = fill
            if alignment is not None:
                cell.alignment = alignment
            if number_format:
                cell.number_format = number_format
            self._style_ids[key] = cell.style_id
        return self._style_ids[key]

    def append(self, cells: list[tuple[Any, int] | None]) -> int:
        """Add a row of (value, style id) cells (None: no cell); returns its 1-based row number."""
        r = len(self.rows) + 1
        parts = []
        for c, cell in enumerate(cells):
            if cell is not None:
                parts.append(_cell_xml(f"{_LETTERS[c]}{r}", *cell))
        self.rows.append(f'<row r="{r}">{"".join(parts)}</row>')
        return r

    def link(self, cell: str, target: str, location: str | None = None) -> None:
        self.links.append((cell, target, location))

    def finish(self, sheet_xml: str, rels_xml: str | None) -> tuple[str, str | None]:
        """openpyxl's sheet XML (an empty sheetData) with our rows and hyperlinks in; the sheet's relationships."""
        data = f"<sheetData>{''.join(self.rows)}</sheetData>"
        for empty in ("<sheetData></sheetData>", "<sheetData />", "<sheetData/>"):
            if empty in sheet_xml:
                sheet_xml = sheet_xml.replace(empty, data, 1)
                break
        else:
            raise RuntimeError(f"{self.ws.title}: openpyxl wrote rows of its own")
        if not self.links:
            return sheet_xml, rels_xml
        if "xmlns:r=" not in sheet_xml[:sheet_xml.index(">")]:
            sheet_xml = sheet_xml.replace("<worksheet ", f'<worksheet xmlns:r="{_NS_R}" ', 1)
        links, rels = [], []
        for index, (cell, target, location) in enumerate(self.links, start=1):
            rid = f"rIdL{index}"
            where = f' location="{_escape(location, True)}"' if location else ""
            links.append(f'<hyperlink ref="{cell}" r:id="{rid}"{where}/>')
            rels.append(f'<Relationship Id="{rid}" Type="{_HYPERLINK}" Target="{_escape(target, True)}" '
                        'TargetMode="External"/>')
        # CT_Worksheet order: hyperlinks come after autoFilter …, before printOptions / pageMargins / pageSetup …
        at = min((i for i in (sheet_xml.find(tag) for tag in ("<printOptions", "<pageMargins", "<pageSetup",
                                                                "<headerFooter", "<drawing", "</worksheet>"))
                  if i >= 0))
        sheet_xml = sheet_xml[:at] + f"<hyperlinks>{''.join(links)}</hyperlinks>" + sheet_xml[at:]
        if rels_xml is None:
            rels_xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                        '</Relationships>')
        rels_xml = rels_xml.replace("</Relationships>", "".join(rels) + "</Relationships>", 1)
        return sheet_xml, rels_xml


class Formula(NamedTuple):
    """A formula cell written with its value, so readers that do not calculate (pandas, calamine) see the value."""

    formula: str
    value: str


def _hyperlink_formula(target: str, location: str | None, shown: str) -> Formula | None:
    """`=HYPERLINK("[a.xlsx]'自评表'!E7","a.xlsx")`: a link that does not count against Excel's limit of hyperlinks
    per sheet. None when the address is longer than the 255 characters a formula string may hold."""
    address = f"[{target}]{location}" if location else target
    if len(address) > 255 or len(shown) > 255:
        return None
    quoted = [text.replace('"', '""') for text in (address, shown)]
    return Formula(f'HYPERLINK("{quoted[0]}","{quoted[1]}")', shown)


def _escape(text: str, attribute: bool = False) -> str:
    return text.translate(_XML_ATTRIBUTE if attribute else _XML_TEXT)


def _cell_xml(ref: str, value: Any, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>' if style else ""
    if isinstance(value, Formula):
        return f'<c r="{ref}"{s} t="str"><f>{_escape(value.formula)}</f><v>{_escape(value.value)}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return f'<c r="{ref}"{s}/>' if style else ""
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = _escape(str(value)[:EXCEL_TEXT_LIMIT])
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _styles():
    from openpyxl.styles import Alignment, Font, PatternFill

    return {
        "header": dict(font=Font(bold=True, color="FFFFFF"), fill=PatternFill("solid", fgColor="305496"),
                       alignment=Alignment(horizontal="center", vertical="center", wrap_text=True)),
        "link": dict(font=Font(color="0563C1", underline="single")),
        "wrap": dict(alignment=Alignment(wrap_text=True, vertical="top")),
        "title": dict(font=Font(bold=True, size=12)),
        "bad": dict(font=Font(color="C00000", bold=True)),
    }


def _table_sheet(wb, title: str, columns, df, link_of: Callable[[dict], tuple[str, str | None]],
                 wrap: Iterable[str] = ()) -> tuple[RowSheet, int]:
    """One table sheet: styled header, widths, frozen header and first column, autofilter, the first column a
    hyperlink. Returns the sheet and how many rows link by a HYPERLINK() formula (past Excel's per-sheet limit)."""
    st = _styles()
    sheet = RowSheet(wb, title)
    ws = sheet.ws
    for index, (_, width, _, _) in enumerate(columns):
        ws.column_dimensions[column_letter(index)].width = width
    ws.page_setup.orientation, ws.page_setup.paperSize = "landscape", "9"  # A4; too wide to fit on one page
    ws.print_title_rows = "1:1"
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{column_letter(len(columns) - 1)}{len(df) + 1}"
    header = sheet.style(**st["header"])
    sheet.append([(name, header) for name, *_ in columns])
    wrap = set(wrap)
    # Per column: the style of a number (its format), of a text, of 读取失败; column A is the link.
    number_styles = [sheet.style(number_format=fmt) if fmt else 0 for _, _, fmt, _ in columns]
    text_styles = [sheet.style(**st["wrap"]) if name in wrap else 0 for name, *_ in columns]
    text_styles[0] = sheet.style(**st["link"])
    bad = sheet.style(**st["bad"])
    names = [name for name, *_ in columns]
    formula_links = 0
    for row in df.itertuples(index=False, name=None):
        values = dict(zip(df.columns, row))
        cells: list[tuple[Any, int] | None] = []
        for index, name in enumerate(names):
            value = _plain(values.get(name))
            if value is None:
                cells.append(None)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append((value, number_styles[index]))
            else:
                cells.append((value, bad if value == UNREADABLE else text_styles[index]))
        target, location = link_of(values)
        if len(sheet.links) >= MAX_LINKS_PER_SHEET:
            formula = _hyperlink_formula(target, location, str(cells[0][0]))
            if formula is not None:
                cells[0] = (formula, cells[0][1])
                formula_links += 1
        r = sheet.append(cells)
        if len(sheet.links) < MAX_LINKS_PER_SHEET:
            sheet.link(f"A{r}", target, location)
    return sheet, formula_links


def _print_setup(ws) -> None:
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _charts_sheet(wb, tables: dict[str, Any]) -> RowSheet:
    from openpyxl.chart import BarChart, Reference, ScatterChart, Series
    from openpyxl.chart.label import DataLabelList
    from openpyxl.chart.shapes import GraphicalProperties

    st = _styles()
    sheet = RowSheet(wb, SHEET_CHARTS)
    ws = sheet.ws
    _print_setup(ws)
    grades, histogram, scatter = tables["grades"], tables["histogram"], tables["scatter"]
    # The charts on the left (A–J); their data to the right: 等次 in L–M, 分数段 in O–P, 执行率/总分 in R–T.
    columns = {"grades": 11, "histogram": 14, "scatter": 17}
    blocks = {
        "grades": [["等次分布"], ["等次", "份数"]] + grades.values.tolist()
        + ([[f"另有{UNREADABLE} {tables['unreadable']} 份，未计入"]] if tables["unreadable"] else []),
        "histogram": [["总分分布（每 10 分一档，含下限）"], ["分数段", "份数"]] + histogram.values.tolist(),
        "scatter": [["执行率与总分"], ["文件", "执行率", "总分"]] + scatter.values.tolist(),
    }
    for col, width in {11: 8, 12: 8, 14: 14, 15: 8, 17: 36, 18: 9, 19: 8}.items():
        ws.column_dimensions[column_letter(col)].width = width
    title, header = sheet.style(**st["title"]), sheet.style(**st["header"])
    percent, score = sheet.style(number_format="0.00%"), sheet.style(number_format="0.00")
    for r in range(max(len(block) for block in blocks.values())):
        row: list[tuple[Any, int] | None] = [None] * 20
        for key, block in blocks.items():
            if r < len(block):
                for offset, value in enumerate(block[r]):
                    style = title if r == 0 else header if r == 1 else 0
                    if r > 1 and key == "scatter" and offset:
                        style = percent if offset == 1 else score
                    row[columns[key] + offset] = (_plain(value), style)
        sheet.append(row)

    def bar(title: str, key: str, x_title: str, gap: int, anchor: str) -> None:
        col, count = columns[key] + 1, len(tables[key])
        chart = BarChart()
        chart.type, chart.style, chart.title = "col", 10, title
        chart.y_axis.title, chart.x_axis.title = "份数", x_title
        chart.y_axis.majorGridlines = None
        chart.add_data(Reference(ws, min_col=col + 1, min_row=2, max_row=2 + count), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=col, min_row=3, max_row=2 + count))
        chart.legend = None
        chart.gapWidth = gap
        chart.dataLabels = DataLabelList(showVal=True, showCatName=False, showSerName=False, showLegendKey=False,
                                         showPercent=False)
        chart.y_axis.number_format = "0"
        _show_axes(chart)
        chart.width, chart.height = 18, 8
        ws.add_chart(chart, anchor)

    bar("评价等次分布", "grades", "等次", 60, "A1")
    bar("总分分布", "histogram", "总分", 8, "A18")
    chart = ScatterChart()
    chart.title, chart.style = "执行率与总分", 13
    chart.x_axis.title, chart.y_axis.title = "预算执行率", "总分"
    chart.x_axis.number_format, chart.y_axis.number_format = "0%", "0"
    chart.x_axis.majorGridlines = None
    chart.x_axis.scaling.min, chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 0, 100
    col = columns["scatter"] + 1
    last = max(3, 2 + len(scatter))
    series = Series(Reference(ws, min_col=col + 2, min_row=3, max_row=last),
                    Reference(ws, min_col=col + 1, min_row=3, max_row=last), title="自评表")
    series.marker.symbol, series.marker.size = "circle", 6
    series.marker.graphicalProperties = GraphicalProperties(solidFill="305496")
    series.marker.graphicalProperties.line.solidFill = "305496"
    series.graphicalProperties.line.noFill = True  # points only
    chart.series.append(series)
    chart.legend = None
    _show_axes(chart)
    chart.width, chart.height = 18, 10
    ws.add_chart(chart, "A35")
    return sheet


def _show_axes(chart) -> None:
    # openpyxl 3.1 leaves `delete` unset on axes, and recent Excel then hides them.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _notes_sheet(wb, tables: dict[str, Any], records: list[dict[str, Any]], policy: str | None,
                 formula_links: int) -> RowSheet:
    st = _styles()
    sheet = RowSheet(wb, SHEET_NOTES)
    ws = sheet.ws
    _print_setup(ws)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 100
    used: dict[str, int] = {}
    for record in records:
        if "error" not in record:
            used[record["policy"]] = used.get(record["policy"], 0) + 1
    if policy:
        how = f"全部按命令行指定的评分口径 {policy} 计算。"
    else:
        how = f"按各表“评分口径”单元格所填的口径计算；未填写的按 {DEFAULT_POLICY}。"
    rules = []
    for name in sorted(used):
        try:
            loaded = load_policy(name)
            rules.append(f"{name}（{loaded.title}）{used[name]} 份；等次：{loaded.grade_rule_text()}")
        except PolicyError:
            rules.append(f"{name} {used[name]} 份")
    read = len(records) - tables["unreadable"]
    rows: list[tuple[str, str]] = [
        ("项目支出绩效自评表汇总", ""),
        ("范围", f"共 {len(records)} 个文件：{read} 份已校验，{tables['unreadable']} 份{UNREADABLE}。"),
        ("评分口径", how),
        *[("", rule) for rule in rules],
        ("工作表", ""),
        (SHEET_FORMS, "每个文件一行，顺序与输入相同；可按任一列筛选、排序。"),
        (SHEET_ISSUES, "每份表的每一条问题（含“提示”），按文件和表内顺序；点击文件名打开该表并定位到单元格。"),
        (SHEET_CHARTS, "等次分布、总分分布（每 10 分一档）、执行率与总分散点图；图表所用数据在同一工作表右侧。"),
        (f"“{SHEET_FORMS}”各列", ""),
        *[(name, meaning) for name, _, _, meaning in FORM_COLUMNS],
        (f"“{SHEET_ISSUES}”各列", ""),
        *[(name, meaning) for name, _, _, meaning in ISSUE_COLUMNS],
        ("超链接", "链接使用相对路径：汇总表与自评表文件夹一起移动或拷贝时链接仍然有效。"),
    ]
    if formula_links:
        rows.append(("", f"Excel 每个工作表最多保存 {MAX_LINKS_PER_SHEET} 个超链接；“{SHEET_ISSUES}”中其余 {formula_links} 行"
                         "的文件名用 HYPERLINK 公式链接，同样可以点击打开。"))
    title, wrap = sheet.style(**st["title"]), sheet.style(**st["wrap"])
    for label, text in rows:
        sheet.append([(label, 0 if text else title), (text or None, wrap)])
    return sheet


def write_summary(records: list[dict[str, Any]], dest: Path, policy: str | None = None) -> None:
    """Write the summary workbook to `dest`, atomically (temporary file in the same folder, then rename)."""
    from openpyxl import Workbook

    dest = Path(dest)
    tables = build_tables(records, dest.parent)
    wb = Workbook(write_only=True)
    wb.properties.creator = "perfeval-xl"
    wb.properties.created = wb.properties.modified = datetime(*FIXED_TIME)

    def form_link(values: dict) -> tuple[str, str | None]:
        return values["link"], None

    def issue_link(values: dict) -> tuple[str, str | None]:
        sheet, cell = _plain(values.get("sheet")), _plain(values.get("单元格"))
        return values["link"], f"'{sheet}'!{cell}" if sheet and cell else None

    forms, _ = _table_sheet(wb, SHEET_FORMS, FORM_COLUMNS, tables["forms"], form_link, wrap=("读取失败原因",))
    issues, formula_links = _table_sheet(wb, SHEET_ISSUES, ISSUE_COLUMNS, tables["issues"], issue_link, wrap=("说明",))
    sheets = [forms, issues, _charts_sheet(wb, tables), _notes_sheet(wb, tables, records, policy, formula_links)]
    _save(wb, sheets, dest)


def _save(wb, sheets: list[RowSheet], dest: Path) -> None:
    from openpyxl.writer.excel import ExcelWriter

    folder = dest.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".~perfeval-", suffix=dest.suffix, dir=folder)
        os.close(handle)
    except OSError as exc:
        raise FormReadError(f"{dest}：无法在输出文件夹中写入（{exc.strerror or exc}）。请换一个有写入权限的文件夹。") from None
    temp = Path(temp_name)
    try:
        frame = io.BytesIO()
        with zipfile.ZipFile(frame, "w", zipfile.ZIP_STORED) as archive:
            ExcelWriter(wb, archive).save()  # not wb.save(): that stamps the current time into docProps
        with zipfile.ZipFile(frame) as src:
            parts = {info.filename: src.read(info.filename) for info in src.infolist()}
        for sheet in sheets:
            name = sheet.ws.path.lstrip("/")
            rels_name = posixpath.join(posixpath.dirname(name), "_rels", posixpath.basename(name) + ".rels")
            rels = parts[rels_name].decode("utf-8") if rels_name in parts else None
            xml, rels = sheet.finish(parts[name].decode("utf-8"), rels)
            # "replace": a file name that is not valid text (bytes from another code page) shows as "?", never stops us
            parts[name] = xml.encode("utf-8", "replace")
            if rels is not None:
                parts[rels_name] = rels.encode("utf-8", "replace")
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as dst:
            for name, data in parts.items():  # fixed entry times: same data, same bytes
                entry = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
                dst.writestr(entry, data, compresslevel=1)  # level 1: a third of the time, a few % larger
        os.replace(temp, dest)
    except OSError as exc:
        raise FormReadError(f"{dest.name}：保存失败（{exc.strerror or exc}）。文件是否正在 Excel 中打开？") from None
    finally:
        if temp.exists():
            temp.unlink()


# --- Command line --------------------------------------------------------------------------------------------------


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (worker processes, a port…), refused in Chinese otherwise."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为不小于 1 的整数，而不是“{text}”")
    return value


def add_summary_parser(sub) -> None:
    summary = sub.add_parser("summary", help="批量校验并汇总成一个工作簿",
                             description="校验一批自评表，汇总为一个工作簿：汇总、问题清单、图表、说明。"
                                         "退出码：0 全部读取且无错误；1 有表存在错误；2 有文件无法读取。")
    summary.add_argument("files", nargs="+", help="工作簿文件或文件夹（文件夹中的 .xlsx 等全部纳入）")
    summary.add_argument("--output", "-o", default="汇总.xlsx", help="汇总工作簿（默认 汇总.xlsx；给文件夹则写入其中的 汇总.xlsx）")
    summary.add_argument("--policy", help=f"评分口径名称或 .toml 文件（默认取各表内“评分口径”，否则 {DEFAULT_POLICY}）")
    summary.add_argument("--family", choices=family_ids(), help="表样（默认自动识别）")
    summary.add_argument("--json", action="store_true", help="同时以 JSON 输出每份表的结果（同 check --json）")
    summary.add_argument("--jobs", "-j", type=positive_int, default=None, help="并行进程数（默认为 CPU 核数；1 表示在本进程内依次校验）")
    summary.set_defaults(run=cmd_summary)


def _output_path(text: str) -> Path:
    dest = Path(text)
    if dest.is_dir():
        return dest / "汇总.xlsx"
    return dest if dest.suffix else dest.with_suffix(".xlsx")


def cmd_summary(args) -> int:
    dest = _output_path(args.output)
    if dest.suffix.lower() != ".xlsx":
        print(f"{dest.name}：汇总只能保存为 .xlsx 工作簿，请把输出文件名改为以 .xlsx 结尾。", file=sys.stderr)
        return EXIT_UNREADABLE
    if not policy_option_ok(args.policy):
        return EXIT_UNREADABLE
    target = real_path(dest)
    paths = [p for p in expand_inputs(args.files) if real_path(p) != target]  # never read last run's summary
    if not paths:
        print(no_workbooks_message(args.files), file=sys.stderr)
        return EXIT_UNREADABLE

    from tqdm import tqdm

    with tqdm(total=len(paths), desc="校验", unit="份", file=sys.stderr, disable=not sys.stderr.isatty(),
              leave=False) as bar:
        records = check_all(paths, args.policy, args.family, args.jobs, bar.update)
    try:
        write_summary(records, dest, args.policy)
    except FormReadError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNREADABLE

    unreadable = sum(1 for r in records if "error" in r)
    with_errors = sum(1 for r in records if r.get("errors"))
    report = (f"已汇总 {len(records)} 个文件：{len(records) - unreadable} 份已校验，其中 {with_errors} 份有错误；"
              f"{unreadable} 份{UNREADABLE}。汇总表：{dest}")
    if args.json:
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
        print(report, file=sys.stderr)
    else:
        for record in records:
            if "error" in record:
                print(f"{record['file']}: 无法读取：{reason_without_name(record['error'], Path(record['file']))}")
        print(report)
    if unreadable:
        return EXIT_UNREADABLE
    return EXIT_ERRORS if with_errors else EXIT_OK
