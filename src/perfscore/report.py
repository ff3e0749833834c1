"""Batch reporting: summary.xlsx, report.md and report.html (预算绩效情况说明).

The report follows the 预算绩效情况说明 of a 部门决算 (seed 000 §（四）, seed 004 §十三):
one paragraph with the counts, funds, coverage and average score, then each project's
自评综述, then a 问题清单. Every output is written atomically: a temporary file in the
target directory, fsync, ``os.replace``.
"""

from __future__ import annotations

import functools
import pickle
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import jinja2

from .batch import Failure
from .resources import templates_dir
from .writing import atomic_file
from .scoring import IndicatorScore, SheetScore
from .values import format_fixed, format_number, quantize
from .output import fit
from .xlsx.stream import HEADER, Workbook

GRADES = ("优", "良", "中", "差")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
NO_UNIT = "（未填写单位）"
UNFILLED = "未填写"
CHART_PER_SHEET_LIMIT = 30  # up to this many sheets, the score chart has one bar per sheet
SCORE_BANDS = (("<60", ZERO, Decimal(60)), ("60–70", Decimal(60), Decimal(70)), ("70–80", Decimal(70), Decimal(80)),
               ("80–90", Decimal(80), Decimal(90)), ("90–100", Decimal(90), Decimal(101)))
GRADE_COLORS = {"优": "#2e7d32", "良": "#1565c0", "中": "#ef6c00", "差": "#c62828"}


# -- figures ----------------------------------------------------------------------------------

@dataclass
class UnitFigures:
    """One 实施单位's project sheets."""

    unit: str
    projects: int = 0
    funds: Decimal = ZERO  # Σ 全年预算数, 万元
    executed: Decimal = ZERO
    total: Decimal = ZERO  # Σ 总分 (for the average)
    grades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))

    @property
    def average(self) -> Decimal | None:
        return _average(self.total, self.projects)


@dataclass
class SummaryFigures:
    """The figures of the 预算绩效情况说明 paragraph and the 汇总 sheet.

    Project sheets and department (整体) sheets are counted separately, as the 决算
    说明 does; ``coverage`` counts every scored sheet against every input that failed."""

    projects: int
    grades: dict[str, int]
    funds: Decimal  # Σ 全年预算数 (budget_adjusted) of project sheets, 万元
    executed: Decimal  # Σ 全年执行数 of project sheets
    average: Decimal | None  # mean 总分 of project sheets, 2 decimals half-up
    departments: int
    department_grades: dict[str, int]
    department_funds: Decimal
    department_executed: Decimal
    department_average: Decimal | None
    failed: int
    coverage: Decimal  # percent of inputs scored, 2 decimals half-up
    units: list[UnitFigures]

    @property
    def scored(self) -> int:
        return self.projects + self.departments


@dataclass(slots=True)
class Detail:
    """The bulky part of a scored sheet that the outputs need: read once per output."""

    review: str  # the 自评综述 body
    indicators: tuple[tuple, ...]  # rows of the 指标 sheet, after 实施单位 and 项目名称
    discrepancies: tuple[tuple[str, object, object], ...]  # (label, reported, computed)
    warnings: tuple[str, ...]


@dataclass(slots=True)
class Digest:
    """One scored sheet as the batch outputs need it: its figures stay in memory, its
    ``detail`` may be a ``Detail``, its pickled bytes, or an (offset, length) in a spool
    file — so a batch of any size holds only the figures."""

    kind: str
    name: str
    unit: str | None
    department: str | None
    year: int | None
    source: str
    budget_adjusted: Decimal
    budget_executed: Decimal
    execution_rate: Decimal
    execution_score: Decimal
    indicator_score: Decimal
    deduction: Decimal
    total: Decimal
    grade: str
    warning_count: int
    discrepancy_count: int
    detail: Detail | bytes | tuple[int, int]


def digest(result: SheetScore) -> Digest:
    """A scored sheet → its digest, with the review text written out."""
    review = department_review(result) if result.kind == "department" else project_review(result)
    detail = Detail(
        review=review,
        indicators=tuple(
            (i.level1, i.level2, i.name, i.target_text, i.actual_text, i.completion_pct, i.weight, i.score,
             "是" if i.needs_explanation else "否", i.cause or "", i.remedy or "")
            for i in result.indicators
        ),
        discrepancies=tuple((d.label, d.reported, d.computed) for d in result.discrepancies),
        warnings=tuple(result.warnings),
    )
    return Digest(
        result.kind, result.name, result.unit, result.department, result.year, result.source,
        result.budget_adjusted, result.budget_executed, result.execution_rate, result.execution_score,
        result.indicator_score, result.deduction, result.total, result.grade,
        len(result.warnings), len(result.discrepancies), detail,
    )


