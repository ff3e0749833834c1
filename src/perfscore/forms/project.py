"""A 项目支出 / 预算项目(政策) 绩效自评表 → a project mapping (docs/project-file.md keys).

Fixed fields by their labels, the budget block by its header row (or, as in 辽宁, by
label/value pairs), 年度总体目标, the indicator table (``tables``), and the printed bottom
lines (总分, 等级, 指标自评得分小计, 预算执行率得分, 减分项) as ``reported``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ..values import CellValueError, format_number, parse_number
from . import labels as L
from .fields import Section, as_number, as_text, grade
from .grid import NUMBER, PERCENT, Cell, ref
from .tables import header_rows, read_indicators

_YEAR = re.compile(r"((?:19|20|21)\d{2})\s*年")
MONEY = "万元"  # the unit of every amount on the forms (项目资金（万元）, 年度预算金额（万元）)
AMOUNTS = ("initial", "adjusted", "executed")


def field_cell(sec: Section, name: str, r0: int | None = None, r1: int | None = None) -> tuple[Cell | None, str] | None:
    """The value cell of a fixed field's label; None when the label is absent."""
    at = sec.find(L.FIELDS[name], r0, r1)
    if at is None:
        return None
    return sec.value_right(*at)


def read_year(sec: Section) -> int | None:
    found = field_cell(sec, "year")
    if found and found[0] is not None:
        m = _YEAR.search(f"{as_text(found[0], sec, '年度')}年")
        if m:
            sec.cells["year"] = found[1]
            return int(m.group(1))
    # the title line (（2024年度）), of this form or, when projects are stacked, of the sheet
    for lo, hi in ((sec.top, min(sec.bottom, sec.top + 8)), (1, 8)):
        for r, c, cell in sec.anchors(lo, hi):
            if isinstance(cell.value, str) and ("年度" in cell.value or "自评表" in cell.value):
                m = _YEAR.search(cell.value)
                if m:
                    sec.cells["year"] = cell.ref
                    return int(m.group(1))
    return None


def read_text_fields(sec: Section, data: dict, names: tuple[str, ...], required: dict[str, str]) -> None:
    for name in names:
        if name == "filler" and "unit" in data:
            continue  # 填报单位 stands in for 实施单位 only where the form has none
        found = field_cell(sec, name)
        if found is None:
            if name in required:
                sec.problem(f"找不到「{required[name]}」（查找的标签：{'、'.join(L.FIELDS[name])}）")
            continue
        cell, where = found
        text = as_text(cell, sec, L.FIELDS[name][0])
        if text is None and name in required and cell is None:
            sec.problem(f"单元格 {where}（{required[name]}）为空")
        if text:
            if name != "name":
                text = text.rstrip("-－— ").strip() or text  # 辽宁 prints 朝阳市司法局-
            data["unit" if name == "filler" else name] = text
            sec.cells["unit" if name == "filler" else name] = where


def read_goals(sec: Section, data: dict, r1: int) -> None:
    for name, synonyms in L.GOAL_HEADERS.items():
        at = sec.find(synonyms, sec.top, r1)
        if at is None:
            continue
        r0, c0, rr1, _ = sec.grid.span(*at)
        cell = sec.grid.get(rr1 + 1, c0)
        text = as_text(cell, sec, synonyms[0]) if cell is not None else None
        if text and not sec.is_label(cell):
            data[name] = text
            sec.cells[name] = cell.ref


def _budget_header(sec: Section, r1: int) -> tuple[int, dict[str, int]] | None:
    """The row holding 全年执行数 / 执行数(B) together with a budget column, and its columns."""
    rows: dict[int, dict[str, int]] = {}
    for r, c, _ in sec.anchors(sec.top, r1):
        k = sec.key_at(r, c)
        for name, synonyms in L.BUDGET_COLUMNS.items():
            if k in synonyms:
                rows.setdefault(r, {}).setdefault(name, c)
    for r, cols in sorted(rows.items()):
        if "executed" in cols and ({"initial", "adjusted", "budget"} & cols.keys()):
            if "budget" in cols and ({"initial", "adjusted"} & cols.keys()):
                cols.pop("budget")  # 年初预算数 | 预算数: the named ones are read
            return r, cols
    return None


