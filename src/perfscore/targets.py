"""Declared targets (绩效目标表 / 绩效目标申报表, docs/project-file.md "Declared targets") and
the comparison of a self-evaluation with them. Pure: no files (``forms/targets.py`` reads
the tables, ``api`` joins the two).

A ``Declaration`` is a project file without actuals: name, 主管部门/实施单位, year,
年初预算数, 年度目标 and the indicators with their 一级/二级/三级 and targets (and 分值 where
the table prints them). ``compare`` lists, by indicator, every way a sheet differs from
its declaration, each a ``TargetFinding`` of one of ``KINDS``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from .model import Sheet
from .values import CellValueError, Quantity, Text, compact, format_number, parse_value, quantize

# every kind of finding (docs/project-file.md "Decided details"); the last two are informational
KINDS = ("missing", "undeclared", "renamed?", "easier", "harder", "changed", "operator", "unit",
         "budget", "weight", "text", "adjusted")
INFORMATIONAL = frozenset({"text", "adjusted"})
KIND_LABELS = {
    "missing": "申报指标缺失", "undeclared": "未申报的指标", "renamed?": "疑似改名", "easier": "目标降低",
    "harder": "目标提高", "changed": "目标值变动", "operator": "运算符变动", "unit": "计量单位变动",
    "budget": "预算数不符", "weight": "分值变动", "text": "定性目标措辞变动", "adjusted": "已记录的目标调整",
}
BUDGET_TOLERANCE = Decimal("0.005")  # 万元: amounts compare at 2 decimals


@dataclass
class DeclaredIndicator:
    """One 三级指标 as declared; ``cell`` is where its name was read, ``target_cell`` its 指标值."""

    level1: str
    level2: str
    name: str
    target: str | None
    weight: Decimal | None = None
    description: str | None = None  # 绩效指标描述 (text, not scored)
    basis: str | None = None  # 指标值确定依据
    cell: str = ""
    target_cell: str = ""


@dataclass
class Declaration:
    """One declared project (a table of a 绩效目标表)."""

    source: str  # the file and sheet, for messages
    name: str
    indicators: list[DeclaredIndicator]
    code: str | None = None  # 项目编码
    department: str | None = None
    unit: str | None = None
    year: int | None = None
    budget: Decimal | None = None  # 预算数 / 年度资金总额, 万元
    fiscal: Decimal | None = None  # 其中：财政资金 / 财政拨款
    other: Decimal | None = None  # 其他资金
    goal: str | None = None  # 年度目标
    cells: dict[str, str] = field(default_factory=dict)  # name / budget / goal → cell
    notes: list[str] = field(default_factory=list)  # what init should tell the user
    kind: str = "project"  # "department": a 部门整体支出绩效目标申报表 (``budget`` is the 部门预算)
    tasks: list[DeclaredTask] = field(default_factory=list)  # its 年度主要任务


@dataclass
class DeclaredTask:
    """One 年度主要任务 of a department declaration: the project (对应项目, else 重点工作) and its
    预算资金 (万元)."""

    name: str
    budget: Decimal | None
    cell: str = ""


@dataclass(frozen=True)
class TargetFinding:
    """One difference between a sheet and its declaration."""

    kind: str
    indicator: str | None  # the indicator's name (the sheet's, else the declaration's)
    message: str  # Chinese, naming both values and cells
    cell: str = ""  # the sheet's cell, when known

    @property
    def blocking(self) -> bool:
        """Whether it makes ``audit --targets`` exit 1."""
        return self.kind not in INFORMATIONAL

    def line(self, source: str = "") -> str:
        where = " ".join(x for x in (source, self.cell) if x)
        return f"{where} [{KIND_LABELS[self.kind]}] {self.message}".strip()

    def as_dict(self) -> dict:
        return {"kind": self.kind, "indicator": self.indicator, "cell": self.cell, "message": self.message}


# ------------------------------------------------------------------ names

_CODE = re.compile(r"^\s*[\[【［(（]\s*[0-9A-Za-z.\-]+\s*[\]】］)）]\s*")
_REMARK = re.compile(r"[(（][^()（）]*[)）]")
_TRAILING = re.compile(r"[\s。．.，,；;：:、!！?？]+$")


def normal_name(text: str | None) -> str:
    """A name as compared (docs/project-file.md): NFKC, no leading bracketed code ([105]教育部),
    no bracketed remarks, no whitespace, no trailing punctuation."""
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = _CODE.sub("", s)
    s = _REMARK.sub("", s)
    s = compact(s)
    return _TRAILING.sub("", s)


def strip_code(text: str) -> str:
    """A name as init writes it: as printed, without a leading bracketed code."""
    return _CODE.sub("", text).strip() or text.strip()


RENAME_SIMILARITY = Decimal("0.8")  # a renamed indicator shares this much of the shorter name's characters


def similarity(a: str, b: str) -> Decimal:
    """How alike two indicator names are: the characters they share (as a bag: 案件办理数量 and
    办理案件数量 share all six) over the shorter name's length, after ``normal_name``."""
    x, y = normal_name(a), normal_name(b)
    if not x or not y:
        return Decimal(0)
    shared = sum((Counter(x) & Counter(y)).values())
    return Decimal(shared) / Decimal(min(len(x), len(y)))


