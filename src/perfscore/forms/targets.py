"""Declared-target tables (绩效目标表, 项目支出绩效目标申报表) → ``targets.Declaration``.

Found by label, like the self-evaluation forms (``grid``, ``labels``, ``fields``): a table
is the rows from one 项目名称 label to the next on a sheet (a sheet or a workbook may hold
many: each is one project). In it:

- 项目名称, 项目编码, 主管部门, 实施单位 by their labels, the value right of the label;
- 预算数 (部门预算公开) or 年度资金总额 (申报表; never 中期资金总额), 其中：财政资金 /
  财政拨款, 其他资金;
- the goal: 绩效目标 / 年度目标 (never 中期目标 / 实施期目标), right of or under its label;
- the indicator table by its header row: 三级指标 (or 指标内容) with 指标值 / 年度指标值,
  and 一级指标, 二级指标, 分值/权重, 绩效指标描述, 指标值确定依据 where printed. A 指标值
  header merged over several columns (= | 100 | %) joins their texts. Two indicator tables
  in one project (中期 and 年度, side by side or one under the other) take the one labelled
  年度; when nothing says which is which, the table is refused, never guessed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from ..errors import SheetError
from ..projectfile import short
from ..targets import Declaration, DeclaredIndicator, DeclaredTask, normal_name
from . import labels as L
from .fields import Section, as_number, as_text
from .grid import NUMBER, PERCENT, Grid, read_workbook_grid, ref
from .project import read_text_fields

NAME_HEADERS = ("三级指标", "指标内容", "指标名称", "三级指标名称")
TARGET_HEADERS = ("指标值", "年度指标值", "目标值", "年度目标值", "绩效指标值", "指标目标值", "年初目标值")
DESCRIPTION_HEADERS = ("绩效指标描述", "指标描述", "指标解释")
BASIS_HEADERS = ("指标值确定依据", "指标值设定依据", "确定依据", "备注")
WEIGHT_HEADERS = ("分值", "权重", "指标分值", "指标权重")
BUDGET_LABELS = ("预算数", "年度资金总额", "年度预算资金总额", "年度预算数", "本年预算数", "项目预算金额", "预算金额")
FISCAL_LABELS = ("其中:财政资金", "财政资金", "其中:财政拨款", "财政拨款", "其中:财政拨款收入", "财政拨款收入")
OTHER_LABELS = ("其他资金", "其中:其他资金")
GOAL_LABELS = ("绩效目标", "年度目标", "年度绩效目标", "本年度目标", "年度总体目标")
CODE_LABELS = ("项目编码", "项目代码")
DEPARTMENT_LABELS = ("主管部门及代码", "主管部门及编码", "主管部门编码")
_YEARLY = re.compile(r"年度")
_YEAR_LABEL = re.compile(r"^(?:预算年度|年度|申报年度|评价年度)[:：]?\s*((?:19|20|21)\d{2})\s*年?$")
_YEAR_TITLE = re.compile(r"[（(]\s*((?:19|20|21)\d{2})\s*年度?\s*[)）]|^((?:19|20|21)\d{2})\s*年度?.*(?:目标表|申报表)")
_YEAR_CAPTION = re.compile(r"(?:预算年度|申报年度|评价年度)[:：]?\s*((?:19|20|21)\d{2})")
_LONG = re.compile(r"中期|长期|实施期|总目标")


def is_target_sheet(grid: Grid) -> bool:
    """A sheet that holds a declared-target table: a 目标表/申报表 title (or sheet name) and an
    indicator header with 指标值 but no 实际完成值."""
    keys = {L.key(c.value)[0] for c in grid.cells.values() if c.kind == "text" and isinstance(c.value, str)}
    if not keys & set(NAME_HEADERS) or not keys & set(TARGET_HEADERS):
        return False
    if keys & set(L.INDICATOR_COLUMNS["actual"]):
        return False
    texts = _titles(grid, keys)
    return any(w in t for t in texts for w in ("目标表", "申报表", "监控表", "绩效目标")) or bool(keys & set(CODE_LABELS))


def _titles(grid: Grid, keys: set[str] | None = None) -> list[str]:
    if keys is None:
        keys = {L.key(c.value)[0] for c in grid.cells.values() if c.kind == "text" and isinstance(c.value, str)}
    return [L.key(grid.name)[0]] + [k for k in keys if "表" in k and len(k) <= 60]


def is_monitoring_sheet(grid: Grid) -> bool:
    """A 绩效目标执行监控表 (its 年度指标值 is the declared target; the 执行情况 are not read)."""
    return any("监控" in t for t in _titles(grid))


def _year(sec: Section, whole: Section) -> int | None:
    """预算年度：2024, 年度 | 2024, or a title's （2024年度）: in the table, else on the sheet
    above it; never a year inside a goal's text."""
    for part in (sec, whole):
        for r, c, cell in part.anchors(part.top, part.bottom if part is sec else sec.top):
            if not isinstance(cell.value, str) or cell.kind != "text":
                if part.key_at(r, c - 1) in ("年度", "预算年度", "申报年度") and isinstance(cell.value, Decimal):
                    if 1900 <= cell.value <= 2200 and cell.value == cell.value.to_integral_value():
                        return int(cell.value)
                continue
            text = " ".join(cell.value.split())
            m = _YEAR_LABEL.match(text) or (_YEAR_TITLE.search(text) if len(text) <= 60 else None)
            if m:
                return int(next(g for g in m.groups() if g))
    name = " ".join(sec.grid.name.split())  # a sheet's name, or a document table's caption
    m = _YEAR_LABEL.match(name) or _YEAR_TITLE.search(name) or _YEAR_CAPTION.search(name)
    return int(next(g for g in m.groups() if g)) if m else None


