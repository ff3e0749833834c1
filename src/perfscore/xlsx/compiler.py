"""The template compiler: cuts a template's worksheet XML into static text, slots (row
numbers, references, formulas, sqrefs that move with inserted rows) and holes (field cells,
table rows, the merge list), and finds each table's footer signature for reading back.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import SheetError
from .cells import attrs_text, parse_attrs
from .formulas import HELPER_COLUMNS, SPLIT_COLUMNS
from .heights import Metrics
from .holes import Builder, FieldHole, HeightHole, MergeHole, PIECE_CONST, PIECE_FIELD, PIECE_FORMULA, ROW_MARK, TableHole, TableSpec
from .maps import SheetMap
from .refs import MAX_COL, MAX_ROW, col_index, col_letters, split_addr
from .sheetxml import Cell, Row, cell_text, norm_label, parse_rows, unshare_formulas
from .shifting import Block, Container, FormulaSlot, RowSlot, Shift, compile_formula, formula_piece, parse_area, sqref_piece

# --------------------------------------------------------------------------- compile


_SHEET_ROOT_RE = re.compile(r"<(\w+:)?worksheet\b")
_SHEETDATA_RE = re.compile(r"<sheetData\b[^>]*?(/?)>")
_HEAD_ATTR_RE = re.compile(r'\b(ref|sqref|activeCell|topLeftCell)="([^"]*)"')
_DIM_RE = re.compile(r'<dimension\b[^>]*\bref="([^"]*)"')
_MERGECELLS_RE = re.compile(r"<mergeCells\b[^>]*?(?:/>|>.*?</mergeCells>)", re.S)
_AFTER_MERGES_RE = re.compile(
    r"<(?:phoneticPr|conditionalFormatting|dataValidations|hyperlinks|printOptions|pageMargins|pageSetup|"
    r"headerFooter|rowBreaks|colBreaks|customProperties|cellWatches|ignoredErrors|smartTags|drawing|"
    r"legacyDrawing|legacyDrawingHF|drawingHF|picture|oleObjects|controls|webPublishItems|tableParts|extLst)\b"
    r"|</worksheet>"
)
_TAIL_RE = re.compile(
    r"(?P<cf><conditionalFormatting\b[^>]*>.*?</conditionalFormatting>)"
    r"|(?P<dvs><dataValidations\b[^>]*>.*?</dataValidations>)"
    r"|(?P<hls><hyperlinks\b[^>]*>.*?</hyperlinks>)"
    r"|(?P<rb><rowBreaks\b[^>]*>.*?</rowBreaks>)"
    r"|(?P<xcf><x14:conditionalFormatting\b[^>]*>.*?</x14:conditionalFormatting>)"
    r"|(?P<xdvs><x14:dataValidations\b[^>]*>.*?</x14:dataValidations>)"
    r"|(?P<ps><pageSetup\b[^>]*?/>)"
    r'|(?P<attr>\b(?:ref|sqref)="[^"]*")',
    re.S,
)
_BLOCK_SLOT_RE = re.compile(
    r'(?P<a>\b(?:sqref|ref)=")(?P<av>[^"]*)(?=")'
    r"|(?P<f><(?P<ft>formula|formula1|formula2|xm:f)>)(?P<fv>.*?)(?=</(?P=ft)>)"
    r"|(?P<x><xm:sqref>)(?P<xv>.*?)(?=</xm:sqref>)",
    re.S,
)


class Compiler:
    def __init__(self, xlsx: Path, map_: SheetMap, map_name: str):
        self.map = map_
        self.map_name = map_name
        self.label = f"模板 {xlsx.name}"
        self.table_rows = sorted(t.row for t in map_.tables.values())
        self.min_t = self.table_rows[0] if self.table_rows else MAX_ROW + 1
        self.has_formulas = False
        self.helpers: dict[str, dict[str, str]] = {}   # table -> helper key -> column letters

    def _plan_helpers(self, head: str, rows: list[Row]) -> str:
        """An indicator table with target and actual: the operator class and the target and
        actual numbers the formulas need (formulas over the printed cells, ``sheets/formulas.py``) go
        to hidden columns right of everything used. Returns the sheet head with those columns
        declared hidden in ``<cols>``."""
        t = self.map.tables.get("indicators")
        if t is None or "target" not in t.columns or "actual" not in t.columns:
            return head
        used = max([col_index(c) for tt in self.map.tables.values() for c in tt.columns.values()]
                   + [c.col for row in rows for c in row.cells] + [1])
        dm = _DIM_RE.search(head)
        area = parse_area(dm.group(1).replace("$", "")) if dm else None
        if area:
            used = max(used, col_index(area[2].replace("$", "")))
        ends = [int(m.group(1)) for m in re.finditer(r'<col\b[^>]*\bmax="(\d+)"', head)]
        wide = [e for e in ends if e < 1000]
        first = max([used] + wide) + 1
        keys = list(HELPER_COLUMNS) + ([] if "weight" in t.columns else list(SPLIT_COLUMNS))
        self.helpers["indicators"] = {k: col_letters(first + n) for n, k in enumerate(keys)}
        if any(e >= first for e in ends):
            return head  # a <col> range already covers these columns: leave it (values stay off the print area)
        col_xml = f'<col min="{first}" max="{first + len(keys) - 1}" width="9" hidden="1" customWidth="1"/>'
        if "</cols>" in head:
            return head.replace("</cols>", col_xml + "</cols>", 1)
        m = _SHEETDATA_RE.search(head)
        assert m is not None
        return head[: m.start()] + "<cols>" + col_xml + "</cols>" + head[m.start():]

    def err(self, key: str, msg: str) -> SheetError:
        return SheetError(f"模板映射 {self.map_name} 键 {key}: {msg}")

    # ---- worksheet -------------------------------------------------------------------

    def compile_sheet(self, xml: str, sst: list[str], col_styles: dict[int, str], metrics: "Metrics") -> tuple[list, list[TableSpec]]:
        label = f"{self.label} 工作表「{self.map.sheet}」"
        root = _SHEET_ROOT_RE.search(xml)
        if root is None or root.group(1):
            raise SheetError(f"{label}: 工作表 XML 带命名空间前缀或无法识别，暂不支持；请用 Excel/WPS 另存后再试")
        xml = re.sub(r"<sheetData\b([^>]*?)/>", r"<sheetData\1></sheetData>", xml, count=1)
        m = _SHEETDATA_RE.search(xml)
        if m is None:
            raise SheetError(f"{label}: 没有 sheetData，不是有效的工作表")
        body_start = m.end()
        body_end = xml.index("</sheetData>", body_start)
        head, body, tail = xml[:body_start], xml[body_start:body_end], xml[body_end:]
        rows = parse_rows(body, label)
        unshare_formulas(rows, label)
        self._check_bounds(head, rows)
        head = self._plan_helpers(head, rows)
        by_r = {row.r: row for row in rows}
        # fields and mapped table columns that have no cell yet: create them
        field_at: dict[tuple[int, int], str] = {}
        for name, addrs in self.map.fields.items():
            for addr in addrs:
                c, r = split_addr(addr)
                field_at[(r, c)] = name
                self._ensure_cell(by_r, rows, r, c, col_styles)
        for name, t in self.map.tables.items():
            for col in list(t.columns.values()) + list(self.helpers.get(name, {}).values()):
                self._ensure_cell(by_r, rows, t.row, col_index(col), col_styles)
        rows.sort(key=lambda row: row.r)
        merges_xml = _MERGECELLS_RE.search(tail)
        merge_areas = [a for a in (parse_area(x) for x in re.findall(r'<mergeCell\b[^>]*\bref="([^"]*)"', merges_xml.group(0))) if a] if merges_xml else []
        self.metrics = metrics
        self.merge_areas = merge_areas
        specs = self._table_specs(rows, by_r, merge_areas, sst, field_at)
        spec_by_row = {s.row: s for s in specs}

        b = Builder()
        self._compile_attrs(head, b, _HEAD_ATTR_RE, fallback_original=True)
        for row in rows:
            if row.r in spec_by_row:
                b.add(TableHole(spec_by_row[row.r]))
                continue
            self._compile_row(row, b, field_at)
        # mergeCells -> hole (inserted at the schema position when the template has none)
        if merges_xml:
            before, after = tail[: merges_xml.start()], tail[merges_xml.end() :]
        else:
            at = _AFTER_MERGES_RE.search(tail)
            pos = at.start() if at else len(tail)
            before, after = tail[:pos], tail[pos:]
        static_merges = [a for a in merge_areas if not (a[1] == a[3] and a[1] in spec_by_row)]
        if specs:
            after = _with_break_mark(after)
        self._compile_tail(before, b)
        b.add(MergeHole(static_merges, specs))
        self._compile_tail(after, b)
        return b.items, specs

    def _check_bounds(self, head: str, rows: list[Row]) -> None:
        dm = _DIM_RE.search(head)
        area = parse_area(dm.group(1).replace("$", "")) if dm else None
        if area is None:
            max_r = max((row.r for row in rows), default=1)
            max_c = max((c.col for row in rows for c in row.cells), default=1)
            dim = f"A1:{col_letters(max_c)}{max_r}"
        else:
            max_r, max_c = area[3], col_index(area[2].replace("$", ""))
            dim = dm.group(1)  # type: ignore[union-attr]
        for name, addrs in self.map.fields.items():
            for addr in addrs:
                c, r = split_addr(addr)
                if r > max_r or c > max_c:
                    raise self.err(f"fields.{name}", f"单元格 {addr} 超出模板工作表「{self.map.sheet}」的范围 {dim}")
        for name, t in self.map.tables.items():
            if t.row > max_r:
                raise self.err(f"tables.{name}.row", f"第 {t.row} 行超出模板工作表「{self.map.sheet}」的范围 {dim}")
            for cname, col in t.columns.items():
                if col_index(col) > max_c:
                    raise self.err(f"tables.{name}.columns.{cname}", f"{col} 列超出模板工作表「{self.map.sheet}」的范围 {dim}")

    @staticmethod
    def _ensure_cell(by_r: dict[int, Row], rows: list[Row], r: int, c: int, col_styles: dict[int, str]) -> None:
        row = by_r.get(r)
        if row is None:
            row = Row(r, [], [])
            by_r[r] = row
            rows.append(row)
        if any(cell.col == c for cell in row.cells):
            return
        ad = dict(row.attrs)
        style = ad.get("s") if ad.get("customFormat") in ("1", "true") else col_styles.get(c)
        row.cells.append(Cell(c, [("s", style)] if style and style != "0" else [], None))
        row.cells.sort(key=lambda cell: cell.col)

    def _table_specs(self, rows, by_r, merge_areas, sst, field_at) -> list[TableSpec]:
        specs = []
        field_cells = set(field_at)
        for name, t in sorted(self.map.tables.items(), key=lambda kv: kv[1].row):
            row = by_r[t.row]
            columns = {**t.columns, **self.helpers.get(name, {})}
            key_of = {col_index(letters): key for key, letters in columns.items()}
            cells = []
            for c in row.cells:
                ref = '<c r="' + col_letters(c.col) + ROW_MARK + '"'
                if c.col in key_of:
                    pre = ref + attrs_text(c.without("t", "cm", "vm"))
                    cells.append((PIECE_FIELD, key_of[c.col], pre, pre + "/>"))
                elif c.f_text is not None:
                    self.has_formulas = True
                    slot = FormulaSlot(compile_formula(c.f_text, self.map.sheet, True, 0))
                    f_open = "<f" + attrs_text(c.f_attrs or []) + ">"
                    cells.append((PIECE_FORMULA, slot, ref + attrs_text(c.without("t", "cm", "vm")) + ">" + f_open, "</f></c>"))
                else:
                    tail = "/>" if c.inner is None else ">" + c.inner + "</c>"
                    cells.append((PIECE_CONST, None, None, ref + attrs_text(c.attrs) + tail))
            inrow = [(col_index(a[0].replace("$", "")), col_index(a[2].replace("$", ""))) for a in merge_areas if a[1] == a[3] == t.row]
            spans = {}
            for key in t.merge:
                ci = col_index(t.columns[key])
                spans[key] = next(((a, b) for a, b in inrow if a <= ci <= b), (ci, ci))
            spec = TableSpec(
                name=name, row=t.row, columns=columns, merge=list(t.merge),
                row_head='<row r="' + ROW_MARK + '"' + attrs_text(row.attrs) + ">", cells=cells, inrow_merges=inrow, spans=spans,
            )
            # wrapped text columns: estimate each cloned row's height
            mt = self.metrics
            ra = dict(row.attrs)
            spec.base_ht = float(ra["ht"]) if ra.get("ht") else mt.default_row  # float-ok: geometry (points, character widths), not money
            spec.row_head_fit = ('<row r="' + ROW_MARK + '"' + attrs_text([(k, v) for k, v in row.attrs if k not in ("ht", "customHeight")])
                                 + ' ht="\x02" customHeight="1">')
            for c in row.cells:
                if c.col in key_of:
                    size, wrap = mt.style(c.get("s"))
                    if wrap:
                        c1, c2 = next(((a, b) for a, b in inrow if a <= c.col <= b), (c.col, c.col))
                        spec.fit.append((key_of[c.col], mt.capacity(c1, c2, size), size))
            # footer signature: the first row below with constant text (labels), before the next table
            nxt = min((r for r in self.table_rows if r > t.row), default=MAX_ROW + 1)
            for r in sorted(x for x in by_r if t.row < x < nxt):
                sig = [(r, c.col, norm_label(txt)) for c in by_r[r].cells if (r, c.col) not in field_cells
                       for txt in [cell_text(c, sst)] if txt and norm_label(txt)]
                if sig:
                    spec.signature = sig
                    break
            if t.row == min(self.table_rows):
                # the labels above the first table (项目名称, the table's header row …): a sheet
                # whose rows above moved no longer has them where the map's cells are
                spec.head = [(r, c.col, norm_label(txt)) for r in sorted(x for x in by_r if x < t.row)
                             for c in by_r[r].cells if (r, c.col) not in field_cells
                             for txt in [cell_text(c, sst)] if txt and norm_label(txt)]
            if not spec.signature and nxt <= MAX_ROW:
                raise self.err(f"tables.{name}", f"表格 {name} 与下一个表格之间没有固定文字行，读取时无法确定它在哪里结束")
            specs.append(spec)
        return specs

    def _rownum(self, r: int):
        return str(r) if r < self.min_t else RowSlot(r)

    def _field_fit(self, row: Row, field_at: dict) -> list[tuple[str, float, float]]:
        fit = []
        for c in row.cells:
            name = field_at.get((row.r, c.col))
            if name is None:
                continue
            size, wrap = self.metrics.style(c.get("s"))
            if not wrap:
                continue
            area = next((a for a in self.merge_areas if a[1] <= row.r <= a[3] and col_index(a[0]) <= c.col <= col_index(a[2])), None)
            if area is not None and area[1] != area[3]:
                continue  # merged over several rows: leave the height to the template
            c1, c2 = (col_index(area[0]), col_index(area[2])) if area else (c.col, c.col)
            fit.append((name, self.metrics.capacity(c1, c2, size), size))
        return fit

    def _compile_row(self, row: Row, b: Builder, field_at: dict) -> None:
        b.add('<row r="')
        b.add(self._rownum(row.r))
        fit = self._field_fit(row, field_at)
        if fit:
            ra = dict(row.attrs)
            base = float(ra["ht"]) if ra.get("ht") else self.metrics.default_row  # float-ok: geometry (points, character widths), not money
            keep = [(k, v) for k, v in row.attrs if k not in ("ht", "customHeight")]
            orig = "".join(f' {k}="{v}"' for k, v in row.attrs if k in ("ht", "customHeight"))
            b.add('"')
            b.add(HeightHole(fit, base, orig))
            b.add(attrs_text(keep))
        else:
            b.add('"' + attrs_text(row.attrs))
        if not row.cells and not row.extra:
            b.add("/>")
            return
        b.add(">")
        for c in row.cells:
            L = col_letters(c.col)
            name = field_at.get((row.r, c.col))
            if name is not None:
                b.add(FieldHole(name, L, row.r, attrs_text(c.without("t", "cm", "vm"))))
                continue
            b.add('<c r="' + L)
            b.add(self._rownum(row.r))
            if c.f_text is None:
                b.add('"' + attrs_text(c.attrs) + ("/>" if c.inner is None else ">" + c.inner + "</c>"))
                continue
            # formula: drop the (stale) cached value and its type, keep <f> with moved references
            self.has_formulas = True
            b.add('"' + attrs_text(c.without("t", "cm", "vm")) + "><f")
            for k, v in c.f_attrs or []:
                if k == "ref":
                    b.add(' ref="')
                    b.add(sqref_piece(v, self.min_t, v))
                    b.add('"')
                else:
                    b.add(f' {k}="{v}"')
            if c.f_text:
                b.add(">")
                b.add(formula_piece(c.f_text, self.map.sheet, True, self.min_t))
                b.add("</f></c>")
            else:
                b.add("/></c>")
        b.add(row.extra)
        b.add("</row>")

    def _compile_attrs(self, text: str, b: Builder, regex: re.Pattern, fallback_original: bool) -> None:
        last = 0
        for m in regex.finditer(text):
            b.add(text[last : m.start(2)])
            b.add(sqref_piece(m.group(2), self.min_t, m.group(2) if fallback_original else None))
            last = m.end(2)
        b.add(text[last:])

    def _block(self, text: str) -> list:
        """Pieces of one element with sqref/ref attributes, <formula*> and <xm:sqref> inside."""
        parts: list = []
        last = 0
        for m in _BLOCK_SLOT_RE.finditer(text):
            if m.group("a"):
                parts.append(text[last : m.end("a")])
                parts.append(sqref_piece(m.group("av"), self.min_t, None))
                last = m.end("av")
            elif m.group("f"):
                parts.append(text[last : m.end("f")])
                parts.append(formula_piece(m.group("fv"), self.map.sheet, True, self.min_t))
                last = m.end("fv")
            else:
                parts.append(text[last : m.end("x")])
                parts.append(sqref_piece(m.group("xv"), self.min_t, None))
                last = m.end("xv")
        parts.append(text[last:])
        parts = [p for p in parts if p != ""]
        if all(p.__class__ is str for p in parts):
            return ["".join(parts)]
        return [Block(parts)]

    def _container(self, text: str, child_re: str) -> object:
        m = re.match(r"(<[^>]*>)(.*)(</[^>]*>)$", text, re.S)
        assert m is not None
        open_tag, inner, close = m.groups()
        children: list = []
        last = 0
        for cm in re.finditer(child_re, inner, re.S):
            children.extend(self._block(inner[last : cm.end()]))
            last = cm.end()
        close = inner[last:] + close
        if all(c.__class__ is str for c in children):
            return text
        open_tag = re.sub(r'\bcount="\d+"', 'count="\x00COUNT\x00"', open_tag)
        return Container(open_tag, children, close)

    def _compile_tail(self, text: str, b: Builder) -> None:
        if BREAK_MARK in text:
            head, rest = text.split(BREAK_MARK, 1)
            self._compile_tail(head, b)
            b.add(FooterBreak(self.table_rows[-1]))
            self._compile_tail(rest, b)
            return
        last = 0
        for m in _TAIL_RE.finditer(text):
            b.add(text[last : m.start()])
            last = m.end()
            kind = m.lastgroup
            chunk = m.group(0)
            if kind in ("cf", "xcf"):
                for p in self._block(chunk):
                    b.add(p)
            elif kind == "dvs":
                b.add(self._container(chunk, r"<dataValidation\b[^>]*?(?:/>|>.*?</dataValidation>)"))
            elif kind == "xdvs":
                b.add(self._container(chunk, r"<x14:dataValidation\b[^>]*?(?:/>|>.*?</x14:dataValidation>)"))
            elif kind == "hls":
                b.add(self._container(chunk, r"<hyperlink\b[^>]*?(?:/>|>.*?</hyperlink>)"))
            elif kind == "rb":
                pos = 0
                for bm in re.finditer(r'(<brk\b[^>]*?\bid=")(\d+)(")', chunk):
                    b.add(chunk[pos : bm.end(1)])
                    r = int(bm.group(2))
                    b.add(str(r) if r < self.min_t else RowSlot(r, "end"))
                    pos = bm.end(2)
                b.add(chunk[pos:])
            elif kind == "ps":
                b.add(FitPage(chunk, self.table_rows[-1]) if self.table_rows else chunk)
            else:  # any other ref/sqref attribute (autoFilter, ignoredErrors, …)
                am = re.match(r'(\w+=")([^"]*)(")', chunk)
                assert am is not None
                b.add(am.group(1))
                b.add(sqref_piece(am.group(2), self.min_t, am.group(2)))
                b.add(am.group(3))
        b.add(text[last:])

    # ---- other parts -----------------------------------------------------------------

    def compile_workbook(self, xml: str) -> list:
        """workbook.xml: defined names move with the sheet; full calculation on load."""
        b = Builder()
        last = 0
        for m in re.finditer(r"(<definedName\b[^>]*>)(.*?)(</definedName>)", xml, re.S):
            b.add(xml[last : m.end(1)])
            b.add(formula_piece(m.group(2), self.map.sheet, False, self.min_t))
            last = m.start(3)
        b.add(xml[last:])
        items = b.items
        if self.has_formulas:
            items = [set_full_calc(p) if p.__class__ is str else p for p in items]
            if not any(p.__class__ is str and "fullCalcOnLoad" in p for p in items):
                # no <calcPr>: insert one before the elements that follow it, or before </workbook>
                last_s = items[-1] if items and items[-1].__class__ is str else None
                if last_s is not None:
                    mm = re.search(
                        r"<(?:oleSize|customWorkbookViews|pivotCaches|smartTagPr|smartTagTypes|webPublishing|"
                        r"fileRecoveryPr|webPublishObjects|extLst)\b|</workbook>", last_s)
                    if mm:
                        items[-1] = last_s[: mm.start()] + '<calcPr fullCalcOnLoad="1"/>' + last_s[mm.start() :]
        return items

    def compile_foreign_formulas(self, xml: str, chart: bool = False) -> list:
        """Another worksheet or a chart: only references qualified with this sheet's name move."""
        b = Builder()
        last = 0
        pattern = r"(<(?:\w+:)?f>)(.*?)(</(?:\w+:)?f>)" if chart else r"(<f\b[^>]*>)(.*?)(</f>)"
        for m in re.finditer(pattern, xml, re.S):
            b.add(xml[last : m.end(1)])
            b.add(formula_piece(m.group(2), self.map.sheet, False, self.min_t))
            last = m.start(3)
        b.add(xml[last:])
        return b.items

    def compile_anchors(self, xml: str, kind: str) -> list:
        """Drawings (images, seals), legacy comments and their VML shapes below a table move too."""
        b = Builder()
        if kind == "drawing":
            last = 0
            for m in re.finditer(r"<(\w+:)?(from|to)>(.*?)</\1?\2>", xml, re.S):
                inner = m.group(3)
                rm = re.search(r"(<(?:\w+:)?row>)(\d+)(</(?:\w+:)?row>)", inner)
                if not rm:
                    continue
                base = m.start(3)
                b.add(xml[last : base + rm.end(1)])
                r = int(rm.group(2))
                mode = "end" if m.group(2) == "to" else "start"
                b.add(str(r) if r + 1 < self.min_t else RowSlot(r, mode, zero_based=True))
                last = base + rm.start(3)
            b.add(xml[last:])
        elif kind == "comments":
            self._compile_attrs(xml, b, re.compile(r'\b(ref)="([^"]*)"'), fallback_original=True)
        else:  # vml
            last = 0
            for m in re.finditer(r"(<(?:\w+:)?Row>)(\d+)(</(?:\w+:)?Row>)|(<(?:\w+:)?Anchor>)([^<]*)(</(?:\w+:)?Anchor>)", xml):
                if m.group(1):
                    b.add(xml[last : m.end(1)])
                    r = int(m.group(2))
                    b.add(str(r) if r + 1 < self.min_t else RowSlot(r, zero_based=True))
                    last = m.end(2)
                else:
                    nums = [x.strip() for x in m.group(5).split(",")]
                    if len(nums) != 8 or not all(x.isdigit() for x in nums):
                        continue
                    b.add(xml[last : m.end(4)])
                    for idx, x in enumerate(nums):
                        if idx:
                            b.add(", ")
                        r = int(x)
                        if idx in (2, 6) and r + 1 >= self.min_t:
                            b.add(RowSlot(r, "start" if idx == 2 else "end", zero_based=True))
                        else:
                            b.add(x)
                    last = m.end(5)
            b.add(xml[last:])
        return b.items



