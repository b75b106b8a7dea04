"""Seed 004 and seed 000 as `Form` records, transcribed by hand from shared/seeds (not from our code's output).

Used by the pure-core tests; the workbook tests read the same figures from real .xlsx files in examples/.
"""

from perfeval_xl.model import Cell, Form

SEED_004_INDICATORS = [
    # 一级, 二级, 三级, 年度指标值, 实际完成值, 分值, 得分, 偏差原因
    ("产出指标", "数量指标", "自助终端机", "11台", "23台", 2.5, 2.5, None),
    (None, None, "中心电脑及打印机等设备购置", "≥10台", "10台", 2.5, 2.5, None),
    (None, "时效指标", "项目按期完成", "项目按期完成", "项目按期完成", 5, 5, None),
    (None, "成本指标", "数据库安全项目建设(已完工）", "193.5万元", "141.3万元", 40, 20, None),
    (None, None, "中心电脑及打印机等设备购置（已完工）", "52.20万元", "49.56万元", None, None, None),
    (None, None, "业务系统指纹及人脸识别设备采购", "23.40万元", "0%", None, None, "因存在数据安全隐患，项目取消，资金核减。"),
    (None, None, "自助终端机（11台）（已完工）", "33.00万元", "28.8万元", None, None, None),
    (None, None, "5G智慧云电子大屏宣传建设经费（已完工）", "19万元", "15.5万元", None, None, None),
    (None, None, "国产化设备替换（已完工）", "70万元", "24.47万元", None, None, "项目实施前内网办未确定上级财政补偿标准。"),
    (None, None, "中心数据机房三级等保测评（已完工）", "30万元", "25.48万元", None, None, None),
    (None, None, "风险防控平台建设", "30万元", "10万元", None, None, "项目建设期三年，已完成第一年。"),
    (None, None, "视频会议系统建设", "50万元", "4.88万元", None, None, "该项目正在市行政审批局进行项目评估。"),
    (None, None, "异地实时灾备建设", "55万元", "0万元", None, None, "决定暂缓建设。"),
    (None, None, "中心数据机房三级等保测评", "10万元", "0万元", None, None, "预计2024年上半年完成，费用待支付。"),
    (None, None, "业务机房运维经费", "25万元", "13.13万元", None, None, "续建项目，部分费用于2024年支付"),
    (None, None, "视频会议系统2期建设", "40万元", "0万元", None, None, "该项目正在市行政审批局进行项目评估。"),
    (None, None, "中心办公大楼无线WIFI管控全覆盖建设", "3.5万元", "0万元", None, None, "项目已完成，于2024年支付费用。"),
    (None, None, "“湘易办”超级移动端接口开发建设", "30万元", "0万元", None, None, "项目于年底启动，2024年3月完成。"),
    ("效益指标", "社会效益指标", "营造良好的服务环境，方便广大缴存人及缴存单位经办人", "逐步提升", "逐步提升", 15, 15, None),
    (None, "可持续影响指标", "提升中心服务质量，提升中心办结业务进度", "明显改善", "逐步提升", 15, 15, None),
    ("满意度指标", "服务对象满意度指标", "缴存单位及群众对中心业务服务能力更满意", "群众满意度逐年提高", "逐步提升", 10, 10, None),
]
INDICATOR_COLUMNS = ["level1", "level2", "name", "target", "actual", "weight", "score", "reason"]
COLUMN_LETTERS = "ABCDEFGHIJK"


def seed_004_form(first_row: int = 20) -> Form:
    form = Form("standard", "自评表", source="seed-004")
    form.fields = {
        "project_name": Cell("信息化建设专项经费", "C3"),
        "department": Cell("邵阳市住房公积金管理中心", "C4"),
        "implementing_unit": Cell("邵阳市住房公积金管理中心", "C5"),
        "year": Cell(2023, "C2"),
        "total": Cell(None, "G60"),
        "grade": Cell(None, "G61"),
    }
    budget_rows = {"total": 9, "current": 10, "carryover": 11, "other": 12}
    columns = ["initial", "annual", "executed", "weight", "rate", "score"]
    values = {"total": [664.6, 373.60, 97.73, 10, None, None], "carryover": [None, 191.10, None, None, None, None],
              "other": [None, 182.50, None, None, None, None], "current": [None] * 6}
    form.budget = {row: {col: Cell(values[row][i], f"{'CDEFGH'[i]}{r}") for i, col in enumerate(columns)}
                   for row, r in budget_rows.items()}
    for offset, values in enumerate(SEED_004_INDICATORS):
        r = first_row + offset
        cells = {key: Cell(v, f"{COLUMN_LETTERS[i]}{r}") for i, (key, v) in enumerate(zip(INDICATOR_COLUMNS, values))}
        cells["tier"] = Cell(None, f"I{r}")
        cells["suggested"] = Cell(None, f"J{r}")
        cells["explanation"] = Cell(None, f"K{r}")
        form.rows.append(cells)
    return form