def _sections(grid: Grid, where: str) -> list[Section]:
    whole = Section(grid, 1, max(grid.max_row, 1), where)
    rows = sorted({r for r, c, _ in whole.anchors() if whole.key_at(r, c) in L.FIELDS["name"]})
    if len(rows) <= 1:
        return [whole]
    return [Section(grid, 1 if i == 0 else r, rows[i + 1] - 1 if i + 1 < len(rows) else whole.bottom, where,
                    _sorted=whole._sorted) for i, r in enumerate(rows)]


def _labelled(sec: Section, synonyms: tuple[str, ...], r1: int):
    at = sec.find(synonyms, sec.top, r1)
    return None if at is None else (at, *sec.value_right(*at))


def _amount(sec: Section, synonyms: tuple[str, ...], r1: int, what: str, column: int | None = None
            ) -> tuple[Decimal | None, str, int | None]:
    """The amount right of the first label among ``synonyms`` (in their order; with
    ``column``, the label in that column first: the 年度 side's 其中 rows); its cell and the
    label's column (the label's cell and None when the amounts stand under column headers
    none of which is 年初预算数)."""
    found = [(r, c) for r, c, _ in sec.anchors(sec.top, r1) if sec.key_at(r, c) in synonyms]
    found.sort(key=lambda rc: (column is not None and rc[1] != column, synonyms.index(sec.key_at(*rc)), rc))
    for r, c in found:
        headed = _initial_column(sec, r, c)
        if headed is not None:  # amounts in columns (执行监控表): the 年初预算数 one, never the first
            if not headed:
                return None, ref(r, c), None
            return as_number(sec.grid.get(r, headed), sec, what), ref(r, headed), c
        cell, where = sec.value_right(r, c)
        if cell is not None and int(re.sub(r"\D", "", where) or 0) != r:
            # below the label, not right of it: only a number there is the amount (an empty
            # 其他资金 is no amount, not the 资金用途 text under it)
            cell = cell if cell.kind in (NUMBER, PERCENT) else None
        return as_number(cell, sec, what), where, c
    return None, "", None


_MONTHS = re.compile(r"^\d{1,2}[-—–~至]\d{1,2}月(?:执行数|执行率|预算执行数|预算执行率)$")
_AMOUNT_HEADS = frozenset(w for role in ("initial", "adjusted", "executed", "rate") for w in L.BUDGET_COLUMNS[role])


