"""Hand-filled forms of the published layout families the reader was not built against
(issue 21), built with openpyxl from a project model as the issue describes them:

- 四川 部门预算项目支出绩效自评表 (报表编号 510000_0013zp): 权重 (points) in the budget block
  and the indicator table; budget header 年初预算 | 调整后预算数 | 预算执行数 | 预算执行率 | 权重 |
  得分 | 原因 over 总额 / 其中:财政资金 / 财政专户管理资金 / 单位资金 / 其他资金 (``/`` in 权重 and
  得分 on the 其中 rows); the split target on one flat header row 指标性质 | 指标值 | 度量单位 |
  完成值 | 权重 | 得分 | 未完成原因分析 under 绩效指标(90分);
- 河北 成安 预算项目绩效自评表: numbered sections 一、基本情况 … 四、年度绩效指标完成情况; the budget
  row 预算数 | 到位数 | 执行数 with each amount right of its label (其中:财政资金 on the next row);
  the target split into 符号 | 值 | 单位(文字描述); 单项指标实际完成值; 自评得分 split into 单项指标得分
  | 权重占比(%) | 折算得分; 预算执行率 a row inside the indicator table.
"""

from __future__ import annotations

from decimal import Decimal

from pathlib import Path

import openpyxl

from conftest import QIAOKOU
from formbuilder import Typing, _completion, _split, _target_text, _Sheet  # noqa: F401
from perfscore.policy import preset_policy
from perfscore.projectfile import read_sheet_file
from perfscore.scoring import score_sheet
from perfscore.model import Project
from perfscore.values import format_number

_share_of_indicators = False  # 成安: 权重占比 as each indicator's share of the indicator part (rows sum to 100)


def sichuan(ws, p: Project, t: Typing, fill_cause: bool = False) -> None:
    s = _Sheet(ws, t)
    r = s.r
    s.put(r, 1, "部门预算项目支出绩效自评表"); s.merge(r, 1, r, 10)
    s.put(r + 1, 1, f"（{p.year}年度）"); s.merge(r + 1, 1, r + 1, 10)
    s.put(r + 2, 1, "报表编号：510000_0013zp"); s.merge(r + 2, 1, r + 2, 10)
    r += 3
    s.put(r, 1, "项目名称"); s.merge(r, 1, r, 2); s.put(r, 3, p.name); s.merge(r, 3, r, 10)
    s.put(r + 1, 1, "主管部门"); s.merge(r + 1, 1, r + 1, 2); s.put(r + 1, 3, p.department); s.merge(r + 1, 3, r + 1, 5)
    s.put(r + 1, 6, "实施单位"); s.put(r + 1, 7, p.unit); s.merge(r + 1, 7, r + 1, 10)
    r += 2
    s.put(r, 1, "项目资金（万元）"); s.merge(r, 1, r + 5, 2)
    for c, text in enumerate(("年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分", "原因"), start=4):
        s.put(r, c, text)
    b = p.budget
    s.put(r + 1, 3, "总额")
    s.amount(r + 1, 4, b.initial); s.amount(r + 1, 5, b.effective); s.amount(r + 1, 6, b.executed)
    s.rate(r + 1, 7, p.reported.execution_rate); s.amount(r + 1, 8, p.execution_weight)
    s.amount(r + 1, 9, p.reported.execution_score)
    s.put(r + 1, 10, "年底有待结算费用" if p.reported.execution_rate and p.reported.execution_rate < 100 else None)
    for i, text in enumerate(("其中：财政资金", "财政专户管理资金", "单位资金", "其他资金"), start=2):
        s.put(r + i, 3, text)
        s.put(r + i, 8, "/"); s.put(r + i, 9, "/")
    s.amount(r + 2, 4, b.initial); s.amount(r + 2, 5, b.effective); s.amount(r + 2, 6, b.executed)
    r += 6
    s.put(r, 1, "年度总体目标"); s.merge(r, 1, r + 1, 2)
    s.put(r, 3, "预期目标"); s.merge(r, 3, r, 6); s.put(r, 7, "实际完成情况"); s.merge(r, 7, r, 10)
    s.put(r + 1, 3, p.goal); s.merge(r + 1, 3, r + 1, 6); s.put(r + 1, 7, p.achieved); s.merge(r + 1, 7, r + 1, 10)
    r += 2
    head = r
    s.put(r, 1, "绩效指标（90分）")
    cause = "未完成原因及拟采取的改进措施" if fill_cause else "未完成原因分析"
    for c, text in enumerate(("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分",
                              cause), start=2):
        s.put(r, c, text)
    r += 1
    rows = list(range(r, r + len(p.indicators)))
    s.levels(rows, p.indicators, 2, 3)
    for row, ind in zip(rows, p.indicators):
        op, value, unit = _split(ind)
        s.put(row, 4, ind.name)
        s.put(row, 5, op or ("定性" if unit is None and not isinstance(value, Decimal) else None))
        s.value(row, 6, format_number(value) if isinstance(value, Decimal) else value)
        s.put(row, 7, unit)
        s.value(row, 8, ind.actual)
        s.amount(row, 9, ind.weight); s.amount(row, 10, ind.reported_score)
        s.put(row, 11, "；".join(x for x in (ind.cause, ind.remedy) if x) or None)
    s.merge(head, 1, rows[-1], 1)
    r = rows[-1] + 1
    s.put(r, 1, "总分"); s.merge(r, 1, r, 8)
    s.put(r, 9, 100)
    if p.reported.total is not None:
        s.amount(r, 10, p.reported.total)


