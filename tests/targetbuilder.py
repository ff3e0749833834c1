"""Declared-target workbooks for the target reader's tests and the shipped samples, built
with openpyxl from the published text:

- ``seed_tables(text)``: the 绩效目标表 of a 部门预算公开 (seed 001) parsed from its text
  (tab-separated rows, one table per 项目编码 line) — independently of the reader;
- ``write_budget_public(tables, path)``: those tables the way the 部门预算公开 prints them
  (项目编码/项目名称, 预算数/其中：财政资金/其他资金, 资金用途, 资金支出计划, 绩效目标, then
  一级指标 | 二级指标 | 三级指标 | 绩效指标描述 | 指标值 | 指标值确定依据, 一级 merged down),
  stacked on one sheet (or one sheet each);
- ``write_national(tables, path)``: the national 项目支出绩效目标申报表 with 中期 and 年度
  indicators side by side (the 中期 ones deliberately different).

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

    def fill(r, row):
        for k, text in enumerate((row.level2, row.name, row.description, row.target, row.basis), 2):
            _put(ws, r, k, text)

    r = _level1_rows(ws, r, t.rows, fill)
    return r + 1


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
        ws = wb.create_sheet(f"申报表{n}")
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

        def fill(r, row):
            if midterm:
                _put(ws, r, 2, row.level2)
                _put(ws, r, 3, row.name)
                _put(ws, r, 4, "三年累计")  # a 中期 target that must never be read
            _put(ws, r, first, row.level2)
            _put(ws, r, first + 1, row.name)
            _put(ws, r, first + 2, row.target)

        _level1_rows(ws, r, t.rows, fill)
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
