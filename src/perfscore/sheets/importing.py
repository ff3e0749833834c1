"""Filled sheets (.xlsx in a template's layout) → project files (``perfscore import``).

The sheet's printed scores become ``reported`` values, so scoring an imported sheet
lists where the sheet's own numbers are wrong (``perfscore audit``).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml

from ..errors import SheetError
from ..model import Sheet
from ..projectfile import sheet_from_mapping
from ..values import format_number
from .fill import template_for
from ..xlsx.package import sheet_names
from ..xlsx.reader import CellValue, ReadSheet

HUNDRED = Decimal(100)


def _value(cell: CellValue | None) -> Decimal | str | None:
    if cell is None or cell.value is None:
        return None
    value = cell.value
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _text(cell: CellValue | None) -> str | None:
    value = _value(cell)
    return format_number(value) if isinstance(value, Decimal) else value


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
        return f"{operator or ''}{target}{unit or ''}"
    return f"{operator}{target}" if operator and operator in "≥>≤<=>=<=" else target


def _is_quantitative(row: dict[str, CellValue]) -> bool:
    """A number target and a number actual. A combined 指标值 cell (``≥95%``) keeps its number
    in the hidden ``_target`` helper column that perfscore's formulas read."""
    target = row.get("_target") if _value(row.get("_target")) is not None else row.get("target")
    return isinstance(_value(target), Decimal) and isinstance(_value(row.get("actual")), Decimal)


def _indicator(row: dict[str, CellValue], level1: str | None, level2: str | None) -> dict:
    data: dict[str, object] = {
        "level1": _text(row.get("level1")) or level1,
        "level2": _text(row.get("level2")) or level2 or "",
        "name": _text(row.get("name")),
        "target": _target(row),
        "actual": _text(row.get("actual")),
        "weight": _value(row.get("weight")),
        "cause": _text(row.get("cause")),
        "remedy": _text(row.get("remedy")),
        "reported_score": _value(row.get("score")),
    }
    completion = _percent(row.get("completion"))
    if _is_quantitative(row):
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


def missing_cells(read: ReadSheet, kind: str) -> list[str]:
    """Every required cell left empty, by address: '单元格 C3（项目名称）为空'."""
    def empty(cell: CellValue | None) -> bool:
        return cell is None or _value(cell) is None

    out = [f"单元格 {read.fields[key].ref}（{label}）为空" for key, label in _REQUIRED_FIELDS[kind].items()
           if key in read.fields and empty(read.fields[key])]
    if kind == "project" and all(empty(read.fields.get(k)) for k in ("budget_initial", "budget_adjusted")):
        cell = read.fields.get("budget_initial") or read.fields.get("budget_adjusted")
        if cell is not None:
            out.append(f"单元格 {cell.ref}（年初预算数）为空")
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
                    out.append(f"单元格 {row[key].ref}（{label}，「{_text(row['name'])}」）为空")
    return out


def sheet_mapping(read: ReadSheet, kind: str) -> dict:
    """A read sheet as a project/department file mapping (PROJECT_FILE.md keys); required
    cells left empty are one error naming every such cell."""
    missing = missing_cells(read, kind)
    if missing:
        raise SheetError([f"文件 {read.path}: {problem}" for problem in missing])
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
    reported = {k: v for k, v in reported.items() if v is not None}
    if reported:
        data["reported"] = reported
    return {k: v for k, v in data.items() if v is not None}


def read_filled(path: Path | str, template: Path | str | None = None) -> tuple[str, ReadSheet]:
    """Read a filled sheet with the template whose worksheet it has; (kind, read sheet).
    A template's kind is ``department`` when its map has a ``tasks`` table."""
    path = Path(path)
    names = {name.casefold() for name in sheet_names(path)}
    candidates = [template_for("project", template)] if template else [template_for(k) for k in ("project", "department")]
    for compiled in candidates:
        if compiled.map.sheet.casefold() in names:
            kind = "department" if "tasks" in compiled.map.tables else "project"
            return kind, compiled.read(path)
    wanted = "」或「".join(c.map.sheet for c in candidates)
    raise SheetError(f"文件 {path}: 找不到工作表「{wanted}」，不是 perfscore 模板格式的自评表")


def import_sheet(path: Path | str, template: Path | str | None = None) -> Sheet:
    """A filled .xlsx sheet → a validated project/department model."""
    kind, read = read_filled(path, template)
    return sheet_from_mapping(sheet_mapping(read, kind), str(path))


class _Dumper(yaml.SafeDumper):
    """Decimals as plain numbers, no anchors/aliases, Chinese text unescaped."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    tag = "int" if value == value.to_integral_value() else "float"
    return dumper.represent_scalar(f"tag:yaml.org,2002:{tag}", format_number(value))


_Dumper.add_representer(Decimal, _represent_decimal)


def write_project_file(sheet: Path | str, output: Path | str, template: Path | str | None = None) -> Path:
    """``perfscore import``: a filled sheet → a project file (YAML or JSON), atomically."""
    from ..output import dumps
    from ..writing import atomic_write_bytes
    from .fill import check_output

    sheet, output = Path(sheet), Path(output)
    check_output(output, [sheet])
    kind, read = read_filled(sheet, template)
    mapping = sheet_mapping(read, kind)
    sheet_from_mapping(mapping, str(sheet))  # the same validation ``score`` applies
    if output.suffix.lower() == ".json":
        text = dumps(mapping) + "\n"
    elif output.suffix.lower() in (".yaml", ".yml"):
        body = yaml.dump(mapping, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10**9)
        text = f"# 由 perfscore import 从 {sheet.name} 读取；原表打印的得分、完成程度等记为 reported，供复核。\n{body}"
    else:
        raise SheetError(f"输出文件 {output}: 请使用 .yaml 或 .json 扩展名")
    atomic_write_bytes(output, text.encode("utf-8"))
    return output