def _lone(cols: dict[str, int]) -> bool:
    """A budget block with one budget column (预算数（A）, no 年初/全年 split). SCORING.md §3
    divides by the 全年预算数, so that column is read as the 全年预算数 (the 执行率's divisor);
    PROJECT_FILE.md requires a 年初预算数 and makes the two the same when only one is known, so
    the 年初预算数 is the same figure — as a template's lone 预算数 is read (sheets/importing).
    (A declaration's 预算数 is its 年初预算数: it is made before the year; forms/targets.)"""
    if "budget" not in cols:
        return False
    cols["adjusted"] = cols.pop("budget")
    return True


def _lone_budget(sec: Section, budget: dict) -> None:
    """The one budget as both 年初预算数 and 全年预算数, from the same cell."""
    if "initial" in budget:
        budget["adjusted"] = budget["initial"]
        sec.cells["budget.adjusted"] = sec.cells["budget.initial"]


def read_budget(sec: Section, data: dict, r1: int) -> None:
    """年初预算数 / 全年预算数 / 全年执行数 (and 分值, 执行率, 得分) from the 年度资金总额 row,
    cross-checked against its 其中 rows."""
    g = sec.grid
    found = _budget_header(sec, r1)
    reported = data.setdefault("reported", {})
    if found is None:
        _budget_pairs(sec, data, r1)
        return
    h, cols = found
    lone = _lone(cols)
    if _amounts_right(sec, h, cols):
        _budget_right(sec, data, h, cols, lone)
        return
    first_col = min(cols.values())
    for r in range(max(sec.top, h - 2), h + 2):
        for c in range(1, first_col + 1):
            cell = g.get(r, c)
            if cell is not None and isinstance(cell.value, str):
                k, share = L.key(cell.value)
                if share is not None and any(k.startswith(b) for b in L.BUDGET_BLOCK):
                    data["execution_weight"] = share
                    sec.cells["execution_weight"] = cell.ref
    rows: dict[str, int] = {}
    for r in range(g.span(h, first_col)[2] + 1, min(r1, h + 8) + 1):
        for c in range(1, first_col):
            cell = g.cells.get((r, c)) or g.get(r, c)
            if cell is None or not isinstance(cell.value, str):
                continue
            k = L.key(cell.value)[0]
            if k in L.BUDGET_TOTAL and "total" not in rows:
                rows["total"] = r
            for part, synonyms in L.BUDGET_PARTS.items():
                if k in synonyms and part not in rows:
                    rows[part] = r
    total = rows.get("total")
    if total is None:
        # a block with no 年度资金总额 label: the first row under the header
        total = g.span(h, first_col)[2] + 1
    what = {"initial": "年初预算数", "adjusted": "预算数" if lone else "全年预算数", "executed": "全年执行数",
            "weight": "分值", "rate": "执行率", "score": "得分"}
    values: dict[str, Decimal | None] = {}
    for name, c in cols.items():
        cell = g.get(total, c)
        values[name] = as_number(cell, sec, what[name], percent=name == "rate", money=MONEY if name in AMOUNTS else None)
        sec.cells[f"budget.{name}"] = cell.ref if cell is not None else ref(total, c)
    parts = {p: r for p, r in rows.items() if p != "total"}
    if parts:
        for name in ("initial", "adjusted", "executed"):
            if name not in cols:
                continue
            amounts = [as_number(g.get(r, cols[name]), sec, what[name], money=MONEY) for r in parts.values()]
            subtotal = sum((a for a in amounts if a is not None), Decimal(0))
            shown = values.get(name)
            where = sec.cells[f"budget.{name}"]
            span = "、".join(ref(r, cols[name]) for r in parts.values())
            if shown is None and g.get(total, cols[name]) is not None:
                continue  # an unreadable total: its own problem is named
            if (shown or Decimal(0)) == 0 and subtotal != 0:
                sec.problem(f"单元格 {where}（{what[name]}，年度资金总额）为 {format_number(shown or Decimal(0))}，"
                            f"但其中各项（{span}）合计 {format_number(subtotal)}：请填写年度资金总额")
                values[name] = None
            elif shown is not None and subtotal != shown and any(a for a in amounts):
                sec.findings.append(f"{sec.where}单元格 {where}（{what[name]}）: 年度资金总额 {format_number(shown)} "
                                    f"与其中各项（{span}）之和 {format_number(subtotal)} 不一致")
    initial, adjusted, executed = values.get("initial"), values.get("adjusted"), values.get("executed")
    budget: dict[str, object] = {}
    if initial is None and adjusted is None:
        name = "initial" if "initial" in cols else "adjusted"
        if g.get(total, cols[name]) is None:
            sec.problem(f"单元格 {sec.cells[f'budget.{name}']}（{what[name]}）为空")
    else:
        budget["initial"] = initial if initial is not None else adjusted
        if adjusted is not None and initial is not None:
            budget["adjusted"] = adjusted
        if initial is None:
            sec.cells["budget.initial"] = sec.cells.pop("budget.adjusted")
        if lone:
            _lone_budget(sec, budget)
    if executed is None:
        if g.get(total, cols["executed"]) is None:
            sec.problem(f"单元格 {sec.cells['budget.executed']}（全年执行数）为空")
    else:
        budget["executed"] = executed
    data["budget"] = budget
    if values.get("weight") is not None:
        data["execution_weight"] = values["weight"]
        sec.cells["execution_weight"] = sec.cells.pop("budget.weight")
    for name, key in (("rate", "execution_rate"), ("score", "execution_score")):
        if f"budget.{name}" in sec.cells:
            sec.cells[f"reported.{key}"] = sec.cells.pop(f"budget.{name}")
        if values.get(name) is not None:
            reported[key] = values[name]
    sec.cells.pop("budget.weight", None)


