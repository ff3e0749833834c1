"""Filled sheets (.xlsx in a template's layout, read by ``sheets.templates.read_filled``) →
project-file mappings (``sheet_mapping``) with the cell of each field (``sheet_cells``), and
mappings → project files (``perfscore import``).

The sheet's printed scores become ``reported`` values, so scoring an imported sheet
lists where the sheet's own numbers are wrong (``perfscore audit``).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml

from ..errors import Problem, SheetError
from ..model import Sheet
from ..terms import HUNDRED
from ..values import CellValueError, Quantity, Text, compact, format_number, parse_value
from .formulas import PROMPT_PREFIX
from ..xlsx.reader import CellValue, ReadSheet

def _value(cell: CellValue | None) -> Decimal | str | None:
    if cell is None or cell.value is None:
        return None
    value = cell.value
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _text(cell: CellValue | None) -> str | None:
    """A cell as the text the value parser reads: a number in a percent format is that
    percent (Excel stores a typed 95% as 0.95: docs/scoring.md §9)."""
    value = _value(cell)
    if isinstance(value, Decimal):
        return f"{format_number(value * HUNDRED)}%" if cell.percent else format_number(value)  # type: ignore[union-attr]
    return value


def _prompt(value: object) -> bool:
    """A prompt a formula shows in place of a number (``请填写完成程度（60%–80%）``): not a value."""
    return isinstance(value, str) and value.startswith(PROMPT_PREFIX)


def _percent(cell: CellValue | None) -> Decimal | str | None:
    """A number in a percent column (0.00% format) is a fraction, whatever its size:
    1.2355 is an over-executed 123.55%. Text such as '83.17%' or '83.17' is a percent."""
    value = _value(cell)
    if isinstance(value, Decimal):
        return value * HUNDRED
    if isinstance(value, str) and value.endswith("%"):
        return value[:-1].strip()
    return value


def _target(row: dict[str, CellValue]) -> str | None:
    target, operator, unit = _text(row.get("target")), _text(row.get("operator")), _text(row.get("unit"))
    if target is None:
        return None
    if isinstance(_value(row.get("target")), Decimal) or target[:1].isdigit():
        return f"{operator or ''}{target}{'' if target.endswith('%') else unit or ''}"
    return f"{operator}{target}" if operator and operator in "≥>≤<=>=<=" else target


def _actual(row: dict[str, CellValue]) -> str | None:
    """A number under a 度量单位 column is in that unit (a bare 0.95 against ≥95% would be
    ambiguous, docs/scoring.md §9)."""
    actual, unit = _text(row.get("actual")), _text(row.get("unit"))
    if (isinstance(_value(row.get("actual")), Decimal) and unit and isinstance(_value(row.get("target")), Decimal)
            and not actual.endswith("%")):  # type: ignore[union-attr]
        return f"{actual}{unit}"
    return actual


def _parsed(text: str | None) -> Quantity | Text | None:
    if text is None:
        return None
    try:
        return parse_value(text)
    except CellValueError:
        return None  # scoring names the cell's problem


def _is_quantitative(row: dict[str, CellValue], target: str | None) -> bool:
    """As scoring decides (docs/scoring.md §4): a number target and a number actual. Number cells,
    or text such as ``≥95%`` / ``100 %`` in a combined 年度指标值 column."""
    if isinstance(_value(row.get("target")), Decimal) and isinstance(_value(row.get("actual")), Decimal):
        return True
    return isinstance(_parsed(target), Quantity) and isinstance(_parsed(_text(row.get("actual"))), Quantity)


def _target_initial(row: dict[str, CellValue], target: str | None) -> str | None:
    """年初指标值, kept only where it says something the target does not (a fill writes the
    target there when the project gives no 年初指标值)."""
    initial = _text(row.get("target_initial"))
    if initial is None or target is None or compact(initial) == compact(target):
        return None
    return initial


def _indicator(row: dict[str, CellValue], level1: str | None, level2: str | None) -> dict:
    target = _target(row)
    data: dict[str, object] = {
        "level1": _text(row.get("level1")) or level1,
        "level2": _text(row.get("level2")) or level2 or "",
        "name": _text(row.get("name")),
        "target": target,
        "target_initial": _target_initial(row, target),
        "actual": _actual(row),
        "weight": _value(row.get("weight")),
        "cause": _text(row.get("cause")),
        "remedy": _text(row.get("remedy")),
        "reported_score": _value(row.get("score")),
    }
    completion = _percent(row.get("completion"))
    if _prompt(completion):
        completion = None   # the sheet asks for it: scoring names what is missing
    if _is_quantitative(row, target):
        data["reported_completion"] = completion
    elif completion is not None:
        data["completion"] = f"{format_number(Decimal(completion))}%" if isinstance(completion, Decimal) else completion
    return {k: v for k, v in data.items() if v is not None}


# cells a sheet must fill in, with the words a user sees
_REQUIRED_FIELDS = {"project": {"name": "项目名称", "budget_executed": "全年执行数"}, "department": {"name": "部门（单位）名称"}}
_REQUIRED_COLUMNS = {
    "indicators": {"level1": "一级指标", "target": "指标值", "actual": "全年完成值"},
    "tasks": {"budget": "下达金额", "executed": "执行金额", "weight": "分值"},
}


def missing_cells(read: ReadSheet, kind: str) -> list[Problem]:
    """Every required cell left empty, by address: '文件 x.xlsx: 单元格 C3（项目名称）为空'."""
    def empty(cell: CellValue | None) -> bool:
        return cell is None or _value(cell) is None

    where = f"文件 {read.path}"

    def problem(cell: CellValue, label: str, indicator: str | None = None) -> Problem:
        text = f"单元格 {cell.ref}（{label}，「{indicator}」）为空" if indicator else f"单元格 {cell.ref}（{label}）为空"
        return Problem(f"{where}: {text}", file=str(read.path), indicator=indicator, field=label, cell=cell.ref)

    out = [problem(read.fields[key], label) for key, label in _REQUIRED_FIELDS[kind].items()
           if key in read.fields and empty(read.fields[key])]
    if kind == "project" and all(empty(read.fields.get(k)) for k in ("budget_initial", "budget_adjusted")):
        cell = read.fields.get("budget_initial") or read.fields.get("budget_adjusted")
        if cell is not None:
            out.append(problem(cell, "年初预算数"))
    level1 = None
    for table, columns in _REQUIRED_COLUMNS.items():
        for row in read.tables.get(table, []):
            if empty(row.get("name")):
                continue  # a blank row of a sheet filled by hand
            level1 = _text(row.get("level1")) or level1 if table == "indicators" else None
            for key, label in columns.items():
                if key == "level1" and level1:
                    continue
                if key in row and empty(row[key]):
                    out.append(problem(row[key], label, _text(row["name"])))
    return out


def sheet_mapping(read: ReadSheet, kind: str) -> dict:
    """A read sheet as a project/department file mapping (docs/project-file.md keys); required
    cells left empty are one error naming every such cell."""
    missing = missing_cells(read, kind)
    if missing:
        raise SheetError(missing)
    f = read.fields
    data: dict[str, object] = {"kind": kind, "name": _text(f.get("name"))}
    for key in ("department", "unit", "goal", "achieved"):
        if _text(f.get(key)):
            data[key] = _text(f.get(key))
    year = _value(f.get("year"))
    if isinstance(year, Decimal):
        data["year"] = int(year)
    elif isinstance(year, str) and year.strip("年度 ()（）").isdigit():
        data["year"] = int(year.strip("年度 ()（）"))
    if _value(f.get("deduction")) is not None:
        data["deduction"] = _value(f.get("deduction"))
    if kind == "project":
        initial, adjusted = _value(f.get("budget_initial")), _value(f.get("budget_adjusted"))
        budget = {"initial": initial if initial is not None else adjusted, "executed": _value(f.get("budget_executed"))}
        if adjusted is not None and adjusted != initial:
            budget["adjusted"] = adjusted
        data["budget"] = {k: v for k, v in budget.items() if v is not None}
        if _value(f.get("execution_weight")) is not None:
            data["execution_weight"] = _value(f.get("execution_weight"))
    else:
        if isinstance(_value(f.get("budget_initial")), Decimal):   # 部门年初预算支出金额
            data["department_budget"] = _value(f.get("budget_initial"))
        data["tasks"] = [
            {k: v for k, v in {
                "name": _text(row.get("name")), "budget": _value(row.get("budget")),
                "executed": _value(row.get("executed")), "weight": _value(row.get("weight")),
                "reported_rate": _percent(row.get("rate")), "reported_score": _value(row.get("score")),
            }.items() if v is not None}
            for row in read.tables.get("tasks", [])
            if _text(row.get("name"))
        ]
    indicators, level1, level2 = [], None, None
    for row in read.tables.get("indicators", []):
        level1 = _text(row.get("level1")) or level1
        level2 = _text(row.get("level2")) or level2
        if not _text(row.get("name")):
            continue  # a blank row of a sheet filled by hand
        indicators.append(_indicator(row, level1, level2))
    data["indicators"] = indicators
    reported = {
        "execution_rate": _percent(f.get("execution_rate")),
        "execution_score": _value(f.get("execution_score")),
        "indicator_score": _value(f.get("indicator_score")),
        "total": _value(f.get("total")),
        "grade": _text(f.get("grade")),
    }
    reported = {k: v for k, v in reported.items() if v is not None and not _prompt(v)}
    if reported:
        data["reported"] = reported
    return {k: v for k, v in data.items() if v is not None}


# sheet field / table column → the project-file field path it becomes
_FIELD_PATHS = {
    "budget_initial": "budget.initial", "budget_adjusted": "budget.adjusted", "budget_executed": "budget.executed",
    "execution_rate": "reported.execution_rate", "execution_score": "reported.execution_score",
    "indicator_score": "reported.indicator_score", "total": "reported.total", "grade": "reported.grade",
}
_COLUMN_PATHS = {"score": "reported_score", "rate": "reported_rate"}


def sheet_cells(read: ReadSheet, kind: str) -> dict[str, str]:
    """Where each field of ``sheet_mapping(read, kind)`` was read: ``budget.executed`` →
    ``H6``, ``indicators[3].actual`` → ``G17`` (rows skipped on import are skipped here)."""
    paths = _FIELD_PATHS if kind == "project" else {**_FIELD_PATHS, "budget_initial": "department_budget"}
    cells = {paths.get(key, key): cell.ref for key, cell in read.fields.items()}
    for table in ("indicators", "tasks"):
        kept = [row for row in read.tables.get(table, []) if _text(row.get("name"))]
        for i, row in enumerate(kept):
            for column, cell in row.items():
                path = _COLUMN_PATHS.get(column, column)
                if column == "completion":
                    path = "reported_completion" if _is_quantitative(row, _target(row)) else "completion"
                cells[f"{table}[{i}].{path}"] = cell.ref
    return cells


class _Dumper(yaml.SafeDumper):
    """Decimals as plain numbers, no anchors/aliases, Chinese text unescaped."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    tag = "int" if value == value.to_integral_value() else "float"
    return dumper.represent_scalar(f"tag:yaml.org,2002:{tag}", format_number(value))


_Dumper.add_representer(Decimal, _represent_decimal)


def sheet_as_mapping(sheet: Sheet) -> dict:
    """A validated model as a project-file mapping (the contract's keys, nothing left at its
    default), for sheets read from an official form."""
    return {"kind": sheet.kind, **sheet.model_dump(exclude_none=True, exclude_defaults=True)}


def write_mapping(mapping: dict, output: Path | str, note: str) -> Path:
    """A project-file mapping as YAML (with ``note`` as its first comment) or JSON, atomically."""
    from ..output import dumps
    from ..writing import atomic_write_bytes

    output = Path(output)
    if output.suffix.lower() == ".json":
        text = dumps(mapping) + "\n"
    elif output.suffix.lower() in (".yaml", ".yml"):
        body = yaml.dump(mapping, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10**9)
        text = f"# {note}\n{body}"
    else:
        raise SheetError(f"输出文件 {output}: 请使用 .yaml 或 .json 扩展名")
    atomic_write_bytes(output, text.encode("utf-8"))
    return output