def chengan(ws, p: Project, t: Typing) -> None:
    """河北 成安: weights printed as 权重占比(%) of the whole (the indicator rows and the
    预算执行率 row of the indicator table sum to 100), 折算得分 the reported score."""
    s = _Sheet(ws, t)
    r = s.r
    s.put(r, 1, f"{p.year}年度预算项目绩效自评表"); s.merge(r, 1, r, 12)
    r += 1
    s.put(r, 1, "一、基本情况"); s.merge(r, 1, r, 12)
    s.put(r + 1, 1, "项目名称"); s.put(r + 1, 2, p.name); s.merge(r + 1, 2, r + 1, 12)
    s.put(r + 2, 1, "主管部门"); s.put(r + 2, 2, p.department); s.merge(r + 2, 2, r + 2, 6)
    s.put(r + 2, 7, "实施单位"); s.put(r + 2, 8, p.unit); s.merge(r + 2, 8, r + 2, 12)
    r += 3
    s.put(r, 1, "二、预算执行情况（万元）"); s.merge(r, 1, r, 12)
    b = p.budget
    s.put(r + 1, 1, "预算数"); s.amount(r + 1, 2, b.effective); s.merge(r + 1, 2, r + 1, 4)
    s.put(r + 1, 5, "到位数"); s.amount(r + 1, 6, b.effective); s.merge(r + 1, 6, r + 1, 8)
    s.put(r + 1, 9, "执行数"); s.amount(r + 1, 10, b.executed); s.merge(r + 1, 10, r + 1, 12)
    s.put(r + 2, 1, "其中：财政资金"); s.amount(r + 2, 2, b.effective); s.merge(r + 2, 2, r + 2, 4)
    s.put(r + 2, 5, "其中：财政资金"); s.amount(r + 2, 6, b.effective); s.merge(r + 2, 6, r + 2, 8)
    s.put(r + 2, 9, "其中：财政资金"); s.amount(r + 2, 10, b.executed); s.merge(r + 2, 10, r + 2, 12)
    r += 3
    s.put(r, 1, "三、年度总体目标完成情况"); s.merge(r, 1, r, 12)
    s.put(r + 1, 1, "预期目标"); s.merge(r + 1, 1, r + 1, 6); s.put(r + 1, 7, "实际完成情况"); s.merge(r + 1, 7, r + 1, 12)
    s.put(r + 2, 1, p.goal); s.merge(r + 2, 1, r + 2, 6); s.put(r + 2, 7, p.achieved); s.merge(r + 2, 7, r + 2, 12)
    r += 3
    s.put(r, 1, "四、年度绩效指标完成情况"); s.merge(r, 1, r, 12)
    r += 1
    for c, text in ((1, "一级指标"), (2, "二级指标"), (3, "三级指标"), (4, "年度指标值"), (7, "单项指标实际完成值"),
                    (8, "自评得分"), (11, "偏差原因分析及改进措施")):
        s.put(r, c, text)
    s.merge(r, 4, r, 6); s.merge(r, 8, r, 10); s.merge(r, 11, r, 12)
    for c in (1, 2, 3, 7):
        s.merge(r, c, r + 1, c)
    s.merge(r, 11, r + 1, 12)
    for c, text in ((4, "符号"), (5, "值"), (6, "单位（文字描述）"), (8, "单项指标得分"), (9, "权重占比（%）"), (10, "折算得分")):
        s.put(r + 1, c, text)
    r += 2
    indicator_part = sum((i.weight for i in p.indicators), Decimal(0))
    whole = indicator_part + p.execution_weight
    rows = list(range(r, r + len(p.indicators)))
    s.levels(rows, p.indicators, 1, 2)
    for row, ind in zip(rows, p.indicators):
        op, value, unit = _split(ind)
        s.put(row, 3, ind.name)
        s.put(row, 4, op)
        s.value(row, 5, format_number(value) if isinstance(value, Decimal) else value)
        s.put(row, 6, "%（百分比）" if unit == "%" else unit)
        s.value(row, 7, ind.actual)
        s.put(row, 9, format_number(ind.weight * 100 / (indicator_part if _share_of_indicators else whole)))
        s.amount(row, 10, ind.reported_score)
        s.put(row, 11, "；".join(x for x in (ind.cause, ind.remedy) if x) or None)
    r = rows[-1] + 1
    s.put(r, 1, "预算执行率"); s.merge(r, 1, r, 3)
    s.rate(r, 7, p.reported.execution_rate)
    s.put(r, 9, format_number(p.execution_weight * 100 / whole))
    r += 1
    s.put(r, 1, "总分"); s.merge(r, 1, r, 7)
    if p.reported.total is not None:
        s.amount(r, 10, p.reported.total)