def pick(declarations: list[Declaration], name: str, unit: str | None = None, kind: str | None = None) -> Declaration | str:
    """The declaration of the project ``name`` (and ``unit`` where both have one; of ``kind``,
    project or department, where one of that kind has the name), or the reason none can be
    chosen, naming the candidates."""
    wanted = normal_name(name)
    same = [d for d in declarations if normal_name(d.name) == wanted]
    if kind and any(d.kind == kind for d in same):
        same = [d for d in same if d.kind == kind]
    if len(same) > 1 and unit:
        by_unit = [d for d in same if not d.unit or normal_name(d.unit) == normal_name(unit)]
        same = by_unit or same
    if len(same) == 1:
        return same[0]
    names = "、".join(f"「{d.name}」" + (f"（{d.unit}）" if d.unit else "") for d in (same or declarations)[:12])
    if not same:
        return f"目标表中没有项目「{name}」；目标表中的项目：{names or '无'}"
    return f"目标表中有 {len(same)} 个项目名为「{name}」，无法确定是哪一个：{names}"


# ------------------------------------------------------------------ comparison

_DIRECTION = {"≥": 1, ">": 1, "≤": -1, "<": -1}


def _parsed(text: str | None) -> Quantity | Text | None:
    if text is None or not str(text).strip():
        return None
    try:
        return parse_value(text)
    except CellValueError:
        return Text(compact(str(text)))


def _operator(q: Quantity, level2: str, cost_operator: str) -> str:
    if q.operator is not None:
        return q.operator
    level = compact(level2 or "")
    return cost_operator if (level if level.endswith("指标") else level + "指标") == "成本指标" else "="


def _target_text(ind) -> str | None:
    if getattr(ind, "target", None):
        return ind.target
    if getattr(ind, "value", None) is not None:
        return f"{ind.operator or ''}{format_number(ind.value)}{ind.unit or ''}"
    return None


def compare_targets(declared: str | None, level2: str, sheet_text: str | None, cost_operator: str = "≤") -> list[tuple[str, str]]:
    """How the sheet's target differs from the declared one: (kind, what) pairs; none when
    they are the same target."""
    d, s = _parsed(declared), _parsed(sheet_text)
    if d is None and s is None:
        return []
    shown_d, shown_s = (declared or "（空）").strip(), (sheet_text or "（空）").strip()
    if d is None or s is None or isinstance(d, Text) or isinstance(s, Text):
        if isinstance(d, Quantity) or isinstance(s, Quantity):
            return [("changed", f"申报「{shown_d}」，自评表「{shown_s}」")]
        if d is not None and s is not None and compact(d.text) == compact(s.text):
            return []
        return [("text", f"申报「{shown_d}」，自评表「{shown_s}」")]
    out = []
    op_d, op_s = _operator(d, level2, cost_operator), _operator(s, level2, cost_operator)
    if op_d != op_s:
        out.append(("operator", f"运算符由「{op_d}」改为「{op_s}」（申报「{shown_d}」，自评表「{shown_s}」）"))
    if compact(d.unit) != compact(s.unit):
        out.append(("unit", f"计量单位由「{d.unit or '无'}」改为「{s.unit or '无'}」（申报「{shown_d}」，自评表「{shown_s}」）"))
        return out
    if d.number != s.number and op_d == op_s:
        direction = _DIRECTION.get(op_d, 0)
        if direction == 0:
            out.append(("changed", f"目标值由 {format_number(d.number)} 改为 {format_number(s.number)}（申报「{shown_d}」，自评表「{shown_s}」）"))
        else:
            easier = (s.number < d.number) if direction > 0 else (s.number > d.number)
            word = "降低" if easier else "提高"
            out.append(("easier" if easier else "harder",
                        f"目标{word}：申报「{shown_d}」，自评表「{shown_s}」"))
    elif d.number != s.number:
        out.append(("changed", f"目标值由 {format_number(d.number)} 改为 {format_number(s.number)}"))
    return out


