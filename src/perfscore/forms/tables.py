"""The indicator table (绩效指标), found by its header row(s), read as the model's indicators.

One or two header rows: a group header (年度指标值, 年度目标值, 未完成原因分析) may hold
sub-headers below it (年初指标值 + 调整后指标值; 运算符号 + 指标值/内容 + 度量单位; 原因说明).
Each column is named by its lowest header cell. Several blocks, each with its own header
(湖北's 年度绩效目标 1, 2 …), are read as one list. 一级/二级 are filled down through merged
and blank cells; rows without a 三级 name are skipped; a table ends at 总分 / 合计 / 总计.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ..projectfile import short
from ..values import CellValueError, Quantity, format_number, parse_value
from . import labels as L
from .fields import Section, as_number, as_text
from .grid import NUMBER, PERCENT, ref

_BLOCK_BREAK = re.compile(r"^(年度目标\d*|年度目标\d+:.*|偏差大或目标未完成原因分析|改进措施及结果应用方案|改进措施)$")
# a grade text followed by its completion band, as the 辽宁 form's drop-down prints it
_GRADE_BAND = re.compile(r"^((?:全部|基本|部分|未)\D*?(?:达成|完成|达到)\D*?)\s*[（(\[]?\s*\d+(?:\.\d+)?\s*[%％]?\s*"
                         r"[（(]?[不含]*[）)]?\s*[-~～—–至]\s*\d+(?:\.\d+)?\s*[%％]\s*[（(]?[不含]*[）)]?\s*[\])）]?$")
_SLOT = re.compile(r"^指标\s*\d{1,2}\s*[:：、.．]?\s*([\u4e00-\u9fffA-Za-z（(].+)$", re.S)
_PLACEHOLDER = re.compile(r"^(指标\d*|…+|\.{3,})[:：]?$")
# fields whose cell is their own: one merged over from a neighbouring column is empty, not the neighbour's
_OWN_CELL = ("target", "target_initial", "value", "actual", "weight", "score", "completion")
# fields read from exactly one column: a second header for one of them is ambiguous
_ONE_COLUMN = ("level1", "level2", "name", "target", "target_initial", "target_adjusted", "operator", "value", "unit",
               "actual", "weight", "score", "completion")
_GROUPS = ("年度指标值", "年度目标值", "指标值", "未完成原因分析", "偏差原因分析", "原因分析", "年度绩效指标值")
_COLUMN_LABELS = {
    "level1": "一级指标", "level2": "二级指标", "name": "三级指标", "target": "年度指标值",
    "target_initial": "年初指标值", "operator": "运算符号", "value": "指标值", "unit": "度量单位",
    "actual": "实际完成值", "weight": "分值", "score": "得分", "completion": "完成程度",
    "cause": "偏差原因分析", "remedy": "改进措施",
}


def header_rows(sec: Section, r0: int | None = None, r1: int | None = None) -> list[int]:
    """Rows holding a 三级指标 header cell, top to bottom."""
    rows = []
    for r, c, cell in sec.anchors(r0, r1):
        k = sec.key_at(r, c)
        if k in L.INDICATOR_COLUMNS["name"] and r not in rows and (
                k != L.FLAT_NAME or L.is_name_header(cell.value, [x.value for _, _, x in sec.anchors(r, r)])):
            rows.append(r)
    return rows


def _columns(sec: Section, h: int) -> tuple[dict[str, int], int, list[str]]:
    """Column of each field for the header at row h, the first data row, and the headers as
    printed (for messages)."""
    g = sec.grid
    rows = [h]
    # a group header above (年度目标值 over 运算符号/内容/度量单位 when 三级指标 sits on the 2nd row)
    if h - 1 >= sec.top and any(sec.key_at(h - 1, c) in _GROUPS and g.span(h - 1, c)[3] > c
                                for c in range(1, g.max_col + 1)):
        rows.insert(0, h - 1)
    # sub-headers below
    known = set().union(*L.INDICATOR_COLUMNS.values(), _GROUPS)
    heads = [c for c in range(1, g.max_col + 1) if sec.key_at(*g.span(h, c)[:2]) in known]
    below = min(g.span(h, c)[2] for c in heads) + 1 if heads else h + 1
    subs = set().union(*L.SUB_COLUMNS.values())
    if any(sec.key_at(below, c) in subs for c in range(1, g.max_col + 1)):
        rows.append(below)
    cols: dict[str, int] = {}
    printed: list[str] = []
    seen: set[tuple[int, int]] = set()
    bottoms: list[int] = []
    heads_at: list[tuple[str, str, str]] = []  # (cell, field, header as printed)
    has_operator = any(L.key(g.get(rows[-1], c).value)[0] in L.SUB_COLUMNS["operator"]
                       for c in range(1, g.max_col + 1) if g.get(rows[-1], c) is not None and isinstance(g.get(rows[-1], c).value, str))
    for c in range(1, g.max_col + 1):
        leaf = None
        for r in reversed(rows):
            cell = g.get(r, c)
            if cell is not None and isinstance(cell.value, str):
                leaf = (g.span(r, c)[:2], cell.value)
                break
        if leaf is None or leaf[0] in seen:
            continue
        seen.add(leaf[0])
        k = L.key(leaf[1])[0]
        printed.append(short(" ".join(leaf[1].split()), 16))
        name = None
        if k in L.SUB_COLUMNS["target_initial"]:
            name = "target_initial"
        elif k in L.SUB_COLUMNS["target_adjusted"]:
            name = "target_adjusted"
        elif k in L.SUB_COLUMNS["operator"]:
            name = "operator"
        elif k in L.SUB_COLUMNS["unit"]:
            name = "unit"
        elif has_operator and k in L.SUB_COLUMNS["value"]:
            name = "value"
        elif k in L.SUB_COLUMNS["cause"] and k not in L.INDICATOR_COLUMNS["cause"]:
            name = "cause"
        else:
            name = L.which(leaf[1], L.INDICATOR_COLUMNS)
        if name and name in cols and name in _ONE_COLUMN and cols[name] != leaf[0][1]:
            first = [x for x in heads_at if x[1] == name][0]
            sec.problem(f"表头第{h}行有两列都是{_COLUMN_LABELS.get(name, name)}：{first[0]}「{first[2]}」和 "
                        f"{ref(*leaf[0])}「{short(' '.join(leaf[1].split()), 16)}」，无法确定读哪一列；请删除或改名其中一列")
        if name and name not in cols:
            if name == "weight":
                sec.weight_header = (" ".join(leaf[1].split()), ref(*leaf[0]))
            cols[name] = leaf[0][1]
            bottoms.append(g.span(*leaf[0])[2])
            heads_at.append((ref(*leaf[0]), name, short(" ".join(leaf[1].split()), 16)))
    first_data = max(bottoms, default=rows[-1]) + 1
    if "target_adjusted" in cols:
        cols["target"] = cols.pop("target_adjusted")
    elif "target_initial" in cols and "target" not in cols:
        cols["target"] = cols.pop("target_initial")
    if "value" in cols:
        cols.pop("target", None)
    return cols, first_data, printed


def _ends(sec: Section, r: int) -> str | None:
    """'end' at 总分/合计/总计, 'break' at a row that closes a block, else None."""
    for c in range(1, sec.grid.max_col + 1):
        k = sec.key_at(r, c)
        if not k:
            continue
        if k in L.TABLE_END or k.startswith(("指标自评得分小计", "绩效自评总得分", "总评价得分")):
            return "end"
        if _BLOCK_BREAK.match(k) or k in L.FIELDS["cause"] or k in L.FIELDS["remedy"]:
            return "break"
    return None


def read_indicators(sec: Section, r0: int, r1: int, shares: dict[str, Decimal]) -> tuple[list[dict], int | None, dict[str, int]]:
    """Indicators of every block in rows r0..r1; the 总分/合计 row (None when absent) and the
    columns of the last block."""
    heads = header_rows(sec, r0, r1)
    if not heads:
        names = "、".join(f"「{w}」" for w in L.INDICATOR_COLUMNS["name"] if w != L.FLAT_NAME)
        sec.problem(f"找不到绩效指标表：第{r0}–{r1}行没有{names}表头（或与「完成值」同一行的「{L.FLAT_NAME}」表头）")
        return [], None, {}
    out: list[dict] = []
    end_row = None
    cols: dict[str, int] = {}
    level1 = level2 = None
    for i, h in enumerate(heads):
        cols, first, printed = _columns(sec, h)
        missing = [(label, L.INDICATOR_COLUMNS[k]) for k, label in L.REQUIRED_COLUMNS.items() if k not in cols]
        if "target" not in cols and "value" not in cols:
            missing.insert(1, ("年度指标值", L.INDICATOR_COLUMNS["target"] + L.SUB_COLUMNS["target_adjusted"]))
        if missing:
            looked = "；".join(f"{label}：{'、'.join(words)}" for label, words in missing)
            sec.problem(f"找不到「{'」「'.join(label for label, _ in missing)}」列（表头在第{h}行：{'、'.join(printed)}；"
                        f"查找的表头 — {looked}）")
            return [], None, cols
        stop = heads[i + 1] if i + 1 < len(heads) else r1 + 1
        for r in range(first, stop):
            end = _ends(sec, r)
            if end == "end":
                end_row = r
                break
            if end == "break":
                break
            if _execution_row(sec, r, cols):
                continue
            row = _row(sec, r, cols, level1, level2, shares)
            if row is None:
                continue
            level1, level2, data = row
            if data is not None:
                out.append(data)
        if end_row is not None:
            break
    return out, end_row, cols


_NATURE = ("定量", "定性")
FLAT_LEVEL = "绩效指标"  # the 一级 of an indicator on a list without levels (重庆), scored by its own weight


def _flat_level(sec: Section, r: int, cols: dict[str, int]) -> str | None:
    """A flat list's 一级: the 指标性质 cell when it names a level (产出指标 …), else None."""
    c = cols.get("operator")
    cell = sec.grid.get(r, c) if c is not None else None
    if cell is None or not isinstance(cell.value, str):
        return None
    text = " ".join(cell.value.split())
    return text if _LEVEL_NAME.match(text) and text not in _NATURE and not _OPERATOR_WORD.match(text) else None


