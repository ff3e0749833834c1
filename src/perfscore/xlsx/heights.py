"""Row heights for wrapped text: LibreOffice and WPS do not auto-size .xlsx rows on load,
so a cloned row's height is estimated from the fonts, the column widths and the text.
"""

from __future__ import annotations

import re

from ..textwidth import wrap_width
from .cells import parse_attrs
from .refs import MAX_COL

class Metrics:
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
            a = dict(parse_attrs(xm.group(1)))
            fid = int(a.get("fontId", "0") or 0)
            size = sizes[fid] if 0 <= fid < len(sizes) else self.default_size
            wrap = re.search(r'<alignment\b[^>]*\bwrapText="(1|true)"', xm.group(2) or "") is not None
            self.xfs.append((size, wrap))
        fmt = re.search(r"<sheetFormatPr\b([^>]*)/?>", sheet_xml)
        fa = dict(parse_attrs(fmt.group(1))) if fmt else {}
        self.default_row = float(fa.get("defaultRowHeight", "15") or 15)  # float-ok: geometry (points, character widths), not money
        self.default_col = float(fa.get("defaultColWidth") or (float(fa.get("baseColWidth", "8") or 8) + 0.71))  # float-ok: geometry (points, character widths), not money
        self.widths: dict[int, float] = {}
        for cm in re.finditer(r"<col\b([^>]*?)/?>", sheet_xml):
            a = dict(parse_attrs(cm.group(1)))
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


def text_lines(s: str, cap: float) -> int:
    n = 0
    for seg in s.split("\n"):
        w = wrap_width(seg)
        n += max(1, -int(-(w * 1.05) // cap))
    return n


def row_height(need_lines: int, size: float) -> float:
    return need_lines * size * 1.3 + 4


def height_text(h: float) -> str:
    return f"{h:.2f}".rstrip("0").rstrip(".")
