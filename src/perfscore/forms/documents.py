"""Forms inside documents (issue 21): the tables of a Word report (.docx) or of a PDF with a
text layer, each as a ``Grid`` — the same model of cells, merges and text that a worksheet
becomes — so the one form reader reads them by their labels.

- .docx (python-docx's XML tree): each ``w:tbl`` in document order (inside content controls,
  and tables nested in a cell, too); a cell spans ``w:gridSpan`` columns and ``w:vMerge``
  continues the cell above; ``w:gridBefore`` skips leading grid columns;
- .pdf (pdfplumber): each ruled table on each page; the cells' edges give the grid's rows and
  columns, a cell spanning several of them is a merge; a table that runs on at the top of the
  next page with the same column edges is one table; the characters inside each cell are its
  text. A PDF without a text layer (a scan) is refused.

Every value is text (a document has no number cells), so amounts and weights go through the
same parsing as a typed text cell: what does not parse is an error naming the table and cell.
The short lines just above a table that hold 表 or 年度 (项目支出绩效自评表, （2024年度）) are
its caption: the grid's name, which tells a form from other tables; every other table and the
prose are passed over by the form reader.
"""

from __future__ import annotations

import bisect
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import SheetError
from ..xlsx.package import OLE2_MAGIC, checked_zip
from .formats import OVERFLOW
from .grid import TEXT, Cell, Grid, file_bytes, ref
from .. import limits
from ..limits import MAX_CELLS, MAX_FILE_BYTES

MAX_COLUMNS = limits.MAX_COL  # what a worksheet may have
_CAPTION_LINES = 3
_CAPTION_WIDTH = 60


@dataclass
class DocumentTable:
    """One table of a document: its grid (named by its caption, '' when none) and where it
    is (``第2个表格``, ``第3个表格（第5页）``)."""

    grid: Grid
    label: str


def read_document_tables(path: Path | str, data: bytes | None = None) -> list[DocumentTable]:
    """Every table of a .docx or a text .pdf, in document order, as grids; a damaged,
    encrypted or scanned document is refused with one Chinese line (SheetError)."""
    path = Path(path)
    label = f"文件 {path}"
    data = file_bytes(path, data, MAX_FILE_BYTES)
    if b"%PDF-" in data[:1024]:
        return _pdf_tables(data, label)
    if data[:8] == OLE2_MAGIC:
        raise SheetError(f"{label}: 是旧版 .doc 文件，或是加密（设了打开密码）的文档；请在 Word/WPS 中去掉密码并另存为 .docx 后再试")
    if data[:4] != b"PK\x03\x04":
        raise SheetError(f"{label}: 不是 .docx 或 PDF 文档（文件头无效），可能已损坏")
    return _docx_tables(data, label)


class _Cells:
    """The cells of one document, counted against the limit every reader applies."""

    def __init__(self, label: str):
        self.label, self.count, self.tables = label, 0, 0

    def add(self, cells: dict, r: int, c: int, text: str) -> None:
        if c > MAX_COLUMNS:
            raise SheetError(f"{self.label}: 表格超过 {MAX_COLUMNS} 列，拒绝读取")
        text = text.strip()
        if text:
            cells[(r, c)] = Cell(text, TEXT, ref(r, c))
            self.count += 1
            if self.count > MAX_CELLS:
                limits.check_cell_count(self.count, self.label)

    def grid(self, name: str, cells: dict, merges: list, where: str) -> Grid:
        """A table's Grid once past the limits every reader applies: its merged ranges
        bounded in count and area, the document's tables in number."""
        self.tables += 1
        limits.check_document(0, self.tables, self.label)
        rows = max((r1 for _, _, r1, _ in merges), default=0) or max((r for r, _ in cells), default=0)
        cols = max((c1 for _, _, _, c1 in merges), default=0) or max((c for _, c in cells), default=0)
        return Grid(name, cells, limits.check_merges(merges, max(rows, 1), max(cols, 1), f"{self.label} {where}"))


def _caption(lines: list[str]) -> str:
    """The caption of a table from the text lines above it (nearest last): the short lines
    holding 表 or 年度, up to the first long one or sentence (…如下：, …。)."""
    picked: list[str] = []
    for line in reversed(lines[-_CAPTION_LINES * 2:]):
        line = line.strip()
        if not line:
            continue
        if len(line) > _CAPTION_WIDTH or len(picked) == _CAPTION_LINES or line[-1] in "。：:；;，,":
            break
        if "表" in line or "年度" in line:
            picked.append(line)
    return " ".join(reversed(picked))


