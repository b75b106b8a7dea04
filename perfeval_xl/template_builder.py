"""Build the two template workbooks (标准 项目支出绩效自评表 and the legacy 评分表 form) from the family descriptions.

The family TOML files are the single source of truth for every defined name, label and column order: this module
reads them and only decides *where* things go on the sheet and how they look. If a family file gains a field the
layout below does not place, building fails loudly instead of silently producing a template without it.

Pure openpyxl; no Excel needed. ``python scripts/build_templates.py`` regenerates ``workbook_templates/*.xlsx``.

Colour legend (also written into the 填表说明 sheet and docs/template.md):
  light yellow FFF2CC, unlocked  -> the unit types here
  light grey   F2F2F2, locked    -> native formula, computed in Excel / WPS / LibreOffice
  light blue   DDEBF7, unlocked  -> owned by perfeval-xl (建议得分 / 计分说明), the add-in writes here
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import column_index_from_string, get_column_letter, quote_sheetname
from openpyxl.utils.cell import absolute_coordinate, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from . import model
from .print_layout import fit_row_heights
from .policy import load_policy, shipped_policy_names

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT_DIR = REPO_ROOT / "workbook_templates"

# Policy names shipped with the project (perfeval_xl/policies/<name>.toml); offered by the 评分口径 dropdown.
DEFAULT_POLICY = "national-2020"
POLICY_NAMES = tuple([DEFAULT_POLICY] + [n for n in shipped_policy_names() if n != DEFAULT_POLICY])
# The 评分口径 input cell of each template (the formulas read it; the layout below puts it there).
POLICY_CELL_STANDARD, POLICY_CELL_LEGACY = "$B$5", "$C$7"

# 定性评价档次 (财预〔2020〕10号): the three tiers a qualitative indicator is scored in.
QUALITATIVE_TIERS = ("达成年度指标", "部分达成年度指标并具有一定效果", "未达成年度指标且效果较差")

# Fixed document times so regenerating the templates does not change them (git diffs stay quiet).
FIXED_TIME = datetime.datetime(2024, 1, 1, 0, 0, 0)
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)

INSTRUCTIONS_SHEET = "填表说明"

# ----------------------------------------------------------------------------------------------------------------
# Styles

FONT_NAME = "宋体"
FILL_INPUT = PatternFill("solid", fgColor="FFF2CC")
FILL_COMPUTED = PatternFill("solid", fgColor="F2F2F2")
FILL_OWNED = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
FONT = Font(name=FONT_NAME, size=11)
FONT_BOLD = Font(name=FONT_NAME, size=11, bold=True)
FONT_TITLE = Font(name=FONT_NAME, size=18, bold=True)
FONT_NOTE = Font(name=FONT_NAME, size=9, color="595959")
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)

AMOUNT_FORMAT = "0.00"
RATE_FORMAT = "0.00%"
SCORE_FORMAT = "0.00"

ERROR_TITLE = "输入有误"
ERROR_NUMBER = "请输入不小于 0 的数字（只填数字，不要带单位），如 2.5。"
ERROR_AMOUNT = "请输入不小于 0 的金额数字（单位：万元，不要带“万元”字样），如 373.6。"
PROMPT_OWNED = "本列由 perfeval-xl 工具自动填写（建议得分及计分依据），不打印。请勿手工填写。"


def load_family(family_id: str) -> dict:
    """The parsed family description perfeval_xl/families/<family_id>.toml, as the engine loads it."""
    return model.load_family(family_id).data


# ----------------------------------------------------------------------------------------------------------------
# A small drawing layer: every cell written through it gets font, border, fill and protection.


@dataclass
class _Form:
    """Writes cells of one sheet. A range ref ("B3:J3") is styled cell by cell and then merged; the value and the
    defined name go to its top-left cell. Names placed here are defined on the workbook at the end."""

    ws: Worksheet
    names: dict[str, str] = field(default_factory=dict)  # defined name -> range on ws ("D7" or "D7:I10")

    def _apply(self, ref: str, *, fill=None, font=FONT, locked=True, border=True, align=None, number_format=None):
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        for row in range(min_row, max_row + 1):
            for col in range(min_col, max_col + 1):
                cell = self.ws.cell(row=row, column=col)
                cell.font = font
                cell.protection = LOCKED if locked else UNLOCKED
                cell.alignment = align or Alignment(horizontal="center", vertical="center", wrap_text=True)
                if border:
                    cell.border = BORDER
                if fill is not None:
                    cell.fill = fill
                if number_format:
                    cell.number_format = number_format
        if ":" in ref and (min_col, min_row) != (max_col, max_row):
            self.ws.merge_cells(ref)
        return self.ws.cell(row=min_row, column=min_col)

    def label(self, ref: str, text: str, *, bold=True, align=None, border=True, font=None):
        cell = self._apply(ref, font=font or (FONT_BOLD if bold else FONT), border=border, align=align)
        cell.value = text
        return cell

    def input(self, ref: str, value=None, *, align=None, number_format=None, name: str | None = None):
        cell = self._apply(ref, fill=FILL_INPUT, locked=False, align=align, number_format=number_format)
        cell.value = value
        if name:
            self.name(name, cell.coordinate)
        return cell

    def computed(self, ref: str, formula: str, *, number_format=None, name: str | None = None, align=None):
        cell = self._apply(ref, fill=FILL_COMPUTED, locked=True, number_format=number_format, align=align)
        cell.value = formula
        if name:
            self.name(name, cell.coordinate)
        return cell

    def owned(self, ref: str, *, number_format=None, align=None):
        return self._apply(ref, fill=FILL_OWNED, locked=False, number_format=number_format, align=align)

    def blank(self, ref: str, *, fill=None):
        """A bordered, locked cell (not applicable on this form)."""
        return self._apply(ref, fill=fill)

    def name(self, name: str, ref: str):
        if name in self.names:
            raise ValueError(f"defined name {name!r} placed twice")
        self.names[name] = ref


LEFT_WRAP = Alignment(horizontal="left", vertical="top", wrap_text=True)
LEFT_CENTER = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT_CENTER = Alignment(horizontal="right", vertical="center", wrap_text=False)


def _validation(ws: Worksheet, ref: str, *, type=None, formula1=None, formula2=None, operator=None,
                title: str | None = None, prompt: str | None = None, error: str | None = None,
                error_style: str | None = None) -> DataValidation:
    """Add a data validation (optionally only an input message) over ref."""
    dv = DataValidation(type=type, formula1=formula1, formula2=formula2, operator=operator, allow_blank=True)
    if prompt:
        dv.showInputMessage = True
        dv.promptTitle = title
        dv.prompt = prompt
    if type is not None:
        dv.showErrorMessage = True
        dv.errorTitle = ERROR_TITLE
        dv.error = error or ERROR_NUMBER
        if error_style:
            dv.errorStyle = error_style
    # Excel refuses the whole file beyond these limits.
    if len(title or "") > 32 or len(prompt or "") > 255 or len(error or "") > 255:
        raise ValueError(f"data validation text too long for Excel: {title!r} {prompt!r} {error!r}")
    for part in ref.split():
        dv.add(part)
    ws.add_data_validation(dv)
    return dv


def _list_formula(items) -> str:
    text = ",".join(items)
    if len(text) > 255:
        raise ValueError(f"dropdown list too long for Excel: {text}")
    return f'"{text}"'


def _decimal_ge0(ws, ref, *, title, prompt, error=ERROR_NUMBER):
    return _validation(ws, ref, type="decimal", operator="greaterThanOrEqual", formula1="0",
                       title=title, prompt=prompt, error=error)


def _table_validations(ws: Worksheet, column_range, prompts: dict, columns: list[dict], lists: dict) -> None:
    """Input messages and checks for a table's columns: a dropdown where `lists` gives one (items, error), a
    number ≥ 0 for 分值 / 得分, a prompt only otherwise; the tool-owned columns say they are the tool's."""
    for key, (title, prompt) in prompts.items():
        if key in lists:
            items, error = lists[key]
            _validation(ws, column_range(key), type="list", formula1=_list_formula(items), title=title,
                        prompt=prompt, error=error)
        elif key in ("weight", "score"):
            _decimal_ge0(ws, column_range(key), title=title, prompt=prompt)
        else:
            _validation(ws, column_range(key), title=title, prompt=prompt)
    for c in columns:
        if c.get("owned"):
            _validation(ws, column_range(c["key"]), title=c["labels"][0], prompt=PROMPT_OWNED)