def _initial_column(sec: Section, r: int, c: int) -> int | None:
    """Where the amount right of the label at (r, c) stands under column headers (the
    执行监控表's 年初预算数 | 全年预算数 | 1-7月执行数 | 1-7月执行率, a few rows above): the
    年初预算数 column, 0 when those headers have none; None when no headers stand above."""
    for row in range(r - 1, max(sec.top, r - 4) - 1, -1):
        hits = [(cc, sec.key_at(row, cc)) for _, cc, _ in sec.anchors(row, row) if cc > c]
        hits = [(cc, k) for cc, k in hits if k in _AMOUNT_HEADS or _MONTHS.match(k)]
        if hits:
            return next((cc for cc, k in hits if k in L.BUDGET_COLUMNS["initial"]), 0)
    return None


def _headers(sec: Section) -> list[tuple[int, int]]:
    """(row, column) of every 三级指标 header cell that has a 指标值 header in its row."""
    out = []
    for r, c, _ in sec.anchors():
        if sec.key_at(r, c) in NAME_HEADERS and any(
                sec.key_at(r, cc) in TARGET_HEADERS for cc in range(c + 1, sec.grid.max_col + 1)):
            out.append((r, c))
    return out


def _label_of(sec: Section, r: int, c0: int, c1: int) -> str:
    """The words naming the indicator table whose header starts at (r, c0): the row's cells
    left of it, the row above over its columns, and the nearest title above."""
    g = sec.grid
    texts = []
    for c in range(1, c0):
        cell = g.get(r, c)
        if cell is not None and isinstance(cell.value, str):
            texts.append(cell.value)
    if r - 1 >= sec.top:  # a group header just above (年度指标 over its columns); not a goal's text
        for c in range(c0, c1 + 1):
            cell = g.get(r - 1, c)
            if cell is not None and isinstance(cell.value, str) and len(cell.value) <= 20:
                texts.append(cell.value)
    return " ".join(texts)


def _choose(sec: Section, heads: list[tuple[int, int]]) -> tuple[int, int, int] | None:
    """The header of the 年度 table: (row, first column, last column)."""
    g = sec.grid
    blocks = []
    for r, c in heads:
        same_row = sorted(cc for rr, cc in heads if rr == r)
        nxt = [cc for cc in same_row if cc > c]
        last = (nxt[0] - 1) if nxt else g.max_col
        # a block's own 一级/二级 headers sit just left of its 三级; the first block owns column 1
        first = c
        while first > 1 and sec.key_at(r, first - 1) in ("一级指标", "二级指标"):
            first -= 1
        prev = [cc for cc in same_row if cc < c]
        if not prev:
            first = 1
        blocks.append((r, first, last, c))
    if len(blocks) == 1:
        r, first, last, _ = blocks[0]
        return r, first, last
    labelled = [(b, _label_of(sec, b[0], b[3] if b[1] > 1 else b[1], b[2])) for b in blocks]
    yearly = [b for b, text in labelled if _YEARLY.search(text) and not _LONG.search(text.replace("年度目标", ""))]
    if len(yearly) == 1:
        r, first, last, _ = yearly[0]
        return r, first, last
    shown = "、".join(ref(b[0], b[3]) for b in blocks)
    sec.problem(f"有 {len(blocks)} 张绩效指标表（三级指标表头在 {shown}），无法确定哪一张是年度指标"
                "（请在表头上方或左侧注明「年度」/「中期」）")
    return None


def _columns(sec: Section, r: int, first: int, last: int, name_col: int) -> dict[str, tuple[int, int]]:
    """Each field's column range (merged headers span several) in the header row r."""
    g = sec.grid
    cols: dict[str, tuple[int, int]] = {}
    c = 1
    while c <= g.max_col:
        r0, c0, _, c1 = g.span(r, c)
        k = sec.key_at(r0, c0) if r0 == r else ""
        inside = first <= c0 <= last
        for name, synonyms in (("level1", ("一级指标",)), ("level2", ("二级指标",)), ("name", NAME_HEADERS),
                               ("target", TARGET_HEADERS), ("weight", WEIGHT_HEADERS),
                               ("description", DESCRIPTION_HEADERS), ("basis", BASIS_HEADERS)):
            if k in synonyms and name not in cols and (inside or name == "level1"):
                if name == "name" and c0 != name_col:
                    continue
                cols[name] = (c0, c1)
        c = c1 + 1
    if "level1" in cols and cols["level1"][0] > last:
        cols.pop("level1")
    return cols