def _key(level1: str, name: str) -> tuple[str, str]:
    return normal_name(level1), normal_name(name)


def compare(declaration: Declaration, sheet: Sheet, cells: dict[str, str] | None = None,
            cost_operator: str = "≤") -> list[TargetFinding]:
    """Every difference between ``sheet`` and its ``declaration``, by indicator and cell
    (``cells``: field path → the sheet's cell, as the form readers give them)."""
    cells = cells or {}
    out: list[TargetFinding] = []
    budget = getattr(getattr(sheet, "budget", None), "initial", None)
    label, path = "年初预算数", "budget.initial"
    if declaration.kind == "department":
        budget, label, path = getattr(sheet, "department_budget", None), "部门预算金额", "department_budget"
    if declaration.budget is not None and budget is not None:
        if abs(quantize(declaration.budget, 2) - quantize(budget, 2)) > BUDGET_TOLERANCE:
            out.append(TargetFinding(
                "budget", None, f"{label} {format_number(budget)} 万元，申报的预算数为 {format_number(declaration.budget)} 万元"
                + (f"（目标表 {declaration.cells['budget']}）" if declaration.cells.get("budget") else ""),
                cells.get(path, "")))
    declared = list(declaration.indicators)
    by_name: dict[str, list[int]] = {}
    for i, d in enumerate(declared):
        by_name.setdefault(normal_name(d.name), []).append(i)
    matched: dict[int, int] = {}  # sheet index → declared index
    used: set[int] = set()
    for j, ind in enumerate(sheet.indicators):
        candidates = [i for i in by_name.get(normal_name(ind.name), []) if i not in used]
        if len(candidates) > 1:  # one name under two levels: the same 一级 first
            same = [i for i in candidates if _key(declared[i].level1, declared[i].name) == _key(ind.level1, ind.name)]
            candidates = same or candidates
        if candidates:
            matched[j] = candidates[0]
            used.add(candidates[0])
    extra = [j for j in range(len(sheet.indicators)) if j not in matched]
    gone = [i for i in range(len(declared)) if i not in used]
    renamed: dict[int, int] = {}
    for j in extra:
        ind = sheet.indicators[j]
        alike = [(similarity(d.name, ind.name), -i) for i, d in ((i, declared[i]) for i in gone)
                 if i not in renamed.values()
                 and normal_name(d.level1) == normal_name(ind.level1) and normal_name(d.level2) == normal_name(ind.level2)
                 and d.target is not None and not compare_targets(d.target, d.level2, _target_text(ind), cost_operator)]
        alike = [a for a in alike if a[0] >= RENAME_SIMILARITY]
        if alike:
            renamed[j] = -max(alike)[1]
    for j, ind in enumerate(sheet.indicators):
        prefix = f"indicators[{j}]"
        cell = cells.get(f"{prefix}.name", "")
        if j in renamed:
            d = declared[renamed[j]]
            out.append(TargetFinding("renamed?", ind.name,
                                     f"「{ind.name}」未申报，与申报的「{d.name}」名称相近、层级和目标相同（{d.target}），是否改名？"
                                     + (f"（目标表 {d.cell}）" if d.cell else ""), cell))
            continue
        if j not in matched:
            out.append(TargetFinding("undeclared", ind.name,
                                     f"「{ind.name}」（{ind.level1}/{ind.level2}，目标 {_target_text(ind) or '空'}）不在申报的绩效目标中",
                                     cell))
            continue
        d = declared[matched[j]]
        target_cell = cells.get(f"{prefix}.target", cell)
        where = f"（目标表 {d.target_cell or d.cell}）" if (d.target_cell or d.cell) else ""
        target = _target_text(ind)
        initial = ind.target_initial
        differences = compare_targets(d.target, d.level2, target, cost_operator)
        if differences and initial is not None and not compare_targets(d.target, d.level2, initial, cost_operator):
            out.append(TargetFinding("adjusted", ind.name,
                                     f"「{ind.name}」年初指标值「{initial}」与申报一致，调整后为「{target}」{where}", target_cell))
        else:
            if initial is not None and initial != target:
                # a 年初指标值 that is not the declared one is itself a change
                for kind, what in compare_targets(d.target, d.level2, initial, cost_operator):
                    out.append(TargetFinding(kind, ind.name, f"「{ind.name}」年初指标值与申报不符：{what}{where}",
                                             cells.get(f"{prefix}.target_initial", target_cell)))
            for kind, what in differences:
                out.append(TargetFinding(kind, ind.name, f"「{ind.name}」{what}{where}", target_cell))
        if normal_name(d.level1) != normal_name(ind.level1) or normal_name(d.level2) != normal_name(ind.level2):
            out.append(TargetFinding("changed", ind.name,
                                     f"「{ind.name}」层级由 {d.level1}/{d.level2} 改为 {ind.level1}/{ind.level2}{where}", cell))
        if d.weight is not None and ind.weight is not None and d.weight != ind.weight:
            out.append(TargetFinding("weight", ind.name,
                                     f"「{ind.name}」分值 {format_number(ind.weight)}，申报为 {format_number(d.weight)}{where}",
                                     cells.get(f"{prefix}.weight", cell)))
    for i in gone:
        if i in renamed.values():
            continue
        d = declared[i]
        out.append(TargetFinding("missing", d.name,
                                 f"申报的「{d.name}」（{d.level1}/{d.level2}，目标 {d.target or '空'}）不在自评表中"
                                 + (f"（目标表 {d.cell}）" if d.cell else "")))
    return out


