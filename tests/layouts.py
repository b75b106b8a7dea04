"""Writers of filled 自评表 in printed layouts (not our templates), as real .xlsx files with merged cells as on paper.

Used by tests/test_layout.py, scripts/build_layout_examples.py (examples/printed/) and benchmarks that need many
forms per layout: `write_layout(name, path, seed=7)` writes the layout with figures varied by the seed.

Layouts (LAYOUTS):
- shaoyang-2023: seed 004 (邵阳 2023) as printed: 项目支\\n出名称, amounts typed as text `664.6万元`, one merged 分值 40 /
  得分 20 over the 15 成本 rows, 一级/二级 labels merged down their groups, empty rows kept, 总分 row.
- jinzhong-2020: seed 000 (晋中 2020), the legacy layout: funding lines under 预算资金 / 实际支出资金 sections, the
  绩效目标实现情况 table (not scored), the 评分表 with `投入： 20 13.25` subtotal rows, 综合得分, 评价结果等次.
- reordered: 分值 before 年度指标值, an extra 得分计算方法 column, 其中：本年财政拨款, field values below their labels,
  group labels only on the first row of each group and not merged, 合计 row, 自评等级.
- hubei: 湖北 style: 预算执行 20 points, the target split over 指标性质 / 指标值 / 度量单位 under a two-row header,
  `≧` and `═` glyphs, `百分比` units, 权重 instead of 分值, a percent cell holding 0.92.
- hengshan-2020: the 湖南 县级专项资金绩效目标自评表 (衡山 2020, 县级储备粮) as published: no 分值, 得分, 总分 or 等次;
  专项资金名称 / 县级主管部门 head rows, 全年预算数(A) / 全年执行数(B) / 执行率(B/A), 年度指标值 / 全年完成值 /
  未完成原因和改进措施, labels printed one character a line, a 说明 row under the table.
- hainan-fuwumaoyi: the 海南 服务贸易项目绩效自评表 made whole: 一级指标 | 分值 | 二级指标 | 分值 | 三级指标 | 分值 | 得分,
  each level's 分值 merged down its group; 计划投资额 / 实际到位资金 / 实际使用情况 with 其中 lines; a 合计 row.
- yuan: amounts in 元 ("单位：元"), the 年度资金总额 row printed 0 / 0 / 0 with the money in the 其中 rows, 执行率 printed
  as `1`, `—` / `/` / `无` for "not applicable", a whole row of `/`.

Every writer takes (path, data=None) and returns {what: cell} for the cells a test wants to point at; data is the
layout's default figures (`<layout>_data()`) or a dict shaped like it.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from seed_forms import SEED_000_FUNDING, SEED_000_SCORE_ROWS, SEED_000_SUBTOTALS, SEED_004_INDICATORS

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="center")


class Sheet:
    """A small pen for a worksheet: put a value, optionally merged over a range, with a thin border."""

    def __init__(self, ws, widths: dict[str, float] | None = None):
        self.ws = ws
        for letter, width in (widths or {}).items():
            ws.column_dimensions[letter].width = width

    def put(self, cell: str, value=None, to: str | None = None, fmt: str | None = None, bold: bool = False) -> str:
        target = self.ws[cell]
        target.value = value
        target.alignment = _WRAP
        if fmt:
            target.number_format = fmt
        if bold:
            target.font = Font(bold=True)
        if to and to != cell:
            self.ws.merge_cells(f"{cell}:{to}")
            for row in self.ws[f"{cell}:{to}"]:
                for c in row:
                    c.border = _BORDER
        else:
            target.border = _BORDER
        return cell

    def row(self, r: int, values: list, start: int = 1) -> None:
        for i, value in enumerate(values):
            if value is not None:
                self.put(f"{get_column_letter(start + i)}{r}", value)


def _new_sheet(title: str, widths: dict[str, float]) -> tuple[openpyxl.Workbook, Sheet]:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    return wb, Sheet(ws, widths)


def _page_setup(ws) -> None:
    """As a unit prints its form: A4 landscape, one page wide, the indicator header repeated on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    header = next((c.row for row in ws.iter_rows() for c in row
                   if isinstance(c.value, str) and c.value.strip() in ("三级指标", "二级指标")), None)
    if header is not None:
        ws.print_title_rows = f"{header}:{header}"


def save(wb: openpyxl.Workbook, path: Path) -> None:
    """Fixed timestamps and zip times, so the same figures give the same bytes (examples stay quiet in git)."""
    from perfeval_xl.print_layout import fit_row_heights
    from perfeval_xl.template_builder import FIXED_TIME, workbook_bytes

    for ws in wb.worksheets:
        fit_row_heights(ws)  # printed as the form is: rows as tall as their text
        _page_setup(ws)
    wb.properties.creator = wb.properties.lastModifiedBy = "tests/layouts.py"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(workbook_bytes(wb))


def _money_text(value, unit: str = "万元") -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return f"{value:.2f}{unit}"


# --- Standard-layout data --------------------------------------------------------------------------------------

INDICATOR_KEYS = ("level1", "level2", "name", "target", "actual", "weight", "score", "reason")


def _rows_from_tuples(rows) -> list[dict]:
    """Indicator tuples (一级, 二级 only on the first row of a group) → dicts with both carried down."""
    out, level1, level2 = [], None, None
    for values in rows:
        row = dict(zip(INDICATOR_KEYS, values))
        if row["level1"]:
            level1, level2 = row["level1"], None
        if row["level2"]:
            level2 = row["level2"]
        row["level1"], row["level2"] = level1, level2
        out.append(row)
    return out


def seed_004_data() -> dict:
    """Seed 004 as published (tests/seed_forms.py). 主管部门 and 年度 are filled as in our template example (the
    published page leaves 主管部门 blank and prints no year), so both versions of the form carry the same content."""
    return {
        "title": "项目支出绩效自评表",
        "year": 2023,
        "project_name": "信息化建设专项经费",
        "department": "邵阳市住房公积金管理中心",
        "implementing_unit": "邵阳市住房公积金管理中心",
        "budget": {
            "total": {"initial": 664.6, "annual": 373.60, "executed": 97.73, "weight": 10, "rate": 0.2616, "score": 2.62},
            "current": {},
            "carryover": {"annual": 191.10},
            "other": {"annual": 182.50},
        },
        "goal_planned": "认真贯彻落实国务院“放管服”改革要求，全面提升我市住房公积金服务水平，满足缴存职工多样化需求。",
        "goal_actual": "按时、按质、按量完成。",
        "indicators": _rows_from_tuples(SEED_004_INDICATORS),
        "total_weight": 100,
        "total_score": 72.62,
    }


def reordered_data() -> dict:
    """Layout (a). Figures designed by hand; the arithmetic is in tests/test_layout.py."""
    return {
        "title": "2022年度项目支出绩效自评表",
        "year": 2022,
        "project_name": "城乡居民医保信息系统运维",
        "department": "某市医疗保障局",
        "implementing_unit": "某市医疗保障事务中心",
        "budget": {
            "total": {"initial": 120, "annual": 150, "executed": 138, "weight": 10},
            "current": {"initial": 120, "annual": 130, "executed": 121},
            "carryover": {"initial": "—", "annual": 20, "executed": 17},
            "other": {"initial": "—", "annual": "—", "executed": "—"},
        },
        "goal_planned": "保障医保信息系统全年稳定运行。",
        "goal_actual": "系统全年稳定运行，故障及时处理。",
        "indicators": [
            {"level1": "产出指标", "level2": "数量指标", "name": "运维服务系统数", "weight": 10, "target": "≥12个",
             "actual": "12个", "method": "完成得满分", "score": 10},
            {"level1": "产出指标", "level2": "数量指标", "name": "故障处理次数", "weight": 10, "target": "≥200次",
             "actual": "180次", "method": "按完成比例计分", "score": 8, "reason": "业务量下降，故障申报减少"},
            {"level1": "产出指标", "level2": "质量指标", "name": "系统可用率", "weight": 10, "target": "≥99%",
             "actual": "99.5%", "method": "完成得满分", "score": 10},
            {"level1": "产出指标", "level2": "时效指标", "name": "故障响应时间", "weight": 10, "target": "≤2小时",
             "actual": "1.5小时", "method": "完成得满分", "score": 10},
            {"level1": "产出指标", "level2": "成本指标", "name": "运维成本", "weight": 10, "target": "≤150万元",
             "actual": "138万元", "method": "不超预算得满分", "score": 10},
            {"level1": "效益指标", "level2": "社会效益指标", "name": "参保群众办事便利度", "weight": 15,
             "target": "明显提升", "actual": "明显提升", "method": "定性", "score": 15},
            {"level1": "效益指标", "level2": "可持续影响指标", "name": "系统持续稳定运行", "weight": 15,
             "target": "长期", "actual": "长期", "method": "定性", "score": 15},
            {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "参保群众满意度", "weight": 10,
             "target": "≥90%", "actual": "93%", "method": "完成得满分", "score": 10},
        ],
        "total_weight": 100,
        "total_score": 97.2,
        "grade": "优",
    }


