"""A 部门整体(支出)绩效自评表 → a department mapping: fixed fields, the 年度主要任务 table by
its header row (项目下达金额, 项目执行金额, 执行率, 分值, 得分), goals, the indicator table and
the printed 总评价得分."""

from __future__ import annotations

from decimal import Decimal

from . import labels as L
from .fields import Section, as_number, as_text
from .grid import ref
from .project import (MONEY, _budget_header, field_cell, read_budget, read_bottom, read_explanations, read_goals,
                      read_text_fields, read_year)
from .tables import header_rows, read_indicators


def _task_header(sec: Section, r1: int) -> tuple[int, dict[str, int]] | None:
    rows: dict[int, dict[str, int]] = {}
    for r, c, _ in sec.anchors(sec.top, r1):
        name = L.which(sec.grid.cells[(r, c)].value, L.TASK_COLUMNS) if sec.key_at(r, c) else None
        if name:
            cols = rows.setdefault(r, {})
            # 对应项目 names the task where both it and the 年度主要任务 label column are printed
            if name == "name" and "name" in cols and sec.key_at(r, c) != "对应项目":
                continue
            cols[name] = c
    for r, cols in sorted(rows.items()):
        if {"name", "budget", "executed"} <= cols.keys():
            return r, cols
    return None


def _budget_as_task(sec: Section, data: dict, r1: int) -> bool:
    """财预〔2020〕10号's 部门整体支出绩效自评表 has no task table: its 年度资金总额 row (年初预算数,
    全年预算数, 全年执行数, 分值, 执行率, 得分) is the one execution part."""
    if _budget_header(sec, r1) is None:
        return False
    block: dict = {}
    read_budget(sec, block, r1)
    budget = block.get("budget", {})
    h, cols = _budget_header(sec, r1)
    label = _total_label(sec, h, min(cols.values()))
    if "execution_weight" not in block:
        _no_execution_weight(sec, h, cols, label, r1)
        return True
    task = {"name": label[1] if label else "年度资金总额", "budget": budget.get("adjusted", budget.get("initial")),
            "executed": budget.get("executed"), "weight": block["execution_weight"]}
    reported = block.get("reported", {})
    task["reported_rate"] = reported.get("execution_rate")
    task["reported_score"] = reported.get("execution_score")
    data["tasks"] = [{k: v for k, v in task.items() if v is not None}]
    moves = {"budget.adjusted" if "adjusted" in budget else "budget.initial": "tasks[0].budget",
             "budget.executed": "tasks[0].executed", "execution_weight": "tasks[0].weight",
             "reported.execution_rate": "tasks[0].reported_rate", "reported.execution_score": "tasks[0].reported_score"}
    for old, new in moves.items():
        if old in sec.cells:
            sec.cells[new] = sec.cells.pop(old)
    for key in ("budget.initial", "budget.adjusted"):
        sec.cells.pop(key, None)
    return True


def _total_label(sec: Section, h: int, first_col: int) -> tuple[str, str] | None:
    """(cell, text as printed) of the one execution line's label (部门整体支出总额, 年度资金总额)
    in the rows under the budget header, left of its amounts."""
    g = sec.grid
    for r in range(g.span(h, first_col)[2] + 1, min(sec.bottom, h + 8) + 1):
        for c in range(1, first_col):
            cell = g.cells.get((r, c))
            if cell is not None and isinstance(cell.value, str) and L.key(cell.value)[0] in L.BUDGET_TOTAL:
                return cell.ref, " ".join(cell.value.split())
    return None


def _no_execution_weight(sec: Section, h: int, cols: dict[str, int], label: tuple[str, str] | None, r1: int) -> None:
    """SCORING.md §6: a department file must carry its weights — one line naming what is
    missing and where it was looked for (the block's label, the budget header row, and the
    indicator table's header when it has no 分值 either)."""
    g = sec.grid
    block = None
    for r in range(max(sec.top, h - 2), h + 2):
        for c in range(1, min(cols.values()) + 1):
            cell = g.get(r, c)
            if cell is not None and isinstance(cell.value, str) and any(L.key(cell.value)[0].startswith(b) for b in L.BUDGET_BLOCK):
                block = block or (cell.ref, " ".join(cell.value.split()))
    looked = [f"单元格 {block[0]}「{block[1]}」后的分值（如「预算执行情况（万元）（20分）」）" if block else "预算执行情况后的分值（如「（20分）」）",
              f"第{h}行预算表头的「{'」「'.join(L.BUDGET_COLUMNS['weight'])}」列"]
    line = f"{label[0]}「{label[1]}」" if label else "预算执行行"
    heads = header_rows(sec, r1, sec.bottom)
    unweighted = [r for r in heads if not any(sec.key_at(r, c) in L.INDICATOR_COLUMNS["weight"] for c in range(1, g.max_col + 1))]
    also = (f"；绩效指标表（表头在第{'、'.join(map(str, unweighted[:3]))}{'等' if len(unweighted) > 3 else ''}行）也没有"
            f"「{'」「'.join(L.INDICATOR_COLUMNS['weight'][:2])}」列") if unweighted else ""
    sec.problem(f"部门整体支出绩效自评表的预算执行（{line}）没有分值：找不到{'，也没有'.join(looked)}{also}；"
                "部门整体自评表须填写各部分分值（一级指标不固定，不能按默认比例分配），请补填后再评分")


