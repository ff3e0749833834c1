"""A workbook read once into sheets of typed cells (docs/excel.md "Number formats when reading").

Value-only readers lose what the person typed: Excel stores ``95%`` as 0.95 with a percent
format. Each cell here carries its value and its kind — ``text``, ``number``, ``percent``,
``date``, ``error`` (``#REF!``) or ``nocache`` (a formula without a cached value):

- .xlsx/.xlsm: values from python-calamine; formats from ``xl/styles.xml`` (``<cellXfs>``,
  ``<numFmts>``) and each cell's ``s=``; errors and uncached formulas from the sheet XML;
- .xls: values, formats (each cell's XF record and its ``FORMAT``) and merged ranges from
  xlrd (``formatting_info=True``); python-calamine does not expose the formats;
- .ods: ``content.xml`` (``office:value-type`` percentage/date, spans, errors).

Every reader applies the limits of ``perfscore.limits`` (cells with content, the grid they
span, merged ranges, sheets) before it allocates for what it counts.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree import ElementTree

from .. import limits
from ..errors import InputError, SheetError
from ..limits import MAX_CELLS, MAX_REPEAT, read_bytes
from ..xlsx.package import OLE2_MAGIC, OpenWorkbook, calamine_sheets, check_extent, checked_zip, part_xml, sheet_entries, style_kinds, xml_parts
from ..xlsx.sheetxml import hidden_rows, scan_cells
from ..xlsx.refs import col_letters

MAX_BYTES = limits.MAX_FILE_BYTES

from .formats import DATE, ERROR, NOCACHE, NUMBER, PERCENT, TEXT, format_kind  # noqa: F401 (re-exported)


@dataclass(slots=True)
class Cell:
    """One non-empty cell: ``value`` is text (stripped), a Decimal, a date, or the error code."""

    value: str | Decimal | _dt.date | _dt.datetime
    kind: str
    ref: str


@dataclass(slots=True)
class Grid:
    """One worksheet: cells by 1-based (row, column), merged ranges resolved to their anchor."""

    name: str
    cells: dict[tuple[int, int], Cell]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 inclusive
    formats_known: bool = True
    hidden: str = ""  # the sheet's state: '' (visible), 'hidden' or 'veryHidden'
    hidden_rows: frozenset[int] = frozenset()  # 1-based rows hidden in the sheet (not on the printed form)
    _anchor: dict[tuple[int, int], tuple[int, int, int, int]] = field(default_factory=dict)
    max_row: int = 0
    max_col: int = 0

    def __post_init__(self) -> None:
        self.max_row = max((r for r, _ in self.cells), default=0)
        self.max_col = max((c for _, c in self.cells), default=0)
        for r0, c0, r1, c1 in self.merges:  # bounded by limits.check_merges (make_grid)
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    self._anchor[(r, c)] = (r0, c0, r1, c1)


    def span(self, r: int, c: int) -> tuple[int, int, int, int]:
        """The merged range that holds (r, c), or the cell itself."""
        return self._anchor.get((r, c), (r, c, r, c))

    def get(self, r: int, c: int) -> Cell | None:
        """The cell at (r, c); inside a merged range, its anchor's cell."""
        r0, c0, _, _ = self.span(r, c)
        return self.cells.get((r0, c0))


def make_grid(name: str, cells: dict[tuple[int, int], Cell], merges: list[tuple[int, int, int, int]], label: str,
              formats_known: bool = True, hidden: str = "", hidden_rows: frozenset[int] = frozenset()) -> Grid:
    """A Grid once past the limits: its merged ranges clipped to the cells with content and
    bounded in count and area."""
    rows = max((r for r, _ in cells), default=0)
    cols = max((c for _, c in cells), default=0)
    return Grid(name, cells, limits.check_merges(merges, rows, cols, f"{label} 工作表「{name}」"), formats_known,
                hidden, hidden_rows)


@dataclass(slots=True)
class Workbook:
    path: Path
    sheets: list[Grid]


def ref(r: int, c: int) -> str:
    return f"{col_letters(c)}{r}"


def _number(v: float | int) -> Decimal | None:
    """A number as Excel shows it: 15 significant digits, never the binary float."""
    if isinstance(v, int):
        return Decimal(v)
    if v != v or v in (float("inf"), float("-inf")):  # float-ok: NaN/∞ check on a read cell
        return None
    return _plain(Decimal(format(v, ".15g")))  # float-ok: Excel keeps 15 significant digits


_PLAIN_DIGITS = 20


