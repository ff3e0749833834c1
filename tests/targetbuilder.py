"""Declared-target workbooks for the target reader's tests and the shipped samples, built
with openpyxl from the published text:

- ``seed_tables(text)``: the 绩效目标表 of a 部门预算公开 (seed 001) parsed from its text
  (tab-separated rows, one table per 项目编码 line) — independently of the reader;
- ``write_budget_public(tables, path)``: those tables the way the 部门预算公开 prints them
  (项目编码/项目名称, 预算数/其中：财政资金/其他资金, 资金用途, 资金支出计划, 绩效目标, then
  一级指标 | 二级指标 | 三级指标 | 绩效指标描述 | 指标值 | 指标值确定依据, 一级 merged down),
  stacked on one sheet (or one sheet each);
- ``write_national(tables, path)``: the national 项目支出绩效目标申报表 with 中期 and 年度
  indicators side by side (the 中期 ones deliberately different);
- ``write_monitoring(tables, path, …)``: the budget system's 项目支出绩效目标执行监控表, built
  from the national template's terms (no seed prints one): the 年度指标值 is the declared target;
- ``add_declared_sheets(path, …)``: a 自评表 workbook with the 申报表 (and 执行监控表) sheets
  beside it, as the budget system exports them.

Run ``python tests/targetbuilder.py SEED.txt OUT.xlsx`` to rebuild the sample from a seed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import openpyxl

LEVEL1 = ("产出指标", "效益指标", "满意度指标", "成本指标")


@dataclass
class Row:
    level1: str
    level2: str
    name: str
    description: str
    target: str
    basis: str


@dataclass
class Table:
    title: str
    code: str
    name: str
    budget: Decimal
    fiscal: Decimal
    purpose: str
    plan: list[list[str]]
    goal: str
    rows: list[Row] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.split("\t")]


def seed_tables(text: str) -> list[Table]:
    lines = text.split("\n")
    out: list[Table] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("项目编码\t"):
            i += 1
            continue
        title = next((lines[k].lstrip("# ").strip() for k in range(i - 1, max(i - 6, 0), -1) if "绩效目标表" in lines[k]), "")
        head = _cells(lines[i])
        money = _cells(lines[i + 1])
        j = i + 2
        purpose = ""
        plan: list[list[str]] = []
        goal = ""
        while "三级指标" not in lines[j]:
            cells = [c for c in _cells(lines[j]) if c]
            if cells and cells[0] == "绩效目标":
                goal = cells[1]
            elif cells and not purpose and not any("月底" in c or "%" in c for c in cells):
                purpose = cells[0]
            elif cells:
                plan.append(cells)
            j += 1
        j += 1
        table = Table(title, head[1], head[4], Decimal(money[2]), Decimal(money[4]), purpose, plan, goal)
        level1 = ""
        while j < len(lines) and lines[j].strip() and not lines[j].startswith("#"):
            raw = _cells(lines[j])
            if raw[0]:
                level1, raw = raw[0], raw[1:]
            cells = [c for c in raw if c]
            assert len(cells) == 5, cells
            table.rows.append(Row(level1, *cells))
            j += 1
        out.append(table)
        i = j
    return out


def _put(ws, r: int, c: int, value):
    """A cell; text is always text (a target typed as ``= 4 条`` is not a formula)."""
    cell = ws.cell(r, c, value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _level1_rows(ws, r: int, rows, fill) -> int:
    """Write the indicator rows from row ``r`` on: each 一级指标 once in column A, merged down
    over the rows it heads (as the published tables print it), ``fill(r, row)`` the rest of
    each row; the number of the row after them."""
    start = r
    for n, row in enumerate(rows):
        if n == 0 or row.level1 != rows[n - 1].level1:
            if r - 1 > start:
                ws.merge_cells(start_row=start, start_column=1, end_row=r - 1, end_column=1)
            start = r
            _put(ws, r, 1, row.level1)
        fill(r, row)
        r += 1
    if r - 1 > start:
        ws.merge_cells(start_row=start, start_column=1, end_row=r - 1, end_column=1)
    return r


def _amount(d: Decimal) -> float:
    return float(d)  # float-ok: a cell value written by the builder


def _budget_public_rows(ws, t: Table, top: int, number: int) -> int:
    """One table from row ``top``; returns the next free row."""
    r = top
    _put(ws, r, 1, t.title or f"{number}、{t.name}绩效目标表")
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=6)
    r += 1
    _put(ws, r, 1, "单位：万元")
    r += 1
    _put(ws, r, 1, "项目编码")
    _put(ws, r, 2, t.code)
    ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=3)
    _put(ws, r, 4, "项目名称")
    _put(ws, r, 5, t.name)
    ws.merge_cells(start_row=r, start_column=5, end_row=r, end_column=6)
    r += 1
    _put(ws, r, 1, "预算规模及资金用途")
    ws.merge_cells(start_row=r, start_column=1, end_row=r + 1, end_column=1)
    _put(ws, r, 2, "预算数")
    _put(ws, r, 3, _amount(t.budget))
    _put(ws, r, 4, "其中：财政资金")
    _put(ws, r, 5, _amount(t.fiscal))
    _put(ws, r, 6, "其他资金")
    r += 1
    _put(ws, r, 2, t.purpose)
    ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=6)
    r += 1
    _put(ws, r, 1, "资金支出计划（%）")
    if len(t.plan) > 1:
        ws.merge_cells(start_row=r, start_column=1, end_row=r + len(t.plan) - 1, end_column=1)
    for line in t.plan:
        for k, text in enumerate(line[:5]):
            _put(ws, r, 2 + k, text)
        r += 1
    if not t.plan:
        r += 1
    _put(ws, r, 1, "绩效目标")
    _put(ws, r, 2, t.goal)
    ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=6)
    r += 1
    for k, text in enumerate(("一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据"), 1):
        _put(ws, r, k, text)
    r += 1
    def fill(r: int, row) -> None:
        for k, text in enumerate((row.level2, row.name, row.description, row.target, row.basis), 2):
            _put(ws, r, k, text)

    return _level1_rows(ws, r, t.rows, fill) + 1


def write_budget_public(tables: list[Table], path: Path, one_sheet: bool = True, year: int | None = 2024) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "部门项目绩效目标表"
    r = 1
    if year is not None:
        _put(ws, 1, 1, "七、部门项目预算安排情况及绩效目标")
        _put(ws, 2, 1, f"预算年度：{year}")
        r = 4
    for n, t in enumerate(tables, 1):
        if not one_sheet and n > 1:
            ws = wb.create_sheet(f"绩效目标表{n}")
            _put(ws, 1, 1, f"预算年度：{year}")
            r = 3
        r = _budget_public_rows(ws, t, r, n)
    wb.save(path)
    return path


def write_national(tables: list[Table], path: Path, department: str, unit: str, year: int, midterm: bool = True) -> Path:
    """The national 项目支出绩效目标申报表, one sheet per project. With ``midterm``, 中期 and
    年度 side by side (the 中期 side filled with values that must never be read: 3× the
    amounts, 三年累计 targets); without, 年度 only (a one-year project)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for n, t in enumerate(tables, 1):
        national_sheet(wb.create_sheet(f"申报表{n}"), t, department, unit, year, midterm)
    wb.save(path)
    return path


