"""The SVG charts of report.html: grades as columns, scores as one bar per sheet or bands.
"""

from __future__ import annotations

from decimal import Decimal

from ..output import fit
from ..scoring import SheetScore
from .digests import Results
from ..terms import GRADES, HUNDRED, ZERO
from ..values import format_fixed, format_number, quantize


CHART_PER_SHEET_LIMIT = 30  # up to this many sheets, the score chart has one bar per sheet
SCORE_BANDS = (("<60", ZERO, Decimal(60)), ("60–70", Decimal(60), Decimal(70)), ("70–80", Decimal(70), Decimal(80)),
               ("80–90", Decimal(80), Decimal(90)), ("90–100", Decimal(90), Decimal(101)))
GRADE_COLORS = {"优": "#2e7d32", "良": "#1565c0", "中": "#ef6c00", "差": "#c62828"}


def _n(value: Decimal | int) -> str:
    """An SVG coordinate, 1 decimal."""
    return format_number(quantize(Decimal(value), 1))


def _column_chart(columns: list[tuple[str, int, str]], width: int) -> dict:
    """Vertical bars (label, count, colour) with the count above each bar."""
    height, left, top, bottom = 250, 48, 28, 40
    plot_h = height - top - bottom
    peak = max(max((count for _, count, _ in columns), default=0), 1)
    slot = Decimal(width - left - 16) / len(columns)
    bars = []
    for n, (label, count, color) in enumerate(columns):
        h = Decimal(plot_h) * count / peak
        x = left + slot * n + slot / 6
        bars.append({
            "label": label, "count": count, "color": color,
            "x": _n(x), "y": _n(top + plot_h - h), "w": _n(slot * 2 / 3), "h": _n(h),
            "cx": _n(x + slot / 3), "ty": _n(top + plot_h - h - 6), "ly": _n(top + plot_h + 20),
        })
    return {"width": width, "height": height, "left": left, "right": width - 16, "base": top + plot_h,
            "top": top, "bars": bars, "peak": peak}


def grade_chart(counts: dict[str, int]) -> dict:
    """Bars 优/良/中/差 with their counts."""
    return _column_chart([(g, counts.get(g, 0), GRADE_COLORS[g]) for g in GRADES], 460)


def score_chart(results: Results | list[SheetScore]) -> dict:
    """One horizontal bar per sheet (≤ 30 sheets), else a histogram of 总分 in bands."""
    if len(results) <= CHART_PER_SHEET_LIMIT:
        left, row, top, plot_w = 230, 24, 16, 380
        width = left + plot_w + 60
        height = top + row * len(results) + 36
        rows = []
        for n, r in enumerate(results):
            y = top + row * n
            w = Decimal(plot_w) * min(max(r.total, ZERO), HUNDRED) / HUNDRED
            rows.append({
                "label": fit(r.name, 30), "name": r.name, "total": format_fixed(r.total), "grade": r.grade,
                "color": GRADE_COLORS.get(r.grade, "#555"), "y": _n(y + 4), "h": row - 8, "w": _n(w),
                "ty": y + row // 2 + 5, "vx": _n(left + w + 6),
            })
        ticks = [{"x": _n(left + Decimal(plot_w) * t / 100), "label": str(t)} for t in (0, 20, 40, 60, 80, 100)]
        return {"mode": "sheets", "width": width, "height": height, "left": left, "top": top,
                "base": top + row * len(results), "rows": rows, "ticks": ticks}
    # One colour: the grade bands are the policy's, not necessarily these score bands.
    columns = [(label, sum(1 for r in results if low <= r.total < high), "#4e79a7") for label, low, high in SCORE_BANDS]
    return {"mode": "bands", **_column_chart(columns, 520)}
