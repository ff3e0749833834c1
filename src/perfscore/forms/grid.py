"""A workbook read once into sheets of typed cells (EXCEL_NOTES.md "Number formats when reading").

Value-only readers lose what the person typed: Excel stores ``95%`` as 0.95 with a percent
format. Each cell here carries its value and its kind — ``text``, ``number``, ``percent``,
``date``, ``error`` (``#REF!``) or ``nocache`` (a formula without a cached value):

- .xlsx/.xlsm: values from python-calamine; formats from ``xl/styles.xml`` (``<cellXfs>``,
  ``<numFmts>``) and each cell's ``s=``; errors and uncached formulas from the sheet XML;
- .xls: values and merged ranges from python-calamine; formats from the BIFF8 ``XF`` and
  ``FORMAT`` records and each cell record's XF index (``biff.py``); python-calamine does not
  expose them;
- .ods: ``content.xml`` (``office:value-type`` percentage/date, spans, errors).
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree import ElementTree

from ..errors import InputError, SheetError
from ..projectfile import read_bytes
from ..xlsx.package import OLE2_MAGIC, checked_zip
from ..xlsx.refs import col_letters
from . import biff

MAX_BYTES = 100 * 1024 * 1024
MAX_CELLS = 2_000_000

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
    _anchor: dict[tuple[int, int], tuple[int, int, int, int]] = field(default_factory=dict)
    max_row: int = 0
    max_col: int = 0
    hidden: str = ""  # the sheet's state: '' (visible), 'hidden' or 'veryHidden'
    hidden_rows: frozenset[int] = frozenset()  # 1-based rows hidden in the sheet (not on the printed form)

    def __post_init__(self) -> None:
        self.max_row = max((r for r, _ in self.cells), default=0)
        self.max_col = max((c for _, c in self.cells), default=0)
        for r0, c0, r1, c1 in self.merges:
            if (r1 - r0 + 1) * (c1 - c0 + 1) > 100_000:
                continue
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


@dataclass(slots=True)
class Workbook:
    path: Path
    sheets: list[Grid]


def ref(r: int, c: int) -> str:
    return f"{col_letters(c)}{r}"


def _split_ref(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Za-z]{1,3})(\d+)", text)
    if not m:
        raise ValueError(text)
    c = 0
    for ch in m.group(1).upper():
        c = c * 26 + ord(ch) - 64
    return int(m.group(2)), c


def _number(v: float | int) -> Decimal | None:
    """A number as Excel shows it: 15 significant digits, never the binary float."""
    if isinstance(v, int):
        return Decimal(v)
    if v != v or v in (float("inf"), float("-inf")):  # float-ok: NaN/∞ check on a read cell
        return None
    d = Decimal(format(v, ".15g"))  # float-ok: Excel keeps 15 significant digits
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


def read_workbook_grid(path: Path | str, data: bytes | None = None) -> Workbook:
    """Every worksheet of a .xlsx/.xlsm/.xls/.ods workbook, typed; encrypted, corrupt or
    unknown files are refused with one Chinese line. ``data``: the file's bytes, when the
    caller has read them already (a workbook is read once)."""
    path = Path(path)
    label = f"文件 {path}"
    if data is None:
        try:
            # regular files only, bounded: a FIFO or a link to /dev/zero named .xls never hangs
            data = read_bytes(path, MAX_BYTES)
        except InputError as exc:
            raise SheetError(exc.problems) from None
    if not data:
        raise SheetError(f"{label}: 文件为空")
    if data[:8] == OLE2_MAGIC:
        return _read_xls(path, data, label)
    if data[:4] != b"PK\x03\x04":
        raise SheetError(f"{label}: 不是 .xlsx/.xls/.ods 工作簿（文件头无效），可能已损坏")
    zf, _ = checked_zip(data, label, "工作簿")
    names = set(zf.namelist())
    if "content.xml" in names and "xl/workbook.xml" not in names:
        return _read_ods(path, zf, label)
    if "xl/workbook.xml" not in names:
        raise SheetError(f"{label}: 缺少部件 xl/workbook.xml，不是有效的 .xlsx 文件")
    return _read_xlsx(path, data, zf, label)


def _part(zf: zipfile.ZipFile, name: str, label: str) -> str:
    try:
        return zf.read(name).decode("utf-8")
    except KeyError:
        raise SheetError(f"{label}: 缺少部件 {name}，工作簿不完整") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, UnicodeDecodeError) as exc:
        raise SheetError(f"{label}: 工作簿已损坏（部件 {name} 无法读取：{type(exc).__name__}）") from None


def _calamine(path: Path, data: bytes, label: str):
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types
        if "Password" in type(exc).__name__:
            raise SheetError(f"{label}: 工作簿有密码保护，请去掉密码后另存") from None
        raise SheetError(f"{label}: 工作簿已损坏，无法读取（{type(exc).__name__}）") from None


def _calamine_sheet(wb, name: str, label: str) -> tuple[list[list[object]], list]:
    try:
        sheet = wb.get_sheet_by_name(name)
        return sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or []
    except Exception as exc:  # calamine's own error types
        raise SheetError(f"{label} 工作表「{name}」无法读取（{type(exc).__name__}）") from None


# ------------------------------------------------------------------ xlsx

_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_SHEET_ENTRY = re.compile(r"<(?:\w+:)?sheet\b([^>]*?)/?>")
_REL = re.compile(r"<Relationship\b([^>]*?)/?>")
_CELL = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_HAS_F = re.compile(r"<(?:\w+:)?f\b")
_ROW = re.compile(r"<(?:\w+:)?row\b([^<>]*)>")  # [^<>]: never rescans past the next tag
_V = re.compile(r"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_XF_BLOCK = re.compile(r"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(r"<(?:\w+:)?xf\b([^>]*?)/?>")
_NUMFMT = re.compile(r"<(?:\w+:)?numFmt\b([^>]*?)/?>")


def _unescape(text: str) -> str:
    return text.replace("&quot;", '"').replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _xlsx_styles(zf: zipfile.ZipFile, label: str) -> list[str]:
    """The format kind of each ``<cellXfs>`` entry, by index (``s=``)."""
    if "xl/styles.xml" not in zf.namelist():
        return []
    xml = _part(zf, "xl/styles.xml", label)
    codes = {}
    for m in _NUMFMT.finditer(xml):
        a = dict(_ATTR.findall(m.group(1)))
        if a.get("numFmtId", "").isdigit():
            codes[int(a["numFmtId"])] = _unescape(a.get("formatCode", ""))
    block = _XF_BLOCK.search(xml)
    kinds = []
    for m in _XF.finditer(block.group(1) if block else ""):
        a = dict(_ATTR.findall(m.group(1)))
        fid = int(a["numFmtId"]) if a.get("numFmtId", "").isdigit() else 0
        kinds.append(format_kind(codes.get(fid), fid))
    return kinds


def _xlsx_sheets(zf: zipfile.ZipFile, label: str) -> list[tuple[str, str]]:
    wb = _part(zf, "xl/workbook.xml", label)
    rels = {}
    if "xl/_rels/workbook.xml.rels" in zf.namelist():
        for m in _REL.finditer(_part(zf, "xl/_rels/workbook.xml.rels", label)):
            a = dict(_ATTR.findall(m.group(1)))
            target = a.get("Target", "")
            target = target[1:] if target.startswith("/") else "xl/" + target
            rels[a.get("Id")] = target
    out = []
    for m in _SHEET_ENTRY.finditer(wb):
        a = dict(_ATTR.findall(m.group(1)))
        rid = next((v for k, v in a.items() if k.endswith(":id") or k == "id"), None)
        part = rels.get(rid, "")
        if "worksheets/" in part or part.endswith(".xml") and "chartsheet" not in part:
            out.append((_unescape(a.get("name", "")), part))
    return out


def _read_xlsx(path: Path, data: bytes, zf: zipfile.ZipFile, label: str) -> Workbook:
    styles = _xlsx_styles(zf, label)
    entries = _xlsx_sheets(zf, label)
    wb = _calamine(path, data, label)
    states = _sheet_states(wb)
    sheets = []
    try:
        for name, part in entries:
            if part not in zf.namelist():
                continue
            xml = _part(zf, part, label)
            formats: dict[tuple[int, int], str] = {}
            special: dict[tuple[int, int], Cell] = {}
            typed_styles = {str(i) for i, k in enumerate(styles) if k != NUMBER}
            for m in _CELL.finditer(xml):
                head, inner = m.group(1), m.group(2) or ""
                a = None
                if 's="' in head:
                    a = dict(_ATTR.findall(head))
                    if a.get("s") not in typed_styles:
                        a = None
                if a is None and 't="e"' not in head and "<f" not in inner and ":f" not in inner:
                    continue
                a = a or dict(_ATTR.findall(head))
                try:
                    r, c = _split_ref(a.get("r", ""))
                except ValueError:
                    continue
                if a.get("s") in typed_styles:
                    formats[(r, c)] = styles[int(a["s"])]
                v = _V.search(inner)
                if a.get("t") == "e":
                    special[(r, c)] = Cell(v.group(1) if v else "#N/A", ERROR, a["r"])
                elif _HAS_F.search(inner) and (v is None or v.group(1) == "") and a.get("t") != "inlineStr":
                    special[(r, c)] = Cell("", NOCACHE, a["r"])
            rows, merged = _calamine_sheet(wb, name, label)
            cells = _grid_cells(rows, formats, label, name)
            cells.update(special)
            merges = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in merged]
            sheets.append(Grid(name, cells, merges, hidden=states.get(name, ""), hidden_rows=_xlsx_hidden_rows(xml)))
    finally:
        wb.close()
    return Workbook(path, sheets)


def _xlsx_hidden_rows(xml: str) -> frozenset[int]:
    out = set()
    for m in _ROW.finditer(xml):
        head = m.group(1)
        if "hidden=" in head:
            a = dict(_ATTR.findall(head))
            if a.get("hidden") in ("1", "true") and a.get("r", "").isdigit():
                out.add(int(a["r"]))
    return frozenset(out)


def _sheet_states(wb) -> dict[str, str]:
    """Each sheet's visibility as python-calamine reads it: '' (visible), 'hidden' or 'veryHidden'."""
    from python_calamine import SheetVisibleEnum

    def state(visible) -> str:
        if visible == SheetVisibleEnum.Hidden:
            return "hidden"
        return "veryHidden" if visible == SheetVisibleEnum.VeryHidden else ""

    try:
        return {m.name: state(m.visible) for m in wb.sheets_metadata}
    except Exception:  # noqa: BLE001 - calamine's own error types; visibility unknown is visible
        return {}


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
                    raise SheetError(f"{label} 工作表「{name}」: 单元格超过 {MAX_CELLS} 个，拒绝读取")
    return cells


