"""Worksheet XML parsing: rows and cells as text pieces, shared formulas made explicit,
a cell's displayed text, label normalisation, and the scan for formula cells without a cached
value or with an error value.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from dataclasses import dataclass

from ..errors import SheetError
from .cells import parse_attrs, unxesc, xml_escape
from .refs import col_letters, split_addr

# --------------------------------------------------------------------------- sheet parsing


# An element's content never runs past the start of the next element of its kind (possessive,
# no backtracking): each pattern is linear in the sheet's size, whatever tag is left unclosed
# (a lazy ``(.*?)</c>`` rescans to the end of the sheet from every unclosed ``<c>``).
_ROW_RE = re.compile(r"<row\b([^<>]*?)(?:/>|>((?:[^<]++|<(?!/?row\b))*+)</row>)")
_CELL_RE = re.compile(r"<c\b([^<>]*?)(?:/>|>((?:[^<]++|<(?!/?c\b))*+)</c>)")
_F_RE = re.compile(r"<f\b([^<>]*?)(?:/>|>((?:[^<]++|<(?!/?f\b))*+)</f>)")
_V_RE = re.compile(r"<v>([^<]*+)</v>")
_IS_T_RE = re.compile(r"<t\b[^<>]*>([^<]*+)</t>")
_RPH_RE = re.compile(r"<rPh\b(?:[^<]++|<(?!/?rPh\b))*+</rPh>")


@dataclass
class Cell:
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
class Row:
    r: int
    attrs: list[tuple[str, str]]      # without r and spans
    cells: list[Cell]
    extra: str = ""                   # non-cell content inside the row, kept verbatim


def parse_rows(body: str, label: str) -> list[Row]:
    rows: list[Row] = []
    last_r = 0
    for m in _ROW_RE.finditer(body):
        attrs = parse_attrs(m.group(1))
        r = next((int(v) for k, v in attrs if k == "r"), last_r + 1)
        last_r = r
        cells: list[Cell] = []
        extra = ""
        inner = m.group(2) or ""
        last_c = 0
        end = 0
        for cm in _CELL_RE.finditer(inner):
            end = cm.end()
            cattrs = parse_attrs(cm.group(1))
            ref = next((v for k, v in cattrs if k == "r"), None)
            col = split_addr(ref)[0] if ref else last_c + 1
            last_c = col
            cell = Cell(col, [(k, v) for k, v in cattrs if k != "r"], cm.group(2))
            if cell.inner is not None:
                fm = _F_RE.search(cell.inner)
                if fm:
                    cell.f_attrs = parse_attrs(fm.group(1))
                    cell.f_text = fm.group(2) or ""
            cells.append(cell)
        extra = inner[end:].strip()
        rows.append(Row(r, [(k, v) for k, v in attrs if k not in ("r", "spans")], cells, extra))
    return rows


def shared_formula_at(origin: str, text: str, here: str) -> str | None:
    """A shared formula's text (``text`` as written at its master cell ``origin``) as it reads at
    cell ``here``: relative references moved as Excel moves them (None if it cannot be)."""
    from openpyxl.formula.translate import Translator  # only a sheet with shared formulas pays for openpyxl

    try:
        return Translator("=" + text, origin=origin).translate_formula(here)[1:]
    except Exception:  # noqa: BLE001 - openpyxl's tokenizer: any failure means "cannot"
        return None


def unshare_formulas(rows: list[Row], label: str) -> None:
    """Turn shared formulas into plain ones (cloning a shared master corrupts a file)."""
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
                text = shared_formula_at(*masters[si], here)
                if text is None:
                    raise SheetError(f"{label}单元格 {here}: 无法展开共享公式")
                c.f_text = xml_escape(text)
            c.f_attrs = [(k, v) for k, v in c.f_attrs if k not in ("t", "ref", "si")]


def cell_text(c: Cell, sst: list[str]) -> str | None:
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
        return unxesc(html.unescape("".join(_IS_T_RE.findall(_RPH_RE.sub("", c.inner)))))
    return None


def norm_label(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))



_SCAN_CELL_RE = re.compile(r"<(?:\w+:)?c\b([^<>]*?)(?:/>|>((?:[^<]++|<(?!/?(?:\w+:)?c\b))*+)</(?:\w+:)?c>)")
_HAS_F_RE = re.compile(r"<(?:\w+:)?f\b")
_SCAN_V_RE = re.compile(r"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
ANY_F_RE = re.compile(r"<(?:\w+:)?f[\s/>]")


@dataclass
class Scan:
    """What one pass over a worksheet's cells finds that python-calamine does not show: formula
    cells without a cached value and error cells (both read as ''), every formula's text, and
    the style of each cell whose style is one of those asked for (``styled``: (row, column) →
    its ``s=``)."""

    no_cache: set[tuple[int, int]]
    errors: dict[tuple[int, int], str]
    formulas: dict[tuple[int, int], str]
    styled: dict[tuple[int, int], str]


def scan_cells(xml: str, styles: set[str] = frozenset()) -> Scan:
    """One pass over the cells of a worksheet (``Scan``). A text result cached as an empty
    string (``t="str"`` with ``<v></v>``) is a cached value, as an inline string is. A shared
    formula (``<f t="shared" si=…/>``, as Excel writes a filled-down column) reads as the
    formula it stands for at its cell."""
    scan = Scan(set(), {}, {}, {})
    masters: dict[str, list[tuple[int, int]]] = {}  # shared formulas by si: the cell that holds the text
    followers: dict[str, list[tuple[int, int]]] = {}  # and the cells that only carry <f t="shared" si=…/>
    if ANY_F_RE.search(xml) is None and 't="e"' not in xml and not styles:
        return scan
    # the regex splits the cells in C; each cell's own look is a few substring tests, and a
    # regex only for its style (when asked for) and the cells that hold a formula or an error
    for attrs, inner in _SCAN_CELL_RE.findall(xml):
        found = _SCAN_STYLE_RE.search(attrs) if styles and 's="' in attrs else None
        style = found.group(1) if found is not None else None
        styled = style is not None and style in styles
        if not inner and not styled:
            continue
        has_f = ("f" in inner) and _HAS_F_RE.search(inner) is not None
        is_err = 't="e"' in attrs
        if not has_f and not is_err and not styled:
            continue
        rm = _SCAN_REF_RE.search(attrs)
        if not rm:
            continue
        c, r = split_addr(rm.group(1))
        if styled:
            scan.styled[(r, c)] = style
        if not has_f and not is_err:
            continue
        vm = _SCAN_V_RE.search(inner) if inner else None
        if is_err and vm:
            scan.errors[(r, c)] = vm.group(1)
        elif has_f and (vm is None or (vm.group(1) == "" and 't="str"' not in attrs)) and 't="inlineStr"' not in attrs:
            scan.no_cache.add((r, c))
        if has_f:
            fm = _SCAN_F_RE.search(inner)
            scan.formulas[(r, c)] = _formula_text(fm.group(2)) if fm else ""
            si = _SHARED_SI_RE.search(fm.group(1)) if fm and _SHARED_T_RE.search(fm.group(1)) else None
            if si is not None:  # Excel's and LibreOffice's filled-down formulas
                (masters if scan.formulas[(r, c)] else followers).setdefault(si.group(1), []).append((r, c))
    for si, cells in followers.items():  # each cell as it reads: the master's text moved to it
        if si in masters:
            mr, mc = masters[si][0]
            for r, c in cells:
                scan.formulas[(r, c)] = shared_formula_at(col_letters(mc) + str(mr), scan.formulas[(mr, mc)],
                                                          col_letters(c) + str(r)) or ""
    return scan


_SCAN_STYLE_RE = re.compile(r'\bs="([0-9]+)"')


def _formula_text(escaped: str | None) -> str:
    """A formula's text as written in the XML → as typed; the sheets of one layout share
    their formulas, so each (of at most 2,048 characters: the cache stays small) is
    unescaped once."""
    if not escaped:
        return ""
    return _unescaped(escaped) if len(escaped) <= 2048 else unxesc(html.unescape(escaped))


@functools.lru_cache(maxsize=8192)
def _unescaped(escaped: str) -> str:
    return unxesc(html.unescape(escaped))


_SCAN_REF_RE = re.compile(r'\br="([A-Za-z]+[0-9]+)"')
_SCAN_F_RE = re.compile(r"<(?:\w+:)?f\b([^<>]*?)(?:/>|>((?:[^<]++|<(?!/?(?:\w+:)?f\b))*+)</(?:\w+:)?f>)")
_SHARED_T_RE = re.compile(r'\bt="shared"')
_SHARED_SI_RE = re.compile(r'\bsi="([0-9]+)"')


_HIDDEN_ROW_RE = re.compile(r"<(?:\w+:)?row\b([^<>]*)>")  # [^<>]: never rescans past the next tag


def hidden_rows(xml: str) -> frozenset[int]:
    """The 1-based rows a worksheet hides (``<row r="7" hidden="1">``)."""
    out = set()
    for m in _HIDDEN_ROW_RE.finditer(xml):
        head = m.group(1)
        if "hidden=" in head:
            a = dict(parse_attrs(head))
            if a.get("hidden") in ("1", "true") and a.get("r", "").isdigit():
                out.add(int(a["r"]))
    return frozenset(out)
