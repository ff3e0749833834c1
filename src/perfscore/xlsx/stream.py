"""A minimal streaming .xlsx writer for large plain tables (summary.xlsx).

openpyxl builds every cell as an object and needs minutes for 170,000 indicator rows;
this writer emits each row's XML as it comes. What it supports is what the batch
summary needs and nothing more:

- sheets of rows; ``str`` cells are inline strings (so ``=1+1`` or ``@x`` stays text,
  never a formula), ``Decimal`` cells are numbers shown as ``0.00``, ``int`` cells are
  numbers in the general format, ``None`` is an empty cell;
- a bold header style with a fill, a frozen first row, one autoFilter per sheet,
  column widths that fit the longest text (wide CJK characters count 2).

Rows are spooled to a temporary file while the column widths are measured (``<cols>``
precedes ``<sheetData>`` in the sheet XML); the zip is written on ``close()``.

Kept hand-written on purpose: for summary.xlsx it measured 4–5× faster than XlsxWriter in
``constant_memory`` mode, and it adds no dependency.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Sequence

from ..writing import TEMP_PREFIX
from ..textwidth import cell_width
from .cells import escape_text
from .refs import col_letters

# Measured on summary.xlsx for 10,000 projects × 17 indicators (138 MB of sheet XML, 2 cores):
# deflating takes 0.27 s at level 1 (12.2 MB), 0.35 s at 3 (11.3 MB), 0.71 s at 6 (9.9 MB),
# against ~2 s to build the rows. Level 6 costs half a second for a file a fifth smaller.
COMPRESS_LEVEL = 6  # the documents' (report.docx)
# A table's sheets, once the workers render the rows (issue 25), are mostly deflating: for
# 2,000 synthetic projects (35 MB of XML) 0.085 s at level 1 (3.40 MB), 0.134 s at 3 (3.16 MB),
# 0.44 s at 6 (2.72 MB). Level 1: a file a quarter larger, written five times faster.
TABLE_COMPRESS_LEVEL = 1
MAX_WIDTH = 60  # characters; longer text is cut off on screen, not in the cell
MIN_WIDTH = 6
FLUSH_ROWS = 2000

# indices into cellXfs of STYLES: every written cell has a thin border; WRAP wraps a long text
# in its column; TOTAL is a bold 合计 row (its Decimals in TOTAL_NUMBER, 0.00)
PLAIN, HEADER, NUMBER, WRAP, TOTAL, TOTAL_NUMBER = 0, 1, 2, 3, 4, 5
LINE_HEIGHT = 15  # points a line of 11-point text takes (sheetFormatPr defaultRowHeight)


@dataclass(frozen=True)
class PageSetup:
    """How a sheet prints: A4, landscape, fitted to ``fit_width`` pages across and
    ``fit_height`` down (0: as many as needed), the first ``title_rows`` rows repeated on
    every page (``_xlnm.Print_Titles``)."""

    landscape: bool = True
    fit_width: int = 1
    fit_height: int = 0
    title_rows: int = 1

    def sheet_pr(self) -> str:
        return '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'

    def tail(self) -> str:
        orientation = "landscape" if self.landscape else "portrait"
        return ('<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" footer="0.3"/>'
                f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="{self.fit_width}" '
                f'fitToHeight="{self.fit_height}"/>')

_LETTERS = [col_letters(i) for i in range(1, 257)]  # 0-based column → letters
ROW = "\x01"  # where a rendered row's number goes (a character XML cannot hold: cell text drops it)
ROW_BYTES = ROW.encode("ascii")
ROWS = "\x02"  # between the rows of several rendered at once (no more in XML than ROW)
ROWS_BYTES = ROWS.encode("ascii")
_REFS = [letters + ROW for letters in _LETTERS]  # a cell's reference in a rendered row (ROW: its number)
ROW_OPEN = f'<row r="{ROW}">'


def _attr(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="2">
<font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>
<font><b/><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>
</fonts>
<fills count="3">
<fill><patternFill patternType="none"/></fill>
<fill><patternFill patternType="gray125"/></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill>
</fills>
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>
<border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="6">
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1"/>
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>
<xf numFmtId="2" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1"/>
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1"/>
<xf numFmtId="2" fontId="1" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyFont="1" applyBorder="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>
"""

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


