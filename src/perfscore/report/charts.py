"""The SVG charts of report.html: grades as columns, scores as one bar per sheet or bands.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from ..output import fit
from ..scoring import SheetScore
from .digests import Digest
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


def axis_floor(totals: list[Decimal]) -> Decimal:
    """Where the score axis starts: a multiple of 5 at least 2 points below the lowest
    score (94.28 → 90, 98.32 → 95, 100 → 95), never below 0."""
    low = min(totals, default=ZERO) - 2
    return max(ZERO, (low / 5).to_integral_value(rounding=ROUND_FLOOR) * 5)


def _tick_step(span: Decimal) -> int:
    for step in (1, 2, 5, 10, 20):
        if span / step <= 10:
            return step
    return 20


class ScoreBars:
    """What the score chart of a stream of sheets needs, taken one sheet at a time: the
    first sheets (bars, while there are at most 30) and the count in each band."""

    def __init__(self) -> None:
        self.first: list = []
        self.bands = [0] * len(SCORE_BANDS)

    def add(self, r: SheetScore | Digest) -> None:
        if len(self.first) <= CHART_PER_SHEET_LIMIT:
            self.first.append(r)
        for n, (_, low, high) in enumerate(SCORE_BANDS):
            if low <= r.total < high:
                self.bands[n] += 1
                break

    def chart(self, title: str) -> dict:
        """One horizontal bar per sheet (≤ 30 sheets), else a histogram of 总分 in bands.
        The bars' axis starts near the lowest score (``axis_floor``), so 94.28 and 100 look
        apart."""
        results = self.first
        if len(results) > CHART_PER_SHEET_LIMIT:
            # One colour: the grade bands are the policy's, not necessarily these score bands.
            columns = [(label, count, "#4e79a7") for (label, _, _), count in zip(SCORE_BANDS, self.bands)]
            return {"mode": "bands", "title": title.replace("各", "") + "分布", **_column_chart(columns, 520)}
        left, row, top, plot_w = 230, 24, 16, 380
        width = left + plot_w + 60
        height = top + row * len(results) + 36
        floor = axis_floor([r.total for r in results])
        span = HUNDRED - floor
        rows = []
        for n, r in enumerate(results):
            y = top + row * n
            w = Decimal(plot_w) * (min(max(r.total, floor), HUNDRED) - floor) / span
            rows.append({
                "label": fit(r.name, 30), "name": r.name, "total": format_fixed(r.total), "grade": r.grade,
                "color": GRADE_COLORS.get(r.grade, "#555"), "y": _n(y + 4), "h": row - 8, "w": _n(w),
                "ty": y + row // 2 + 5, "vx": _n(left + w + 6),
            })
        step = _tick_step(span)
        first = -(-int(floor) // step) * step
        marks = range(first, 101, step)
        ticks = [{"x": _n(left + Decimal(plot_w) * (t - floor) / span), "label": str(t)} for t in marks]
        axis = "总分" if floor == 0 else f"总分（坐标从 {format_number(floor)} 分起）"
        return {"mode": "sheets", "title": title, "width": width, "height": height, "left": left, "top": top,
                "base": top + row * len(results), "rows": rows, "ticks": ticks, "axis": axis}

