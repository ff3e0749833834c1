"""The flat workbook a finance office exports from its budget system.

Sheet 项目: one row per project — 项目名称, 主管部门, 实施单位, 年度, 年初预算数, 全年预算数,
全年执行数, 减分项 (optional: 执行率分值; 资金来源 一般公共预算资金, 政府性基金预算资金,
国有资本经营预算资金; 评分规则, a preset or a policy file relative to the workbook).
Sheet 指标: one row per indicator — 项目名称, 一级指标, 二级指标, 三级指标, 指标值, 全年完成值,
分值, 偏差原因, 改进措施 (optional: 完成程度, 年初指标值, 实施单位).

Projects are keyed by (实施单位, 项目名称): two units may each have a 办公经费. An 指标 row
with a 实施单位 belongs to that unit's project; one without belongs to the one project of
its name, and when two projects share the name it cannot be placed: both fail, the message
naming their rows and asking for a 实施单位 column.

Each project is validated on its own: a bad row fails its project, never the workbook.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from .errors import Failure, SheetError
from .xlsx.package import OpenWorkbook, calamine_sheets, check_extent, open_workbook
from .xlsx.reader import cell_value
from .xlsx.refs import col_letters

PROJECT_SHEET, INDICATOR_SHEET = "项目", "指标"
PROJECT_COLUMNS = {
    "项目名称": "name", "主管部门": "department", "实施单位": "unit", "年度": "year",
    "年初预算数": "initial", "全年预算数": "adjusted", "全年执行数": "executed", "减分项": "deduction",
    "执行率分值": "execution_weight",
    "一般公共预算资金": "general", "政府性基金预算资金": "fund", "国有资本经营预算资金": "state_capital",
    "评分规则": "policy",
}
INDICATOR_COLUMNS = {
    "项目名称": "project", "一级指标": "level1", "二级指标": "level2", "三级指标": "name",
    "指标值": "target", "全年完成值": "actual", "分值": "weight", "偏差原因": "cause", "改进措施": "remedy",
    "完成程度": "completion", "年初指标值": "target_initial", "实施单位": "unit",
}
# flat column keys that sit elsewhere in a project file
_PROJECT_PATHS = {"initial": "budget.initial", "adjusted": "budget.adjusted", "executed": "budget.executed",
                  "general": "funds.general", "fund": "funds.fund", "state_capital": "funds.state_capital"}
FUNDS = ("general", "fund", "state_capital")
REQUIRED_PROJECT = ("项目名称", "年初预算数", "全年执行数")
REQUIRED_INDICATOR = ("项目名称", "一级指标", "三级指标", "指标值", "全年完成值")


def _rows(rows: list[list[object]], sheet: str, columns: dict[str, str], required: tuple[str, ...], path: Path
          ) -> tuple[list[tuple[int, dict]], dict[str, str]]:
    """The non-blank rows (row number, key → value) of a sheet's values and each key's column letters."""
    if not rows:
        raise SheetError(f"文件 {path} 工作表「{sheet}」: 是空的")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise SheetError(f"文件 {path} 工作表「{sheet}」: 缺少列 {'、'.join(missing)}（第 1 行为列名）")
    index = {columns[h]: i for i, h in enumerate(header) if h in columns}
    out = []
    for number, row in enumerate(rows[1:], start=2):
        values = {key: cell_value(row[i]) if i < len(row) else None for key, i in index.items()}
        if any(v is not None for v in values.values()):
            out.append((number, values))
    return out, {key: col_letters(i + 1) for key, i in index.items()}


def is_flat_workbook(book: Path | OpenWorkbook) -> bool:
    """Whether a workbook has the 项目 and 指标 sheets of a flat workbook."""
    names = book.names if isinstance(book, OpenWorkbook) else open_workbook(book).names
    return PROJECT_SHEET in names and INDICATOR_SHEET in names


def flat_mappings(book: Path | OpenWorkbook) -> list[tuple[str, dict | Failure, dict[str, str]]]:
    """Every project row of a flat workbook as a project-file mapping (not yet validated),
    or the Failure of a row that cannot become one; with the cell of each field."""
    if not isinstance(book, OpenWorkbook):
        book = open_workbook(book)
    path = book.path
    if not is_flat_workbook(book):
        raise SheetError(f"文件 {path}: 不是平铺工作簿（需要工作表「{PROJECT_SHEET}」和「{INDICATOR_SHEET}」）")
    for name, part in book.sheets:
        if name in (PROJECT_SHEET, INDICATOR_SHEET):
            if part not in book.parts:
                raise SheetError(f"文件 {path}: 缺少工作表「{name}」的部件，不是有效的 .xlsx 文件")
            check_extent(book.parts[part], f"文件 {path} 工作表「{name}」")
    read = calamine_sheets(book.data, [PROJECT_SHEET, INDICATOR_SHEET], f"文件 {path}")
    projects, project_cols = _rows(next(read)[0], PROJECT_SHEET, PROJECT_COLUMNS, REQUIRED_PROJECT, path)
    indicators, indicator_cols = _rows(next(read)[0], INDICATOR_SHEET, INDICATOR_COLUMNS, REQUIRED_INDICATOR, path)
    read.close()
    keyed: dict[tuple[str, str], int] = {}  # (unit, name) → project row number
    by_name: dict[str, list[tuple[str, int]]] = {}  # name → [(unit, row)]
    for number, row in projects:
        key = (_text(row.get("unit")) or "", str(row.get("name") or ""))
        if key not in keyed:
            keyed[key] = number
            by_name.setdefault(key[1], []).append((key[0], number))
    by_project: dict[tuple[str, str], list[tuple[int, dict]]] = {}
    orphans: dict[tuple[str, str], list[tuple[int, dict]]] = {}
    ambiguous: dict[str, list[int]] = {}  # name → the 指标 rows that name it without a unit
    for number, row in indicators:
        name, unit = str(row.get("project") or ""), _text(row.get("unit"))
        if unit is not None:
            key = (unit, name)
        else:
            owners = by_name.get(name, [])
            if len(owners) > 1:
                ambiguous.setdefault(name, []).append(number)
                continue
            key = (owners[0][0], name) if owners else ("", name)
        (by_project if key in keyed else orphans).setdefault(key, []).append((number, row))
    out: list[tuple[str, dict | Failure, dict[str, str]]] = []
    seen: set[tuple[str, str]] = set()
    for number, row in projects:
        name = str(row.get("name") or "")
        unit = _text(row.get("unit"))
        key = (unit or "", name)
        source = f"{path} 项目表第{number}行"
        if key in seen:
            out.append((source, Failure(source, name, unit, (f"文件 {source}「{name}」: 项目名称重复（同一实施单位），指标无法对应",)), {}))
            continue
        seen.add(key)
        if name in ambiguous:
            rows = "、".join(f"第{n}行（{u or '未填写实施单位'}）" for u, n in by_name[name])
            lines = "、".join(f"第{n}行" for n in ambiguous[name][:5]) + ("等" if len(ambiguous[name]) > 5 else "")
            out.append((source, Failure(source, name, unit, (
                f"文件 {source}「{name}」: 项目表{rows}同名，指标表{lines}没有填实施单位，无法对应到其中一个项目："
                "请在指标表加一列「实施单位」",)), {}))
            continue
        own = by_project.pop(key, [])
        cells = {_PROJECT_PATHS.get(k, k): f"{PROJECT_SHEET}!{letters}{number}" for k, letters in project_cols.items()}
        for i, (ind_number, _) in enumerate(own):
            cells.update({f"indicators[{i}].{k}": f"{INDICATOR_SHEET}!{letters}{ind_number}"
                          for k, letters in indicator_cols.items() if k not in ("project", "unit")})
        data = {
            "kind": "project", "name": name, "department": _text(row.get("department")), "unit": unit,
            "year": _year(row.get("year")), "deduction": row.get("deduction"),
            "execution_weight": row.get("execution_weight"),
            "budget": {k: row.get(k) for k in ("initial", "adjusted", "executed") if row.get(k) is not None},
            "funds": {k: row.get(k) for k in FUNDS if row.get(k) is not None} or None,
            "policy": _text(row.get("policy")),
            "indicators": [
                {k: _text(v) if k not in ("weight",) else v for k, v in ind.items()
                 if k not in ("project", "unit") and v is not None}
                for _, ind in own
            ],
        }
        out.append((source, {k: v for k, v in data.items() if v is not None}, cells))
    for (unit, name), rows in sorted(orphans.items()):
        source = f"{path} 指标表第{rows[0][0]}行"
        who = f"{unit}「{name}」" if unit else f"「{name}」"
        out.append((source, Failure(source, name or None, unit or None, (f"文件 {source}: 项目{who}在项目表中不存在，{len(rows)} 个指标无法评分",)), {}))
    return out


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        from .values import format_number

        return format_number(value)
    return str(value)


def _year(value: object) -> object:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value