# Seed 000 (晋中 2020, legacy 评分表): (一级, 二级, 三级, 指标分值, 评价得分), as printed.
SEED_000_SCORE_ROWS = [
    ("投入", "项目目标", "项目立项规范性", 3, 2.25),
    ("投入", "项目目标", "绩效目标合理性", 4, 4.00),
    ("投入", "项目目标", "绩效指标明确性", 4, 4.00),
    ("投入", "资金落实", "资金到位率", 3, 2.85),
    ("投入", "资金落实", "到位及时率", 3, 3.00),
    ("投入", "资金落实", "预算执行率", 3, 2.84),
    ("过程", "业务管理", "管理制度健全性", 3, 3.00),
    ("过程", "业务管理", "制度执行有效性", 3, 3.00),
    ("过程", "业务管理", "项目质量可控性", 4, 4.00),
    ("过程", "财务管理", "管理制度健全性", 3, 3.00),
    ("过程", "财务管理", "资金使用合规性", 3, 3.00),
    ("过程", "财务管理", "财务监控有效性", 4, 4.00),
    ("产出", "项目产出", "实际完成率", 8, 8.00),
    ("产出", "项目产出", "完成及时率", 7, 0.00),
    ("产出", "项目产出", "质量达标率", 8, 8.00),
    ("产出", "项目产出", "成本节约率", 7, 2.78),
    ("效果", "项目效果", "经济效益", 0, 0.00),
    ("效果", "项目效果", "社会效益", 20, 20.00),
    ("效果", "项目效果", "生态效益", 0, 0.00),
    ("效果", "项目效果", "可持续影响", 0, 0.00),
    ("效果", "满意度", "社会公众或服务对象满意度", 10, 10.00),
]
SEED_000_SUBTOTALS = {"投入": 13.25, "过程": 20.00, "产出": 18.78, "效果": 30.00}
SEED_000_FUNDING = {"planned_own": 170.00, "planned_other": 0.00, "arrived": 161.69, "spent_own": 153.33,
                    "spent_carryover": 7.02, "spent_upper": 0.00, "spent_other": 0.00}


def seed_000_form() -> Form:
    form = Form("legacy", "自评表", source="seed-000")
    form.fields = {
        "project_name": Cell("信息网络软件、硬件购置更新", "C4"),
        "department": Cell("731", "C5"),
        "implementing_unit": Cell("晋中市住房公积金管理中心", "F5"),
        "year": Cell(2020, "C2"),
        "total": Cell(87.72, "G60"),
        "grade": Cell("良", "G61"),
    }
    form.funding = {key: Cell(value, f"E{8 + i}") for i, (key, value) in enumerate(SEED_000_FUNDING.items())}
    for offset, (l1, l2, name, weight, score) in enumerate(SEED_000_SCORE_ROWS):
        r = 30 + offset
        form.rows.append({"level1": Cell(l1, f"A{r}"), "level2": Cell(l2, f"B{r}"), "name": Cell(name, f"C{r}"),
                          "weight": Cell(weight, f"D{r}"), "planned_value": Cell(None, f"E{r}"),
                          "actual_value": Cell(None, f"F{r}"), "score": Cell(score, f"G{r}"),
                          "suggested": Cell(None, f"H{r}"), "explanation": Cell(None, f"I{r}")})
    form.subtotals = {label: Cell(value, f"G{54 + i}") for i, (label, value) in enumerate(SEED_000_SUBTOTALS.items())}
    return form
