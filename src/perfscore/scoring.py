"""The scoring rules (docs/scoring.md §3–8): execution rate, completion, scores, total,
grade, warnings, audit cross-checks and discrepancies against printed values.

``score_sheet(sheet, policy)`` never touches files; every number a province may
change comes from ``policy``. All problems of a sheet are collected and raised
together as one ``InputError`` (``perfscore check`` lists them all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from pydantic import ValidationError

from .errors import InputError, Problem
from .model import FIELD_LABELS, Department, Indicator, Project, Sheet, funds_of
from .policy import Policy, preset_policy
from .readings import ON_TIME, Deadline, date_of, deadline_of, negated, zero_in_words
from .terms import HUNDRED, STANDARD_TREE, ZERO
from .values import (
    EQ, GE, GT, LE, LT, CellValueError, Quantity, Text, compact, format_number, normalize_text,
    parse_value, quantize, to_unit, units_compatible, values_differ,
)
from .weights import canonical_level, default_split, indicator_weights

ONE = Decimal(1)
RATE_TOLERANCE = Decimal("0.05")  # percentage points: amounts print rounded to 0.01 万元

GRADE_TEXTS = {"A": "全部或基本达成预期指标", "B": "部分达成预期指标并具有一定效果", "C": "未达成预期指标且效果较差"}
STANDARD_PAIRS = {level1: set(level2s) for level1, level2s in STANDARD_TREE}


@dataclass(slots=True)
class IndicatorScore:
    """One scored 三级指标 (``_Scorer.finish`` passes the fields by position: keep their order)."""

    index: int  # 1-based, as users count
    level1: str
    level2: str
    name: str
    kind: str  # quantitative | qualitative
    operator: str | None
    target: Decimal | str
    unit: str
    actual: Decimal | str
    target_text: str
    actual_text: str
    completion: Decimal  # exact fraction in [0, 1]
    completion_pct: Decimal  # 完成程度, percent, 2 decimals
    weight: Decimal
    score: Decimal
    grade: str | None
    needs_explanation: bool
    how: str | tuple  # how the completion came about: "已达成", "等级 A（…）", or ("{}/{}", 582, 1100)
    exceeded: bool = False  # an '=' target exceeded
    cause: str | None = None
    remedy: str | None = None
    reported_score: Decimal | None = None
    reported_completion: Decimal | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def explanation(self) -> str:
        """The arithmetic of the score (``--explain``), built only when asked for."""
        shown_pct = pct(self.completion_pct)
        how = self.how if isinstance(self.how, str) else self.how[0].format(*map(format_number, self.how[1:]))
        if self.kind == "quantitative":
            text = f"{self.name}: {self.target_text}，实际 {self.actual_text} → {how}"
            if how != "已达成" and not self.exceeded:
                text += f" = {shown_pct}"
        else:
            text = f"{self.name}: {self.target_text}，实际「{self.actual_text}」→ {how}，完成程度 {shown_pct}"
        return text + f" → {format_number(self.weight)} × {shown_pct} = {format_number(self.score)}"


@dataclass(slots=True)
class TaskScore:
    """One 年度主要任务 of a department sheet."""

    index: int
    name: str
    budget: Decimal
    executed: Decimal
    execution_rate: Decimal
    weight: Decimal
    score: Decimal
    explanation: str
    reported_rate: Decimal | None = None
    reported_score: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """A printed value that the sheet's own numbers do not give."""

    field: str  # JSON path, 0-based: indicators[3].score
    reported: Decimal | str
    computed: Decimal | str
    label: str  # Chinese: 第4个指标「…」得分


@dataclass(slots=True)
class SheetScore:
    """A scored 绩效自评表 (project or department)."""

    kind: str
    name: str
    department: str | None
    unit: str | None
    year: int | None
    policy: str
    budget_initial: Decimal
    budget_adjusted: Decimal
    budget_executed: Decimal
    execution_rate: Decimal
    execution_weight: Decimal
    execution_score: Decimal
    indicator_score: Decimal
    deduction: Decimal
    total: Decimal
    grade: str
    indicators: list[IndicatorScore]
    tasks: list[TaskScore]
    warnings: list[str]
    discrepancies: list[Discrepancy]
    execution_explanation: str
    goal: str | None = None
    achieved: str | None = None
    source: str = ""
    funds: dict[str, Decimal] | None = None  # 资金来源 (general, fund, state_capital), 万元
    department_budget: Decimal | None = None  # 部门年初预算金额 of a department sheet, 万元

    def needing_explanation(self) -> list[IndicatorScore]:
        return [i for i in self.indicators if i.needs_explanation]