def hubei_data() -> dict:
    """Layout (b). Targets as (指标性质, 指标值, 度量单位)."""
    return {
        "title": "项目支出绩效自评表",
        "year": 2021,
        "project_name": "农村公路养护工程",
        "department": "某县交通运输局",
        "implementing_unit": "某县公路建设养护中心",
        "budget": {
            "total": {"initial": 300, "annual": 320, "executed": 304, "weight": 20, "rate": "95%", "score": 19},
            "current": {"initial": 300, "annual": 320, "executed": 304},
            "carryover": {"initial": 0, "annual": 0, "executed": 0},
            "other": {"initial": 0, "annual": 0, "executed": 0},
        },
        "goal_planned": "完成农村公路养护120公里，路面优良率不低于85%。",
        "goal_actual": "完成养护126公里，路面优良率88%。",
        "indicators": [
            {"level1": "产出指标", "level2": "数量指标", "name": "公路养护里程", "target": ("≧", 120, "公里"),
             "actual": 126, "weight": 10, "score": 10},
            {"level1": "产出指标", "level2": "数量指标", "name": "培训养护人员", "target": ("≧", 735, "人次"),
             "actual": "760人次", "weight": 10, "score": 10},
            {"level1": "产出指标", "level2": "质量指标", "name": "路面优良率", "target": ("≧", 85, "百分比"),
             "actual": "88%", "weight": 10, "score": 10},
            {"level1": "产出指标", "level2": "时效指标", "name": "养护任务按时完成率", "target": ("═", 100, "百分比"),
             "actual": "100%", "weight": 5, "score": 5},
            {"level1": "产出指标", "level2": "成本指标", "name": "每公里养护成本", "target": ("≦", 2.6, "万元"),
             "actual": "2.5万元", "weight": 5, "score": 5},
            {"level1": "效益指标", "level2": "社会效益指标", "name": "群众出行条件", "target": ("定性", "明显改善", None),
             "actual": "明显改善", "weight": 15, "score": 15},
            {"level1": "效益指标", "level2": "可持续影响指标", "name": "公路使用年限延长", "target": ("≧", 3, "年"),
             "actual": "2年", "weight": 15, "score": 12, "reason": "部分路段受汛期影响，养护标准降低"},
            {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "沿线群众满意度", "target": ("≧", 90, "百分比"),
             "actual": 0.92, "weight": 10, "score": 10},
        ],
        "total_weight": 100,
        "total_score": 96,
    }


def yuan_data() -> dict:
    """Layout (c). Amounts in 元; the 年度资金总额 row printed 0 / 0 / 0."""
    return {
        "title": "项目支出绩效自评表",
        "year": 2023,
        "project_name": "老旧小区改造补助",
        "department": "某区住房和城乡建设局",
        "implementing_unit": "某区城市更新服务中心",
        "budget": {
            "total": {"initial": 0, "annual": 0, "executed": 0, "weight": 10, "rate": 1, "score": 10},
            "current": {"initial": 2026400, "annual": 1329100, "executed": 1329100},
            "carryover": {"initial": "—", "annual": "—", "executed": "—"},
            "other": {"initial": "/", "annual": "/", "executed": "/"},
        },
        "goal_planned": "完成12个老旧小区改造。",
        "goal_actual": "已完成12个小区改造并通过验收。",
        "indicators": [
            {"level1": "产出指标", "level2": "数量指标", "name": "改造小区数量", "target": "≥12个", "actual": "12个",
             "weight": 20, "score": 20, "reason": "无"},
            {"level1": "产出指标", "level2": "质量指标", "name": "竣工验收合格率", "target": "＝100%", "actual": "100%",
             "weight": 15, "score": 15, "reason": "无"},
            {"level1": "产出指标", "level2": "时效指标", "name": "按期完工率", "target": "≥95%", "actual": "100%",
             "weight": 10, "score": 10, "reason": "—"},
            {"level1": "产出指标", "level2": "成本指标", "name": "户均改造补助", "target": "≤5000元", "actual": "4800元",
             "weight": 5, "score": 5, "reason": "/"},
            {"level1": "效益指标", "level2": "经济效益指标", "name": "/", "target": "/", "actual": "/", "weight": "/",
             "score": "/", "reason": "/"},
            {"level1": "效益指标", "level2": "社会效益指标", "name": "居民居住条件", "target": "明显改善",
             "actual": "达成预期指标", "weight": 20, "score": 20, "reason": "无"},
            {"level1": "效益指标", "level2": "可持续影响指标", "name": "小区长效管理机制", "target": "建立",
             "actual": "已建立", "weight": 10, "score": 9, "reason": "无"},
            {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "居民满意度", "target": "≥90%",
             "actual": "96%", "weight": 10, "score": 10, "reason": "无"},
        ],
        "total_weight": 100,
        "total_score": 99,
    }


# --- 湖北 财政项目绩效自评表 (2020 onwards) ------------------------------------------------------------------------

HUBEI_2020_SOURCE = "https://1wenmi.com/doc/330418.html"


def hubei_2020_data() -> dict:
    """A published, filled 湖北 form: 2020年度长江禁捕项目自评表, 单位名称 农业工作科 (text extraction at
    HUBEI_2020_SOURCE). Its figures as printed: 年度财政资金总额 预算数 1.56, 执行数 1.56, 执行率 1, 得分 20; 补贴渔船数 6 → 6
    得分 20; 渔船补贴发放率 100% → 100% 得分 10; 时效 12月底之前完成 得分 10; 退捕渔民抽样调查满意度 90% → ≥90% 得分 40;
    总分 100; 偏差原因 无; 改进措施 无. Where the extraction ran cells together, the reading is the one whose figures
    add up to the printed 总分 (20 + 20 + 10 + 10 + 40 = 100)."""
    return {
        "title": "2020年度长江禁捕项目自评表",
        "unit_name": "农业工作科",
        "report_date": None,
        "project_name": "渔业成品油价格改革补贴",
        "department": "区市场监督管理局",
        "implementing_unit": "农业科",
        "category": "1、部门预算项目☑   2、市直专项□   3、市对下转移支付项目□",
        "nature": "1、持续性项目☑   2、新增性项目□",
        "kind": "1、常年性项目☑   2、延续性项目□   3、一次性项目□",
        "budget_points": 20,
        "budget": {"total": {"annual": 1.56, "executed": 1.56, "rate": 1, "score": 20, "weight": 20}},
        "goal_points": 80,
        "indicators": [
            {"level1": "产出指标", "level2": "数量指标", "name": "补贴渔船数", "target": 6, "actual": 6, "score": 20},
            {"level1": "产出指标", "level2": "质量指标", "name": "渔船补贴发放率", "target": "100%", "actual": "100%",
             "score": 10},
            {"level1": "产出指标", "level2": "时效指标", "name": "补贴发放时间", "target": "12月底之前完成",
             "actual": "12月底之前完成", "score": 10},
            {"level1": "效益指标", "level2": "服务对象满意度指标", "name": "退捕渔民抽样调查满意度", "target": "90%",
             "actual": "≥90%", "score": 40},
        ],
        "total_score": 100,
        "reason": "无",
        "improvement": "无",
        "note": ("1.预算执行情况口径：预算数为调整后财政资金总额（包括上年结余结转），执行数为资金使用单位财政资金实际支出数。"
                 "2.定量指标计分原则：正向指标（即目标值为≥X），得分=权重*B/A；反向指标（即目标值为≤X），得分=权重*A/B，"
                 "得分不得突破权重总额。3.定性指标计分原则：达成预期指标、部分达成预期指标、未达成预期指标三档，分别按照该"
                 "指标对应分值区间100%-80%、80%-50%、50%-0%合理确定分值。"),
    }


def hubei_2021_data() -> dict:
    """A 湖北 form designed from the published one, with what it lacks: the title `2021年度财政项目绩效自评表`, 其中 rows
    with 上年结余结转, a target in 元 met by a bare actual, and one goal not met with its reason. Arithmetic in
    tests/test_layout.py."""
    return {
        "title": "2021年度财政项目绩效自评表",
        "unit_name": "某县农业农村局",
        "report_date": "2022年3月15日",
        "project_name": "高素质农民培育",
        "department": "某县农业农村局",
        "implementing_unit": "某县农业技术推广中心",
        "category": "1、部门预算项目☑   2、省直专项□   3、省对下转移支付项目□",
        "nature": "1、持续性项目☑   2、新增性项目□",
        "kind": "1、常年性项目□   2、延续性项目☑   3、一次性项目□",
        "budget_points": 20,
        "budget": {
            "total": {"annual": 120, "executed": 108, "rate": "90%", "score": 18, "weight": 20},
            "current": {"annual": 100, "executed": 90},
            "carryover": {"annual": 20, "executed": 18},
        },
        "goal_points": 80,
        "indicators": [
            {"level1": "产出指标", "level2": "数量指标", "name": "培训农民人数", "target": "≥500人次", "actual": "520人次",
             "score": 20},
            {"level1": "产出指标", "level2": "质量指标", "name": "培训合格率", "target": "≥95%", "actual": "96%", "score": 10},
            {"level1": "产出指标", "level2": "时效指标", "name": "培训按期完成率", "target": "＝100%", "actual": "100%",
             "score": 10},
            {"level1": "产出指标", "level2": "成本指标", "name": "人均培训成本", "target": "≤2000元", "actual": 1900,
             "score": 10},
            {"level1": "效益指标", "level2": "社会效益指标", "name": "参训农民人均增收", "target": "≥1000元", "actual": "800元",
             "score": 8},
            {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "参训农民满意度", "target": "≥90%",
             "actual": "93%", "score": 10},
        ],
        "total_score": 86,
        "reason": "参训农民人均增收受农产品价格下跌影响，未达到年初目标。",
        "improvement": "加强产业技能培训与市场对接，结果用于下年预算安排。",
        "note": "预算数为调整后财政资金总额（包括上年结余结转）。",
    }


# --- 部门项目支出绩效自评表 as a scorecard (宁夏 / 银川) ------------------------------------------------------------

YINCHUAN_2021_SOURCE = "https://m.yzwku.com/doc/476505.html"