def _plain(d: Decimal) -> Decimal:
    """A read number without trailing zeros (26.60 → 26.6, 1E+2 → 100). One whose digits
    would not fit the arithmetic context (1e28, 9e999999) is kept as it is, without any
    arithmetic: the value checks (values.MAX_ABS) refuse it with the cell's name."""
    if not d.is_finite() or d.adjusted() >= _PLAIN_DIGITS or d.adjusted() < -_PLAIN_DIGITS:
        return d
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def _typed(v: object, fmt: str, r: int, c: int) -> Cell | None:
    """A python-calamine value and the cell's format kind → Cell."""
    if v is None:
        return None
    if isinstance(v, bool):
        return Cell("TRUE" if v else "FALSE", TEXT, ref(r, c))
    if isinstance(v, (_dt.datetime, _dt.date)):
        return Cell(v, DATE, ref(r, c))
    if isinstance(v, (_dt.time, _dt.timedelta)):
        return Cell(str(v), DATE, ref(r, c))
    if isinstance(v, (int, float)):
        d = _number(v)
        if d is None:
            return None
        return Cell(d, fmt if fmt in (PERCENT, DATE) else NUMBER, ref(r, c))
    text = str(v).strip()
    return Cell(text, TEXT, ref(r, c)) if text else None


# ------------------------------------------------------------------ opening


def read_workbook_grid(path: Path | str, data: bytes | None = None, book: OpenWorkbook | None = None) -> Workbook:
    """Every worksheet of a .xlsx/.xlsm/.xls/.ods workbook, typed; encrypted, corrupt or
    unknown files are refused with one Chinese line. ``data``: the file's bytes, when the
    caller has read them already (a workbook is read once); ``book``: an .xlsx opened and
    checked already (``xlsx.package.open_workbook``), whose inflated parts are used as they are."""
    path = Path(path)
    label = f"文件 {path}"
    if book is not None:
        return _read_xlsx(path, book.data, book.parts, label)
    data = file_bytes(path, data, MAX_BYTES)
    if data[:8] == OLE2_MAGIC:
        return _read_xls(path, data, label)
    if data[:4] != b"PK\x03\x04":
        raise SheetError(f"{label}: 不是 .xlsx/.xls/.ods 工作簿（文件头无效），可能已损坏")
    zf, infos = checked_zip(data, label, "工作簿")
    names = set(zf.namelist())
    if "content.xml" in names and "xl/workbook.xml" not in names:
        return _read_ods(path, zf, label)
    if "xl/workbook.xml" not in names:
        raise SheetError(f"{label}: 缺少部件 xl/workbook.xml，不是有效的 .xlsx 文件")
    return _read_xlsx(path, data, xml_parts(data, infos, label), label)


def file_bytes(path: Path, data: bytes | None, limit: int) -> bytes:
    """An input's bytes (``data`` when the caller has read them already), from a regular
    file only and bounded by ``limit`` (a FIFO or a link to /dev/zero never hangs);
    an empty file is refused."""
    if data is None:
        try:
            data = read_bytes(path, limit)
        except InputError as exc:
            raise SheetError(exc.problems) from None
    elif len(data) > limit:
        raise SheetError(f"文件 {path}: 大小超过上限 {limit // 1048576} MB，拒绝读取")
    if not data:
        raise SheetError(f"文件 {path}: 文件为空")
    return data


def _part(zf: zipfile.ZipFile, name: str, label: str) -> str:
    try:
        return zf.read(name).decode("utf-8")
    except KeyError:
        raise SheetError(f"{label}: 缺少部件 {name}，工作簿不完整") from None
    except zlib.error:
        raise SheetError(f"{label}: 工作簿已损坏（部件 {name} 的压缩数据无法解开）") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, UnicodeDecodeError) as exc:
        raise SheetError(f"{label}: 工作簿已损坏（部件 {name} 无法读取：{type(exc).__name__}）") from None


# ------------------------------------------------------------------ xlsx


