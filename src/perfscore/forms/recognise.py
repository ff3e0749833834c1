"""Which worksheets hold a 绩效自评表, from what they say: a title such as 项目支出绩效自评表 /
预算项目(政策)绩效自评表 / 部门整体(支出)绩效自评表 (or the sheet's own name), a 项目名称 label
and a 三级指标 header. A sheet that stacks several projects (湖北 prints them one under the
other) is cut at each 项目名称 label."""

from __future__ import annotations

from . import labels as L
from .fields import Section
from ..xlsx.refs import col_letters
from .grid import Grid, ref

PROJECT, DEPARTMENT = "project", "department"
_NOT_SELF_EVALUATION = ("申报表", "监控", "目标表", "评价报告")


def _titles(grid: Grid) -> list[str]:
    texts = [L.key(grid.name)[0]]
    for (r, _), cell in grid.cells.items():
        if cell.kind == "text" and isinstance(cell.value, str) and "表" in cell.value and len(cell.value) <= 60:
            texts.append(L.key(cell.value)[0])
    return texts


class _RowTexts:
    """The texts of each row of a grid (in the grid's cell order), gathered once when first asked."""

    def __init__(self, grid: Grid):
        self.grid = grid
        self._rows: dict[int, list[str]] | None = None

    def __call__(self, r: int) -> list[str]:
        if self._rows is None:
            self._rows = {}
            for (rr, _), cell in self.grid.cells.items():
                if isinstance(cell.value, str):
                    self._rows.setdefault(rr, []).append(cell.value)
        return self._rows.get(r, [])


def kind_of(grid: Grid) -> str | None:
    """'project', 'department' or None (not a self-evaluation form)."""
    titles = _titles(grid)
    row_texts = _RowTexts(grid)
    has_header = any(cell.kind == "text" and isinstance(cell.value, str)
                     and (L.key(cell.value)[0] == "三级指标" or L.key(cell.value)[0] == L.FLAT_NAME
                          and L.is_name_header(cell.value, row_texts(r)))
                     for (r, _), cell in grid.cells.items())
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
    """One section per form on the sheet: forms printed side by side are cut at the empty
    column between them, and forms one under the other at each 项目名称 label row — or, where
    the second form's name label is one the reader does not know, after the first form's
    bottom lines (a table below them is a second form, never more rows of the first). A
    side-by-side table with no empty column before it is a Section with its problem named."""
    out: list[Section] = []
    bands = _bands(grid)
    if bands is None:
        whole = Section(grid, 1, max(grid.max_row, 1), where)
        heads = _side_heads(grid)
        whole.problem(f"第{heads[0][0]}行有并排的两张绩效指标表（「三级指标」表头在 {'、'.join(ref(*h) for h in heads)}），"
                      f"它们之间没有空列，无法分开读取；请把每个项目放在单独的工作表或上下排列")
        return [whole]
    for lo, hi, band in bands:
        at = where if len(bands) == 1 else f"{where}{col_letters(lo)}–{col_letters(hi)}列"
        out += _stacked(band, at, kind)
    return out


def _stacked(grid: Grid, where: str, kind: str) -> list[Section]:
    whole = Section(grid, 1, max(grid.max_row, 1), where)
    names = {r for r, c, _ in whole.anchors() if whole.key_at(r, c) in L.FIELDS["name"]} if kind == PROJECT else set()
    cuts = sorted(names | _unnamed_starts(whole))
    if len(cuts) <= 1 and not (cuts and cuts[0] > 1 and cuts[0] not in names):
        return [whole]
    out = []
    for i, r in enumerate(cuts):
        top = 1 if i == 0 and r in names else r
        bottom = cuts[i + 1] - 1 if i + 1 < len(cuts) else whole.bottom
        if i == 0 and top > 1:
            out.append(Section(grid, 1, top - 1, where, _sorted=whole._sorted))
        out.append(Section(grid, top, bottom, where, _sorted=whole._sorted))
    return out


def _unnamed_starts(sec: Section) -> set[int]:
    """First rows of the forms below another form's bottom lines (总分, 等级, 改进措施 …) that
    start with no 项目名称 label the reader knows."""
    from .tables import header_rows

    heads = header_rows(sec)
    closing = set().union(*(L.FIELDS[k] for k in ("indicator_score", "execution_score", "deduction", "total", "grade",
                                                  "cause", "remedy")), L.TABLE_END)
    starts = set()
    for h1, h2 in zip(heads, heads[1:]):
        last = None
        for r, c, _ in sec.anchors(h1 + 1, h2 - 1):
            k = sec.key_at(r, c)
            if k in closing or k.startswith(("指标自评得分小计", "绩效自评总得分", "总评价得分")):
                last = sec.grid.span(r, c)[2]
        if last is None:
            continue
        # the second form begins at its first row holding anything after the first one's bottom lines
        rows = [r for r, _, _ in sec.anchors(last + 1, h2)]
        named = any(sec.key_at(r, c) in L.FIELDS["name"] for r, c, _ in sec.anchors(last + 1, h2))
        if rows and not named:
            starts.add(rows[0])
    return starts


def _side_heads(grid: Grid) -> list[tuple[int, int]]:
    """The 三级指标 header cells of the first row holding more than one (forms side by side)."""
    rows: dict[int, list[int]] = {}
    row_texts = _RowTexts(grid)
    for (r, c), cell in sorted(grid.cells.items()):
        if cell.kind == "text" and isinstance(cell.value, str) and L.is_name_header(cell.value, row_texts(r)):
            rows.setdefault(r, []).append(c)
    for r, cols in sorted(rows.items()):
        if len(cols) > 1:
            return [(r, c) for c in cols]
    return []


def _bands(grid: Grid) -> list[tuple[int, int, Grid]] | None:
    """The column bands of the forms printed side by side (one band for one form), each as a
    grid of its own cells (same addresses); None when two tables touch with no empty column."""
    heads = _side_heads(grid)
    if not heads:
        return [(1, grid.max_col, grid)]
    used = {c for _, c in grid.cells}
    for r0, c0, r1, c1 in grid.merges:
        used.update(range(c0, c1 + 1))
    starts = [1]
    for (_, prev), (_, nxt) in zip(heads, heads[1:]):
        empty = [b for b in range(prev + 1, nxt) if b not in used]
        if not empty:
            return None
        starts.append(max(empty) + 1)
    out = []
    for i, lo in enumerate(starts):
        hi = starts[i + 1] - 1 if i + 1 < len(starts) else grid.max_col
        cells = {(r, c): cell for (r, c), cell in grid.cells.items() if lo <= c <= hi}
        merges = [m for m in grid.merges if lo <= m[1] and m[3] <= hi]
        out.append((lo, hi, Grid(grid.name, cells, merges, grid.formats_known, hidden=grid.hidden,
                                 hidden_rows=grid.hidden_rows)))
    return out
