"""Formulas in a workbook, whatever they compute: where each field and table cell of a map
lands for a tuple of table row counts (``Places``), a constant as formula text
(``formula_number``) and formulas compared as Excel and LibreOffice write them back
(``normalize_formula``). The formulas of the scoring rules are ``sheets/formulas.py``'s.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from .maps import SheetMap
from .refs import col_letters, split_addr
from .shifting import Shift

# hidden helper columns of every indicator row: formulas that read the printed cells the way
# perfscore does (operator class, target number, actual number), so they never drift from them
HELPER_COLUMNS = ("_operator", "_target", "_actual")
# a layout without a 分值 column: hidden helpers with each filled row's 一级指标 and its share of
# the policy's split (docs/scoring.md §6), so a blank form scores the rows the unit types
SPLIT_COLUMNS = ("_level", "_weight")
# the cells perfscore writes formulas into: printed results, never inputs of the scoring
OUTPUT_FIELDS = frozenset({"execution_rate", "execution_score", "indicator_score", "total", "grade"})
OUTPUT_COLUMNS = frozenset({"completion", "score", "rate", *HELPER_COLUMNS, *SPLIT_COLUMNS})


def formula_number(d: Decimal | int) -> str:
    """A constant as formula text: plain decimal notation, no exponent, no trailing zeros."""
    return format(Decimal(d).normalize(), "f")


class Places:
    """Where each field and table cell of a map lands for one tuple of table row counts."""

    def __init__(self, sheet_map: SheetMap, counts: dict[str, int], helpers: dict[str, dict[str, str]] | None = None):
        self.map = sheet_map
        self.counts = counts
        order = sorted(sheet_map.tables.items(), key=lambda kv: kv[1].row)
        self.sh = Shift([(t.row, counts.get(name, 0)) for name, t in order])
        self.helpers = helpers or {}

    def field(self, name: str) -> str | None:
        addrs = self.map.fields.get(name)
        if not addrs:
            return None
        c, r = split_addr(addrs[0])
        return col_letters(c) + str(self.sh.start(r))

    def fields(self, name: str) -> list[str]:
        out = []
        for addr in self.map.fields.get(name, ()):
            c, r = split_addr(addr)
            out.append(col_letters(c) + str(self.sh.start(r)))
        return out

    def col(self, table: str, key: str) -> str | None:
        t = self.map.tables.get(table)
        if t is None:
            return None
        return t.columns.get(key) or self.helpers.get(table, {}).get(key)

    def row(self, table: str, i: int) -> int:
        return self.sh.start(self.map.tables[table].row) + i

    def column_range(self, table: str, key: str) -> str | None:
        col, n = self.col(table, key), self.counts.get(table, 0)
        if col is None or n == 0:
            return None
        first = self.row(table, 0)
        return f"{col}{first}:{col}{first + n - 1}"


# --------------------------------------------------------------------------- comparing

_TOKEN_RE = re.compile(r'"(?:[^"]|"")*"|\d+(?:\.\d*)?(?:[Ee][+-]?\d+)?|\.\d+(?:[Ee][+-]?\d+)?|\s+|.', re.S)


@functools.lru_cache(maxsize=4096)
def normalize_formula(text: str) -> str:
    """A formula as a comparable string: no leading '=', no spaces, no '$' or ``_xlfn.``,
    names in upper case, numbers as plain decimals (LibreOffice writes 1E-9 as
    0.000000001); text inside string literals is left alone. Cached: the formulas of one
    layout are the same in every sheet filled in it, so each is normalised once."""
    text = text.strip()
    if text.startswith("="):
        text = text[1:]
    out = []
    for tok in _TOKEN_RE.findall(text):
        if tok.startswith('"'):
            out.append(tok)
        elif tok[0].isdigit() or (tok[0] == "." and len(tok) > 1):
            out.append(formula_number(Decimal(tok)))
        elif tok.isspace() or tok == "$":
            continue
        else:
            out.append(tok.upper())
    return "".join(out).replace("_XLFN.", "")