def national_sheet(ws, t: Table, department: str, unit: str, year: int, midterm: bool = True) -> None:
    """One project's 申报表 on ``ws`` (see ``write_national``)."""
    _put(ws, 1, 1, "项目支出绩效目标申报表")
    _put(ws, 2, 1, f"（{year}年度）")
    r = 3
    for label, value in (("项目名称", t.name), ("主管部门及代码", department), ("实施单位", unit)):
        _put(ws, r, 1, label)
        _put(ws, r, 2, value)
        r += 1
    year_col = 4 if midterm else 2
    _put(ws, r, 1, "项目资金（万元）")
    if midterm:
        _put(ws, r, 2, "中期资金总额")
        _put(ws, r, 3, _amount(t.budget * 3))
        _put(ws, r + 1, 2, "其中：财政拨款")
        _put(ws, r + 1, 3, _amount(t.fiscal * 3))
    _put(ws, r, year_col, "年度资金总额")
    _put(ws, r, year_col + 1, _amount(t.budget))
    _put(ws, r + 1, year_col, "其中：财政拨款")
    _put(ws, r + 1, year_col + 1, _amount(t.fiscal))
    r += 2
    _put(ws, r, 1, "总体目标")
    if midterm:
        _put(ws, r, 2, "中期目标（三年）")
        _put(ws, r + 1, 2, "三年内持续开展。")
    _put(ws, r, year_col, "年度目标")
    _put(ws, r + 1, year_col, t.goal)
    r += 2
    first = 2
    if midterm:
        _put(ws, r, 2, "中期指标")
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=4)
        _put(ws, r, 5, "年度指标")
        ws.merge_cells(start_row=r, start_column=5, end_row=r, end_column=7)
        first = 5
        r += 1
    _put(ws, r, 1, "一级指标")
    heads = (("二级指标", "三级指标", "指标值") * (2 if midterm else 1))
    for k, text in enumerate(heads, 2):
        _put(ws, r, k, text)
    r += 1
    def fill(r: int, row) -> None:
        if midterm:
            _put(ws, r, 2, row.level2)
            _put(ws, r, 3, row.name)
            _put(ws, r, 4, "三年累计")  # a 中期 target that must never be read
        _put(ws, r, first, row.level2)
        _put(ws, r, first + 1, row.name)
        _put(ws, r, first + 2, row.target)

    _level1_rows(ws, r, t.rows, fill)