_TEXTS: dict[str, tuple[str, int]] = {}  # a text → its cell's XML after the reference, its width (texts repeat)


def _text_cell(value: str) -> tuple[str, int]:
    """A non-empty text's cell XML after its reference, and its width."""
    hit = _TEXTS.get(value)
    if hit is None:
        space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
        hit = (f' t="inlineStr"><is><t{space}>{escape_text(value)}</t></is></c>', cell_width(value))
        if len(value) <= 200:
            if len(_TEXTS) >= 8192:
                _TEXTS.clear()
            _TEXTS[value] = hit
    return hit


def _cell(value: object, ref: str, forced: str = "", number: int = NUMBER) -> tuple[str, int] | None:
    """One cell's XML at ``ref`` and its width (uncapped); None: an empty cell (nothing written)."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            return None
        tail, w = _TEXTS.get(value) or _text_cell(value)
        return f'<c r="{ref}"{forced}{tail}', w
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value}")
        text = format(value, "f")
        w = text.find(".")
        return f'<c r="{ref}" s="{number}"><v>{text}</v></c>', (len(text) if w < 0 else w) + 3  # shown as 0.00
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        return f'<c r="{ref}"{forced}><v>{text}</v></c>', len(text)
    raise TypeError(f"cannot write {type(value).__name__} to a cell")


def render_row(values: Sequence[object], widths: list[int], style: int | None = None, lines: int = 1) -> str:
    """One row's XML with ``ROW`` for its number (``Sheet.write_row``'s cells, so a row can
    be rendered in a worker and numbered where it is written); ``widths`` grows to the
    row's columns and keeps, per column, the widest cell so far (at most MAX_WIDTH)."""
    if len(values) > len(widths):
        widths.extend([0] * (len(values) - len(widths)))
    forced = f' s="{style}"' if style else ""
    number = TOTAL_NUMBER if style == TOTAL else (style or NUMBER)
    height = f' ht="{LINE_HEIGHT * lines}" customHeight="1"' if lines > 1 else ""
    parts = [f'<row r="{ROW}"{height}>']
    for col, value in enumerate(values):
        hit = _cell(value, _REFS[col], forced, number)
        if hit is not None:
            parts.append(hit[0])
            if hit[1] > widths[col]:
                widths[col] = min(hit[1], MAX_WIDTH)
    parts.append("</row>")
    return "".join(parts)


_NUMBER_KINDS = frozenset({Decimal, type(None)})
_INTEGER_KINDS = frozenset({int, type(None)})
_COLUMNS: list[dict] = []  # per column: a text (or None) → (its whole cell's XML, its width), for render_rows


def _column_texts(col: int) -> dict:
    while len(_COLUMNS) <= col:
        _COLUMNS.append({})
    cache = _COLUMNS[col]
    if len(cache) >= 8192:
        cache.clear()
    if not cache:  # an empty cell: nothing written, no width
        cache[""] = cache[None] = ("", 0)
    return cache


def _column_cell(col: int, value: object) -> tuple[str, int]:
    """A plain cell of column ``col`` as render_row writes it, and its width (a text's kept)."""
    if type(value) is not str:
        hit = _cell(value, _REFS[col])
        return ("", 0) if hit is None else (hit[0], min(hit[1], MAX_WIDTH))
    tail, w = _text_cell(value)
    hit = (f'<c r="{_REFS[col]}"{tail}', w if w < MAX_WIDTH else MAX_WIDTH)
    if len(value) <= 200:
        _column_texts(col)[value] = hit
    return hit


