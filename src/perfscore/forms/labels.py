"""Every label and column header the form reader recognises, with its synonyms, in one table.

Labels are compared after ``key()``: full-width → half-width, no whitespace, no trailing
colon, and trailing brackets such as ``(A)``, ``(B/A)``, ``(万元)``, ``(20分)`` removed (a
``(20分)`` is kept as the label's share).
"""

from __future__ import annotations

import re
from decimal import Decimal

from ..values import compact

# fixed fields: a label whose value is right of it (or below it)
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("项目名称", "项目(政策)名称", "政策名称", "项目(政策)全称", "部门(单位)名称", "单位名称", "部门名称"),
    "department": ("主管部门", "主管单位", "主管部门(单位)", "主管部门名称"),
    "unit": ("实施单位", "项目实施单位", "执行单位", "项目单位"),
    "filler": ("填报单位", "填报单位(盖章)"),
    "year": ("年度", "评价年度", "自评年度"),
    # Liaoning prints the budget as label/value pairs, not a header row
    "budget_initial": ("项目预算金额", "预算金额", "年初预算数", "年初预算金额"),  # the first two: LONE_BUDGET
    "budget_executed": ("全年执行数", "执行金额", "全年执行金额"),
    "execution_rate": ("执行率", "预算执行率"),
    # bottom lines
    "indicator_score": ("指标自评得分小计", "指标得分小计", "指标得分"),
    "execution_score": ("预算执行率得分", "执行率得分"),
    "deduction": ("减分项", "扣分项", "扣分"),
    "total": ("绩效自评总得分", "总分", "总得分", "自评总分", "自评得分", "总评价得分", "综合得分", "合计", "总计"),
    "grade": ("等级", "评价等级", "自评等级", "绩效等级", "自评结果等级", "评价结果"),
    # project-level explanations (湖北)
    "cause": ("偏差大或目标未完成原因分析", "偏差原因分析", "目标未完成原因分析", "存在问题及原因分析"),
    "remedy": ("改进措施及结果应用方案", "改进措施", "下一步改进措施"),
}

# the 年度总体目标 block: a header over two cells, values below
GOAL_HEADERS = {
    "goal": ("预期目标", "年初设定目标", "年初总体目标"),
    "achieved": ("实际完成情况", "全年实际完成情况", "全年完成情况", "实际完成"),
}
GOAL_BLOCK = ("年度总体目标", "年度目标", "总体目标")

# the budget block header row (年初预算数 … 得分) and its rows
BUDGET_COLUMNS = {
    "initial": ("年初预算数", "年初预算", "年初数"),
    # one budget with no 年初/全年 split (湖北 预算数（A）, 成安 预算数): the one its 执行率 divides by
    "budget": ("预算数", "预算金额", "项目预算金额"),
    "adjusted": ("全年预算数", "调整后预算数", "全年预算", "调整预算数"),
    "executed": ("全年执行数", "执行数", "全年执行", "实际执行数", "预算执行数"),
    "weight": ("分值", "权重", "执行率权重"),
    "rate": ("执行率", "预算执行率"),
    "score": ("得分", "执行率得分"),
}
BUDGET_BLOCK = ("项目资金", "预算执行情况", "资金情况", "项目资金情况")
BUDGET_TOTAL = ("年度资金总额", "年度财政资金总额", "资金总额", "部门整体支出总额", "合计", "总计", "总额")
BUDGET_PARTS = {
    "current": ("其中:当年财政拨款", "当年财政拨款", "其中:财政拨款", "财政拨款", "其中:财政资金", "财政资金"),
    "carryover": ("上年结转资金", "其中:上年结转资金", "上年结转"),
    "other": ("其他资金", "其中:其他资金"),
    # 四川: 财政专户管理资金 / 单位资金
    "special": ("财政专户管理资金", "其中:财政专户管理资金"),
    "own": ("单位资金", "其中:单位资金"),
}