def one_task(d):
    """A department's tasks as the one execution line 重庆 prints (their sums)."""
    from perfscore.model import Task

    task = Task(name="年度资金总额", budget=sum(t.budget for t in d.tasks), executed=sum(t.executed for t in d.tasks),
                weight=sum(t.weight for t in d.tasks))
    return d.model_copy(update={"tasks": [task], "reported": d.reported.model_copy(update={"total": None})})


def chongqing(ws, d, t: Typing, nature_levels: bool = False) -> None:
    """重庆 部门整体绩效自评表: 自评总分 at the top, the unit named by 主管部门 only, execution on
    one line of labels and amounts (执行率权重, 执行率得分), the indicators a flat list with no
    一级/二级 columns (``nature_levels``: 指标性质 holds the 一级 name instead of 定量/定性)."""
    s = _Sheet(ws, t)
    r = s.r
    task = d.tasks[0]
    s.put(r, 1, f"{d.year}年度部门整体绩效自评表"); s.merge(r, 1, r, 12)
    s.put(r + 1, 1, "主管部门"); s.put(r + 1, 2, d.name); s.merge(r + 1, 2, r + 1, 8)
    s.put(r + 1, 9, "自评总分"); s.amount(r + 1, 10, d.reported.total); s.merge(r + 1, 10, r + 1, 12)
    r += 2
    rate = task.executed / task.budget * 100
    for i, (text, value) in enumerate((("年初预算数", task.budget), ("全年预算数", task.budget),
                                       ("全年执行数", task.executed), ("执行率", None), ("执行率权重", task.weight),
                                       ("执行率得分", None))):
        s.put(r, 1 + 2 * i, text)
        if text == "执行率":
            s.put(r, 2 + 2 * i, f"{format_number(rate.quantize(Decimal('0.01')))}%")
        else:
            s.amount(r, 2 + 2 * i, value)
    r += 1
    s.put(r, 1, "年度总体目标"); s.merge(r, 1, r + 1, 1)
    s.put(r, 2, "预期目标"); s.merge(r, 2, r, 6); s.put(r, 7, "实际完成情况"); s.merge(r, 7, r, 12)
    s.put(r + 1, 2, d.goal); s.merge(r + 1, 2, r + 1, 6); s.put(r + 1, 7, d.achieved); s.merge(r + 1, 7, r + 1, 12)
    r += 2
    for c, text in enumerate(("指标名称", "计量单位", "指标性质", "年初指标值", "调整指标值", "全年完成值", "得分系数（%）",
                              "指标权重（分）", "指标得分（分）", "是否核心指标"), start=1):
        s.put(r, c, text)
    r += 1
    for row, ind in enumerate(d.indicators, start=r):
        op, value, unit = _split(ind)
        quantitative = isinstance(value, Decimal)
        target = f"{op or ''}{format_number(value)}" if quantitative else value
        actual = ind.actual
        if quantitative and unit and actual and actual.replace(" ", "").endswith(unit):
            actual = actual.replace(" ", "")[: -len(unit)]
        s.put(row, 1, ind.name)
        s.put(row, 2, unit)
        s.put(row, 3, ind.level1 if nature_levels else ("定量" if quantitative else "定性"))
        s.value(row, 4, target); s.value(row, 5, target)
        s.value(row, 6, actual)
        s.put(row, 7, format_number(ind.reported_completion) if ind.reported_completion is not None else None)
        s.amount(row, 8, ind.weight); s.amount(row, 9, ind.reported_score)
        s.put(row, 10, "是" if row == r else "否")


