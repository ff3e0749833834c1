"""Cell XML text: escaping, inline strings (user text is always data, never a formula),
numbers, one ``<c>`` element, and the ``_xHHHH_`` escapes Excel uses for control characters.

One carriage-return policy for every writer: CR LF and a lone CR become LF before escaping.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Callable, NamedTuple

MAX_CELL_TEXT = 32_767          # Excel's limit for one cell

# --------------------------------------------------------------------------- XML text


_ATTR_RE = re.compile(r"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TEXT_SPECIAL_RE = re.compile(
    "[&<>\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_"
)
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XESC_RE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def parse_attrs(text: str) -> list[tuple[str, str]]:
    out = []
    for m in _ATTR_RE.finditer(text):
        if m.group(2) is not None:
            out.append((m.group(1), m.group(2)))
        else:
            out.append((m.group(1), m.group(3).replace('"', "&quot;")))
    return out


def attrs_text(attrs: list[tuple[str, str]]) -> str:
    return "".join(f' {k}="{v}"' for k, v in attrs)


def xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_TEXT_CACHE: dict[str, str] = {}


def escape_text(text: str) -> str:
    """Cell text as XML character data, for every writer: illegal control characters
    dropped, CR LF and a lone CR made LF, a literal ``_xHHHH_`` kept literal (Excel reads it
    as an escape), ``& < >`` escaped. Quotes are left alone (text, not an attribute)."""
    if not _TEXT_SPECIAL_RE.search(text):
        return text
    esc = _ILLEGAL_XML_RE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    esc = _XESC_RE.sub(r"_x005F_\1", esc)
    return xml_escape(esc)


def inline_text(s: str) -> str:
    """Text as ``<is><t>…</t></is>``: escaped, control characters removed, ``_xHHHH_`` kept."""
    if s.isprintable() and "&" not in s and "<" not in s and ">" not in s and "_x" not in s:
        esc = s  # the common case: nothing to escape (isprintable rules out control characters)
    else:
        esc = escape_text(s)
    if esc and (esc[0] in " \t\n" or esc[-1] in " \t\n"):
        return '<is><t xml:space="preserve">' + esc + "</t></is>"
    return "<is><t>" + esc + "</t></is>"


def text_cell_tail(s: str) -> str:
    """`` t="inlineStr"><is><t>…</t></is></c>`` for s, cached (table texts repeat a lot)."""
    hit = _TEXT_CACHE.get(s)
    if hit is not None:
        return hit
    if len(s) > MAX_CELL_TEXT:
        raise ValueError(f"文本长度 {len(s)} 超过 Excel 单元格上限 {MAX_CELL_TEXT}")
    out = ' t="inlineStr">' + inline_text(s) + "</c>"
    if len(s) <= 200:
        if len(_TEXT_CACHE) >= 8192:
            _TEXT_CACHE.clear()
        _TEXT_CACHE[s] = out
    return out


def number_text(v: object, where: Callable[[], str]) -> str:
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
        return number_text(Decimal(v), where)  # type: ignore[arg-type]
    raise TypeError(f"{where()}: 不支持的值类型 {t.__name__}（只允许 str、Decimal、int 或 None）")


class Formula(NamedTuple):
    """A formula cell: ``text`` without the leading ``=`` (Excel syntax, as in ``<f>``) and
    the value perfscore computed for it, written as the cached ``<v>`` so that readers
    without a calculation engine see it (a ``str`` value is a text result, ``t="str"``)."""

    text: str
    cached: Decimal | int | str


class Percent(NamedTuple):
    """A percent as Excel stores a typed one: the fraction (0.95 for 95%) in the cell's style
    with a percent number format (``whole``: 0%, else 0.00%), so that typing over it keeps
    meaning a percent (docs/scoring.md §9)."""

    fraction: Decimal
    whole: bool


_FORMULA_CACHE: dict[str, str] = {}


def formula_tail(f: Formula, where: Callable[[], str]) -> str:
    """`` t="str"><f>…</f><v>…</v></c>`` (or without t= for a number)."""
    v = f.cached
    body = _FORMULA_CACHE.get(f.text)
    if body is None:
        body = "<f>" + xml_escape(f.text) + "</f>"
        if len(_FORMULA_CACHE) >= 4096:
            _FORMULA_CACHE.clear()
        _FORMULA_CACHE[f.text] = body
    if v.__class__ is str:
        return ' t="str">' + body + "<v>" + escape_text(v) + "</v></c>"  # type: ignore[arg-type]
    return ">" + body + "<v>" + number_text(v, where) + "</v></c>"


def cell_xml(open_: str, v: object, where: Callable[[], str]) -> str:
    """``open_`` is ``<c r="J14" s="7"`` (no t=)."""
    if v is None:
        return open_ + "/>"
    if v.__class__ is Formula:
        return open_ + formula_tail(v, where)  # type: ignore[arg-type]
    if v.__class__ is str:
        if len(v) > MAX_CELL_TEXT:  # type: ignore[arg-type]
            raise ValueError(f"{where()}: 文本长度 {len(v)} 超过 Excel 单元格上限 {MAX_CELL_TEXT}")  # type: ignore[arg-type]
        return open_ + text_cell_tail(v)  # type: ignore[arg-type]
    if isinstance(v, str):
        return cell_xml(open_, str.__str__(v), where)
    return open_ + "><v>" + number_text(v, where) + "</v></c>"


def unxesc(s: str) -> str:
    if "_x" not in s:
        return s
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s)