def _amounts_right(sec: Section, h: int, cols: dict[str, int]) -> bool:
    """河北 成安 prints 预算数 26.6 | 到位数 26.6 | 执行数 22.12 on one row: each amount right
    of its label, not below a header row."""
    g = sec.grid
    right = g.get(h, g.span(h, cols["executed"])[3] + 1)
    if right is None or sec.is_label(right):
        return False
    if right.kind != "text":
        return right.kind in (NUMBER, PERCENT)
    try:
        parse_number(_NUMBER_TEXT.sub("", str(right.value)))
    except CellValueError:
        return False
    return True


_NUMBER_TEXT = re.compile(r"\s*(万元|元)\s*$")


def _budget_right(sec: Section, data: dict, h: int, cols: dict[str, int], lone: bool = False) -> None:
    """The budget row whose amounts stand right of their labels (the row below, 其中:财政资金,
    is a part of it and is not read)."""
    budget: dict[str, object] = {}
    what = {"initial": "年初预算数", "adjusted": "预算数" if lone else "调整后预算数", "executed": "执行数", "weight": "分值",
            "rate": "执行率", "score": "得分"}
    values: dict[str, Decimal] = {}
    for name, c in cols.items():
        cell, where = sec.value_right(h, c)
        sec.cells[f"budget.{name}"] = where
        if cell is None:
            if name in ("executed", "initial") or (name == "adjusted" and "initial" not in cols):
                sec.problem(f"单元格 {where}（{what[name]}，在「{sec.grid.get(h, c).value}」右侧）为空")
            continue
        number = as_number(cell, sec, what[name], percent=name == "rate", money=MONEY if name in AMOUNTS else None)
        if number is not None:
            values[name] = number
    if "initial" in values or "adjusted" in values:
        budget["initial"] = values.get("initial", values.get("adjusted"))
        if "initial" in values and "adjusted" in values:
            budget["adjusted"] = values["adjusted"]
        elif "initial" not in values:
            sec.cells["budget.initial"] = sec.cells.pop("budget.adjusted")
        if lone:
            _lone_budget(sec, budget)
    if "executed" in values:
        budget["executed"] = values["executed"]
    data["budget"] = budget
    if "weight" in values:
        data["execution_weight"] = values["weight"]
        sec.cells["execution_weight"] = sec.cells.pop("budget.weight")
    for name, key in (("rate", "execution_rate"), ("score", "execution_score")):
        if f"budget.{name}" in sec.cells:
            sec.cells[f"reported.{key}"] = sec.cells.pop(f"budget.{name}")
        if name in values:
            data.setdefault("reported", {})[key] = values[name]
    sec.cells.pop("budget.weight", None)