_LEVEL_NAME = re.compile(r"^[\u4e00-\u9fff]{2,12}$")
_OPERATOR_WORD = re.compile(r"^(大于|小于|等于|不低于|不高于|不少于|不超过|不多于|高于|低于|达到)")


def _header_of(sec: Section, r: int) -> int:
    return max((h for h in header_rows(sec, sec.top, r) if h <= r), default=sec.top)


def _with_unit(text: str | None, cols: dict[str, int], g, r: int, sec: Section) -> str | None:
    """A bare number under a header whose unit is a column of its own (计量单位, no 指标值
    sub-column): the number with that unit (=100 and % → =100%)."""
    if not text or "unit" not in cols or "value" in cols:
        return text
    unit = _unit(as_text(g.get(r, cols["unit"]), sec, "计量单位"))
    if not unit:
        return text
    try:
        parsed = parse_value(text)
    except CellValueError:
        return text
    if isinstance(parsed, Quantity) and not parsed.unit and not parsed.label:
        return f"{text}{unit}"
    return text
_UNIT_NOTE = re.compile(r"^(.+?)\s*[（(][^（()）]*[）)]$")


def _unit(text: str | None) -> str | None:
    """A unit without the description 河北 prints after it: ``%（百分比）`` → ``%``."""
    if not text:
        return text
    m = _UNIT_NOTE.match(text.strip())
    return m.group(1) if m else text


