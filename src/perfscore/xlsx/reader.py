"""Reading a filled sheet back through a map: every mapped field and table row with the
cell address it came from. Values go through ``cell_value`` (python-calamine's value →
text or Decimal at Excel's 15 significant digits); macros are never run.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field as dataclass_field
from decimal import Decimal
from pathlib import Path

from ..errors import LayoutError, SheetError
from .holes import TableSpec
from .formulas import OUTPUT_COLUMNS, OUTPUT_FIELDS
from .maps import SheetMap
from ..limits import check_merges
from .numfmt import PERCENT
from .package import OpenWorkbook, calamine_sheets, check_extent, find_sheet, open_workbook, part_xml, style_kinds
from .refs import col_index, col_letters, split_addr
from .sheetxml import norm_label, scan_cells
from .shifting import Shift

# --------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class CellValue:
    """A value read from a sheet and where it was read (``ref`` = "J14")."""

    value: str | Decimal | None
    ref: str
    percent: bool = False   # a number in a percent format: Excel's typed 95% is 0.95 here



@dataclass
class ReadSheet:
    """A filled sheet read back: every mapped field and table row with its cell address."""

    path: Path
    fields: dict[str, CellValue]
    tables: dict[str, list[dict[str, CellValue]]]
    counts: dict[str, int] = dataclass_field(default_factory=dict)        # table -> rows on the sheet
    formulas: dict[str, str] = dataclass_field(default_factory=dict)      # "J14" -> formula text (no '=')
    uncached: set[str] = dataclass_field(default_factory=set)             # formula cells without a cached value
    values: dict[str, object] = dataclass_field(default_factory=dict)     # "J14" -> value, for audit's cells

    def value_at(self, ref: str) -> object:
        """The value python-calamine reads at ``ref`` (None when empty), for cells audit checks."""
        return self.values.get(ref)



# --------------------------------------------------------------------------- reading



_FLOAT_CACHE: dict[float, Decimal] = {}


def cell_value(v: object) -> str | Decimal | None:
    """A value as python-calamine returns it → text or Decimal: numbers at Excel's 15
    significant digits (never the binary float), blank text as None."""
    if v.__class__ is str:
        s = v.strip()  # type: ignore[union-attr]
        return s or None
    if v.__class__ is float:
        d = _FLOAT_CACHE.get(v)  # type: ignore[arg-type]
        if d is not None:
            return d
        if v != v or v in (float("inf"), float("-inf")):  # float-ok: NaN/∞ check on a read cell
            return None
        d = Decimal(format(v, ".15g"))  # Excel keeps 15 significant digits
        d = d.quantize(Decimal(1)) if d == d.to_integral_value() and d.adjusted() < 28 else d.normalize()
        if len(_FLOAT_CACHE) >= 4096:
            _FLOAT_CACHE.clear()
        _FLOAT_CACHE[v] = d  # type: ignore[index]
        return d
    if v is None:
        return None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    return str(v).strip() or None



def percent_styles(parts: dict[str, bytes], label: str) -> set[str]:
    """The cell style indices (``s=``) whose number format is a percent (docs/scoring.md §9)."""
    return {str(i) for i, kind in enumerate(style_kinds(parts, label)) if kind == PERCENT}


def read_sheet(book: Path | OpenWorkbook, sheet_map: SheetMap, table_specs: list[TableSpec]) -> ReadSheet:
    """Read a sheet laid out as ``sheet_map`` says; ``table_specs`` (from the compiled
    template) give the footer signature of each table, which fixes its row count.
    ``book`` is a path or a workbook already opened (so an input is opened once).

    A formula cell without a cached value (a program edited the sheet and dropped them) is
    an error, except in the cells perfscore writes formulas into (scores, completions, rates:
    printed results, never inputs), which read as empty; every such cell is listed in
    ``uncached`` for audit."""
    if not isinstance(book, OpenWorkbook):
        book = open_workbook(book)
    path, data, parts, sheets = book.path, book.data, book.parts, book.sheets
    label = f"文件 {path}"
    idx = find_sheet(sheets, sheet_map.sheet)
    if idx is None:
        names = "、".join(n for n, _ in sheets) or "无"
        raise SheetError(f"{label}: 没有工作表「{sheet_map.sheet}」（现有：{names}）")
    sheet_name, sheet_part = sheets[idx]
    where = f"{label} 工作表「{sheet_name}」"
    sheet_xml = part_xml(parts, sheet_part, label)
    scan = scan_cells(sheet_xml, percent_styles(parts, label))  # one pass over the cells
    no_cache, errors, formula_at, percents = scan.no_cache, scan.errors, scan.formulas, scan.styled
    check_extent(parts.get(sheet_part, b""), where)
    grid, merged = next(calamine_sheets(data, [sheet_name], label))

    # a merged range's cells read as its top-left one; clipped to the grid and bounded (limits)
    width = max(map(len, grid), default=0)
    top_left: dict[tuple[int, int], tuple[int, int]] = {}
    for r0, c0, r1, c1 in check_merges([(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in merged],
                                       len(grid), width, where):
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                top_left[(r, c)] = (r0, c0)

    def raw(r: int, c: int) -> object:
        if 0 < r <= len(grid):
            row = grid[r - 1]
            if 0 < c <= len(row):
                return row[c - 1]
        return None

    nrows = len(grid)

    def value(r: int, c: int, soft: bool = False) -> CellValue:
        src = top_left.get((r, c), (r, c)) if top_left else (r, c)
        ref = col_letters(c) + str(r)
        sr, sc = src
        if 0 < sr <= nrows:
            row = grid[sr - 1]
            v = cell_value(row[sc - 1]) if 0 < sc <= len(row) else None
        else:
            v = None
        if errors or no_cache:
            return checked(src, ref, v, soft)
        if percents and v.__class__ is Decimal and src in percents:
            return CellValue(v, ref, True)
        return CellValue(v, ref)

    def checked(src: tuple[int, int], ref: str, v: str | Decimal | None, soft: bool) -> CellValue:
        if src in errors:
            raise SheetError(f"{where}单元格 {col_letters(src[1])}{src[0]}: 是错误值 {errors[src]}，无法读取")
        if v is None and src in no_cache and not soft:
            raise SheetError(f"{where}单元格 {col_letters(src[1])}{src[0]}: 公式没有缓存值，无法读取（请在 Excel/WPS 中打开并保存一次）")
        return CellValue(v, ref, v.__class__ is Decimal and src in percents)

    def label_at(r: int, c: int) -> str:
        v = raw(*top_left.get((r, c), (r, c)))
        return norm_label(v) if isinstance(v, str) else ""

    last_row = len(grid)
    for spec in table_specs[:1]:
        moved = [(r, c, text) for r, c, text in spec.head if label_at(r, c) != text]
        if moved:
            r, c, text = moved[0]
            found = label_at(r, c)
            raise LayoutError(
                f"{where}: 版式与模板不一致：{col_letters(c)}{r} 应为「{text}」，此表为「{found or '空'}」"
                "（表格以上的行是否插入或删除过？）"
            )
    # table extents: each table's footer (its first label row below) fixes its row count
    counts: dict[str, int] = {}
    offset = 0
    for spec in table_specs:
        start = spec.row + offset
        if spec.signature:
            gap = spec.signature[0][0] - spec.row
            found = None
            for m in range(start - 1 + gap, max(last_row, start + gap) + 1):
                if all(label_at(m + (sr - spec.signature[0][0]), c) == text for sr, c, text in spec.signature):
                    found = m
                    break
            if found is None:
                first = spec.signature[0]
                raise LayoutError(
                    f"{where}: 找不到表格 {spec.name} 之后的「{first[2]}」行（{col_letters(first[1])} 列），"
                    "工作表与模板不一致"
                )
            n = found - gap + 1 - start
        else:
            n = max(0, last_row - start + 1)
        counts[spec.name] = n
        offset += n - 1
    sh = Shift(sorted((s.row, counts[s.name]) for s in table_specs))

    fields: dict[str, CellValue] = {}
    for name, addrs in sheet_map.fields.items():
        c, r = split_addr(addrs[0])
        fields[name] = value(sh.start(r), c, name in OUTPUT_FIELDS)
    tables: dict[str, list[dict[str, CellValue]]] = {}
    for spec in table_specs:
        start = sh.start(spec.row)
        cols = [(key, col_index(letters)) for key, letters in spec.columns.items()]
        rows_out = []
        for i in range(counts[spec.name]):
            r = start + i
            row = {key: value(r, c, key in OUTPUT_COLUMNS) for key, c in cols}
            if any(cv.value is not None for cv in row.values()):
                rows_out.append(row)
        tables[spec.name] = rows_out
    values: dict[str, object] = {cv.ref: cv.value for rows_ in tables.values() for row in rows_ for cv in row.values()}
    for (r, c) in formula_at:
        values[col_letters(c) + str(r)] = cell_value(raw(r, c))
    for addrs in sheet_map.fields.values():
        for addr in addrs:
            c, r = split_addr(addr)
            values[col_letters(c) + str(sh.start(r))] = cell_value(raw(sh.start(r), c))
    return ReadSheet(
        path=path, fields=fields, tables=tables, counts=counts,
        formulas={col_letters(c) + str(r): text for (r, c), text in formula_at.items()},
        uncached={col_letters(c) + str(r) for r, c in no_cache}, values=values,
    )