def _read_xlsx(path: Path, data: bytes, parts: dict[str, bytes], label: str) -> Workbook:
    """An .xlsx through the package's one reading path (``xlsx.package``: parts, sheets, styles;
    ``xlsx.sheetxml``: the cells python-calamine does not show) and python-calamine's values;
    ``parts``: its XML parts, each inflated once."""
    _, listed = sheet_entries(parts, label)
    entries = [(name, part, state) for name, part, state in listed
               if part in parts and ("worksheets/" in part or part.endswith(".xml") and "chartsheet" not in part)]
    limits.check_sheet_count(len(entries), label)
    kinds = style_kinds(parts, label)
    typed = {str(i): kind for i, kind in enumerate(kinds) if kind != NUMBER}
    xmls = {}
    for name, part, _ in entries:
        xmls[name] = part_xml(parts, part, label)
        check_extent(parts[part], f"{label} 工作表「{name}」")  # before calamine builds its grid
    sheets = []
    for (name, part, state), (rows, merged) in zip(entries, calamine_sheets(data, [name for name, _, _ in entries], label)):
        xml = xmls.pop(name)
        scan = scan_cells(xml, set(typed))
        cells = _grid_cells(rows, {rc: typed[s] for rc, s in scan.styled.items()}, label, name)
        cells.update({rc: Cell("", NOCACHE, ref(*rc)) for rc in scan.no_cache})
        cells.update({rc: Cell(code, ERROR, ref(*rc)) for rc, code in scan.errors.items()})
        merges = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in merged]
        sheets.append(make_grid(name, cells, merges, label, hidden=state, hidden_rows=hidden_rows(xml)))
    return Workbook(path, sheets)


def _grid_cells(rows: list[list[object]], formats: dict[tuple[int, int], str], label: str, name: str,
                offset: tuple[int, int] = (0, 0)) -> dict[tuple[int, int], Cell]:
    cells: dict[tuple[int, int], Cell] = {}
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v is None or v == "":
                continue
            r, c = i + 1 + offset[0], j + 1 + offset[1]
            cell = _typed(v, formats.get((r, c), NUMBER), r, c)
            if cell is not None:
                cells[(r, c)] = cell
                if len(cells) > MAX_CELLS:
                    limits.check_cell_count(len(cells), f"{label} 工作表「{name}」")
    return cells


# ------------------------------------------------------------------ xls


def _read_xls(path: Path, data: bytes, label: str) -> Workbook:
    """An old .xls (BIFF) through xlrd: values, each cell's number format and merged ranges."""
    import xlrd
    from xlrd.compdoc import CompDoc

    log = io.StringIO()  # xlrd writes its warnings there, never to the terminal
    try:
        streams = {entry.name for entry in CompDoc(data, logfile=log).dirlist}
    except Exception:  # xlrd is pure Python: a hostile file may raise anything, never a panic
        raise SheetError(f"{label}: .xls 文件已损坏（复合文档结构无效）") from None
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        raise SheetError(f"{label}: 工作簿已加密（设了打开密码），请在 Excel/WPS 中去掉密码并另存后再试")
    if "Workbook" not in streams and "Book" not in streams:
        raise SheetError(f"{label}: 不是 Excel 工作簿（复合文档中没有 Workbook 流）")
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, ragged_rows=True,
                                  logfile=log)
    except Exception as exc:
        if "encrypted" in str(exc):  # xlrd's XLRDError for a FILEPASS record (xlrd is frozen since 2.0.1)
            raise SheetError(f"{label}: 工作簿已加密（设了打开密码），请在 Excel/WPS 中去掉密码并另存后再试") from None
        raise SheetError(f"{label}: .xls 文件已损坏（{type(exc).__name__}）") from None
    try:
        limits.check_sheet_count(book.nsheets, label)
        kinds = _xls_kinds(book)
        sheets, total = [], 0
        for index, name in enumerate(book.sheet_names()):
            where = f"{label} 工作表「{name}」"
            try:
                sheet = book.sheet_by_index(index)
                cells, present = _xls_cells(sheet, book, kinds, where)
                merges = [(r0 + 1, c0 + 1, r1, c1) for r0, r1, c0, c1 in sheet.merged_cells]
            except SheetError:
                raise
            except Exception as exc:
                raise SheetError(f"{where}: 无法读取，.xls 文件已损坏（{type(exc).__name__}）") from None
            total += present
            limits.check_cell_count(total, label)  # one sheet's records may be read again as every other sheet
            hidden_rows = frozenset(r + 1 for r, info in sheet.rowinfo_map.items() if info.hidden)
            sheets.append(make_grid(name, cells, merges, label, formats_known=bool(kinds),
                                    hidden={1: "hidden", 2: "veryHidden"}.get(sheet.visibility, ""),
                                    hidden_rows=hidden_rows))
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return Workbook(path, sheets)


def _xls_kinds(book) -> list[str]:
    """The format kind (percent/date/number) of each XF record, by index."""
    out = []
    for xf in book.xf_list:
        fmt = book.format_map.get(xf.format_key)
        out.append(format_kind(fmt.format_str if fmt is not None else None, xf.format_key))
    return out


