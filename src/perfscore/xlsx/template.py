"""Excel templates (填报模板): a map file says which cell holds which field and which row
of the sheet is a table's template row; the compiled template renders data straight into
the sheet XML, and reads a filled sheet back (through ``reader``).

Generic machinery only: no scoring here. ``formulas`` restates the scoring rules as Excel
formulas from the map's roles; the values they carry are the scorer's.

Rendering (see docs/excel.md for the measured reasons):

* ``compile_template`` parses the template once. Every zip member we do not change keeps
  its compressed bytes; the worksheet XML is cut into static text, *slots* (row numbers,
  references, formulas, sqrefs that move when rows are inserted) and *holes* (field cells,
  table rows, the merge list) that take the data.
* The layout (slots evaluated) depends only on the number of rows of each table, so it is
  cached per tuple of row counts; a render fills the holes, joins, deflates one part and
  writes the zip by hand with fixed timestamps (byte-deterministic output).

The shift rule is described in ``shifting``.
"""

from __future__ import annotations

import os
import re
import struct
import threading
import zipfile
import zlib
from pathlib import Path

from ..errors import SheetError
from ..writing import atomic_write_bytes
from .compiler import Compiler, read_col_styles
from .heights import Metrics
from .formulas import Places
from .holes import Hole, Layout, SheetData, merge_runs
from .maps import load_map
from .package import CENTRAL, OpenWorkbook, LOCAL, MAIN_CT, Member, OTHER_MAIN_CTS, REL_RE, U32, deflate, dos_time, find_sheet, open_zip, parse_rels, part_xml, raw_member, rels_name, resolve_target, shared_strings, workbook_sheets
from .reader import ReadSheet, read_sheet
from .sheetxml import ANY_F_RE
from .shifting import Shift, evaluate, parse_area

_LAYOUT_CACHE_SIZE = 512

# --------------------------------------------------------------------------- the template