def _execution_row(sec: Section, r: int, cols: dict[str, int]) -> bool:
    """河北 成安 prints 预算执行率 as a row of the indicator table, its label over the level and
    name columns: its 权重 is the execution weight, its 完成值 the reported rate, its 得分 the
    reported execution score (sec.execution, with their cells)."""
    g = sec.grid
    first = min(cols.get("level1", cols["name"]), cols["name"])
    r0, c0, _, c1 = g.span(r, first)
    if r0 != r or c0 >= cols["name"] or sec.key_at(r0, c0) not in L.FIELDS["execution_rate"] or c1 < cols["name"]:
        return False
    for key, what, percent in (("weight", "分值", False), ("actual", "执行率", True), ("score", "得分", False)):
        if key not in cols:
            continue
        cell = g.get(r, cols[key])
        number = as_number(cell, sec, f"预算执行率的{what}", percent=percent) if cell is not None else None
        if number is not None:
            sec.execution[key] = (number, cell.ref)
    return True


def _level(sec: Section, r: int, c: int | None, shares: dict[str, Decimal]) -> tuple[str | None, bool]:
    """The level name at (r, c) with its printed share stripped; whether it starts here."""
    if c is None:
        return None, False
    cell = sec.grid.get(r, c)
    if cell is None:
        return None, False
    text = as_text(cell, sec, "指标层级")
    if not text:
        return None, False
    name, share = L.key(text)
    if share is not None:
        shares[name] = share
    display = " ".join(text.split())
    if share is not None:
        display = re.sub(r"\s*[（(]\s*[\d.]+\s*分\s*[）)]\s*$", "", display)
    return display, sec.grid.span(r, c)[0] == r


