"""The figures of a batch: per unit and overall counts, funds, averages, grades and coverage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..model import FUND_SOURCES
from ..scoring import SheetScore
from ..terms import GRADES, HUNDRED, ZERO
from ..values import quantize
from .digests import Digest


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


class Tally:
    """The figures of sheets added one at a time: memory grows with the units and years
    seen, never with the number of sheets (a batch's digests stream past it once)."""

    def __init__(self, report_funds: str = "budget"):
        self.report_funds = report_funds
        self.projects = self.departments = 0
        self.grades = dict.fromkeys(GRADES, 0)
        self.funds = self.executed = self.initial = self.total = ZERO
        self.department_funds = self.department_total = ZERO
        self.department_budget: Decimal | None = ZERO  # None once a 整体 sheet lacks it
        self.units: dict[str, UnitFigures] = {}
        # 资金来源 (general, fund, state_capital) → (projects, amount); None once a project's
        # sources are missing or do not add up to its counted amount
        self.sources: dict[str, tuple[int, Decimal]] | None = {key: (0, ZERO) for key in FUND_SOURCES}
        self.years: set[int] = set()  # at most two kept: enough to tell whether one year is common
        self.discrepancies = self.warnings = 0

    def add(self, r: SheetScore | Digest) -> None:
        if r.year is not None and len(self.years) < 2:
            self.years.add(r.year)
        self.discrepancies += r.discrepancy_count if isinstance(r, Digest) else len(r.discrepancies)
        self.warnings += r.warning_count if isinstance(r, Digest) else len(r.warnings)
        if r.kind == "department":
            self.departments += 1
            self.department_funds += r.budget_adjusted
            self.department_total += r.total
            if self.department_budget is not None:
                self.department_budget = None if r.department_budget is None else self.department_budget + r.department_budget
            return
        self.projects += 1
        self.grades[r.grade] = self.grades.get(r.grade, 0) + 1
        counted = counted_amount(r, self.report_funds)
        self.funds += r.budget_adjusted
        self.executed += r.budget_executed
        self.initial += r.budget_initial
        self.total += r.total
        unit = unit_of(r)
        row = self.units.get(unit)
        if row is None:
            row = self.units[unit] = UnitFigures(unit)
        row.projects += 1
        row.funds += counted
        row.total += r.total
        row.grades[r.grade] = row.grades.get(r.grade, 0) + 1
        if self.sources is not None:  # a project counts under its largest source
            funds = r.funds or {}
            if not funds or sum(funds.values(), ZERO) != counted:
                self.sources = None
                return
            main = max(FUND_SOURCES, key=lambda key: funds.get(key, ZERO))
            for key in FUND_SOURCES:
                count, amount = self.sources[key]
                self.sources[key] = (count + (key == main), amount + funds.get(key, ZERO))

    @property
    def year(self) -> int | None:
        """The one year every dated sheet gives, else None."""
        return next(iter(self.years)) if len(self.years) == 1 else None

    def figures(self, failed: int) -> SummaryFigures:
        scored = self.projects + self.departments
        attempted = scored + failed
        return SummaryFigures(
            projects=self.projects,
            grades=dict(self.grades),
            funds=self.funds,
            executed=self.executed,
            average=average_of(self.total, self.projects),
            departments=self.departments,
            department_funds=self.department_funds,
            department_average=average_of(self.department_total, self.departments),
            failed=failed,
            coverage=quantize(Decimal(scored) * HUNDRED / attempted, 2) if attempted else ZERO,
            units=list(self.units.values()),
            report_funds=self.report_funds,
            initial=self.initial,
            sources=self.sources if self.projects else None,
            department_budget=self.department_budget if self.departments else None,
        )