def _numbers(col: int, values: Sequence, kinds: frozenset) -> tuple[list[str], list[int]] | None:
    """A column of Decimals or of ints (either with empty cells) as render_row writes them:
    (each cell's XML, its width); None when a Decimal is not finite (render_row refuses it)."""
    present = [v for v in values if v is not None] if type(None) in kinds else values
    texts = list(map(str, present))
    joined = "".join(texts)
    if Decimal in kinds:
        if "E" in joined:  # str() wrote an exponent: the cell holds the plain digits
            texts = [format(v, "f") for v in present]
            joined = "".join(texts)
        if "N" in joined or "I" in joined:  # NaN, Infinity
            return None
        widths = [(len(t) if (i := t.find(".")) < 0 else i) + 3 for t in texts]  # shown as 0.00
        xml = list(map(f'<c r="{_REFS[col]}" s="{NUMBER}"><v>{{}}</v></c>'.format, texts))
    else:
        widths = list(map(len, texts))
        xml = list(map(f'<c r="{_REFS[col]}"><v>{{}}</v></c>'.format, texts))
    if widths and max(widths) > MAX_WIDTH:
        widths = [min(w, MAX_WIDTH) for w in widths]
    if len(present) < len(values):
        cells, sizes = iter(xml), iter(widths)
        xml = [next(cells) if v is not None else "" for v in values]
        widths = [next(sizes) if v is not None else 0 for v in values]
    return xml, widths


def render_rows(rows: Sequence[Sequence[object]]) -> tuple[str, bytes, bytes]:
    """Rows of plain cells (``render_row`` with no style), rendered column by column:
    (their XML, the same text as render_row's, apart by ``ROWS``; the widest cell of each
    column; each row's own widths, one row after the other). A column of Decimals or of
    ints is written by one format; a text's cell is remembered whole, per column; any
    other value is written as render_row writes it. Rows of uneven length go row by row."""
    if len(rows) > 1 and len(set(map(len, rows))) == 1:
        cells: list = []
        widths: list = []
        for col, values in enumerate(zip(*rows)):
            column = None
            if type(values[0]) is not str:
                kinds = frozenset(map(type, values))
                if kinds <= _NUMBER_KINDS or kinds <= _INTEGER_KINDS:  # (a bool is no int here)
                    column = _numbers(col, values, kinds)
            if column is None:
                cache = _COLUMNS[col] if col < len(_COLUMNS) and _COLUMNS[col] else _column_texts(col)
                hits = list(map(cache.get, values))
                if None in hits:  # a text not seen yet in this column, or another value
                    hits = [hit or _column_cell(col, v) for hit, v in zip(hits, values)]
                column = tuple(zip(*hits))
            cells.append(column[0])
            widths.append(column[1])
        template = ROW_OPEN + "{}" * len(cells) + "</row>"
        return (ROWS.join(map(template.format, *cells)), bytes(map(max, widths)),
                b"".join(map(bytes, zip(*widths))))
    xml, each = [], []
    for row in rows:
        own: list[int] = []
        xml.append(render_row(row, own))
        each.append(own)
    if not each:
        return "", b"", b""
    return ROWS.join(xml), bytes(map(max, *each)) if len(each) > 1 else bytes(each[0]), b"".join(map(bytes, each))


