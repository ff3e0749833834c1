"""The figures of a batch: per unit and overall counts, funds, averages, grades and coverage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable
from decimal import Decimal

from ..errors import Failure
from ..scoring import SheetScore
from ..terms import GRADES, HUNDRED, ZERO
from ..values import quantize
from .digests import Digest, Results


NO_UNIT = "（未填写单位）"


@dataclass
class UnitFigures:
    """One 实施单位's project sheets."""

    unit: str
    projects: int = 0
    funds: Decimal = ZERO  # Σ 全年预算数, 万元
    total: Decimal = ZERO  # Σ 总分 (for the average)
    grades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))

    @property
    def average(self) -> Decimal | None:
        return average_of(self.total, self.projects)


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
    department_funds: Decimal
    department_average: Decimal | None
    failed: int
    coverage: Decimal  # percent of inputs scored, 2 decimals half-up
    units: list[UnitFigures]


def average_of(total: Decimal, count: int) -> Decimal | None:
    return quantize(total / count, 2) if count else None


def unit_of(result: SheetScore | Digest) -> str:
    """The 实施单位 a sheet is reported under; a department sheet is its own unit."""
    unit = result.unit or result.department
    if not unit and result.kind == "department":
        unit = result.name
    return unit or NO_UNIT


def summary_figures(results: Results | Iterable[SheetScore | Digest], failures: list[Failure]) -> SummaryFigures:
    """The figures, in one pass over ``results`` (a batch's may be read from disk)."""
    units: dict[str, UnitFigures] = {}
    grades = dict.fromkeys(GRADES, 0)
    projects = departments = 0
    funds = executed = total = department_funds = department_total = ZERO
    for r in results:
        if r.kind == "department":
            departments += 1
            department_funds += r.budget_adjusted
            department_total += r.total
            continue
        projects += 1
        funds += r.budget_adjusted
        executed += r.budget_executed
        total += r.total
        grades[r.grade] = grades.get(r.grade, 0) + 1
        row = units.setdefault(unit_of(r), UnitFigures(unit_of(r)))
        row.projects += 1
        row.funds += r.budget_adjusted
        row.total += r.total
        row.grades[r.grade] = row.grades.get(r.grade, 0) + 1
    scored = projects + departments
    attempted = scored + len(failures)
    return SummaryFigures(
        projects=projects,
        grades=grades,
        funds=funds,
        executed=executed,
        average=average_of(total, projects),
        departments=departments,
        department_funds=department_funds,
        department_average=average_of(department_total, departments),
        failed=len(failures),
        coverage=quantize(Decimal(scored) * HUNDRED / attempted, 2) if attempted else ZERO,
        units=list(units.values()),
    )


def grade_counts(results: Iterable[SheetScore | Digest]) -> dict[str, int]:
    counts = dict.fromkeys(GRADES, 0)
    for r in results:
        counts[r.grade] = counts.get(r.grade, 0) + 1
    return counts


def common_year(results: Iterable[SheetScore | Digest]) -> int | None:
    years = {r.year for r in results if r.year is not None}
    return years.pop() if len(years) == 1 else None