# 一级 (points), 二级, 三级, 参考分值, 指标值(A), 全年实际值(B), 得分 — as printed; None carries the label above down.
YINCHUAN_2021_ROWS = [
    ("项目决策(10分)", "项目目标", "完整性", 4, "—", "目标明确、内容细化、目标量化", 4),
    (None, "项目立项", "相关性", 2, "—", "按照学校管理标准对学校进行管理", 2),
    (None, None, "可行性", 2, None, "实际工作需求", 2),
    (None, None, "适当性", 2, None, "有资金测算标准", 2),
    ("项目管理(25分)", "投入管理", "预算执行率", 10, "—", "100%", 9),
    (None, "财务管理", "财务管理制度有效性", 7, "—", "财务制度健全，严格执行制度，会计核算规范", 7),
    (None, "项目实施", "绩效监控有效性", 2, "—", "持续有效", 2),
    (None, None, "管理制度有效性", 6, "-", "严格执行相关管理制度", 6),
    ("项目产出(30分)", "数量指标(10分)", "保障人数", 10, "2370人", "2370人", 10),
    (None, None, "指标2：", None, None, None, None),
    (None, "质量指标(5分)", "公用经费标准", 5, "符合相关文件要求", "符合相关文件要求", 5),
    (None, None, "指标2：", None, None, None, None),
    (None, "时效指标(5分)", "公用经费完成时间", 5, "2021年12月完成", "2021年12月完成", 4),
    (None, None, "指标2：", None, None, None, None),
    (None, "成本指标(10分)", "办公所需成本", 4, "15万元", "15万元", 4),
    (None, None, "维修(维护)所需成本", 3, "35万元", "35万元", 3),
    (None, None, "绿化、水电费等成本", 3, "14.8万元", "14.8万元", 3),
    ("项目效益(35分)", "经济效益指标", "指标1：", None, None, None, None),
    (None, None, "指标2：", None, None, None, None),
    (None, "社会效益指标", "效果显著", 15, "改善学校的办学条件", "改善学校的办学条件", 13),
    (None, "生态效益指标", "指标1：", None, None, None, None),
    (None, None, "指标2：", None, None, None, None),
    (None, "可持续影响指标", "使学生和老师有个更好的学习和工作环境", 10, "社会认可的办学环境。", "社会认可的办学环境。", 8),
    (None, None, "指标2：", None, None, None, None),
    (None, "服务对象满意度指标(10分)", "学生和老师满意度", 10, "≥90%", "95%", 10),
]


def yinchuan_2021_data() -> dict:
    """A published, filled 银川市本级部门项目支出绩效自评表 (2021年), 初中公用经费, 银川市第六中学 (text extraction at
    YINCHUAN_2021_SOURCE). Printed: 自评得分 98, 财政审核评分 blank; 年初预算数 64.8, 调整预算数(A) 64.8, 全年执行数(B)
    64.8, 执行率 100%; the rows as in YINCHUAN_2021_ROWS. The extraction breaks off inside the last row (服务对象满意度,
    参考分值 10 by the group's 35 = 15 + 10 + 10): it is completed here with the most it can give, 10 of 10, and its
    wording is ours. Even so the rows add up to 94, not the printed 98."""
    return {
        "title": "银川市本级部门项目支出绩效自评表（2021年）",
        "project_name": "初中公用经费",
        "department": "银川市教育局",
        "implementing_unit": "银川市第六中学",
        "self_score": 98,
        "review_score": None,
        "budget": {"total": {"initial": 64.8, "annual": 64.8, "executed": 64.8, "rate": "100%"}},
        "goal_planned": "保障学校正常工作运行",
        "goal_actual": "保障了学校正常工作运行",
        "rows": list(YINCHUAN_2021_ROWS),
    }


HENGSHAN_2020_SOURCE = "https://taowenge.com/p-72820237.html"  # 2020年度县级专项资金绩效目标自评表.docx
HENGSHAN_2020_ROWS = [
    # 一级, 二级, 三级, 年度指标值, 全年完成值, 未完成原因和改进措施 (the published figures, as printed)
    ("产\n出\n指\n标", "数量\n指标", "5000吨稻谷、500吨成\n品粮储备到位率", "100%", "100%", None),
    (None, None, "库存数量真实率", "100%", "100%", None),
    (None, "质量\n指标", "县级储备粮管理制\n度严格执行率", "100%", "100%", None),
    (None, None, "储备粮管理专户管\n理率", "100%", "100%", None),
    (None, None, "县级储备粮库存粮\n食明显变质比例", "0", "0", None),
    (None, "时效\n指标", "县级储备粮贷款付\n息及时率", "100%", "100%", None),
    (None, None, "县级储备粮应急保\n障率", "100%", "100%", None),
    (None, "成本\n指标", "国家政策性粮收购\n价格执行率", "100%", "100%", None),
    (None, None, "县级储备粮库存成\n本核算率", "100%", "100%", None),
    ("效\n益\n指\n标", "经济\n效益\n指标", "利息费用保障率", "100%", "100%", None),
    (None, None, "政策性挂账利息补\n贴保障率", "100%", "无", "没有轮换、动用库存"),
    (None, "生态\n效益\n指标", "低温、低氧、低剂量\n科学保粮率", "100%", "100%", None),
    (None, None, "食品安全指标达标\n率", "100%", "100%", None),
    (None, "可持\n续影\n响指标", "粮食储备设备维\n护及安全性", "高", "高", None),
    ("满意\n度指\n标", "服务\n对象\n满意\n度指\n标", "因粮食市场波动引\n起的粮食安全事件\n发生数", "0起", "0起", None),
    (None, None, "市民满意度调查", "≥90%", "100%", None),
]


def hengshan_2020_data() -> dict:
    """The published 衡山县 2020 县级专项资金绩效目标自评表, 县级储备粮 (HENGSHAN_2020_SOURCE; transcribed in
    tests/corpus/hunan-2020-hengshan-chubeiliang.toml). No points anywhere: 194.9 / 194.9 = 100 %, every row met or
    its reason written."""
    return {
        "title": "2020年度县级专项资金绩效目标自评表",
        "project_name": "县级储备粮",
        "contact": "旷建成、向建军",
        "department": "衡山县商务和粮食局",
        "implementing_unit": "粮食调控储备与产业发展股",
        "budget": {"total": {"annual": 194.9, "executed": 194.9, "rate": "100%"},
                   "current": {"annual": 194.9, "executed": 194.9, "rate": "100%"}},
        "goal_planned": "保持和稳定地方粮食储备机制",
        "goal_actual": "地方储备粮食规模达标",
        "rows": list(HENGSHAN_2020_ROWS),
        "note": "无",
    }


# --- Legacy-layout data ----------------------------------------------------------------------------------------

SEED_000_GOAL_ROWS = [
    # 一级, 二级, 三级, 目标值, 实际完成指标值, 完成进度 (the 绩效目标实现情况 table: printed, not scored)
    ("产出指标", "数量指标", "数据库审计系统1套", "100%", "100%", "100%"),
    (None, None, "数据库动态脱敏系统1套", "100%", "100%", "100%"),
    (None, None, "房产信息数据共享接口1个", "100%", "100%", "100%"),
    (None, None, "接入住建部公积金数据平台", "100%", "100%", "100%"),
    (None, "质量指标", "数据库审计系统上线完成并使用", "100%", "100%", "100%"),
    (None, None, "数据库动态脱敏系统上线完成并使用", "100%", "100%", "100%"),
    (None, None, "房产信息数据共享接口接入中心公积金系统", "100%", "100%", "100%"),
    (None, None, "中心公积金系统接入住建部公积金数据平台,并每日上传增量数据", "100%", "100%", "100%"),
    (None, "时效指标", "数据库审计系统7月1日完成上线", "100%", "100%", "100%"),
    (None, None, "数据库动态脱敏系统7月1日完成上线", "100%", "100%", "100%"),
    (None, None, "房产信息数据共享接口7月1日完成接入", "100%", "100%", "100%"),
    (None, None, "接入住建部公积金数据平台7月1日完成接入", "100%", "100%", "100%"),
    (None, "成本指标", "数据库审计系统预计投入35万", "100%", "96%", "100%"),
    (None, None, "数据库动态脱敏系统预计投入25万", "100%", "95.44%", "100%"),
    (None, None, "房产信息数据共享接口接入中心公积金系统预计投入50万", "100%", "95.18%", "100%"),
    (None, None, "接入住建部公积金数据平台预计投入60万", "100%", "97%", "100%"),
    ("效益指标", "经济效益指标", "指标1:", None, None, None),
    (None, None, "指标2:", None, None, None),
    (None, "社会效益指标", "使用数据库审计系统,保障公积金系统数据安全", "100%", "100%", "100%"),
    (None, None, "使用数据库动态脱敏系统,保障公积金系统数据安全", "100%", "100%", "100%"),
    (None, None, "房产信息数据共享接口接入中心公积金系统,实现数据共享,简化办事流程", "100%", "100%", "100%"),
    (None, None, "接入住建部公积金数据平台,实现数据共享,简化办事流程", "100%", "100%", "100%"),
    (None, "生态效益指标", "指标1:", None, None, None),
    (None, "可持续影响指标", "指标1:", None, None, None),
    ("满意度指标", "服务对象满意度指标", "数据库操作人员操作简便,数据安全,使用满意", "100%", "100%", "100%"),
    (None, None, "公积金业务操作人员查询数据便捷", "100%", "100%", "100%"),
    (None, None, "缴存人个人信息安全,办理业务简化、便捷", "100%", "100%", "100%"),
]