def _text_in(sec: Section, r: int, span: tuple[int, int], what: str) -> tuple[str | None, str]:
    """The text of row r across a header's columns (cells joined; a - or / standing in an
    operator or unit column beside a text target is no part of it), and the first cell."""
    g = sec.grid
    found, seen = [], set()
    for c in range(span[0], span[1] + 1):
        anchor = g.span(r, c)[:2]
        if anchor in seen:
            continue
        seen.add(anchor)
        cell = g.get(r, c)
        text = as_text(cell, sec, what) if cell is not None else None
        if text:
            found.append((cell.ref, " ".join(text.split())))
    if len(found) > 1:
        found = [f for f in found if f[1] not in ("-", "—", "/", "－", "／")] or found
    parts = [t for _, t in found]
    first_ref = found[0][0] if found else ref(r, span[0])
    return ("".join(parts) if len(parts) > 1 and len("".join(parts)) <= 40 else " ".join(parts)) or None, first_ref


def _indicators(sec: Section, r: int, cols: dict[str, tuple[int, int]]) -> list[DeclaredIndicator]:
    g = sec.grid
    bottom = max(g.span(r, c)[2] for c in range(cols["name"][0], cols["name"][1] + 1))
    out: list[DeclaredIndicator] = []
    level1 = level2 = None
    for row in range(bottom + 1, sec.bottom + 1):
        name_anchor = g.span(row, cols["name"][0])
        if name_anchor[1] < cols["name"][0] and name_anchor[3] >= cols["name"][0]:
            if out:
                break  # a title merged across the table ends it
            continue
        l1 = g.get(row, cols["level1"][0]) if "level1" in cols else None
        l2 = g.get(row, cols["level2"][0]) if "level2" in cols else None
        if l1 is not None and isinstance(l1.value, str):
            text = " ".join(l1.value.split())
            if text != level1 and g.span(row, cols["level1"][0])[0] == row:
                level2 = None
            level1 = text
        if l2 is not None and isinstance(l2.value, str):
            level2 = " ".join(l2.value.split())
        cell = g.get(row, cols["name"][0])
        if cell is None or name_anchor[0] != row:
            target, _ = _text_in(sec, row, cols["target"], "指标值")
            if target is None and out and not any(g.get(row, c) for c in range(1, g.max_col + 1)):
                break  # an empty row ends the table
            continue
        name = as_text(cell, sec, "三级指标")
        if not name or L.key(name)[0] in NAME_HEADERS:
            continue
        name = " ".join(name.split())
        label = f"「{short(name, 30)}」"
        if level1 is None:
            sec.problem(f"单元格 {ref(row, cols.get('level1', cols['name'])[0])}（一级指标，{label}）为空")
            continue
        target, target_ref = _text_in(sec, row, cols["target"], "指标值")
        weight = None
        if "weight" in cols:
            weight = as_number(g.get(row, cols["weight"][0]), sec, "分值")
        extra = {}
        for key in ("description", "basis"):
            if key in cols:
                extra[key], _ = _text_in(sec, row, cols[key], key)
        out.append(DeclaredIndicator(level1, level2 or "", name, target, weight, cell=cell.ref, target_cell=target_ref, **extra))
    return out


DEPARTMENT_BUDGET = ("年度部门预算支出", "年度部门预算收入", "部门年初预算支出金额", "部门年初预算收入金额", "部门预算支出", "部门预算收入")
TASKS_LABEL = ("年度主要任务", "主要任务")
TASK_NAME = ("对应项目", "重点工作", "任务名称")
TASK_BUDGET = ("预算资金情况", "预算资金", "预算金额", "项目下达金额", "下达金额", "预算数")