def _protect(ws: Worksheet) -> None:
    """Sheet protection on, no password; formatting, row insert/delete, sort and filter stay allowed."""
    ws.protection = SheetProtection(
        sheet=True, objects=True, scenarios=True,
        formatCells=False, formatColumns=False, formatRows=False,
        insertRows=False, deleteRows=False, sort=False, autoFilter=False,
        insertColumns=True, deleteColumns=True, insertHyperlinks=True, pivotTables=True,
        selectLockedCells=False, selectUnlockedCells=False,
    )


def _page_setup(ws: Worksheet, *, print_area: str, title_row: int) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.print_area = print_area
    ws.print_title_rows = f"{title_row}:{title_row}"


def _legend(form: _Form, col: int, first_row: int) -> None:
    """Colour legend outside the print area (rows first_row.. in columns col, col+1)."""
    ws = form.ws
    entries = ((FILL_INPUT, "填写：黄色单元格由填报单位填写"),
               (FILL_COMPUTED, "计算：灰色单元格为公式，自动计算，已锁定"),
               (FILL_OWNED, "工具：蓝色单元格由 perfeval-xl 填写"))
    for i, (fill, text) in enumerate(entries):
        r = first_row + i
        swatch = ws.cell(row=r, column=col)
        swatch.fill = fill
        swatch.border = BORDER
        swatch.protection = LOCKED
        note = ws.cell(row=r, column=col + 1, value=text)
        note.font = FONT_NOTE
        note.alignment = LEFT_CENTER
        note.protection = LOCKED


def _set_widths(ws: Worksheet, widths: dict[str, float]) -> None:
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width


def _finish_form(wb: Workbook, form: "_Form", fam: dict, wanted: set[str], *, legend_col: str, print_area: str,
                 title_row: int, instructions: list[tuple[str, str]], policy_cell: str) -> None:
    """What every template ends with: legend, protection, print setup, the defined names (all those the family
    description asks for must be placed), the 填表说明 sheet and the workbook properties."""
    ws = form.ws
    _legend(form, col=column_index_from_string(legend_col), first_row=2)
    _protect(ws)
    _page_setup(ws, print_area=print_area, title_row=title_row)
    _check_placed(fam["id"], wanted, set(form.names))
    _define_names(wb, ws, form.names)
    _instructions_sheet(wb, fam["title"], instructions)
    for sheet in wb.worksheets:
        fit_row_heights(sheet)  # Excel does not size rows on open: a long label would be cut off
    _finish_workbook(wb, fam["title"], policy_cell)


def _finish_workbook(wb: Workbook, title: str, policy_cell: str) -> None:
    # The formulas read the 评分口径 cell by address: it must be the cell the name 评分口径 points at.
    where = wb.defined_names["评分口径"].attr_text
    if not where.endswith(f"!{policy_cell}"):
        raise ValueError(f"评分口径 is at {where}, but the formulas read {policy_cell}")
    wb.move_sheet(PARAMS_SHEET, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(PARAMS_SHEET))
    wb.properties.title = title
    wb.properties.creator = "perfeval-xl"
    wb.properties.lastModifiedBy = "perfeval-xl"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.calculation.fullCalcOnLoad = True
    wb.active = 0


def _define_names(wb: Workbook, ws: Worksheet, names: dict[str, str]) -> None:
    sheet = quote_sheetname(ws.title)
    for name, ref in names.items():
        wb.defined_names[name] = DefinedName(name, attr_text=f"{sheet}!{absolute_coordinate(ref)}")


def _check_placed(kind: str, wanted: set[str], placed: set[str]) -> None:
    missing = sorted(wanted - placed)
    if missing:
        raise ValueError(f"{kind}: the family description has names the template layout does not place: {missing}")