class Results:
    """Digests in output order; each ``detail`` is loaded when an output reaches it."""

    def __init__(self, digests: list[Digest], spool: Path | None = None):
        self.digests = digests
        self.spool = spool
        self._file = None

    @classmethod
    def of(cls, results: "Results | list[SheetScore] | list[Digest]") -> "Results":
        if isinstance(results, Results):
            return results
        return cls([r if isinstance(r, Digest) else digest(r) for r in results])

    def __iter__(self):
        return iter(self.digests)

    def __len__(self) -> int:
        return len(self.digests)

    def detail(self, item: Digest) -> Detail:
        found = item.detail
        if isinstance(found, Detail):
            return found
        if isinstance(found, bytes):
            return pickle.loads(found)
        offset, length = found
        if self._file is None:
            self._file = open(self.spool, "rb")  # noqa: SIM115 - closed by close()
        self._file.seek(offset)
        return pickle.loads(self._file.read(length))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _average(total: Decimal, count: int) -> Decimal | None:
    return quantize(total / count, 2) if count else None


def unit_of(result: SheetScore) -> str:
    """The 实施单位 a sheet is reported under; a department sheet is its own unit."""
    unit = result.unit or result.department
    if not unit and result.kind == "department":
        unit = result.name
    return unit or NO_UNIT


def summary_figures(results: Results | list[SheetScore], failures: list[Failure]) -> SummaryFigures:
    results = Results.of(results)
    projects = [r for r in results if r.kind != "department"]
    departments = [r for r in results if r.kind == "department"]
    units: dict[str, UnitFigures] = {}
    for r in projects:
        row = units.setdefault(unit_of(r), UnitFigures(unit_of(r)))
        row.projects += 1
        row.funds += r.budget_adjusted
        row.executed += r.budget_executed
        row.total += r.total
        row.grades[r.grade] = row.grades.get(r.grade, 0) + 1
    attempted = len(results) + len(failures)
    return SummaryFigures(
        projects=len(projects),
        grades=_grade_counts(projects),
        funds=sum((r.budget_adjusted for r in projects), ZERO),
        executed=sum((r.budget_executed for r in projects), ZERO),
        average=_average(sum((r.total for r in projects), ZERO), len(projects)),
        departments=len(departments),
        department_grades=_grade_counts(departments),
        department_funds=sum((r.budget_adjusted for r in departments), ZERO),
        department_executed=sum((r.budget_executed for r in departments), ZERO),
        department_average=_average(sum((r.total for r in departments), ZERO), len(departments)),
        failed=len(failures),
        coverage=quantize(Decimal(len(results)) * HUNDRED / attempted, 2) if attempted else ZERO,
        units=list(units.values()),
    )


def _grade_counts(results: list[SheetScore]) -> dict[str, int]:
    counts = dict.fromkeys(GRADES, 0)
    for r in results:
        counts[r.grade] = counts.get(r.grade, 0) + 1
    return counts


# -- atomic writes ----------------------------------------------------------------------------

# -- summary.xlsx ------------------------------------------------------------------------------

PROJECT_HEADERS = ["实施单位", "主管部门", "项目名称", "类型", "年度", "全年预算数", "全年执行数", "执行率(%)", "执行率得分",
                   "指标得分", "减分", "总分", "等级", "提示数", "不一致数", "来源文件"]
INDICATOR_HEADERS = ["实施单位", "项目名称", "一级指标", "二级指标", "三级指标", "指标值", "全年完成值", "完成程度(%)",
                     "分值", "得分", "需说明偏差", "偏差原因", "改进措施"]
PROBLEM_HEADERS = ["类别", "实施单位", "项目名称", "问题", "原表值", "应为", "来源文件"]
UNIT_HEADERS = ["单位", "项目数", "资金", "平均分", *GRADES]


def _kind_label(result: SheetScore) -> str:
    return "整体" if result.kind == "department" else "项目"


