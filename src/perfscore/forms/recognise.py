"""Which worksheets hold a 绩效自评表, from what they say: a title such as 项目支出绩效自评表 /
预算项目(政策)绩效自评表 / 部门整体(支出)绩效自评表 (or the sheet's own name), a 项目名称 label
and a 三级指标 header. A sheet that stacks several projects (湖北 prints them one under the
other) is cut at each 项目名称 label."""

from __future__ import annotations

from . import labels as L
from .fields import Section
from .grid import Grid

PROJECT, DEPARTMENT = "project", "department"
_NOT_SELF_EVALUATION = ("申报表", "监控", "目标表", "评价报告")


def _titles(grid: Grid) -> list[str]:
    texts = [L.key(grid.name)[0]]
    for (r, _), cell in grid.cells.items():
        if cell.kind == "text" and isinstance(cell.value, str) and "表" in cell.value and len(cell.value) <= 60:
            texts.append(L.key(cell.value)[0])
    return texts


def kind_of(grid: Grid) -> str | None:
    """'project', 'department' or None (not a self-evaluation form)."""
    titles = _titles(grid)
    has_header = any(cell.kind == "text" and isinstance(cell.value, str) and L.key(cell.value)[0] == "三级指标"
                     for cell in grid.cells.values())
    if not has_header:
        return None
    if any("自评" in t and ("整体" in t) for t in titles):
        return DEPARTMENT
    if any("自评" in t for t in titles):
        return PROJECT
    if any(any(w in t for w in _NOT_SELF_EVALUATION) for t in titles):
        return None
    keys = {L.key(cell.value)[0] for cell in grid.cells.values() if cell.kind == "text" and isinstance(cell.value, str)}
    if keys & set(L.TASK_COLUMNS["budget"][:2]) and keys & {"年度主要任务"}:
        return DEPARTMENT
    if keys & set(L.FIELDS["name"][:4]) and keys & set(L.INDICATOR_COLUMNS["actual"]):
        return PROJECT
    return None


def sections(grid: Grid, where: str, kind: str) -> list[Section]:
    """One section per project on the sheet (cut at each 项目名称 label row)."""
    whole = Section(grid, 1, max(grid.max_row, 1), where)
    if kind != PROJECT:
        return [whole]
    rows = sorted({r for r, c, _ in whole.anchors() if whole.key_at(r, c) in L.FIELDS["name"]})
    if len(rows) <= 1:
        return [whole]
    out = []
    for i, r in enumerate(rows):
        top = 1 if i == 0 else r
        bottom = rows[i + 1] - 1 if i + 1 < len(rows) else whole.bottom
        out.append(Section(grid, top, bottom, where, _sorted=whole._sorted))
    return out