def seed_000_data() -> dict:
    return {
        "title": "晋中市财政支出项目绩效自评表",
        "year": 2020,
        "project_name": "信息网络软件、硬件购置更新",
        "department": "731",
        "implementing_unit": "晋中市住房公积金管理中心",
        "project_kind": "延续性项目",
        "project_period": "202001至202012",
        "funding": dict(SEED_000_FUNDING),
        "overview": "1、数据库审计系统；2、数据库动态脱敏系统；3、房产信息数据共享接口；4、住建部公积金共享平台。",
        "funds_use": "中心根据业务需求，编制2020年度项目支出预算170万元，年中核减8.31万元。上年结转7.03万元。",
        "organisation": "1、住建部互联共享平台项目：2020年10月20日签定项目合同书……",
        "goal_rows": list(SEED_000_GOAL_ROWS),
        "performance": "一、目标完成情况：……因年初新冠疫情影响，数据库审计系统、数据库动态脱敏系统在完成时效上较目标时效均有推迟。",
        "other_notes": "1、主要经验及做法、存在的问题和建议……",
        "score_rows": list(SEED_000_SCORE_ROWS),
        "subtotal_weights": {"投入": 20, "过程": 20, "产出": 30, "效果": 30},
        "subtotals": dict(SEED_000_SUBTOTALS),
        "total_weight": 100,
        "total": 87.72,
        "grade": "良",
        "evaluators": [("王宝琴", "科长", "财务科", "3952555"), ("张元亮", "科长", "信息科", "3952501"),
                       ("郭媛媛", "副科长", "财务科", "3952565")],
    }


# --- Writers ---------------------------------------------------------------------------------------------------

# The 2020 standard form prints every 二级指标 with at least this many rows (blank ones included).
_PRINTED_LEVEL2 = [
    ("产出指标", [("数量指标", 2), ("质量指标", 2), ("时效指标", 2), ("成本指标", 1)]),
    ("效益指标", [("经济效益指标", 2), ("社会效益指标", 2), ("生态效益指标", 2), ("可持续影响指标", 1)]),
    ("满意度指标", [("服务对象满意度指标", 2)]),
]


def write_seed_004_printed(path: Path, data: dict | None = None) -> dict[str, str]:
    """The 邵阳 2023 page: columns A 绩效指标 | B 一级 | C 二级 | D 三级 | E 年度指标值 | F 实际完成值 | G 分值 | H 得分 |
    I 偏差原因. Amounts typed as text with 万元, 执行率 `26.16%`, 得分 `　  2.62` (text, as on the page)."""
    d = data or seed_004_data()
    wb, s = _new_sheet("Sheet1", {"A": 5, "B": 11, "C": 11, "D": 32, "E": 14, "F": 14, "G": 7, "H": 7, "I": 30})
    where: dict[str, str] = {}
    s.put("A1", d["title"], "I1", bold=True)
    s.put("A2", f"（ {d['year']} 年度）", "I2")
    s.put("A3", "项目支\n出名称")
    where["project_name"] = s.put("B3", f"{d['project_name']}　", "I3")
    s.put("A4", "主管部门")
    where["department"] = s.put("B4", d["department"] or "　", "D4")
    s.put("E4", "实施单位")
    s.put("F4", f"{d['implementing_unit']}　", "I4")
    # 项目资金 block
    s.put("A5", "项目资金\n（万元）", "A9")
    s.put("B5", "　", "C5")
    s.row(5, ["年初\n预算数", "全年\n预算数", "全年\n执行数", "分值", "执行率", "得分"], start=4)
    labels = {"total": "年度资金总额　", "current": "其中：当年财政拨款　", "carryover": "上年结转资金　", "other": "其他资金"}
    for r, key in zip(range(6, 10), ("total", "current", "carryover", "other")):
        row = d["budget"].get(key, {})
        s.put(f"B{r}", labels[key], f"C{r}")
        rate = row.get("rate")
        score = row.get("score")
        s.row(r, [_money_text(row.get("initial")) or "　", _money_text(row.get("annual")) or "　",
                  _money_text(row.get("executed")) or "　", row.get("weight", "　"),
                  (f"{rate * 100:.2f}%" if isinstance(rate, float) else rate) or "　",
                  (f"　  {score}" if score is not None else "　")], start=4)
    where["budget_total_annual"] = "E6"
    s.put("A10", "年度总体目标", "A11")
    s.put("B10", "预期目标", "E10")
    s.put("F10", "实际完成情况　", "I10")
    s.put("B11", f"{d['goal_planned']}　　", "E11")
    s.put("F11", f"　       {d['goal_actual']}", "I11")
    # 绩效指标 table
    s.row(12, ["一级指标", "二级指标", "三级指标", "年度\n指标值", "实际\n完成值", "分值", "得分", "偏差原因\n分析及\n改进措施"], start=2)
    where["header"] = "B12"
    r = 13
    by_level2: dict[str, list[dict]] = {}
    for row in d["indicators"]:
        by_level2.setdefault(row["level2"], []).append(row)
    for level1, groups in _PRINTED_LEVEL2:
        first_of_level1 = r
        weight_sum = 0.0
        for level2, minimum in groups:
            rows = by_level2.get(level2, [])
            first_of_level2 = r
            block_start = None
            for i in range(max(len(rows), minimum)):
                row = rows[i] if i < len(rows) else None
                if row is not None:
                    s.put(f"D{r}", row["name"])
                    s.put(f"E{r}", row["target"])
                    s.put(f"F{r}", row["actual"])
                    if row.get("weight") is not None:
                        weight_sum += row["weight"]
                        s.put(f"G{r}", row["weight"])
                        s.put(f"H{r}", row.get("score"))
                        block_start = r
                        where.setdefault(f"weight:{row['name']}", f"G{r}")
                    elif block_start is not None and (i + 1 == len(rows) or rows[i + 1].get("weight") is not None):
                        s.ws.merge_cells(f"G{block_start}:G{r}")
                        s.ws.merge_cells(f"H{block_start}:H{r}")
                        where[f"block:{level2}"] = f"G{block_start}:G{r}"
                    s.put(f"I{r}", row.get("reason") or "　")
                    where.setdefault(f"row:{row['name']}", str(r))
                else:
                    for letter in "DEFGH":
                        s.put(f"{letter}{r}", None)
                    s.put(f"I{r}", "　")
                r += 1
            s.put(f"C{first_of_level2}", level2.replace("效益指标", "效\n益指标") if level2 in (
                "经济效益指标", "社会效益指标", "生态效益指标") else level2, f"C{r - 1}")
        s.put(f"B{first_of_level1}", f"{level1}\n（{weight_sum:g}分）", f"B{r - 1}")
    s.put("A12", "绩\n效\n指\n标", f"A{r - 1}")
    s.put(f"A{r}", "总分", f"F{r}")
    s.put(f"G{r}", d["total_weight"])
    where["total"] = s.put(f"H{r}", d["total_score"])
    s.put(f"I{r}", None)
    save(wb, path)
    return where


def write_seed_000_printed(path: Path, data: dict | None = None) -> dict[str, str]:
    """The 晋中 2020 page: title, 项目资金情况 lines under section labels, narratives, 绩效目标实现情况 (not scored) and
    the 评分表 (A 评分表 | B 二级指标 | C:D 三级指标 | E 指标分值 | F 评价得分) with subtotal rows `投入：`."""
    d = data or seed_000_data()
    wb, s = _new_sheet("自评表", {"A": 12, "B": 14, "C": 30, "D": 10, "E": 10, "F": 10, "G": 10})
    where: dict[str, str] = {}
    s.put("A1", d["title"], "G1", bold=True)
    s.put("A2", f"（ {d['year']} 年度）", "G2")
    s.put("A3", "填报单位（公章）：", "G3")
    s.put("A4", "项目名称", "B4")
    s.put("C4", d["project_name"], "G4")
    s.put("A5", "主管部门及代码", "B5")
    s.put("C5", d["department"])
    s.put("D5", "实施单位")
    s.put("E5", d["implementing_unit"], "G5")
    s.put("A6", "项目属性", "B6")
    s.put("C6", d["project_kind"])
    s.put("D6", "项目期")
    s.put("E6", d["project_period"], "G6")
    f = d["funding"]
    s.put("A7", "项目资金情况 (万元)", "A13")
    s.put("B7", "预算资金", "B8")
    lines = [(7, "C", "市级预算资金", "planned_own"), (8, "C", "其他", "planned_other"),
             (10, "C", "市级预算资金", "spent_own"), (11, "C", "上年结转资金", "spent_carryover"),
             (12, "C", "上级财政资金", "spent_upper"), (13, "C", "其他", "spent_other")]
    for r, col, label, key in lines:
        s.put(f"{col}{r}", label, f"D{r}")
        where[f"funding:{key}"] = s.put(f"E{r}", f[key], f"G{r}", fmt="0.00")
    s.put("B9", "预算下达资金", "D9")
    where["funding:arrived"] = s.put("E9", f["arrived"], "G9", fmt="0.00")
    s.put("B10", "实际支出资金", "B13")
    for r, label, key in ((14, "项目概况", "overview"), (15, "项目资金使用情况", "funds_use"),
                          (16, "项目组织实施情况", "organisation")):
        s.put(f"A{r}", label, f"B{r}")
        s.put(f"C{r}", d[key], f"G{r}")
    # 绩效目标实现情况 (printed; not scored)
    top = 17
    s.put(f"A{top}", "绩效目标实现情况", f"A{top + len(d['goal_rows'])}")
    s.row(top, ["绩效指标(二级)", None, "绩效指标(三级)", "目标值", "实际完成指标值", "完成进度"], start=2)
    s.put(f"B{top}", "绩效指标(二级)", f"C{top}")
    for i, (level1, level2, name, target, actual, progress) in enumerate(d["goal_rows"]):
        r = top + 1 + i
        s.row(r, [level1, level2, name, target, actual, progress], start=2)
    r = top + len(d["goal_rows"]) + 1
    s.put(f"A{r}", "项目绩效情况", f"B{r}")
    s.put(f"C{r}", d["performance"], f"G{r}")
    r += 1
    s.put(f"A{r}", "其他需说明的问题", f"B{r}")
    s.put(f"C{r}", d["other_notes"], f"G{r}")
    # 评分表
    r += 1
    header = r
    s.put(f"B{r}", "二级指标")
    s.put(f"C{r}", "三级指标", f"D{r}")
    s.put(f"E{r}", "指标分值")
    s.put(f"F{r}", "评价得分")
    where["header"] = f"B{r}"
    r += 1
    current_group, current_level2, level2_start = None, None, None

    def close_level2(end_row: int) -> None:
        if current_level2 is not None and level2_start is not None and end_row > level2_start:
            s.ws.merge_cells(f"B{level2_start}:B{end_row}")

    for level1, level2, name, weight, score in d["score_rows"]:
        if level1 != current_group:
            close_level2(r - 1)
            current_level2 = None
            current_group = level1
            s.put(f"B{r}", f"{level1}：", f"D{r}")
            s.put(f"E{r}", d["subtotal_weights"][level1])
            where[f"subtotal:{level1}"] = s.put(f"F{r}", d["subtotals"][level1], fmt="0.00")
            r += 1
        if level2 == "满意度":  # printed across the 二级 and 三级 columns
            close_level2(r - 1)
            current_level2 = None
            s.put(f"B{r}", name, f"D{r}")
        else:
            if level2 != current_level2:
                close_level2(r - 1)
                current_level2, level2_start = level2, r
                s.put(f"B{r}", level2)
            s.put(f"C{r}", name, f"D{r}")
        s.put(f"E{r}", weight)
        where[f"score:{name}"] = s.put(f"F{r}", score, fmt="0.00")
        r += 1
    close_level2(r - 1)
    s.put(f"A{header}", "评分表", f"A{r - 1}")
    s.put(f"A{r}", "综合得分：", f"D{r}")
    s.put(f"E{r}", d["total_weight"])
    where["total"] = s.put(f"F{r}", d["total"], fmt="0.00")
    r += 1
    s.put(f"A{r}", "评价结果等次：", f"D{r}")
    where["grade"] = s.put(f"E{r}", d["grade"], f"F{r}")
    r += 1
    s.put(f"A{r}", "评价人员", f"A{r + len(d['evaluators'])}")
    s.row(r, ["姓名", "职称/职务", None, "科室", "联系电话"], start=2)
    for i, person in enumerate(d["evaluators"]):
        s.row(r + 1 + i, [person[0], person[1], None, person[2], person[3]], start=2)
    r += len(d["evaluators"]) + 1
    s.row(r, ["负责人：郭俊伯", "经办人：郭媛媛", "联系电话：", "3952565", "填报日期：", "2021-07-05"])
    s.row(r + 1, ["单位负责人（签章）：", None, None, None, "年 月 日"])
    save(wb, path)
    return where


