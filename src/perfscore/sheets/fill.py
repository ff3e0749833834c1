"""Scored sheets → the 绩效自评表 template (``perfscore fill``).

This module only maps a ``SheetScore`` onto the template map's field names; the
template machinery (``template.py``) writes the workbook and never computes a score.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ..errors import OutputError, SheetError
from ..model import Sheet
from ..policy import Policy
from ..resources import templates_dir
from ..scoring import SheetScore
from ..terms import HUNDRED, STANDARD_TREE
from ..xlsx.maps import TableMap
from ..xlsx.template import CompiledTemplate, SheetData, compile_template

# the shipped templates, by the name ``fill -t`` / ``init -t`` and a policy's ``template`` take
TEMPLATE_NAMES = {
    "project": "project_sheet.xlsx",
    "department": "department_sheet.xlsx",
    "national": "national_project.xlsx",
    "national_department": "national_department.xlsx",
    "liaoning": "liaoning_project.xlsx",
    "hubei": "hubei_project.xlsx",
    "shanxi": "shanxi_project.xlsx",
}

# The standard indicator tree, pre-printed on a blank sheet (perfscore init).
BLANK_ROWS = [(level1, level2) for level1, level2s in STANDARD_TREE for level2 in level2s]


def default_template(kind: str) -> Path:
    return templates_dir() / TEMPLATE_NAMES[kind]


def default_map(name: str) -> Path:
    """The map beside a shipped template."""
    xlsx = templates_dir() / TEMPLATE_NAMES[name]
    return xlsx.with_name(xlsx.stem + ".map.yaml")


def resolve_template(template: Path | str | None) -> Path | None:
    """A shipped template's name (``hubei``) → its file; anything else is a path."""
    if template is None:
        return None
    name = str(template)
    if name in TEMPLATE_NAMES:
        return templates_dir() / TEMPLATE_NAMES[name]
    path = Path(template)
    if not path.suffix and not path.exists():  # a misspelt name, not a file
        raise SheetError(f"模板「{name}」既不是内置模板（{'、'.join(TEMPLATE_NAMES)}）也不是存在的模板文件")
    return path


def template_for(kind: str, template: Path | str | None = None) -> CompiledTemplate:
    resolved = resolve_template(template)
    compiled = compile_template(resolved if resolved is not None else default_template(kind))
    check_map_names(compiled)
    return compiled


# What a map may name: the fields and table columns perfscore writes and reads (templates/README.md).
MAP_FIELDS = frozenset({
    "year", "name", "department", "unit", "budget_initial", "budget_adjusted", "budget_executed",
    "execution_rate", "execution_weight", "execution_score", "goal", "achieved", "indicator_score",
    "deduction", "total", "grade",
})
MAP_COLUMNS = {
    "indicators": frozenset({"level1", "level2", "name", "operator", "target", "target_initial", "unit", "actual",
                             "completion", "weight", "score", "cause", "remedy"}),
    "tasks": frozenset({"name", "budget", "executed", "rate", "weight", "score"}),
}


def check_map_names(compiled: CompiledTemplate) -> None:
    """A misspelt field, table or column in a map (``wieght``) is an error naming the map and
    the key, never a column silently left out (the weights would fall back to the split)."""
    label = f"模板映射 {Path(compiled.map.source).name if compiled.map.source else compiled.path.name}"
    problems = [f"{label} 键 fields.{name}: 未知的字段名（可用：{'、'.join(sorted(MAP_FIELDS))}）"
                for name in compiled.map.fields if name not in MAP_FIELDS]
    for table, layout in compiled.map.tables.items():
        known = MAP_COLUMNS.get(table)
        if known is None:
            problems.append(f"{label} 键 tables.{table}: 未知的表格名（可用：{'、'.join(MAP_COLUMNS)}）")
            continue
        problems += [f"{label} 键 tables.{table}.columns.{name}: 未知的列名（可用：{'、'.join(sorted(known))}）"
                     for name in layout.columns if name not in known]
    if problems:
        raise SheetError(problems)