def _instructions_sheet(wb: Workbook, title: str, paragraphs: list[tuple[str, str]]) -> None:
    """Second sheet with short Chinese instructions: (heading, body) pairs; an empty heading continues the text."""
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    ws.column_dimensions["A"].width = 4
    ws.column_dimensions["B"].width = 110
    ws.sheet_view.showGridLines = False
    cell = ws.cell(row=1, column=2, value=f"{title} 填表说明")
    cell.font = Font(name=FONT_NAME, size=14, bold=True)
    row = 3
    for heading, body in paragraphs:
        if heading:
            c = ws.cell(row=row, column=2, value=heading)
            c.font = FONT_BOLD
            row += 1
        for line in body.strip().splitlines():
            c = ws.cell(row=row, column=2, value=line.strip())
            c.font = FONT
            c.alignment = Alignment(wrap_text=True, vertical="top")
            row += 1
        row += 1
    legend_row = row
    c = ws.cell(row=legend_row, column=2, value="颜色说明")
    c.font = FONT_BOLD
    for i, (fill, text) in enumerate(((FILL_INPUT, "黄色：填报单位填写的单元格（未锁定）"),
                                      (FILL_COMPUTED, "灰色：公式自动计算的单元格（已锁定，请勿改动）"),
                                      (FILL_OWNED, "蓝色：perfeval-xl 工具写入的单元格（建议得分、计分说明；不打印）"))):
        swatch = ws.cell(row=legend_row + 1 + i, column=1)
        swatch.fill = fill
        swatch.border = BORDER
        c = ws.cell(row=legend_row + 1 + i, column=2, value=text)
        c.font = FONT
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


# ----------------------------------------------------------------------------------------------------------------
# 口径参数: a hidden sheet with what the native formulas need of each shipped policy, so a form whose 评分口径 says
# bj-2016 or bands-80-70-60 computes the same 执行率 and 等次 in Excel, WPS and LibreOffice as perfeval-xl does.

PARAMS_SHEET = "口径参数"
PARAMS_COLUMNS = ("口径名称", "执行率分母", "优 下限", "良 下限", "中 下限")


def _params_sheet(wb: Workbook) -> str:
    """Write the hidden 口径参数 sheet from the shipped policies; returns the absolute range formulas look up."""
    ws = wb.create_sheet(PARAMS_SHEET)
    ws.sheet_state = "hidden"
    ws.append(list(PARAMS_COLUMNS))
    for name in POLICY_NAMES:
        policy = load_policy(name)
        bands = {grade: lower for lower, grade in policy.grade_bands}
        ws.append([name, policy.execution_denominator, bands["优"], bands["良"], bands["中"]])
    ws.column_dimensions["A"].width = 18
    ws.protection.sheet = True
    return f"{quote_sheetname(PARAMS_SHEET)}!$A$2:$E${len(POLICY_NAMES) + 1}"


def _param(params: str, policy_ref: str, column: int, default: str) -> str:
    """The policy's setting from 口径参数; the national default when the 评分口径 cell names no shipped policy."""
    return f"IFERROR(VLOOKUP({policy_ref},{params},{column},FALSE),{default})"


def _grade_formula(total_ref: str, params: str, policy_ref: str) -> str:
    """Grade bands of the form's policy (财预〔2020〕10号: 90 (含) 优, 80 (含) 良, 60 (含) 中, below 60 差);
    empty while there is no total."""
    t = total_ref
    top, good, mid = (_param(params, policy_ref, col, default) for col, default in ((3, 90), (4, 80), (5, 60)))
    return f'=IF(ISNUMBER({t}),IF({t}>={top},"优",IF({t}>={good},"良",IF({t}>={mid},"中","差"))),"")'


def _policy_rate_formula(executed: str, initial: str, annual: str, params: str, policy_ref: str) -> str:
    """执行率 with the denominator of the form's policy: 全年预算数, or 年初预算数 where the policy says so."""
    denominator = f'IF({_param(params, policy_ref, 2, chr(34) + "annual" + chr(34))}="initial",{initial},{annual})'
    return _rate_formula(executed, denominator)


def _rate_formula(numerator: str, denominator: str) -> str:
    n, d = numerator, denominator
    return f'=IF(AND(ISNUMBER({d}),{d}>0,ISNUMBER({n})),{n}/{d},"")'


# ----------------------------------------------------------------------------------------------------------------
# Standard family: 项目支出绩效自评表 (财预〔2020〕10号 附件)

STANDARD_WIDTHS = {"A": 10, "B": 12, "C": 14, "D": 26, "E": 16, "F": 16, "G": 10, "H": 10, "I": 28, "J": 18,
                   "K": 10, "L": 36}

STANDARD_INDICATOR_PROMPTS = {
    "level1": ("一级指标", "从下拉列表选择：{level1}。同一一级指标下的多行可只在第一行填写。"),
    "level2": ("二级指标", "从下拉列表选择，须与一级指标对应：{level2}。"),
    "name": ("三级指标", "填写具体指标名称，如：自助终端机购置数量、项目按期完成率。"),
    "target": ("年度指标值", "如 ≥10台、≤193.5万元、=100%、按期完成。定量指标写比较符号、数字和单位；"
                          "定性指标写文字目标。"),
    "actual": ("实际完成值", "填写实际完成的数字和单位，如 23台、141.3万元、100%；定性指标写完成情况，"
                          "如 按期完成、明显改善。单位要与年度指标值一致。"),
    "weight": ("分值", "本指标的分值（只填数字）。一般产出指标合计50分、效益指标30分、满意度指标10分，"
                     "加预算执行10分共100分。"),
    "score": ("得分", "本指标自评得分（只填数字），不超过分值。完成指标得满分；未完成按 实际值/指标值×分值 计分。"),
    "reason": ("偏差原因分析", "未完成年度指标，或超额完成较多（如实际值达到指标值的130%以上）时，"
                           "须写明原因和改进措施。"),
    "tier": ("定性评价档次", "仅定性指标填写。{tiers}"),
}