def write_reordered(path: Path, data: dict | None = None) -> dict[str, str]:
    """Layout (a): field values below their labels; 其中：本年财政拨款; table columns 一级 | 二级 | 三级 | 分值 | 年度指标值 |
    实际完成值 | 得分计算方法 | 得分 | 偏差原因; group labels only on the first row of their group, not merged."""
    d = data or reordered_data()
    wb, s = _new_sheet("绩效自评", {"A": 12, "B": 14, "C": 22, "D": 8, "E": 12, "F": 12, "G": 16, "H": 8, "I": 26})
    where: dict[str, str] = {}
    s.put("A1", d["title"], "I1", bold=True)
    s.put("A2", "项目名称", "B2")
    s.put("C2", "主管部门", "D2")
    s.put("E2", "实施单位", "F2")
    s.put("G2", "年度", "I2")
    where["project_name"] = s.put("A3", d["project_name"], "B3")
    s.put("C3", d["department"], "D3")
    s.put("E3", d["implementing_unit"], "F3")
    where["year"] = s.put("G3", d["year"], "I3")
    s.put("A4", "项目资金（万元）", "B4")
    s.row(4, ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"], start=3)
    labels = {"total": "年度资金总额", "current": "其中：本年财政拨款", "carryover": "上年结转资金", "other": "其他资金"}
    for r, key in zip(range(5, 9), ("total", "current", "carryover", "other")):
        row = d["budget"].get(key, {})
        s.put(f"A{r}", labels[key], f"B{r}")
        s.row(r, [row.get("initial"), row.get("annual"), row.get("executed"), row.get("weight"), row.get("rate"),
                  row.get("score")], start=3)
        for letter in "CDEFGH":
            s.ws[f"{letter}{r}"].border = _BORDER
    where["budget:rate"], where["budget:score"] = "G5", "H5"
    s.put("A9", "年度总体目标", "A10")
    s.put("B9", "预期目标", "E9")
    s.put("F9", "实际完成情况", "I9")
    s.put("B10", d["goal_planned"], "E10")
    s.put("F10", d["goal_actual"], "I10")
    s.row(11, ["一级指标", "二级指标", "三级指标", "分值", "年度指标值", "实际完成值", "得分计算方法", "得分",
               "偏差原因分析及改进措施"])
    where["header"] = "A11"
    r = 12
    level1 = level2 = None
    for row in d["indicators"]:
        s.row(r, [row["level1"] if row["level1"] != level1 else None,
                  row["level2"] if row["level2"] != level2 else None,
                  row["name"], row["weight"], row["target"], row["actual"], row.get("method"), row["score"],
                  row.get("reason")])
        for letter in "ABCDEFGHI":
            s.ws[f"{letter}{r}"].border = _BORDER
        where[f"row:{row['name']}"] = str(r)
        level1, level2 = row["level1"], row["level2"]
        r += 1
    s.put(f"A{r}", "合计", "C{0}".format(r))
    s.put(f"D{r}", d["total_weight"])
    where["total"] = s.put(f"H{r}", d["total_score"])
    r += 1
    s.put(f"A{r}", "自评等级：", f"C{r}")
    where["grade"] = s.put(f"D{r}", d.get("grade"))
    save(wb, path)
    return where


def write_hubei(path: Path, data: dict | None = None) -> dict[str, str]:
    """Layout (b): 预算执行 20; a two-row indicator header where 年度指标值 spans 指标性质 | 指标值 | 度量单位."""
    d = data or hubei_data()
    wb, s = _new_sheet("自评表", {"A": 10, "B": 12, "C": 20, "D": 8, "E": 10, "F": 8, "G": 12, "H": 8, "I": 8, "J": 24})
    where: dict[str, str] = {}
    s.put("A1", f"{d['title']}", "J1", bold=True)
    s.put("A2", f"（{d['year']}年度）", "J2")
    s.put("A3", "项目名称", "B3")
    where["project_name"] = s.put("C3", d["project_name"], "J3")
    s.put("A4", "主管部门", "B4")
    s.put("C4", d["department"], "E4")
    s.put("F4", "实施单位", "G4")
    s.put("H4", d["implementing_unit"], "J4")
    s.put("A5", "项目资金\n（万元）", "B9")
    s.put("C5", None, "D5")
    s.row(5, ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"], start=5)
    labels = {"total": "年度资金总额", "current": "其中：当年财政拨款", "carryover": "上年结转资金", "other": "其他资金"}
    for r, key in zip(range(6, 10), ("total", "current", "carryover", "other")):
        row = d["budget"].get(key, {})
        s.put(f"C{r}", labels[key], f"D{r}")
        s.row(r, [row.get("initial"), row.get("annual"), row.get("executed"), row.get("weight"), row.get("rate"),
                  row.get("score")], start=5)
    where["budget:weight"] = "H6"
    s.put("A10", "年度总体目标", "A11")
    s.put("B10", "预期目标", "E10")
    s.put("F10", "实际完成情况", "J10")
    s.put("B11", d["goal_planned"], "E11")
    s.put("F11", d["goal_actual"], "J11")
    # two-row header
    for col, label in (("A", "一级指标"), ("B", "二级指标"), ("C", "三级指标"), ("G", "实际完成值"), ("H", "权重（分）"),
                       ("I", "得分"), ("J", "偏差原因分析及改进措施")):
        s.put(f"{col}12", label, f"{col}13")
    s.put("D12", "年度指标值", "F12")
    s.row(13, ["指标性质", "指标值", "度量单位"], start=4)
    where["header"] = "A12"
    r = 14
    level1 = level2 = None
    l1_start = l2_start = r
    rows = d["indicators"]
    for i, row in enumerate(rows):
        if row["level1"] != level1:
            level1, l1_start = row["level1"], r
            s.put(f"A{r}", level1)
        if i == 0 or row["level2"] != level2 or row["level1"] != rows[i - 1]["level1"]:
            level2, l2_start = row["level2"], r
            s.put(f"B{r}", level2)
        nature, value, unit = row["target"]
        s.row(r, [row["name"], nature, value, unit, row["actual"], row["weight"], row["score"], row.get("reason")],
              start=3)
        if isinstance(row["actual"], float) and row["actual"] <= 1.5:
            s.ws[f"G{r}"].number_format = "0%"
        where[f"row:{row['name']}"] = str(r)
        last = i + 1 == len(rows)
        if last or rows[i + 1]["level2"] != level2 or rows[i + 1]["level1"] != level1:
            if r > l2_start:
                s.ws.merge_cells(f"B{l2_start}:B{r}")
        if last or rows[i + 1]["level1"] != level1:
            if r > l1_start:
                s.ws.merge_cells(f"A{l1_start}:A{r}")
        r += 1
    s.put(f"A{r}", "总分", f"G{r}")
    s.put(f"H{r}", d["total_weight"])
    where["total"] = s.put(f"I{r}", d["total_score"])
    save(wb, path)
    return where


def write_yuan(path: Path, data: dict | None = None) -> dict[str, str]:
    """Layout (c): 单位：元 above the 项目资金 block; 年度资金总额 printed 0 / 0 / 0 with the money in 其中 rows; 执行率 `1`;
    `—`, `/` and `无` in cells that do not apply."""
    d = data or yuan_data()
    wb, s = _new_sheet("Sheet1", {"A": 10, "B": 16, "C": 22, "D": 12, "E": 12, "F": 12, "G": 8, "H": 8, "I": 20})
    where: dict[str, str] = {}
    s.put("A1", f"{d['title']}", "I1", bold=True)
    s.put("A2", f"（{d['year']}年度）", "G2")
    s.put("H2", "单位：元", "I2")
    s.put("A3", "项目名称", "B3")
    where["project_name"] = s.put("C3", d["project_name"], "I3")
    s.put("A4", "主管部门", "B4")
    s.put("C4", d["department"], "D4")
    s.put("E4", "实施单位", "F4")
    s.put("G4", d["implementing_unit"], "I4")
    s.put("A5", "项目资金", "A9")
    s.put("B5", None, "C5")
    s.row(5, ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"], start=4)
    labels = {"total": "年度资金总额", "current": "其中：当年财政拨款", "carryover": "上年结转资金", "other": "其他资金"}
    for r, key in zip(range(6, 10), ("total", "current", "carryover", "other")):
        row = d["budget"].get(key, {})
        s.put(f"B{r}", labels[key], f"C{r}")
        s.row(r, [row.get("initial"), row.get("annual"), row.get("executed"), row.get("weight", "—"),
                  row.get("rate", "—"), row.get("score", "—")], start=4)
        for letter in "DEF":
            s.ws[f"{letter}{r}"].number_format = "#,##0.00"
    where["budget:annual"] = "E6"
    s.put("A10", "年度总体目标", "A11")
    s.put("B10", "预期目标", "E10")
    s.put("F10", "实际完成情况", "I10")
    s.put("B11", d["goal_planned"], "E11")
    s.put("F11", d["goal_actual"], "I11")
    s.put("A12", "绩效指标", "A{0}".format(12 + len(d["indicators"])))
    s.row(12, ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"], start=2)
    where["header"] = "B12"
    r = 13
    level1 = None
    l1_start = r
    rows = d["indicators"]
    for i, row in enumerate(rows):
        if row["level1"] != level1:
            level1, l1_start = row["level1"], r
            s.put(f"B{r}", level1)
        s.row(r, [row["level2"], row["name"], row["target"], row["actual"], row["weight"], row["score"],
                  row.get("reason")], start=3)
        where[f"row:{row['name']}"] = str(r)
        if (i + 1 == len(rows) or rows[i + 1]["level1"] != level1) and r > l1_start:
            s.ws.merge_cells(f"B{l1_start}:B{r}")
        r += 1
    s.put(f"A{r}", "合计", f"F{r}")
    s.put(f"G{r}", d["total_weight"])
    where["total"] = s.put(f"H{r}", d["total_score"])
    save(wb, path)
    return where


def write_hubei_2020(path: Path, data: dict | None = None) -> dict[str, str]:
    """The 湖北 财政项目绩效自评表 as printed: columns A:B labels | C 预算数（A）/ 二级指标 … ; the head rows 单位名称 /
    填报日期, tick rows 项目类别 / 项目属性 / 项目类型; `预算执行情况（万元）（20分）` over 预算数（A） | 执行数（B） |
    执行率（B/A） | 得分（20分*执行率）; `年度绩效目标（80分）` merged down column A beside 一级 | 二级 | 三级 | 年初目标值（A） |
    实际完成值（B） | 得分 (no 分值 column); 总分; then the 偏差大或目标未完成原因分析 / 改进措施及结果应用方案 / 备注 rows."""
    d = data or hubei_2020_data()
    wb, s = _new_sheet("Sheet1", {"A": 10, "B": 12, "C": 14, "D": 24, "E": 14, "F": 14, "G": 10})
    where: dict[str, str] = {}
    s.put("A1", d["title"], "G1", bold=True)
    where["unit_name"] = s.put("A2", f"单位名称：{d['unit_name']}", "D2")
    s.put("E2", f"填报日期：{d['report_date'] or ''}", "G2")
    s.put("A3", "项目名称", "B3")
    where["project_name"] = s.put("C3", d["project_name"], "G3")
    s.put("A4", "主管部门", "B4")
    s.put("C4", d["department"], "D4")
    s.put("E4", "项目实施单位")
    s.put("F4", d["implementing_unit"], "G4")
    for r, label, key in ((5, "项目类别", "category"), (6, "项目属性", "nature"), (7, "项目类型", "kind")):
        s.put(f"A{r}", label, f"B{r}")
        s.put(f"C{r}", d[key], f"G{r}")
    where["budget_points"] = s.put("A8", f"预算执行情况（万元）（{d['budget_points']}分）", "B8")
    s.put("C8", "预算数（A）")
    s.put("D8", "执行数（B）")
    s.put("E8", "执行率（B/A）")
    s.put("F8", f"得分（{d['budget_points']}分*执行率）", "G8")
    labels = {"total": "年度财政资金总额", "current": "其中：当年财政拨款", "carryover": "上年结余结转"}
    r = 9
    for key in ("total", "current", "carryover"):
        if key not in d["budget"]:
            continue
        row = d["budget"][key]
        s.put(f"A{r}", labels[key], f"B{r}")
        s.put(f"C{r}", row.get("annual"))
        s.put(f"D{r}", row.get("executed"))
        s.put(f"E{r}", row.get("rate"))
        s.put(f"F{r}", row.get("score"), f"G{r}")
        where[f"budget:{key}"] = str(r)
        r += 1
    header = r
    s.row(header, ["一级指标", "二级指标", "三级指标", "年初目标值（A）", "实际完成值（B）", "得分"], start=2)
    where["header"] = f"B{header}"
    r = header + 1
    level1 = level2 = None
    rows = d["indicators"]
    l1_start = l2_start = r
    for i, row in enumerate(rows):
        if row["level1"] != level1:
            level1, l1_start = row["level1"], r
            s.put(f"B{r}", level1)
        if row["level2"] != level2 or r == l1_start:
            level2, l2_start = row["level2"], r
            s.put(f"C{r}", level2)
        s.row(r, [row["name"], row["target"], row["actual"], row["score"]], start=4)
        where[f"row:{row['name']}"] = str(r)
        last = i + 1 == len(rows)
        if (last or rows[i + 1]["level2"] != level2 or rows[i + 1]["level1"] != level1) and r > l2_start:
            s.ws.merge_cells(f"C{l2_start}:C{r}")
        if (last or rows[i + 1]["level1"] != level1) and r > l1_start:
            s.ws.merge_cells(f"B{l1_start}:B{r}")
        r += 1
    s.put(f"A{header}", f"年度绩效目标（{d['goal_points']}分）", f"A{r - 1}")
    where["goal_points"] = f"A{header}"
    s.put(f"A{r}", "总分", f"F{r}")
    where["total"] = s.put(f"G{r}", d["total_score"])
    r += 1
    for label, key in (("偏差大或目标未完成原因分析", "reason"), ("改进措施及结果应用方案", "improvement"), ("备注", "note")):
        s.put(f"A{r}", label, f"B{r}")
        where[key] = s.put(f"C{r}", d[key], f"G{r}")
        r += 1
    save(wb, path)
    return where


def write_scorecard(path: Path, data: dict | None = None) -> dict[str, str]:
    """The 银川 scorecard page: head rows with 自评得分 beside 财政审核评分; 项目资金（万元） with 年初预算数 | 调整预算数（A） |
    全年执行数（B） | 执行率（B/A） and no 分值 / 得分; 年度总体目标; then one table 一级 | 二级 | 三级 | 参考分值 | 指标值（A） |
    全年实际值（B） | 得分 | 未完成原因分析及改进措施, its groups' points in their labels (项目决策(10分)), the template's
    `指标2：` slots kept, and no 总分 row."""
    d = data or yinchuan_2021_data()
    wb, s = _new_sheet("Sheet1", {"A": 12, "B": 14, "C": 24, "D": 8, "E": 24, "F": 26, "G": 7, "H": 20})
    where: dict[str, str] = {}
    s.put("A1", d["title"], "H1", bold=True)
    s.put("A2", "项目名称", "B2")
    where["project_name"] = s.put("C2", d["project_name"], "H2")
    s.put("A3", "主管部门", "B3")
    s.put("C3", d["department"])
    s.put("D3", "实施单位", "E3")
    s.put("F3", d["implementing_unit"], "H3")
    s.put("A4", "自评得分", "B4")
    where["total"] = s.put("C4", d["self_score"])
    s.put("D4", "财政审核评分", "E4")
    where["review_score"] = s.put("F4", d["review_score"], "H4")
    s.put("A5", "项目资金\n（万元）", "A6")
    s.put("B5", None)
    s.put("C5", "年初预算数")
    s.put("D5", "调整预算数（A）", "E5")
    s.put("F5", "全年执行数（B）")
    s.put("G5", "执行率（B/A）", "H5")
    total = d["budget"]["total"]
    s.put("B6", "年度资金总额")
    s.put("C6", total.get("initial"))
    where["budget:annual"] = s.put("D6", total.get("annual"), "E6")
    s.put("F6", total.get("executed"))
    s.put("G6", total.get("rate"), "H6")
    s.put("A7", "年度总体目标", "A8")
    s.put("B7", "年初设定目标", "D7")
    s.put("E7", "年度总体目标完成情况", "H7")
    s.put("B8", d["goal_planned"], "D8")
    s.put("E8", d["goal_actual"], "H8")
    s.row(9, ["一级指标", "二级指标", "三级指标", "参考分值", "指标值（A）", "全年实际值（B）", "得分", "未完成原因分析及改进措施"])
    where["header"] = "A9"
    def indicator_row(r: int, row: tuple) -> None:
        _, _, name, weight, target, actual, score = row
        s.row(r, [name, weight, target, actual, score, None], start=3)
        for letter in "CDEFGH":
            s.ws[f"{letter}{r}"].border = _BORDER
        if weight is not None:
            where.setdefault(f"row:{name}", str(r))

    r = _grouped_rows(s, d["rows"], 10, indicator_row)
    s.put(f"A{r}", "填表人：", "B{0}".format(r))
    s.put(f"E{r}", "填报日期：", f"F{r}")
    save(wb, path)
    return where


def write_county_fund(path: Path, data: dict | None = None) -> dict[str, str]:
    """The 湖南 县级专项资金绩效目标自评表 page as printed (six columns A–F): title; 专项资金名称 | 负责人及电话;
    县级主管部门 | 实施单位; 项目资金（万元） with 全年预算数(A) | 全年执行数(B) | 执行率(B/A) over 年度资金总额,
    其中：中央、省、市补助县级资金, 其他资金; 年度总体目标 (年初设定目标 | 全年实际完成情况); the indicator table
    一级 | 二级 | 三级指标 | 年度指标值 | 全年完成值 | 未完成原因和改进措施 with its groups merged down; a 说明 row.
    Nothing on it is a point."""
    d = data or hengshan_2020_data()
    wb, s = _new_sheet("Sheet1", {"A": 8, "B": 10, "C": 22, "D": 14, "E": 14, "F": 20})
    where: dict[str, str] = {}
    s.put("A1", d["title"], "F1", bold=True)
    s.put("A2", "专项资金名称")
    where["project_name"] = s.put("B2", d["project_name"], "C2")
    s.put("D2", "负责人及电话")
    s.put("E2", d["contact"], "F2")
    s.put("A3", "县级主管部门")
    where["department"] = s.put("B3", d["department"], "C3")
    s.put("D3", "实施单位")
    s.put("E3", d["implementing_unit"], "F3")
    s.put("A4", "项目资金\n(万元)", "A7")
    s.put("B4", None, "C4")
    s.row(4, ["全年预算数(A)", "全年执行数(B)", "执行率(B/A)"], start=4)
    for r, (key, label) in enumerate((("total", "年度资金总额"), ("current", "其中:中央、省、市补助县级资金"),
                                      ("other", "其他资金")), start=5):
        line = d["budget"].get(key, {})
        s.put(f"B{r}", label, f"C{r}")
        where[f"budget:{key}:annual"] = s.put(f"D{r}", line.get("annual"))
        where[f"budget:{key}:executed"] = s.put(f"E{r}", line.get("executed"))
        where[f"budget:{key}:rate"] = s.put(f"F{r}", line.get("rate"))
    s.put("A8", "年度\n总体\n目标", "A9")
    s.put("B8", "年初设定目标", "C8")
    s.put("D8", "全年实际完成情况", "F8")
    s.put("B9", d["goal_planned"], "C9")
    s.put("D9", d["goal_actual"], "F9")
    s.row(10, ["一级\n指标", "二级\n指标", "三级指标", "年度指标\n值", "全年\n完成值", "未完成原因和\n改进措施"])
    where["header"] = "A10"
    def indicator_row(r: int, row: tuple) -> None:
        _, _, name, target, actual, reason = row
        s.row(r, [name, target, actual, reason], start=3)
        for letter in "ABCDEF":
            s.ws[f"{letter}{r}"].border = _BORDER
        key = " ".join(name.split())
        where[f"actual:{key}"], where[f"reason:{key}"] = f"E{r}", f"F{r}"

    r = _grouped_rows(s, d["rows"], 11, indicator_row)
    s.put(f"A{r}", "说明")
    s.put(f"B{r}", d["note"], f"F{r}")
    save(wb, path)
    return where


# --- 项目绩效自评表 with a 分值 beside every level (海南 服务贸易) ---------------------------------------------------

HAINAN_FUWUMAOYI_SOURCE = "https://m.bdocx.com/doc/30238812.html"  # 服务贸易项目绩效自评表.docx (tests/corpus)

# 一级, 分值, 二级, 分值, 三级, 分值, 得分 — None carries the label above down. The rows through 产出成本 are the published
# ones (tests/corpus/hainan-undated-fuwumaoyi.toml); the page breaks off at 项目效益 40, so its rows are ours.
HAINAN_FUWUMAOYI_ROWS = [
    ("项目决策", 20, "项目目标", 4, "目标内容", 4, 4),
    (None, None, "决策过程", 8, "决策依据", 3, 3),
    (None, None, None, None, "决策程序", 5, 5),
    (None, None, "资金分配", 8, "分配办法", 2, 2),
    (None, None, None, None, "分配结果", 6, 6),
    ("项目管理", 25, "资金到位", 5, "到位率", 3, 3),
    (None, None, None, None, "到位时效", 2, 2),
    (None, None, "资金管理", 10, "资金使用", 7, 7),
    (None, None, None, None, "财务管理", 3, 3),
    (None, None, "组织实施", 10, "组织机构", 1, 1),
    (None, None, None, None, "管理制度", 9, 9),
    ("项目绩效", 55, "项目产出", 15, "产出数量", 5, 5),
    (None, None, None, None, "产出质量", 4, 4),
    (None, None, None, None, "产出时效", 3, 3),
    (None, None, None, None, "产出成本", 3, 3),
    (None, None, "项目效益", 40, "经济效益", 10, 8),
    (None, None, None, None, "社会效益", 15, 14),
    (None, None, None, None, "生态效益", 5, 5),
    (None, None, None, None, "可持续影响", 5, 4),
    (None, None, None, None, "服务对象满意度", 5, 5),
]


def hainan_fuwumaoyi_data() -> dict:
    """The 海南省商务厅 服务贸易项目绩效自评表 (HAINAN_FUWUMAOYI_SOURCE) made whole: its 项目基本情况 and money as
    published (计划投资额 570 = 省财政 570; 实际到位资金 398.88 = 省财政 398.88; 实际使用 395.86 万元), the published
    评分 rows, and 项目效益 40 in five rows of ours. A 项目名称 row is added (the published form names the project only
    in its title). Levels add up by hand: 20 + 25 + 55 = 100; typed 得分 20 + 25 + 15 + 36 = 96."""
    return {
        "title": "服务贸易项目绩效自评表",
        "project_name": "服务贸易",
        "implementing_unit": "省商务厅服务贸易和商贸服务业处",
        "department": "省商务厅",
        "manager": "李鹏",
        "planned": 570, "planned_lines": [0, 570, 0, 0],
        "arrived": 398.88, "arrived_lines": [0, 398.88, 0, 0],
        "spent": 395.86,
        "rows": list(HAINAN_FUWUMAOYI_ROWS),
        "total_weight": 100,
        "total_score": 96,
    }


def write_three_weights(path: Path, data: dict | None = None) -> dict[str, str]:
    """The 海南 page, columns A–G: title; 一、项目基本情况 (项目名称, 项目实施单位 | 主管部门, 项目负责人, 计划投资额 |
    实际到位资金 | 实际使用情况 (万元), then 其中: 中央财政 / 省财政 / 市县财政 / 其他 under the first two); 二、绩效评价指标评分
    with 一级指标 | 分值 | 二级指标 | 分值 | 三级指标 | 分值 | 得分, each level's label and 分值 merged down its group, and a
    合计 row. Returns cells by what they are: `score:<三级>`, `weight:<三级>`, `level1:<一级>`, `level2:<二级>` (the 分值
    cells), `total`."""
    d = data or hainan_fuwumaoyi_data()
    wb, s = _new_sheet("Sheet1", {"A": 14, "B": 16, "C": 14, "D": 16, "E": 16, "F": 12, "G": 8})
    where: dict[str, str] = {}
    s.put("A1", d["title"], "G1", bold=True)
    s.put("A2", "一、项目基本情况", "G2")
    s.put("A3", "项目名称")
    where["project_name"] = s.put("B3", d["project_name"], "G3")
    s.put("A4", "项目实施单位")
    s.put("B4", d["implementing_unit"], "D4")
    s.put("E4", "主管部门")
    s.put("F4", d["department"], "G4")
    s.put("A5", "项目负责人")
    s.put("B5", d["manager"], "D5")
    s.put("E5", "联系电话")
    s.put("F5", None, "G5")
    s.put("A6", "计划投资额\n(万元)")
    where["planned"] = s.put("B6", d["planned"])
    s.put("C6", "实际到位资金\n(万元)")
    where["arrived"] = s.put("D6", d["arrived"])
    s.put("E6", "实际使用情况(万元)")
    where["spent"] = s.put("F6", d["spent"], "G6")
    s.put("A7", "其中:", "A10")
    s.put("D7", "其中:", "D10")
    for i, label in enumerate(("中央财政", "省财政", "市县财政", "其他")):
        r = 7 + i
        s.put(f"B{r}", label)
        where[f"planned:{label}"] = s.put(f"C{r}", d["planned_lines"][i])
        s.put(f"E{r}", label)
        where[f"arrived:{label}"] = s.put(f"F{r}", d["arrived_lines"][i], f"G{r}")
    s.put("A11", "二、绩效评价指标评分", "G11")
    s.row(12, ["一级指标", "分值", "二级指标", "分值", "三级指标", "分值", "得分"])
    where["header"] = "A12"
    r = 13
    rows = d["rows"]
    l1_start = l2_start = r
    for i, (level1, points1, level2, points2, name, weight, score) in enumerate(rows):
        if level1:
            l1_start = r
            s.put(f"A{r}", level1)
            where[f"level1:{level1}"] = s.put(f"B{r}", points1)
        if level2:
            l2_start = r
            s.put(f"C{r}", level2)
            where[f"level2:{level2}"] = s.put(f"D{r}", points2)
        s.put(f"E{r}", name)
        where[f"weight:{name}"] = s.put(f"F{r}", weight)
        where[f"score:{name}"] = s.put(f"G{r}", score)
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        if (nxt is None or nxt[2] or nxt[0]) and r > l2_start:
            for letter in "CD":
                s.ws.merge_cells(f"{letter}{l2_start}:{letter}{r}")
        if (nxt is None or nxt[0]) and r > l1_start:
            for letter in "AB":
                s.ws.merge_cells(f"{letter}{l1_start}:{letter}{r}")
        r += 1
    s.put(f"A{r}", "合计", "E{0}".format(r))
    s.put(f"F{r}", d["total_weight"])
    where["total"] = s.put(f"G{r}", d["total_score"])
    save(wb, path)
    return where


def vary_three_weights(data: dict, seed: int) -> dict:
    """Money scaled (到位 and 使用 varied below plan); typed 得分 varied within their 分值; 合计 printed as the sum."""
    rnd = random.Random(seed)
    d = copy.deepcopy(data)
    d["project_name"] = f"{d['project_name']}（样本{seed}）"
    planned = round(d["planned"] * rnd.uniform(0.4, 3.0), 2)
    arrived = round(planned * rnd.uniform(0.6, 1.0), 2)
    d["planned"], d["planned_lines"] = planned, [0, planned, 0, 0]
    d["arrived"], d["arrived_lines"] = arrived, [0, arrived, 0, 0]
    d["spent"] = round(arrived * rnd.uniform(0.8, 1.0), 2)
    rows = []
    for level1, points1, level2, points2, name, weight, score in d["rows"]:
        rows.append((level1, points1, level2, points2, name, weight, round(weight * rnd.uniform(0.7, 1.0), 2)))
    d["rows"] = rows
    d["total_score"] = round(sum(row[6] for row in rows), 2)
    return d


def _grouped_rows(s, rows: list[tuple], first: int, write_row) -> int:
    """Indicator rows from `first` on, each `(level1, level2, …)` with the group labels only on a group's first row
    (as printed): writes the labels in A and B and merges them down their group; `write_row(r, row)` writes the rest.
    Returns the row after the last."""
    r = l1_start = l2_start = first
    for i, row in enumerate(rows):
        level1, level2 = row[0], row[1]
        if level1:
            l1_start = r
            s.put(f"A{r}", level1)
        if level2:
            l2_start = r
            s.put(f"B{r}", level2)
        write_row(r, row)
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        if (nxt is None or nxt[1] or nxt[0]) and r > l2_start:
            s.ws.merge_cells(f"B{l2_start}:B{r}")
        if (nxt is None or nxt[0]) and r > l1_start:
            s.ws.merge_cells(f"A{l1_start}:A{r}")
        r += 1
    return r


# --- Varied figures for benchmarks -----------------------------------------------------------------------------

_NUMBER_IN_TEXT = re.compile(r"\d+(?:\.\d+)?")


def _scale_text(value, factor: float):
    """`23台` × 0.8 → `18台`; numbers scale; other text unchanged."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return round(value * factor, 2) if value > 1.5 else min(round(value * factor, 4), 1.0)
    if isinstance(value, str):
        match = _NUMBER_IN_TEXT.search(value)
        if match:
            number = float(match.group()) * factor
            shown = f"{number:.2f}".rstrip("0").rstrip(".") if "." in match.group() else str(round(number))
            return value[:match.start()] + shown + value[match.end():]
    return value


def vary_standard(data: dict, seed: int) -> dict:
    """Same layout, other figures: budget scaled, execution and actual values varied, typed scores kept (as units
    do), 总分 recomputed from the typed scores."""
    rnd = random.Random(seed)
    d = copy.deepcopy(data)
    d["project_name"] = f"{d['project_name']}（样本{seed}）"
    scale = rnd.uniform(0.4, 3.0)
    for row in d["budget"].values():
        for key in ("initial", "annual", "executed"):
            if isinstance(row.get(key), (int, float)) and not isinstance(row.get(key), bool):
                row[key] = round(row[key] * scale, 2)
    total = d["budget"]["total"]
    if total.get("annual"):
        total["executed"] = round(total["annual"] * rnd.uniform(0.3, 1.0), 2)
        rate = total["executed"] / total["annual"]
        if "rate" in total:
            total["rate"] = round(rate, 4) if isinstance(total["rate"], float) else f"{rate * 100:.2f}%"
        if "score" in total and isinstance(total.get("weight"), (int, float)):
            total["score"] = round(total["weight"] * rate, 2)
    for row in d["indicators"]:
        if rnd.random() < 0.5:
            row["actual"] = _scale_text(row["actual"], rnd.uniform(0.7, 1.2))
    budget_score = total.get("score") if isinstance(total.get("score"), (int, float)) else 0
    scores = [row["score"] for row in d["indicators"] if isinstance(row.get("score"), (int, float))]
    d["total_score"] = round(budget_score + sum(scores), 2)
    return d


def vary_legacy(data: dict, seed: int) -> dict:
    """Funding and typed scores varied; subtotals and 综合得分 printed as the sums (so only a 投入 mistake remains
    when the seed keeps it); 等次 from the total."""
    rnd = random.Random(seed)
    d = copy.deepcopy(data)
    d["project_name"] = f"{d['project_name']}（样本{seed}）"
    f = d["funding"]
    f["planned_own"] = round(f["planned_own"] * rnd.uniform(0.5, 3.0), 2)
    f["arrived"] = round(f["planned_own"] * rnd.uniform(0.85, 1.0), 2)
    f["spent_own"] = round(f["arrived"] * rnd.uniform(0.8, 1.0), 2)
    rows = []
    for level1, level2, name, weight, score in d["score_rows"]:
        rows.append((level1, level2, name, weight, round(weight * rnd.uniform(0.6, 1.0), 2) if weight else 0.0))
    d["score_rows"] = rows
    sums: dict[str, float] = {}
    for level1, _, _, _, score in rows:
        sums[level1] = round(sums.get(level1, 0.0) + score, 2)
    d["subtotals"] = dict(sums)
    if rnd.random() < 0.3:
        d["subtotals"]["投入"] = round(sums["投入"] - 5.69, 2)  # the seed's mistake, sometimes
    d["total"] = round(sum(sums.values()), 2)
    d["grade"] = "优" if d["total"] >= 90 else "良" if d["total"] >= 80 else "中" if d["total"] >= 60 else "差"
    return d


def vary_scorecard(data: dict, seed: int) -> dict:
    """Budget scaled and executed varied; typed scores varied within their 参考分值; 自评得分 printed as the sum."""
    rnd = random.Random(seed)
    d = copy.deepcopy(data)
    d["project_name"] = f"{d['project_name']}（样本{seed}）"
    total = d["budget"]["total"]
    scale = rnd.uniform(0.4, 3.0)
    total["initial"] = total["annual"] = round(total["annual"] * scale, 2)
    total["executed"] = round(total["annual"] * rnd.uniform(0.6, 1.0), 2)
    total["rate"] = f"{total['executed'] / total['annual'] * 100:.2f}%"
    rows = []
    for level1, level2, name, weight, target, actual, score in d["rows"]:
        if isinstance(weight, (int, float)):
            score = round(weight * rnd.uniform(0.7, 1.0), 2)
        rows.append((level1, level2, name, weight, target, actual, score))
    d["rows"] = rows
    d["self_score"] = round(sum(row[6] for row in rows if isinstance(row[6], (int, float))), 2)
    return d


def vary_county_fund(data: dict, seed: int) -> dict:
    """Budget scaled, executed varied, 执行率 printed as B/A; the rows as published (they carry no points)."""
    rnd = random.Random(seed)
    d = copy.deepcopy(data)
    d["project_name"] = f"{d['project_name']}（样本{seed}）"
    annual = round(d["budget"]["total"]["annual"] * rnd.uniform(0.4, 3.0), 2)
    executed = round(annual * rnd.uniform(0.6, 1.0), 2)
    line = {"annual": annual, "executed": executed, "rate": f"{executed / annual * 100:.2f}%"}
    d["budget"] = {"total": dict(line), "current": dict(line)}
    return d


Writer = Callable[[Path, dict | None], dict]

# name → (writer, default figures, varier, file name under examples/printed/)
LAYOUTS: dict[str, tuple[Writer, Callable[[], dict], Callable[[dict, int], dict], str]] = {
    "shaoyang-2023": (write_seed_004_printed, seed_004_data, vary_standard, "邵阳-2023-原表样.xlsx"),
    "jinzhong-2020": (write_seed_000_printed, seed_000_data, vary_legacy, "晋中-2020-原表样.xlsx"),
    "reordered": (write_reordered, reordered_data, vary_standard, "示例A-列序调整-得分计算方法.xlsx"),
    "hubei": (write_hubei, hubei_data, vary_standard, "示例B-湖北-目标分三列.xlsx"),
    "yuan": (write_yuan, yuan_data, vary_standard, "示例C-金额以元计-其中行.xlsx"),
    "hubei-2020": (write_hubei_2020, hubei_2020_data, vary_standard, "湖北-2020-长江禁捕-原表样.xlsx"),
    "hubei-2021": (write_hubei_2020, hubei_2021_data, vary_standard, "示例D-湖北财政项目绩效自评表.xlsx"),
    "yinchuan-2021": (write_scorecard, yinchuan_2021_data, vary_scorecard, "银川-2021-评分卡-原表样.xlsx"),
    "hengshan-2020": (write_county_fund, hengshan_2020_data, vary_county_fund, "衡山-2020-县级专项资金-不打分-原表样.xlsx"),
    "hainan-fuwumaoyi": (write_three_weights, hainan_fuwumaoyi_data, vary_three_weights, "海南-服务贸易-三级分值-评分表.xlsx"),
}


def layout_data(name: str, seed: int | None = None) -> dict:
    """The layout's default figures, or figures varied by `seed`."""
    _, default, vary, _ = LAYOUTS[name]
    data = default()
    return data if seed is None else vary(data, seed)


def write_layout(name: str, path: Path, data: dict | None = None, seed: int | None = None) -> dict[str, str]:
    """Write layout `name` to `path` with `data` (or its default figures, varied by `seed` when given)."""
    writer = LAYOUTS[name][0]
    return writer(Path(path), data if data is not None else layout_data(name, seed))