class Sheet:
    """One worksheet; add rows with ``write_row`` (in order, top to bottom)."""

    def __init__(self, name: str, tmpdir: str | None, freeze_header: bool, page_setup: PageSetup | None = None):
        self.name = name
        self.freeze_header = freeze_header
        self.page_setup = page_setup
        self.rows = 0
        self.columns = 0
        self.widths: list[int] = []
        self.autofilter: tuple[int, int, int, int] | None = None  # first row, last row, first col, last col (0-based)
        self._spool: IO[bytes] = tempfile.TemporaryFile(dir=tmpdir, prefix=TEMP_PREFIX)
        self._pending: list[bytes] = []  # rows as UTF-8 XML

    def write_row(self, values: Sequence[object], style: int | None = None, lines: int = 1) -> None:
        """Append one row. ``style`` (e.g. ``HEADER``) applies to every cell of the row;
        otherwise strings are plain and Decimals use the 0.00 number format. ``lines`` > 1
        makes the row that many lines high (for a ``WRAP`` text)."""
        r = self.rows + 1
        xml = render_row(values, self.widths, style, lines)
        self.columns = len(self.widths)
        self._pending.append(xml.replace(ROW, str(r)).encode("utf-8"))
        self.rows = r
        if len(self._pending) >= FLUSH_ROWS:
            self._flush()

    def write_rendered(self, xml: bytes, widths: Sequence[int]) -> None:
        """Append rows rendered already (``render_row``, UTF-8, ``ROW`` where the number
        goes, apart by ``ROWS``), whose cells are at most ``widths`` wide (column by column)."""
        r = self.rows
        pending = self._pending
        for row in xml.split(ROWS_BYTES):
            r += 1
            pending.append(row.replace(ROW_BYTES, b"%d" % r))
        self.rows = r
        own = self.widths
        if len(widths) > len(own):
            own.extend([0] * (len(widths) - len(own)))
            self.columns = len(own)
        for col, w in enumerate(widths):
            if w > own[col]:
                own[col] = w
        if len(pending) >= FLUSH_ROWS:
            self._flush()

    def respool(self, path: str) -> None:
        """In a forked child: spool this sheet's rows, from now on, into the new file
        ``path``; its ``state()`` and that file are then the parent's to ``adopt``."""
        self._spool = open(path, "x+b")  # noqa: SIM115 - the child exits without closing

    def state(self) -> tuple:
        """(rows, columns, widths, autofilter), its rows flushed to its spool."""
        self._flush()
        self._spool.flush()
        return self.rows, self.columns, list(self.widths), self.autofilter

    def adopt(self, path: str, state: tuple) -> None:
        """Take the rows a forked child wrote into ``path`` (``respool``) in place of this
        sheet's own; ``path`` is unlinked (the open file keeps the rows)."""
        spool = open(path, "r+b")  # noqa: SIM115 - closed with the workbook
        os.unlink(path)
        spool.seek(0, os.SEEK_END)
        self._spool.close()
        self._spool, self._pending = spool, []
        self.rows, self.columns, self.widths, self.autofilter = state

    def set_autofilter(self, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
        """Filter buttons on a table (0-based, inclusive); Excel allows one per sheet."""
        self.autofilter = (first_row, last_row, first_col, last_col)

    def filter_ref(self, absolute: bool = False) -> str | None:
        if self.autofilter is None:
            return None
        r1, r2, c1, c2 = self.autofilter
        d = "$" if absolute else ""
        return f"{d}{_LETTERS[c1]}{d}{r1 + 1}:{d}{_LETTERS[c2]}{d}{r2 + 1}"

    def _flush(self) -> None:
        if self._pending:
            self._spool.write(b"".join(self._pending))
            self._pending.clear()

    def _head(self) -> str:
        dimension = f"A1:{_LETTERS[max(self.columns, 1) - 1]}{max(self.rows, 1)}"
        if self.freeze_header and self.rows > 1:
            view = (
                '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>'
            )
        else:
            view = '<sheetView workbookViewId="0"/>'
        cols = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{min(max(w, MIN_WIDTH), MAX_WIDTH) + 2}" customWidth="1"/>'
            for i, w in enumerate(self.widths)
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} {_NS_R}>'
            + (self.page_setup.sheet_pr() if self.page_setup else "")
            + f'<dimension ref="{dimension}"/><sheetViews>{view}</sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>"
        )

    def _tail(self) -> str:
        ref = self.filter_ref()
        return ("</sheetData>" + (f'<autoFilter ref="{ref}"/>' if ref else "")
                + (self.page_setup.tail() if self.page_setup else "") + "</worksheet>")

    def print_titles(self) -> str | None:
        """The rows repeated on every printed page, as a defined name's value (``$1:$1``)."""
        if self.page_setup is None or self.page_setup.title_rows < 1 or self.rows < 1:
            return None
        return f"$1:${min(self.page_setup.title_rows, self.rows)}"

    def _write_into(self, zf: zipfile.ZipFile, name: str, compresslevel: int) -> None:
        self._flush()
        head, tail = self._head().encode("utf-8"), self._tail().encode("utf-8")
        info = _zip_info(name, compresslevel)
        info.file_size = len(head) + self._spool.tell() + len(tail)  # lets zipfile decide on ZIP64
        self._spool.seek(0)
        with zf.open(info, "w") as out:
            out.write(head)
            while chunk := self._spool.read(1 << 20):
                out.write(chunk)
            out.write(tail)

    def discard(self) -> None:
        self._spool.close()