def build_standard_template(indicator_rows: int = 30) -> Workbook:
    """The 项目支出绩效自评表 template, laid out like the 2020 official form, with `indicator_rows` indicator rows."""
    if indicator_rows < 3:
        raise ValueError("indicator_rows must be at least 3 (rows are inserted inside the block)")
    fam = load_family("standard")
    wb = Workbook()
    ws = wb.active
    params = _params_sheet(wb)
    ws.title = fam["sheet"]
    form = _Form(ws)
    fields = fam["fields"]
    _set_widths(ws, STANDARD_WIDTHS)
    ws.sheet_view.zoomScale = 100

    # Title and year ------------------------------------------------------------------------------------------
    form.label("A1:J1", fam["title"], font=FONT_TITLE, border=False)
    ws.row_dimensions[1].height = 36
    form.label("A2:E2", "（", bold=False, border=False, align=RIGHT_CENTER)
    form.input("F2", name=fields["year"]["name"])
    form.label("G2:J2", "年度）", bold=False, border=False, align=LEFT_CENTER)
    ws.row_dimensions[2].height = 22
    _validation(ws, "F2", type="whole", operator="between", formula1="2000", formula2="2100",
                title="年度", prompt="填写4位年份，如 2023。", error="请填写4位年份数字，如 2023。")

    # Project, department, unit, policy ----------------------------------------------------------------------
    form.label("A3", fields["project_name"]["labels"][0])
    form.input("B3:J3", align=LEFT_CENTER, name=fields["project_name"]["name"])
    _validation(ws, "B3", title="项目名称", prompt="填写预算批复的项目名称。")
    form.label("A4", fields["department"]["labels"][0])
    form.input("B4:E4", align=LEFT_CENTER, name=fields["department"]["name"])
    _validation(ws, "B4", title="主管部门", prompt="填写主管部门全称（可附部门代码）。")
    form.label("F4", fields["implementing_unit"]["labels"][0])
    form.input("G4:J4", align=LEFT_CENTER, name=fields["implementing_unit"]["name"])
    _validation(ws, "G4", title="实施单位", prompt="填写项目实施单位全称。")
    form.label("A5", fields["policy"]["labels"][0])
    form.input("B5:D5", DEFAULT_POLICY, name=fields["policy"]["name"])
    _validation(ws, "B5", type="list", formula1=_list_formula(POLICY_NAMES), title="评分口径",
                prompt="选择 perfeval-xl 计分所依据的规则，默认 national-2020（财预〔2020〕10号）。"
                       "本表公式按国家口径计算；其他口径的结果见工具写入的建议得分和计分说明。",
                error="请从下拉列表中选择评分口径。")
    form.label("E5:J5", "（perfeval-xl 校验和计分所用的规则，默认 national-2020；本表公式按国家口径计算）",
               bold=False, font=FONT_NOTE, align=LEFT_CENTER)
    for r in (3, 4, 5):
        ws.row_dimensions[r].height = 24

    # 项目资金 block ---------------------------------------------------------------------------------------------
    budget = fam["budget"]
    b_head = 6
    b_first = b_head + 1
    b_last = b_head + len(budget["rows"])
    b_cols = {c["key"]: get_column_letter(4 + i) for i, c in enumerate(budget["columns"])}  # D..I
    first_letter, last_letter = b_cols[budget["columns"][0]["key"]], b_cols[budget["columns"][-1]["key"]]
    form.label(f"A{b_head}:A{b_last}", "项目资金\n（万元）")
    form.blank(f"B{b_head}:C{b_head}")
    ws.row_dimensions[b_head].height = 30
    last_key = budget["columns"][-1]["key"]

    def bref(key, r):  # the last column is widened to the table's right edge (J) so the block has no gap
        return f"{b_cols[key]}{r}:J{r}" if key == last_key else f"{b_cols[key]}{r}"

    for c in budget["columns"]:
        form.label(bref(c["key"], b_head), c["labels"][0])
    for i, row_def in enumerate(budget["rows"]):
        r = b_first + i
        is_total = i == 0
        form.label(f"B{r}:C{r}", row_def["labels"][0], bold=False,
                   align=Alignment(horizontal="left", vertical="center", wrap_text=True, indent=1 if is_total else 2))
        ws.row_dimensions[r].height = 20
        for c in budget["columns"]:
            key, ref = c["key"], bref(c["key"], r)
            if key in ("initial", "annual", "executed"):
                form.input(ref, number_format=AMOUNT_FORMAT)
            elif key == "rate":
                form.computed(ref, _policy_rate_formula(f"{b_cols['executed']}{r}", f"{b_cols['initial']}{r}",
                                                        f"{b_cols['annual']}{r}", params, POLICY_CELL_STANDARD),
                              number_format=RATE_FORMAT)
            elif is_total and key == "weight":
                form.input(ref, 10, number_format="General")
            elif is_total and key == "score":
                rate, weight = f"{b_cols['rate']}{r}", f"{b_cols['weight']}{r}"
                form.computed(ref, f'=IF(AND(ISNUMBER({rate}),ISNUMBER({weight})),'
                                   f'ROUND({weight}*MIN({rate},1),2),"")', number_format=SCORE_FORMAT)
            else:  # 分值 / 得分 of the 其中 rows: not applicable
                form.blank(ref, fill=FILL_COMPUTED)
            if is_total:
                form.name(c["single_name"], f"{b_cols[key]}{r}")
    form.name(budget["name"], f"{first_letter}{b_first}:{last_letter}{b_last}")
    amounts = f"{b_cols['initial']}{b_first}:{b_cols['executed']}{b_last}"
    _decimal_ge0(ws, amounts, title="金额（万元）",
                 prompt="单位：万元，只填数字，如 373.6。年度资金总额应等于下面三行之和；全年预算数是执行率的分母。",
                 error=ERROR_AMOUNT)
    _decimal_ge0(ws, f"{b_cols['weight']}{b_first}", title="预算执行分值",
                 prompt="预算执行率的分值，一般为 10 分。得分 = 分值 × 执行率（最高为分值），自动计算。")

    # 年度总体目标 ----------------------------------------------------------------------------------------------
    g_head = b_last + 1
    g_text = g_head + 1
    form.label(f"A{g_head}:A{g_text}", "年度总体\n目标")
    form.label(f"B{g_head}:E{g_head}", fields["goal_planned"]["labels"][0])
    form.label(f"F{g_head}:J{g_head}", fields["goal_actual"]["labels"][0])
    form.input(f"B{g_text}:E{g_text}", align=LEFT_WRAP, name=fields["goal_planned"]["name"])
    form.input(f"F{g_text}:J{g_text}", align=LEFT_WRAP, name=fields["goal_actual"]["name"])
    ws.row_dimensions[g_head].height = 20
    ws.row_dimensions[g_text].height = 96
    _validation(ws, f"B{g_text}", title="预期目标", prompt="填写年初批复的年度总体绩效目标。")
    _validation(ws, f"F{g_text}", title="实际完成情况", prompt="对照预期目标，写明实际完成情况。")

    # 绩效指标 table -----------------------------------------------------------------------------------------
    ind = fam["indicators"]
    i_head = g_text + 1
    i_first = i_head + 1
    i_last = i_head + indicator_rows
    i_cols = {c["key"]: get_column_letter(2 + i) for i, c in enumerate(ind["columns"])}  # B..L
    printed = [i_cols[c["key"]] for c in ind["columns"] if not c.get("owned")]
    if printed[-1] != "J" or len(printed) != 9:
        raise ValueError("the standard layout expects 9 printed indicator columns B..J before the tool-owned ones")
    form.label(f"A{i_head}:A{i_last}", "\n".join("绩效指标"))
    ws.row_dimensions[i_head].height = 30
    for c in ind["columns"]:
        letter = i_cols[c["key"]]
        form.label(f"{letter}{i_head}", c["labels"][0])
        align = LEFT_CENTER if c["key"] in ("name", "reason", "explanation") else None
        for r in range(i_first, i_last + 1):  # one cell at a time: a range would be merged
            if c.get("owned"):
                form.owned(f"{letter}{r}", align=align)
            else:
                form.input(f"{letter}{r}", align=align)
    form.name(ind["name"], f"{i_cols[ind['columns'][0]['key']]}{i_first}:{i_cols[ind['columns'][-1]['key']]}{i_last}")

    level1 = [x["label"] for x in ind["level1"]]
    level2 = [x["label"] for x in ind["level2"]]
    level2_help = "；".join(
        f"{l1}→" + "、".join(x["label"] for x in ind["level2"] if x["level1"] == l1) for l1 in level1)
    tiers_help = "达成年度指标（分值的80%–100%）；部分达成年度指标并具有一定效果（60%–80%）；" \
                 "未达成年度指标且效果较差（0–60%）。"

    def col(key):
        return f"{i_cols[key]}{i_first}:{i_cols[key]}{i_last}"

    prompts = {key: (title, prompt.format(level1="、".join(level1), level2=level2_help, tiers=tiers_help))
               for key, (title, prompt) in STANDARD_INDICATOR_PROMPTS.items()}
    _table_validations(ws, col, prompts, ind["columns"], {
        "level1": (level1, "请从下拉列表选择一级指标。"),
        "level2": (level2, "请从下拉列表选择二级指标。"),
        "tier": (QUALITATIVE_TIERS, "请从下拉列表选择定性评价档次。"),
    })

    # 总分 and 评价等次 ------------------------------------------------------------------------------------------
    t_row = i_last + 1
    g_row = t_row + 1
    w_letter, s_letter = i_cols["weight"], i_cols["score"]
    weights = f"{w_letter}{i_first}:{w_letter}{i_last}"
    scores = f"{s_letter}{i_first}:{s_letter}{i_last}"
    budget_weight = f"{b_cols['weight']}{b_first}"
    budget_score = f"{b_cols['score']}{b_first}"
    left_of_weight = get_column_letter(column_index_from_string(w_letter) - 1)
    form.label(f"A{t_row}:{left_of_weight}{t_row}", fields["total"]["labels"][0])
    form.computed(f"{w_letter}{t_row}", f'=IF(COUNT({budget_weight},{weights})>0,'
                                        f'ROUND(N({budget_weight})+SUM({weights}),2),"")')
    form.computed(f"{s_letter}{t_row}", f'=IF(ISNUMBER({budget_score})+COUNT({scores})>0,'
                                        f'ROUND(N({budget_score})+SUM({scores}),2),"")',
                  number_format=SCORE_FORMAT, name=fields["total"]["name"])
    form.label(f"{i_cols['reason']}{t_row}:{i_cols['tier']}{t_row}",
               "（总分 = 预算执行得分 + 各指标得分；左侧为分值合计，应为100）", bold=False, font=FONT_NOTE,
               align=LEFT_CENTER)
    form.label(f"A{g_row}:{w_letter}{g_row}", fields["grade"]["labels"][0])
    form.computed(f"{s_letter}{g_row}", _grade_formula(f"{s_letter}{t_row}", params, POLICY_CELL_STANDARD),
                  name=fields["grade"]["name"])
    form.label(f"{i_cols['reason']}{g_row}:{i_cols['tier']}{g_row}",
               "（按所选评分口径分档，默认 ≥90 优，80–90 良，60–80 中，<60 差；下限含本数）", bold=False,
               font=FONT_NOTE, align=LEFT_CENTER)
    ws.row_dimensions[t_row].height = 24
    ws.row_dimensions[g_row].height = 24

    wanted = {f["name"] for f in fields.values()} | {budget["name"], ind["name"]} | {
        c["single_name"] for c in budget["columns"]}
    _finish_form(wb, form, fam, wanted, legend_col=i_cols["suggested"], print_area=f"A1:{i_cols['tier']}{g_row}",
                 title_row=i_head, instructions=_standard_instructions(i_cols, i_head, i_first, i_last, t_row),
                 policy_cell=POLICY_CELL_STANDARD)
    return wb


