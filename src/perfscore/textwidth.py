"""How wide a text is, one home for the three measures perfscore uses.

They differ on purpose, each for the place it measures, and each is pinned by the
golden output digests (merging them would change output bytes):

* ``display_width``: a terminal cell per character, two for East Asian Wide/Fullwidth
  (the ambiguous ≥ “” stay narrow, as most terminals draw them).
* ``cell_width``: an Excel column in summary.xlsx: every character from U+1100 on counts 2
  (CJK fonts draw the ambiguous ones wide); a regex, since it runs on every cell.
* ``wrap_width``: the row-height estimate of a filled sheet: each UTF-8 byte past the
  first counts half (CJK 2, Latin 1, accented letters 1.5).
"""

from __future__ import annotations

import re
import unicodedata

_NARROW = re.compile("[\x00-\u10ff]+")


def display_width(text: str) -> int:
    """Terminal columns of ``text``."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cell_width(text: str) -> int:
    """Excel column widths (characters) ``text`` needs."""
    if text.isascii():
        return len(text)
    return len(text) + len(_NARROW.sub("", text))


def wrap_width(text: str) -> float:  # float-ok: geometry (character widths), not money
    """Half-width characters of one line of ``text``, for wrapping estimates."""
    return len(text) + (len(text.encode("utf-8")) - len(text)) / 2