def write_summary(results: Results | list[SheetScore], failures: list[Failure], path: Path) -> None:
    """summary.xlsx: sheets 项目, 指标, 问题 and 汇总, written atomically, reading each
    sheet's detail once."""
    results = Results.of(results)
    path = Path(path)
    with atomic_file(path) as fh, Workbook(fh, tmpdir=str(path.parent)) as book:
        projects, indicators, problems = book.add_sheet("项目"), book.add_sheet("指标"), book.add_sheet("问题")
        projects.write_row(PROJECT_HEADERS, HEADER)
        for r in results:
            projects.write_row([
                unit_of(r), r.department or "", r.name, _kind_label(r), r.year, r.budget_adjusted, r.budget_executed,
                r.execution_rate, r.execution_score, r.indicator_score, r.deduction, r.total, r.grade,
                r.warning_count, r.discrepancy_count, r.source,
            ])
        projects.set_autofilter(0, projects.rows - 1, 0, len(PROJECT_HEADERS) - 1)

        indicators.write_row(INDICATOR_HEADERS, HEADER)
        problems.write_row(PROBLEM_HEADERS, HEADER)
        for f in failures:
            for problem in f.problems:
                problems.write_row(["错误", f.unit or "", f.name or "", problem, None, None, f.source])
        write = indicators.write_row
        for r in results:
            unit, name = unit_of(r), r.name
            detail = results.detail(r)
            for row in detail.indicators:
                write([unit, name, *row])
            for label, reported, computed in detail.discrepancies:
                problems.write_row(["不一致", unit, name, label, reported, computed, r.source])
            for w in detail.warnings:
                problems.write_row(["提示", unit, name, w, None, None, r.source])
        indicators.set_autofilter(0, indicators.rows - 1, 0, len(INDICATOR_HEADERS) - 1)
        problems.set_autofilter(0, problems.rows - 1, 0, len(PROBLEM_HEADERS) - 1)

        _write_overview(book.add_sheet("汇总"), summary_figures(results, failures))


def _write_overview(sheet, figures: SummaryFigures) -> None:
    sheet.write_row(["汇总项", "数值"], HEADER)
    rows: list[tuple[str, object]] = [("项目自评个数", figures.projects)]
    rows += [(f"等级“{g}”项目数", figures.grades.get(g, 0)) for g in GRADES]
    rows += [
        ("涉及资金（全年预算数，万元）", figures.funds),
        ("全年执行数（万元）", figures.executed),
        ("项目自评平均分", figures.average),
        ("自评覆盖率(%)", figures.coverage),
        ("整体绩效自评个数", figures.departments),
        ("整体自评涉及资金（万元）", figures.department_funds),
        ("整体自评平均分", figures.department_average),
        ("未能评分个数", figures.failed),
    ]
    for label, value in rows:
        sheet.write_row([label, value])
    sheet.write_row([])
    first = sheet.rows
    sheet.write_row(UNIT_HEADERS, HEADER)
    for u in figures.units:
        sheet.write_row([u.unit, u.projects, u.funds, u.average, *(u.grades.get(g, 0) for g in GRADES)])
    sheet.set_autofilter(first, sheet.rows - 1, 0, len(UNIT_HEADERS) - 1)


# -- the narrative -----------------------------------------------------------------------------

def _money(value: Decimal) -> str:
    return f"{format_number(value)}万元"


def _sentence(text: str) -> str:
    """User text as a clause: whitespace collapsed, trailing punctuation dropped."""
    return " ".join(text.split()).rstrip("，,。.；;、：: ")


def _titled(name: str, suffix: str) -> str:
    """法治建设 → 法治建设项目; a name that already ends in 项目 keeps it."""
    return name if name.endswith(suffix) else name + suffix


def _shown_target(ind: IndicatorScore) -> str:
    if ind.kind == "quantitative" and isinstance(ind.target, Decimal):
        return f"{ind.operator or ''}{format_number(ind.target)}{ind.unit}"
    return ind.target_text


def _shown_actual(ind: IndicatorScore) -> str:
    if ind.kind == "quantitative" and isinstance(ind.actual, Decimal):
        return f"{format_number(ind.actual)}{ind.unit}"
    return ind.actual_text