def _standard_instructions(i_cols, i_head, i_first, i_last, t_row) -> list[tuple[str, str]]:
    return [
        ("一、怎样填写", """
1. 只填黄色单元格：年度、项目名称、主管部门、实施单位、项目资金（万元）、年度总体目标和绩效指标表。灰色单元格是公式，会自动计算。
2. 金额一律以“万元”为单位，只填数字（如 373.6），不要带“万元”字样。年度资金总额应等于当年财政拨款、上年结转资金、其他资金之和。
3. 执行率 = 全年执行数 ÷ 全年预算数（评分口径为 bj-2016 时除以年初预算数）；预算执行得分 = 分值 × 执行率（最高为分值），保留两位小数。
4. 年度指标值写比较符号、数字和单位，如 ≥10台、≤193.5万元、=100%；定性指标写文字，如 按期完成。实际完成值只写实际数和单位，如 23台。
5. 分值、得分只填数字。一般：预算执行10分、产出指标50分、效益指标30分、满意度指标10分，合计100分。
6. 未完成年度指标，或超额完成较多（实际值达到指标值的130%以上）时，必须在“偏差原因分析及改进措施”中写明原因。
7. 总分 = 预算执行得分 + 各指标得分；评价等次：90分（含）以上为优，80（含）–90分为良，60（含）–80分为中，60分以下为差。
"""),
        ("二、定性评价档次（仅定性指标填写）", """
达成年度指标：得分为该指标分值的 80%（含）–100%。
部分达成年度指标并具有一定效果：得分为分值的 60%（含）–80%。
未达成年度指标且效果较差：得分为分值的 0–60%。
（以上为默认口径 national-2020；湖北口径 hb-2020 为 80–100%、50–80%、0–50%。）
"""),
        ("三、绩效指标行不够时怎样增加", f"""
1. 审阅 → 撤销工作表保护（本表保护没有密码）。
2. 在绩效指标表中间选中一行（例如第 {i_first + 1} 行，不要选第一行 {i_first} 或总分行 {t_row}），右键 → 插入，插入需要的行数。
3. 因为新行插在表格中间，名称“绩效指标”、总分公式的求和范围和下拉列表会自动扩大，新行自动计入总分。
4. 选中上方一整行 → 格式刷 → 刷到新插入的行，使颜色、边框和下拉列表与其他行一致。
5. 如需保护，可重新执行 审阅 → 保护工作表（不设密码，允许设置格式、插入行、删除行）。
"""),
        ("四、其他", f"""
“建议得分”“计分说明”两列（{i_cols['suggested']}、{i_cols['explanation']} 列，蓝色）由 perfeval-xl 工具写入，不在打印区域内，请勿手工填写。
评分口径：perfeval-xl 校验和计分所依据的规则，默认 national-2020。本表中的公式按国家口径计算。
本模板在 Excel、WPS 表格和 LibreOffice 中打开都会自动重新计算；只使用了三者都支持的函数。
"""),
    ]