class CompiledTemplate:
    """A template parsed once; ``render`` fills it, ``read`` reads a filled sheet back."""

    def __init__(self, xlsx_path: Path, map_path: Path):
        self.path = xlsx_path
        self.map_path = map_path
        self.map = load_map(map_path)
        self._lock = threading.Lock()
        self._layouts: dict[tuple[int, ...], Layout] = {}
        self._compile()

    # ---- compile -------------------------------------------------------------------

    def _compile(self) -> None:
        path = self.path
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise SheetError(f"模板文件 {path} 不存在") from None
        except OSError as exc:
            from ..writing import os_reason

            raise SheetError(f"模板文件 {path} 无法读取：{os_reason(exc)}") from None
        zf, parts = open_zip(path, data, "模板")
        label = f"模板 {path.name}"
        wb_part, sheets = workbook_sheets(parts, label)
        idx = find_sheet(sheets, self.map.sheet)
        if idx is None:
            names = "、".join(n for n, _ in sheets) or "无"
            raise SheetError(f"模板映射 {self.map_path.name} 键 sheet: 模板 {path.name} 中没有工作表「{self.map.sheet}」（现有：{names}）")
        self._sheet_name = sheets[idx][0]
        sheet_part = sheets[idx][1]
        comp = Compiler(path, self.map.model_copy(update={"sheet": self._sheet_name}), self.map_path.name)
        self._comp = comp  # its helper columns place the formulas (places, helpers)
        sheet_xml = part_xml(parts, sheet_part, label)
        sst = shared_strings(parts, wb_part, label)
        styles_xml, styles_part = "", ""
        for rel in parse_rels(part_xml(parts, rels_name(wb_part), label)):
            if rel.get("Type", "").endswith("/styles"):
                styles_part = resolve_target(wb_part, rel.get("Target", ""))
                styles_xml = parts.get(styles_part, b"").decode("utf-8", "replace")
        metrics = Metrics(styles_xml, sheet_xml)
        sheet_items, specs = comp.compile_sheet(sheet_xml, sst, read_col_styles(sheet_xml), metrics)
        new_styles = _percent_twins(styles_xml, specs)
        self.table_specs = specs
        self._table_order = [s.name for s in specs]

        # parts to drop: calcChain (Excel rebuilds it), macros (output is .xlsx)
        wb_rels_name = rels_name(wb_part)
        drop: set[str] = set()
        wb_rels_xml = part_xml(parts, wb_rels_name, label)
        for rel in parse_rels(wb_rels_xml):
            typ = rel.get("Type", "")
            if typ.endswith("/calcChain") or typ.endswith("/vbaProject"):
                drop.add(resolve_target(wb_part, rel.get("Target", "")))
        for info in zf.infolist():
            low = info.filename.lower()
            if low.startswith("xl/vbaproject") or low.startswith("xl/_rels/vbaproject") or low == "xl/calcchain.xml":
                drop.add(info.filename)
        changed: dict[str, bytes] = {}
        new_rels = REL_RE.sub(
            lambda m: "" if re.search(r'Type="[^"]*/(?:calcChain|vbaProject)"', m.group(0)) else m.group(0), wb_rels_xml
        )
        if new_rels != wb_rels_xml:
            changed[wb_rels_name] = new_rels.encode("utf-8")
        if new_styles != styles_xml and styles_part in parts:
            changed[styles_part] = new_styles.encode("utf-8")
        ct_xml = part_xml(parts, "[Content_Types].xml", label)
        new_ct = re.sub(r"<Override\b[^>]*?/?>", lambda m: "" if _override_part(m.group(0)) in drop else m.group(0), ct_xml)
        new_ct = re.sub(r'<Default\b[^>]*ContentType="application/vnd\.ms-office\.vbaProject"[^>]*/>', "", new_ct)
        for other in OTHER_MAIN_CTS:
            new_ct = new_ct.replace(other, MAIN_CT)
        if new_ct != ct_xml:
            changed["[Content_Types].xml"] = new_ct.encode("utf-8")

        # per-layout parts: the workbook (defined names, calcPr), other sheets' formulas,
        # anchors of drawings/comments
        dyn_items: dict[str, list] = {}
        # formulas of the other worksheets that point into this sheet move with it
        for other_name, other_part in sheets:
            if other_part == sheet_part or other_part not in parts:
                continue
            other_xml = parts[other_part].decode("utf-8", "replace")
            if ANY_F_RE.search(other_xml) is None:
                continue
            comp.has_formulas = True  # their cached values may be stale now: recalculate on load
            items = comp.compile_foreign_formulas(other_xml)
            if not (len(items) <= 1 and all(p.__class__ is str for p in items)):
                dyn_items[other_part] = items
        # chart series point at cells (<c:f>'S'!$J$10:$J$10</c:f>) and move with them
        for name in parts:
            if name.startswith("xl/charts/") and name.endswith(".xml") and "/_rels/" not in name:
                items = comp.compile_foreign_formulas(parts[name].decode("utf-8", "replace"), chart=True)
                if not (len(items) <= 1 and all(p.__class__ is str for p in items)):
                    dyn_items[name] = items
        wb_items = comp.compile_workbook(part_xml(parts, wb_part, label))
        if len(wb_items) == 1 and wb_items[0].__class__ is str:
            text = wb_items[0]
            if text != part_xml(parts, wb_part, label):
                changed[wb_part] = text.encode("utf-8")
        else:
            dyn_items[wb_part] = wb_items
        sheet_rels = rels_name(sheet_part)
        if sheet_rels in parts:
            for rel in parse_rels(part_xml(parts, sheet_rels, label)):
                typ = rel.get("Type", "").rsplit("/", 1)[-1]
                target = resolve_target(sheet_part, rel.get("Target", "")) if rel.get("TargetMode") != "External" else ""
                if typ == "table" and target in parts:
                    tm = re.search(r'<table\b[^>]*\bref="([^"]*)"', parts[target].decode("utf-8"))
                    area = parse_area(tm.group(1).replace("$", "")) if tm else None
                    if area and area[3] >= comp.min_t:
                        raise SheetError(
                            f"{label} 工作表「{self._sheet_name}」: 表格行下方有 Excel「表格」对象 {tm.group(1)}，暂不支持；"  # type: ignore[union-attr]
                            "请在 Excel 中将其「转换为区域」"
                        )
                elif typ in ("drawing", "comments", "vmlDrawing") and target in parts:
                    kind = {"drawing": "drawing", "comments": "comments", "vmlDrawing": "vml"}[typ]
                    items = comp.compile_anchors(parts[target].decode("utf-8", "replace"), kind)
                    if not (len(items) <= 1 and all(p.__class__ is str for p in items)):
                        dyn_items[target] = items
        self._dyn_items = dyn_items
        self._sheet_items = sheet_items

        # zip members in template order; untouched ones keep their compressed bytes
        members: list[Member] = []
        for info in zf.infolist():
            name = info.filename
            if name in drop or name.endswith("/"):
                continue
            name_b = name.encode("utf-8")
            flag = 0x800 if not name.isascii() else 0
            t, d = dos_time(info.date_time)
            m = Member(name, name_b, flag, t, d)
            if name == sheet_part:
                m.dynamic = "sheet"
            elif name in dyn_items:
                m.dynamic = name
            else:
                if name in changed:
                    body = changed[name]
                    m.crc, m.usize, m.data = zlib.crc32(body), len(body), deflate(body, 6)
                elif info.compress_type in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
                    m.method = info.compress_type
                    m.crc, m.usize, m.data = info.CRC, info.file_size, raw_member(data, info)
                else:
                    body = zf.read(info)
                    m.crc, m.usize, m.data = zlib.crc32(body), len(body), deflate(body, 6)
                m.csize = len(m.data)
            members.append(m)
        self._members = members
        # static members: local header + payload, and the central header without its offset
        self._static_local: dict[str, bytes] = {}
        for m in members:
            if not m.dynamic:
                self._static_local[m.name] = self._local(m, m.crc, m.csize, m.usize, m.method) + m.data

    @staticmethod
    def _local(m: Member, crc: int, csize: int, usize: int, method: int) -> bytes:
        return LOCAL.pack(0x04034B50, 20, m.flag, method, m.dostime, m.dosdate, crc, csize, usize, len(m.name_b), 0) + m.name_b

    @staticmethod
    def _central(m: Member, crc: int, csize: int, usize: int, method: int, offset: int) -> bytes:
        return (
            CENTRAL.pack(0x02014B50, 20, 20, m.flag, method, m.dostime, m.dosdate, crc, csize, usize,
                          len(m.name_b), 0, 0, 0, 0, 0)
            + U32.pack(offset)
            + m.name_b
        )

    # ---- render --------------------------------------------------------------------

    def _layout(self, counts: tuple[int, ...]) -> Layout:
        sh = Shift(sorted(zip((s.row for s in self.table_specs), counts)))
        segs: list[str] = []
        holes: list = []
        buf: list[str] = []
        for p in self._sheet_items:
            if p.__class__ is str:
                buf.append(p)
            elif isinstance(p, Hole):
                segs.append("".join(buf))
                buf = []
                holes.append(p.bind(sh))
            else:
                s = p(sh)
                buf.append("" if s is None else s)
        segs.append("".join(buf))
        dynamic = {}
        for name, items in self._dyn_items.items():
            body = evaluate(items, sh).encode("utf-8")
            comp = deflate(body, 6)
            dynamic[name] = (zlib.crc32(body), len(comp), len(body), comp)
        layout = Layout(segs, holes, dynamic)
        with self._lock:
            if len(self._layouts) >= _LAYOUT_CACHE_SIZE:
                self._layouts.clear()
            self._layouts[counts] = layout
        return layout

    def places(self, counts: dict[str, int]) -> Places:
        """Where each field and table cell lands for these table row counts (for formulas)."""
        return Places(self.map, counts, self._comp.helpers)

    @property
    def helpers(self) -> dict[str, dict[str, str]]:
        """Hidden helper columns the compiler added (table -> key -> column letters)."""
        return self._comp.helpers

    def render(self, data: SheetData) -> bytes:
        """The filled workbook as .xlsx bytes (deterministic for the same data)."""
        tables = data.tables
        counts = tuple(len(tables.get(name) or ()) for name in self._table_order)
        layout = self._layouts.get(counts) or self._layout(counts)
        runs = {}
        for spec in self.table_specs:
            if spec.merge:
                rows = tables.get(spec.name)
                if rows:
                    runs[spec.name] = merge_runs(rows, spec.merge)
        segs = layout.segs
        parts = [segs[0]]
        k = 1
        for hole in layout.holes:
            parts.append(hole.render(data, runs))
            parts.append(segs[k])
            k += 1
        sheet = "".join(parts).encode("utf-8")
        return self._zip(sheet, layout)

    def _zip(self, sheet: bytes, layout: Layout) -> bytes:
        out: list[bytes] = []
        central: list[bytes] = []
        offset = 0
        for m in self._members:
            if not m.dynamic:
                local = self._static_local[m.name]
                central.append(self._central(m, m.crc, m.csize, m.usize, m.method, offset))
            else:
                if m.dynamic == "sheet":
                    comp = deflate(sheet)
                    crc, csize, usize = zlib.crc32(sheet), len(comp), len(sheet)
                else:
                    crc, csize, usize, comp = layout.dynamic[m.dynamic]
                local = self._local(m, crc, csize, usize, 8) + comp
                central.append(self._central(m, crc, csize, usize, 8, offset))
            out.append(local)
            offset += len(local)
        cd = b"".join(central)
        n = len(self._members)
        out.append(cd)
        out.append(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(cd), offset, 0))
        return b"".join(out)

    def write(self, data: SheetData, out_path: str | os.PathLike[str]) -> None:
        """Render and write atomically (temp file in the same directory, fsync, rename)."""
        body = self.render(data)
        atomic_write_bytes(Path(out_path), body)

    # ---- read ----------------------------------------------------------------------

    def read(self, xlsx: str | os.PathLike[str] | OpenWorkbook) -> ReadSheet:
        """Read a sheet laid out like this template (values, and each formula's text; macros
        are never run)."""
        return read_sheet(xlsx if isinstance(xlsx, OpenWorkbook) else Path(xlsx), self.map, self.table_specs)


