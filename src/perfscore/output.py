"""Writing a scored sheet as JSON (PROJECT_FILE.md) or as a terminal table.

Numbers are written from their Decimal text, never through float.
"""

from __future__ import annotations

import json
from decimal import Decimal

from .scoring import IndicatorScore, SheetScore
from .textwidth import display_width
from .values import format_fixed, format_number, quantize


# -- JSON ---------------------------------------------------------------------------------

def _number(value: Decimal) -> Decimal:
    return quantize(Decimal(value), 2)


def _cell(value: Decimal | str) -> Decimal | str:
    return _number(value) if isinstance(value, Decimal) else value


def indicator_dict(ind: IndicatorScore) -> dict:
    return {
        "level1": ind.level1, "level2": ind.level2, "name": ind.name,
        "operator": ind.operator, "target": _cell(ind.target), "unit": ind.unit, "actual": _cell(ind.actual),
        "completion": ind.completion_pct, "weight": _number(ind.weight), "score": ind.score,
        "needs_explanation": ind.needs_explanation, "warnings": list(ind.warnings),
    }


def result_dict(result: SheetScore) -> dict:
    """The scored output object of PROJECT_FILE.md."""
    return {
        "kind": result.kind,
        "name": result.name,
        "execution_rate": _number(result.execution_rate),
        "execution_score": result.execution_score,
        "indicator_score": result.indicator_score,
        "deduction": _number(result.deduction),
        "total": result.total,
        "grade": result.grade,
        "indicators": [indicator_dict(i) for i in result.indicators],
        "tasks": [
            {"name": t.name, "budget": _number(t.budget), "executed": _number(t.executed),
             "execution_rate": _number(t.execution_rate),
             "weight": t.weight, "score": t.score}
            for t in result.tasks
        ],
        "warnings": list(result.warnings),
        "discrepancies": [
            {"field": d.field, "reported": _cell(d.reported), "computed": _cell(d.computed)} for d in result.discrepancies
        ],
    }


def dumps(value: object, indent: int = 2, _level: int = 0) -> str:
    """JSON with Decimals written as numbers from their exact text."""
    pad, inner = " " * (indent * _level), " " * (indent * (_level + 1))
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {dumps(v, indent, _level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + dumps(v, indent, _level + 1) for v in value) + f"\n{pad}]"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


# -- terminal table -------------------------------------------------------------------------

def fit(text: str, width: int) -> str:
    """Truncate to ``width`` display columns (wide characters count 2)."""
    if display_width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out, used = out + ch, used + w
    return out + "…"


def pad(text: str, width: int, right: bool = False) -> str:
    text = fit(text, width)
    space = " " * (width - display_width(text))
    return space + text if right else text + space


def render_table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset(), max_width: int = 24,
                 wide: dict[int, int] | None = None) -> str:
    """Columns aligned by display width (wide characters count 2), cut with … at their limit."""
    limits = [(wide or {}).get(i, max_width) for i in range(len(headers))]
    widths = [min(limits[i], max([display_width(h)] + [display_width(r[i]) for r in rows])) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(pad(c, w, i in right) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()  # noqa: E731
    rule = "  ".join("─" * w for w in widths)
    return "\n".join([line(headers), rule] + [line(r) for r in rows])


def format_text(result: SheetScore, explain: bool = False) -> str:
    """The scored sheet for a terminal: the indicator tree, execution, total, grade, findings."""
    kind = "部门(单位)整体绩效自评表" if result.kind == "department" else "预算项目(政策)绩效自评表"
    out = [f"{kind}: {result.name}" + (f"（{result.year} 年度）" if result.year else "")]
    meta = [f"{k} {v}" for k, v in (("主管部门", result.department), ("实施单位", result.unit)) if v]
    if meta:
        out.append("  ".join(meta))
    out.append(f"评分规则: {result.policy}    来源: {result.source}")
    out.append("")
    if result.tasks:
        rows = [[t.name, format_fixed(t.budget), format_fixed(t.executed), f"{format_number(t.execution_rate)}%",
                 format_number(t.weight), format_fixed(t.score)] for t in result.tasks]
        out.append(render_table(["年度主要任务", "下达金额", "执行金额", "执行率", "分值", "得分"], rows, {1, 2, 3, 4, 5}, 36))
        out.append("")
    rows, last = [], ("", "")
    for ind in result.indicators:
        l1 = ind.level1 if ind.level1 != last[0] else ""
        l2 = ind.level2 if (ind.level1, ind.level2) != last else ""
        last = (ind.level1, ind.level2)
        mark = " *" if ind.needs_explanation else ""
        rows.append([l1, l2, ind.name + mark, ind.target_text, ind.actual_text, f"{format_fixed(ind.completion_pct)}%",
                     format_number(ind.weight), format_fixed(ind.score)])
    # 三级指标 names are what a reader looks for: they get the widest column
    out.append(render_table(["一级指标", "二级指标", "三级指标", "指标值", "全年完成值", "完成程度", "分值", "得分"], rows, {5, 6, 7},
                            max_width=24, wide={2: 40}))
    out.append("")
    if result.kind == "project":
        budget = f"年初预算数 {format_number(result.budget_initial)} 万元"
        if result.budget_adjusted != result.budget_initial:
            budget += f"  全年预算数 {format_number(result.budget_adjusted)} 万元"
        out.append(f"{budget}  全年执行数 {format_number(result.budget_executed)} 万元")
    out.append(f"预算执行率 {format_number(result.execution_rate)}%  分值 {format_number(result.execution_weight)}  得分 {format_fixed(result.execution_score)}")
    out.append(f"指标自评得分小计 {format_fixed(result.indicator_score)}  减分项 {format_number(result.deduction)}")
    out.append(f"总分 {format_fixed(result.total)}  等级 {result.grade}")
    needing = result.needing_explanation()
    if needing:
        out.append("")
        out.append("需填写偏差原因和改进措施（* 标记）:")
        for i in needing:
            why = "完成值超过「=」指标值" if i.exceeded else f"完成程度 {format_fixed(i.completion_pct)}%"
            out.append(f"  第{i.index}个指标「{i.name}」{why}" + ("" if i.cause else "，尚未填写偏差原因"))
    if explain:
        out.append("")
        out.append("计算过程:")
        out.extend(f"  {t.explanation}" for t in result.tasks)
        out.append(f"  {result.execution_explanation}")
        out.extend(f"  {i.explanation}" for i in result.indicators)
        out.append(
            f"  总分 = {format_fixed(result.execution_score)} + {format_fixed(result.indicator_score)} − "
            f"{format_number(result.deduction)} = {format_fixed(result.total)} → {result.grade}"
        )
    if result.warnings:
        out.append("")
        out.append(f"提示（{len(result.warnings)} 条）:")
        out.extend(f"  - {w}" for w in result.warnings)
    if result.discrepancies:
        out.append("")
        out.append(f"与原表不一致（{len(result.discrepancies)} 处）:")
        out.extend(
            f"  - {d.label}: 原表 {_show(d.reported)}，应为 {_show(d.computed)}" for d in result.discrepancies
        )
    return "\n".join(out)


def _show(value: Decimal | str) -> str:
    return format_number(value) if isinstance(value, Decimal) else str(value)