MONITOR_BUDGET = ("年初预算数", "全年预算数", "1-7月执行数", "1-7月执行率")
CAUSES = ("经费保障", "制度保障", "人员保障", "硬件条件保障", "其他")


def monitoring_sheet(ws, t: Table, department: str, unit: str, year: int,
                     budget_columns: tuple[str, ...] = MONITOR_BUDGET) -> None:
    """One project's 项目支出绩效目标执行监控表 on ``ws``, in the national template's terms
    (财政部 绩效运行监控: 项目资金 年初预算数 / 全年预算数 / 1-7月执行数 / 1-7月执行率 by 年度资金总额 /
    其中：财政拨款 / 其他资金; 年度总体目标; 一级 | 二级 | 三级指标 | 年度指标值 | 1-7月执行情况 |
    全年预计完成情况 | 偏差原因分析 (经费保障 … 其他, a two-row header) | 完成目标可能性 | 备注).
    Everything the unit reports mid-year differs from the declaration and must never be read
    as it: 全年预算数 is the budget + 5, the 执行情况 are texts, 全年预计 a number 10% under
    the target's. ``budget_columns`` orders the amount columns (the 年初预算数 is found by
    its header)."""
    _put(ws, 1, 1, "项目支出绩效目标执行监控表")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=15)
    _put(ws, 2, 1, f"（{year}年度）")
    _put(ws, 3, 1, "项目名称")
    _put(ws, 3, 2, t.name)
    ws.merge_cells(start_row=3, start_column=2, end_row=3, end_column=15)
    _put(ws, 4, 1, "主管部门及代码")
    _put(ws, 4, 2, department)
    ws.merge_cells(start_row=4, start_column=2, end_row=4, end_column=6)
    _put(ws, 4, 7, "实施单位")
    _put(ws, 4, 8, unit)
    ws.merge_cells(start_row=4, start_column=8, end_row=4, end_column=15)
    _put(ws, 5, 1, "项目资金（万元）")
    ws.merge_cells(start_row=5, start_column=1, end_row=8, end_column=1)
    amounts = {"年初预算数": t.budget, "全年预算数": t.budget + 5, "1-7月执行数": t.budget / 2, "1-7月执行率": "50%"}
    for k, head in enumerate(budget_columns):
        _put(ws, 5, 3 + k, head)
    for r, label, share in ((6, "年度资金总额", t.budget), (7, "其中：财政拨款", t.fiscal), (8, "其他资金", None)):
        _put(ws, r, 2, label)
        if share is None:
            continue
        for k, head in enumerate(budget_columns):
            value = amounts[head] if head != "年初预算数" else share
            _put(ws, r, 3 + k, value if isinstance(value, str) else _amount(value))
    _put(ws, 9, 1, "年度总体目标")
    _put(ws, 9, 2, t.goal)
    ws.merge_cells(start_row=9, start_column=2, end_row=9, end_column=15)
    heads = ("一级指标", "二级指标", "三级指标", "年度指标值", "1-7月执行情况", "全年预计完成情况")
    for k, text in enumerate(heads, 1):
        _put(ws, 10, k, text)
        ws.merge_cells(start_row=10, start_column=k, end_row=11, end_column=k)
    _put(ws, 10, 7, "偏差原因分析")
    ws.merge_cells(start_row=10, start_column=7, end_row=10, end_column=11)
    for k, text in enumerate(CAUSES, 7):
        _put(ws, 11, k, text)
    for k, text in ((12, "完成目标可能性"), (13, "备注")):
        _put(ws, 10, k, text)
        ws.merge_cells(start_row=10, start_column=k, end_row=11, end_column=k)
    def fill(r: int, row) -> None:
        for k, text in ((2, row.level2), (3, row.name), (4, row.target), (5, "按计划推进"), (6, "90%"), (12, "确定能")):
            _put(ws, r, k, text)

    _level1_rows(ws, 12, t.rows, fill)


