"""Cell addresses: column letters ↔ numbers, "J14" → (column, row), and the sheet limits.
"""

from __future__ import annotations

import functools
import re



MAX_ROW = 1_048_576
MAX_COL = 16_384

# --------------------------------------------------------------------------- cell addresses

CELL_ADDR_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
COL_ADDR_RE = re.compile(r"[A-Za-z]{1,3}")


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


def split_addr(addr: str) -> tuple[int, int]:
    m = CELL_ADDR_RE.fullmatch(addr)
    if not m:
        raise ValueError(addr)
    return col_index(m.group(1)), int(m.group(2))