# ------------------------------------------------------------------ xls


def _read_xls(path: Path, data: bytes, label: str) -> Workbook:
    try:
        streams = biff.cfb_streams(data)
    except biff.BiffError:
        raise SheetError(f"{label}: .xls 文件已损坏（复合文档结构无效）") from None
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        raise SheetError(f"{label}: 工作簿已加密（设了打开密码），请在 Excel/WPS 中去掉密码并另存后再试")
    book = streams.get("Workbook") or streams.get("Book")
    if book is None:
        raise SheetError(f"{label}: 不是 Excel 工作簿（复合文档中没有 Workbook 流）")
    try:
        info = biff.read_book(book)
    except biff.BiffError:
        info = None
    if info is not None and info.encrypted:
        raise SheetError(f"{label}: 工作簿已加密（设了打开密码），请在 Excel/WPS 中去掉密码并另存后再试")
    wb = _calamine(path, data, label)
    states = _sheet_states(wb)
    sheets = []
    try:
        for name in wb.sheet_names:
            rows, merged = _calamine_sheet(wb, name, label)
            meta = info.sheets.get(name) if info else None
            formats = dict(meta.formats) if meta else {}
            cells = _grid_cells(rows, formats, label, name)
            if meta:
                for (r, c), code in meta.errors.items():
                    cells[(r, c)] = Cell(code, ERROR, ref(r, c))
            merges = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in merged]
            sheets.append(Grid(name, cells, merges, formats_known=meta is not None, hidden=states.get(name, ""),
                               hidden_rows=frozenset(meta.hidden_rows) if meta else frozenset()))
    finally:
        wb.close()
    return Workbook(path, sheets)


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
        parts = []

        def walk(el: ElementTree.Element) -> None:
            if el.text:
                parts.append(el.text)
            for child in el:
                if child.tag == f"{_X}s":
                    parts.append(" " * int(child.get(f"{_X}c", "1")))
                elif child.tag == f"{_X}tab":
                    parts.append("\t")
                elif child.tag == f"{_X}line-break":
                    parts.append("\n")
                else:
                    walk(child)
                if child.tail:
                    parts.append(child.tail)

        walk(p)
        lines.append("".join(parts))
    return "\n".join(lines).strip()