# --------------------------------------------------------------------------- printing

ONE_PAGE_ROWS = 20       # a sheet with up to this many rows in its last table prints on one page
FOOTER_COMPANY = 5       # rows of the last table that go to the footer's page on a longer sheet
BREAK_MARK = "\x03"
_BREAK_AT_RE = re.compile(
    r"<(?:colBreaks|customProperties|cellWatches|ignoredErrors|smartTags|drawing|legacyDrawing|legacyDrawingHF|"
    r"drawingHF|picture|oleObjects|controls|webPublishItems|tableParts|extLst)\b|</worksheet>")


def _with_break_mark(tail: str) -> str:
    """Where a row break goes (schema order), unless the template has its own breaks."""
    if "<rowBreaks" in tail:
        return tail
    m = _BREAK_AT_RE.search(tail)
    return tail if m is None else tail[: m.start()] + BREAK_MARK + tail[m.start():]


class FitPage:
    """``<pageSetup>`` of a fit-to-page sheet: one page tall while the last table has at most
    ONE_PAGE_ROWS rows, otherwise fitted to the width only (as many pages as it needs)."""

    __slots__ = ("tag", "table_row")

    def __init__(self, tag: str, table_row: int):
        self.tag, self.table_row = tag, table_row

    def __call__(self, sh: Shift) -> str:
        if 'fitToWidth="' not in self.tag and "fitToHeight" not in self.tag:
            return self.tag
        tall = "1" if sh.count(self.table_row) <= ONE_PAGE_ROWS else "0"
        if "fitToHeight=" in self.tag:
            return re.sub(r'fitToHeight="[^"]*"', f'fitToHeight="{tall}"', self.tag)
        return self.tag[:-2].rstrip() + f' fitToHeight="{tall}"/>'