class Workbook:
    """An .xlsx written to ``fileobj`` (a binary file opened for writing) on ``close()``.

    ``tmpdir`` is where rows are spooled (unlinked temporary files); by default the
    system's temporary directory."""

    def __init__(self, fileobj: IO[bytes], tmpdir: str | None = None, compresslevel: int = TABLE_COMPRESS_LEVEL,
                 page_setup: PageSetup | None = None):
        self.fileobj = fileobj
        self.page_setup = page_setup  # every sheet's, unless a sheet sets its own
        self.tmpdir = tmpdir
        self.compresslevel = compresslevel
        self.sheets: list[Sheet] = []

    def add_sheet(self, name: str, freeze_header: bool = True, after: Sheet | None = None) -> Sheet:
        """A new sheet, last or right ``after`` a sheet of this workbook (a table's next part)."""
        if not name or len(name) > 31 or re.search(r"[\[\]:*?/\\]", name):
            raise ValueError(f"invalid sheet name: {name!r}")
        if any(s.name.casefold() == name.casefold() for s in self.sheets):
            raise ValueError(f"duplicate sheet name: {name!r}")
        sheet = Sheet(name, self.tmpdir, freeze_header, self.page_setup)
        self.sheets.insert(len(self.sheets) if after is None else self.sheets.index(after) + 1, sheet)
        return sheet

    def close(self) -> None:
        try:
            with zipfile.ZipFile(self.fileobj, "w", zipfile.ZIP_DEFLATED, compresslevel=self.compresslevel) as zf:
                level = self.compresslevel
                zf.writestr(_zip_info("[Content_Types].xml", level), self._content_types())
                zf.writestr(_zip_info("_rels/.rels", level), _ROOT_RELS)
                zf.writestr(_zip_info("xl/workbook.xml", level), self._workbook())
                zf.writestr(_zip_info("xl/_rels/workbook.xml.rels", level), self._workbook_rels())
                zf.writestr(_zip_info("xl/styles.xml", level), STYLES)
                for n, sheet in enumerate(self.sheets, 1):
                    sheet._write_into(zf, f"xl/worksheets/sheet{n}.xml", level)
        finally:
            self.discard()

    def discard(self) -> None:
        for sheet in self.sheets:
            sheet.discard()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()

    def _content_types(self) -> str:
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for n in range(1, len(self.sheets) + 1)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{sheets}</Types>"
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{_attr(s.name)}" sheetId="{n}" r:id="rId{n}"/>' for n, s in enumerate(self.sheets, 1)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
            f"{_attr(_quote_sheet(s.name))}!{s.filter_ref(absolute=True)}</definedName>"
            for n, s in enumerate(self.sheets)
            if s.autofilter is not None
        ) + "".join(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{n}">{_attr(_quote_sheet(s.name))}!{s.print_titles()}</definedName>'
            for n, s in enumerate(self.sheets)
            if s.print_titles() is not None
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS} {_NS_R}>'
            '<bookViews><workbookView/></bookViews>'
            f"<sheets>{sheets}</sheets>" + (f"<definedNames>{names}</definedNames>" if names else "") + "</workbook>"
        )

    def _workbook_rels(self) -> str:
        rels = "".join(
            f'<Relationship Id="rId{n}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(self.sheets) + 1)
        )
        styles = len(self.sheets) + 1
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}"
            f'<Relationship Id="rId{styles}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            "</Relationships>"
        )


def _zip_info(name: str, compresslevel: int) -> zipfile.ZipInfo:
    """A deflated entry with a fixed timestamp, so the same data gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    if hasattr(zipfile.ZipInfo, "compress_level"):  # Python ≥ 3.13
        info.compress_level = compresslevel
    else:
        info._compresslevel = compresslevel
    return info


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