# ----------------------------------------------------------------------------------------------------------------
# Legacy family: 财政支出项目绩效自评表 with a 投入 / 过程 / 产出 / 效果 评分表

LEGACY_WIDTHS = {"A": 10, "B": 10, "C": 14, "D": 28, "E": 10, "F": 14, "G": 14, "H": 12, "I": 10, "J": 36,
                 "K": 2}

LEGACY_SCORE_PROMPTS = {
    "level1": ("一级指标", "从下拉列表选择：{groups}。"),
    "level2": ("二级指标", "二级指标名称，如 项目目标、资金落实、业务管理、财务管理、项目产出、项目效果。"),
    "name": ("三级指标", "三级指标名称，如 资金到位率、实际完成率。"),
    "weight": ("指标分值", "本指标的分值（只填数字）。投入20、过程20、产出30、效果30分，合计100分。"),
    "planned_value": ("计划值", "可计算的指标填写计划数（如 计划完成数量、计划成本），供计算完成率、成本节约率等。"),
    "actual_value": ("实际值", "可计算的指标填写实际数（如 实际完成数量、实际成本），单位与计划值一致。"),
    "score": ("评价得分", "本指标评价得分（只填数字），不超过指标分值。"),
}

# Where each legacy [fields] key goes: (label range, value range).
LEGACY_FIELD_CELLS = {
    "project_name": ("A4:B4", "C4:H4"),
    "department": ("A5:B5", "C5:E5"),
    "implementing_unit": ("F5", "G5:H5"),
    "project_kind": ("A6:B6", "C6:E6"),
    "project_period": ("F6", "G6:H6"),
    "policy": ("A7:B7", "C7:E7"),
}