def _budget_pairs(sec: Section, data: dict, r1: int) -> None:
    """辽宁: 项目预算金额（万元） 10 | 全年执行数（万元） 10 | 执行率 100%."""
    budget: dict[str, object] = {}
    for name, key, what in (("budget_initial", "initial", "年初预算数"), ("budget_executed", "executed", "全年执行数")):
        found = field_cell(sec, name, sec.top, r1)
        if found is None:
            sec.problem(f"找不到「{what}」（第{sec.top}–{r1}行，查找的标签：{'、'.join(L.FIELDS[name])}；"
                        f"或同一行有执行数（{'、'.join(L.BUDGET_COLUMNS['executed'])}）和预算数的预算表头行）")
            continue
        cell, where = found
        sec.cells[f"budget.{key}"] = where
        number = as_number(cell, sec, what, money=MONEY)
        if cell is None:
            sec.problem(f"单元格 {where}（{what}）为空")
        elif number is not None:
            budget[key] = number
    at = sec.find(L.FIELDS["budget_initial"], sec.top, r1)
    if at is not None and sec.key_at(*at) in L.BUDGET_COLUMNS["budget"]:
        _lone_budget(sec, budget)
    data["budget"] = budget
    found = field_cell(sec, "execution_rate", sec.top, r1)
    if found and found[0] is not None:
        rate = as_number(found[0], sec, "执行率", percent=True)
        if rate is not None:
            data.setdefault("reported", {})["execution_rate"] = rate
            sec.cells["reported.execution_rate"] = found[1]


def read_bottom(sec: Section, data: dict, end_row: int | None, cols: dict[str, int], r1: int) -> None:
    """总分 / 合计 (its 得分 cell, or the value right of the label), 等级, 指标自评得分小计,
    预算执行率得分, 减分项 — below the indicator table."""
    g = sec.grid
    reported = data.setdefault("reported", {})
    start = end_row if end_row is not None else r1
    what = {"indicator_score": "指标自评得分小计", "execution_score": "预算执行率得分", "deduction": "减分项",
            "total": "总分", "grade": "等级"}
    for name in ("indicator_score", "execution_score", "deduction", "total", "grade"):
        at = sec.find(L.FIELDS[name], start, sec.bottom)
        if at is None:
            continue
        r, c = at
        if name == "total" and "score" in cols and g.get(r, cols["score"]) is not None and cols["score"] > c:
            cell, where = g.get(r, cols["score"]), g.get(r, cols["score"]).ref
        else:
            cell, where = sec.value_right(r, c)
        if cell is None:
            continue
        if name == "grade":
            value = grade(cell, sec)
        else:
            value = as_number(cell, sec, what[name])
        if value is None:
            continue
        if name == "deduction":
            data["deduction"] = value
            sec.cells["deduction"] = where
        else:
            reported[name] = value
            sec.cells[f"reported.{name}"] = where
    # 等级 printed next to the total (``98.32分 优秀``) without its own label
    if "grade" not in reported and "reported.total" in sec.cells:
        r, c = _rc(sec.cells["reported.total"])
        nxt = sec.grid.get(r, c + 1)
        if nxt is not None and isinstance(nxt.value, str) and L.key(nxt.value)[0] in L.GRADE_WORDS:
            reported["grade"] = L.GRADE_WORDS[L.key(nxt.value)[0]]
            sec.cells["reported.grade"] = nxt.ref


