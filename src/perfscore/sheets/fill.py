"""Scored sheets → the 绩效自评表 template (``perfscore fill``).

This module only maps a ``SheetScore`` onto the template map's field names; the
template machinery (``template.py``) writes the workbook and never computes a score.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ..errors import OutputError
from ..resources import templates_dir
from ..scoring import SheetScore
from ..terms import HUNDRED, STANDARD_TREE
from ..xlsx.template import CompiledTemplate, SheetData, compile_template

TEMPLATE_NAMES = {"project": "project_sheet.xlsx", "department": "department_sheet.xlsx"}

# The standard indicator tree, pre-printed on a blank sheet (perfscore init).
BLANK_ROWS = [(level1, level2) for level1, level2s in STANDARD_TREE for level2 in level2s]


def default_template(kind: str) -> Path:
    return templates_dir() / TEMPLATE_NAMES[kind]


def template_for(kind: str, template: Path | str | None = None) -> CompiledTemplate:
    return compile_template(Path(template) if template else default_template(kind))


def _fraction(percent: Decimal) -> Decimal:
    return percent / HUNDRED


def sheet_data(result: SheetScore) -> SheetData:
    """The template's fields and table rows for one scored sheet."""
    fields: dict[str, object] = {
        "name": result.name,
        "department": result.department,
        "unit": result.unit,
        "year": result.year,
        "goal": result.goal,
        "achieved": result.achieved,
        "execution_rate": _fraction(result.execution_rate),
        "execution_weight": result.execution_weight,
        "execution_score": result.execution_score,
        "indicator_score": result.indicator_score,
        "deduction": result.deduction,
        "total": result.total,
        "grade": result.grade,
        # a department file has no 部门年初预算支出金额 (only its tasks' amounts): leave it to the unit
        "budget_initial": result.budget_initial if result.kind == "project" else None,
        "budget_adjusted": result.budget_adjusted,
        "budget_executed": result.budget_executed,
    }
    indicators = [
        {
            "level1": ind.level1,
            "level2": ind.level2,
            "name": ind.name,
            "operator": ind.operator or "",
            "target": ind.target,
            "unit": ind.unit,
            "actual": ind.actual,
            "completion": _fraction(ind.completion_pct),
            "weight": ind.weight,
            "score": ind.score,
            "cause": ind.cause,
            "remedy": ind.remedy,
        }
        for ind in result.indicators
    ]
    tables: dict[str, list[dict[str, object]]] = {"indicators": indicators}
    if result.kind == "department":
        tables["tasks"] = [
            {"name": t.name, "budget": t.budget, "executed": t.executed, "rate": _fraction(t.execution_rate),
             "weight": t.weight, "score": t.score}
            for t in result.tasks
        ]
    return SheetData(fields=fields, tables=tables)


def blank_data(kind: str = "project") -> SheetData:
    """A sheet to fill in by hand: the standard indicator tree, nothing else."""
    rows = [{"level1": l1, "level2": l2} for l1, l2 in BLANK_ROWS]
    tables: dict[str, list[dict[str, object]]] = {"indicators": rows}
    if kind == "department":
        tables["tasks"] = [{} for _ in range(4)]
    return SheetData(fields={}, tables=tables)


def check_output(out: Path, inputs: list[Path]) -> None:
    """Never overwrite an input."""
    resolved = out.resolve()
    for path in inputs:
        if Path(path).resolve() == resolved:
            raise OutputError(f"输出文件 {out} 与输入文件相同：不会覆盖输入，请换一个输出路径")


def fill_sheet(result: SheetScore, out: Path | str, template: Path | str | None = None) -> Path:
    """Write one scored sheet into its template, atomically."""
    out = Path(out)
    template_for(result.kind, template).write(sheet_data(result), out)
    return out


def write_blank(out: Path | str, kind: str = "project") -> Path:
    """``perfscore init``: a blank .xlsx sheet, or a commented .yaml project file."""
    from ..writing import atomic_write_bytes

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        template_for(kind).write(blank_data(kind), out)
    elif suffix in (".yaml", ".yml"):
        atomic_write_bytes(out, (templates_dir() / f"{kind}_template.yaml").read_bytes())
    else:
        raise OutputError(f"输出文件 {out}: 请使用 .xlsx（空白自评表）或 .yaml（项目文件）扩展名")
    return out