def build_legacy_template() -> Workbook:
    """The 财政支出项目绩效自评表（评分表） template: funding lines, the 53号 评分表 and its subtotals."""
    fam = load_family("legacy")
    wb = Workbook()
    ws = wb.active
    params = _params_sheet(wb)
    ws.title = fam["sheet"]
    form = _Form(ws)
    fields = fam["fields"]
    _set_widths(ws, LEGACY_WIDTHS)

    # Title, year, 填报单位 -----------------------------------------------------------------------------------
    form.label("A1:H1", fam["title"], font=FONT_TITLE, border=False)
    ws.row_dimensions[1].height = 36
    form.label("A2:D2", "（", bold=False, border=False, align=RIGHT_CENTER)
    form.input("E2", name=fields["year"]["name"])
    form.label("F2:H2", "年度）", bold=False, border=False, align=LEFT_CENTER)
    _validation(ws, "E2", type="whole", operator="between", formula1="2000", formula2="2100",
                title="年度", prompt="填写4位年份，如 2020。", error="请填写4位年份数字，如 2020。")
    form.label("A3:B3", "填报单位（公章）", bold=False, border=False, align=LEFT_CENTER)
    form.input("C3:E3", align=LEFT_CENTER)
    _validation(ws, "C3", title="填报单位", prompt="填写填报单位全称（打印后加盖公章）。")
    ws.row_dimensions[2].height = 22
    ws.row_dimensions[3].height = 24

    # Fields --------------------------------------------------------------------------------------------------
    prompts = {
        "project_name": "填写预算批复的项目名称。",
        "department": "填写主管部门名称及代码，如 晋中市住房公积金管理中心 731。",
        "implementing_unit": "填写项目实施单位全称。",
        "project_kind": "选择或填写项目属性：新增项目 / 延续性项目。",
        "project_period": "填写项目起止年月，如 202001至202012。",
        "policy": "选择 perfeval-xl 计分所依据的规则，默认 national-2020。",
    }
    for key, (label_ref, value_ref) in LEGACY_FIELD_CELLS.items():
        spec = fields[key]
        form.label(label_ref, spec["labels"][0])
        value = DEFAULT_POLICY if key == "policy" else None
        cell = form.input(value_ref, value, align=LEFT_CENTER if key != "policy" else None, name=spec["name"])
        anchor = cell.coordinate
        if key == "policy":
            _validation(ws, anchor, type="list", formula1=_list_formula(POLICY_NAMES), title="评分口径",
                        prompt=prompts[key], error="请从下拉列表中选择评分口径。")
        elif key == "project_kind":
            _validation(ws, anchor, type="list", formula1=_list_formula(("新增项目", "延续性项目")),
                        title=spec["labels"][0], prompt=prompts[key], error="可从下拉列表选择，也可填写其他属性。",
                        error_style="information")
        else:
            _validation(ws, anchor, title=spec["labels"][0], prompt=prompts[key])
    form.label("F7:H7", "（perfeval-xl 校验和计分所用的规则）", bold=False, font=FONT_NOTE, align=LEFT_CENTER)
    for r in range(4, 8):
        ws.row_dimensions[r].height = 24

    # 项目资金情况（万元） -------------------------------------------------------------------------------------
    funding = fam["funding"]
    f_first = 8
    # (key, section label rows handled below, item label)
    lines = [
        ("planned_own", "本级预算资金"), ("planned_other", "其他"), ("planned", "合计"),
        ("arrived", funding["arrived"]["labels"][0]),
        ("spent_own", "本级预算资金"), ("spent_carryover", "上年结转资金"), ("spent_upper", "上级财政资金"),
        ("spent_other", "其他"),
    ]
    _check_placed("legacy funding", set(funding), {k for k, _ in lines})
    row_of = {key: f_first + i for i, (key, _) in enumerate(lines)}
    f_last = f_first + len(lines) - 1
    form.label(f"A{f_first}:A{f_last}", "项目资金\n情况\n（万元）")
    form.label(f"B{row_of['planned_own']}:B{row_of['planned']}", "预算资金")
    form.label(f"B{row_of['arrived']}:D{row_of['arrived']}", funding["arrived"]["labels"][0])
    form.label(f"B{row_of['spent_own']}:B{row_of['spent_other']}", "实际支出资金")
    for key, item in lines:
        r = row_of[key]
        if key != "arrived":
            form.label(f"C{r}:D{r}", item, bold=False)
        spec = funding[key]
        if spec.get("computed"):
            parts = [f"E{row_of[k]}" for k in spec["sum_of"]]
            form.computed(f"E{r}:F{r}", f'=IF(COUNT({",".join(parts)})>0,SUM({",".join(parts)}),"")',
                          number_format=AMOUNT_FORMAT, name=spec["name"])
        else:
            form.input(f"E{r}:F{r}", number_format=AMOUNT_FORMAT, name=spec["name"])
        ws.row_dimensions[r].height = 20
    amount_cells = " ".join(f"E{row_of[k]}" for k, _ in lines if not funding[k].get("computed"))
    _decimal_ge0(ws, amount_cells, title="金额（万元）",
                 prompt="单位：万元，只填数字，如 170。预算资金合计自动计算。", error=ERROR_AMOUNT)
    # The two rates the 评分表 scores from these lines, shown beside them (numerator / denominator by [funding] key).
    ratio_rows = {}
    for comp in fam["score_table"].get("computable", []):
        num, den = comp["numerator"], comp["denominator"]
        if num.startswith("row.") or den.startswith("row."):
            continue
        r = row_of[num]
        ratio_rows[r] = comp
        form.label(f"G{r}", comp["name"], bold=False)
        form.computed(f"H{r}", _rate_formula(f"E{r}", f"E{row_of[den]}"), number_format=RATE_FORMAT)
    for r in range(f_first, f_last + 1):
        if r not in ratio_rows:
            form.blank(f"G{r}:H{r}")

    # 评分表 ---------------------------------------------------------------------------------------------------
    st = fam["score_table"]
    s_head = f_last + 1
    default_rows = [row for block in st["default_rows"] for row in block["rows"]]
    s_first = s_head + 1
    s_last = s_head + len(default_rows)
    s_cols = {c["key"]: get_column_letter(2 + i) for i, c in enumerate(st["columns"])}  # B..J
    form.label(f"A{s_head}:A{s_last}", "\n".join("评分表"))
    ws.row_dimensions[s_head].height = 30
    for c in st["columns"]:
        form.label(f"{s_cols[c['key']]}{s_head}", c["labels"][0])
    for i, (level1, level2, name, weight) in enumerate(default_rows):
        r = s_first + i
        values = {"level1": level1, "level2": level2, "name": name, "weight": weight}
        for c in st["columns"]:
            key = c["key"]
            ref = f"{s_cols[key]}{r}"
            if c.get("owned"):
                form.owned(ref, align=LEFT_CENTER if key == "explanation" else None)
            else:
                form.input(ref, values.get(key), align=LEFT_CENTER if key == "name" else None)
    form.name(st["name"], f"{s_cols[st['columns'][0]['key']]}{s_first}:{s_cols[st['columns'][-1]['key']]}{s_last}")

    def scol(key):
        return f"{s_cols[key]}{s_first}:{s_cols[key]}{s_last}"

    groups = [g["label"] for g in st["groups"]]
    prompts = {key: (title, prompt.format(groups="、".join(groups)))
               for key, (title, prompt) in LEGACY_SCORE_PROMPTS.items()}
    _table_validations(ws, scol, prompts, st["columns"], {"level1": (groups, "请从下拉列表选择一级指标。")})

    # Subtotals, 综合得分, 评价结果等次 --------------------------------------------------------------------------
    sum_head = s_last + 1
    g_first = sum_head + 1
    g_last = sum_head + len(st["groups"])
    total_row = g_last + 1
    grade_row = total_row + 1
    l1, w, sc = scol("level1"), scol("weight"), scol("score")
    w_letter, s_letter = s_cols["weight"], s_cols["score"]  # E, H
    form.label(f"A{sum_head}:A{total_row}", "得分\n汇总")
    form.label(f"B{sum_head}:D{sum_head}", "一级指标")
    form.label(f"{w_letter}{sum_head}", "标准分值")
    form.label(f"F{sum_head}:G{sum_head}", "本表分值合计")
    form.label(f"{s_letter}{sum_head}", "得分")
    ws.row_dimensions[sum_head].height = 24
    for i, g in enumerate(st["groups"]):
        r = g_first + i
        standard = sum(row[3] for row in default_rows if row[0] == g["label"])
        form.label(f"B{r}:D{r}", g["label"], bold=False)
        form.blank(f"{w_letter}{r}", fill=FILL_COMPUTED).value = standard
        form.computed(f"F{r}:G{r}", f'=IF(SUMPRODUCT(({l1}=B{r})*ISNUMBER({w}))>0,'
                                    f'ROUND(SUMIF({l1},B{r},{w}),2),"")')
        form.computed(f"{s_letter}{r}", f'=IF(SUMPRODUCT(({l1}=B{r})*ISNUMBER({sc}))>0,'
                                        f'ROUND(SUMIF({l1},B{r},{sc}),2),"")',
                      number_format=SCORE_FORMAT, name=g["subtotal_name"])
        ws.row_dimensions[r].height = 20
    form.label(f"B{total_row}:D{total_row}", fields["total"]["labels"][0])
    form.computed(f"{w_letter}{total_row}", f"=SUM({w_letter}{g_first}:{w_letter}{g_last})")
    form.computed(f"F{total_row}:G{total_row}", f'=IF(COUNT(F{g_first}:F{g_last})>0,'
                                                f'ROUND(SUM(F{g_first}:F{g_last}),2),"")')
    subtotals = f"{s_letter}{g_first}:{s_letter}{g_last}"
    form.computed(f"{s_letter}{total_row}", f'=IF(COUNT({subtotals})>0,ROUND(SUM({subtotals}),2),"")',
                  number_format=SCORE_FORMAT, name=fields["total"]["name"])
    form.label(f"A{grade_row}:G{grade_row}", fields["grade"]["labels"][0])
    form.computed(f"{s_letter}{grade_row}", _grade_formula(f"{s_letter}{total_row}", params, POLICY_CELL_LEGACY),
                  name=fields["grade"]["name"])
    form.label(f"{s_cols['suggested']}{grade_row}:{s_cols['explanation']}{grade_row}",
               "90分（含）以上为优，80（含）–90分为良，60（含）–80分为中，60分以下为差", bold=False, font=FONT_NOTE,
               align=LEFT_CENTER, border=False)
    ws.row_dimensions[total_row].height = 24
    ws.row_dimensions[grade_row].height = 24

    wanted = ({f["name"] for f in fields.values()} | {f["name"] for f in funding.values()} | {st["name"]}
              | {g["subtotal_name"] for g in st["groups"]})
    _finish_form(wb, form, fam, wanted, legend_col=s_cols["suggested"], print_area=f"A1:{s_cols['score']}{grade_row}",
                 title_row=s_head, instructions=_legacy_instructions(s_cols, s_head, s_first, s_last, sum_head),
                 policy_cell=POLICY_CELL_LEGACY)
    return wb