# ------------------------------------------------------------------ docx


def _docx_tables(data: bytes, label: str) -> list[DocumentTable]:
    zf, _ = checked_zip(data, label, "文档")
    if "word/document.xml" not in zf.namelist():
        raise SheetError(f"{label}: 缺少部件 word/document.xml，不是有效的 .docx 文件")
    import docx
    from docx.oxml.ns import qn

    try:
        body = docx.Document(io.BytesIO(data)).element.body
    except Exception as exc:  # python-docx and lxml raise their own error types
        raise SheetError(f"{label}: 文档已损坏，无法读取（{type(exc).__name__}）") from None
    reader = _Docx(qn, _Cells(label))
    reader.walk(body, [])
    return reader.tables


class _Docx:
    def __init__(self, qn, counter: _Cells):
        self.qn, self.counter = qn, counter
        self.tables: list[DocumentTable] = []
        self.P, self.TBL, self.TR, self.TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
        self.WRAPPERS = {qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:smartTag")}
        self.T, self.TAB, self.BR, self.CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
        self.VAL = qn("w:val")

    def children(self, el, tag):
        """``el``'s children with ``tag``, looking through content controls."""
        for child in el.iterchildren():
            if child.tag == tag:
                yield child
            elif child.tag in self.WRAPPERS:
                yield from self.children(child, tag)

    def text(self, p) -> str:
        parts = []
        for el in p.iter(self.T, self.TAB, self.BR, self.CR):
            parts.append(el.text or "" if el.tag == self.T else ("\t" if el.tag == self.TAB else "\n"))
        return "".join(parts)

    def walk(self, el, lines: list[str]) -> None:
        """Paragraphs and tables in document order; ``lines``: the paragraphs since the last table."""
        for child in el.iterchildren():
            if child.tag == self.P:
                lines.append(self.text(child))
            elif child.tag == self.TBL:
                self.table(child, _caption(lines))
                lines.clear()
            elif child.tag in self.WRAPPERS:
                self.walk(child, lines)

    def _prop(self, el, *path) -> str | None:
        for tag in path:
            if el is None:
                return None
            el = el.find(self.qn(tag))
        return None if el is None else el.get(self.VAL, "")

    def table(self, tbl, caption: str) -> None:
        cells: dict[tuple[int, int], Cell] = {}
        spans: dict[tuple[int, int], list[int]] = {}  # anchor → [r1, c1]
        above: dict[int, tuple[int, int]] = {}  # column → anchor of the cell that may continue down
        nested = []
        n = len(self.tables) + 1
        self.tables.append(None)  # keeps document order: nested tables come after this one
        for r, tr in enumerate(self.children(tbl, self.TR), start=1):
            before = self._prop(tr, "w:trPr", "w:gridBefore")
            c = 1 + (int(before) if before and before.isdigit() else 0)
            row_above, above = above, {}
            for tc in self.children(tr, self.TC):
                span = self._prop(tc, "w:tcPr", "w:gridSpan")
                width = min(int(span), MAX_COLUMNS) if span and span.isdigit() and int(span) > 0 else 1
                vmerge = self._prop(tc, "w:tcPr", "w:vMerge")
                hmerge = self._prop(tc, "w:tcPr", "w:hMerge")
                if vmerge is not None and vmerge != "restart" and c in row_above:
                    anchor = row_above[c]  # continues the cell above
                    spans[anchor][0] = r
                elif hmerge is not None and hmerge != "restart" and (r, c - 1) in spans:
                    anchor = (r, c - 1)
                    spans[anchor][1] = c + width - 1
                elif hmerge is not None and hmerge != "restart" and any(a[0] == r for a in spans):
                    anchor = max(a for a in spans if a[0] == r)
                    spans[anchor][1] = c + width - 1
                else:
                    anchor = (r, c)
                    spans[anchor] = [r, c + width - 1]
                    paragraphs = [self.text(p) for p in self.children(tc, self.P)]
                    self.counter.add(cells, r, c, "\n".join(paragraphs))
                above[c] = anchor
                nested += list(self.children(tc, self.TBL))
                c += width
        merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in spans.items() if (r1, c1) != (r0, c0)]
        self.tables[n - 1] = DocumentTable(self.counter.grid(caption, cells, merges, f"第{n}个表格"), f"第{n}个表格")
        for inner in nested:
            self.table(inner, "")