def _row(sec: Section, r: int, cols: dict[str, int], level1, level2, shares):
    g = sec.grid
    l1, l1_new = _level(sec, r, cols.get("level1"), shares)
    l2, _ = _level(sec, r, cols.get("level2"), shares)
    if l1 is not None:
        if l1_new and l1 != level1:
            level2 = None
        level1 = l1
    if l2 is not None:
        level2 = l2
    name_cell = g.get(r, cols["name"])
    if name_cell is None:
        _nameless(sec, r, cols)
        return level1, level2, None
    if g.span(r, cols["name"])[0] != r:
        return level1, level2, None
    # a text merged across the name and actual columns is a block title, not an indicator
    if cols["actual"] > cols["name"] and g.span(r, cols["name"])[3] >= cols["actual"]:
        return None
    name = as_text(name_cell, sec, "三级指标")
    if not name or L.key(name)[0] in L.INDICATOR_COLUMNS["name"]:
        return level1, level2, None
    if "level1" not in cols and "level2" not in cols:
        level1 = _flat_level(sec, r, cols)
    slot = _SLOT.match(name)
    if slot:
        name = slot.group(1)  # the blank form's slot label typed over (指标1工程资金金额, 指标2：…)
    if _PLACEHOLDER.match(L.key(name)[0]) and not any(
            g.get(r, cols[k]) is not None for k in ("target", "value", "actual") if k in cols):
        return level1, level2, None  # an unused row of the blank form (指标1：, 指标2：…)
    n = sec.count
    prefix = f"indicators[{n}]"
    cells = {f"{prefix}.name": name_cell.ref}
    data: dict[str, object] = {"level1": level1, "level2": level2 or "", "name": name}
    label = f"「{name[:30]}」"
    if level1 is None and "level1" in cols:
        sec.problem(f"单元格 {ref(r, cols.get('level1', cols['name']))}（一级指标，{label}）为空")
    elif level1 is None:
        data["level1"] = FLAT_LEVEL
        note = (f"{sec.where}: 绩效指标表没有一级/二级指标列（表头在第{_header_of(sec, r)}行）：各指标按其权重计分，"
                f"一级指标记为「{FLAT_LEVEL}」")
        if "weight" in cols and note not in sec.findings:
            sec.findings.append(note)
        if "weight" not in cols:
            sec.problem(f"绩效指标表没有一级指标列（表头在第{_header_of(sec, r)}行），也没有权重/分值列：无法按一级指标分配分值；"
                        "请填写各指标的权重")

    owners = {c: k for k, c in cols.items()}

    def take(key: str, what: str):
        c = cols.get(key)
        if c is None:
            return None, None
        cell = g.get(r, c)
        r0, c0, r1, c1 = g.span(r, c)
        if c0 != c and owners.get(c0, key) != key and key in _OWN_CELL:
            # docs/scoring.md §9: a merge from the neighbour's column (年度指标值 over 实际完成值) leaves
            # this field empty; the neighbour's value is never read as this one's
            sec.problem(f"单元格 {ref(r, c)}（{what}，{label}）为空：它被单元格 {ref(r0, c0)}"
                        f"（{_COLUMN_LABELS.get(owners[c0], owners[c0])}）的合并区域 {ref(r0, c0)}:{ref(r1, c1)} 盖住；"
                        f"请取消合并并填写{what}")
            covered.add(key)
            cell = None
        cells[f"{prefix}.{key}"] = cell.ref if cell is not None else ref(r, c)
        return cell, ref(r, c)

    covered: set[str] = set()

    if "value" in cols:
        op_cell, _ = take("operator", "运算符号")
        value_cell, value_ref = take("value", "指标值")
        unit_cell, _ = take("unit", "度量单位")
        op = as_text(op_cell, sec, "运算符号")
        if op in _NATURE:
            op = None  # 指标性质 holding 定量/定性 (重庆) names the kind, not an operator
        unit = _unit(as_text(unit_cell, sec, "度量单位"))
        if value_cell is None:
            if "value" not in covered:
                sec.problem(f"单元格 {value_ref}（指标值，{label}）为空")
        elif value_cell.kind in (NUMBER, PERCENT) and value_cell.value is not None:
            number = as_number(value_cell, sec, "指标值")
            if value_cell.kind == PERCENT and not unit:
                unit = "%"
            data.update({"operator": op, "value": number, "unit": unit})
            cells[f"{prefix}.target"] = value_cell.ref
        else:
            text = as_text(value_cell, sec, "指标值")
            data["target"] = f"{op or ''}{text or ''}{unit or ''}" if text and parse_value_safe(text) else text
            cells[f"{prefix}.target"] = value_cell.ref
    else:
        target_cell, target_ref = take("target", "年度指标值")
        data["target"] = _with_unit(as_text(target_cell, sec, "年度指标值"), cols, g, r, sec)
        if target_cell is None and "target" not in covered:
            sec.problem(f"单元格 {target_ref}（年度指标值，{label}）为空")
    if "target_initial" in cols:
        cell, _ = take("target_initial", "年初指标值")
        data["target_initial"] = as_text(cell, sec, "年初指标值")
    actual_cell, actual_ref = take("actual", "实际完成值")
    data["actual"] = as_text(actual_cell, sec, "实际完成值")
    if "value" not in cols:
        data["actual"] = _with_unit(data["actual"], cols, g, r, sec)
    band = _GRADE_BAND.match(data["actual"] or "")
    if band:
        data["actual"] = band.group(1).strip()  # 辽宁 prints the grade with its band: 全部或基本达成预期指标 100%-80%（含）
    if data["actual"] is None:
        if actual_cell is None and "actual" not in covered:
            sec.problem(f"单元格 {actual_ref}（实际完成值，{label}）为空")
    else:
        _fraction_guard(sec, actual_cell, data, label)
        target_cell = g.get(r, cols["target"]) if "target" in cols else None
        if (not g.formats_known and target_cell is not None and target_cell.kind == NUMBER
                and "%" in (data.get("actual") or "")):
            sec.problem(
                f"单元格 {target_cell.ref}（年度指标值，{label}）: 无法读取此 .xls 的数字格式，"
                f"{format_number(target_cell.value)} 可能是 {format_number(target_cell.value)}% 或 "
                f"{format_number(target_cell.value * 100)}%；请把指标值写成文本或另存为 .xlsx 后再试"
            )
    for key, what in (("weight", "分值"), ("score", "得分")):
        cell, _ = take(key, what)
        number = as_number(cell, sec, what)
        if number is not None:
            data["weight" if key == "weight" else "reported_score"] = number
    cell, _ = take("completion", "完成程度")
    completion = as_number(cell, sec, "完成程度", percent=True)
    if completion is not None:
        if _quantitative(data):
            data["reported_completion"] = completion
        else:
            data["completion"] = f"{completion}%"
    for key in ("cause", "remedy", "cause_remedy"):
        cell, _ = take(key, _COLUMN_LABELS.get(key, "偏差原因分析及改进措施"))
        text = as_text(cell, sec, _COLUMN_LABELS.get(key, "偏差原因分析"))
        if text:
            data["cause" if key == "cause_remedy" else key] = text
    for k in [k for k in cells if k.endswith(".cause_remedy")]:
        cells[k.replace("cause_remedy", "cause")] = cells.pop(k)
    if "score" in cols:
        cells[f"{prefix}.reported_score"] = cells.pop(f"{prefix}.score")
    sec.cells.update(cells)
    sec.count = n + 1
    return level1, level2, {k: v for k, v in data.items() if v is not None}


