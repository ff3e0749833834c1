"""Excel templates (填报模板): a map file says which cell holds which field and which row
of the sheet is a table's template row; the compiled template renders data straight into
the sheet XML, and reads a filled sheet back.

Generic machinery only: no scoring and no domain rules live here.

Rendering (see /work/shared/domain/EXCEL_NOTES.md for the measured reasons):

* ``compile_template`` parses the template once. Every zip member we do not change keeps
  its compressed bytes; the worksheet XML is cut into static text, *slots* (row numbers,
  references, formulas, sqrefs that move when rows are inserted) and *holes* (field cells,
  table rows, the merge list) that take the data.
* The layout (slots evaluated) depends only on the number of rows of each table, so it is
  cached per tuple of row counts; a render fills the holes, joins, deflates one part and
  writes the zip by hand with fixed timestamps (byte-deterministic output).

Shift rule (N data rows at template row T, d = N - 1): a row below T moves by d; a range
ending on T grows to the last data row; a cell on T stays on the first data row; with N = 0
the template row is removed (a single-cell reference to it becomes ``#REF!``). References
inside string literals never move (formulas are tokenised with openpyxl's Tokenizer).
"""

from __future__ import annotations

import bisect
import datetime as _dt
import functools
import html
import io
import os
import posixpath
import re
import struct
import threading
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from perfscore.errors import SheetError
from perfscore.writing import atomic_write_bytes

__all__ = [
    "CellValue",
    "CompiledTemplate",
    "MAX_UNCOMPRESSED_BYTES",
    "ReadSheet",
    "SheetData",
    "SheetMap",
    "TableMap",
    "compile_template",
    "cell_value",
    "load_map",
    "sheet_names",
]

#: A workbook whose members declare more than this many uncompressed bytes in total is
#: refused before anything is inflated (zip bomb).
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
MAX_CELL_TEXT = 32_767          # Excel's limit for one cell
MAX_ROW = 1_048_576
MAX_COL = 16_384
#: zlib level for the parts deflated per render (the worksheet). 1 is ~2x faster than 6
#: on these sheets and costs a few percent of size.
DEFLATE_LEVEL = 1
_LAYOUT_CACHE_SIZE = 512

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_OTHER_MAIN_CTS = (
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
)


# --------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class CellValue:
    """A value read from a sheet and where it was read (``ref`` = "J14")."""

    value: str | Decimal | None
    ref: str


@dataclass
class SheetData:
    """What to write: ``fields`` by field name, ``tables`` as lists of row dicts.

    Values: ``str`` (always written as text), ``Decimal``/``int`` (numbers), ``None``
    (the cell keeps its template style, no value). Names the map does not know are ignored,
    so a province template may leave out fields; a table missing here has 0 rows.
    """

    fields: dict[str, object] = field(default_factory=dict)
    tables: dict[str, list[dict[str, object]]] = field(default_factory=dict)


@dataclass
class ReadSheet:
    """A filled sheet read back: every mapped field and table row with its cell address."""

    path: Path
    fields: dict[str, CellValue]
    tables: dict[str, list[dict[str, CellValue]]]


# --------------------------------------------------------------------------- cell addresses

_CELL_ADDR_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_COL_ADDR_RE = re.compile(r"[A-Za-z]{1,3}")


@functools.lru_cache(maxsize=None)
def col_letters(index: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


@functools.lru_cache(maxsize=None)
def col_index(letters: str) -> int:
    """A -> 1, AA -> 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _split_addr(addr: str) -> tuple[int, int]:
    m = _CELL_ADDR_RE.fullmatch(addr)
    if not m:
        raise ValueError(addr)
    return col_index(m.group(1)), int(m.group(2))


# --------------------------------------------------------------------------- the map


class TableMap(BaseModel):
    """One table: the template row cloned per data row, its columns, the merged columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    row: int = Field(ge=1, le=MAX_ROW, description="template row (1-based)")
    columns: dict[str, str] = Field(min_length=1, description="column name -> column letters")
    merge: list[str] = Field(default_factory=list, description="columns merged vertically over equal runs")

    @field_validator("columns")
    @classmethod
    def _check_columns(cls, value: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        seen: dict[str, str] = {}
        for name, col in value.items():
            letters = col.strip().upper()
            if not _COL_ADDR_RE.fullmatch(letters) or col_index(letters) > MAX_COL:
                raise ValueError(f"列 {name} 的「{col}」不是有效的列号（应为 A、B、…、XFD）")
            if letters in seen:
                raise ValueError(f"列 {name} 和 {seen[letters]} 都指向 {letters} 列")
            seen[letters] = name
            out[name] = letters
        return out

    @model_validator(mode="after")
    def _check_merge(self) -> "TableMap":
        for name in self.merge:
            if name not in self.columns:
                raise ValueError(f"merge 里的 {name} 不是 columns 中的列名")
        if len(set(self.merge)) != len(self.merge):
            raise ValueError("merge 里有重复的列名")
        return self


class SheetMap(BaseModel):
    """The map of one template (``*.map.yaml``): worksheet, single-cell fields, tables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sheet: str = Field(min_length=1, description="worksheet name")
    fields: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="field name -> cell address, or a list of addresses"
    )
    tables: dict[str, TableMap] = Field(default_factory=dict)

    _source: str = PrivateAttr(default="")

    @field_validator("fields", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("fields")
    @classmethod
    def _check_fields(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        out = {}
        for name, addrs in value.items():
            if not addrs:
                raise ValueError(f"字段 {name} 没有单元格地址")
            norm = []
            for addr in addrs:
                a = addr.strip().upper().replace("$", "")
                m = _CELL_ADDR_RE.fullmatch(a)
                if not m or int(m.group(2)) < 1 or int(m.group(2)) > MAX_ROW or col_index(m.group(1)) > MAX_COL:
                    raise ValueError(f"字段 {name} 的「{addr}」不是有效的单元格地址（应为 C3 这样的形式）")
                norm.append(a)
            out[name] = tuple(norm)
        return out

    @model_validator(mode="after")
    def _check_layout(self) -> "SheetMap":
        rows: dict[int, str] = {}
        for name, table in self.tables.items():
            if table.row in rows:
                raise ValueError(f"键 tables.{name}.row: 表格 {name} 和 {rows[table.row]} 都在第 {table.row} 行")
            rows[table.row] = name
        cells: dict[str, str] = {}
        for name, addrs in self.fields.items():
            for addr in addrs:
                _, r = _split_addr(addr)
                if r in rows:
                    raise ValueError(f"键 fields.{name}: 单元格 {addr} 在表格 {rows[r]} 的模板行（第 {r} 行）上")
                if addr in cells and cells[addr] != name:
                    raise ValueError(f"键 fields.{name}: 单元格 {addr} 已被字段 {cells[addr]} 使用")
                cells[addr] = name
        return self

    @property
    def source(self) -> str:
        """The map file this map was loaded from ('' if built in code)."""
        return self._source


_PYDANTIC_MESSAGES = {
    "extra_forbidden": "未知的键",
    "missing": "缺少必填的键",
    "string_too_short": "不能为空",
    "too_short": "不能为空",
    "greater_than_equal": "行号必须大于等于 1",
    "less_than_equal": f"行号不能大于 {MAX_ROW}",
}


def _map_error(name: str, exc: ValidationError) -> SheetError:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        kind = err["type"]
        if kind == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
        elif kind in _PYDANTIC_MESSAGES:
            msg = _PYDANTIC_MESSAGES[kind]
        else:
            msg = f"值 {err.get('input')!r} 的类型不对（{err['msg']}）"
        problems.append(f"模板映射 {name} 键 {loc}: {msg}" if loc else f"模板映射 {name}: {msg}")
    return SheetError(problems)


def load_map(path: str | os.PathLike[str]) -> SheetMap:
    """Load and validate a ``*.map.yaml``; every problem becomes a SheetError line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SheetError(f"模板映射文件 {p} 不存在") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SheetError(f"模板映射文件 {p} 无法读取：{exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else ""
        raise SheetError(f"模板映射 {p.name} {where}: 不是有效的 YAML（{getattr(exc, 'problem', exc)}）") from None
    if not isinstance(data, dict):
        raise SheetError(f"模板映射 {p.name}: 顶层应为键值映射（sheet、fields、tables）")
    try:
        sheet_map = SheetMap.model_validate(data)
    except ValidationError as exc:
        raise _map_error(p.name, exc) from None
    sheet_map._source = str(p)
    return sheet_map


# --------------------------------------------------------------------------- row shifting


class _Shift:
    """Row mapping for one tuple of table row counts (tables sorted by template row)."""

    __slots__ = ("ts", "cum", "zero")

    def __init__(self, rows_and_counts: list[tuple[int, int]]):
        self.ts = [t for t, _ in rows_and_counts]
        self.cum = [0]
        for _, n in rows_and_counts:
            self.cum.append(self.cum[-1] + n - 1)
        self.zero = frozenset(t for t, n in rows_and_counts if n == 0)

    def start(self, r: int) -> int:
        """First row of an area starting at template row r."""
        return r + self.cum[bisect.bisect_left(self.ts, r)]

    def end(self, r: int) -> int:
        """Last row of an area ending at template row r."""
        return r + self.cum[bisect.bisect_right(self.ts, r)]

    def point(self, r: int) -> int | None:
        """A single-cell reference; None when its row was removed (N = 0)."""
        if r in self.zero:
            return None
        return r + self.cum[bisect.bisect_left(self.ts, r)]


_AREA_RE = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})(?::(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7}))?")
_ROWS_RE = re.compile(r"(\$?)([0-9]{1,7}):(\$?)([0-9]{1,7})")


