"""A scored sheet reduced to what the batch outputs need (``Digest``), its bulky ``Detail``,
and ``Results``, the digests in output order with each detail loaded when an output reaches it.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterator, NamedTuple

from ..inputs import reported_cell, row_path
from ..policy import PRESETS, Policy, preset_policy
from ..scoring import Discrepancy, SheetScore
from .narrative import review_facts, style_text


@dataclass(slots=True)
class Detail:
    """The texts of a scored sheet that the outputs need (its rows are apart: ``Digest.rows``)."""

    review: str  # the 自评综述 body, in the policy's report style
    # (label, reported, computed, indicator or task name, field, cell)
    discrepancies: tuple[tuple[str, object, object, str, str, str], ...]
    warnings: tuple[str, ...]  # the scoring's warnings, then the review's notes (never in public text)


class Part(NamedTuple):
    """A part of each sheet's record that an output reads on its own (its rows of one table):
    ``build(digest, rows, detail, labels)`` makes it (in the batch, in the worker that scored
    the sheet; ``rows``: the digest's 指标 rows, ``detail`` its Detail, ``labels`` a
    ``PolicyLabels``), ``dump`` turns it into bytes for the spool and ``load`` back."""

    name: str
    build: Callable[[Any, tuple, Any, Any], Any]
    dump: Callable[[Any], bytes]
    load: Callable[[bytes], Any]


class Place(NamedTuple):
    """Where a pickled detail or row set lies in a spool file (offset, length)."""

    at: int
    length: int


@dataclass(slots=True)
class Digest:
    """One scored sheet as the batch outputs need it: its figures stay in memory; its
    ``detail`` (a ``Detail``) and its ``rows`` (the 指标 rows of summary.xlsx, the larger
    part, which only that sheet reads) may each be the object, its pickled bytes, or a
    ``Place`` in a spool file — so a batch of any size holds only the figures."""

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
    detail: Detail | bytes | Place
    budget_initial: Decimal = Decimal(0)
    funds: dict[str, Decimal] | None = None
    department_budget: Decimal | None = None
    policy: str = "default"  # the policy's name: the report groups by it
    report_funds: str = "budget"
    report_style: str = "liaoning"
    # rows of the 指标 sheet, after 实施单位 and 项目名称
    rows: tuple[tuple, ...] | bytes | Place = ()


_FIELD_NAMES = {"score": "得分", "completion": "完成程度", "execution_rate": "执行率"}


def _discrepancy(result: SheetScore, d: Discrepancy, cells: dict[str, str]) -> tuple:
    """(label, reported, computed, indicator, field, cell) of one discrepancy."""
    row = row_path(d.field)
    if row:
        table, index, column = row
        rows = result.indicators if table == "indicators" else result.tasks
        name = rows[index].name if index < len(rows) else ""
        field_name = _FIELD_NAMES.get(column, column)
    else:
        name, field_name = "", d.label
    return (d.label, d.reported, d.computed, name, field_name, reported_cell(cells, d.field))


def policy_of(result: SheetScore) -> Policy:
    """The policy a scored sheet names, when only its name is known (a preset; else default)."""
    return preset_policy(result.policy if result.policy in PRESETS else "default")


def digest(result: SheetScore, cells: dict[str, str] | None = None, policy: Policy | None = None,
           sheet: object | None = None) -> Digest:
    """A scored sheet → its digest, with the review text written out in ``policy``'s style
    (default: the policy the sheet names); ``cells`` (from its Input) gives the cell of
    each printed value that differs; ``sheet`` (the model it was scored from) gives the
    project's own 偏差原因 / 改进措施."""
    policy = policy or policy_of(result)
    facts, notes = review_facts(result, getattr(sheet, "cause", None), getattr(sheet, "remedy", None))
    if result.kind == "department" and result.department_budget is None:
        notes.append("缺少部门预算金额（department_budget），说明中整体绩效自评的涉及资金按年度主要任务下达金额合计")
    detail = Detail(
        review=style_text(policy.report_style, result.kind, facts),
        discrepancies=tuple(_discrepancy(result, d, cells or {}) for d in result.discrepancies),
        warnings=tuple(result.warnings) + tuple(notes),
    )
    rows = tuple(
        (i.level1, i.level2, i.name, i.target_text, i.actual_text, i.completion_pct, i.weight, i.score,
         "是" if i.needs_explanation else "否", i.cause or "", i.remedy or "")
        for i in result.indicators
    )
    return Digest(
        result.kind, result.name, result.unit, result.department, result.year, result.source,
        result.budget_adjusted, result.budget_executed, result.execution_rate, result.execution_score,
        result.indicator_score, result.deduction, result.total, result.grade,
        len(detail.warnings), len(result.discrepancies), detail,
        budget_initial=result.budget_initial, funds=result.funds, department_budget=result.department_budget,
        policy=policy.name, report_funds=policy.report_funds, report_style=policy.report_style, rows=rows,
    )


class Results:
    """Digests in output order; each ``detail`` and ``rows`` is loaded when an output reaches it.

    Each is the object, its pickled bytes, or a ``Place`` that ``load`` resolves (the
    batch's spool file keeps them on disk while a run writes its outputs)."""

    def __init__(self, digests: list[Digest], load: Callable[[Any], Detail] | None = None):
        self.digests = digests
        self._load = load

    @classmethod
    def of(cls, results: "Results | list[SheetScore] | list[Digest]", policy: Policy | None = None) -> "Results":
        """Digests of ``results``; a SheetScore is written in ``policy``'s report style (default:
        the preset it was scored under)."""
        if isinstance(results, Results):
            return results
        return cls([r if isinstance(r, Digest) else digest(r, policy=policy) for r in results])

    def __iter__(self):
        return iter(self.digests)

    def __len__(self) -> int:
        return len(self.digests)

    def at(self, place: int) -> Digest:
        """The digest at ``place`` in output order."""
        return self.digests[place]

    def detail(self, item: Digest) -> Detail:
        return self._resolve(item.detail, item)

    def rows(self, item: Digest) -> tuple[tuple, ...]:
        """The sheet's rows of the 指标 sheet (after 实施单位 and 项目名称)."""
        return self._resolve(item.rows, item)

    def built(self, part: Part, labels) -> Iterator:
        """Each digest's ``part``, in output order: built here (the batch's spooled results
        hold what its workers built)."""
        for item in self:
            yield part.build(item, self.rows(item), self.detail(item), labels)

    def _resolve(self, found, item: Digest):
        if isinstance(found, bytes):
            return pickle.loads(found)
        if not isinstance(found, Place):
            return found
        if self._load is None:
            raise ValueError(f"no loader for the detail of {item.source}")
        return self._load(found)
