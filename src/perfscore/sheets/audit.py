"""Auditing handed-in sheets: recompute every score and list each printed number the
rules do not give, with its cell address (``perfscore audit``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from decimal import Decimal

from ..policy import Policy
from ..scoring import Discrepancy, SheetScore, pct, score_sheet
from ..xlsx.formulas import normalize_formula
from .formulas import Emitter
from ..xlsx.reader import ReadSheet
from ..xlsx.refs import split_addr
from ..xlsx.template import CompiledTemplate
from .fill import formula_row, rules_for
from .templates import FilledSheet

HUNDRED = Decimal(100)


# the hidden helper cells of an indicator row (formulas over its printed cells)
HELPER_LABELS = {"_operator": "运算符号", "_target": "指标值数字", "_actual": "完成值数字"}

# discrepancy field → (table, column) or field name in the template map
_COLUMN = {"score": "score", "completion": "completion", "execution_rate": "rate"}
_PATH = re.compile(r"^(indicators|tasks)\[(\d+)\]\.(\w+)$")


@dataclass(frozen=True)
class Finding:
    """One printed value that differs from what the rules give."""

    file: str
    cell: str  # "J14", or "" when the sheet has no such cell
    discrepancy: Discrepancy

    def line(self) -> str:
        d = self.discrepancy
        where = f"{self.file} {self.cell}".rstrip()
        return f"{where} {d.label}: 原表 {_show(d.reported)}，应为 {_show(d.computed)}"


@dataclass
class AuditResult:
    file: str
    result: SheetScore
    findings: list[Finding]

    def as_dict(self) -> dict:
        """For ``audit --format json``: the file, the recomputed total and each finding."""
        return {
            "file": self.file,
            "total": self.result.total,
            "grade": self.result.grade,
            "findings": [
                {"cell": f.cell, "field": f.discrepancy.field, "label": f.discrepancy.label,
                 "reported": f.discrepancy.reported, "computed": f.discrepancy.computed}
                for f in self.findings
            ],
        }


def _show(value) -> str:
    from ..values import format_number

    return value if isinstance(value, str) else format_number(value)


def _cell_of(read: ReadSheet, field: str, rows: dict[str, list[int]]) -> str:
    match = _PATH.match(field)
    if match:
        table, index, column = match.group(1), int(match.group(2)), match.group(3)
        positions = rows.get(table, [])
        if index < len(positions):
            cell = read.tables[table][positions[index]].get(_COLUMN.get(column, column))
            return cell.ref if cell is not None else ""
        return ""
    cell = read.fields.get(field)
    return cell.ref if cell is not None else ""


def audit_filled(filled: FilledSheet, source: str, result: SheetScore, policy: Policy) -> list[Finding]:
    """Every difference of a sheet filled from a template (as read: ``filled``, scored:
    ``result``) with its cell address, and every hand edit of its live formulas."""
    read = filled.read
    # which sheet rows became indicators/tasks (blank rows are skipped on import)
    rows = {
        "indicators": [i for i, r in enumerate(read.tables.get("indicators", [])) if r.get("name") and r["name"].value not in (None, "")],
        "tasks": [i for i, r in enumerate(read.tables.get("tasks", [])) if r.get("name") and r["name"].value not in (None, "")],
    }
    findings = [Finding(source, _cell_of(read, d.field, rows), d) for d in result.discrepancies]
    return findings + formula_findings(Path(source), read, result, policy, filled.template, rows)


def audit_input(item, policy: Policy | None = None) -> AuditResult:
    """Recompute one read sheet (an ``inputs.Input``: a filled sheet, an official form, a
    flat-workbook row or a project file with reported values) and list every difference with
    the cell it was read from; a sheet filled from a template (``item.read``, read once by
    ``inputs``) also has its formulas checked."""
    policy = policy or item.policy
    result = score_sheet(item.sheet, policy, item.source, item.notes)
    if isinstance(item.read, FilledSheet):
        return AuditResult(item.source, result, audit_filled(item.read, item.source, result, policy))
    findings = [Finding(item.source, item.cell_of(d.field), d) for d in result.discrepancies]
    return AuditResult(item.source, result, findings)


def _ref_row(ref: str) -> int:
    return split_addr(ref)[1]


class _Layout:
    """The formulas perfscore writes into one layout (a template, its tables' row counts and
    the policy's numbers), each built and normalised once however many sheets share it."""

    def __init__(self, em: Emitter):
        self.em = em
        self.fields = em.fields()
        self.places = {name: em.p.fields(name) for name in self.fields}
        self._memo: dict[tuple, str | None] = {}

    def formula(self, what: str, *args) -> str | None:
        key = (what, *args)
        try:
            return self._memo[key]
        except KeyError:
            text = self._memo[key] = getattr(self.em, what)(*args)
            return text


_LAYOUTS: dict[tuple, _Layout] = {}
_LAYOUTS_SIZE = 64   # a layout keeps ~50 KB of formula text
_RULES: dict[tuple[int, str], tuple[Policy, object]] = {}


def _layout(compiled: CompiledTemplate, counts: dict[str, int], policy: Policy, kind: str) -> _Layout:
    """The cached ``_Layout`` of a sheet (bounded: cleared past ``_LAYOUTS_SIZE`` layouts)."""
    held = _RULES.get((id(policy), kind))
    if held is None or held[0] is not policy:   # the policy object itself is kept, so its id is never reused
        if len(_RULES) >= _LAYOUTS_SIZE:
            _RULES.clear()
        held = _RULES[(id(policy), kind)] = (policy, rules_for(policy, kind))
    rules = held[1]
    key = (id(compiled), compiled.path, tuple(sorted(counts.items())), rules)
    found = _LAYOUTS.get(key)
    if found is None or found.em.p.map is not compiled.map:
        if len(_LAYOUTS) >= _LAYOUTS_SIZE:
            _LAYOUTS.clear()
        found = _LAYOUTS[key] = _Layout(Emitter(compiled.places(dict(counts)), rules))
    return found


def formula_findings(path: Path, read: ReadSheet, result: SheetScore, policy: Policy, compiled: CompiledTemplate,
                     rows: dict[str, list[int]]) -> list[Finding]:
    """Hand edits of the live formulas: a value typed over a formula cell, a formula that is
    not the one perfscore writes, a formula without a cached value, a formula where perfscore
    writes a value (完成程度 of a qualitative row)."""
    lay = _layout(compiled, read.counts, policy, result.kind)
    em, formula = lay.em, lay.formula
    expected: list[tuple[str, str | None, str, object]] = []   # (cell, formula or None, what, computed value)
    field_labels = {"execution_rate": "预算执行率", "execution_score": "预算执行率得分" if result.kind == "project" else "预算执行得分",
                    "indicator_score": "指标自评得分小计", "total": "总分", "grade": "等级"}
    computed_fields = {"execution_rate": pct(result.execution_rate), "execution_score": result.execution_score,
                       "indicator_score": result.indicator_score, "total": result.total, "grade": result.grade}
    for name, text in lay.fields.items():
        for ref in lay.places[name]:
            expected.append((ref, text, field_labels[name], computed_fields[name]))
    first = {t: em.p.row(t, 0) for t in read.counts if t in compiled.map.tables}

    def placed(items: list, table: str):
        """(item, its row's cells, its row's index in the table) of each item the sheet has a row for."""
        for item, position in zip(items, rows.get(table, [])):
            cells = read.tables[table][position]
            yield item, cells, _ref_row(next(iter(cells.values())).ref) - first[table]

    for ind, cells, i in placed(result.indicators, "indicators"):
        where = f"第{ind.index}个指标「{ind.name}」"
        for key, what in HELPER_LABELS.items():
            if key in cells:
                text = formula("helper", key, i)
                if text:
                    expected.append((cells[key].ref, text, f"{where}隐藏辅助列（{what}）", cells[key].value or ""))
        if "completion" in cells:
            expected.append((cells["completion"].ref, formula("completion", i) if formula_row(ind) else None,
                             where + "完成程度", pct(ind.completion_pct)))
        if "score" in cells:
            text = formula("score", i, ind.weight)
            if text:
                split = formula("score", i, None)   # no 分值 column: a blank form's split formula
                found = read.formulas.get(cells["score"].ref)
                if split and found is not None and (found == split or normalize_formula(found) == normalize_formula(split)):
                    text = split
                expected.append((cells["score"].ref, text, where + "得分", ind.score))
    for task, cells, i in placed(result.tasks, "tasks"):
        where = f"第{task.index}个任务「{task.name}」"
        if "rate" in cells:
            text = formula("task_rate", i)
            if text:
                expected.append((cells["rate"].ref, text, where + "执行率", pct(task.execution_rate)))
        if "score" in cells:
            text = formula("task_score", i)
            if text:
                expected.append((cells["score"].ref, text, where + "得分", task.score))
    out: list[Finding] = []
    expected.sort(key=lambda e: split_addr(e[0])[::-1])   # reading order: row, then column
    for ref, text, what, value in expected:
        found = read.formulas.get(ref)
        if text is None:
            if found is not None:
                out.append(_formula_finding(path, ref, f"{what}（应为填写的数值，原表为公式）", "=" + found, _show_value(value)))
            continue
        if found is None:
            shown = read.value_at(ref)
            out.append(_formula_finding(path, ref, f"{what}（公式被改成了数值）" if shown is not None else f"{what}（公式被删除）",
                                        _show_value(shown) if shown is not None else "（空）", "公式 =" + text))
        elif found != text and normalize_formula(found) != normalize_formula(text):
            out.append(_formula_finding(path, ref, f"{what}（公式与 perfscore 写入的不同）", "=" + found, "=" + text))
        elif ref in read.uncached:
            out.append(_formula_finding(path, ref, f"{what}（公式没有缓存值：程序修改后未重新计算，请在 Excel/WPS 中打开并保存）",
                                        "（空）", _show_value(value)))
    return out


def _show_value(value: object) -> str:
    from ..values import format_number

    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


def _formula_finding(path: Path, ref: str, label: str, reported: str, computed: str) -> Finding:
    return Finding(str(path), ref, Discrepancy(f"cell:{ref}", reported, computed, label))