def grade_for(total: Decimal, policy: Policy) -> str:
    """等级 by the policy's bands (优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差 by default)."""
    for grade, floor in policy.grade_bands.items():
        if total >= floor:
            return grade
    return "差"


def pct(value: Decimal) -> str:
    return f"{format_number(quantize(value, 2))}%"


@dataclass(slots=True)
class _Reading:
    """How one indicator was read and compared: what ``_Scorer.finish`` scores."""

    kind: str  # quantitative | qualitative
    operator: str | None
    target: object  # the target value (Decimal) or text
    unit: str
    actual: object  # the actual value (Decimal) or text
    target_text: str
    completion: Decimal  # 0..1 (capped per policy)
    how: str  # the explanation of the completion
    grade: str | None
    exceeded: bool = False  # past an 「=」 target


class _Scorer:
    """Scores one sheet, collecting every problem before raising."""

    def __init__(self, sheet: Sheet, policy: Policy, source: str):
        self.sheet = sheet
        self.policy = policy
        self.source = source or "<输入>"
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.sd = policy.score_decimals

    # -- locations ---------------------------------------------------------------------
    def where(self, indicator: Indicator | None = None, index: int | None = None, fieldname: str | None = None) -> str:
        text = f"文件 {self.source}「{self.sheet.name}」"
        if indicator is not None:
            text += f"第{index}个指标「{indicator.name}」"
        if fieldname:
            label = FIELD_LABELS.get(fieldname.rsplit(".", 1)[-1])
            text += f" 字段 {fieldname}" + (f"（{label}）" if label else "")
        return text

    def problem(self, message: str, indicator: Indicator | None = None, index: int | None = None, fieldname: str | None = None) -> None:
        """A Problem built here, where it is found: its line, and its indicator, field and path as values."""
        label = FIELD_LABELS.get(fieldname.rsplit(".", 1)[-1]) if fieldname else None
        path = f"indicators[{index - 1}].{fieldname}" if indicator is not None and index and fieldname else fieldname
        self.problems.append(Problem(
            f"{self.where(indicator, index, fieldname)}: {message}", file=self.source, project=self.sheet.name or None,
            indicator=indicator.name if indicator is not None else None, field=label or fieldname, path=path))

    # -- execution (§3) ------------------------------------------------------------------
    def execution_rate(self, executed: Decimal, budget: Decimal, decimals: int, what: str) -> Decimal:
        if budget == 0:
            if executed > 0:
                self.problem(f"{what}执行数 {format_number(executed)} 万元，但预算数为 0", fieldname="budget.executed" if not what else "tasks")
            else:
                self.warnings.append(f"{what}预算数为 0（预算被调整为 0）：执行率按 0 计，得分 0")
            return ZERO
        return quantize(executed / budget * HUNDRED, decimals)

    def round_score(self, value: Decimal) -> Decimal:
        """A score to the policy's decimals: half up, or down (truncate) — §10 score_rounding."""
        if self.policy.score_rounding == "down":
            return value.quantize(Decimal(1).scaleb(-self.sd), rounding=ROUND_DOWN)
        return quantize(value, self.sd)

    def execution_score(self, rate: Decimal, weight: Decimal) -> Decimal:
        capped = min(rate, HUNDRED) if self.policy.execution_cap else rate
        return self.round_score(weight * capped / HUNDRED)

    # -- one indicator (§4, §5) -----------------------------------------------------------
    def parse_cell(self, raw: str, ind: Indicator, index: int, fieldname: str) -> Quantity | Text | None:
        try:
            return parse_value(raw)
        except CellValueError as exc:
            self.problem(str(exc), ind, index, fieldname)
            return None

    def target_of(self, ind: Indicator, index: int) -> Quantity | Text | None:
        if ind.target is not None:
            return self.parse_cell(ind.target, ind, index, "target")
        operator = normalize_text(ind.operator or "")
        if operator:
            parsed = self.parse_cell(f"{operator}0", ind, index, "operator")
            if not isinstance(parsed, Quantity) or parsed.label or parsed.operator is None:
                self.problem(f"运算符号「{ind.operator}」无法识别（可用 ≥ > ≤ < = 及 不低于、不超过 等）", ind, index, "operator")
                return None
            operator = parsed.operator
        unit = self.parse_cell(f"0{ind.unit}", ind, index, "unit") if ind.unit else Quantity(None, ZERO)
        return Quantity(operator or None, ind.value, unit.unit if isinstance(unit, Quantity) else "")

    def grade_of_text(self, actual: str, target: str | None) -> str | None:
        """The grade of an actual text (§5): equal to the target → A; a negation of
        completion anywhere → never A (全部未完成 is C); otherwise by prefix and exact texts."""
        text = compact(actual)
        if target is not None and text == compact(target):
            return "A"
        for grade in ("B", "C", "A"):  # 未达成 contains 达成: B and C first
            if text in self.policy.grade_exact.get(grade, []):
                return grade
            if any(text.startswith(p) for p in self.policy.grade_prefixes.get(grade, [])):
                if grade == "A" and negated(text):
                    return "C"
                return grade
        if negated(text):
            return "C"
        return None

    def band_of(self, completion: Decimal) -> str:
        """The grade whose band holds an explicit completion (C below every band)."""
        return next((grade for grade in ("A", "B", "C") if self.in_band(grade, completion)), "C")

    def in_band(self, grade: str, completion: Decimal) -> bool:
        """[low, high), and 100% belongs to the band that ends at 100."""
        low, high = self.policy.qualitative_bands[grade]
        value = completion * HUNDRED
        return low <= value < high or (high == HUNDRED and value == HUNDRED)

    def score_indicator(self, ind: Indicator, index: int, weight: Decimal) -> IndicatorScore | None:
        target = self.target_of(ind, index)
        actual = self.parse_cell(ind.actual, ind, index, "actual")
        if target is None or actual is None:
            return None
        target_text = ind.target if ind.target is not None else target.show()
        warnings: list[str] = []
        deadline = deadline_of(target_text, canonical_level(ind.level2) == "时效指标", self.sheet.year)
        if deadline is not None:
            return self.deadline(ind, index, weight, deadline, actual, target_text, warnings)
        if isinstance(target, Quantity) and isinstance(actual, Text) and zero_in_words(actual.text):
            operator = self.operator_of(ind, target)
            if operator in (LE, LT) or (operator == EQ and target.number == 0):
                actual = Quantity(None, ZERO, target.unit)  # 无上访 against 小于5次 is 0 次
        if (isinstance(target, Quantity) and isinstance(actual, Quantity) and actual.number == 0
                and not units_compatible(actual.unit, target.unit)):
            operator = self.operator_of(ind, target)
            if operator in (LE, LT) or (operator == EQ and target.number == 0):
                actual = Quantity(None, ZERO, target.unit)  # 0 起 against 小于5次: zero of anything is zero
        if isinstance(target, Quantity) and isinstance(actual, Quantity):
            return self.quantitative(ind, index, weight, target, actual, target_text, warnings)
        return self.qualitative(ind, index, weight, target, actual, target_text, warnings)

    def operator_of(self, ind: Indicator, target: Quantity) -> str:
        """The target's operator; a bare number is '=' (under 成本指标 the policy's, ≤)."""
        if target.operator is not None:
            return target.operator
        return self.policy.cost_bare_operator if canonical_level(ind.level2) == "成本指标" else EQ

    def deadline(self, ind, index, weight, deadline: "Deadline", actual, target_text, warnings) -> IndicatorScore | None:
        """时效指标 with a date or month deadline (§9): an actual on or before it, or 按时完成 /
        已完成, is A; a later date needs an explicit completion."""
        actual_text = ind.actual
        completion = ind.completion
        text = compact(actual_text)
        when = date_of(text, self.sheet.year)
        on_time = when is None and text.startswith(ON_TIME) and not negated(text)
        if (when is not None and when.on_or_before(deadline)) or on_time:
            if completion is not None and not self.in_band("A", completion):
                low, high = self.policy.qualitative_bands["A"]
                self.problem(
                    f"按期完成为等级 A，完成程度 {pct(completion * HUNDRED)} 不在 [{format_number(low)}%, {format_number(high)}%] 内",
                    ind, index, "completion",
                )
                return None
            c = completion if completion is not None else ONE
            how = f"按期完成（期限 {deadline.show()}）"
            return self.finish(ind, index, weight, _Reading("qualitative", None, target_text, "", actual_text, target_text, c, how, "A"), warnings)
        if when is not None:
            if completion is None:
                self.problem(
                    f"完成时间「{actual_text}」晚于期限「{target_text}」（{deadline.show()}）：请填写完成程度 completion",
                    ind, index, "completion",
                )
                return None
            grade = self.band_of(completion)
            how = f"晚于期限（{deadline.show()}），等级 {grade}（{GRADE_TEXTS[grade]}）"
            return self.finish(ind, index, weight, _Reading("qualitative", None, target_text, "", actual_text, target_text, completion, how, grade), warnings)
        return self.qualitative(ind, index, weight, Text(target_text), actual, target_text, warnings)

    def quantitative(self, ind, index, weight, target: Quantity, actual: Quantity, target_text, warnings) -> IndicatorScore | None:
        if ind.completion is not None:
            self.problem("定量指标不能填写完成程度 completion（完成程度由指标值和完成值计算）", ind, index, "completion")
            return None
        if not units_compatible(actual.unit, target.unit):
            self.problem(f"实际值单位「{actual.unit}」与目标单位「{target.unit}」不一致", ind, index, "actual")
            return None
        if target.unit == "%" and not actual.unit and 0 < actual.number <= 1 < target.number:
            fraction = actual.number
            self.problem(
                f"完成值「{ind.actual}」含义不明：按 {format_number(fraction)}% 还是 {format_number(fraction * HUNDRED)}%？"
                f"指标值为「{target_text}」，请填写「{format_number(fraction * HUNDRED)}%」",
                ind, index, "actual",
            )
            return None
        operator = self.operator_of(ind, target)
        if actual.operator and actual.operator != operator:
            warnings.append(f"完成值中的运算符「{actual.operator}」与指标值的运算符「{operator}」不同")
        a = to_unit(actual, target.unit)
        t = target.number
        unit = target.unit or actual.unit
        exceeded = False
        if operator in (GE, GT):
            if t == 0 or a >= t:
                c, how = ONE, "已达成"
                if operator == GT and a == t:
                    warnings.append(f"完成值 {format_number(a)}{unit} 等于指标值，未严格满足「>」，按达成计分")
            else:
                c, how = a / t, ("{}/{}", a, t)
        elif operator in (LE, LT):
            if t == 0:
                c, how = (ONE, "已达成") if a == 0 else (ZERO, "应保持为 0，未达成")
            elif a <= t:
                c, how = ONE, "已达成"
                if operator == LT and a == t:
                    warnings.append(f"完成值 {format_number(a)}{unit} 等于指标值，未严格满足「<」，按达成计分")
            elif self.policy.reverse_formula == "linear":
                c = max(ZERO, ONE - (a - t) / t)
                how = ("1 − ({} − {})/{}", a, t, t)
            else:
                c, how = t / a, ("{}/{}", t, a)
        else:  # EQ
            if t == 0:
                c, how = (ONE, "已达成") if a == 0 else (ZERO, "应保持为 0，未达成")
            elif a == t:
                c, how = ONE, "已达成"
            elif a < t:
                c, how = a / t, ("{}/{}", a, t)
            else:
                c, how, exceeded = ONE, "超过指标值，按达成计分", True
                warnings.append(f"完成值 {format_number(a)}{unit} 超过「=」指标值 {format_number(t)}{unit}，请说明偏差原因")
        if operator in (GE, GT, EQ) and t > 0 and a >= t * self.policy.overachievement_warn_ratio:
            warnings.append(
                f"完成值 {format_number(a)}{unit} 达到指标值的 {format_number(quantize(a / t, 2))} 倍，指标值可能设置偏低"
            )
        return self.finish(ind, index, weight, _Reading("quantitative", operator, t, unit, a, target_text, c, how, None, exceeded), warnings)

    def qualitative(self, ind, index, weight, target, actual, target_text, warnings) -> IndicatorScore | None:
        actual_text = ind.actual
        completion = ind.completion
        holds_number = isinstance(actual, Quantity) or (isinstance(actual, Text) and actual.numbers > 0)
        if holds_number and compact(actual_text) != compact(target_text) and completion is None and (
            self.grade_of_text(actual_text, None) is not None
        ):
            self.problem(
                f"完成值「{actual_text}」含数值，不是定性等级：指标值「{target_text}」不是单一数值，"
                f"请把完成值写成与指标值同单位的数值，或填写完成程度 completion",
                ind, index, "actual",
            )
            return None
        grade = None if holds_number and completion is not None else self.grade_of_text(actual_text, target_text)
        if grade is None:
            if holds_number and completion is not None:
                grade = self.band_of(completion)
            elif isinstance(actual, Quantity):
                self.problem(
                    f"完成值「{actual_text}」是数值，而指标值「{target_text}」不是单一数值，无法计算完成程度：请填写完成程度 completion",
                    ind, index, "completion",
                )
                return None
            else:
                accepted = "；".join(f"{g} {GRADE_TEXTS[g]}（以 {'、'.join(self.policy.grade_prefixes[g])} 开头）" for g in ("A", "B", "C"))
                self.problem(f"完成值「{actual_text}」不是可识别的定性等级。可用: {accepted}；或与指标值相同", ind, index, "actual")
                return None
        if completion is None:
            if grade != "A":
                low, high = self.policy.qualitative_bands[grade]
                self.problem(
                    f"等级 {grade}（{GRADE_TEXTS[grade]}）须填写完成程度 completion（{format_number(low)}%–{format_number(high)}%）",
                    ind, index, "completion",
                )
                return None
            completion = ONE
        elif not self.in_band(grade, completion):
            low, high = self.policy.qualitative_bands[grade]
            closing = "]" if high == HUNDRED else ")"
            self.problem(
                f"完成程度 {pct(completion * HUNDRED)} 不在等级 {grade}（{GRADE_TEXTS[grade]}）的区间 [{format_number(low)}%, {format_number(high)}%{closing} 内",
                ind, index, "completion",
            )
            return None
        how = f"等级 {grade}（{GRADE_TEXTS[grade]}）"
        return self.finish(ind, index, weight, _Reading("qualitative", None, target_text, "", actual_text, target_text, completion, how, grade), warnings)

    def finish(self, ind: Indicator, index: int, weight: Decimal, r: "_Reading", warnings: list[str]) -> IndicatorScore:
        c, exceeded, target_text = r.completion, r.exceeded, r.target_text
        score = self.round_score(weight * c)
        completion_pct = quantize(c * HUNDRED, 2)
        if c < ONE and completion_pct >= HUNDRED:  # short of the target never prints as 100% (19999 of ≥ 20000)
            completion_pct = HUNDRED - Decimal("0.01")
        needs = c < ONE or exceeded
        if needs and not (ind.cause or "").strip():
            warnings.append("需说明偏差（未完全达成或超过「=」指标值），但缺少偏差原因（cause）")
        if ind.target_initial is not None and values_differ(ind.target_initial, target_text):
            warnings.append(f"年初指标值「{ind.target_initial}」在年内调整为「{target_text}」")
        # positional, in field order: 24 keywords cost three times the call (a batch makes millions)
        return IndicatorScore(
            index, ind.level1, ind.level2, ind.name, r.kind, r.operator, r.target, r.unit, r.actual, target_text, ind.actual,
            c, completion_pct, weight, score, r.grade, needs, r.how, exceeded, ind.cause, ind.remedy,
            ind.reported_score, ind.reported_completion, warnings,
        )

    # -- the sheet -----------------------------------------------------------------------------
    def run(self) -> SheetScore:
        sheet, policy = self.sheet, self.policy
        tasks: list[TaskScore] = []
        if isinstance(sheet, Department):
            decimals = policy.rate_decimals_for("department")
            for n, task in enumerate(sheet.tasks, 1):
                rate = self.execution_rate(task.executed, task.budget, decimals, f"第{n}个任务「{task.name}」")
                score = self.execution_score(rate, task.weight)
                tasks.append(TaskScore(
                    n, task.name, task.budget, task.executed, rate, task.weight, score,
                    f"{task.name}: {format_number(task.executed)} / {format_number(task.budget)} = {format_number(rate)}% → "
                    f"{format_number(task.weight)} × {format_number(min(rate, HUNDRED) if policy.execution_cap else rate)}% = {format_number(score)}",
                    task.reported_rate, task.reported_score,
                ))
            budget = sum((t.budget for t in sheet.tasks), ZERO)
            executed = sum((t.executed for t in sheet.tasks), ZERO)
            initial = adjusted = budget
            execution_weight = sum((t.weight for t in sheet.tasks), ZERO)
            execution_rate = quantize(executed / budget * HUNDRED, decimals) if budget else ZERO
            execution_score = sum((t.score for t in tasks), ZERO)
            execution_explanation = f"年度主要任务执行得分 = {' + '.join(format_number(t.score) for t in tasks)} = {format_number(execution_score)}"
        else:
            initial, adjusted, executed = sheet.budget.initial, sheet.budget.effective, sheet.budget.executed
            execution_weight = sheet.execution_weight if sheet.execution_weight is not None else policy.execution_weight
            execution_rate = self.execution_rate(executed, adjusted, policy.rate_decimals_for("project"), "")
            execution_score = self.execution_score(execution_rate, execution_weight)
            shown_rate = min(execution_rate, HUNDRED) if policy.execution_cap else execution_rate
            execution_explanation = (
                f"预算执行率: {format_number(executed)} / {format_number(adjusted)} = {format_number(execution_rate)}% → "
                f"{format_number(execution_weight)} × {format_number(shown_rate)}% = {format_number(execution_score)}"
            )
            if sheet.budget.adjusted is not None and adjusted != initial:
                self.warnings.append(_budget_change(initial, adjusted, executed))
        # with the weights in error, the indicators are still read, so every problem is listed
        weights = indicator_weights(sheet, policy, execution_weight, self.problem) or [ZERO] * len(sheet.indicators)
        indicators: list[IndicatorScore] = []
        for n, (ind, weight) in enumerate(zip(sheet.indicators, weights), 1):
            scored = self.score_indicator(ind, n, weight)
            if scored is not None:
                indicators.append(scored)
        if self.problems:
            raise InputError(self.problems)
        self.cross_checks(indicators, executed, adjusted)
        indicator_score = sum((i.score for i in indicators), ZERO)
        total = execution_score + indicator_score - sheet.deduction
        total = self.round_score(min(max(total, ZERO), HUNDRED))
        grade = grade_for(total, policy)
        warnings = list(self.warnings)
        for ind in indicators:
            warnings.extend(f"第{ind.index}个指标「{ind.name}」: {w}" for w in ind.warnings)
        result = SheetScore(
            kind=sheet.kind, name=sheet.name, department=sheet.department, unit=sheet.unit, year=sheet.year,
            policy=policy.name, budget_initial=initial, budget_adjusted=adjusted, budget_executed=executed,
            execution_rate=execution_rate, execution_weight=execution_weight, execution_score=execution_score,
            indicator_score=indicator_score, deduction=sheet.deduction, total=total, grade=grade,
            indicators=indicators, tasks=tasks, warnings=warnings, discrepancies=[],
            execution_explanation=execution_explanation, goal=sheet.goal, achieved=sheet.achieved, source=self.source,
            funds=funds_of(sheet), department_budget=getattr(sheet, "department_budget", None),
        )
        result.discrepancies = discrepancies(sheet, result)
        return result

    def cross_checks(self, indicators: list[IndicatorScore], executed: Decimal, budget: Decimal) -> None:
        seen: dict[str, int] = {}
        for ind in indicators:
            key = compact(ind.name)
            if key in seen:
                ind.warnings.append(f"指标名称与第{seen[key]}个指标重复")
            seen.setdefault(key, ind.index)
            if isinstance(self.sheet, Project):
                level1, level2 = canonical_level(ind.level1), canonical_level(ind.level2)
                allowed = STANDARD_PAIRS.get(level1)
                if allowed is None or (level2 and level2 not in allowed):
                    ind.warnings.append(f"一级/二级指标「{ind.level1}/{ind.level2}」不在常用指标体系内")
            if "预算执行率" in ind.name and ind.kind == "quantitative" and ind.unit in ("%", "") and budget:
                rate = executed / budget * HUNDRED
                if abs(Decimal(ind.actual) - rate) > RATE_TOLERANCE:
                    ind.warnings.append(
                        f"填报的预算执行率 {format_number(ind.actual)}% 与按预算计算的执行率 {pct(rate)} 不符"
                    )


