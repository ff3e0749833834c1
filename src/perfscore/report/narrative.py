"""The narrative of the 预算绩效情况说明: the facts each 自评综述 and each 说明 paragraph is
written from, and the style templates that word them (seed 000 §（四）, seed 004 §十三).

Python prepares the facts (amounts, rates, the outputs, the problems and remedies a sheet
gives); a style template — ``templates/report_style.<name>.j2``, or a province's own copy
named by the policy's ``report_style`` — arranges them into words. Public text never holds
a placeholder or an audit hint: what a sheet leaves out, or what a reviewer should check, is
returned as a note for the 问题清单 instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from ..scoring import IndicatorScore, SheetScore
from ..terms import HUNDRED
from ..values import format_number
from .styles import chinese_number, style_text

ONE = Decimal(1)


def money(value: Decimal) -> str:
    return f"{format_number(value)}万元"


def _sentence(text: str) -> str:
    """User text as a clause: whitespace collapsed, trailing punctuation dropped."""
    return " ".join(text.split()).rstrip("，,。.；;、：: ")


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
    """完成程度 as public text: a completion short of 100% never prints as 100% (19999 of
    ≥ 20000 is 99.99%, not the 100.00% that rounding gives)."""
    if ind.completion < ONE:
        return f"{format_number((ind.completion * HUNDRED).quantize(Decimal('0.01'), rounding=ROUND_DOWN))}%"
    return f"{format_number(ind.completion_pct)}%"


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
    remedies: list[str] = field(default_factory=list)  # 改进措施 the sheet gives
    behind: list[str] = field(default_factory=list)  # department: tasks below 100%
    department_budget: str = ""


def review_facts(result: SheetScore) -> tuple[Review, list[str]]:
    """The facts of one sheet's 自评综述, and the notes for the 问题清单 (a missing cause or
    remedy, the rate against the 年初预算数 when the budget was adjusted)."""
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
    rate_met = result.execution_rate >= HUNDRED
    if not rate_met and result.kind == "project":
        problems.insert(0, f"预算执行率未达到100%（{format_number(result.execution_rate)}%）")
    # (an adjusted budget's rate against the 年初预算数 is the scoring's warning: the 问题清单 has it)
    outputs = [_sentence(ind.name + ("".join(ind.actual_text.split()) if ind.kind == "quantitative" else ""))
               for ind in result.indicators]
    behind = [f"{t.name}（{format_number(t.execution_rate)}%）" for t in result.tasks if t.execution_rate < HUNDRED]
    facts = Review(
        kind=result.kind, name=result.name,
        title=titled(result.name, "项目") if result.kind == "project" else result.name,
        total=format_number(result.total), grade=result.grade,
        initial=format_number(result.budget_initial), adjusted=format_number(result.budget_adjusted),
        executed=format_number(result.budget_executed), adjusted_differs=result.budget_adjusted != result.budget_initial,
        rate=format_number(result.execution_rate), rate_met=rate_met,
        achieved=_sentence(result.achieved or ""), all_met=all(i.completion >= ONE for i in result.indicators),
        outputs=outputs, short=short, problems=problems, remedies=remedies, behind=behind,
        department_budget=format_number(result.department_budget) if result.department_budget is not None else "",
    )
    return facts, notes


def project_review(result: SheetScore, style: str = "liaoning") -> str:
    """The 自评综述 body of a project sheet, after its lead, in ``style``."""
    return style_text(style, "project", review_facts(result)[0])


def department_review(result: SheetScore, style: str = "liaoning") -> str:
    """The 自评综述 body of a department (整体) sheet, in ``style``."""
    return style_text(style, "department", review_facts(result)[0])


__all__ = ["Review", "review_facts", "project_review", "department_review", "style_text", "money", "titled",
           "chinese_number"]
