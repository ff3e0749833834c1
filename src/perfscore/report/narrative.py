"""The narrative of the 预算绩效情况说明: the facts each 自评综述 and each 说明 paragraph is
written from, and the style templates that word them (seed 000 §（四）, seed 004 §十三).

Python prepares the facts (amounts, rates, the outputs, the problems and remedies a sheet
gives); a style template — a province folder's ``report_style.j2`` (``provinces/<name>/``), or a file
named by the policy's ``report_style`` — arranges them into words. Public text never holds
a placeholder or an audit hint: what a sheet leaves out, or what a reviewer should check, is
returned as a note for the 问题清单 instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..scoring import IndicatorScore, SheetScore
from ..terms import HUNDRED
from ..values import GE, GT, LE, LT, CellValueError, Quantity, format_number, parse_value
from .styles import chinese_number, squash, style_environment, style_text  # noqa: F401  (the one home of report styles)

ONE = Decimal(1)


def money(value: Decimal) -> str:
    return f"{format_number(value)}万元"


def _sentence(text: str) -> str:
    """User text as a clause: whitespace collapsed, trailing punctuation dropped."""
    return " ".join(text.split()).rstrip("，,。.；;、：: ")


# a sheet-level 偏差原因 that only says the targets were met (seed 004: 「已完成目标。」, 「目标均已完成。」):
# no problem — the published 综述 of such a project lists no 存在的问题 (seed 004, 八五普法)
_NOTHING_WRONG = re.compile(r"^(?:无|没有偏差|无偏差|(?:各项|全部|所有)?(?:绩效)?(?:目标)?(?:均|全部|已全部|均已|已|都已)*"
                            r"(?:完成|达成|实现)(?:了)?(?:全部|各项|年度|预期)?(?:绩效)?(?:目标|指标)?)$")


def titled(name: str, suffix: str) -> str:
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


def shown_completion(ind: IndicatorScore) -> str:
    """完成程度 as public text: the scoring's ``completion_pct``, the one value the sheet, the
    summary and the page print too."""
    return f"{format_number(ind.completion_pct)}%"


# names that are a measure themselves (a rate, a count): a bare number may follow them
MEASURE_ENDINGS = ("率", "数", "比例", "比重", "金额", "数量", "额度", "次数", "人数", "件数", "个数")
_COMPARED = {LT: "低于{}", LE: "不超过{}", GT: "超过{}", GE: "不低于{}"}


def is_measure(name: str) -> bool:
    """调解数, 配备率: a name a number can follow directly (规范执法、提升教育管理质量 is not)."""
    return name.endswith(MEASURE_ENDINGS)


def joined(name: str, label: str) -> str:
    """The name, then the label its value cell gives, without saying a word twice:
    社区法律顾问配备 + 配备率 → 社区法律顾问配备率; 法律援助投诉率 + 投诉率 → 法律援助投诉率."""
    for k in range(min(len(name), len(label)), 0, -1):
        if name.endswith(label[:k]):
            return name + label[k:]
    return name + label


def result_phrase(ind: IndicatorScore) -> str:
    """What one 三级指标 achieved, as a person writes it in 主要产出和效益: the name, then the
    achieved value with the unit the sheet uses (the target's when the actual has none).
    A value printed with an operator (``<1%``) says how it compares (低于1%), never reads as
    the target; an empty cell, a qualitative indicator or a placeholder ``0`` after a name that
    is no measure give the name alone."""
    name = _sentence(ind.name)
    raw = " ".join(ind.actual_text.split())
    if ind.kind != "quantitative" or not raw:
        return name
    try:
        actual = parse_value(raw)
    except CellValueError:
        return name
    if not isinstance(actual, Quantity):
        return name
    stem = joined(name, actual.label)
    if actual.unit:
        value = f"{format_number(actual.number)}{actual.unit}"
    else:
        if actual.number == 0 and not actual.operator and not actual.label and not is_measure(name):
            return name  # a 0 left in the cell of something that is not counted
        number = ind.actual if isinstance(ind.actual, Decimal) else actual.number  # in the target's unit
        value = f"{format_number(number)}{ind.unit}"
    if actual.operator in _COMPARED:
        return stem + _COMPARED[actual.operator].format(value)
    if not actual.unit and not ind.unit and not is_measure(stem):
        return f"{stem}完成值为{value}"  # 开展人员业务培训完成值为1: a bare number needs saying what it is
    return stem + value


@dataclass
class Review:
    """What a 自评综述 is written from (all text already public)."""

    kind: str
    name: str
    title: str  # 法治建设项目 / 朝阳市司法局
    total: str
    grade: str
    initial: str
    adjusted: str
    executed: str
    adjusted_differs: bool
    rate: str  # 完成预算的 …%
    rate_met: bool
    achieved: str  # 全年实际完成情况, as a clause ('' when the sheet has none)
    all_met: bool  # every indicator fully achieved (not merely rounding to 100%)
    outputs: list[str] = field(default_factory=list)  # 主要产出和效益: 三级指标 and what was achieved
    short: list[str] = field(default_factory=list)  # the 三级指标 not fully achieved
    problems: list[str] = field(default_factory=list)  # 问题及原因: the causes the sheet gives, and the facts
    remedies: list[str] = field(default_factory=list)  # 改进措施 the sheet gives (indicators', then the project's)
    no_budget: bool = False  # the 全年预算数 is 0 (cut to 0 during the year, or never given)
    behind: list[str] = field(default_factory=list)  # department: tasks below 100%
    department_budget: str = ""


def review_facts(result: SheetScore, project_cause: str | None = None,
                 project_remedy: str | None = None) -> tuple[Review, list[str]]:
    """The facts of one sheet's 自评综述, and the notes for the 问题清单 (a missing cause or
    remedy, the rate against the 年初预算数 when the budget was adjusted); ``project_cause``
    and ``project_remedy``: the project's own (the sheet-level 偏差原因 / 改进措施 rows), after the
    indicators'."""
    notes: list[str] = []
    short, problems, remedies = [], [], []
    for ind in result.indicators:
        if not ind.needs_explanation:
            continue
        cause, remedy = _sentence(ind.cause or ""), _sentence(ind.remedy or "")
        if ind.completion < ONE:
            short.append(ind.name)
            fact = f"{ind.name}完成值{_shown_actual(ind)}，未达到指标值{_shown_target(ind)}（完成程度{shown_completion(ind)}）"
            problems.append(f"{fact}，{cause}" if cause else fact)
        elif cause and cause not in problems:
            problems.append(cause)
        if remedy and remedy not in remedies:
            remedies.append(remedy)
        if not remedy and ind.completion < ONE:
            notes.append(f"第{ind.index}个指标「{ind.name}」未完全达成，缺少改进措施（remedy）：自评综述中未列改进措施")
    project_cause, project_remedy = _sentence(project_cause or ""), _sentence(project_remedy or "")
    if _NOTHING_WRONG.match(project_cause.replace(" ", "")):
        project_cause = ""
    if project_cause and project_cause not in problems:
        problems.append(project_cause)
    if project_remedy and project_remedy not in remedies:
        remedies.append(project_remedy)
    no_budget = result.budget_adjusted == 0
    rate_met = result.execution_rate >= HUNDRED
    if not rate_met and result.kind == "project" and not no_budget:
        problems.insert(0, f"预算执行率未达到100%（{format_number(result.execution_rate)}%）")
    if problems and not remedies and not notes:  # (an indicator short of its target has its own note)
        notes.append("列出了存在的问题，但缺少改进措施（remedy）：自评综述中未写「下一步改进措施」")
    # (an adjusted budget's rate against the 年初预算数 is the scoring's warning: the 问题清单 has it)
    outputs = [result_phrase(ind) for ind in result.indicators]
    behind = [f"{t.name}（{format_number(t.execution_rate)}%）" for t in result.tasks if t.execution_rate < HUNDRED]
    facts = Review(
        kind=result.kind, name=result.name,
        title=titled(result.name, "项目") if result.kind == "project" else result.name,
        total=format_number(result.total), grade=result.grade,
        initial=format_number(result.budget_initial), adjusted=format_number(result.budget_adjusted),
        executed=format_number(result.budget_executed), adjusted_differs=result.budget_adjusted != result.budget_initial,
        rate=format_number(result.execution_rate), rate_met=rate_met,
        achieved=_sentence(result.achieved or ""), all_met=all(i.completion >= ONE for i in result.indicators),
        outputs=outputs, short=short, problems=problems, remedies=remedies, behind=behind, no_budget=no_budget,
        department_budget=format_number(result.department_budget) if result.department_budget is not None else "",
    )
    return facts, notes


__all__ = ["Review", "review_facts", "style_text", "money", "titled",
           "chinese_number", "result_phrase"]
