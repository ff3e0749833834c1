"""The narrative of the 预算绩效情况说明: each sheet's 自评综述 and the overview paragraph
(seed 000 §（四）, seed 004 §十三).
"""

from __future__ import annotations

from decimal import Decimal

from ..scoring import IndicatorScore, SheetScore
from ..terms import HUNDRED
from ..values import format_number, quantize


UNFILLED = "未填写"


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
        text += (f"项目年初预算数为{money(result.budget_initial)}，全年预算数调整为{money(result.budget_adjusted)}，"
                 f"全年执行数为{money(result.budget_executed)}，完成预算的{rate}")
        if result.budget_initial:
            against = quantize(result.budget_executed / result.budget_initial * HUNDRED, 2)
            text += f"（按年初预算数计算为{format_number(against)}%）"
        text += "。"
    else:
        text += (f"项目全年预算数为{money(result.budget_adjusted)}，全年执行数为{money(result.budget_executed)}，"
                 f"完成预算的{rate}。")
    if result.achieved and _sentence(result.achieved):
        text += f"项目绩效目标完成情况：{_sentence(result.achieved)}。"
    return text + _indicator_text(result)


def department_review(result: SheetScore) -> str:
    """The 自评综述 body of a department (整体) sheet."""
    text = (f"根据年初设定的绩效目标，整体绩效自评得分{format_number(result.total)}分（等级：{result.grade}）。"
            f"年度主要任务预算数合计{money(result.budget_adjusted)}，执行数合计{money(result.budget_executed)}，"
            f"执行率{format_number(result.execution_rate)}%。")
    behind = [f"{t.name}（{format_number(t.execution_rate)}%）" for t in result.tasks if t.execution_rate < HUNDRED]
    if behind:
        text += f"执行率未达到100%的任务：{'、'.join(behind)}。"
    if result.achieved and _sentence(result.achieved):
        text += f"全年实际完成情况：{_sentence(result.achieved)}。"
    return text + _indicator_text(result)



