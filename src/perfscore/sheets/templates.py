"""The 表样 (templates) perfscore fills and reads back: a shipped name, a province folder or a
path → its compiled template and map; its kind; the names a map may use; which shipped
template a filled workbook was filled from (by its worksheet's name).

Both sides use this module: ``fill`` (the writer) and ``importing`` / ``audit`` (the readers),
so reading a filled sheet does not depend on the writer's module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import SheetError
from ..policy import Policy
from ..resources import TEMPLATE_NAMES, province_at, provinces_dir, template_paths, templates_dir
from ..xlsx.maps import load_map
from ..xlsx.package import OpenWorkbook
from ..xlsx.reader import ReadSheet
from ..xlsx.template import CompiledTemplate, compile_template


def default_template(kind: str) -> Path:
    return TEMPLATE_NAMES[kind]


def resolve_template(template: Path | str | None, kind: str = "project") -> Path | None:
    """A shipped template's name (``hubei``) → its file; a province folder (``河南/``) → its
    表样 of ``kind`` (else its project one); anything else is a path."""
    if template is None:
        return None
    name = str(template)
    if name in TEMPLATE_NAMES:
        return TEMPLATE_NAMES[name]
    path = Path(template)
    province = province_at(path) if path.is_dir() else None
    if province is not None:
        found = province.template(kind) or province.template("project")
        if found is None:
            raise SheetError(f"省份目录 {path} 中没有表样（project.xlsx 或 department.xlsx）")
        return found
    if not path.suffix and not path.exists():  # a misspelt name, not a file
        raise SheetError(f"模板「{name}」既不是内置模板（{'、'.join(TEMPLATE_NAMES)}）也不是存在的模板文件")
    return path


def template_for(kind: str, template: Path | str | None = None) -> CompiledTemplate:
    resolved = resolve_template(template, kind)
    compiled = compile_template(resolved if resolved is not None else default_template(kind))
    check_map_names(compiled)
    return compiled


# What a map may name: the fields and table columns perfscore writes and reads (templates/README.md).
MAP_FIELDS = frozenset({
    "year", "name", "department", "unit", "budget_initial", "budget_adjusted", "budget_executed",
    "execution_rate", "execution_weight", "execution_score", "goal", "achieved", "indicator_score",
    "deduction", "total", "grade", "reporting_unit",
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



def shipped_template_kind(name: str) -> str | None:
    """The kind of sheet (project, department) a shipped template fills; None for a name that
    is not one."""
    if name not in TEMPLATE_NAMES:
        return None
    return template_kind(template_for("project", name))


_MAP_SHEETS: dict[tuple[str, int], str] = {}


def _map_sheet(map_path: Path) -> str:
    """The worksheet name of a shipped map, loaded once per file version."""
    key = (str(map_path), map_path.stat().st_mtime_ns)
    sheet = _MAP_SHEETS.get(key)
    if sheet is None:
        sheet = _MAP_SHEETS[key] = load_map(map_path).sheet
    return sheet


# the shipped templates' worksheet names (casefolded), listed again when a folder they are
# listed from changed (``_folders_key``: a province folder copied in, a template added to one);
# an edited template or map is compiled again by compile_template (it keys on mtimes)
_SHIPPED: dict = {"key": None, "sheets": ()}


def _folders_key() -> tuple:
    """The mtimes of the folders the shipped templates are listed from (the generic one, the
    provinces' folder and each province's)."""
    key: list = []
    for folder in (str(templates_dir()), str(provinces_dir())):
        try:
            key.append((folder, os.stat(folder).st_mtime_ns))
        except OSError:
            key.append((folder, None))
    try:
        with os.scandir(provinces_dir()) as it:
            key += sorted((e.name, e.stat().st_mtime_ns) for e in it if e.is_dir())
    except OSError:
        pass
    return tuple(key)


def _shipped_sheets(relist: bool = False) -> tuple:
    """(worksheet name casefolded, template path) of every shipped template, from ``_SHIPPED``
    while its folders are unchanged."""
    key = _folders_key()
    if relist or key != _SHIPPED["key"]:
        _SHIPPED["sheets"] = tuple((_map_sheet(x.with_name(x.stem + ".map.yaml")).casefold(), x)
                                   for x in template_paths().values())
        _SHIPPED["key"] = key
    return _SHIPPED["sheets"]


def filled_template(book: OpenWorkbook, template: Path | str | None = None) -> CompiledTemplate | None:
    """The template a filled workbook was filled from: ``template`` when given (its worksheet
    must be there: else a SheetError naming the sheet wanted), else the shipped template whose
    worksheet the workbook has (each has its own worksheet name), else None."""
    names = {name.casefold() for name in book.names}
    if template:
        compiled = template_for("project", template)
        if compiled.map.sheet.casefold() in names:
            return compiled
        raise SheetError(f"文件 {book.path}: 找不到工作表「{compiled.map.sheet}」，不是 perfscore 模板格式的自评表")
    for relist in (False, True):
        for sheet, xlsx in _shipped_sheets(relist):
            if sheet in names:
                compiled = compile_template(xlsx)   # compiled again when the file or its map changed
                check_map_names(compiled)
                if compiled.map.sheet.casefold() == sheet:
                    return compiled
                break   # a map edited in place: list them again
        else:
            return None
    return compiled


@dataclass(frozen=True)
class FilledSheet:
    """What reading a filled sheet produced: its template, its kind and the sheet as read
    (every mapped cell with its address, every formula's text). ``inputs.Input.read`` keeps
    it, so audit and import never open the file again."""

    template: CompiledTemplate
    kind: str
    read: ReadSheet


def read_filled(book: OpenWorkbook, template: Path | str | None = None) -> FilledSheet | None:
    """A filled workbook read through the template it was filled from (``filled_template``);
    None when it has no shipped template's worksheet and no ``template`` is given."""
    compiled = filled_template(book, template)
    if compiled is None:
        return None
    return FilledSheet(compiled, template_kind(compiled), compiled.read(book))
