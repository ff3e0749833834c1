"""Writing a scored sheet as JSON (docs/project-file.md) or as a terminal table.

Numbers are written from their Decimal text, never through float.
"""

from __future__ import annotations

from decimal import Decimal
from json.encoder import encode_basestring as _string  # json.dumps(…, ensure_ascii=False)'s own

from .policy import policy_label
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
    """The scored output object of docs/project-file.md."""
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
    """JSON with Decimals written as numbers from their exact text (``json.dumps(…,
    indent=2, ensure_ascii=False)``'s layout, the strings escaped by json's own C encoder)."""
    parts: list[str] = []
    _dump(value, " " * indent, "\n" + " " * (indent * _level), parts.append)
    return "".join(parts)


_SCALARS = {True: "true", False: "false", None: "null"}


def _dump(value: object, step: str, pad: str, put) -> None:
    kind = type(value)
    if kind is str:
        put(_string(value))
    elif kind is Decimal:
        put(format_number(value))
    elif kind is dict:
        if not value:
            put("{}")
            return
        inner, first = pad + step, "{"
        for key, item in value.items():
            put(first + inner + _string(str(key)) + ": ")
            first = ","
            _dump(item, step, inner, put)
        put(pad + "}")
    elif kind is list or kind is tuple:
        if not value:
            put("[]")
            return
        inner, first = pad + step, "["
        for item in value:
            put(first + inner)
            first = ","
            _dump(item, step, inner, put)
        put(pad + "]")
    elif kind is int:
        put(int.__repr__(value))
    elif value is None or kind is bool:
        put(_SCALARS[value])
    elif isinstance(value, str):  # a subclass: as its base
        put(_string(value))
    elif isinstance(value, int):
        put(int.__repr__(value))
    elif isinstance(value, (Decimal, dict, list, tuple)):
        _dump(Decimal(value) if isinstance(value, Decimal) else dict(value) if isinstance(value, dict) else list(value),
              step, pad, put)
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def failure_dict(failure) -> dict:
    """An ``errors.Failure`` for JSON (``score``/``audit --format json`` and the page): its
    file, project and unit, its lines, and each problem's parts as values (its 指标, 字段,
    单元格 and the field's path), as the 问题 sheet has them."""
    return {"file": failure.source, "name": failure.name or "", "unit": failure.unit or "",
            "error": "\n".join(str(p) for p in failure.problems),
            "problems": [{"message": p.message, "indicator": p.indicator or "", "field": p.field or "",
                          "cell": p.cell or "", "path": p.path or ""} for p in failure.problems]}


# -- terminal table -------------------------------------------------------------------------