class FooterBreak:
    """A longer sheet: a manual page break before the last FOOTER_COMPANY rows of the last
    table, so the footer (小计, 总分, 等级) never prints alone on a page."""

    __slots__ = ("table_row",)

    def __init__(self, table_row: int):
        self.table_row = table_row

    def __call__(self, sh: Shift) -> str:
        n = sh.count(self.table_row)
        if n <= ONE_PAGE_ROWS:
            return ""
        after = sh.start(self.table_row) + n - 1 - FOOTER_COMPANY   # the break goes below this row
        return f'<rowBreaks count="1" manualBreakCount="1"><brk id="{after}" max="16383" man="1"/></rowBreaks>'


def set_full_calc(s: str) -> str:
    def fix(m: re.Match) -> str:
        tag = m.group(0)
        if "fullCalcOnLoad" in tag:
            return re.sub(r'fullCalcOnLoad="[^"]*"', 'fullCalcOnLoad="1"', tag)
        return tag[:-2].rstrip() + ' fullCalcOnLoad="1"/>' if tag.endswith("/>") else tag[:-1] + ' fullCalcOnLoad="1">'

    return re.sub(r"<calcPr\b[^>]*?/?>", fix, s)



def read_col_styles(xml: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for m in re.finditer(r"<col\b([^>]*?)/?>", xml):
        a = dict(parse_attrs(m.group(1)))
        if "style" in a and "min" in a and "max" in a:
            for c in range(int(a["min"]), min(int(a["max"]), MAX_COL) + 1):
                out[c] = a["style"]
    return out
