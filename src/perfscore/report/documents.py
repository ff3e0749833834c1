"""report.md and report.html (预算绩效情况说明) rendered with jinja2, streamed and written atomically.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from pathlib import Path
from typing import Iterable

import jinja2

from ..errors import Failure
from ..resources import templates_dir
from ..scoring import SheetScore
from ..terms import GRADES
from ..values import format_number
from ..writing import atomic_file
from .charts import grade_chart, score_chart
from .digests import Digest, Results
from .figures import SummaryFigures, common_year, grade_counts, summary_figures, unit_of
from .narrative import money, titled


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

def overview_paragraphs(figures: SummaryFigures, year: int | None) -> list[str]:
    """The 绩效自评工作开展情况 paragraph(s), in the 决算说明's words."""
    when = f"{year}年" if year else "本次"
    out = []
    if figures.projects:
        grades = "，".join(f"{n}个项目自评等级为“{g}”" for g, n in figures.grades.items() if n)
        out.append(
            f"{when}项目绩效自评个数{figures.projects}个，涉及资金{money(figures.funds)}，"
            f"自评覆盖率{format_number(figures.coverage)}%，自评平均分{format_number(figures.average)}分：{grades}。"
        )
    elif not figures.departments:
        out.append(f"{when}没有完成评分的绩效自评表。")
    if figures.departments:
        out.append(
            f"组织对{figures.departments}个单位开展整体绩效自评，涉及资金{money(figures.department_funds)}，"
            f"自评平均分为{format_number(figures.department_average)}分。"
        )
    if figures.failed:
        out.append(f"另有{figures.failed}个项目未能评分（见问题清单）。")
    return ["".join(out)]


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
    year = year if year is not None else common_year(results)
    # the sheets of each kind, read again from ``results`` (never held: a batch's are on disk)
    projects = (r for r in results if r.kind != "department")
    departments = (r for r in results if r.kind == "department")

    def entries(items: Iterable[Digest], kind: str):
        for n, r in enumerate(items, 1):
            lead = f"（{n}）{titled(r.name, '项目')}自评综述：" if kind == "project" else f"（{n}）{r.name}整体绩效自评综述："
            yield {"lead": lead, "text": results.detail(r).review}

    def discrepancy_items():
        for r in results:
            if r.discrepancy_count:
                for label, reported, computed, *_ in results.detail(r).discrepancies:
                    yield {"who": _who(unit_of(r), r.name), "source": r.source,
                           "line": f"{label}：原表 {_plain(reported)}，应为 {_plain(computed)}"}

    def warning_items():
        for r in results:
            if r.warning_count:
                yield {"who": _who(unit_of(r), r.name), "source": r.source, "lines": results.detail(r).warnings}

    sections = [
        {"title": "项目绩效自评结果", "entries": entries(projects, "project"), "count": figures.projects},
        {"title": "部门（单位）整体绩效自评结果", "entries": entries(departments, "department"),
         "count": figures.departments},
    ]
    failure_items = [{"who": _who(f.unit, f.name), "source": f.source, "lines": f.lines()} for f in failures]
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
            "grades": grade_chart(grade_counts(results)),
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
