"""Scored sheets → the 绩效自评表 template (``perfscore fill``).

This module only maps a ``SheetScore`` onto the template map's field names; the
template machinery (``template.py``) writes the workbook and never computes a score. The
result cells are live formulas (``sheets/formulas.py``, constants from the policy) whose cached
values are the scorer's own numbers, so the sheet recalculates when a unit edits it and
reads the same everywhere until then.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from ..errors import OutputError
from ..model import Sheet
from ..policy import SHARE_ORDER, Policy
from ..resources import templates_dir
from ..scoring import IndicatorScore, SheetScore, grade_for
from ..terms import HUNDRED
from ..readings import zero_in_words
from ..values import EQ, GE, GT, LE, LT, compact
from ..xlsx.cells import Formula, Percent
from ..xlsx.formulas import HELPER_COLUMNS, SPLIT_COLUMNS
from .formulas import DATE_WORDS, Emitter, Rules
from ..xlsx.holes import ROW_MARK
from ..xlsx.maps import TableMap
from ..xlsx.template import CompiledTemplate, SheetData
from .templates import template_for, template_kind

SIGNIFICANT = 15   # a cached value carries what a spreadsheet would store: 15 significant digits

# The standard indicator tree, pre-printed on a blank sheet (perfscore init): 20 rows.
BLANK_ROWS = [
    ("产出指标", "数量指标")] * 4 + [("产出指标", "质量指标")] * 3 + [("产出指标", "时效指标")] * 2 + [
    ("产出指标", "成本指标")] * 2 + [("效益指标", "经济效益指标"), ("效益指标", "社会效益指标"), ("效益指标", "社会效益指标"),
    ("效益指标", "社会效益指标"), ("效益指标", "生态效益指标"), ("效益指标", "可持续影响指标"), ("效益指标", "可持续影响指标"),
    ("满意度指标", "服务对象满意度指标"), ("满意度指标", "服务对象满意度指标"),
]
BLANK_TASKS = 4


def _fraction(percent: Decimal) -> Decimal:
    return percent / HUNDRED


def _joined(*parts: str | None) -> str | None:
    text = "\n".join(p for p in parts if p and p.strip())
    return text or None


def cached(value: Decimal) -> Decimal:
    """A Decimal as a spreadsheet stores it (15 significant digits), for a cached <v>."""
    if value.is_zero() or value.adjusted() - value.as_tuple().exponent < SIGNIFICANT:  # type: ignore[operator]
        return value
    return value.quantize(Decimal(1).scaleb(value.adjusted() - SIGNIFICANT + 1), rounding=ROUND_HALF_UP).normalize()


def rules_for(policy: Policy, kind: str) -> Rules:
    """The policy's numbers that the sheet's formulas carry as constants."""
    return Rules(
        score_decimals=policy.score_decimals,
        score_rounding=policy.score_rounding,
        rate_decimals=policy.rate_decimals_for(kind),
        execution_cap=policy.execution_cap,
        reverse_formula=policy.reverse_formula,
        cost_bare_operator=policy.cost_bare_operator,
        grade_bands=tuple(policy.grade_bands.items()),
        execution_weight=policy.execution_weight,
        grade_prefixes=tuple((g, tuple(policy.grade_prefixes.get(g, ()))) for g in ("A", "B", "C")),
        grade_exact=tuple((g, tuple(policy.grade_exact.get(g, ()))) for g in ("A", "B", "C")),
        qualitative_bands=tuple((g, *policy.qualitative_bands[g]) for g in ("A", "B", "C") if g in policy.qualitative_bands),
        share_levels=SHARE_ORDER if kind == "project" else (),
        share_table=_share_table(policy) if kind == "project" else (),
    )


_SHARE_TABLES: dict[str, tuple[tuple[Decimal, ...], ...]] = {}


def _share_table(policy: Policy) -> tuple[tuple[Decimal, ...], ...]:
    key = policy.model_dump_json()
    if key not in _SHARE_TABLES:
        _SHARE_TABLES[key] = _split_table(policy)
    return _SHARE_TABLES[key]


def _split_table(policy: Policy) -> tuple[tuple[Decimal, ...], ...]:
    """Each 一级's share of the policy's split (§6, the scorer's own ``default_split``) for every
    set of levels that have rows: row n-1 for the set whose bit k says level k has rows."""
    from ..projectfile import sheet_from_mapping
    from ..weights import default_split

    def refuse(*_args: object, **_kw: object) -> None:
        raise ValueError("the policy's split refused a one-row-per-level sheet")

    table = []
    for n in range(1, 2 ** len(SHARE_ORDER)):
        levels = [level for k, level in enumerate(SHARE_ORDER) if n >> k & 1]
        sheet = sheet_from_mapping({"kind": "project", "name": "split", "budget": {"initial": 1, "executed": 1},
                                    "indicators": [{"level1": level, "level2": "-", "name": level, "target": "-",
                                                    "actual": "-"} for level in levels]}, "split")
        weights = dict(zip(levels, default_split(sheet, policy, policy.execution_weight, refuse) or ()))
        table.append(tuple(weights.get(level, Decimal(0)) for level in SHARE_ORDER))
    return tuple(table)


def formula_row(ind: IndicatorScore) -> bool:
    """Whether 完成程度 of this indicator is a formula: a quantitative row whose target and
    actual the formulas read as perfscore does (numbers, or zero in words such as 无上访 against
    a ≤ target), and a qualitative row graded A by its word alone (the formula gives 100% and
    asks for a completion when the word is changed to B or C). Everything else (deadlines, a
    number actual against a text target, an explicit completion) is written as a value."""
    if ind.kind == "quantitative":
        if not (isinstance(ind.target, Decimal) and isinstance(ind.actual, Decimal)
                and (ind.operator or "") in FORMULA_OPERATORS):
            return False
        if any(ch.isdigit() for ch in unicodedata.normalize("NFKC", ind.actual_text)):
            return True
        return zero_in_words(ind.actual_text) and (ind.operator in (LE, LT) or (ind.operator in (EQ, "") and ind.target == 0))
    text = compact(ind.actual_text)
    return (ind.grade == "A" and ind.completion == 1 and isinstance(ind.target, str)
            and not any(w in ind.target_text for w in DATE_WORDS)
            and (text == compact(ind.target_text) or not any(ch.isdigit() for ch in unicodedata.normalize("NFKC", text))))


FORMULA_OPERATORS = (GE, GT, LE, LT, EQ)


@dataclass(frozen=True)
class _Texts:
    """The formula texts of one layout under one policy: fields, and one text per table
    column with ROW_MARK for the row number (the renderer fills it in)."""

    fields: dict[str, str]
    completion: str | None
    score: str | None
    task_rate: str | None
    task_score: str | None
    emitter: Emitter
    helpers: dict[str, str]


@functools.lru_cache(maxsize=1024)
def _texts(template: CompiledTemplate, counts: tuple[tuple[str, int], ...], rules: Rules) -> _Texts:
    em = Emitter(template.places(dict(counts)), rules)
    helpers = {key: text for key in (*HELPER_COLUMNS, *SPLIT_COLUMNS) if (text := em.helper_at(key, ROW_MARK)) is not None}
    return _Texts(em.fields(), em.completion_at(ROW_MARK), em.score_at(ROW_MARK), em.task_rate_at(ROW_MARK),
                  em.task_score_at(ROW_MARK), em, helpers)


def _formula_fields(texts: _Texts, values: dict[str, object]) -> dict[str, object]:
    return {name: Formula(text, values[name]) for name, text in texts.fields.items()}  # type: ignore[arg-type]


def sheet_data(result: SheetScore, policy: Policy | None = None, template: CompiledTemplate | None = None,
               targets_initial: list[str | None] | None = None) -> SheetData:
    """The template's fields and table rows for one scored sheet; with ``template``, the
    scores are live formulas (constants from ``policy``) carrying the computed values.
    The template's indicator table decides the layout: with a combined target column
    (年度指标值 ``≥95%``, no operator/unit columns) the target is written as text and the
    numbers the formulas need go into hidden helper columns; with a cause column and no remedy
    column (偏差原因分析及改进措施) the remedy follows the cause in it. ``targets_initial``:
    each indicator's 年初指标值 (target_initial), where known."""
    layout: TableMap | None = template.map.tables.get("indicators") if template is not None else None
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
        # a department sheet's 部门年初预算支出金额 is the file's department_budget (empty when not given)
        "budget_initial": result.budget_initial if result.kind == "project" else result.department_budget,
        "budget_adjusted": result.budget_adjusted,
        "budget_executed": result.budget_executed,
        # 填报单位（盖章）: the unit that fills the form (a department sheet's own department)
        "reporting_unit": result.unit or (result.department if result.kind == "project" else result.name),
    }
    indicators = []
    for i, ind in enumerate(result.indicators):
        initial = targets_initial[i] if targets_initial and i < len(targets_initial) else None
        numbers = formula_row(ind) and ind.kind == "quantitative" and any(
            ch.isdigit() for ch in unicodedata.normalize("NFKC", ind.actual_text))
        # a formula reads a number actual as a number; other rows print it as the unit wrote it
        actual: object = ind.actual if numbers or not combined else ind.actual_text
        target: object = ind.target_text if combined else ind.target
        if ind.unit == "%" and template is not None:
            # a percent as Excel stores a typed one, so typing 95% (or 95) over it means 95%
            if isinstance(actual, Decimal) and numbers:
                actual = _percent(actual)
            if isinstance(target, Decimal):
                target = _percent(target)
        indicators.append({
            "level1": ind.level1,
            "level2": ind.level2,
            "name": ind.name,
            "operator": ind.operator or "",
            "target": target,
            # 年初指标值: as given, else the target (not adjusted during the year)
            "target_initial": initial or ind.target_text,
            "unit": ind.unit,
            "actual": actual,
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
    data = SheetData(fields=fields, tables=tables)
    if template is not None:
        helpers = bool(template.helpers.get("indicators"))
        policy = policy or _policy_of(result)
        texts = _texts(template, tuple(sorted((k, len(v)) for k, v in tables.items())), rules_for(policy, result.kind))
        fields.update(_formula_fields(texts, fields))
        # one formula text per column, completed with each row's number by the renderer
        completion, score = texts.completion, texts.score
        weighted = layout is not None and "weight" in layout.columns
        for ind, row in zip(result.indicators, indicators):
            for key, text in texts.helpers.items():
                if key not in SPLIT_COLUMNS:   # a filled sheet carries its weights (the constants below)
                    row[key] = Formula(text, _helper_value(key, ind, row))
            value = cached(ind.completion)
            row["completion"] = Formula(completion, value) if completion and formula_row(ind) else value
            text = score if weighted else texts.emitter.score_at(ROW_MARK, ind.weight)   # no 分值 column: the weight as a constant
            if text:
                row["score"] = Formula(text, ind.score)
        rate, score = texts.task_rate, texts.task_score
        for task, row in zip(result.tasks, tables.get("tasks", [])):
            if rate:
                row["rate"] = Formula(rate, _fraction(task.execution_rate))
            if score:
                row["score"] = Formula(score, task.score)
    return data


def _percent(value: Decimal) -> Percent:
    return Percent(value / HUNDRED, value == value.to_integral_value())


def _helper_value(key: str, ind: IndicatorScore, row: dict[str, object]) -> Decimal | str:
    """What a helper formula gives for a row perfscore filled (its cached value)."""
    if ind.kind != "quantitative" or not formula_row(ind):
        return ""   # not read by a formula that decides this row (its 完成程度 is a value or a grade's)
    if key == "_operator":
        return {GE: GE, GT: GE, LE: LE, LT: LE}.get(ind.operator or "", EQ)
    return ind.target if key == "_target" else ind.actual  # type: ignore[return-value]


def _policy_of(result: SheetScore) -> Policy:
    """The policy a result was scored with, when the caller did not pass it: a preset by name."""
    from ..policy import PRESETS, preset_policy

    if result.policy in PRESETS:
        return preset_policy(result.policy)
    raise ValueError(f"fill_sheet: policy「{result.policy}」is not a preset; pass the Policy object")


def blank_data(kind: str = "project", policy: Policy | None = None, template: CompiledTemplate | None = None) -> SheetData:
    """A sheet to fill in by hand: the standard indicator tree and, with ``template``, the
    formulas of every row, so the sheet scores itself as the unit types."""
    rows: list[dict[str, object]] = [{"level1": l1, "level2": l2} for l1, l2 in BLANK_ROWS]
    tables: dict[str, list[dict[str, object]]] = {"indicators": rows}
    if kind == "department":
        tables["tasks"] = [{} for _ in range(BLANK_TASKS)]
    data = SheetData(fields={}, tables=tables)
    if template is None:
        return data
    return _live_blanks(data, kind, policy or _default_policy(), template)


def _live_blanks(data: SheetData, kind: str, policy: Policy, template: CompiledTemplate) -> SheetData:
    """Every formula of ``data``'s rows and fields, each showing a blank (its formula gives
    "" until the unit types the amounts and actuals). A row with a ``weight`` on a layout
    without a 分值 column scores with that weight as a constant, as ``sheet_data`` does."""
    tables = data.tables
    texts = _texts(template, tuple(sorted((k, len(v)) for k, v in tables.items())), rules_for(policy, kind))
    # a blank form shows blanks (its formulas give "" until rows are filled)
    values: dict[str, object] = {"execution_rate": "", "execution_score": "", "indicator_score": "",
                                 "total": "", "grade": ""}
    data.fields.update(_formula_fields(texts, values))
    if kind == "project":
        data.fields["execution_weight"] = policy.execution_weight
    data.fields["deduction"] = Decimal(0)
    helper_makers = tuple(texts.helpers.items())
    for table, makers in (("indicators", (*helper_makers, ("completion", texts.completion), ("score", texts.score))),
                          ("tasks", (("rate", texts.task_rate), ("score", texts.task_score)))):
        for key, text in makers:
            for row in tables.get(table, []):
                if key == "score" and text is None and table == "indicators" and row.get("weight") is not None:
                    row[key] = Formula(texts.emitter.score_at(ROW_MARK, row["weight"]), "")  # type: ignore[arg-type]
                elif text:
                    row[key] = Formula(text, "")
    return data


def declared_data(declaration, weights: list[Decimal | None], policy: Policy, template: CompiledTemplate) -> SheetData:
    """``init --from`` into a 表样: a ``targets.Declaration``'s name, units, year, goal,
    年初预算数 (the layout's 全年预算数 when it prints only one budget) and indicators with
    their targets and ``weights``, the actuals and amounts left for the unit, every formula
    showing a blank until they are typed. A split layout (运算符 | 指标值 | 单位) gets the
    target's parts, a percent as a typed percent; a target that is no single number (a text,
    a deadline) goes whole into the 指标值 column, as on a combined layout."""
    from ..readings import deadline_of
    from ..targets import strip_code
    from ..values import CellValueError, Quantity, parse_value

    layout = template.map.tables["indicators"]
    rows: list[dict[str, object]] = []
    for d, weight in zip(declaration.indicators, weights):
        row: dict[str, object] = {"level1": d.level1, "level2": d.level2, "name": d.name,
                                  "target": d.target, "target_initial": d.target, "weight": weight}
        try:
            q = parse_value(d.target) if d.target else None
        except CellValueError:
            q = None
        if (not layout.combined_target and isinstance(q, Quantity) and not q.label
                and deadline_of(d.target, "时效" in d.level2, declaration.year) is None):
            row.update(operator=q.operator or "", unit=q.unit,
                       target=_percent(q.number) if q.unit == "%" else q.number)
        rows.append(row)
    fields: dict[str, object] = {key: strip_code(getattr(declaration, key)) if getattr(declaration, key) else None
                                 for key in ("name", "department", "unit")}
    fields.update(year=declaration.year, goal=declaration.goal)
    budget = "budget_initial" if "budget_initial" in template.map.fields else "budget_adjusted"
    fields[budget] = declaration.budget
    return _live_blanks(SheetData(fields=fields, tables={"indicators": rows}), "project", policy, template)


def fill_declared(declaration, weights: list[Decimal | None], out: Path | str, template: Path | str | None = None,
                  policy: Policy | None = None) -> Path:
    """Write ``declared_data`` into a project 表样 (a shipped name or a path), atomically."""
    compiled = declared_template(template)
    compiled.write(declared_data(declaration, weights, policy or _default_policy(), compiled), Path(out))
    return Path(out)


def declared_target_cells(template: Path | str | None, count: int) -> list[str]:
    """Where ``fill_declared`` writes each of ``count`` indicators' 指标值 in ``template``: the
    indicator table grows down from its template row; '' each when another table above it
    could move it."""
    tables = declared_template(template).map.tables
    layout = tables["indicators"]
    if any(t.row <= layout.row for k, t in tables.items() if k != "indicators"):
        return [""] * count
    return [f"{layout.columns['target']}{layout.row + n}" for n in range(count)]


def declared_template(template: Path | str | None = None) -> CompiledTemplate:
    """The project 表样 ``init --from`` fills; raises OutputError for a department one."""
    compiled = template_for("project", template)
    if template_kind(compiled) != "project":
        raise OutputError(f"模板 {compiled.path.name} 是整体表：绩效目标表中的申报项目请用项目表模板（如 project、national）")
    return compiled


def _default_policy() -> Policy:
    from ..policy import preset_policy

    return preset_policy("default")


def check_output(out: Path, inputs: list[Path] | set[Path]) -> None:
    """Never overwrite an input; ``inputs`` is a list of paths, or the set of them resolved
    already (a command writing many outputs resolves its inputs once)."""
    known = inputs if isinstance(inputs, (set, frozenset)) else {Path(path).resolve() for path in inputs}
    if out.resolve() in known:
        raise OutputError(f"输出文件 {out} 与输入文件相同：不会覆盖输入，请换一个输出路径")


def fill_sheet(result: SheetScore, out: Path | str, template: Path | str | None = None,
               sheet: Sheet | None = None, policy: Policy | None = None) -> Path:
    """Write one scored sheet into its template (a shipped template's name or a path),
    atomically, with live formulas under ``policy`` (default: the preset the result names).
    ``sheet``, the model scored, supplies what a score does not keep (年初指标值)."""
    out = Path(out)
    compiled = template_for(result.kind, template)
    kind = template_kind(compiled)
    if kind != result.kind:
        raise OutputError(
            f"模板 {compiled.path.name} 是{_KIND_WORDS[kind]}，而「{result.name}」是{_KIND_WORDS[result.kind]}：请换用{_KIND_WORDS[result.kind]}模板"
        )
    initial = [ind.target_initial for ind in sheet.indicators] if sheet is not None else None
    compiled.write(sheet_data(result, policy, compiled, initial), out)
    return out


_KIND_WORDS = {"project": "项目表", "department": "整体表"}


def write_blank(out: Path | str, kind: str | None = None, template: Path | str | None = None,
                policy: Policy | None = None) -> Path:
    """``perfscore init``: a blank .xlsx sheet (in a template's layout) whose formulas score
    it as the unit types, or a commented .yaml project file. The kind follows the template
    when one is given."""
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
        compiled = compiled or template_for(kind)
        compiled.write(blank_data(kind, policy, compiled), out)
    elif suffix in (".yaml", ".yml"):
        atomic_write_bytes(out, (templates_dir() / f"{kind}_template.yaml").read_bytes())
    else:
        raise OutputError(f"输出文件 {out}: 请使用 .xlsx（空白自评表）或 .yaml（项目文件）扩展名")
    return out