def _indicator_text(result: SheetScore) -> str:
    """未完全达成的指标 with 偏差原因 / 改进措施, or 各项绩效指标均已完成."""
    short, exceeded = [], []
    for ind in result.needing_explanation():
        cause = _sentence(ind.cause or "") or UNFILLED
        remedy = _sentence(ind.remedy or "")
        if ind.completion_pct < HUNDRED:
            short.append(f"{ind.name}（完成程度{format_number(ind.completion_pct)}%），偏差原因：{cause}；"
                         f"改进措施：{remedy or UNFILLED}。")
        else:
            text = f"{ind.name}（指标值{_shown_target(ind)}，完成值{_shown_actual(ind)}），偏差原因：{cause}"
            exceeded.append(text + (f"；改进措施：{remedy}。" if remedy else "。"))
    if not short and not exceeded:
        return "各项绩效指标均已完成。"
    out = ""
    if short:
        out += "未完全达成的指标：" + "".join(short)
    else:
        out += "各项绩效指标均已完成。"
    if exceeded:
        out += "完成值超过指标值、需说明偏差的指标：" + "".join(exceeded)
    return out


def project_review(result: SheetScore) -> str:
    """The 自评综述 body of a project sheet, after its （n）…自评综述： lead."""
    text = f"根据年初设定的绩效目标，项目自评得分{format_number(result.total)}分（等级：{result.grade}）。"
    rate = f"{format_number(result.execution_rate)}%"
    if result.budget_adjusted != result.budget_initial:
        text += (f"项目年初预算数为{_money(result.budget_initial)}，全年预算数调整为{_money(result.budget_adjusted)}，"
                 f"全年执行数为{_money(result.budget_executed)}，完成预算的{rate}")
        if result.budget_initial:
            against = quantize(result.budget_executed / result.budget_initial * HUNDRED, 2)
            text += f"（按年初预算数计算为{format_number(against)}%）"
        text += "。"
    else:
        text += (f"项目全年预算数为{_money(result.budget_adjusted)}，全年执行数为{_money(result.budget_executed)}，"
                 f"完成预算的{rate}。")
    if result.achieved and _sentence(result.achieved):
        text += f"项目绩效目标完成情况：{_sentence(result.achieved)}。"
    return text + _indicator_text(result)


def department_review(result: SheetScore) -> str:
    """The 自评综述 body of a department (整体) sheet."""
    text = (f"根据年初设定的绩效目标，整体绩效自评得分{format_number(result.total)}分（等级：{result.grade}）。"
            f"年度主要任务预算数合计{_money(result.budget_adjusted)}，执行数合计{_money(result.budget_executed)}，"
            f"执行率{format_number(result.execution_rate)}%。")
    behind = [f"{t.name}（{format_number(t.execution_rate)}%）" for t in result.tasks if t.execution_rate < HUNDRED]
    if behind:
        text += f"执行率未达到100%的任务：{'、'.join(behind)}。"
    if result.achieved and _sentence(result.achieved):
        text += f"全年实际完成情况：{_sentence(result.achieved)}。"
    return text + _indicator_text(result)


def overview_paragraphs(figures: SummaryFigures, year: int | None) -> list[str]:
    """The 绩效自评工作开展情况 paragraph(s), in the 决算说明's words."""
    when = f"{year}年" if year else "本次"
    out = []
    if figures.projects:
        grades = "，".join(f"{n}个项目自评等级为“{g}”" for g, n in figures.grades.items() if n)
        out.append(
            f"{when}项目绩效自评个数{figures.projects}个，涉及资金{_money(figures.funds)}，"
            f"自评覆盖率{format_number(figures.coverage)}%，自评平均分{format_number(figures.average)}分：{grades}。"
        )
    elif not figures.departments:
        out.append(f"{when}没有完成评分的绩效自评表。")
    if figures.departments:
        out.append(
            f"组织对{figures.departments}个单位开展整体绩效自评，涉及资金{_money(figures.department_funds)}，"
            f"自评平均分为{format_number(figures.department_average)}分。"
        )
    if figures.failed:
        out.append(f"另有{figures.failed}个项目未能评分（见问题清单）。")
    return ["".join(out)]


def _common_year(results: list[SheetScore]) -> int | None:
    years = {r.year for r in results if r.year is not None}
    return years.pop() if len(years) == 1 else None


# -- charts (HTML) -------------------------------------------------------------------------------

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


def score_chart(results: list[SheetScore]) -> dict:
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


# -- report.md / report.html -----------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")