def read_tasks(sec: Section, data: dict, r1: int) -> None:
    g = sec.grid
    found = _task_header(sec, r1)
    if found is None:
        if _budget_as_task(sec, data, r1):
            return
        sec.problem(f"第{sec.top}–{r1}行找不到年度主要任务表（需要任务名称、下达金额、执行金额三列同在一行表头：查找的表头 — "
                    f"任务名称：{'、'.join(L.TASK_COLUMNS['name'])}；下达金额：{'、'.join(L.TASK_COLUMNS['budget'])}；"
                    f"执行金额：{'、'.join(L.TASK_COLUMNS['executed'])}），也找不到含执行数的预算表头行"
                    f"（{'、'.join(L.BUDGET_COLUMNS['executed'])}）")
        return
    h, cols = found
    what = {"budget": "项目下达金额", "executed": "项目执行金额", "rate": "项目执行率", "weight": "分值", "score": "得分"}
    tasks = []
    first = max(g.span(h, c)[2] for c in cols.values()) + 1
    for r in range(first, r1 + 1):
        name_cell = g.get(r, cols["name"])
        if name_cell is None or g.span(r, cols["name"])[0] != r:
            if not any(g.cells.get((r, c)) for c in cols.values()):
                continue
        name = as_text(name_cell, sec, "任务名称") if name_cell is not None else None
        if name and (L.key(name)[0] in L.GOAL_HEADERS["goal"] or L.key(name)[0] in L.GOAL_BLOCK):
            break
        amounts = {k: g.get(r, c) for k, c in cols.items() if k != "name"}
        if not name:
            if any(cell is not None for cell in amounts.values()):
                sec.problem(f"单元格 {ref(r, cols['name'])}（任务名称）为空")
            continue
        if sec.is_label(name_cell) or all(cell is None for cell in amounts.values()):
            break  # the next block (年初总体目标 …)
        n = len(tasks)
        task: dict[str, object] = {"name": name}
        sec.cells[f"tasks[{n}].name"] = name_cell.ref
        for key, c in cols.items():
            if key == "name":
                continue
            cell = g.get(r, c)
            field = {"rate": "reported_rate", "score": "reported_score"}.get(key, key)
            sec.cells[f"tasks[{n}].{field}"] = cell.ref if cell is not None else ref(r, c)
            number = as_number(cell, sec, what[key], percent=key == "rate", money=MONEY if key in ("budget", "executed") else None)
            if cell is None and key in ("budget", "executed", "weight"):
                sec.problem(f"单元格 {ref(r, c)}（{what[key]}，「{name[:30]}」）为空")
            if number is not None:
                task[field] = number
        tasks.append(task)
    data["tasks"] = tasks


def _total_on_top(sec: Section, data: dict, table_top: int) -> None:
    """重庆 prints 自评总分 above the form, not below its indicators."""
    if "total" in data.get("reported", {}):
        return
    at = sec.find(L.TOP_TOTAL, sec.top, table_top)
    if at is None:
        return
    cell, where = sec.value_right(*at)
    value = as_number(cell, sec, "自评总分") if cell is not None else None
    if value is not None:
        data.setdefault("reported", {})["total"] = value
        sec.cells["reported.total"] = where



def read_department(sec: Section) -> tuple[dict, dict, dict[str, Decimal]]:
    data: dict = {"kind": "department"}
    shares: dict[str, Decimal] = {}
    named = field_cell(sec, "name") is not None or field_cell(sec, "department") is None
    read_text_fields(sec, data, ("name", "department", "unit"), {"name": "部门(单位)名称"} if named else {})
    if not named and data.get("department"):
        # 重庆 names the unit by 主管部门 only
        data["name"] = data["department"]
        sec.cells["name"] = sec.cells["department"]
    year = read_year(sec)
    if year:
        data["year"] = year
    heads = header_rows(sec)
    table_top = heads[0] if heads else sec.bottom
    read_tasks(sec, data, table_top)
    read_goals(sec, data, table_top)
    indicators, end_row, cols = read_indicators(sec, table_top, sec.bottom, shares)
    data["indicators"] = indicators
    read_bottom(sec, data, end_row, cols, sec.bottom)
    _total_on_top(sec, data, table_top)
    extra: dict = {}
    read_explanations(sec, extra, table_top)
    data.update(extra)  # 湖北: the sheet-level 偏差大或目标未完成原因分析 / 改进措施及结果应用方案 (PROJECT_FILE.md)
    if not data.get("reported"):
        data.pop("reported", None)
    return data, extra, shares