def is_department(sec: Section, h: int) -> bool:
    """A 部门(单位)整体支出绩效目标申报表: a title with 整体, or a 部门(单位)名称 with 年度主要任务."""
    titles = [L.key(sec.grid.name)[0]] + [sec.key_at(r, c) for r, c, _ in sec.anchors(sec.top, h - 1)]
    if any("整体" in t and "表" in t for t in titles):
        return True
    keys = {sec.key_at(r, c) for r, c, _ in sec.anchors(sec.top, h - 1)}
    return bool(keys & set(TASKS_LABEL)) and bool(keys & {"部门(单位)名称", "部门名称", "单位名称"})


def _tasks(sec: Section, h: int) -> list[DeclaredTask]:
    """The 年度主要任务 table above the indicators: a header row (重点工作 | 对应项目 |
    预算资金情况 | 完成时限) right of its label, a row per task until the next label."""
    at = sec.find(TASKS_LABEL, sec.top, h - 1)
    if at is None:
        sec.problem("整体绩效目标申报表中找不到「年度主要任务」")
        return []
    r = at[0]
    keys = {sec.key_at(r, c): c for _, c, _ in sec.anchors(r, r)}
    name_col = next((keys[k] for k in TASK_NAME if k in keys), None)
    budget_col = next((keys[k] for k in TASK_BUDGET if k in keys), None)
    if name_col is None:
        sec.problem(f"第{r}行「年度主要任务」的表头中找不到{'/'.join(TASK_NAME)}")
        return []
    out = []
    for row in range(sec.grid.span(r, name_col)[2] + 1, h):
        first = sec.grid.span(row, at[1])
        if first[0] == row and sec.key_at(row, at[1]):
            break  # the next label (年度绩效目标) ends the table
        cell = sec.grid.get(row, name_col)
        name = as_text(cell, sec, "对应项目") if cell is not None else None
        if not name:
            work = sec.grid.get(row, keys.get("重点工作", name_col))
            name = as_text(work, sec, "重点工作") if work is not None else None
        if not name:
            continue
        budget = as_number(sec.grid.get(row, budget_col), sec, "预算资金") if budget_col else None
        out.append(DeclaredTask(" ".join(name.split()), budget, ref(row, name_col)))
    return out


def read_section(sec: Section, source: str) -> Declaration | None:
    heads = _headers(sec)
    if not heads:
        return None
    chosen = _choose(sec, heads)
    if chosen is None:
        return None
    h, first, last = chosen
    name_col = next(c for r, c in heads if r == h and first <= c <= last)
    data: dict = {}
    read_text_fields(sec, data, ("name", "department", "unit", "filler"), {"name": "项目名称"})
    if "name" not in data:
        return None
    cols = _columns(sec, h, first, last, name_col)
    if "level1" not in cols:
        sec.problem(f"找不到「一级指标」列（表头在第{h}行）")
        return None
    budget, budget_ref, column = _amount(sec, BUDGET_LABELS, h, "预算数")
    fiscal, _, _ = _amount(sec, FISCAL_LABELS, h, "财政资金", column)
    other, _, _ = _amount(sec, OTHER_LABELS, h, "其他资金", column)
    if "department" not in data:
        found = _labelled(sec, DEPARTMENT_LABELS, h)
        if found and found[1] is not None:
            data["department"] = as_text(found[1], sec, "主管部门")
            sec.cells["department"] = found[2]
    code = _labelled(sec, CODE_LABELS, h)
    goal = None
    goal_ref = ""
    for r, c, _ in sec.anchors(sec.top, h - 1):
        k = sec.key_at(r, c)
        if k in GOAL_LABELS:
            cell, where = sec.value_right(r, c)
            if cell is not None and isinstance(cell.value, str) and not _LONG.search(L.key(cell.value)[0][:6]):
                goal, goal_ref = as_text(cell, sec, "绩效目标"), where
                break
    indicators = _indicators(sec, h, cols)
    if not indicators and not sec.problems:
        sec.problem(f"第{h}行的绩效指标表下没有指标")
    department = is_department(sec, h)
    if department:  # 部门整体支出绩效目标申报表: the 部门预算 and the 年度主要任务
        budget, budget_ref, column = _amount(sec, DEPARTMENT_BUDGET, h, "部门预算")
        fiscal = other = None
    decl = Declaration(
        source, data["name"], indicators,
        code=as_text(code[1], sec, "项目编码") if code and code[1] is not None else None,
        department=data.get("department"), unit=data.get("unit"), year=_year(sec, Section(sec.grid, 1, sec.bottom, sec.where, _sorted=sec._sorted)),
        budget=budget, fiscal=fiscal, other=other, goal=goal,
        cells={k: v for k, v in (("name", sec.cells.get("name", "")), ("budget", budget_ref), ("goal", goal_ref)) if v},
        kind="department" if department else "project", tasks=_tasks(sec, h) if department else [],
    )
    if budget is None and budget_ref and column is None:
        decl.notes.append(f"{source} 单元格 {budget_ref}: 预算表的金额列中没有「年初预算数」（只有全年预算数、执行数等），"
                          "年初预算数须手工填写")
    elif budget is None:
        looked = DEPARTMENT_BUDGET if department else BUDGET_LABELS
        decl.notes.append(f"{source}: 找不到预算数（查找的标签：{'、'.join(looked)}），"
                          f"{'部门预算金额（department_budget）' if department else '年初预算数'}须手工填写")
    return decl


