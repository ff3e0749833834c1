"""Cell kinds, and the kind a number format gives a number (docs/excel.md, "Number
formats when reading"; the kinds of number formats are ``xlsx.numfmt``'s): shared by the .xlsx/.ods grid reader and the .xls BIFF reader."""

from __future__ import annotations

from ..xlsx.numfmt import DATE, NUMBER, PERCENT, format_kind  # noqa: F401 (re-exported)

TEXT, ERROR, NOCACHE = "text", "error", "nocache"
OVERFLOW = "overflow"  # a PDF cell whose text runs over its lines: whose text it is, is unknown