def _budget_change(initial: Decimal, adjusted: Decimal, executed: Decimal) -> str:
    if initial == 0:
        return f"年初预算数为 0，全年预算数调整为 {format_number(adjusted)} 万元"
    change = (adjusted - initial) / initial * HUNDRED
    direction = "低" if change < 0 else "高"
    against = quantize(executed / initial * HUNDRED, 2)
    return (
        f"全年预算数 {format_number(adjusted)} 万元比年初预算数 {format_number(initial)} 万元{direction} "
        f"{format_number(quantize(abs(change), 1))}%；以年初预算数计，执行率为 {format_number(against)}%"
    )


def _q2(value: Decimal) -> Decimal:
    return quantize(Decimal(value), 2)


def discrepancies(sheet: Sheet, result: SheetScore) -> list[Discrepancy]:
    """Every printed value that differs from what the rules give (docs/scoring.md §8)."""
    found: list[Discrepancy] = []

    def exact(path: str, label: str, reported, computed) -> None:
        if reported is not None and _q2(reported) != _q2(computed):
            found.append(Discrepancy(path, reported, _q2(computed), label))

    def rate(path: str, label: str, reported, computed) -> None:
        if reported is not None and abs(Decimal(reported) - computed) > RATE_TOLERANCE:
            found.append(Discrepancy(path, reported, computed, label))

    for ind in result.indicators:
        if ind.reported_score is None and ind.reported_completion is None:
            continue
        where = f"第{ind.index}个指标「{ind.name}」"
        exact(f"indicators[{ind.index - 1}].score", f"{where}得分", ind.reported_score, ind.score)
        exact(f"indicators[{ind.index - 1}].completion", f"{where}完成程度", ind.reported_completion, ind.completion_pct)
    for task in result.tasks:
        where = f"第{task.index}个任务「{task.name}」"
        rate(f"tasks[{task.index - 1}].execution_rate", f"{where}执行率", task.reported_rate, task.execution_rate)
        exact(f"tasks[{task.index - 1}].score", f"{where}得分", task.reported_score, task.score)
    reported = sheet.reported
    rate("execution_rate", "预算执行率", reported.execution_rate, result.execution_rate)
    exact("execution_score", "预算执行率得分", reported.execution_score, result.execution_score)
    exact("indicator_score", "指标自评得分小计", reported.indicator_score, result.indicator_score)
    exact("total", "总分", reported.total, result.total)
    if reported.grade is not None and reported.grade != result.grade:
        found.append(Discrepancy("grade", reported.grade, result.grade, "等级"))
    return found