# ------------------------------------------------------------------ pdf

_ASCII_WORD = re.compile(r"[0-9A-Za-z%.)\]]")


def _pdf_tables(data: bytes, label: str) -> list[DocumentTable]:
    import pdfplumber

    counter = _Cells(label)
    built: list[_Built] = []
    text_seen = False
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer's own error types
        raise SheetError(_pdf_broken(label, exc)) from None
    try:
        try:
            pages = pdf.pages
        except Exception as exc:
            raise SheetError(_pdf_broken(label, exc)) from None
        limits.check_document(len(pages), 0, label)
        running: _Built | None = None  # a table that ended its page: it may run on at the next one's top
        for number, page in enumerate(pages, start=1):
            try:
                chars = page.chars
                if len(chars) > MAX_CELLS:
                    raise SheetError(f"{label}: 第{number}页的字符超过 {MAX_CELLS} 个，拒绝读取")
                found = sorted(page.find_tables(), key=lambda t: t.bbox[1]) if chars else []
            except SheetError:
                raise
            except Exception as exc:
                raise SheetError(_pdf_broken(label, exc, number)) from None
            text_seen = text_seen or any(ch.get("text", "").strip() for ch in chars)
            previous_bottom = 0.0
            for i, table in enumerate(found):
                top = table.bbox[1]
                caption = _caption(_lines([ch for ch in chars if previous_bottom <= ch["top"] and ch["bottom"] <= top]))
                if not (i == 0 and running is not None and not caption and running.continued_by(table.cells)):
                    running = _Built(caption, f"第{len(built) + 1}个表格（第{number}页）")
                    built.append(running)
                running.add(table.bbox, table.cells, chars)
                previous_bottom = table.bbox[3]
            below = [ch for ch in chars if ch["top"] >= previous_bottom and ch.get("text", "").strip()]
            if not found or len(below) > 40:
                running = None  # prose after the last table: a table on the next page starts anew
    finally:
        pdf.close()
    if not text_seen:
        raise SheetError(f"{label}: PDF 没有文字层（可能是扫描件或图片），无法读取其中的表格；"
                         "请使用可复制文字的 PDF，或原 Word/Excel 文件")
    return [DocumentTable(b.grid(counter), b.label) for b in built]


