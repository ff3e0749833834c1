"""The kind a number format gives a number (docs/excel.md, "Number formats when reading"):
Excel stores a typed ``95%`` as 0.95 with a percent format and a date as a serial number with
a date format; a reader that keeps only values loses what the person typed."""

from __future__ import annotations

import re

NUMBER, PERCENT, DATE = "number", "percent", "date"

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


