"""Cells → model inputs, with every problem named by cell, and labels found by their text."""

from __future__ import annotations

import bisect
import datetime as _dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..values import CellValueError, Quantity, format_number, parse_number, parse_value, to_unit
from . import labels as L
from .formats import OVERFLOW
from .grid import DATE, ERROR, NOCACHE, PERCENT, Cell, Grid, ref

HUNDRED = Decimal(100)
_NOTHING = re.compile(r"^\s*[-‐–—―/／\\]+\s*$")
_NUMBER_SUFFIX = re.compile(r"\s*(分|万元|万|元|%|％)\s*$")
_MONEY = ("元", "万元", "亿元")


@dataclass
class Section:
    """The rows of one form on a sheet (a sheet may stack several projects), and what was read."""

    grid: Grid
    top: int
    bottom: int
    where: str  # '文件 x.xlsx 工作表「…」'
    problems: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)
    count: int = 0  # indicators read so far
    execution: dict = field(default_factory=dict)  # a 预算执行率 row inside the indicator table (河北 成安)
    weight_header: tuple[str, str] | None = None  # (header as printed, its cell) of the indicators' weight column
    _keys: dict[tuple[int, int], str] = field(default_factory=dict)
    _sorted: list | None = None

    def key_at(self, r: int, c: int) -> str:
        """The label key of the anchor cell at (r, c); '' when it is not text."""
        k = self._keys.get((r, c))
        if k is None:
            cell = self.grid.cells.get((r, c))
            k = L.key(cell.value)[0] if cell is not None and isinstance(cell.value, str) and cell.kind == "text" else ""
            self._keys[(r, c)] = k
        return k

    def anchors(self, r0: int | None = None, r1: int | None = None):
        """(row, col, cell) of every anchor cell in rows r0..r1, row by row."""
        lo, hi = r0 or self.top, r1 or self.bottom
        if self._sorted is None:
            self._sorted = sorted(self.grid.cells.items())
        items = self._sorted
        for i in range(bisect.bisect_left(items, ((lo, 0),)), len(items)):
            (r, c), cell = items[i]
            if r > hi:
                break
            yield r, c, cell

    def find(self, synonyms: tuple[str, ...], r0: int | None = None, r1: int | None = None) -> tuple[int, int] | None:
        for r, c, _ in self.anchors(r0, r1):
            if self.key_at(r, c) in synonyms:
                return r, c
        return None

    def problem(self, text: str) -> None:
        self.problems.append(f"{self.where}: {text}")

    # ------------------------------------------------------------------ label → value

    def value_right(self, r: int, c: int) -> tuple[Cell | None, str]:
        """The value cell of the label at (r, c): right of its (merged) span, else below it.
        Returns the cell (None when empty) and the address a user should fill."""
        r0, c0, r1, c1 = self.grid.span(r, c)
        first = ref(r0, c1 + 1)
        col = c1 + 1
        while col <= self.grid.max_col:
            _, _, _, a1 = self.grid.span(r0, col)
            cell = self.grid.get(r0, col)
            if cell is not None:
                if self.is_label(cell):
                    return None, first
                return cell, cell.ref
            col = a1 + 1
        below = self.grid.get(r1 + 1, c0)
        if below is None or self.is_label(below) or r1 + 1 > self.bottom:
            return None, first
        return below, below.ref

    def is_label(self, cell: Cell) -> bool:
        if cell.kind != "text" or not isinstance(cell.value, str):
            return False
        k = L.key(cell.value)[0]
        # a budget header (权重, 得分 …) is a label too: never read as the value of the label left of it
        return any(k in syn for table in (L.FIELDS, L.GOAL_HEADERS, L.BUDGET_COLUMNS) for syn in table.values())


# ------------------------------------------------------------------ conversions