class _FRef:
    """A reference inside a formula that may move."""

    __slots__ = ("prefix", "kind", "p1", "abs1", "r1", "p2", "abs2", "r2")

    def __init__(self, prefix, kind, p1, abs1, r1, p2="", abs2=False, r2=0):
        self.prefix, self.kind = prefix, kind
        self.p1, self.abs1, self.r1 = p1, abs1, r1
        self.p2, self.abs2, self.r2 = p2, abs2, r2

    @property
    def max_row(self) -> int:
        return max(self.r1, self.r2)

    def render(self, sh: _Shift, i: int | None = None) -> str:
        if self.kind == 1:
            r = sh.point(self.r1)
            if r is None:
                return "#REF!"
            if i and not self.abs1:
                r += i
            return self.prefix + self.p1 + str(r)
        if i is None:
            a, b = sh.start(self.r1), sh.end(self.r2)
        else:  # formula of a cloned template row: relative rows follow the row
            a = sh.start(self.r1) if self.abs1 else sh.point(self.r1)
            b = sh.end(self.r2) if self.abs2 else sh.point(self.r2)
            if a is None or b is None:
                return "#REF!"
            if not self.abs1:
                a += i
            if not self.abs2:
                b += i
        if b < a:
            return "#REF!"
        return self.prefix + self.p1 + str(a) + ":" + self.p2 + str(b)


def _parse_fref(value: str, own_sheet: str | None, unqualified: bool) -> tuple[_FRef, int] | None:
    """A RANGE operand -> (_FRef, length of its sheet prefix), or None if it never moves."""
    prefix = ""
    ref = value
    if "!" in value:
        k = value.rindex("!")
        prefix, ref = value[: k + 1], value[k + 1 :]
        sheet = prefix[:-1]
        if len(sheet) >= 2 and sheet[0] == "'" and sheet[-1] == "'":
            sheet = sheet[1:-1].replace("''", "'")
        if own_sheet is None or "[" in sheet or ":" in sheet or sheet.casefold() != own_sheet.casefold():
            return None
    elif not unqualified:
        return None
    m = _AREA_RE.fullmatch(ref)
    if m:
        g = m.groups()
        p1 = g[0] + g[1].upper() + g[2]
        if g[4] is None:
            return _FRef(prefix, 1, p1, bool(g[2]), int(g[3])), len(prefix)
        p2 = g[4] + g[5].upper() + g[6]
        return _FRef(prefix, 2, p1, bool(g[2]), int(g[3]), p2, bool(g[6]), int(g[7])), len(prefix)
    m = _ROWS_RE.fullmatch(ref)
    if m:
        g = m.groups()
        return _FRef(prefix, 3, g[0], bool(g[0]), int(g[1]), g[2], bool(g[2]), int(g[3])), len(prefix)
    return None


_ENTITY_RE = re.compile(r"&(#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z]+);")


def _unescape_map(esc: str) -> tuple[str, list[int]]:
    """Unescape XML text and map each unescaped index to its offset in ``esc``."""
    out: list[str] = []
    pos: list[int] = []
    last = 0
    for m in _ENTITY_RE.finditer(esc):
        for j in range(last, m.start()):
            out.append(esc[j])
            pos.append(j)
        out.append(html.unescape(m.group(0)))
        pos.append(m.start())
        last = m.end()
    for j in range(last, len(esc)):
        out.append(esc[j])
        pos.append(j)
    text = "".join(out)
    if len(text) != len(pos):  # an entity expanded to several characters: no mapping
        raise ValueError("entity")
    pos.append(len(esc))
    return text, pos


def _compile_formula(esc: str, own_sheet: str | None, unqualified: bool, min_t: int) -> list:
    """XML-escaped formula text -> pieces (str | _FRef). Static text is copied verbatim."""
    from openpyxl.formula.tokenizer import Tokenizer

    if not esc:
        return [esc]
    try:
        text, pos = _unescape_map(esc)
        tokens = Tokenizer("=" + text).items
    except Exception:  # not a formula we can read: leave it exactly as it is
        return [esc]
    pieces: list = []
    cur = 0
    last = 0
    for tok in tokens:
        if tok.type == "WHITE-SPACE":
            continue
        at = text.find(tok.value, cur)
        if at < 0:
            return [esc]
        cur = at + len(tok.value)
        if tok.type == "OPERAND" and tok.subtype == "RANGE":
            parsed = _parse_fref(tok.value, own_sheet, unqualified)
            if parsed is None or parsed[0].max_row < min_t:
                continue
            ref, plen = parsed
            ref.prefix = esc[pos[at] : pos[at + plen]]
            pieces.append(esc[pos[last] : pos[at]])
            pieces.append(ref)
            last = cur
    pieces.append(esc[pos[last] :])
    return [p for p in pieces if p != ""]


