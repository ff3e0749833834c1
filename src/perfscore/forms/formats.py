"""Cell kinds, and the kind a number format gives a number (EXCEL_NOTES.md, "Number
formats when reading"): shared by the .xlsx/.ods grid reader and the .xls BIFF reader."""

from __future__ import annotations

import re

TEXT, NUMBER, PERCENT, DATE, ERROR, NOCACHE = "text", "number", "percent", "date", "error", "nocache"
OVERFLOW = "overflow"  # a PDF cell whose text runs over its lines: whose text it is, is unknown

_BUILTIN_PERCENT = {9, 10}
_BUILTIN_DATE = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]')


def format_kind(code: str | None, fmt_id: int | None = None) -> str:
    """``percent``, ``date`` or ``number`` for a number format (built-in id or code)."""
    if code is None:
        if fmt_id in _BUILTIN_PERCENT:
            return PERCENT
        if fmt_id in _BUILTIN_DATE:
            return DATE
        return NUMBER
    bare = _FORMAT_NOISE.sub("", code.split(";")[0]).lower()
    if "%" in bare:
        return PERCENT
    if bare != "general" and any(ch in bare for ch in "ymdhs"):
        return DATE
    return NUMBER