_XLS_PRESENT = re.compile(rb"[^\x00\x06]")  # cell types other than XL_CELL_EMPTY (0) and XL_CELL_BLANK (6)


def _xls_cells(sheet, book, kinds: list[str], where: str) -> tuple[dict[tuple[int, int], Cell], int]:
    import xlrd

    cells: dict[tuple[int, int], Cell] = {}
    present = 0
    for rx in range(sheet.nrows):
        types = bytes(sheet.row_types(rx))
        hits = [m.start() for m in _XLS_PRESENT.finditer(types)]
        if not hits:
            continue
        present += len(hits)
        limits.check_cell_count(present, where)
        values = sheet.row_values(rx)
        for cx in hits:
            r, c, kind, value = rx + 1, cx + 1, types[cx], values[cx]
            if kind == xlrd.XL_CELL_ERROR:
                cells[(r, c)] = Cell(xlrd.error_text_from_code.get(value, "#N/A"), ERROR, ref(r, c))
                continue
            if kind == xlrd.XL_CELL_BOOLEAN:
                value = bool(value)
            elif kind == xlrd.XL_CELL_DATE:
                try:
                    value = xlrd.xldate.xldate_as_datetime(value, book.datemode)
                except Exception:  # a date format on a number no date has: the number, as a date cell
                    pass
            xf = sheet.cell_xf_index(rx, cx)
            cell = _typed(value, kinds[xf] if 0 <= xf < len(kinds) else NUMBER, r, c)
            if cell is not None:
                cells[(r, c)] = cell
    return cells, present  # no extent check: this grid holds only the cells present, as the .ods one


# ------------------------------------------------------------------ ods

_NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "calcext": "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
}
_T = "{%s}" % _NS["table"]
_O = "{%s}" % _NS["office"]
_X = "{%s}" % _NS["text"]
_C = "{%s}" % _NS["calcext"]
_S = "{%s}" % _NS["style"]
_ERROR_TEXTS = {"#DIV/0!", "#REF!", "#NAME?", "#VALUE!", "#N/A", "#NUM!", "#NULL!", "Err:502", "Err:504", "Err:522"}


def _ods_text(cell: ElementTree.Element) -> str:
    lines = []
    for p in cell.findall(f"{_X}p"):  # direct paragraphs only: not a comment's (office:annotation)
        parts: list[str] = []
        # depth-first with a stack of its own: 20,000 nested <text:span> never reach Python's recursion limit
        stack: list[ElementTree.Element | str] = [p]
        while stack:
            el = stack.pop()
            if isinstance(el, str):  # a child's tail, after the child
                parts.append(el)
                continue
            if el is not p:
                if el.tag == f"{_X}s":
                    parts.append(" " * _count(el.get(f"{_X}c"), 1, MAX_REPEAT))
                    continue
                if el.tag == f"{_X}tab":
                    parts.append("\t")
                    continue
                if el.tag == f"{_X}line-break":
                    parts.append("\n")
                    continue
            if el.text:
                parts.append(el.text)
            for child in reversed(el):
                if child.tail:
                    stack.append(child.tail)
                stack.append(child)
        lines.append("".join(parts))
    return "\n".join(lines).strip()


def _count(text: str | None, default: int, cap: int | None = None) -> int:
    """An .ods count attribute (repeats, spans, spaces): a plain positive integer, else None
    is returned by the caller's check; capped at ``cap``."""
    if text is None:
        return default
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12 or int(text) < 1:
        raise ValueError(text)
    return min(int(text), cap) if cap else int(text)


def _ods_cell(el: ElementTree.Element, r: int, c: int) -> Cell | None:
    vtype = el.get(f"{_O}value-type")
    formula = el.get(f"{_T}formula")
    where = ref(r, c)
    if el.get(f"{_C}value-type") == "error" or (formula and _ods_text(el) in _ERROR_TEXTS):
        return Cell(_ods_text(el) or "#N/A", ERROR, where)
    if vtype in ("float", "percentage", "currency"):
        raw = el.get(f"{_O}value", "")
        try:
            d = Decimal(raw) if len(raw) <= 400 else Decimal("NaN")
        except InvalidOperation:
            d = Decimal("NaN")
        if not d.is_finite():
            if formula:
                return Cell("", NOCACHE, where)
            raise SheetError(f"单元格 {where}: 数值「{raw[:40]}」不是有效的数字")
        return Cell(_plain(d), PERCENT if vtype == "percentage" else NUMBER, where)
    if vtype == "date":
        text = el.get(f"{_O}date-value", "")
        try:
            value = _dt.datetime.fromisoformat(text) if "T" in text else _dt.date.fromisoformat(text)
        except ValueError:
            return Cell(text, TEXT, where)
        return Cell(value, DATE, where)
    if vtype == "time":
        return Cell(_ods_text(el), DATE, where)
    if vtype == "boolean":
        return Cell("TRUE" if el.get(f"{_O}boolean-value") == "true" else "FALSE", TEXT, where)
    text = _ods_text(el)
    if text:
        return Cell(text, TEXT, where)
    if formula:
        return Cell("", NOCACHE, where)
    return None


