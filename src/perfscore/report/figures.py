"""The figures of a batch: per unit and overall counts, funds, averages, grades and coverage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable
from decimal import Decimal

from ..errors import Failure
from ..model import FUND_SOURCES
from ..scoring import SheetScore
from ..terms import GRADES, HUNDRED, ZERO
from ..values import quantize
from .digests import Digest, Results


NO_UNIT = "（未注明单位）"


@dataclass
class UnitFigures:
    """One 实施单位's project sheets."""

    unit: str
    projects: int = 0
    funds: Decimal = ZERO  # Σ 全年预算数 (or 全年执行数, per the policy's report_funds), 万元
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
    report_funds: str = "budget"  # which sum 涉及资金 is: budget (Σ 全年预算数) or executed (Σ 全年执行数)
    initial: Decimal = ZERO  # Σ 年初预算数 of project sheets
    # 资金来源 (general, fund, state_capital) → (projects, amount), when every project gives
    # sources that add up to its counted amount; None otherwise
    sources: dict[str, tuple[int, Decimal]] | None = None
    department_budget: Decimal | None = None  # Σ department_budget when every 整体 sheet gives it

    @property
    def counted(self) -> Decimal:
        """涉及资金 of the 说明: Σ 全年预算数 or Σ 全年执行数, per the policy."""
        return self.executed if self.report_funds == "executed" else self.funds

    @property
    def department_counted(self) -> Decimal:
        """涉及资金 of the 整体 sentence: the departments' own budgets, else their tasks' total."""
        return self.department_budget if self.department_budget is not None else self.department_funds


def average_of(total: Decimal, count: int) -> Decimal | None:
    return quantize(total / count, 2) if count else None


def unit_of(result: SheetScore | Digest) -> str:
    """The 实施单位 a sheet is reported under; a department sheet is its own unit."""
    unit = result.unit or result.department
    if not unit and result.kind == "department":
        unit = result.name
    return unit or NO_UNIT


def counted_amount(result: SheetScore | Digest, report_funds: str) -> Decimal:
    """A project's 涉及资金: its 全年执行数 or its 全年预算数."""
    return result.budget_executed if report_funds == "executed" else result.budget_adjusted


def fund_sources(projects: list, report_funds: str) -> dict[str, tuple[int, Decimal]] | None:
    """(projects, amount) per 资金来源 when every project's sources add up to its counted
    amount (a project counts under its largest source); None otherwise."""
    if not projects:
        return None
    out = {key: (0, ZERO) for key in FUND_SOURCES}
    for r in projects:
        funds = r.funds or {}
        if not funds or sum(funds.values(), ZERO) != counted_amount(r, report_funds):
            return None
        main = max(FUND_SOURCES, key=lambda key: funds.get(key, ZERO))
        for key in FUND_SOURCES:
            count, amount = out[key]
            out[key] = (count + (key == main), amount + funds.get(key, ZERO))
    return out


def summary_figures(results: Results | Iterable[SheetScore | Digest], failures: list[Failure],
                    report_funds: str = "budget") -> SummaryFigures:
    results = list(results)
    projects = [r for r in results if r.kind != "department"]
    departments = [r for r in results if r.kind == "department"]
    units: dict[str, UnitFigures] = {}
    for r in projects:
        row = units.setdefault(unit_of(r), UnitFigures(unit_of(r)))
        row.projects += 1
        row.funds += counted_amount(r, report_funds)
        row.total += r.total
        row.grades[r.grade] = row.grades.get(r.grade, 0) + 1
    attempted = len(results) + len(failures)
    return SummaryFigures(
        projects=len(projects),
        grades=grade_counts(projects),
        funds=sum((r.budget_adjusted for r in projects), ZERO),
        executed=sum((r.budget_executed for r in projects), ZERO),
        average=average_of(sum((r.total for r in projects), ZERO), len(projects)),
        departments=len(departments),
        department_funds=sum((r.budget_adjusted for r in departments), ZERO),
        department_average=average_of(sum((r.total for r in departments), ZERO), len(departments)),
        failed=len(failures),
        coverage=quantize(Decimal(len(results)) * HUNDRED / attempted, 2) if attempted else ZERO,
        units=list(units.values()),
        report_funds=report_funds,
        initial=sum((r.budget_initial for r in projects), ZERO),
        sources=fund_sources(projects, report_funds),
        department_budget=(sum((r.department_budget for r in departments), ZERO)
                           if departments and all(r.department_budget is not None for r in departments) else None),
    )


def grade_counts(results: Iterable[SheetScore | Digest]) -> dict[str, int]:
    counts = dict.fromkeys(GRADES, 0)
    for r in results:
        counts[r.grade] = counts.get(r.grade, 0) + 1
    return counts


def common_year(results: Iterable[SheetScore | Digest]) -> int | None:
    years = {r.year for r in results if r.year is not None}
    return years.pop() if len(years) == 1 else None