def _ods_cell(el: ElementTree.Element, r: int, c: int) -> Cell | None:
    vtype = el.get(f"{_O}value-type")
    formula = el.get(f"{_T}formula")
    where = ref(r, c)
    if el.get(f"{_C}value-type") == "error" or (formula and _ods_text(el) in _ERROR_TEXTS):
        return Cell(_ods_text(el) or "#N/A", ERROR, where)
    if vtype in ("float", "percentage", "currency"):
        try:
            d = Decimal(el.get(f"{_O}value", ""))
        except InvalidOperation:
            return Cell("", NOCACHE, where) if formula else None
        d = d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()
        return Cell(d, PERCENT if vtype == "percentage" else NUMBER, where)
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
    except ElementTree.ParseError:
        raise SheetError(f"{label}: 工作簿已损坏（content.xml 不是有效的 XML）") from None
    sheets = []
    hidden_styles = {st.get(f"{_S}name") for st in root.iter(f"{_S}style")
                     if any(tp.get(f"{_T}display") == "false" for tp in st.iter(f"{_S}table-properties"))}
    for table in root.iter(f"{_T}table"):
        name = table.get(f"{_T}name", "")
        cells: dict[tuple[int, int], Cell] = {}
        merges = []
        hidden_rows: set[int] = set()
        r = 0
        for row in table.iter(f"{_T}table-row"):
            rrep = int(row.get(f"{_T}number-rows-repeated", "1"))
            if row.get(f"{_T}visibility", "visible") != "visible" and len(row):
                hidden_rows.update(range(r + 1, r + 1 + min(rrep, 1024)))
            c = 0
            row_cells = []
            for el in row:
                if el.tag not in (f"{_T}table-cell", f"{_T}covered-table-cell"):
                    continue
                crep = int(el.get(f"{_T}number-columns-repeated", "1"))
                if el.tag == f"{_T}table-cell" and len(el) or el.get(f"{_O}value-type"):
                    cell = _ods_cell(el, r + 1, c + 1)
                    if cell is not None:
                        for k in range(min(crep, 1024)):
                            row_cells.append((c + 1 + k, cell))
                    cs = int(el.get(f"{_T}number-columns-spanned", "1"))
                    rs = int(el.get(f"{_T}number-rows-spanned", "1"))
                    if cs > 1 or rs > 1:
                        merges.append((r + 1, c + 1, r + rs, c + cs))
                c += crep
            for k in range(min(rrep, 1024) if row_cells else 0):
                for col, cell in row_cells:
                    cells[(r + 1 + k, col)] = Cell(cell.value, cell.kind, ref(r + 1 + k, col))
            if len(cells) > MAX_CELLS:
                raise SheetError(f"{label} 工作表「{name}」: 单元格超过 {MAX_CELLS} 个，拒绝读取")
            r += rrep
        sheets.append(Grid(name, cells, merges, hidden="hidden" if table.get(f"{_T}style-name") in hidden_styles else "",
                           hidden_rows=frozenset(hidden_rows)))
    return Workbook(path, sheets)