def md_escape(value: object) -> str:
    """User text inside Markdown: one line, every markup character backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def md_code(value: object) -> str:
    """A file path as a Markdown code span (no escapes needed inside)."""
    text = " ".join(str(value).split())
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _template_source(name: str) -> str:
    return (templates_dir() / name).read_text("utf-8")


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = md_escape
    env.filters["code"] = md_code
    return env


def _who(unit: str | None, name: str | None) -> str:
    return (unit or "") + (f"「{name}」" if name else "") or "（未能读出项目名称）"


def report_context(results: Results | list[SheetScore], failures: list[Failure], year: int | None = None) -> dict:
    """What the report templates render. The long parts (each 自评综述, the findings) are
    generators that load one sheet's detail at a time."""
    results = Results.of(results)
    figures = summary_figures(results, failures)
    year = year if year is not None else _common_year(results)
    projects = [r for r in results if r.kind != "department"]
    departments = [r for r in results if r.kind == "department"]

    def entries(items: list[Digest], kind: str):
        for n, r in enumerate(items, 1):
            lead = f"（{n}）{_titled(r.name, '项目')}自评综述：" if kind == "project" else f"（{n}）{r.name}整体绩效自评综述："
            yield {"lead": lead, "text": results.detail(r).review}

    def discrepancy_items():
        for r in results:
            if r.discrepancy_count:
                for label, reported, computed in results.detail(r).discrepancies:
                    yield {"who": _who(unit_of(r), r.name), "source": r.source,
                           "line": f"{label}：原表 {_plain(reported)}，应为 {_plain(computed)}"}

    def warning_items():
        for r in results:
            if r.warning_count:
                yield {"who": _who(unit_of(r), r.name), "source": r.source, "lines": results.detail(r).warnings}

    sections = [
        {"title": "项目绩效自评结果", "entries": entries(projects, "project"), "count": len(projects)},
        {"title": "部门（单位）整体绩效自评结果", "entries": entries(departments, "department"), "count": len(departments)},
    ]
    failure_items = [{"who": _who(f.unit, f.name), "source": f.source, "lines": list(f.problems)} for f in failures]
    discrepancies = sum(r.discrepancy_count for r in results)
    warnings = sum(r.warning_count for r in results)
    problems = [
        {"kind": "failures", "title": f"未能评分的项目（{len(failures)}个）", "items": failure_items,
         "count": len(failure_items)},
        {"kind": "discrepancies", "title": f"与原表不一致（{discrepancies}处）", "items": discrepancy_items(),
         "count": discrepancies},
        {"kind": "warnings", "title": f"提示（{warnings}条，不影响评分）", "items": warning_items(), "count": warnings},
    ]
    return {
        "title": "预算绩效情况说明",
        "year": year,
        "figures": figures,
        "grades": GRADES,
        "paragraphs": overview_paragraphs(figures, year),
        "units": [{"unit": u.unit, "projects": u.projects, "funds": format_number(u.funds),
                   "average": format_number(u.average), "grades": [u.grades.get(g, 0) for g in GRADES]}
                  for u in figures.units],
        "sections": [s for s in sections if s["count"]],
        "problems": [p for p in problems if p["count"]],
        "numerals": "〇一二三四五六七八九十",
        "charts": {
            "grades": grade_chart(_grade_counts(results)),
            "scores": score_chart(results),
            "caption": _chart_caption(figures),
        } if len(results) else None,
    }


def _chart_caption(figures: SummaryFigures) -> str:
    parts = [f"项目{figures.projects}个"] if figures.projects else []
    if figures.departments:
        parts.append(f"整体{figures.departments}个")
    return "、".join(parts)


def _plain(value: Decimal | str) -> str:
    return format_number(value) if isinstance(value, Decimal) else str(value)


def render_report(results: Results | list[SheetScore], failures: list[Failure], fmt: str,
                  year: int | None = None) -> str:
    """report.md (``fmt="md"``) or report.html (``fmt="html"``): the 预算绩效情况说明."""
    return "".join(_report_chunks(results, failures, fmt, year))


def write_report(results: Results | list[SheetScore], failures: list[Failure], fmt: str, path: Path,
                 year: int | None = None) -> None:
    """The same, streamed into ``path`` atomically (never the whole text in memory)."""
    with atomic_file(Path(path)) as fh:
        for chunk in _report_chunks(results, failures, fmt, year):
            fh.write(chunk.encode("utf-8"))


def _report_chunks(results, failures: list[Failure], fmt: str, year: int | None):
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown report format: {fmt!r}")
    template = _environment().get_template(f"report.{fmt}.j2")
    return template.generate(**report_context(results, failures, year))
