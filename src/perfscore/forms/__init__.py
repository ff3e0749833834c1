"""The official self-evaluation forms as units fill them (issue 9): any layout, found by
label, no map. ``read_form_workbook(path)`` → one ``FormSheet`` per form in the workbook."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pydantic import ValidationError

from ..errors import SheetError
from ..model import FIELD_LABELS, Department, Project, Sheet
from ..projectfile import describe_error, short
from ..xlsx.package import OpenWorkbook
from . import labels as L
from .department import read_department
from .fields import Section
from .grid import Grid, read_workbook_grid
from .project import read_project
from .recognise import DEPARTMENT, kind_of, sections

__all__ = ["FormSheet", "read_form_document", "read_form_workbook"]


@dataclass
class FormSheet:
    """One form read from a workbook.

    ``cells`` maps field paths (``name``, ``budget.executed``, ``indicators[3].actual``,
    ``reported.total`` …) to the cell they came from; ``shares`` holds the 一级 shares printed
    after level names (``产出指标(50分)``); ``explanations`` the project-level 偏差原因 /
    改进措施 rows; ``findings`` what the reader noticed without refusing (a 年度资金总额 that
    differs from its 其中 rows)."""

    source: str
    sheet: Sheet
    cells: dict[str, str]
    shares: dict[str, Decimal] = field(default_factory=dict)
    explanations: dict[str, str] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)


def _path_of(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("function-"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _validate(data: dict, sec: Section, source: str) -> Sheet | None:
    model = Department if data["kind"] == DEPARTMENT else Project
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            path = _path_of(error["loc"])
            cell = sec.cells.get(path)
            if cell is None and path.startswith("indicators[") and "." not in path:
                cell = sec.cells.get(f"{path}.name")
            head = path.split(".")[0]
            index = head[head.find("[") + 1 : -1] if "[" in head else None
            what = ""
            if index is not None and index.isdigit():
                rows = data.get(head.split("[")[0]) or []
                name = rows[int(index)].get("name") if int(index) < len(rows) else None
                what = f"「{short(name)}」" if name else ""
            label = FIELD_LABELS.get(path.split(".")[-1].split("[")[0], path)
            detail = "，".join(x for x in (label, what) if x)
            at = f"单元格 {cell}（{detail}）" if cell else f"{detail}（字段 {path}）"
            sec.problems.append(f"{source}: {at}: {describe_error(error)}")
        return None


def _printed(grid: Grid) -> tuple[Grid, list[int]]:
    """The sheet as it prints (docs/scoring.md §9): without the cells of its hidden rows (a merged
    cell that reaches a visible row keeps its text), and the hidden rows that held any."""
    if not grid.hidden_rows:
        return grid, []
    reaching = {(r0, c0) for r0, c0, r1, _ in grid.merges if any(r not in grid.hidden_rows for r in range(r0, r1 + 1))}
    dropped = sorted({r for (r, c) in grid.cells if r in grid.hidden_rows and (r, c) not in reaching})
    if not dropped:
        return grid, []
    gone = set(dropped)
    cells = {rc: cell for rc, cell in grid.cells.items() if rc[0] not in gone or rc in reaching}
    return Grid(grid.name, cells, grid.merges, grid.formats_known, hidden=grid.hidden, hidden_rows=grid.hidden_rows), dropped


def _rows_text(rows: list[int]) -> str:
    shown = "、".join(str(r) for r in rows[:10])
    return f"第{shown}行" + (f"等 {len(rows)} 行" if len(rows) > 10 else "")


def read_form_workbook(path: Path | str, data: bytes | None = None, opened: OpenWorkbook | None = None
                       ) -> list[FormSheet]:
    """Every 绩效自评表 of a .xlsx/.xlsm/.xls/.ods workbook, each as a validated model with
    the cell of every value (``data``: its bytes, if already read; ``opened``: the .xlsx
    opened already, its parts inflated once). All problems of the workbook are raised together."""
    path = Path(path)
    book = read_workbook_grid(path, data, opened)
    return _read_forms(path, [(grid, f"工作表「{grid.name}」", grid.name) for grid in book.sheets], True)


def read_form_document(path: Path | str, data: bytes | None = None) -> list[FormSheet]:
    """Every 绩效自评表 among the tables of a Word document (.docx) or a text PDF, read
    like a worksheet; the document's other tables and its prose are passed over. A value's
    cell is named by its table (``第2个表格``) and its place in that table (``C5``)."""
    from .documents import read_document_tables

    path = Path(path)
    tables = read_document_tables(path, data)
    return _read_forms(path, [(t.grid, t.label + (f"「{short(t.grid.name)}」" if t.grid.name else ""), t.label)
                              for t in tables], False)


def _read_forms(path: Path, grids: list[tuple[Grid, str, str]], workbook: bool) -> list[FormSheet]:
    """The forms of ``grids`` (each with the place messages name and the name its source
    gives: a worksheet, or a document's table); all problems raised together."""
    if L.PROBLEMS:  # a province's labels.yaml that cannot be read: its words would be missing
        raise SheetError(list(L.PROBLEMS))
    out: list[FormSheet] = []
    problems: list[str] = []
    book_notes: list[str] = []  # for every form of the workbook (a hidden sheet left out)
    hidden_forms: list[str] = []
    for grid, place, name in grids:
        grid, hidden_rows = _printed(grid)
        kind = kind_of(grid)
        if kind is None:
            continue
        where = f"文件 {path} {place}"
        if grid.hidden:
            # not the form a unit signs: an old draft on a hidden or veryHidden sheet is never counted
            hidden_forms.append(f"「{grid.name}」")
            book_notes.append(f"{where}: 是隐藏的工作表（{grid.hidden}），未读取（打印出的表不含隐藏的工作表）")
            continue
        sheet_notes = [f"{where}: {_rows_text(hidden_rows)}是隐藏行，未读取（打印出的表不含隐藏行）"] if hidden_rows else []
        parts = sections(grid, where, kind)
        for i, sec in enumerate(parts):
            try:
                data, extra, shares = (read_department if kind == DEPARTMENT else read_project)(sec)
            except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
                # a layout this reader does not understand: one line naming the sheet, never a traceback
                problems.append(f"{sec.where}: 无法识别此表的结构（第{sec.top}–{sec.bottom}行，{type(exc).__name__}），"
                                "请按官方格式填写")
                continue
            if not workbook:
                _caption_year(data, sec, grid.name)
            source = f"{path}「{name}」" + (f"第{i + 1}个项目" if len(parts) > 1 else "")
            if len(parts) > 1:
                # each form named by its place: 第2个项目「name」, or its columns and rows when it has no name
                base = sec.where
                place = f"（{base[len(where):]}第{sec.top}–{sec.bottom}行）"
                sec.where = f"{where}第{i + 1}个项目" + (f"「{short(data['name'])}」" if data.get("name") else place)
                sec.problems = [p.replace(base, sec.where, 1) for p in sec.problems]
                sec.findings = [p.replace(base, sec.where, 1) for p in sec.findings]
            if sec.problems:
                problems += sec.problems
                continue
            for ind in data.get("indicators") or []:
                # a form with no 分值 column: the share printed after the 一级 name (产出指标(50分)) is its share
                if ind.get("weight") is None and ind.get("level1") in shares:
                    ind.setdefault("level1_share", shares[ind["level1"]])
            sheet = _validate(data, sec, f"{sec.where}")
            if sheet is None:
                problems += sec.problems
                continue
            cells = {k: v for k, v in sec.cells.items()}
            out.append(FormSheet(source, sheet, cells, shares, extra, sec_notes(sheet_notes, sec.findings)))
    out = _once(path, out, problems)
    if problems:
        raise SheetError(problems)
    if not out:
        if workbook:
            names = "、".join(f"「{g.name}」" for g, _, _ in grids) or "无"
            hidden = f"（隐藏的工作表 {'、'.join(hidden_forms)} 不读取：打印出的表不含隐藏的工作表）" if hidden_forms else ""
            found = f"工作表：{names}{hidden}"
        else:
            found = f"文档中有 {len(grids)} 个表格" if grids else "文档中没有表格"
        raise SheetError(
            f"文件 {path}: 找不到绩效自评表（项目支出绩效自评表、预算项目(政策)绩效自评表或部门整体支出绩效自评表，"
            f"需有「三级指标」表头）；{found}"
        )
    for form in out:
        form.findings[:0] = book_notes
    return out


def _once(path: Path, forms: list[FormSheet], problems: list[str]) -> list[FormSheet]:
    """docs/scoring.md §9: the same project (实施单位 + 项目名称 + year) twice in a workbook — on two
    sheets, or twice on one — counts once when both copies say the same (a warning names the
    copies); copies that differ are an error for each (the reviewer decides)."""
    kept: list[FormSheet] = []
    seen: dict[tuple, FormSheet] = {}
    flagged: set[int] = set()
    for form in forms:
        s = form.sheet
        key = (s.kind, s.unit or s.department or "", s.name, s.year)
        first = seen.get(key)
        if first is None:
            seen[key] = form
            kept.append(form)
            continue
        place, other = form.source[len(str(path)):], first.source[len(str(path)):]
        who = "、".join(x for x in (s.unit or s.department, f"{s.year}年度" if s.year else None) if x)
        what = f"同一项目「{short(s.name)}」" + (f"（{who}）" if who else "")
        if form.sheet == first.sheet:
            first.findings.append(f"文件 {path}: 工作表{place}与工作表{other}是{what}，内容相同，只计一次（工作表{place}未计入）")
            continue
        for a, b in ((first, form), (form, first)):
            if id(a) in flagged:
                continue
            flagged.add(id(a))
            problems.append(f"文件 {path} 工作表{a.source[len(str(path)):]}: 与工作表{b.source[len(str(path)):]}是{what}，"
                            "但内容不同，无法确定以哪一份为准；请核对后只保留一份")
    return kept


def sec_notes(sheet_notes: list[str], findings: list[str]) -> list[str]:
    return [*sheet_notes, *findings]


_CAPTION_YEAR = re.compile(r"((?:19|20|21)\d{2})\s*年")


def _caption_year(data: dict, sec: Section, caption: str) -> None:
    """A document's form prints its year in its title, the caption above the table
    (（2024年度））: that is the form's year, not a year the table's text mentions."""
    m = _CAPTION_YEAR.search(caption)
    if m and ("年度" in caption or "自评表" in caption):
        data["year"] = int(m.group(1))
        sec.cells.pop("year", None)