def _read_ods(path: Path, zf: zipfile.ZipFile, label: str) -> Workbook:
    if "META-INF/manifest.xml" in zf.namelist() and "encryption-data" in _part(zf, "META-INF/manifest.xml", label):
        raise SheetError(f"{label}: 工作簿已加密（设了打开密码），请去掉密码后另存后再试")
    try:
        root = ElementTree.fromstring(_part(zf, "content.xml", label))
    except (ElementTree.ParseError, RecursionError):
        raise SheetError(f"{label}: 工作簿已损坏（content.xml 不是有效的 XML）") from None
    tables = list(root.iter(f"{_T}table"))
    limits.check_sheet_count(len(tables), label)
    sheets = []
    hidden_styles = {st.get(f"{_S}name") for st in root.iter(f"{_S}style")
                     if any(tp.get(f"{_T}display") == "false" for tp in st.iter(f"{_S}table-properties"))}
    for table in tables:
        name = table.get(f"{_T}name", "")
        cells, merges, hidden_rows = _ods_table(table, f"{label} 工作表「{name}」")
        sheets.append(make_grid(name, cells, merges, label,
                                hidden="hidden" if table.get(f"{_T}style-name") in hidden_styles else "",
                                hidden_rows=hidden_rows))
    return Workbook(path, sheets)


def _ods_table(table: ElementTree.Element, where: str
               ) -> tuple[dict[tuple[int, int], Cell], list[tuple[int, int, int, int]], frozenset[int]]:
    cells: dict[tuple[int, int], Cell] = {}
    merges: list[tuple[int, int, int, int]] = []
    hidden_rows: set[int] = set()
    r = 0
    for row in table.iter(f"{_T}table-row"):
        try:
            rrep = _count(row.get(f"{_T}number-rows-repeated"), 1)
        except ValueError as exc:
            raise SheetError(f"{where} 第 {r + 1} 行: 重复次数「{str(exc)[:20]}」不是正整数，文件已损坏") from None
        if row.get(f"{_T}visibility", "visible") != "visible" and len(row):
            hidden_rows.update(range(r + 1, r + 1 + min(rrep, MAX_REPEAT)))
        c = 0
        row_cells = []
        for el in row:
            if el.tag not in (f"{_T}table-cell", f"{_T}covered-table-cell"):
                continue
            try:
                crep = _count(el.get(f"{_T}number-columns-repeated"), 1)
                cs = _count(el.get(f"{_T}number-columns-spanned"), 1)
                rs = _count(el.get(f"{_T}number-rows-spanned"), 1)
            except ValueError as exc:
                raise SheetError(f"{where} 单元格 {ref(r + 1, c + 1)}: 重复或合并的次数「{str(exc)[:20]}」不是正整数，文件已损坏") from None
            if el.tag == f"{_T}table-cell" and len(el) or el.get(f"{_O}value-type"):
                try:
                    cell = _ods_cell(el, r + 1, c + 1)
                except ValueError as exc:  # a count inside the cell's text (<text:s text:c="x"/>)
                    raise SheetError(f"{where} 单元格 {ref(r + 1, c + 1)}: 次数「{str(exc)[:20]}」不是正整数，文件已损坏") from None
                except SheetError as exc:
                    raise SheetError(f"{where} {exc.problems[0].message}") from None
                if cell is not None:
                    for k in range(min(crep, MAX_REPEAT)):
                        row_cells.append((c + 1 + k, cell))
                if cs > 1 or rs > 1:
                    merges.append((r + 1, c + 1, r + rs, c + cs))
                    limits.check_merge_count(len(merges), where)
            c += crep
        for k in range(min(rrep, MAX_REPEAT) if row_cells else 0):
            for col, cell in row_cells:
                cells[(r + 1 + k, col)] = Cell(cell.value, cell.kind, ref(r + 1 + k, col))
        limits.check_cell_count(len(cells), where)
        r += rrep
    return cells, merges, frozenset(hidden_rows)