class _Built:
    """One PDF table as it is read, page by page: its cells' boxes and the characters
    inside it, each page's part moved up to abut the part before it."""

    def __init__(self, caption: str, label: str):
        self.caption, self.label = caption, label
        self.boxes: list[tuple[float, float, float, float]] = []
        self.chars: list[dict] = []
        self.bottom = 0.0

    def xs(self) -> list[float]:
        return _cluster([b[0] for b in self.boxes] + [b[2] for b in self.boxes])

    def continued_by(self, boxes) -> bool:
        """A table at the top of the next page goes on with this one: it has the same
        right and left edges (a column merged down may lack its lines) and at most one
        column edge this one has not."""
        xs, new = self.xs(), _cluster([b[0] for b in boxes] + [b[2] for b in boxes])
        if not xs or abs(xs[-1] - new[-1]) > 2 or new[0] < xs[0] - 2:
            return False
        return sum(1 for x in new if min(abs(x - y) for y in xs) > 2) <= 1

    def add(self, bbox, boxes, chars) -> None:
        x0, top, x1, bottom = bbox
        shift = self.bottom - top if self.boxes else 0.0
        self.boxes += [(a, b + shift, c, d + shift) for a, b, c, d in boxes]
        for ch in chars:
            h, v = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
            if x0 <= h < x1 and top <= v < bottom:
                self.chars.append({"x0": ch["x0"], "x1": ch["x1"], "top": ch["top"] + shift,
                                   "bottom": ch["bottom"] + shift, "text": ch.get("text", ""),
                                   "size": ch.get("size") or 1})
        self.bottom = bottom + shift

    def grid(self, counter: _Cells) -> Grid:
        """The cells (their text) and merges: the grid's columns and rows are the cells' edges."""
        xs = self.xs()
        ys = _cluster([b[1] for b in self.boxes] + [b[3] for b in self.boxes])
        slots: dict[tuple[int, int], int] = {}
        spans = []
        for k, (x0, top, x1, bottom) in enumerate(self.boxes):
            c0, r0 = _index(xs, x0) + 1, _index(ys, top) + 1
            c1, r1 = max(_index(xs, x1), c0), max(_index(ys, bottom), r0)
            spans.append((r0, c0, r1, c1))
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    slots.setdefault((r, c), k)
        # slots no cell covers: the lines are broken there (a merged cell split over two pages,
        # as LibreOffice prints it, loses some lines and sometimes its text). The uncovered slots
        # one under the other in a column are one region: with text in it, that text is the
        # region's; without, what the cell held is unknown (never the cell above's)
        holes = len(spans)
        for c in range(1, len(xs)):
            r = 1
            while r < len(ys):
                if (r, c) in slots:
                    r += 1
                    continue
                r1 = r
                while r1 + 1 < len(ys) and (r1 + 1, c) not in slots:
                    r1 += 1
                for rr in range(r, r1 + 1):
                    slots[(rr, c)] = len(spans)
                spans.append((r, c, r1, c))
                r = r1 + 1
        inside: dict[int, list[dict]] = {}
        spilled: set[int] = set()
        for ch in self.chars:
            h, v = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
            k = slots.get((bisect.bisect_right(ys, v), bisect.bisect_right(xs, h)))
            if k is None:
                continue
            inside.setdefault(k, []).append(ch)
            if k >= holes:
                continue
            x0, top, x1, bottom = self.boxes[k]
            slack = 0.3 * ch["size"]
            if ch["x0"] < x0 - slack or ch["x1"] > x1 + slack or ch["top"] < top - slack or ch["bottom"] > bottom + slack:
                spilled.add(k)  # text running over the cell's lines: which cell it belongs to is unknown
        cells: dict[tuple[int, int], Cell] = {}
        merges = []
        spilled |= {k for k in range(holes, len(spans)) if k not in inside}
        for k, span in enumerate(spans):
            r0, c0, r1, c1 = span
            text = _text(inside.get(k, []))
            if k in spilled:
                counter.count += 1
                cells[(r0, c0)] = Cell(text, OVERFLOW, ref(r0, c0))
            else:
                counter.add(cells, r0, c0, text)
            if (r0, c0) != (r1, c1):
                merges.append(span)
        return counter.grid(self.caption, cells, merges, self.label)


def _pdf_broken(label: str, exc: Exception, page: int | None = None) -> str:
    names = f"{type(exc).__name__} {exc!r}"
    if "Password" in names or "Encrypt" in names:
        return f"{label}: PDF 已加密（设了打开密码），请去掉密码后再试"
    at = f"第{page}页" if page else ""
    return f"{label}: PDF 已损坏，{at}无法读取（{type(exc).__name__}）"


def _cluster(values: list[float], tolerance: float = 1.5) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= tolerance:
            continue
        out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    """The edge nearest to ``v``."""
    i = bisect.bisect_left(edges, v)
    if i == len(edges) or i > 0 and v - edges[i - 1] < edges[i] - v:
        i -= 1
    return i


def _lines(chars: list[dict]) -> list[str]:
    """Characters → lines of text, top to bottom, each read left to right."""
    rows: list[list[dict]] = []
    for ch in sorted(chars, key=lambda c: (round(c["top"], 1), c["x0"])):  # float-ok: PDF geometry (points), not money
        if rows and ch["top"] - rows[-1][0]["top"] < 0.5 * max(ch.get("size") or 1, 1):
            rows[-1].append(ch)
        else:
            rows.append([ch])
    out = []
    for row in rows:
        row.sort(key=lambda c: c["x0"])
        parts: list[str] = []
        last = None
        for ch in row:
            text = ch.get("text", "")
            if last is not None and text != " " and parts and parts[-1] != " ":
                gap = ch["x0"] - last["x1"]
                if gap > 0.2 * max(ch.get("size") or 1, 1):
                    parts.append(" ")
            if text == " " and (not parts or parts[-1] == " "):
                continue
            if last is not None and abs(ch["x0"] - last["x0"]) < 0.1 and text == last.get("text"):
                continue  # the same glyph drawn twice (simulated bold)
            parts.append(text)
            last = ch
        out.append("".join(parts).strip())
    return out


def _text(chars: list[dict]) -> str:
    """A cell's characters as its text: wrapped lines joined back (with a space only between
    two Latin words or numbers)."""
    out = ""
    for line in _lines(chars):
        if not line:
            continue
        if out and _ASCII_WORD.match(out[-1]) and _ASCII_WORD.match(line[0]):
            out += " "
        out += line
    return out