class _FormulaSlot:
    """A formula with movable references (layout-time piece)."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: list):
        self.pieces = pieces

    def __call__(self, sh: _Shift, i: int | None = None) -> str:
        return "".join(p if p.__class__ is str else p.render(sh, i) for p in self.pieces)


def _formula_piece(esc: str, own_sheet: str | None, unqualified: bool, min_t: int):
    pieces = _compile_formula(esc, own_sheet, unqualified, min_t)
    if all(p.__class__ is str for p in pieces):
        return "".join(pieces)
    return _FormulaSlot(pieces)


def _parse_area(text: str) -> tuple[str, int, str, int] | None:
    m = _AREA_RE.fullmatch(text.strip())
    if not m:
        return None
    g = m.groups()
    c1 = g[0] + g[1].upper() + g[2]
    if g[4] is None:
        return c1, int(g[3]), c1, int(g[3])
    return c1, int(g[3]), g[4] + g[5].upper() + g[6], int(g[7])


def _area_text(area: tuple[str, int, str, int], sh: _Shift) -> str | None:
    c1, r1, c2, r2 = area
    a, b = sh.start(r1), sh.end(r2)
    if b < a:
        return None
    if c1 == c2 and a == b:
        return c1 + str(a)
    return c1 + str(a) + ":" + c2 + str(b)


class _SqrefSlot:
    """A space-separated list of areas (sqref, ref, merge). Renders None when all vanish."""

    __slots__ = ("areas", "fallback")

    def __init__(self, areas: list, fallback: str | None):
        self.areas = areas
        self.fallback = fallback

    def __call__(self, sh: _Shift) -> str | None:
        out = []
        for a in self.areas:
            if a.__class__ is str:
                out.append(a)
            else:
                t = _area_text(a, sh)
                if t is not None:
                    out.append(t)
        return " ".join(out) if out else self.fallback


def _sqref_piece(text: str, min_t: int, fallback: str | None):
    areas: list = []
    moving = False
    for item in text.split():
        a = _parse_area(item)
        if a is None or max(a[1], a[3]) < min_t:
            areas.append(item)
        else:
            areas.append(a)
            moving = True
    if not moving:
        return text
    return _SqrefSlot(areas, fallback)


class _RowSlot:
    """A row number outside the tables (0-based when ``zero_based``)."""

    __slots__ = ("r", "mode", "zero_based")

    def __init__(self, r: int, mode: str = "start", zero_based: bool = False):
        self.r, self.mode, self.zero_based = r, mode, zero_based

    def __call__(self, sh: _Shift) -> str:
        if self.zero_based:
            r = self.r + 1
            return str((sh.end(r) if self.mode == "end" else sh.start(r)) - 1)
        return str(sh.end(self.r) if self.mode == "end" else sh.start(self.r))


class _Block:
    """Pieces that vanish together when one of their sqrefs renders None."""

    __slots__ = ("parts",)

    def __init__(self, parts: list):
        self.parts = parts

    def __call__(self, sh: _Shift) -> str:
        out = []
        for p in self.parts:
            if p.__class__ is str:
                out.append(p)
                continue
            s = p(sh)
            if s is None:
                return ""
            out.append(s)
        return "".join(out)


class _Container:
    """An element holding blocks; its count= follows the kept blocks; dropped when empty."""

    __slots__ = ("open", "children", "close")

    def __init__(self, open_tag: str, children: list, close: str):
        self.open, self.children, self.close = open_tag, children, close

    def __call__(self, sh: _Shift) -> str:
        kept = [s for s in (c(sh) if c.__class__ is not str else c for c in self.children) if s]
        if not kept:
            return ""
        return self.open.replace("\x00COUNT\x00", str(len(kept))) + "".join(kept) + self.close


# --------------------------------------------------------------------------- XML text


_ATTR_RE = re.compile(r"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TEXT_SPECIAL_RE = re.compile(
    "[&<>\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_"
)
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XESC_RE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def _attrs(text: str) -> list[tuple[str, str]]:
    out = []
    for m in _ATTR_RE.finditer(text):
        if m.group(2) is not None:
            out.append((m.group(1), m.group(2)))
        else:
            out.append((m.group(1), m.group(3).replace('"', "&quot;")))
    return out


def _attrs_text(attrs: list[tuple[str, str]]) -> str:
    return "".join(f' {k}="{v}"' for k, v in attrs)


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_TEXT_CACHE: dict[str, str] = {}


def _inline_text(s: str) -> str:
    """Text as ``<is><t>…</t></is>``: escaped, control characters removed, ``_xHHHH_`` kept."""
    if s.isprintable() and "&" not in s and "<" not in s and ">" not in s and "_x" not in s:
        esc = s  # the common case: nothing to escape (isprintable rules out control characters)
    elif _TEXT_SPECIAL_RE.search(s):
        esc = _ILLEGAL_XML_RE.sub("", s).replace("\r\n", "\n").replace("\r", "\n")
        esc = _XESC_RE.sub(r"_x005F_\1", esc)
        esc = esc.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    else:
        esc = s
    if esc and (esc[0] in " \t\n" or esc[-1] in " \t\n"):
        return '<is><t xml:space="preserve">' + esc + "</t></is>"
    return "<is><t>" + esc + "</t></is>"


def _text_cell_tail(s: str) -> str:
    """`` t="inlineStr"><is><t>…</t></is></c>`` for s, cached (table texts repeat a lot)."""
    hit = _TEXT_CACHE.get(s)
    if hit is not None:
        return hit
    if len(s) > MAX_CELL_TEXT:
        raise ValueError(f"文本长度 {len(s)} 超过 Excel 单元格上限 {MAX_CELL_TEXT}")
    out = ' t="inlineStr">' + _inline_text(s) + "</c>"
    if len(s) <= 200:
        if len(_TEXT_CACHE) >= 8192:
            _TEXT_CACHE.clear()
        _TEXT_CACHE[s] = out
    return out


def _number_text(v: object, where: Callable[[], str]) -> str:
    t = v.__class__
    if t is int:
        return str(v)
    if t is Decimal:
        if not v.is_finite():  # type: ignore[union-attr]
            raise ValueError(f"{where()}: {v} 不是有效数字（NaN/Infinity 不能写入 Excel）")
        return str(v)
    if t is float:
        if v != v or v in (float("inf"), float("-inf")):  # float-ok: rejecting NaN and ∞ from a Python caller
            raise ValueError(f"{where()}: {v} 不是有效数字（NaN/Infinity 不能写入 Excel）")
        return repr(v)
    if isinstance(v, bool):
        raise TypeError(f"{where()}: 不支持布尔值 {v}（只允许 str、Decimal、int 或 None）")
    if isinstance(v, (int, Decimal)):  # subclasses
        return _number_text(Decimal(v), where)  # type: ignore[arg-type]
    raise TypeError(f"{where()}: 不支持的值类型 {t.__name__}（只允许 str、Decimal、int 或 None）")


def _cell_xml(open_: str, v: object, where: Callable[[], str]) -> str:
    """``open_`` is ``<c r="J14" s="7"`` (no t=)."""
    if v is None:
        return open_ + "/>"
    if v.__class__ is str:
        if len(v) > MAX_CELL_TEXT:  # type: ignore[arg-type]
            raise ValueError(f"{where()}: 文本长度 {len(v)} 超过 Excel 单元格上限 {MAX_CELL_TEXT}")  # type: ignore[arg-type]
        return open_ + _text_cell_tail(v)  # type: ignore[arg-type]
    if isinstance(v, str):
        return _cell_xml(open_, str.__str__(v), where)
    return open_ + "><v>" + _number_text(v, where) + "</v></c>"


# --------------------------------------------------------------------------- zip parts


@dataclass
class _Member:
    name: str
    name_b: bytes
    flag: int
    dostime: int
    dosdate: int
    method: int = 8
    crc: int = 0
    csize: int = 0
    usize: int = 0
    data: bytes = b""          # compressed payload (static members)
    dynamic: str = ""          # "" | "sheet" | other dynamic part


_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHI")
_U32 = struct.Struct("<I")


def _dos_time(date_time: tuple[int, ...]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    if y < 1980:
        y, mo, d, h, mi, s = 1980, 1, 1, 0, 0, 0
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _raw_member(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """The compressed bytes of one member, as stored."""
    off = info.header_offset
    if data[off : off + 4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    n, e = struct.unpack_from("<HH", data, off + 26)
    start = off + 30 + n + e
    raw = data[start : start + info.compress_size]
    if len(raw) != info.compress_size:
        raise zipfile.BadZipFile("truncated member")
    return raw


def _inflate_member(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """Inflate one member, never producing more than its declared size (zip bomb)."""
    raw = _raw_member(data, info)
    if info.compress_type == zipfile.ZIP_STORED:
        out = raw
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        d = zlib.decompressobj(-15)
        out = d.decompress(raw, info.file_size + 1)
        if len(out) > info.file_size or d.unconsumed_tail:
            raise zipfile.BadZipFile("member larger than declared")
    else:
        raise zipfile.BadZipFile("unsupported compression")
    if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
        raise zipfile.BadZipFile("bad CRC or size")
    return out


def _open_zip(path: Path, data: bytes, what: str = "文件") -> tuple[zipfile.ZipFile, dict[str, bytes]]:
    """Refuse what is not a sane .xlsx; return the zip and its inflated XML parts."""
    label = f"{what} {path}"
    if data[:8] == _OLE2_MAGIC:
        raise SheetError(
            f"{label}: 是旧版 .xls 文件，或是加密（设了打开密码）的工作簿；请在 Excel/WPS 中去掉密码并另存为 .xlsx 后再试"
        )
    if data[:4] != b"PK\x03\x04":
        raise SheetError(f"{label}: 不是 .xlsx 文件（不是 zip 格式），可能已损坏")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error):
        raise SheetError(f"{label}: .xlsx 文件已损坏（zip 结构无效）") from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise SheetError(f"{label}: 包含 {len(infos)} 个部件，超过上限 {MAX_ZIP_MEMBERS}，拒绝读取")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise SheetError(
            f"{label}: 解压后共 {total / 1048576:.0f} MB，超过上限 {MAX_UNCOMPRESSED_BYTES / 1048576:.0f} MB，"
            "拒绝读取（可能是 zip 炸弹）"
        )
    parts: dict[str, bytes] = {}
    for info in infos:
        if info.flag_bits & 0x1:
            raise SheetError(f"{label}: 工作簿已加密，请去掉密码后另存为 .xlsx")
        low = info.filename.lower()
        if low.endswith((".xml", ".rels", ".vml")):
            try:
                parts[info.filename] = _inflate_member(data, info)
            except (zipfile.BadZipFile, zlib.error, struct.error):
                raise SheetError(f"{label}: .xlsx 文件已损坏（部件 {info.filename} 无法解压）") from None
    return zf, parts


def _xml(parts: dict[str, bytes], name: str, label: str) -> str:
    try:
        return parts[name].decode("utf-8")
    except KeyError:
        raise SheetError(f"{label}: 缺少部件 {name}，不是有效的 .xlsx 文件") from None
    except UnicodeDecodeError:
        raise SheetError(f"{label}: 部件 {name} 不是 UTF-8 编码的 XML") from None


_REL_RE = re.compile(r"<Relationship\b[^>]*?/?>")


def _rels(xml: str) -> list[dict[str, str]]:
    return [dict(_attrs(m.group(0)[len("<Relationship") :])) for m in _REL_RE.finditer(xml)]


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _rels_name(part: str) -> str:
    d, n = posixpath.split(part)
    return posixpath.join(d, "_rels", n + ".rels")


_SHEET_ENTRY_RE = re.compile(r"<(?:\w+:)?sheet\b([^>]*?)/?>")


def _workbook_part(parts: dict[str, bytes], label: str) -> str:
    for rel in _rels(_xml(parts, "_rels/.rels", label)):
        if rel.get("Type", "").endswith("/officeDocument"):
            return _resolve("", rel.get("Target", ""))
    raise SheetError(f"{label}: 找不到工作簿部件，不是有效的 .xlsx 文件")


def _sheets(parts: dict[str, bytes], label: str) -> tuple[str, list[tuple[str, str]]]:
    """(workbook part, [(sheet name, worksheet part)]) in workbook order."""
    wb_part = _workbook_part(parts, label)
    wb_xml = _xml(parts, wb_part, label)
    rels = {r.get("Id"): r for r in _rels(_xml(parts, _rels_name(wb_part), label))}
    out = []
    body = wb_xml[wb_xml.find("<sheets") :] if "<sheets" in wb_xml else wb_xml
    for m in _SHEET_ENTRY_RE.finditer(body):
        attrs = dict(_attrs(m.group(1)))
        name = html.unescape(attrs.get("name", ""))
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
        rel = rels.get(rid)
        target = _resolve(wb_part, rel["Target"]) if rel and rel.get("Target") else ""
        out.append((name, target))
    return wb_part, out


def _find_sheet(sheets: list[tuple[str, str]], name: str) -> int | None:
    for i, (n, _) in enumerate(sheets):
        if n == name:
            return i
    for i, (n, _) in enumerate(sheets):  # Excel sheet names are case-insensitive
        if n.casefold() == name.casefold():
            return i
    return None


def _shared_strings(parts: dict[str, bytes], wb_part: str, label: str) -> list[str]:
    for rel in _rels(_xml(parts, _rels_name(wb_part), label)):
        if rel.get("Type", "").endswith("/sharedStrings"):
            name = _resolve(wb_part, rel.get("Target", ""))
            if name in parts:
                xml = parts[name].decode("utf-8")
                out = []
                for si in re.finditer(r"<si>(.*?)</si>|<si/>", xml, re.S):
                    inner = re.sub(r"<rPh\b.*?</rPh>", "", si.group(1) or "", flags=re.S)
                    texts = re.findall(r"<t\b[^>]*>(.*?)</t>", inner, re.S)
                    out.append(_unxesc(html.unescape("".join(texts))))
                return out
    return []


def _unxesc(s: str) -> str:
    if "_x" not in s:
        return s
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s)


# --------------------------------------------------------------------------- sheet parsing


_ROW_RE = re.compile(r"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_CELL_RE = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_F_RE = re.compile(r"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_V_RE = re.compile(r"<v>(.*?)</v>", re.S)
_IS_T_RE = re.compile(r"<t\b[^>]*>(.*?)</t>", re.S)


@dataclass
class _Cell:
    col: int
    attrs: list[tuple[str, str]]      # without r
    inner: str | None                 # None: self-closing
    f_attrs: list[tuple[str, str]] | None = None
    f_text: str | None = None         # escaped formula text

    def get(self, key: str) -> str | None:
        for k, v in self.attrs:
            if k == key:
                return v
        return None

    def without(self, *keys: str) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.attrs if k not in keys]


@dataclass
class _Row:
    r: int
    attrs: list[tuple[str, str]]      # without r and spans
    cells: list[_Cell]
    extra: str = ""                   # non-cell content inside the row, kept verbatim


def _parse_rows(body: str, label: str) -> list[_Row]:
    rows: list[_Row] = []
    last_r = 0
    for m in _ROW_RE.finditer(body):
        attrs = _attrs(m.group(1))
        r = next((int(v) for k, v in attrs if k == "r"), last_r + 1)
        last_r = r
        cells: list[_Cell] = []
        extra = ""
        inner = m.group(2) or ""
        last_c = 0
        end = 0
        for cm in _CELL_RE.finditer(inner):
            end = cm.end()
            cattrs = _attrs(cm.group(1))
            ref = next((v for k, v in cattrs if k == "r"), None)
            col = _split_addr(ref)[0] if ref else last_c + 1
            last_c = col
            cell = _Cell(col, [(k, v) for k, v in cattrs if k != "r"], cm.group(2))
            if cell.inner is not None:
                fm = _F_RE.search(cell.inner)
                if fm:
                    cell.f_attrs = _attrs(fm.group(1))
                    cell.f_text = fm.group(2) or ""
            cells.append(cell)
        extra = inner[end:].strip()
        rows.append(_Row(r, [(k, v) for k, v in attrs if k not in ("r", "spans")], cells, extra))
    return rows


def _unshare_formulas(rows: list[_Row], label: str) -> None:
    """Turn shared formulas into plain ones (cloning a shared master corrupts a file)."""
    from openpyxl.formula.translate import Translator

    masters: dict[str, tuple[str, str]] = {}
    for row in rows:
        for c in row.cells:
            if c.f_attrs and dict(c.f_attrs).get("t") == "shared" and c.f_text:
                masters[dict(c.f_attrs).get("si", "")] = (col_letters(c.col) + str(row.r), html.unescape(c.f_text))
    for row in rows:
        for c in row.cells:
            if not c.f_attrs or dict(c.f_attrs).get("t") != "shared":
                continue
            si = dict(c.f_attrs).get("si", "")
            here = col_letters(c.col) + str(row.r)
            if not c.f_text:
                if si not in masters:
                    raise SheetError(f"{label}单元格 {here}: 共享公式缺少主单元格，无法处理")
                origin, text = masters[si]
                try:
                    text = Translator("=" + text, origin=origin).translate_formula(here)[1:]
                except Exception:
                    raise SheetError(f"{label}单元格 {here}: 无法展开共享公式") from None
                c.f_text = _xml_escape(text)
            c.f_attrs = [(k, v) for k, v in c.f_attrs if k not in ("t", "ref", "si")]


def _cell_text(c: _Cell, sst: list[str]) -> str | None:
    """Constant text of a template cell (labels), or None."""
    if c.inner is None or c.f_text is not None:
        return None
    t = c.get("t")
    if t == "s":
        m = _V_RE.search(c.inner)
        if m:
            try:
                return sst[int(m.group(1))]
            except (ValueError, IndexError):
                return None
    if t == "inlineStr":
        return _unxesc(html.unescape("".join(_IS_T_RE.findall(re.sub(r"<rPh\b.*?</rPh>", "", c.inner, flags=re.S)))))
    return None


def _norm_label(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


# --------------------------------------------------------------------------- compiled pieces


class _Builder:
    """Collects static text, layout slots (callables of _Shift) and holes."""

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


class _Hole:
    def bind(self, sh: _Shift):  # pragma: no cover - interface
        raise NotImplementedError


class _FieldHole(_Hole):
    def __init__(self, name: str, col: str, r: int, attrs: str):
        self.name, self.col, self.r, self.attrs = name, col, r, attrs

    def bind(self, sh: _Shift) -> "_BoundField":
        return _BoundField(self.name, '<c r="' + self.col + str(sh.start(self.r)) + '"' + self.attrs)


class _BoundField:
    __slots__ = ("name", "open")

    def __init__(self, name: str, open_: str):
        self.name, self.open = name, open_

    def render(self, data: SheetData, runs: dict) -> str:
        return _cell_xml(self.open, data.fields.get(self.name), lambda: f"字段 {self.name}")


class _HeightHole(_Hole):
    """ht= of a row holding wrapped text fields: grows when the text needs more lines."""

    __slots__ = ("fit", "base", "orig")

    def __init__(self, fit: list, base: float, orig: str):
        self.fit, self.base, self.orig = fit, base, orig

    def bind(self, sh: _Shift) -> "_HeightHole":
        return self

    def render(self, data: SheetData, runs: dict) -> str:
        need = self.base
        for name, cap, size in self.fit:
            v = data.fields.get(name)
            if v.__class__ is str and (len(v) * 2 > cap or "\n" in v):
                h = _height(_lines(v, cap), size)
                if h > need:
                    need = h
        if need > self.base:
            return ' ht="' + _ht_text(need) + '" customHeight="1"'
        return self.orig


_FIELD, _CONST, _FORMULA = 0, 1, 2


@dataclass
class _TableSpec:
    name: str
    row: int
    columns: dict[str, str]                         # name -> letters
    merge: list[str]
    row_head: str                                   # '<row r="\x01" …>' (\x01 = row number)
    cells: list[tuple]                              # see _TableHole
    inrow_merges: list[tuple[int, int]]             # (first col, last col) on the template row
    spans: dict[str, tuple[int, int]]               # merge column -> (first col, last col)
    signature: list[tuple[int, int, str]] = field(default_factory=list)  # (row, col, label)
    fit: list[tuple[str, float, float]] = field(default_factory=list)    # (column, capacity, font size)
    base_ht: float = 15.0
    row_head_fit: str = ""                          # row_head with ht="\x02" customHeight="1"


class _TableHole(_Hole):
    def __init__(self, spec: _TableSpec):
        self.spec = spec

    def bind(self, sh: _Shift) -> "_BoundTable":
        return _BoundTable(self.spec, sh.start(self.spec.row), sh)


_ROW_MARK = "\x01"   # stands for the row number inside a cloned row's XML


class _BoundTable:
    __slots__ = ("spec", "start", "sh")

    def __init__(self, spec: _TableSpec, start: int, sh: _Shift):
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
                        h = _height(_lines(v, cap), size)
                        if h > need:
                            need = h
                if need > spec.base_ht:
                    parts[0] = spec.row_head_fit.replace("\x02", _ht_text(need))
            for kind, key, pre, empty in cells:
                if kind == _FIELD:
                    v = row.get(key)
                    if v is None or (bl is not None and key in bl):
                        add(empty)
                    elif v.__class__ is str:
                        add(pre)
                        try:
                            add(_text_cell_tail(v))
                        except ValueError as exc:
                            raise ValueError(f"表格 {spec.name} 第 {i + 1} 行 列 {key}: {exc}") from None
                    elif isinstance(v, str):  # str subclasses (StrEnum …) are text too
                        add(pre)
                        add(_text_cell_tail(str.__str__(v)))
                    else:
                        add(pre)
                        add("><v>")
                        add(_number_text(v, lambda: f"表格 {spec.name} 第 {i + 1} 行 列 {key}"))
                        add("</v></c>")
                elif kind == _CONST:
                    add(empty)
                else:  # formula of the template row, moved with the row
                    add(pre)
                    add(key(self.sh, i))
                    add(empty)
            add("</row>")
            out.append("".join(parts).replace(_ROW_MARK, str(start + i)))
        return "".join(out)


def _runs(rows: list, merge: list[str]) -> tuple[dict, list, dict]:
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


class _MergeHole(_Hole):
    def __init__(self, static: list, tables: list[_TableSpec]):
        self.static = static      # areas (tuples) or fixed strings
        self.tables = tables

    def bind(self, sh: _Shift) -> "_BoundMerges":
        fixed = []
        for a in self.static:
            t = a if a.__class__ is str else _area_text(a, sh)
            if t is not None:
                fixed.append('<mergeCell ref="' + t + '"/>')
        return _BoundMerges("".join(fixed), len(fixed), [(t, sh.start(t.row)) for t in self.tables])


class _BoundMerges:
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
class _Layout:
    segs: list[str]
    holes: list
    dynamic: dict[str, tuple[int, int, int, bytes]]   # part -> (crc, csize, usize, data)


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
    r'|(?P<attr>\b(?:ref|sqref)="[^"]*")',
    re.S,
)
_BLOCK_SLOT_RE = re.compile(
    r'(?P<a>\b(?:sqref|ref)=")(?P<av>[^"]*)(?=")'
    r"|(?P<f><(?P<ft>formula|formula1|formula2|xm:f)>)(?P<fv>.*?)(?=</(?P=ft)>)"
    r"|(?P<x><xm:sqref>)(?P<xv>.*?)(?=</xm:sqref>)",
    re.S,
)


class _Compiler:
    def __init__(self, xlsx: Path, map_: SheetMap, map_name: str):
        self.map = map_
        self.map_name = map_name
        self.label = f"模板 {xlsx.name}"
        self.table_rows = sorted(t.row for t in map_.tables.values())
        self.min_t = self.table_rows[0] if self.table_rows else MAX_ROW + 1
        self.has_formulas = False

    def err(self, key: str, msg: str) -> SheetError:
        return SheetError(f"模板映射 {self.map_name} 键 {key}: {msg}")

    # ---- worksheet -------------------------------------------------------------------

    def compile_sheet(self, xml: str, sst: list[str], col_styles: dict[int, str], metrics: "_Metrics") -> tuple[list, list[_TableSpec]]:
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
        rows = _parse_rows(body, label)
        _unshare_formulas(rows, label)
        self._check_bounds(head, rows)
        by_r = {row.r: row for row in rows}
        # fields and mapped table columns that have no cell yet: create them
        field_at: dict[tuple[int, int], str] = {}
        for name, addrs in self.map.fields.items():
            for addr in addrs:
                c, r = _split_addr(addr)
                field_at[(r, c)] = name
                self._ensure_cell(by_r, rows, r, c, col_styles)
        for name, t in self.map.tables.items():
            for col in t.columns.values():
                self._ensure_cell(by_r, rows, t.row, col_index(col), col_styles)
        rows.sort(key=lambda row: row.r)
        merges_xml = _MERGECELLS_RE.search(tail)
        merge_areas = [a for a in (_parse_area(x) for x in re.findall(r'<mergeCell\b[^>]*\bref="([^"]*)"', merges_xml.group(0))) if a] if merges_xml else []
        self.metrics = metrics
        self.merge_areas = merge_areas
        specs = self._table_specs(rows, by_r, merge_areas, sst, field_at)
        spec_by_row = {s.row: s for s in specs}

        b = _Builder()
        self._compile_attrs(head, b, _HEAD_ATTR_RE, fallback_original=True)
        for row in rows:
            if row.r in spec_by_row:
                b.add(_TableHole(spec_by_row[row.r]))
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
        self._compile_tail(before, b)
        b.add(_MergeHole(static_merges, specs))
        self._compile_tail(after, b)
        return b.items, specs

    def _check_bounds(self, head: str, rows: list[_Row]) -> None:
        dm = _DIM_RE.search(head)
        area = _parse_area(dm.group(1).replace("$", "")) if dm else None
        if area is None:
            max_r = max((row.r for row in rows), default=1)
            max_c = max((c.col for row in rows for c in row.cells), default=1)
            dim = f"A1:{col_letters(max_c)}{max_r}"
        else:
            max_r, max_c = area[3], col_index(area[2].replace("$", ""))
            dim = dm.group(1)  # type: ignore[union-attr]
        for name, addrs in self.map.fields.items():
            for addr in addrs:
                c, r = _split_addr(addr)
                if r > max_r or c > max_c:
                    raise self.err(f"fields.{name}", f"单元格 {addr} 超出模板工作表「{self.map.sheet}」的范围 {dim}")
        for name, t in self.map.tables.items():
            if t.row > max_r:
                raise self.err(f"tables.{name}.row", f"第 {t.row} 行超出模板工作表「{self.map.sheet}」的范围 {dim}")
            for cname, col in t.columns.items():
                if col_index(col) > max_c:
                    raise self.err(f"tables.{name}.columns.{cname}", f"{col} 列超出模板工作表「{self.map.sheet}」的范围 {dim}")

    @staticmethod
    def _ensure_cell(by_r: dict[int, _Row], rows: list[_Row], r: int, c: int, col_styles: dict[int, str]) -> None:
        row = by_r.get(r)
        if row is None:
            row = _Row(r, [], [])
            by_r[r] = row
            rows.append(row)
        if any(cell.col == c for cell in row.cells):
            return
        ad = dict(row.attrs)
        style = ad.get("s") if ad.get("customFormat") in ("1", "true") else col_styles.get(c)
        row.cells.append(_Cell(c, [("s", style)] if style and style != "0" else [], None))
        row.cells.sort(key=lambda cell: cell.col)

    def _table_specs(self, rows, by_r, merge_areas, sst, field_at) -> list[_TableSpec]:
        specs = []
        field_cells = set(field_at)
        for name, t in sorted(self.map.tables.items(), key=lambda kv: kv[1].row):
            row = by_r[t.row]
            key_of = {col_index(letters): key for key, letters in t.columns.items()}
            cells = []
            for c in row.cells:
                ref = '<c r="' + col_letters(c.col) + _ROW_MARK + '"'
                if c.col in key_of:
                    pre = ref + _attrs_text(c.without("t", "cm", "vm"))
                    cells.append((_FIELD, key_of[c.col], pre, pre + "/>"))
                elif c.f_text is not None:
                    self.has_formulas = True
                    slot = _FormulaSlot(_compile_formula(c.f_text, self.map.sheet, True, 0))
                    f_open = "<f" + _attrs_text(c.f_attrs or []) + ">"
                    cells.append((_FORMULA, slot, ref + _attrs_text(c.without("t", "cm", "vm")) + ">" + f_open, "</f></c>"))
                else:
                    tail = "/>" if c.inner is None else ">" + c.inner + "</c>"
                    cells.append((_CONST, None, None, ref + _attrs_text(c.attrs) + tail))
            inrow = [(col_index(a[0].replace("$", "")), col_index(a[2].replace("$", ""))) for a in merge_areas if a[1] == a[3] == t.row]
            spans = {}
            for key in t.merge:
                ci = col_index(t.columns[key])
                spans[key] = next(((a, b) for a, b in inrow if a <= ci <= b), (ci, ci))
            spec = _TableSpec(
                name=name, row=t.row, columns=dict(t.columns), merge=list(t.merge),
                row_head='<row r="' + _ROW_MARK + '"' + _attrs_text(row.attrs) + ">", cells=cells, inrow_merges=inrow, spans=spans,
            )
            # wrapped text columns: estimate each cloned row's height
            mt = self.metrics
            ra = dict(row.attrs)
            spec.base_ht = float(ra["ht"]) if ra.get("ht") else mt.default_row  # float-ok: geometry (points, character widths), not money
            spec.row_head_fit = ('<row r="' + _ROW_MARK + '"' + _attrs_text([(k, v) for k, v in row.attrs if k not in ("ht", "customHeight")])
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
                sig = [(r, c.col, _norm_label(txt)) for c in by_r[r].cells if (r, c.col) not in field_cells
                       for txt in [_cell_text(c, sst)] if txt and _norm_label(txt)]
                if sig:
                    spec.signature = sig
                    break
            if not spec.signature and nxt <= MAX_ROW:
                raise self.err(f"tables.{name}", f"表格 {name} 与下一个表格之间没有固定文字行，读取时无法确定它在哪里结束")
            specs.append(spec)
        return specs

    def _rownum(self, r: int):
        return str(r) if r < self.min_t else _RowSlot(r)

    def _field_fit(self, row: _Row, field_at: dict) -> list[tuple[str, float, float]]:
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

    def _compile_row(self, row: _Row, b: _Builder, field_at: dict) -> None:
        b.add('<row r="')
        b.add(self._rownum(row.r))
        fit = self._field_fit(row, field_at)
        if fit:
            ra = dict(row.attrs)
            base = float(ra["ht"]) if ra.get("ht") else self.metrics.default_row  # float-ok: geometry (points, character widths), not money
            keep = [(k, v) for k, v in row.attrs if k not in ("ht", "customHeight")]
            orig = "".join(f' {k}="{v}"' for k, v in row.attrs if k in ("ht", "customHeight"))
            b.add('"')
            b.add(_HeightHole(fit, base, orig))
            b.add(_attrs_text(keep))
        else:
            b.add('"' + _attrs_text(row.attrs))
        if not row.cells and not row.extra:
            b.add("/>")
            return
        b.add(">")
        for c in row.cells:
            L = col_letters(c.col)
            name = field_at.get((row.r, c.col))
            if name is not None:
                b.add(_FieldHole(name, L, row.r, _attrs_text(c.without("t", "cm", "vm"))))
                continue
            b.add('<c r="' + L)
            b.add(self._rownum(row.r))
            if c.f_text is None:
                b.add('"' + _attrs_text(c.attrs) + ("/>" if c.inner is None else ">" + c.inner + "</c>"))
                continue
            # formula: drop the (stale) cached value and its type, keep <f> with moved references
            self.has_formulas = True
            b.add('"' + _attrs_text(c.without("t", "cm", "vm")) + "><f")
            for k, v in c.f_attrs or []:
                if k == "ref":
                    b.add(' ref="')
                    b.add(_sqref_piece(v, self.min_t, v))
                    b.add('"')
                else:
                    b.add(f' {k}="{v}"')
            if c.f_text:
                b.add(">")
                b.add(_formula_piece(c.f_text, self.map.sheet, True, self.min_t))
                b.add("</f></c>")
            else:
                b.add("/></c>")
        b.add(row.extra)
        b.add("</row>")

    def _compile_attrs(self, text: str, b: _Builder, regex: re.Pattern, fallback_original: bool) -> None:
        last = 0
        for m in regex.finditer(text):
            b.add(text[last : m.start(2)])
            b.add(_sqref_piece(m.group(2), self.min_t, m.group(2) if fallback_original else None))
            last = m.end(2)
        b.add(text[last:])

    def _block(self, text: str) -> list:
        """Pieces of one element with sqref/ref attributes, <formula*> and <xm:sqref> inside."""
        parts: list = []
        last = 0
        for m in _BLOCK_SLOT_RE.finditer(text):
            if m.group("a"):
                parts.append(text[last : m.end("a")])
                parts.append(_sqref_piece(m.group("av"), self.min_t, None))
                last = m.end("av")
            elif m.group("f"):
                parts.append(text[last : m.end("f")])
                parts.append(_formula_piece(m.group("fv"), self.map.sheet, True, self.min_t))
                last = m.end("fv")
            else:
                parts.append(text[last : m.end("x")])
                parts.append(_sqref_piece(m.group("xv"), self.min_t, None))
                last = m.end("xv")
        parts.append(text[last:])
        parts = [p for p in parts if p != ""]
        if all(p.__class__ is str for p in parts):
            return ["".join(parts)]
        return [_Block(parts)]

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
        return _Container(open_tag, children, close)

    def _compile_tail(self, text: str, b: _Builder) -> None:
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
                    b.add(str(r) if r < self.min_t else _RowSlot(r, "end"))
                    pos = bm.end(2)
                b.add(chunk[pos:])
            else:  # any other ref/sqref attribute (autoFilter, ignoredErrors, …)
                am = re.match(r'(\w+=")([^"]*)(")', chunk)
                assert am is not None
                b.add(am.group(1))
                b.add(_sqref_piece(am.group(2), self.min_t, am.group(2)))
                b.add(am.group(3))
        b.add(text[last:])

    # ---- other parts -----------------------------------------------------------------

    def compile_workbook(self, xml: str, sheet_index: int) -> list:
        """workbook.xml: defined names move with the sheet; full calculation on load."""
        b = _Builder()
        last = 0
        for m in re.finditer(r"(<definedName\b[^>]*>)(.*?)(</definedName>)", xml, re.S):
            b.add(xml[last : m.end(1)])
            b.add(_formula_piece(m.group(2), self.map.sheet, False, self.min_t))
            last = m.start(3)
        b.add(xml[last:])
        items = b.items
        if self.has_formulas:
            items = [_set_full_calc(p) if p.__class__ is str else p for p in items]
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
        b = _Builder()
        last = 0
        pattern = r"(<(?:\w+:)?f>)(.*?)(</(?:\w+:)?f>)" if chart else r"(<f\b[^>]*>)(.*?)(</f>)"
        for m in re.finditer(pattern, xml, re.S):
            b.add(xml[last : m.end(1)])
            b.add(_formula_piece(m.group(2), self.map.sheet, False, self.min_t))
            last = m.start(3)
        b.add(xml[last:])
        return b.items

    def compile_anchors(self, xml: str, kind: str) -> list:
        """Drawings (images, seals), legacy comments and their VML shapes below a table move too."""
        b = _Builder()
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
                b.add(str(r) if r + 1 < self.min_t else _RowSlot(r, mode, zero_based=True))
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
                    b.add(str(r) if r + 1 < self.min_t else _RowSlot(r, zero_based=True))
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
                            b.add(_RowSlot(r, "start" if idx == 2 else "end", zero_based=True))
                        else:
                            b.add(x)
                    last = m.end(5)
            b.add(xml[last:])
        return b.items


def _set_full_calc(s: str) -> str:
    def fix(m: re.Match) -> str:
        tag = m.group(0)
        if "fullCalcOnLoad" in tag:
            return re.sub(r'fullCalcOnLoad="[^"]*"', 'fullCalcOnLoad="1"', tag)
        return tag[:-2].rstrip() + ' fullCalcOnLoad="1"/>' if tag.endswith("/>") else tag[:-1] + ' fullCalcOnLoad="1">'

    return re.sub(r"<calcPr\b[^>]*?/?>", fix, s)


def _col_styles(xml: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for m in re.finditer(r"<col\b([^>]*?)/?>", xml):
        a = dict(_attrs(m.group(1)))
        if "style" in a and "min" in a and "max" in a:
            for c in range(int(a["min"]), min(int(a["max"]), MAX_COL) + 1):
                out[c] = a["style"]
    return out


class _Metrics:
    """Enough of styles.xml and <cols> to estimate how many lines a wrapped text needs.

    LibreOffice (and WPS) do not auto-size rows of an .xlsx on load, so a cloned row with
    a long 三级指标 or 偏差原因 would be clipped. Widths are in pixels at 96 dpi: a column
    of width w is about 7w + 5 px; a CJK glyph of size f pt is f * 4/3 px wide, a Latin one
    half of that.
    """

    def __init__(self, styles_xml: str, sheet_xml: str):
        fonts = re.search(r"<fonts\b[^>]*>(.*?)</fonts>", styles_xml, re.S)
        sizes = []
        for fm in re.finditer(r"<font\b[^>]*?(?:/>|>(.*?)</font>)", fonts.group(1) if fonts else "", re.S):
            sz = re.search(r'<sz\b[^>]*\bval="([0-9.]+)"', fm.group(1) or "")
            sizes.append(float(sz.group(1)) if sz else 11.0)  # float-ok: geometry (points, character widths), not money
        self.default_size = sizes[0] if sizes else 11.0
        self.xfs: list[tuple[float, bool]] = []
        xfs = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", styles_xml, re.S)
        for xm in re.finditer(r"<xf\b([^>]*?)(?:/>|>(.*?)</xf>)", xfs.group(1) if xfs else "", re.S):
            a = dict(_attrs(xm.group(1)))
            fid = int(a.get("fontId", "0") or 0)
            size = sizes[fid] if 0 <= fid < len(sizes) else self.default_size
            wrap = re.search(r'<alignment\b[^>]*\bwrapText="(1|true)"', xm.group(2) or "") is not None
            self.xfs.append((size, wrap))
        fmt = re.search(r"<sheetFormatPr\b([^>]*)/?>", sheet_xml)
        fa = dict(_attrs(fmt.group(1))) if fmt else {}
        self.default_row = float(fa.get("defaultRowHeight", "15") or 15)  # float-ok: geometry (points, character widths), not money
        self.default_col = float(fa.get("defaultColWidth") or (float(fa.get("baseColWidth", "8") or 8) + 0.71))  # float-ok: geometry (points, character widths), not money
        self.widths: dict[int, float] = {}
        for cm in re.finditer(r"<col\b([^>]*?)/?>", sheet_xml):
            a = dict(_attrs(cm.group(1)))
            if "width" in a and "min" in a and "max" in a:
                for c in range(int(a["min"]), min(int(a["max"]), MAX_COL) + 1):
                    self.widths[c] = float(a["width"])  # float-ok: geometry (points, character widths), not money

    def style(self, s: str | None) -> tuple[float, bool]:
        try:
            return self.xfs[int(s or 0)]
        except (ValueError, IndexError):
            return self.default_size, False

    def capacity(self, c1: int, c2: int, size: float) -> float:
        """Half-width characters that fit on one line across columns c1..c2."""
        px = sum(self.widths.get(c, self.default_col) * 7 + 5 for c in range(c1, c2 + 1)) - 8
        return max(px, 7.0) / (size * 2 / 3)


def _lines(s: str, cap: float) -> int:
    n = 0
    for seg in s.split("\n"):
        w = len(seg) + (len(seg.encode("utf-8")) - len(seg)) / 2  # CJK counts 2, Latin 1
        n += max(1, -int(-(w * 1.05) // cap))
    return n


def _height(need_lines: int, size: float) -> float:
    return need_lines * size * 1.3 + 4


def _ht_text(h: float) -> str:
    return f"{h:.2f}".rstrip("0").rstrip(".")


def _deflate(data: bytes, level: int = DEFLATE_LEVEL) -> bytes:
    return zlib.compress(data, level, -15)


def _evaluate(items: list, sh: _Shift) -> str:
    return "".join(p if p.__class__ is str else p(sh) for p in items)


# --------------------------------------------------------------------------- the template


class CompiledTemplate:
    """A template parsed once; ``render`` fills it, ``read`` reads a filled sheet back."""

    def __init__(self, xlsx_path: Path, map_path: Path):
        self.path = xlsx_path
        self.map_path = map_path
        self.map = load_map(map_path)
        self._lock = threading.Lock()
        self._layouts: dict[tuple[int, ...], _Layout] = {}
        self._compile()

    # ---- compile -------------------------------------------------------------------

    def _compile(self) -> None:
        path = self.path
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise SheetError(f"模板文件 {path} 不存在") from None
        except OSError as exc:
            raise SheetError(f"模板文件 {path} 无法读取：{exc.strerror or exc}") from None
        zf, parts = _open_zip(path, data, "模板")
        label = f"模板 {path.name}"
        wb_part, sheets = _sheets(parts, label)
        idx = _find_sheet(sheets, self.map.sheet)
        if idx is None:
            names = "、".join(n for n, _ in sheets) or "无"
            raise SheetError(f"模板映射 {self.map_path.name} 键 sheet: 模板 {path.name} 中没有工作表「{self.map.sheet}」（现有：{names}）")
        self._sheet_name = sheets[idx][0]
        sheet_part = sheets[idx][1]
        comp = _Compiler(path, self.map.model_copy(update={"sheet": self._sheet_name}), self.map_path.name)
        self._comp = comp
        sheet_xml = _xml(parts, sheet_part, label)
        sst = _shared_strings(parts, wb_part, label)
        styles_xml = ""
        for rel in _rels(_xml(parts, _rels_name(wb_part), label)):
            if rel.get("Type", "").endswith("/styles"):
                styles_xml = parts.get(_resolve(wb_part, rel.get("Target", "")), b"").decode("utf-8", "replace")
        metrics = _Metrics(styles_xml, sheet_xml)
        sheet_items, specs = comp.compile_sheet(sheet_xml, sst, _col_styles(sheet_xml), metrics)
        self._specs = specs
        self._table_order = [s.name for s in specs]

        # parts to drop: calcChain (Excel rebuilds it), macros (output is .xlsx)
        wb_rels_name = _rels_name(wb_part)
        drop: set[str] = set()
        wb_rels_xml = _xml(parts, wb_rels_name, label)
        for rel in _rels(wb_rels_xml):
            typ = rel.get("Type", "")
            if typ.endswith("/calcChain") or typ.endswith("/vbaProject"):
                drop.add(_resolve(wb_part, rel.get("Target", "")))
        for info in zf.infolist():
            low = info.filename.lower()
            if low.startswith("xl/vbaproject") or low.startswith("xl/_rels/vbaproject") or low == "xl/calcchain.xml":
                drop.add(info.filename)
        changed: dict[str, bytes] = {}
        new_rels = _REL_RE.sub(
            lambda m: "" if re.search(r'Type="[^"]*/(?:calcChain|vbaProject)"', m.group(0)) else m.group(0), wb_rels_xml
        )
        if new_rels != wb_rels_xml:
            changed[wb_rels_name] = new_rels.encode("utf-8")
        ct_xml = _xml(parts, "[Content_Types].xml", label)
        new_ct = re.sub(r"<Override\b[^>]*?/?>", lambda m: "" if _override_part(m.group(0)) in drop else m.group(0), ct_xml)
        new_ct = re.sub(r'<Default\b[^>]*ContentType="application/vnd\.ms-office\.vbaProject"[^>]*/>', "", new_ct)
        for other in _OTHER_MAIN_CTS:
            new_ct = new_ct.replace(other, _MAIN_CT)
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
            if _ANY_F_RE.search(other_xml) is None:
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
        wb_items = comp.compile_workbook(_xml(parts, wb_part, label), idx)
        if len(wb_items) == 1 and wb_items[0].__class__ is str:
            text = wb_items[0]
            if text != _xml(parts, wb_part, label):
                changed[wb_part] = text.encode("utf-8")
        else:
            dyn_items[wb_part] = wb_items
        sheet_rels = _rels_name(sheet_part)
        if sheet_rels in parts:
            for rel in _rels(_xml(parts, sheet_rels, label)):
                typ = rel.get("Type", "").rsplit("/", 1)[-1]
                target = _resolve(sheet_part, rel.get("Target", "")) if rel.get("TargetMode") != "External" else ""
                if typ == "table" and target in parts:
                    tm = re.search(r'<table\b[^>]*\bref="([^"]*)"', parts[target].decode("utf-8"))
                    area = _parse_area(tm.group(1).replace("$", "")) if tm else None
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
        self._sheet_part = sheet_part

        # zip members in template order; untouched ones keep their compressed bytes
        members: list[_Member] = []
        for info in zf.infolist():
            name = info.filename
            if name in drop or name.endswith("/"):
                continue
            name_b = name.encode("utf-8")
            flag = 0x800 if not name.isascii() else 0
            t, d = _dos_time(info.date_time)
            m = _Member(name, name_b, flag, t, d)
            if name == sheet_part:
                m.dynamic = "sheet"
            elif name in dyn_items:
                m.dynamic = name
            else:
                if name in changed:
                    body = changed[name]
                    m.crc, m.usize, m.data = zlib.crc32(body), len(body), _deflate(body, 6)
                elif info.compress_type in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
                    m.method = info.compress_type
                    m.crc, m.usize, m.data = info.CRC, info.file_size, _raw_member(data, info)
                else:
                    body = zf.read(info)
                    m.crc, m.usize, m.data = zlib.crc32(body), len(body), _deflate(body, 6)
                m.csize = len(m.data)
            members.append(m)
        self._members = members
        # static members: local header + payload, and the central header without its offset
        self._static_local: dict[str, bytes] = {}
        for m in members:
            if not m.dynamic:
                self._static_local[m.name] = self._local(m, m.crc, m.csize, m.usize, m.method) + m.data

    @staticmethod
    def _local(m: _Member, crc: int, csize: int, usize: int, method: int) -> bytes:
        return _LOCAL.pack(0x04034B50, 20, m.flag, method, m.dostime, m.dosdate, crc, csize, usize, len(m.name_b), 0) + m.name_b

    @staticmethod
    def _central(m: _Member, crc: int, csize: int, usize: int, method: int, offset: int) -> bytes:
        return (
            _CENTRAL.pack(0x02014B50, 20, 20, m.flag, method, m.dostime, m.dosdate, crc, csize, usize,
                          len(m.name_b), 0, 0, 0, 0, 0)
            + _U32.pack(offset)
            + m.name_b
        )

    # ---- render --------------------------------------------------------------------

    def _layout(self, counts: tuple[int, ...]) -> _Layout:
        sh = _Shift(sorted(zip((s.row for s in self._specs), counts)))
        segs: list[str] = []
        holes: list = []
        buf: list[str] = []
        for p in self._sheet_items:
            if p.__class__ is str:
                buf.append(p)
            elif isinstance(p, _Hole):
                segs.append("".join(buf))
                buf = []
                holes.append(p.bind(sh))
            else:
                s = p(sh)
                buf.append("" if s is None else s)
        segs.append("".join(buf))
        dynamic = {}
        for name, items in self._dyn_items.items():
            body = _evaluate(items, sh).encode("utf-8")
            comp = _deflate(body, 6)
            dynamic[name] = (zlib.crc32(body), len(comp), len(body), comp)
        layout = _Layout(segs, holes, dynamic)
        with self._lock:
            if len(self._layouts) >= _LAYOUT_CACHE_SIZE:
                self._layouts.clear()
            self._layouts[counts] = layout
        return layout

    def render(self, data: SheetData) -> bytes:
        """The filled workbook as .xlsx bytes (deterministic for the same data)."""
        tables = data.tables
        counts = tuple(len(tables.get(name) or ()) for name in self._table_order)
        layout = self._layouts.get(counts) or self._layout(counts)
        runs = {}
        for spec in self._specs:
            if spec.merge:
                rows = tables.get(spec.name)
                if rows:
                    runs[spec.name] = _runs(rows, spec.merge)
        segs = layout.segs
        parts = [segs[0]]
        k = 1
        for hole in layout.holes:
            parts.append(hole.render(data, runs))
            parts.append(segs[k])
            k += 1
        sheet = "".join(parts).encode("utf-8")
        return self._zip(sheet, layout)

    def _zip(self, sheet: bytes, layout: _Layout) -> bytes:
        out: list[bytes] = []
        central: list[bytes] = []
        offset = 0
        for m in self._members:
            if not m.dynamic:
                local = self._static_local[m.name]
                central.append(self._central(m, m.crc, m.csize, m.usize, m.method, offset))
            else:
                if m.dynamic == "sheet":
                    comp = _deflate(sheet)
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

    def read(self, xlsx_path: str | os.PathLike[str]) -> ReadSheet:
        """Read a sheet laid out like this template (values only; macros are never run)."""
        return _read(self, Path(xlsx_path))


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


# --------------------------------------------------------------------------- reading


_SCAN_CELL_RE = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_HAS_F_RE = re.compile(r"<(?:\w+:)?f\b")
_SCAN_V_RE = re.compile(r"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_ANY_F_RE = re.compile(r"<(?:\w+:)?f[\s/>]")


def _scan_sheet(xml: str) -> tuple[set[tuple[int, int]], dict[tuple[int, int], str]]:
    """Formula cells without a cached value, and error cells (#DIV/0!): calamine shows both as ''."""
    no_cache: set[tuple[int, int]] = set()
    errors: dict[tuple[int, int], str] = {}
    if _ANY_F_RE.search(xml) is None and 't="e"' not in xml:
        return no_cache, errors
    for m in _SCAN_CELL_RE.finditer(xml):
        inner = m.group(2)
        if not inner:
            continue
        attrs = m.group(1)
        rm = re.search(r'\br="([A-Za-z]+[0-9]+)"', attrs)
        if not rm:
            continue
        has_f = _HAS_F_RE.search(inner) is not None
        is_err = 't="e"' in attrs
        if not has_f and not is_err:
            continue
        c, r = _split_addr(rm.group(1))
        vm = _SCAN_V_RE.search(inner)
        if is_err and vm:
            errors[(r, c)] = vm.group(1)
        elif has_f and (vm is None or vm.group(1) == ""):
            no_cache.add((r, c))
    return no_cache, errors


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


def _open_workbook(path: Path) -> tuple[bytes, dict[str, bytes], list[tuple[str, str]]]:
    """A workbook's bytes, XML parts and sheets, after every safety check (size, zip bomb,
    old .xls, encryption)."""
    from perfscore.errors import InputError
    from perfscore.projectfile import read_bytes  # regular files only, bounded: a FIFO or /dev/zero never hangs

    try:
        data = read_bytes(path, MAX_UNCOMPRESSED_BYTES)
    except InputError as exc:
        raise SheetError(exc.problems) from None
    if len(data) > MAX_UNCOMPRESSED_BYTES:
        raise SheetError(f"文件 {path}: 大小超过上限 {MAX_UNCOMPRESSED_BYTES // 1048576} MB，拒绝读取")
    _, parts = _open_zip(path, data)
    return data, parts, _sheets(parts, f"文件 {path}")[1]


def sheet_names(path: str | os.PathLike[str]) -> list[str]:
    """The worksheet names of a workbook, checked as ``read`` checks it."""
    return [name for name, _ in _open_workbook(Path(path))[2]]


def _read(tpl: CompiledTemplate, path: Path) -> ReadSheet:
    from python_calamine import CalamineWorkbook

    data, parts, sheets = _open_workbook(path)
    label = f"文件 {path}"
    idx = _find_sheet(sheets, tpl.map.sheet)
    if idx is None:
        names = "、".join(n for n, _ in sheets) or "无"
        raise SheetError(f"{label}: 没有工作表「{tpl.map.sheet}」（现有：{names}）")
    sheet_name, sheet_part = sheets[idx]
    where = f"{label} 工作表「{sheet_name}」"
    no_cache, errors = _scan_sheet(_xml(parts, sheet_part, label))
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            sheet = wb.get_sheet_by_name(sheet_name)
            grid = sheet.to_python(skip_empty_area=False)
            merged = sheet.merged_cell_ranges or []
        finally:
            wb.close()
    except SheetError:
        raise
    except Exception as exc:  # calamine raises its own error types
        name = type(exc).__name__
        if "Password" in name:
            raise SheetError(f"{label}: 工作簿有密码保护，请去掉密码后另存为 .xlsx") from None
        raise SheetError(f"{label}: 无法读取（{exc}）") from None

    top_left: dict[tuple[int, int], tuple[int, int]] = {}
    for (r0, c0), (r1, c1) in merged:
        if (r1 - r0 + 1) * (c1 - c0 + 1) > 100_000:
            continue
        for r in range(r0 + 1, r1 + 2):
            for c in range(c0 + 1, c1 + 2):
                top_left[(r, c)] = (r0 + 1, c0 + 1)

    def raw(r: int, c: int) -> object:
        if 0 < r <= len(grid):
            row = grid[r - 1]
            if 0 < c <= len(row):
                return row[c - 1]
        return None

    nrows = len(grid)

    def value(r: int, c: int) -> CellValue:
        src = top_left.get((r, c), (r, c)) if top_left else (r, c)
        ref = col_letters(c) + str(r)
        sr, sc = src
        if 0 < sr <= nrows:
            row = grid[sr - 1]
            v = cell_value(row[sc - 1]) if 0 < sc <= len(row) else None
        else:
            v = None
        if errors or no_cache:
            return checked(src, ref, v)
        return CellValue(v, ref)

    def checked(src: tuple[int, int], ref: str, v: str | Decimal | None) -> CellValue:
        if src in errors:
            raise SheetError(f"{where}单元格 {col_letters(src[1])}{src[0]}: 是错误值 {errors[src]}，无法读取")
        if v is None and src in no_cache:
            raise SheetError(f"{where}单元格 {col_letters(src[1])}{src[0]}: 公式没有缓存值，无法读取（请在 Excel/WPS 中打开并保存一次）")
        return CellValue(v, ref)

    def label_at(r: int, c: int) -> str:
        v = raw(*top_left.get((r, c), (r, c)))
        return _norm_label(v) if isinstance(v, str) else ""

    last_row = len(grid)
    # table extents: each table's footer (its first label row below) fixes its row count
    counts: dict[str, int] = {}
    offset = 0
    for spec in tpl._specs:
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
                raise SheetError(
                    f"{where}: 找不到表格 {spec.name} 之后的「{first[2]}」行（{col_letters(first[1])} 列），"
                    "工作表与模板不一致"
                )
            n = found - gap + 1 - start
        else:
            n = max(0, last_row - start + 1)
        counts[spec.name] = n
        offset += n - 1
    sh = _Shift(sorted((s.row, counts[s.name]) for s in tpl._specs))

    fields: dict[str, CellValue] = {}
    for name, addrs in tpl.map.fields.items():
        c, r = _split_addr(addrs[0])
        fields[name] = value(sh.start(r), c)
    tables: dict[str, list[dict[str, CellValue]]] = {}
    for spec in tpl._specs:
        start = sh.start(spec.row)
        cols = [(key, col_index(letters)) for key, letters in spec.columns.items()]
        rows_out = []
        for i in range(counts[spec.name]):
            r = start + i
            row = {key: value(r, c) for key, c in cols}
            if any(cv.value is not None for cv in row.values()):
                rows_out.append(row)
        tables[spec.name] = rows_out
    return ReadSheet(path=path, fields=fields, tables=tables)