def write_monitoring(tables: list[Table], path: Path, department: str, unit: str, year: int,
                     budget_columns: tuple[str, ...] = MONITOR_BUDGET) -> Path:
    """The budget system's 执行监控表, one sheet per project (``monitoring_sheet``)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for n, t in enumerate(tables, 1):
        monitoring_sheet(wb.create_sheet(f"执行监控表{n}"), t, department, unit, year, budget_columns)
    wb.save(path)
    return path


def add_declared_sheets(path: Path, tables: list[Table], department: str, unit: str, year: int,
                        monitoring: bool = False) -> Path:
    """The budget system's export: a workbook holding the 自评表 (built elsewhere) gets each
    project's 申报表 (and, with ``monitoring``, its 执行监控表) as sheets beside it."""
    wb = openpyxl.load_workbook(path)
    for n, t in enumerate(tables, 1):
        national_sheet(wb.create_sheet(f"绩效目标申报表{n}", 0), t, department, unit, year, midterm=False)
        if monitoring:
            monitoring_sheet(wb.create_sheet(f"执行监控表{n}"), t, department, unit, year)
    wb.save(path)
    return path


def sample_tables(folder: Path) -> list[tuple[Table, str, str]]:
    """The declared tables of a samples/ folder's projects (their 年初 targets: the
    self-evaluation's 年初指标值 where it prints one), with 主管部门 and 实施单位."""
    import yaml

    out = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if path.name == "perfscore.yaml" or data.get("kind", "project") != "project":
            continue
        budget = Decimal(str(data["budget"]["initial"]))
        t = Table("", "", data["name"], budget, budget, "项目资金", [], data.get("goal") or "")
        for i in data["indicators"]:
            target = i.get("target_initial") or i.get("target")
            if target is None:
                value = i["value"]
                target = f"{i.get('operator') or ''}{value}{i.get('unit') or ''}"
            t.rows.append(Row(i["level1"], i.get("level2", ""), i["name"], i["name"], str(target), "年度工作计划"))
        out.append((t, data.get("department", ""), data.get("unit", "")))
    return out


if __name__ == "__main__":
    # python tests/targetbuilder.py SEED_001.txt samples/targets/  (rebuilds the shipped samples)
    seed, out = Path(sys.argv[1]), Path(sys.argv[2])
    from conftest import SAMPLES as root

    write_budget_public(seed_tables(seed.read_text(encoding="utf-8")), out / "hebei_chengde_2024_mubiao.xlsx")
    for folder, name, layout in (("liaoning_chaoyang_2024", "liaoning_chaoyang_2024_mubiao.xlsx", "public"),
                                 ("hubei_qiaokou_2024", "hubei_qiaokou_2024_shenbao.xlsx", "national")):
        rows = sample_tables(root / folder)
        tables = [t for t, _, _ in rows]
        if layout == "national":
            write_national(tables, out / name, rows[0][1], rows[0][2], 2024, midterm=False)
        else:
            write_budget_public(tables, out / name)
    print(f"wrote {out}")


# ------------------------------------------------------------------ seed 003: 部门整体支出绩效目标申报表