def date_text(value: _dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def as_text(cell: Cell | None, sec: Section, what: str) -> str | None:
    """A target/actual/name cell as the text the value parser reads: ``95%`` for a percent
    cell, ``1696`` for a number, ``2024年11月20日`` for a date."""
    if cell is None:
        return None
    if not _readable(cell, sec, what):
        return None
    v = cell.value
    if cell.kind == PERCENT:
        return f"{format_number(v * HUNDRED)}%"
    if cell.kind == DATE:
        return date_text(v) if isinstance(v, _dt.date) else str(v)
    if isinstance(v, Decimal):
        return format_number(v)
    text = str(v).strip()
    return text or None


def as_number(cell: Cell | None, sec: Section, what: str, percent: bool = False, money: str | None = None
              ) -> Decimal | None:
    """An amount, weight or score cell → Decimal (``98.32分`` → 98.32). ``percent``: a rate
    column, where a percent cell 0.8317 is 83.17 and the text ``83.17%`` is 83.17. ``money``:
    the block's unit (万元) for an amount; an amount typed in another money unit (``900000元``)
    is converted exactly, with a finding naming the cell, and any other unit is an error."""
    if cell is None or not _readable(cell, sec, what):
        return None
    v = cell.value
    if cell.kind == DATE:
        shown = v.isoformat() if isinstance(v, (_dt.date, _dt.datetime)) else str(v)
        sec.problem(f"单元格 {cell.ref}（{what}）: 是日期 {shown}，这里应为数字")
        return None
    if money and cell.kind == PERCENT:
        sec.problem(f"单元格 {cell.ref}（{what}）: 是百分数 {format_number(_plain(v * HUNDRED))}%，这里应为金额（{money}）")
        return None
    if cell.kind == PERCENT:
        return _plain(v * HUNDRED)
    if isinstance(v, Decimal):
        return v
    if money:
        return _amount(cell, sec, what, money)
    text = _NUMBER_SUFFIX.sub("", str(v))
    if _NOTHING.match(text):
        return None  # '—' or '/' in a 分值/得分 cell of a row that has none
    try:
        return parse_number(text, what)
    except CellValueError:
        sec.problem(f"单元格 {cell.ref}（{what}）: 「{str(v)[:40]}」不是数字")
        return None


def _amount(cell: Cell, sec: Section, what: str, money: str) -> Decimal | None:
    """An amount typed as text in a block whose amounts are in ``money`` (docs/scoring.md §9, "What
    a form holds besides the form")."""
    text = str(cell.value)
    if _NOTHING.match(text):
        return None
    try:
        quantity = parse_value(text)
    except CellValueError:
        quantity = None
    if not isinstance(quantity, Quantity) or quantity.operator or quantity.label:
        sec.problem(f"单元格 {cell.ref}（{what}）: 「{text[:40]}」不是金额（{money}）")
        return None
    unit = quantity.unit
    if not unit or unit == money:
        return quantity.number
    if unit not in _MONEY:
        sec.problem(f"单元格 {cell.ref}（{what}）: 「{text[:40]}」的单位「{unit}」不是金额单位，这里应为金额（{money}）")
        return None
    number = _plain(to_unit(quantity, money))
    sec.findings.append(f"{sec.where}单元格 {cell.ref}（{what}）: 「{text[:40]}」的单位是{unit}，本栏金额单位为{money}，"
                        f"按 {format_number(number)} {money} 读取")
    return number


def _plain(d: Decimal) -> Decimal:
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def _readable(cell: Cell, sec: Section, what: str) -> bool:
    if cell.kind == ERROR:
        sec.problem(f"单元格 {cell.ref}（{what}）: 是错误值 {cell.value}，无法读取")
        return False
    if cell.kind == NOCACHE:
        sec.problem(f"单元格 {cell.ref}（{what}）: 公式没有缓存值，无法读取（请在 Excel/WPS 中打开并保存一次）")
        return False
    if cell.kind == OVERFLOW:
        shown = f"（其中的文字：「{str(cell.value)[:20]}」）" if cell.value else ""
        sec.problem(f"单元格 {cell.ref}（{what}）: PDF 中这一格的边线不完整或文字超出了边线（常见于跨页拆开的合并单元格），"
                    f"无法确定这一格的内容{shown}；请使用表格完整的 PDF，或原 Word/Excel 文件")
        return False
    return True


def grade(cell: Cell | None, sec: Section) -> str | None:
    text = as_text(cell, sec, "等级")
    if text is None:
        return None
    g = L.GRADE_WORDS.get(L.key(text)[0])
    if g is None:
        sec.findings.append(f"{sec.where}单元格 {cell.ref}（等级）: 「{text[:20]}」不是 优/良/中/差，未作为原表等级")
    return g