# the table columns a percent may be typed into, and the built-in percent formats (0%, 0.00%)
PERCENT_COLUMNS = ("target", "actual")
_PERCENT_FORMATS = ("9", "10")
_CELLXFS_RE = re.compile(r"(<cellXfs\b[^>]*>)(.*?)(</cellXfs>)", re.S)
_XF_RE = re.compile(r"<xf\b[^>]*?/>|<xf\b[^>]*>.*?</xf>", re.S)


def _percent_twins(styles_xml: str, specs: list) -> str:
    """For each percent column of a table (``PERCENT_COLUMNS``), two cell styles like the
    template row's but with a percent number format, appended to ``<cellXfs>``; each spec's
    ``percent_pre`` gets the cell openings that use them. Returns the new styles XML (the
    same when there is nothing to add)."""
    m = _CELLXFS_RE.search(styles_xml)
    if m is None:
        return styles_xml
    xfs = _XF_RE.findall(m.group(2))
    added: list[str] = []
    twins: dict[str, tuple[str, str]] = {}
    for spec in specs:
        for kind, key, pre, _ in spec.cells:
            if kind != 0 or key not in PERCENT_COLUMNS:
                continue
            sm = re.search(r' s="(\d+)"', pre)
            base = sm.group(1) if sm else "0"
            if base not in twins:
                if int(base) >= len(xfs):
                    continue
                xf = xfs[int(base)]
                ids = []
                for fmt in _PERCENT_FORMATS:
                    twin = re.sub(r'\snumFmtId="\d+"', "", xf, count=1)
                    twin = re.sub(r'\sapplyNumberFormat="[^"]*"', "", twin, count=1)
                    twin = twin.replace("<xf", f'<xf numFmtId="{fmt}" applyNumberFormat="1"', 1)
                    ids.append(str(len(xfs) + len(added)))
                    added.append(twin)
                twins[base] = (ids[0], ids[1])
            ids = twins[base]
            bare = re.sub(r' s="\d+"', "", pre)
            spec.percent_pre[key] = tuple(bare + f' s="{i}"' for i in ids)
    if not added:
        return styles_xml
    head = re.sub(r'\bcount="\d+"', f'count="{len(xfs) + len(added)}"', m.group(1), count=1)
    return styles_xml[: m.start()] + head + m.group(2) + "".join(added) + m.group(3) + styles_xml[m.end():]