UNFILLED = "申报表未填指标值"


def unfilled_targets(declaration: Declaration, written: str = "", cells: list[str] | None = None) -> list[str]:
    """One line per declared indicator whose 指标值 the table leaves empty, in the user's
    words (申报表未填指标值), naming the target table's cell: for a project file (``cells``
    None) as its comment says it; for the sheet ``written``, with the cell of that sheet
    (``cells``, by indicator; '' where unknown) the unit fills."""
    out = []
    for n, d in enumerate(declaration.indicators):
        if d.target is not None:
            continue
        where = f"目标表 {d.target_cell}" if d.target_cell else "目标表"
        name = d.name if len(d.name) <= 30 else d.name[:29] + "…"
        if cells is None:
            out.append(f"{UNFILLED}：「{name}」（{where}），请在其 target 处填写")
        else:
            cell = f" 单元格 {cells[n]}" if n < len(cells) and cells[n] else ""
            out.append(f"{written}{cell}: {UNFILLED}（「{name}」，{where}），请在自评表中填写指标值")
    return out


def project_mapping(declaration: Declaration, weights: list[Decimal] | None = None) -> dict:
    """The project file ``init --from`` writes: everything declared, actuals empty.
    ``weights``: the table's 分值, else the policy's split (the caller marks it default)."""
    department = declaration.kind == "department"
    data: dict = {"kind": declaration.kind, "name": strip_code(declaration.name)}
    for key in ("department", "unit"):
        value = getattr(declaration, key)
        if value:
            data[key] = strip_code(value)
    if declaration.year is not None:
        data["year"] = declaration.year
    if department:
        data["department_budget"] = declaration.budget
    else:
        data["budget"] = {"initial": declaration.budget, "executed": None}
    if declaration.goal:
        data["goal"] = declaration.goal
    if department:  # the 下达金额 as declared; the 执行金额 and 分值 are the unit's
        data["tasks"] = [{"name": t.name, "budget": t.budget, "executed": None, "weight": None} for t in declaration.tasks]
    rows = []
    for n, d in enumerate(declaration.indicators):
        row: dict = {"level1": d.level1, "level2": d.level2, "name": d.name, "target": d.target, "actual": None}
        weight = d.weight if d.weight is not None else (weights[n] if weights else None)
        if weight is not None:
            row["weight"] = weight
        rows.append(row)
    data["indicators"] = rows
    return data