def read_declarations(path: Path | str, data: bytes | None = None) -> list[Declaration]:
    """Every declared project of a .xlsx/.xls/.ods workbook, or of the tables of a Word
    document (.docx) or a text PDF (``documents``: each table a grid, its caption the grid's
    name), in sheet (table) and row order (a project of a 执行监控表 also declared by a 申报表 of
    the file is that 申报表's). All problems are raised together;
    a file with no target table is refused."""
    path = Path(path)
    if path.suffix.lower() in (".docx", ".pdf"):
        from .documents import read_document_tables

        tables = read_document_tables(path, data)
        grids = [(t.grid, t.label + (f"「{t.grid.name}」" if t.grid.name else ""), t.label) for t in tables]
        kind = "文档"
    else:
        grids = [(g, f"工作表「{g.name}」", f"「{g.name}」") for g in read_workbook_grid(path, data).sheets]
        kind = "工作表"
    out: list[Declaration] = []
    monitored: set[int] = set()  # ids of those read from a 执行监控表
    problems: list[str] = []
    for grid, place, name in grids:
        if not is_target_sheet(grid):
            continue
        monitoring = is_monitoring_sheet(grid)
        where = f"文件 {path} {place}"
        parts = _sections(grid, where)
        for i, sec in enumerate(parts):
            source = f"{path}{name}" + (f"第{i + 1}个项目" if len(parts) > 1 else "")
            try:
                decl = read_section(sec, source)
            except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
                problems.append(f"{where}: 无法识别第{sec.top}–{sec.bottom}行的绩效目标表（{type(exc).__name__}）")
                continue
            if sec.problems:
                problems += sec.problems
                continue
            if decl is not None:
                out.append(decl)
                if monitoring:
                    monitored.add(id(decl))
    # the budget system's export prints a project's 申报表 and its 执行监控表: the 申报表 is the declaration
    declared = {(normal_name(d.name), normal_name(d.unit)) for d in out if id(d) not in monitored}
    out = [d for d in out if id(d) not in monitored or (normal_name(d.name), normal_name(d.unit)) not in declared]
    if problems:
        raise SheetError(problems)
    if not out:
        names = "、".join(f"「{g.name}」" if kind == "工作表" else label for g, _, label in grids) or "无"
        raise SheetError(f"文件 {path}: 找不到绩效目标表（需有「项目名称」和含「三级指标」「指标值」的表头）；"
                         f"{'工作表' if kind == '工作表' else '文档中的表格'}：{names}")
    return out