def _override_part(tag: str) -> str:
    m = re.search(r'PartName="([^"]*)"', tag)
    return m.group(1).lstrip("/") if m else ""


# --------------------------------------------------------------------------- compile cache

_CACHE: dict[tuple, CompiledTemplate] = {}
_CACHE_LOCK = threading.Lock()


def compile_template(xlsx_path: str | os.PathLike[str], map_path: str | os.PathLike[str] | None = None) -> CompiledTemplate:
    """Compile (or fetch from the cache, keyed by paths and mtimes) a template and its map.

    ``map_path`` defaults to the template's stem + ``.map.yaml`` beside it.
    """
    xp = Path(xlsx_path)
    mp = Path(map_path) if map_path is not None else xp.with_name(xp.stem + ".map.yaml")
    try:
        key = (str(xp.resolve()), xp.stat().st_mtime_ns, str(mp.resolve()), mp.stat().st_mtime_ns)
    except FileNotFoundError as exc:
        missing = exc.filename or ""
        if Path(missing).resolve() == mp.resolve():
            raise SheetError(f"模板映射文件 {mp} 不存在") from None
        raise SheetError(f"模板文件 {xp} 不存在") from None
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    compiled = CompiledTemplate(xp, mp)
    with _CACHE_LOCK:
        _CACHE[key] = compiled
    return compiled