@dataclass
class DepartmentTable:
    """A 部门整体支出绩效目标申报表 (辽宁's layout, seed 003 lines 7-56)."""

    title: str
    name: str
    staff: int
    income: list[tuple[str, Decimal | None]]  # 年度预算收入: the total first, then 1.–7.
    expense: list[tuple[str, Decimal | None]]  # 年度预算支出: the total first, then 一、… 二、…
    function: str
    tasks: list[tuple[str, str, Decimal, str]]  # 重点工作, 对应项目, 预算资金情况, 完成时限
    goal: str
    rows: list[tuple[str, str, str, str, str, str]]  # 一级, 二级, 三级, 运算符, 指标值, 单位 (完成时限: 2021年12月)


def _d(text: str) -> Decimal:
    return Decimal(text)


# Seed 003's table as printed (lines 7-56), except where its extraction shifted cells: the rows
# from 固定资产利用率 on are printed one or two columns off and under garbled labels (目标双平 目标);
# their 一级/二级 follow the same 辽宁 template as the 2024 自评表 of seed 000 (资产管理, 业务管理,
# 运行成本/成本控制成效 over 在职人员控制率, 社会效应/服务对象满意度 over 法律援助对象满意度). The
# 年度主要任务's 对应项目 are as printed; the 行 "7. 其他收入" is printed outside the table.
SEED_003 = DepartmentTable(
    "朝阳县司法局整体绩效目标申报表 (2021年度)", "朝阳县司法局", 53,
    [("年度部门预算收入(1至7项合计)", _d("845.44")), ("1. 财政拨款收入", _d("845.44")), ("2. 提前告知上级转移支付资金", None),
     ("3. 纳入预算管理的行政事业性收费等非税收入", None), ("4. 纳入政府性基金预算管理收入", None),
     ("5. 纳入资产管理的行政事业性收费等非税收入", None), ("6. 上年结转", None), ("7. 其他收入", None)],
    [("年度部门预算支出(一和二合计)", _d("845.44")), ("一、基本支出(第1至4项小计)", _d("685.13")), ("1. 工资福利支出", _d("558.59")),
     ("2. 商品和服务支出", _d("99.13")), ("3. 对个人和家庭的补助", _d("27.41")), ("4. 资本性支出", None),
     ("二、项目支出(第5至2项小计)", _d("160.31")), ("1. 履职保障类项目支出", None), ("2. 事业发展类项目支出", _d("160.31"))],
    "朝阳县司法局贯彻落实省委、市委关于全面依法治国的方针政策和决策部署，在履行职责过程中坚持和加强党对全面依法治国的集中统一领导。",
    [("人民调解及安置帮教工作", "人民调解及安置帮教以案定补", _d("104.08"), "2021年12月"),
     ("法律援助", "法律援助工作及律师案件补助", _d("40"), "2021年12月"),
     ("社区矫正工作", "社区矫正信息化建设", _d("16.23"), "2021年12月")],
    "目标1: 承担法制建设重大问题的研究,协调有关方面提出法制建设中长期规划建议,负责有关重大决策部署督查工作。 "
    "目标2: 承担统筹规划法治社会建设责任,按照中央和省市委的统一部署拟定法制宣传教育实施规划,组织实施全民普法工作。",
    [("履职效能", "重点工作履行情况", "重点工作履行情况", "=", "100", "%"),
     ("履职效能", "重点工作履行情况", "总体工作完成率", "=", "100", "%"),
     ("履职效能", "整体工作完成情况", "工作完成及时率", "=", "100", "%"),
     ("履职效能", "整体工作完成情况", "工作质量达标率", "=", "100", "%"),
     ("履职效能", "基础管理", "依法行政能力", "=", "100", "%"),
     ("履职效能", "基础管理", "综合管理水平", "=", "100", "%"),
     ("预算执行", "预算执行效率", "预算执行率", "=", "100", "%"),
     ("预算执行", "预算执行效率", "预算调整率", "≤", "5", "%"),
     ("预算执行", "预算执行效率", "结转结余变动率", "≤", "0", "%"),
     ("管理效率", "预算编制管理", "绩效目标覆盖率", "=", "100", "%"),
     ("管理效率", "预算监督管理", "预决算公开情况", "", "按时公开", ""),
     ("管理效率", "预算收支管理", "收入管理规范性", "", "管理规范", ""),
     ("管理效率", "预算收支管理", "支出管理规范性", "", "管理规范", ""),
     ("管理效率", "财务管理", "内控制度有效性", "", "制度有效", ""),
     ("管理效率", "资产管理", "固定资产利用率", "=", "100", "%"),
     ("管理效率", "业务管理", "政府采购管理违法违规行为发生次数", "=", "0", "%"),
     ("运行成本", "成本控制成效", "“三公”经费变动率", "≤", "0", ""),
     ("运行成本", "成本控制成效", "在职人员控制率", "≤", "100", "%"),
     ("社会效应", "社会效益", "法律援助案件办结率", "≥", "100", ""),
     ("社会效应", "服务对象满意度", "法律援助对象满意度", "≥", "95", "%"),
     ("可持续性", "体制改革", "深化司法行政体制改革", "-", "长期", "-")],
)