def indicator_problems(data: dict, policy: Policy, source: str) -> list[Problem]:
    """The scoring problems of each indicator that is well-formed on its own, in a file
    whose other parts failed validation — so ``perfscore check`` lists everything at once."""
    rows = data.get("indicators")
    if not isinstance(rows, list):
        return []
    name = data.get("name")
    scorer = _Scorer(Project.model_construct(name=str(name) if name is not None else "?"), policy, source)
    for n, row in enumerate(rows, 1):
        try:
            indicator = Indicator.model_validate(row)
        except ValidationError:
            continue  # already reported by the file's validation
        scorer.score_indicator(indicator, n, ZERO)
    return scorer.problems


def score_sheet(sheet: Sheet, policy: Policy | None = None, source: str = "", notes: tuple[str, ...] | list[str] = ()
                ) -> SheetScore:
    """Score a project or department sheet under ``policy`` (default: the default preset).
    ``notes``: what the reader of its file noticed without refusing (a hidden row left out,
    an amount typed in 元 converted), first among the result's warnings."""
    result = _Scorer(sheet, policy or preset_policy("default"), source).run()
    if notes:
        result.warnings[:0] = notes
    return result


def default_weights(sheet: Sheet, policy: Policy | None = None) -> list[Decimal] | None:
    """The policy's split of the indicator share (§6) for a sheet that gives no 分值, as
    scoring would apply it; None when the sheet's levels do not allow one."""
    policy = policy or preset_policy()
    scorer = _Scorer(sheet, policy, "")
    weight = getattr(sheet, "execution_weight", None)
    return default_split(sheet, policy, policy.execution_weight if weight is None else weight, scorer.problem)