def hubei_department(ws, d, t: Typing, blocks: list[int], scored: bool = True, goals: list[str] | None = None) -> None:
    """湖北 整体绩效自评表 (seed 004, lines 705–790): 单位名称, 基本支出总额 | 项目支出总额, one
    预算执行情况（万元） line (部门整体支出总额: 预算数（A） | 执行数（B） | 执行率（B/A）), then a
    年度目标 N： line and a 年度绩效指标 N block (一级 | 二级 | 三级 | 年初目标值（A） | 实际完成值（B）)
    per ``blocks`` (the number of indicators in each), and the 偏差大或目标未完成原因分析 /
    改进措施及结果应用方案 rows. As published it prints no points; ``scored`` is the form as a unit
    fills it to be scored: （20 分） after 预算执行情况 and 分值 | 得分 | 完成程度 columns."""
    s = _Sheet(ws, t)
    r = s.r
    task = d.tasks[0]
    last = 10 if scored else 7
    s.put(r, 1, f"{d.year} 年度区司法局整体绩效自评表"); s.merge(r, 1, r, last)
    s.put(r + 1, 1, "单位名称"); s.merge(r + 1, 1, r + 1, 2); s.put(r + 1, 3, d.name); s.merge(r + 1, 3, r + 1, last)
    s.put(r + 2, 1, "基本支出总额"); s.merge(r + 2, 1, r + 2, 2); s.amount(r + 2, 3, Decimal("2467.86"))
    s.put(r + 2, 4, "项目支出总额"); s.merge(r + 2, 4, r + 2, 5); s.amount(r + 2, 6, Decimal("1001.87"))
    r += 3
    s.put(r, 1, f"预算执行情况 (万元){f' ({format_number(task.weight)} 分)' if scored else ''}"); s.merge(r, 1, r + 1, 2)
    s.put(r, 4, "预算数（A）"); s.put(r, 5, "执行数（B）"); s.put(r, 6, "执行率（B/A）")
    s.put(r + 1, 3, "部门整体支出总额"); s.amount(r + 1, 4, task.budget); s.amount(r + 1, 5, task.executed)
    s.rate(r + 1, 6, task.reported_rate)
    r += 2
    start = 0
    for b, n in enumerate(blocks, start=1):
        chunk = d.indicators[start : start + n]
        start += n
        s.put(r, 1, f"年度目标 {b}："); s.merge(r, 1, r, 2)
        s.put(r, 3, (goals or [])[b - 1] if goals and b <= len(goals) else f"第{b}项年度目标。"); s.merge(r, 3, r, last)
        r += 1
        head = r
        s.put(r, 1, f"年度 绩效 指标 {b}")
        s.put(r, 2, "一级指标"); s.put(r, 3, "二级指标"); s.put(r, 4, "三级指标"); s.merge(r, 4, r, 5)
        s.put(r, 6, "年初目标值（A）"); s.put(r, 7, "实际完成值（B）")
        if scored:
            s.put(r, 8, "分值"); s.put(r, 9, "得分"); s.put(r, 10, "完成程度")
        r += 1
        rows = list(range(r, r + len(chunk)))
        s.levels(rows, chunk, 2, 3)
        for row, ind in zip(rows, chunk):
            s.put(row, 4, ind.name); s.merge(row, 4, row, 5)
            s.value(row, 6, _target_text(ind)); s.value(row, 7, ind.actual)
            if scored:
                s.amount(row, 8, ind.weight); s.amount(row, 9, ind.reported_score)
                s.value(row, 10, _completion(ind) if ind.completion is not None else None)
        s.merge(head, 1, rows[-1], 1)
        r = rows[-1] + 1
    s.put(r, 1, "偏差大或目标未完成原因分析"); s.merge(r, 1, r, 2); s.put(r, 3, d.cause); s.merge(r, 3, r, last)
    s.put(r + 1, 1, "改进措施及结果应用方案"); s.merge(r + 1, 1, r + 1, 2); s.put(r + 1, 3, d.remedy)
    s.merge(r + 1, 3, r + 1, last)