def template_kind(compiled: CompiledTemplate) -> str:
    """A template is a department sheet when its map has a ``tasks`` table."""
    return "department" if "tasks" in compiled.map.tables else "project"


def policy_template(policy: Policy | None, kind: str) -> str | None:
    """The template a policy fills by default for a kind (``template: {project: hubei}``)."""
    return policy.template.get(kind) if policy is not None else None


def _fraction(percent: Decimal) -> Decimal:
    return percent / HUNDRED


def _joined(*parts: str | None) -> str | None:
    text = "\n".join(p for p in parts if p and p.strip())
    return text or None


def sheet_data(result: SheetScore, layout: TableMap | None = None,
               targets_initial: list[str | None] | None = None) -> SheetData:
    """The template's fields and table rows for one scored sheet. ``layout`` is the map's
    indicator table: with a combined target column (年度指标值 ``≥95%``, no operator/unit
    columns) the target and the actual are written as text; with a cause column and no
    remedy column (偏差原因分析及改进措施) the remedy follows the cause in it.
    ``targets_initial``: each indicator's 年初指标值 (target_initial), where known."""
    combined = layout is not None and layout.combined_target
    joined = layout is not None and "cause" in layout.columns and "remedy" not in layout.columns
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
    indicators = []
    for i, ind in enumerate(result.indicators):
        initial = targets_initial[i] if targets_initial and i < len(targets_initial) else None
        indicators.append({
            "level1": ind.level1,
            "level2": ind.level2,
            "name": ind.name,
            "operator": ind.operator or "",
            "target": ind.target_text if combined else ind.target,
            # 年初指标值: as given, else the target (not adjusted during the year)
            "target_initial": initial or ind.target_text,
            "unit": ind.unit,
            "actual": ind.actual_text if combined else ind.actual,
            "completion": _fraction(ind.completion_pct),
            "weight": ind.weight,
            "score": ind.score,
            "cause": _joined(ind.cause, ind.remedy) if joined else ind.cause,
            "remedy": ind.remedy,
        })
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


def fill_sheet(result: SheetScore, out: Path | str, template: Path | str | None = None,
               sheet: Sheet | None = None) -> Path:
    """Write one scored sheet into its template (a shipped template's name or a path),
    atomically. ``sheet``, the model scored, supplies what a score does not keep (年初指标值)."""
    out = Path(out)
    compiled = template_for(result.kind, template)
    kind = template_kind(compiled)
    if kind != result.kind:
        raise OutputError(
            f"模板 {compiled.path.name} 是{_KIND_WORDS[kind]}，而「{result.name}」是{_KIND_WORDS[result.kind]}：请换用{_KIND_WORDS[result.kind]}模板"
        )
    initial = [ind.target_initial for ind in sheet.indicators] if sheet is not None else None
    compiled.write(sheet_data(result, compiled.map.tables.get("indicators"), initial), out)
    return out


_KIND_WORDS = {"project": "项目表", "department": "整体表"}


def write_blank(out: Path | str, kind: str | None = None, template: Path | str | None = None) -> Path:
    """``perfscore init``: a blank .xlsx sheet (in a template's layout), or a commented
    .yaml project file. The kind follows the template when one is given."""
    from ..writing import atomic_write_bytes

    out = Path(out)
    compiled = template_for(kind or "project", template) if template is not None else None
    if compiled is not None:
        actual = template_kind(compiled)
        if kind is not None and kind != actual:
            raise OutputError(f"模板 {compiled.path.name} 是{_KIND_WORDS[actual]}，与 --kind {kind} 不符")
        kind = actual
    kind = kind or "project"
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        (compiled or template_for(kind)).write(blank_data(kind), out)
    elif suffix in (".yaml", ".yml"):
        atomic_write_bytes(out, (templates_dir() / f"{kind}_template.yaml").read_bytes())
    else:
        raise OutputError(f"输出文件 {out}: 请使用 .xlsx（空白自评表）或 .yaml（项目文件）扩展名")
    return out