def _legacy_instructions(s_cols, s_head, s_first, s_last, sum_head) -> list[tuple[str, str]]:
    return [
        ("一、怎样填写", """
1. 只填黄色单元格；灰色单元格是公式，会自动计算。
2. 金额一律以“万元”为单位，只填数字。预算资金合计 = 本级预算资金 + 其他，自动计算。
3. 资金到位率 = 预算下达资金 ÷ 预算资金合计；预算执行率 = 实际支出的本级预算资金 ÷ 预算下达资金。评分表中这两项的得分 = 分值 × 比率（最高为分值）。
4. 评分表已按《预算绩效评价共性指标体系框架》（财预〔2013〕53号）预填了一级、二级、三级指标和分值，可按本地要求修改。
5. 实际完成率、完成及时率、质量达标率、成本节约率等可计算的指标，请在“计划值”“实际值”列填写数字，便于工具核算。
6. 评价得分只填数字，不超过指标分值。投入、过程、产出、效果的小计和综合得分自动计算；评价结果等次按所选评分口径分档，默认 90分（含）以上为优，80（含）–90分为良，60（含）–80分为中，60分以下为差。
"""),
        ("二、评分表行不够时怎样增加", f"""
1. 审阅 → 撤销工作表保护（没有密码）。
2. 在评分表中间选中一行（第 {s_first + 1} 行到第 {s_last} 行之间，不要选第一行 {s_first} 或得分汇总行 {sum_head}），右键 → 插入。
3. 新行在表格中间，名称“评分表”和小计公式的范围会自动扩大。新行的一级指标必须从下拉列表选择（投入、过程、产出、效果），才能计入对应小计。
4. 用格式刷把上一行的格式刷到新行。
"""),
        ("三、其他", f"""
“建议得分”“计分说明”两列（{s_cols['suggested']}、{s_cols['explanation']} 列，蓝色）由 perfeval-xl 工具写入，不在打印区域内，请勿手工填写。
本模板在 Excel、WPS 表格和 LibreOffice 中打开都会自动重新计算；只使用了三者都支持的函数。
"""),
    ]


# ----------------------------------------------------------------------------------------------------------------
# Saving


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx bytes of wb with fixed document and zip-entry times, so the same build gives the same bytes."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        # ExcelWriter directly: openpyxl's save_workbook() would stamp `modified` with the current time.
        ExcelWriter(wb, archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def template_path(family_id: str, out_dir: str | Path = DEFAULT_OUT_DIR) -> Path:
    return Path(out_dir) / load_family(family_id)["template_file"]


def write_templates(out_dir: str | Path = DEFAULT_OUT_DIR) -> list[Path]:
    """Build both templates and save them into out_dir under their family's template_file name."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for family_id, build in (("standard", build_standard_template), ("legacy", build_legacy_template)):
        path = template_path(family_id, out_dir)
        path.write_bytes(workbook_bytes(build()))
        written.append(path)
    return written
