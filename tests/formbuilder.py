"""Hand-filled official forms for the form reader's tests, built with openpyxl from a
project/department model the way a unit types them: the national 财预〔2020〕10号 layout, the
辽宁 layout (seed 000), the 湖北 layout (seed 004) and a 山西-like layout (年初/调整后指标值,
separate 偏差原因分析 and 改进措施 columns, a 合计 row)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl

from perfscore.model import Department, Project
from perfscore.values import Quantity, format_number, parse_value

LAYOUTS = ("national", "liaoning", "hubei", "shanxi")


@dataclass
class Typing:
    """How the person typed the form."""

    numbers: bool = False          # 100% as a percent cell, 1696 as a number cell
    merge_level1: bool = False     # 一级 merged over its rows (二级 too)
    blank_level2: bool = False     # 二级 only on the first row of its group
    offset: int = 0                # rows inserted above the form
    text_amounts: bool = False     # budget and weights typed as text ('26.6', '12.5分')
    grade: str | None = None       # a printed 等级 (national layout), e.g. '优秀'
    bands: bool = False            # 辽宁: the grade with its band, '全部或基本达成预期指标\n100%-80%（含）'


def _n(value: Decimal | None) -> float | str | None:
    """A Decimal as openpyxl writes a number (the float is what Excel stores)."""
    return None if value is None else float(value)  # float-ok: a cell value written by the test


class _Sheet:
    def __init__(self, ws, typing: Typing, top: int = 1):
        self.ws, self.t, self.r = ws, typing, top + typing.offset

    def put(self, r: int, c: int, value, fmt: str | None = None) -> None:
        if value is None:
            return
        cell = self.ws.cell(row=r, column=c, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # typed text such as '= 4 条', not a formula
        if fmt:
            cell.number_format = fmt

    def merge(self, r0: int, c0: int, r1: int, c1: int) -> None:
        if (r0, c0) != (r1, c1):
            self.ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)

    def value(self, r: int, c: int, text: str | None) -> None:
        """A target/actual typed as text, or (numbers) as a number / percent cell."""
        if text is None:
            return
        if self.t.numbers:
            m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[%％]\s*", text)
            if m:
                self.put(r, c, float(Decimal(m.group(1)) / 100), "0.00%" if "." in m.group(1) else "0%")  # float-ok
                return
            if re.fullmatch(r"\d+(?:\.\d+)?", text.strip()):
                self.put(r, c, float(Decimal(text.strip())))  # float-ok
                return
        self.put(r, c, text)

    def amount(self, r: int, c: int, value: Decimal | None, suffix: str = "") -> None:
        if value is None:
            return
        if self.t.text_amounts:
            self.put(r, c, f"{format_number(value)}{suffix}")
        else:
            self.put(r, c, _n(value))

    def rate(self, r: int, c: int, value: Decimal | None) -> None:
        if value is None:
            return
        if self.t.numbers:
            self.put(r, c, float(value / 100), "0.00%")  # float-ok
        else:
            self.put(r, c, f"{format_number(value)}%")

    def levels(self, rows: list[int], indicators, c1: int, c2: int) -> None:
        """一级/二级 cells: each row, or merged over a group, or blank below the first."""
        def groups(key):
            out, start = [], 0
            for i in range(1, len(indicators) + 1):
                if i == len(indicators) or key(indicators[i]) != key(indicators[start]):
                    out.append((start, i - 1))
                    start = i
            return out

        for col, key in ((c1, lambda x: x.level1), (c2, lambda x: (x.level1, x.level2))):
            for a, b in groups(key):
                value = indicators[a].level1 if col == c1 else indicators[a].level2
                if self.t.merge_level1:
                    self.put(rows[a], col, value)
                    self.merge(rows[a], col, rows[b], col)
                elif self.t.blank_level2 and col == c2:
                    self.put(rows[a], col, value)
                else:
                    for i in range(a, b + 1):
                        self.put(rows[i], col, value)


def _target_text(ind) -> str:
    if ind.target is not None:
        return ind.target
    return f"{ind.operator or ''}{format_number(ind.value)}{ind.unit or ''}"


def _split(ind) -> tuple[str | None, str | Decimal | None, str | None]:
    """(运算符号, 指标值, 度量单位) of a target."""
    if ind.target is None:
        return ind.operator, ind.value, ind.unit
    parsed = parse_value(ind.target)
    if isinstance(parsed, Quantity) and not parsed.label:
        return parsed.operator, parsed.number, parsed.unit or None
    return None, ind.target, None


def _completion(ind) -> str | None:
    if ind.completion is not None:
        return f"{format_number(ind.completion * 100)}%"
    if ind.reported_completion is not None:
        return f"{format_number(ind.reported_completion)}%"
    return None


# ------------------------------------------------------------------ layouts


def national(ws, p: Project, t: Typing, shanxi: bool = False) -> None:
    s = _Sheet(ws, t)
    r = s.r
    dept = isinstance(p, Department)
    s.put(r, 1, "部门（单位）整体支出绩效自评表" if dept else "项目支出绩效自评表")
    s.merge(r, 1, r, 10)
    s.put(r + 1, 1, f"（{p.year}年度）")
    s.merge(r + 1, 1, r + 1, 10)
    r += 2
    s.put(r, 1, "部门（单位）名称" if dept else "项目名称"); s.merge(r, 1, r, 2); s.put(r, 3, p.name); s.merge(r, 3, r, 10)
    r += 1
    if not dept:
        s.put(r, 1, "主管部门"); s.merge(r, 1, r, 2); s.put(r, 3, p.department); s.merge(r, 3, r, 5)
        s.put(r, 6, "实施单位"); s.put(r, 7, p.unit); s.merge(r, 7, r, 10)
        r += 1
    s.put(r, 1, "年度预算金额（万元）" if dept else "项目资金（万元）"); s.merge(r, 1, r + 4, 2)
    for c, text in enumerate(("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"), start=4):
        s.put(r, c, text)
    if dept:  # one execution part: the 年度资金总额 row
        task = p.tasks[0]
        initial = effective = task.budget
        executed, weight, rate, score = task.executed, task.weight, task.reported_rate, task.reported_score
    else:
        b = p.budget
        initial, effective, executed = b.initial, b.effective, b.executed
        weight, rate, score = p.execution_weight, p.reported.execution_rate, p.reported.execution_score
    s.put(r + 1, 3, "年度资金总额")
    s.amount(r + 1, 4, initial); s.amount(r + 1, 5, effective); s.amount(r + 1, 6, executed)
    s.amount(r + 1, 7, weight); s.rate(r + 1, 8, rate); s.amount(r + 1, 9, score)
    s.put(r + 2, 3, "其中：基本支出" if dept else "其中：当年财政拨款")
    s.amount(r + 2, 4, initial); s.amount(r + 2, 5, effective); s.amount(r + 2, 6, executed)
    s.put(r + 3, 3, "项目支出" if dept else "上年结转资金"); s.put(r + 4, 3, "其他资金")
    r += 5
    s.put(r, 1, "年度总体目标"); s.merge(r, 1, r + 1, 2)
    s.put(r, 3, "预期目标"); s.merge(r, 3, r, 6); s.put(r, 7, "实际完成情况"); s.merge(r, 7, r, 10)
    s.put(r + 1, 3, p.goal); s.merge(r + 1, 3, r + 1, 6); s.put(r + 1, 7, p.achieved); s.merge(r + 1, 7, r + 1, 10)
    r += 2
    head = r
    s.put(r, 1, "绩效指标")
    s.put(r, 2, "一级指标"); s.put(r, 3, "二级指标"); s.put(r, 4, "三级指标")
    if shanxi:
        s.put(r, 5, "年度指标值"); s.merge(r, 5, r, 6)
        s.put(r + 1, 5, "年初指标值"); s.put(r + 1, 6, "调整后指标值")
        cols = {"actual": 7, "weight": 8, "score": 9, "cause": 10, "remedy": 11}
        for key, text in (("actual", "实际完成值"), ("weight", "分值"), ("score", "得分"),
                          ("cause", "偏差原因分析"), ("remedy", "改进措施")):
            s.put(r, cols[key], text); s.merge(r, cols[key], r + 1, cols[key])
        for c in (2, 3, 4):
            s.merge(r, c, r + 1, c)
        r += 2
    else:
        s.put(r, 5, "年度指标值"); s.put(r, 6, "实际完成值"); s.put(r, 7, "分值"); s.put(r, 8, "得分")
        s.put(r, 9, "偏差原因分析及改进措施"); s.merge(r, 9, r, 10)
        cols = {"actual": 6, "weight": 7, "score": 8, "cause": 9}
        r += 1
    rows = list(range(r, r + len(p.indicators)))
    s.levels(rows, p.indicators, 2, 3)
    for row, ind in zip(rows, p.indicators):
        s.put(row, 4, ind.name)
        if shanxi:
            s.value(row, 5, ind.target_initial or _target_text(ind))
            s.value(row, 6, _target_text(ind))
        else:
            s.value(row, 5, _target_text(ind))
        s.value(row, cols["actual"], ind.actual)
        s.amount(row, cols["weight"], ind.weight)
        s.amount(row, cols["score"], ind.reported_score)
        if shanxi:
            s.put(row, cols["cause"], ind.cause); s.put(row, cols["remedy"], ind.remedy)
        else:
            text = "；".join(x for x in (ind.cause, ind.remedy) if x) or None
            s.put(row, cols["cause"], text); s.merge(row, 9, row, 10)
    s.merge(head, 1, rows[-1], 1)
    r = rows[-1] + 1
    s.put(r, 1, "合计" if shanxi else "总分"); s.merge(r, 1, r, 4)
    s.put(r, cols["weight"], 100)
    if p.reported.total is not None:
        s.amount(r, cols["score"], p.reported.total, "分" if t.text_amounts else "")
    if t.grade:
        s.put(r + 1, 1, "自评等级"); s.merge(r + 1, 1, r + 1, 4)
        s.put(r + 1, 5, t.grade)


def liaoning(ws, p: Project | Department, t: Typing) -> None:
    s = _Sheet(ws, t)
    r = s.r
    dept = isinstance(p, Department)
    s.put(r, 1, "部门（单位）整体绩效自评表" if dept else "预算项目(政策)绩效自评表"); s.merge(r, 1, r, 19)
    s.put(r + 1, 1, f"({p.year} 年度)"); s.merge(r + 1, 1, r + 1, 19)
    r += 2
    s.put(r, 1, "部门（单位）名称" if dept else "项目(政策)名称"); s.merge(r, 1, r, 2); s.put(r, 3, p.name); s.merge(r, 3, r, 19)
    r += 1
    if dept:
        s.put(r, 1, "年度主要任务"); s.merge(r, 1, r + len(p.tasks), 2)
        for c, text in enumerate(("对应项目", "项目下达金额", "项目执行金额", "项目执行率", "分值", "得分"), start=3):
            s.put(r, c, text)
        for i, task in enumerate(p.tasks, start=1):
            s.put(r + i, 3, task.name); s.amount(r + i, 4, task.budget); s.amount(r + i, 5, task.executed)
            s.rate(r + i, 6, task.reported_rate); s.amount(r + i, 7, task.weight); s.amount(r + i, 8, task.reported_score)
        r += len(p.tasks) + 1
        s.put(r, 3, "年初总体目标"); s.put(r, 8, "全年完成情况")
        s.put(r + 1, 1, "年度目标"); s.put(r + 1, 3, p.goal); s.put(r + 1, 8, p.achieved)
        r += 2
    else:
        s.put(r, 1, "主管部门"); s.merge(r, 1, r, 2); s.put(r, 3, f"{p.department}-"); s.merge(r, 3, r, 19)
        s.put(r + 1, 1, "实施单位"); s.merge(r + 1, 1, r + 1, 2); s.put(r + 1, 3, f"{p.unit}-"); s.merge(r + 1, 3, r + 1, 19)
        r += 2
        s.put(r, 1, "项目预算金额（万元）"); s.merge(r, 1, r, 2); s.amount(r, 3, p.budget.effective)
        s.put(r, 4, "全年执行数（万元）"); s.amount(r, 5, p.budget.executed)
        s.put(r, 6, "执行率"); s.rate(r, 7, p.reported.execution_rate)
        r += 1
        s.put(r, 1, "年度总体目标"); s.merge(r, 1, r + 1, 2)
        s.put(r, 3, "年初设定目标"); s.merge(r, 3, r, 9); s.put(r, 10, "全年实际完成情况"); s.merge(r, 10, r, 19)
        s.put(r + 1, 3, p.goal); s.merge(r + 1, 3, r + 1, 9); s.put(r + 1, 10, p.achieved); s.merge(r + 1, 10, r + 1, 19)
        r += 2
    head = r
    s.put(r, 1, "绩效指标")
    for c, text in ((2, "一级指标"), (3, "二级指标"), (4, "三级指标"), (8, "全年完成值"), (9, "完成程度"),
                    (10, "分值"), (11, "得分"), (18, "改进措施")):
        s.put(r, c, text); s.merge(r, c, r + 1, c)
    s.put(r, 5, "年度目标值"); s.merge(r, 5, r, 7)
    s.put(r + 1, 5, "运算符号"); s.put(r + 1, 6, "内容"); s.put(r + 1, 7, "度量单位")
    s.put(r, 12, "未完成原因分析"); s.merge(r, 12, r, 17)
    for c, text in enumerate(("经费保障", "制度保障", "人员保障", "硬件条件保障", "其他", "原因说明"), start=12):
        s.put(r + 1, c, text)
    r += 2
    rows = list(range(r, r + len(p.indicators)))
    s.levels(rows, p.indicators, 2, 3)
    for row, ind in zip(rows, p.indicators):
        s.put(row, 4, ind.name)
        op, value, unit = _split(ind)
        s.put(row, 5, op)
        if isinstance(value, Decimal):
            s.put(row, 6, _n(value) if t.numbers else format_number(value))
        else:
            s.put(row, 6, value)
        s.put(row, 7, unit)
        actual = ind.actual
        if unit and t.numbers:
            parsed = parse_value(actual)
            if isinstance(parsed, Quantity) and parsed.unit == unit.replace(" ", "") and not parsed.label:
                actual = format_number(parsed.number)
        if t.bands and actual.startswith("全部或基本达成"):
            actual = f"{actual}\n100%-80%（含）"
        s.value(row, 8, actual)
        s.value(row, 9, _completion(ind))
        s.amount(row, 10, ind.weight); s.amount(row, 11, ind.reported_score)
        s.put(row, 17, ind.cause); s.put(row, 18, ind.remedy)
    s.merge(head, 1, rows[-1], 1)
    r = rows[-1] + 1
    if dept:
        s.put(r, 1, "总评价得分"); s.merge(r, 1, r, 10); s.amount(r, 11, p.reported.total)
    else:
        s.put(r, 1, "指标自评得分小计"); s.merge(r, 1, r, 3); s.amount(r, 4, p.reported.indicator_score)
        s.put(r, 5, "预算执行率得分"); s.amount(r, 6, p.reported.execution_score)
        s.put(r, 7, "减分项"); s.amount(r, 8, p.deduction)
        s.put(r, 9, "绩效自评总得分"); s.amount(r, 10, p.reported.total)


def hubei(ws, p: Project, t: Typing, top: int = 1, blocks: int = 1, score_column: bool = False,
          goal_rows: bool = False) -> int:
    """The 湖北 form (seed 004); returns the row after it, so several stack on one sheet."""
    s = _Sheet(ws, t, top)
    r = s.r
    if top == 1:
        s.put(r, 1, f"{p.year} 年度项目绩效自评表"); s.merge(r, 1, r, 7)
        r += 1
    s.put(r, 1, "项目名称"); s.merge(r, 1, r, 2); s.put(r, 3, p.name); s.merge(r, 3, r, 7)
    s.put(r + 1, 1, "主管部门"); s.merge(r + 1, 1, r + 1, 2); s.put(r + 1, 3, p.department)
    s.put(r + 1, 5, "项目实施单位"); s.put(r + 1, 6, p.unit); s.merge(r + 1, 6, r + 1, 7)
    s.put(r + 2, 1, "项目类别"); s.put(r + 2, 3, "1. 部门预算项目 ☑ 2. 财政专项资金 □")
    s.put(r + 3, 1, "项目属性"); s.put(r + 3, 3, "1. 持续性项目 ☑ 2. 新增性项目 □")
    s.put(r + 4, 1, "项目类型"); s.put(r + 4, 3, "1. 常年性项目 ☑ 2. 延续性项目 □ 3. 一次性项目 □")
    r += 5
    s.put(r, 1, "预算执行情况 (万元) (20 分)"); s.merge(r, 1, r + 1, 2)
    s.put(r, 4, "预算数 (A)"); s.put(r, 5, "执行数 (B)"); s.put(r, 6, "执行率 (B/A)")
    s.put(r + 1, 3, "年度财政资金总额"); s.amount(r + 1, 4, p.budget.effective); s.amount(r + 1, 5, p.budget.executed)
    s.rate(r + 1, 6, p.reported.execution_rate)
    r += 2
    per = -(-len(p.indicators) // blocks)
    for b in range(blocks):
        chunk = p.indicators[b * per : (b + 1) * per]
        if not chunk:
            break
        if goal_rows:  # the 整体 sheet's 年度目标 N： line before each block
            s.put(r, 1, f"年度目标 {b + 1}："); s.merge(r, 1, r, 2)
            s.put(r, 3, f"第{b + 1}项年度目标的说明。"); s.merge(r, 3, r, 7)
            r += 1
        head = r
        s.put(r, 1, f"年度绩效目标 {b + 1}" if blocks > 1 else "年度 绩效 目标")
        s.put(r, 2, "一级 指标"); s.put(r, 3, "二级指标"); s.put(r, 4, "三级指标"); s.merge(r, 4, r, 5)
        s.put(r, 6, "年初目标值 (A)"); s.put(r, 7, "实际完成值 (B)")
        if score_column:
            s.put(r, 8, "得分")
        r += 1
        rows = list(range(r, r + len(chunk)))
        s.levels(rows, chunk, 2, 3)
        for row, ind in zip(rows, chunk):
            s.put(row, 4, ind.name); s.merge(row, 4, row, 5)
            s.value(row, 6, _target_text(ind)); s.value(row, 7, ind.actual)
        s.merge(head, 1, rows[-1], 1)
        r = rows[-1] + 1
    s.put(r, 1, "偏差大或 目标未完成 原因分析"); s.merge(r, 1, r, 2); s.put(r, 3, "已完成目标。"); s.merge(r, 3, r, 7)
    s.put(r + 1, 1, "改进措施及 结果应用方案"); s.merge(r + 1, 1, r + 1, 2); s.put(r + 1, 3, "按照制度加强监督管理。")
    s.merge(r + 1, 3, r + 1, 7)
    return r + 3


def build(path: Path, sheets: list[tuple[str, object]], layout: str, typing: Typing | None = None,
          first_sheet: str | None = None, stacked: bool = False, **options) -> Path:
    """A workbook holding each (sheet name, model) in ``layout``; ``first_sheet`` adds an
    unrelated sheet first; ``stacked`` (湖北) puts every project on one sheet."""
    t = typing or Typing()
    wb = openpyxl.Workbook()
    ws = wb.active
    if first_sheet:
        ws.title = first_sheet
        ws["A1"] = "填报说明"
        ws["A2"] = "本表由项目单位填报，金额单位：万元。"
        ws = None
    top = 1
    for i, (name, model) in enumerate(sheets):
        if ws is None or (i > 0 and not stacked):
            ws = wb.create_sheet(name)
        elif i == 0:
            ws.title = name
        if layout == "national":
            national(ws, model, t)
        elif layout == "shanxi":
            national(ws, model, t, shanxi=True)
        elif layout == "liaoning":
            liaoning(ws, model, t)
        elif layout == "hubei":
            top = hubei(ws, model, t, top if stacked else 1, **options)
        else:
            raise ValueError(layout)
    wb.save(path)
    return path


def paste(path: Path, other: Path, rows: int = 0, cols: int = 0) -> Path:
    """Another form on the same sheet: ``other``'s first sheet (values, number formats, merges)
    copied into ``path``'s first sheet, ``rows`` below and ``cols`` right of where it was."""
    wb, src = openpyxl.load_workbook(path), openpyxl.load_workbook(other).worksheets[0]
    ws = wb.worksheets[0]
    for row in src.iter_rows():
        for cell in row:
            if cell.value is not None:
                target = ws.cell(row=cell.row + rows, column=cell.column + cols, value=cell.value)
                target.number_format = cell.number_format
                if cell.data_type == "s":
                    target.data_type = "s"
    for m in src.merged_cells.ranges:
        ws.merge_cells(start_row=m.min_row + rows, start_column=m.min_col + cols, end_row=m.max_row + rows,
                       end_column=m.max_col + cols)
    wb.save(path)
    return path


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(files: list[Path], fmt: str, outdir: Path, profile: Path) -> list[Path]:
    """LibreOffice headless conversion of many files in one run (a private profile, so it
    never meets another soffice on the machine)."""
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", fmt,
         "--outdir", str(outdir), *map(str, files)],
        check=True, capture_output=True, timeout=300,
    )
    return [outdir / f"{f.stem}.{fmt}" for f in files]