def _rc(address: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", address)
    c = 0
    for ch in m.group(1):
        c = c * 26 + ord(ch) - 64
    return int(m.group(2)), c


def read_explanations(sec: Section, extra: dict, start: int) -> None:
    """湖北's project-level 偏差大或目标未完成原因分析 and 改进措施及结果应用方案 rows."""
    for name in ("cause", "remedy"):
        at = sec.find(L.FIELDS[name], start, sec.bottom)
        if at is None:
            continue
        cell, where = sec.value_right(*at)
        text = as_text(cell, sec, L.FIELDS[name][0])
        if text:
            extra[name] = text
            sec.cells[name] = where


def _execution_from_table(sec: Section, data: dict) -> None:
    """A 预算执行率 row of the indicator table gives the execution weight and the reported
    rate and score the budget block did not."""
    for key, field, reported in (("weight", "execution_weight", False), ("actual", "execution_rate", True),
                                 ("score", "execution_score", True)):
        if key not in sec.execution:
            continue
        value, where = sec.execution[key]
        if reported:
            if data.setdefault("reported", {}).get(field) is None:
                data["reported"][field] = value
                sec.cells[f"reported.{field}"] = where
        elif data.get(field) is None:
            data[field] = value
            sec.cells[field] = where


def _weight_shares(sec: Section, data: dict) -> None:
    """A weight column printed as a percent (权重占比(%), 权重(%)): points when its rows and the
    execution weight sum to 100, a share of the indicator part (100 − execution weight) when
    its rows alone sum to 100 — which one is said as a finding; any other sum is refused."""
    if sec.weight_header is None:
        return
    text, where = sec.weight_header
    if not any(w in text for w in ("占比", "%", "％")):
        return
    weights = [ind["weight"] for ind in data.get("indicators") or [] if ind.get("weight") is not None]
    if not weights:
        return
    total = sum(weights, Decimal(0))
    execution = data.get("execution_weight")
    head = f"单元格 {where}「{text}」"
    if execution is not None and total + execution == 100:
        sec.findings.append(f"{sec.where}: {head}各行合计 {format_number(total)}，加预算执行率 {format_number(execution)} 分"
                            "为 100：按分值读取")
    elif total == 100 and execution is not None:
        part = 100 - execution
        for ind in data["indicators"]:
            if ind.get("weight") is not None:
                ind["weight"] = ind["weight"] * part / 100
        sec.findings.append(f"{sec.where}: {head}各行合计 100：按指标部分（100 − 预算执行率 {format_number(execution)} 分 = "
                            f"{format_number(part)} 分）的占比读取")
    else:
        with_execution = f"，加预算执行率 {format_number(execution)} 分为 {format_number(total + execution)}" if execution is not None else ""
        sec.problem(f"{head}是百分比，但各行合计 {format_number(total)}{with_execution}：应为 100"
                    "（指标各行之和，或指标与预算执行率之和）")


def read_project(sec: Section) -> tuple[dict, dict, dict[str, Decimal]]:
    """The project mapping, the project-level explanations, and the 一级 shares printed
    after level names."""
    data: dict = {"kind": "project"}
    extra: dict = {}
    shares: dict[str, Decimal] = {}
    read_text_fields(sec, data, ("name", "department", "unit", "filler"), {"name": "项目名称"})
    year = read_year(sec)
    if year:
        data["year"] = year
    heads = header_rows(sec)
    table_top = heads[0] if heads else sec.bottom
    read_goals(sec, data, table_top)
    read_budget(sec, data, table_top)
    indicators, end_row, cols = read_indicators(sec, table_top, sec.bottom, shares)
    data["indicators"] = indicators
    _execution_from_table(sec, data)
    _weight_shares(sec, data)
    read_bottom(sec, data, end_row, cols, sec.bottom)
    read_explanations(sec, extra, table_top)
    data.update(extra)  # the model's project-level cause / remedy (docs/project-file.md)
    if not data.get("reported"):
        data.pop("reported", None)
    return data, extra, shares