def _nameless(sec: Section, r: int, cols: dict[str, int]) -> None:
    """A row with a target or an actual but a blank 三级指标 is an error, never skipped."""
    g = sec.grid
    filled = []
    for key in ("target", "value", "actual"):
        c = cols.get(key)
        if c is None or g.span(r, c)[0] != r:
            continue
        cell = g.get(r, c)
        if cell is not None and str(cell.value).strip():
            filled.append(f"{_COLUMN_LABELS[key]} {cell.ref}")
    if filled:
        sec.problem(f"单元格 {ref(r, cols['name'])}（三级指标）为空，但第{r}行填了{'、'.join(filled)}：请填写指标名称，"
                    "或删除这一行")


def parse_value_safe(text: str) -> bool:
    """Whether ``text`` holds exactly one number (so a split operator/unit belongs with it)."""
    try:
        return isinstance(parse_value(text), Quantity)
    except CellValueError:
        return False


def _quantitative(data: dict) -> bool:
    try:
        actual = parse_value(data.get("actual", ""))
    except CellValueError:
        return False
    if "value" in data:
        return isinstance(actual, Quantity)
    try:
        target = parse_value(data.get("target", ""))
    except CellValueError:
        return False
    return isinstance(actual, Quantity) and isinstance(target, Quantity)


