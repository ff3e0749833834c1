"""Compiled pieces of a template: the data to write (``SheetData``), the holes that take it
(field cells, row heights, cloned table rows, the merge list) and the layout a render joins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .cells import Formula, Percent, cell_xml, formula_tail, number_text, text_cell_tail
from .heights import height_text, row_height, text_lines
from .refs import col_letters
from .shifting import Shift, area_text

@dataclass
class SheetData:
    """What to write: ``fields`` by field name, ``tables`` as lists of row dicts.

    Values: ``str`` (always written as text), ``Decimal``/``int`` (numbers), ``None``
    (the cell keeps its template style, no value). Names the map does not know are ignored,
    so a province template may leave out fields; a table missing here has 0 rows.
    """

    fields: dict[str, object] = field(default_factory=dict)
    tables: dict[str, list[dict[str, object]]] = field(default_factory=dict)



# --------------------------------------------------------------------------- compiled pieces


class Builder:
    """Collects static text, layout slots (callables of Shift) and holes."""

    def __init__(self) -> None:
        self.items: list = []

    def add(self, piece) -> None:
        if piece.__class__ is str:
            if piece:
                if self.items and self.items[-1].__class__ is str:
                    self.items[-1] += piece
                else:
                    self.items.append(piece)
        else:
            self.items.append(piece)


class Hole:
    def bind(self, sh: Shift):  # pragma: no cover - interface
        raise NotImplementedError


class FieldHole(Hole):
    def __init__(self, name: str, col: str, r: int, attrs: str):
        self.name, self.col, self.r, self.attrs = name, col, r, attrs

    def bind(self, sh: Shift) -> "BoundField":
        return BoundField(self.name, '<c r="' + self.col + str(sh.start(self.r)) + '"' + self.attrs)


class BoundField:
    __slots__ = ("name", "open")

    def __init__(self, name: str, open_: str):
        self.name, self.open = name, open_

    def render(self, data: SheetData, runs: dict) -> str:
        return cell_xml(self.open, data.fields.get(self.name), lambda: f"字段 {self.name}")


class HeightHole(Hole):
    """ht= of a row holding wrapped text fields: grows when the text needs more lines."""

    __slots__ = ("fit", "base", "orig")

    def __init__(self, fit: list, base: float, orig: str):
        self.fit, self.base, self.orig = fit, base, orig

    def bind(self, sh: Shift) -> "HeightHole":
        return self

    def render(self, data: SheetData, runs: dict) -> str:
        need = self.base
        for name, cap, size in self.fit:
            v = data.fields.get(name)
            if v.__class__ is str and (len(v) * 2 > cap or "\n" in v):
                h = row_height(text_lines(v, cap), size)
                if h > need:
                    need = h
        if need > self.base:
            return ' ht="' + height_text(need) + '" customHeight="1"'
        return self.orig


PIECE_FIELD, PIECE_CONST, PIECE_FORMULA = 0, 1, 2


@dataclass
class TableSpec:
    name: str
    row: int
    columns: dict[str, str]                         # name -> letters
    merge: list[str]
    row_head: str                                   # '<row r="\x01" …>' (\x01 = row number)
    cells: list[tuple]                              # see TableHole
    inrow_merges: list[tuple[int, int]]             # (first col, last col) on the template row
    spans: dict[str, tuple[int, int]]               # merge column -> (first col, last col)
    signature: list[tuple[int, int, str]] = field(default_factory=list)  # (row, col, label)
    head: list[tuple[int, int, str]] = field(default_factory=list)       # first table: the labels above it
    fit: list[tuple[str, float, float]] = field(default_factory=list)    # (column, capacity, font size)
    base_ht: float = 15.0
    row_head_fit: str = ""                          # row_head with ht="\x02" customHeight="1"
    percent_pre: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> cell openings (0%, 0.00%)


class TableHole(Hole):
    def __init__(self, spec: TableSpec):
        self.spec = spec

    def bind(self, sh: Shift) -> "BoundTable":
        return BoundTable(self.spec, sh.start(self.spec.row), sh)


ROW_MARK = "\x01"   # stands for the row number inside a cloned row's XML


class BoundTable:
    __slots__ = ("spec", "start", "sh")

    def __init__(self, spec: TableSpec, start: int, sh: Shift):
        self.spec, self.start, self.sh = spec, start, sh

    def render(self, data: SheetData, runs: dict) -> str:
        spec = self.spec
        rows = data.tables.get(spec.name) or ()
        blanks = runs[spec.name][0] if spec.name in runs else None
        out: list[str] = []
        start = self.start
        head = spec.row_head
        cells = spec.cells
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise TypeError(f"表格 {spec.name} 第 {i + 1} 行: 应为 dict，实际为 {type(row).__name__}")
            parts = [head]
            add = parts.append
            bl = blanks.get(i) if blanks else None
            if spec.fit:
                need = spec.base_ht
                for key, cap, size in spec.fit:
                    v = row.get(key)
                    if v.__class__ is str and (len(v) * 2 > cap or "\n" in v) and not (bl and key in bl):
                        if spec.merge and key in spec.merge and i in runs[spec.name][2].get(key, ()):
                            continue  # part of a vertical run: the run's rows share the height
                        h = row_height(text_lines(v, cap), size)
                        if h > need:
                            need = h
                if need > spec.base_ht:
                    parts[0] = spec.row_head_fit.replace("\x02", height_text(need))
            for kind, key, pre, empty in cells:
                if kind == PIECE_FIELD:
                    v = row.get(key)
                    if v is None or (bl is not None and key in bl):
                        add(empty)
                    elif v.__class__ is str:
                        add(pre)
                        try:
                            add(text_cell_tail(v))
                        except ValueError as exc:
                            raise ValueError(f"表格 {spec.name} 第 {i + 1} 行 列 {key}: {exc}") from None
                    elif v.__class__ is Formula:
                        add(pre)
                        add(formula_tail(v, lambda: f"表格 {spec.name} 第 {i + 1} 行 列 {key}"))
                    elif v.__class__ is Percent:
                        twins = spec.percent_pre.get(key)
                        add(pre if twins is None else twins[0 if v.whole else 1])
                        add("><v>")
                        add(number_text(v.fraction, lambda: f"表格 {spec.name} 第 {i + 1} 行 列 {key}"))
                        add("</v></c>")
                    elif isinstance(v, str):  # str subclasses (StrEnum …) are text too
                        add(pre)
                        add(text_cell_tail(str.__str__(v)))
                    else:
                        add(pre)
                        add("><v>")
                        add(number_text(v, lambda: f"表格 {spec.name} 第 {i + 1} 行 列 {key}"))
                        add("</v></c>")
                elif kind == PIECE_CONST:
                    add(empty)
                else:  # formula of the template row, moved with the row
                    add(pre)
                    add(key(self.sh, i))
                    add(empty)
            add("</row>")
            out.append("".join(parts).replace(ROW_MARK, str(start + i)))
        return "".join(out)


def merge_runs(rows: list, merge: list[str]) -> tuple[dict, list, dict]:
    """Runs of equal consecutive values; a column's runs never cross its parents' run starts."""
    n = len(rows)
    blanks: dict[int, set[str]] = {}
    merges: list = []
    in_run: dict[str, set[int]] = {}
    prev = [True] + [False] * (n - 1) if n else []
    for key in merge:
        vals = [r.get(key) if r.__class__ is dict or isinstance(r, Mapping) else None for r in rows]
        st = [True] * n
        for i in range(1, n):
            v = vals[i]
            st[i] = prev[i] or v is None or vals[i - 1] is None or v != vals[i - 1]
        i = 0
        while i < n:
            j = i + 1
            while j < n and not st[j]:
                j += 1
            if j - i > 1:
                merges.append((key, i, j - 1))
                in_run.setdefault(key, set()).update(range(i, j))
                for k in range(i + 1, j):
                    blanks.setdefault(k, set()).add(key)
            i = j
        prev = st
    return blanks, merges, in_run


class MergeHole(Hole):
    def __init__(self, static: list, tables: list[TableSpec]):
        self.static = static      # areas (tuples) or fixed strings
        self.tables = tables

    def bind(self, sh: Shift) -> "BoundMerges":
        fixed = []
        for a in self.static:
            t = a if a.__class__ is str else area_text(a, sh)
            if t is not None:
                fixed.append('<mergeCell ref="' + t + '"/>')
        return BoundMerges("".join(fixed), len(fixed), [(t, sh.start(t.row)) for t in self.tables])


class BoundMerges:
    __slots__ = ("fixed", "count", "tables")

    def __init__(self, fixed: str, count: int, tables: list):
        self.fixed, self.count, self.tables = fixed, count, tables

    def render(self, data: SheetData, runs: dict) -> str:
        extra: list[str] = []
        for spec, start in self.tables:
            rows = data.tables.get(spec.name) or ()
            if not rows:
                continue
            table_runs = runs.get(spec.name)
            blocked: list[tuple[int, int, int, int]] = []   # (first col, last col, first i, last i)
            if table_runs:
                for key, i0, i1 in table_runs[1]:
                    c1, c2 = spec.spans[key]
                    extra.append(
                        '<mergeCell ref="' + col_letters(c1) + str(start + i0) + ":" + col_letters(c2) + str(start + i1) + '"/>'
                    )
                    blocked.append((c1, c2, i0, i1))
            for c1, c2 in spec.inrow_merges:
                # a vertical run merge over these columns replaces the row's own merge
                hits = [(i0, i1) for a, b, i0, i1 in blocked if a <= c2 and c1 <= b]
                l1, l2 = col_letters(c1), col_letters(c2)
                for i in range(len(rows)):
                    if hits and any(i0 <= i <= i1 for i0, i1 in hits):
                        continue
                    extra.append('<mergeCell ref="' + l1 + str(start + i) + ":" + l2 + str(start + i) + '"/>')
        count = self.count + len(extra)
        if not count:
            return ""
        return '<mergeCells count="' + str(count) + '">' + self.fixed + "".join(extra) + "</mergeCells>"


@dataclass
class Layout:
    segs: list[str]
    holes: list
    dynamic: dict[str, tuple[int, int, int, bytes]]   # part -> (crc, csize, usize, data)