# the seed-004 整体 form's content: its 年度目标 1–11 blocks are the 11 sample projects' indicators
HB_PROJECTS = sorted(QIAOKOU.glob("[0-9]*.yaml"))  # its 年度目标 1–11 blocks are the 11 projects' indicators


def hubei_department_model():
    """The seed's 整体绩效自评表 as a department file: 武汉市硚口区司法局, one 部门整体支出总额 line
    3469.73 / 3469.73 (执行率 100% as printed), the 11 blocks' indicators, and the points a unit
    types to have it scored: 预算执行情况（20 分） and the 湖北 split of the other 80 (产出 40 / 效益 30 /
    满意度 10, by the hubei preset's default split of the same indicators)."""
    from perfscore.model import Department, Project, Task

    indicators = [i for f in HB_PROJECTS for i in read_sheet_file(f).indicators]
    budget = Decimal("3469.73")
    split = score_sheet(Project(name="整体", budget={"initial": budget, "executed": budget}, indicators=indicators,
                                execution_weight=20), preset_policy("hubei"))
    weighted = [i.model_copy(update={"weight": s.weight}) for i, s in zip(indicators, split.indicators)]
    task = Task(name="部门整体支出总额", budget=budget, executed=budget, weight=20, reported_rate=100)
    return Department(kind="department", name="武汉市硚口区司法局", year=2024, indicators=weighted, tasks=[task],
                      cause=SEED_CAUSE, remedy="3、社区（村）法律顾问工作经费：按照制度加强监督管理，及时补充。")


# the first two paragraphs of its 偏差大或目标未完成原因分析 (seed 004, line 790)
SEED_CAUSE = ("目标均已完成。\n公共法律服务工作经费：随着辖区群众的法律需求日益增长，值班律师值班工作有待进一步统筹整合，"
              "不断提升值班律师服务效能和群众公共法律服务获得感。")


def hubei_department_book(path: Path, typing: Typing, scored: bool = True) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "整体绩效自评表"
    hubei_department(wb.active, hubei_department_model(), typing, [len(read_sheet_file(f).indicators) for f in HB_PROJECTS],
                     scored=scored)
    wb.save(path)
    return path