# the indicator table header (one or two rows)
INDICATOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    # 指标名称: 重庆's flat list (no 一级/二级); a header only in a row with a 完成值 header (tables.header_rows)
    "name": ("三级指标", "指标名称"),
    "target": ("年度指标值", "指标值", "年初目标值", "目标值", "年度目标值", "绩效指标值", "年度目标"),
    "actual": ("实际完成值", "全年实际值", "全年完成值", "全年实际完成值", "实际值", "完成值", "全年实际完成情况",
               "单项指标实际完成值"),
    # 权重 / 权重(%) / 权重占比 / 指标权重(分): points, or a share (fields.SHARE_WEIGHTS) read as points
    "weight": ("分值", "权重", "指标分值", "权重占比", "指标权重"),
    "score": ("得分", "自评得分", "指标得分", "折算得分"),
    "completion": ("完成程度", "完成比例", "得分系数"),
    "cause_remedy": ("偏差原因分析及改进措施", "偏差原因及改进措施", "未完成原因分析及改进措施", "未完成原因及拟采取的改进措施",
                     "未完成原因及改进措施"),
    "cause": ("偏差原因分析", "偏差原因", "未完成原因分析", "原因分析"),
    "remedy": ("改进措施",),
}
# sub-headers under a merged group header (second header row)
SUB_COLUMNS: dict[str, tuple[str, ...]] = {
    "target_initial": ("年初指标值", "年初目标值"),
    "target_adjusted": ("调整后指标值", "调整后目标值", "全年指标值", "调整指标值"),
    "operator": ("运算符号", "符号", "指标性质"),
    "value": ("指标值", "内容", "值", "数值"),
    "unit": ("度量单位", "计量单位", "单位"),
    "cause": ("原因说明", "偏差原因", "原因分析"),
    "remedy": ("改进措施",),
}
FLAT_NAME = "指标名称"  # names the indicators only in a row that also heads their 完成值 (never a 绩效目标表)


def is_name_header(text: object, row: list[object]) -> bool:
    """Whether ``text`` heads the indicator names, ``row``: the texts of its row."""
    k = key(text)[0]
    if k == FLAT_NAME:
        return any(key(t)[0] in INDICATOR_COLUMNS["actual"] for t in row)
    return k in INDICATOR_COLUMNS["name"]


REQUIRED_COLUMNS = {"name": "三级指标", "actual": "实际完成值"}
TABLE_END = ("总分", "合计", "总计", "指标自评得分小计", "总评价得分", "绩效自评总得分")
# rows that end one indicator block inside a sheet (湖北 prints 年度目标 2 … then a new header)
BLOCK_BREAK = ("年度目标", "偏差大或目标未完成原因分析", "改进措施及结果应用方案")

# the department sheet's 年度主要任务 table
TASK_COLUMNS = {
    "name": ("对应项目", "任务名称", "年度主要任务", "主要任务"),
    "budget": ("项目下达金额", "下达金额", "预算数", "年初预算数", "全年预算数"),
    "executed": ("项目执行金额", "执行金额", "执行数", "全年执行数"),
    "rate": ("项目执行率", "执行率"),
    "weight": ("分值",),
    "score": ("得分",),
}

TITLES_PROJECT = ("项目支出绩效自评表", "预算项目(政策)绩效自评表", "项目绩效自评表", "政策绩效自评表", "绩效自评表")
TITLES_DEPARTMENT = ("部门整体支出绩效自评表", "部门(单位)整体绩效自评表", "整体绩效自评表", "整体支出绩效自评表")

GRADES = {"优": "优", "优秀": "优", "良": "良", "良好": "良", "中": "中", "中等": "中", "差": "差", "较差": "差"}

_TRAILING = re.compile(r"\(([^()]*)\)$")
_SHARE = re.compile(r"^(\d+(?:\.\d+)?)分$")


def key(text: object) -> tuple[str, Decimal | None]:
    """A label for comparison, and the share printed in its brackets (``(20分)``)."""
    k = compact(str(text)).replace("：", ":").rstrip(":")
    share = None
    while True:
        m = _TRAILING.search(k)
        if not m or m.start() == 0:
            break
        inner = m.group(1)
        s = _SHARE.match(inner)
        if s:
            share = Decimal(s.group(1))
        k = k[: m.start()].rstrip(":")
    return k.rstrip(":"), share


def match(text: object, synonyms: tuple[str, ...]) -> bool:
    return key(text)[0] in synonyms


def which(text: object, table: dict[str, tuple[str, ...]]) -> str | None:
    """The table key whose synonyms hold ``text``."""
    k = key(text)[0]
    for name, synonyms in table.items():
        if k in synonyms:
            return name
    return None