def _fraction_guard(sec: Section, cell, data: dict, label: str) -> None:
    """docs/scoring.md §9: a bare fraction in (0, 1] against a % target above 1 is ambiguous
    (0.98% or 98%?) — never read silently, whatever the file format told us."""
    if cell.kind != NUMBER:
        return
    v = cell.value
    known = sec.grid.formats_known
    if known and not (Decimal(0) < v <= Decimal(1)):
        return
    if "value" in data:
        unit, number = data.get("unit") or "", data.get("value")
    else:
        try:
            target = parse_value(data.get("target") or "")
        except CellValueError:
            return
        if not isinstance(target, Quantity):
            return
        unit, number = target.unit, target.number
    if unit == "%" and number is not None and not known:
        # an .xls whose number formats could not be read: 1.2355 may be 123.55% or 1.2355%
        sec.problem(
            f"单元格 {cell.ref}（实际完成值，{label}）: 无法读取此 .xls 的数字格式，{format_number(v)} 可能是 "
            f"{format_number(v)}% 或 {format_number(v * 100)}%；请把完成值写成文本（如「{format_number(v * 100)}%」）"
            "或另存为 .xlsx 后再试"
        )
        data["actual"] = None
    elif unit == "%" and number is not None and number > 1:
        sec.problem(
            f"单元格 {cell.ref}（实际完成值，{label}）: {format_number(v)} 是 {format_number(v)}% 还是 "
            f"{format_number(v * 100)}%？指标值为「{data.get('target') or format_number(number) + unit}」，"
            f"请填写「{format_number(v * 100)}%」或把单元格设为百分比格式"
        )
        data["actual"] = None