NARROW = 100  # below this many columns, 一级/二级指标 leave the table for a heading line per group
GAP = "  "


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


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` display columns (wide characters count 2),
    broken between characters (Chinese has no spaces to break at)."""
    width = max(width, 2)
    lines, line, used = [], "", 0
    for ch in text:
        w = display_width(ch)
        if used + w > width and line:
            lines.append(line)
            line, used = "", 0
        line, used = line + ch, used + w
    return lines + [line] if line or not lines else lines


def wrap_line(line: str, width: int | None) -> list[str]:
    """One output line within ``width`` columns, continued with its indent and two spaces."""
    if width is None or display_width(line) <= width:
        return [line]
    indent = len(line) - len(line.lstrip(" "))
    hang = " " * min(indent + 2, width // 2)
    first, *rest = wrap(line, width)
    out = [first]
    if rest:
        out += [hang + part for part in wrap("".join(rest).lstrip(" "), width - len(hang))]
    out = [piece.rstrip() for piece in out]
    return out


def render_table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset(), max_width: int = 24,
                 wide: dict[int, int] | None = None, width: int | None = None, shrink: tuple[int, ...] = ()) -> str:
    """Columns aligned by display width (wide characters count 2).

    Without ``width`` (output that is not a terminal) each column is cut with … at its
    limit. With ``width``, the table fits it: the columns in ``shrink`` (in that order) give
    up width, and a cell longer than its column wraps inside it onto more lines."""
    if width is None:
        limits = [(wide or {}).get(i, max_width) for i in range(len(headers))]
        widths = [min(limits[i], max([display_width(h)] + [display_width(r[i]) for r in rows])) for i, h in enumerate(headers)]
        line = lambda cells: GAP.join(pad(c, w, i in right) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()  # noqa: E731
        rule = GAP.join("─" * w for w in widths)
        return "\n".join([line(headers), rule] + [line(r) for r in rows])
    widths = fitted_widths(headers, rows, width, shrink)
    head, rule, body = fitted_rows(headers, rows, right, widths)
    return "\n".join(head + [rule] + [line for row in body for line in row])


def fitted_widths(headers: list[str], rows: list[list[str]], width: int, shrink: tuple[int, ...]) -> list[int]:
    """Column widths that fit ``width``: the columns in ``shrink`` (in that order) give up
    width — the first down to half its natural width, then the others, then all down to
    their headers' widths."""
    natural = [max([display_width(h)] + [display_width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    floors = [display_width(h) for h in headers]
    widths = list(natural)
    over = sum(widths) + len(GAP) * (len(widths) - 1) - width
    for i in shrink:  # the first of ``shrink`` gives up to half its width, then the next …
        if over <= 0:
            break
        floor = max(floors[i], min(natural[i], 12), natural[i] // 2 if i == shrink[0] else 0)
        give = min(over, widths[i] - floor)
        widths[i] -= max(give, 0)
        over -= max(give, 0)
    for i in shrink:  # still too wide: down to the headers' widths
        if over <= 0:
            break
        give = min(over, widths[i] - floors[i])
        widths[i] -= max(give, 0)
        over -= max(give, 0)
    return widths


def fitted_rows(headers: list[str], rows: list[list[str]], right: set[int], widths: list[int]
                ) -> tuple[list[str], str, list[list[str]]]:
    """The header's lines, the rule, and each row's lines, every cell wrapped in its column."""
    def lines(cells: list[str]) -> list[str]:
        parts = [wrap(c, w) for c, w in zip(cells, widths)]
        height = max(len(p) for p in parts)
        return [GAP.join(pad(p[k] if k < len(p) else "", w, i in right) for i, (p, w) in enumerate(zip(parts, widths))).rstrip()
                for k in range(height)]

    return lines(headers), GAP.join("─" * w for w in widths), [lines(r) for r in rows]


def terminal_width(stream=None) -> int | None:
    """The columns to fit: ``COLUMNS`` when set, else the terminal's width when ``stream``
    (stdout) is a terminal; None (plain, unfitted output) otherwise."""
    import os
    import shutil
    import sys

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), 40)
    stream = stream or sys.stdout
    if hasattr(stream, "isatty") and stream.isatty():
        return max(shutil.get_terminal_size().columns, 40)
    return None


def format_text(result: SheetScore, explain: bool = False, width: int | None = None) -> str:
    """The scored sheet for a terminal: the indicator tree, execution, total, grade, findings.
    ``width`` (a terminal's columns) makes every line fit it; below ``NARROW`` columns the
    一级/二级指标 move from the table to a line above each group of rows."""
    kind = "部门(单位)整体绩效自评表" if result.kind == "department" else "预算项目(政策)绩效自评表"
    out = [f"{kind}: {result.name}" + (f"（{result.year} 年度）" if result.year else "")]
    meta = [f"{k} {v}" for k, v in (("主管部门", result.department), ("实施单位", result.unit)) if v]
    if meta:
        out.append("  ".join(meta))
    out.append(f"评分规则: {policy_label(result.policy)}    来源: {result.source}")
    out.append("")
    if result.tasks:
        rows = [[t.name, format_fixed(t.budget), format_fixed(t.executed), f"{format_number(t.execution_rate)}%",
                 format_number(t.weight), format_fixed(t.score)] for t in result.tasks]
        out.append(render_table(["年度主要任务", "下达金额", "执行金额", "执行率", "分值", "得分"], rows, {1, 2, 3, 4, 5}, 36,
                                width=width, shrink=(0,)))
        out.append("")
    out.append(_indicator_table(result, width))
    out.append("")
    if result.kind == "project":
        # both, always: a form's one 预算数 is the 全年预算数 the 执行率 divides by (forms/project._lone)
        budget = f"年初预算数 {format_number(result.budget_initial)} 万元  全年预算数 {format_number(result.budget_adjusted)} 万元"
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
    text = "\n".join(out)
    return "\n".join(piece for line in text.split("\n") for piece in wrap_line(line, width)) if width else text


def _indicator_table(result: SheetScore, width: int | None) -> str:
    headers = ["一级指标", "二级指标", "三级指标", "指标值", "全年完成值", "完成程度", "分值", "得分"]
    rows, last = [], ("", "")
    for ind in result.indicators:
        l1 = ind.level1 if ind.level1 != last[0] else ""
        l2 = ind.level2 if (ind.level1, ind.level2) != last else ""
        last = (ind.level1, ind.level2)
        mark = " *" if ind.needs_explanation else ""
        rows.append([l1, l2, ind.name + mark, ind.target_text, ind.actual_text, f"{format_fixed(ind.completion_pct)}%",
                     format_number(ind.weight), format_fixed(ind.score)])
    if width is None:  # 三级指标 names are what a reader looks for: they get the widest column
        return render_table(headers, rows, {5, 6, 7}, max_width=24, wide={2: 40})
    if width >= NARROW:
        return render_table(headers, rows, {5, 6, 7}, width=width, shrink=(2, 4, 3, 1, 0))
    # narrow: 一级 / 二级 on a line of their own above their rows; the table keeps the rest
    cells = [r[2:] for r in rows]
    widths = fitted_widths(headers[2:], cells, width - 2, (0, 2, 1))
    head, rule, body = fitted_rows(headers[2:], cells, {3, 4, 5}, widths)
    out = ["  " + line for line in head + [rule]]
    for ind, row, lines in zip(result.indicators, rows, body):
        if row[0] or row[1]:
            out += wrap_line("  ".join(p for p in (ind.level1, ind.level2) if p) + "：", width)
        out += ["  " + line for line in lines]
    return "\n".join(out)


def _show(value: Decimal | str) -> str:
    return format_number(value) if isinstance(value, Decimal) else str(value)