def _section(ws, r: int, label: str, rows: int, headers: tuple[str, ...]) -> None:
    """A section's label merged down over its header row and ``rows`` rows, its headers from column 2."""
    _put(ws, r, 1, label)
    ws.merge_cells(start_row=r, start_column=1, end_row=r + rows, end_column=1)
    for k, text in enumerate(headers, 2):
        _put(ws, r, k, text)


def write_department(t: DepartmentTable, path: Path) -> Path:
    """The 整体绩效目标申报表 on one sheet as 辽宁 prints it (seed 003): 部门(单位)名称, 财政供养人员,
    年度预算收入 / 支出 (the labels in B:C, the amounts in D), 部门职能概述, 年度主要任务 (重点工作 |
    对应项目 | 预算资金情况(万元) | 完成时限), 年度绩效目标, then 年度绩效指标: 一级 | 二级 | 三级 |
    指标值 (运算符 | 数值 | 单位 under one merged header) | 完成时限."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "整体绩效目标申报表"
    _put(ws, 1, 1, t.title)
    ws.merge_cells("A1:H1")
    _put(ws, 2, 1, f"填报单位(盖章): {t.name}")
    _put(ws, 3, 1, "部门(单位)名称")
    _put(ws, 3, 2, t.name)
    ws.merge_cells("B3:H3")
    _put(ws, 4, 1, "部门(单位)财政供养人员数量")
    _put(ws, 4, 2, t.staff)
    _put(ws, 4, 3, "所属单位数量")
    r = 5
    for label, lines in (("年度预算收入(万元)", t.income), ("年度预算支出(万元)", t.expense)):
        _put(ws, r, 1, label)
        ws.merge_cells(start_row=r, start_column=1, end_row=r + len(lines) - 1, end_column=1)
        for text, amount in lines:
            _put(ws, r, 2, text)
            ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=3)
            if amount is not None:
                _put(ws, r, 4, _amount(amount))
            r += 1
    _put(ws, r, 1, "部门职能概述")
    _put(ws, r, 2, t.function)
    ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=8)
    r += 1
    _section(ws, r, "年度主要任务", len(t.tasks), ("重点工作", "对应项目", "预算资金情况(万元)", "完成时限"))
    for work, project, budget, deadline in t.tasks:
        r += 1
        _put(ws, r, 2, work)
        _put(ws, r, 3, project)
        _put(ws, r, 4, _amount(budget))
        _put(ws, r, 5, deadline)
    r += 1
    _put(ws, r, 1, "年度绩效目标")
    _put(ws, r, 2, t.goal)
    ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=8)
    r += 1
    _section(ws, r, "年度绩效指标", len(t.rows), ("一级指标", "二级指标", "三级指标", "指标值"))
    ws.merge_cells(start_row=r, start_column=5, end_row=r, end_column=7)
    _put(ws, r, 8, "完成时限")
    start = r + 1
    for m, (l1, l2, name, op, value, unit) in enumerate(t.rows):
        r += 1
        if m == 0 or l1 != t.rows[m - 1][0]:
            if r - 1 >= start and m > 0:
                ws.merge_cells(start_row=start, start_column=2, end_row=r - 1, end_column=2)
            start = r
            _put(ws, r, 2, l1)
        _put(ws, r, 3, l2)
        _put(ws, r, 4, name)
        for k, text in enumerate((op, value, unit), 5):
            if text:
                _put(ws, r, k, text)
        _put(ws, r, 8, "2021年12月")
    if r > start:
        ws.merge_cells(start_row=start, start_column=2, end_row=r, end_column=2)
    wb.save(path)
    return path
