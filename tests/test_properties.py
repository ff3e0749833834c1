"""Property tests of the scoring engine on generated projects (docs/scoring.md §3–7, docs/project-file.md).

Properties (hypothesis max_examples each; the whole file runs in a few seconds):

  1. test_indicator_scores_within_weight ............ 150  every indicator score in [0, weight]
                                                           (in [0, weight rounded to score_decimals] when
                                                           score_decimals < 2); completion in [0, 1]
  2. test_total_in_range_and_sum .................... 150  total in [0, 100] and = clamp(execution +
                                                           Σ scores − deduction), rounded
  3. test_grade_matches_total_band .................. 150  grade is the band of the total (优 ≥ 90 …)
  4. test_better_actual_never_lowers_score .......... 150  higher actual for ≥ / >, lower for ≤ / <:
                                                           the indicator's score and the total never drop
  5. test_indicator_order_does_not_matter ........... 100  permuting the indicators changes no
                                                           completion; with weights, no score and no total;
                                                           without weights, no group's weight multiset
  6. test_yuan_wanyuan_scaling_keeps_completion ..... 150  target/actual in 万元, 万, or ×10 000 in 元
                                                           give the same completion and score
  7. test_json_round_trip_gives_the_same_numbers .... 100  dumps(result_dict(r)) re-read with
                                                           parse_float=Decimal gives the result's numbers,
                                                           every number with at most 2 decimals
  8. test_default_split_sums_to_exactly_100 ......... 150  Σ default-split weights + execution weight
                                                           == 100 exactly (any execution weight 0–100,
                                                           up to 30 indicators)
  9. test_scores_quantized_to_score_decimals ........ 150  every score, the execution score, the
                                                           subtotal and the total carry exactly
                                                           score_decimals places
 10. test_score_fill_import_score_is_identical ......  60  score → fill (.xlsx) → import → score gives
                                                           the same numbers; the sheet audits clean
                                                   -----
                                                    1 310 examples in all

Policies: the presets default, liaoning, hubei; tests/policies/linear.yaml (reverse_formula:
linear); and "hebei0" (default with score_decimals 0 and whole-percent rates, as a 河北 sheet).

Bugs these tests found, fixed, and kept as regression tests at the bottom of this file:
  - the default split gives a negative weight (and a negative score) to the last indicator of
    a large group, or of a small group whose share is tiny (execution_weight 99.5);
  - a project whose indicators are all 满意度指标 (no weights) loses the 产出 and 效益 shares:
    weights + execution = 20, so a perfect project totals 20 (the fallback chain
    满意度→效益→产出→效益 never reaches 满意度);
  - JSON output writes the deduction with as many decimals as the input (1.234), though
    docs/project-file.md promises at most 2.
(Fixed: the split rounds down where half-up would leave a negative remainder, and a share
whose fallback chain ends in empty groups goes to the first group that has indicators.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfscore.output import dumps, result_dict
from perfscore.policy import Policy, load_policy, preset_policy
from perfscore.projectfile import sheet_from_mapping
from perfscore.scoring import canonical_level, score_sheet
from perfscore.values import quantize

D = Decimal
HUNDRED = D(100)
TESTS = Path(__file__).resolve().parent

_DEFAULT = preset_policy("default")
POLICIES: dict[str, Policy] = {
    "default": _DEFAULT,
    "liaoning": preset_policy("liaoning"),
    "hubei": preset_policy("hubei"),
    "linear": load_policy(TESTS / "policies" / "linear.yaml"),
    "hebei0": Policy.model_validate(
        {**_DEFAULT.model_dump(), "name": "hebei0", "score_decimals": 0, "rate_decimals": {"project": 0, "department": 0}}
    ),
}
PRESET_NAMES = ["default", "liaoning", "hubei", "linear"]
ALL_NAMES = PRESET_NAMES + ["hebei0"]
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def amounts(max_value: str = "1000000", min_value: str = "0", places: int = 2) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=D(min_value), max_value=D(max_value), places=places, allow_nan=False, allow_infinity=False
    )


def fmt(value: Decimal) -> str:
    return format(value, "f")


# -- indicators -------------------------------------------------------------------------------

GE, GT, LE, LT, EQ = "≥", ">", "≤", "<", "="
FORMS = {
    GE: ["≥{n}{u}", ">={n}{u}", "不低于{n}{u}", "不少于{n}{u}", "{n}{u}以上", "≥ {n} {u}"],
    GT: [">{n}{u}", "高于{n}{u}", "超过{n}{u}", "大于{n}{u}"],
    LE: ["≤{n}{u}", "<={n}{u}", "不超过{n}{u}", "不高于{n}{u}", "{n}{u}以内"],
    LT: ["<{n}{u}", "低于{n}{u}", "小于{n}{u}"],
    EQ: ["={n}{u}", "= {n} {u}"],
    None: ["{n}{u}"],  # bare: '=' (or '≤' under 成本指标)
}
UNITS = ["", "%", "件", "人次", "元", "万元"]
LEVELS = [
    ("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"), ("产出指标", "成本指标"),
    ("效益指标", "社会效益指标"), ("效益指标", "经济效益指标"), ("效益", "可持续影响"),
    ("满意度指标", "服务对象满意度指标"), ("满意度", "服务对象满意度"),
]
QUAL_TARGETS = ["有所提升", "规范执行", "持续维护", "2024年11月底前完成", "跨县每件1200元,县内每件1000元"]
GRADE_TEXTS = {
    "A": ["全部或基本达成预期指标", "达成预期指标", "达成年度指标", "达到预期目标", "已完成", "达标", "是"],
    "B": ["部分达成预期指标", "部分完成"],
    "C": ["未达成预期指标", "未完成", "未达到预期目标"],
}


@dataclass(frozen=True)
class Ind:
    """One generated 三级指标, kept structured so a test can change one part of it."""

    level1: str
    level2: str
    kind: str  # quant | qual | numqual (a number actual against a text target, with completion)
    op: str | None = None  # as written; None = bare
    form: str = ""
    target: Decimal | str = ""
    tunit: str = ""
    actual: Decimal | str = ""
    aunit: str = ""
    completion: str | None = None

    @property
    def operator(self) -> str | None:
        """The operator the rules apply (docs/scoring.md §4: bare = '=', '≤' under 成本指标)."""
        if self.kind != "quant":
            return None
        if self.op is None:
            return LE if canonical_level(self.level2) == "成本指标" else EQ
        return self.op

    def mapping(self, name: str, weight: Decimal | None) -> dict:
        if self.kind == "quant":
            target = self.form.format(n=fmt(self.target), u=self.tunit)
            aunit = self.aunit
            if self.tunit == "%" and not aunit and 0 < self.actual <= 1 < self.target:
                aunit = "%"  # a bare fraction against a % target above 1 is ambiguous (§9): tested in test_scoring
            actual: object = f"{fmt(self.actual)}{aunit}" if aunit else self.actual  # a YAML number
        elif self.kind == "numqual":
            target, actual = self.target, f"{fmt(self.actual)}人次"
        else:
            target, actual = self.target, self.actual
        data = {"level1": self.level1, "level2": self.level2, "name": name, "target": target, "actual": actual,
                "cause": "原因"}
        if self.completion is not None:
            data["completion"] = self.completion
        if weight is not None:
            data["weight"] = weight
        return data


@st.composite
def quantitative(draw, ops=(GE, GT, LE, LT, EQ, None), units=UNITS) -> Ind:
    level1, level2 = draw(st.sampled_from(LEVELS))
    op = draw(st.sampled_from(ops))
    form = draw(st.sampled_from(FORMS[op]))
    tunit = draw(st.sampled_from(units))
    if tunit in ("元", "万元"):
        aunit = draw(st.sampled_from([tunit, "", "元", "万元", "万"]))
    else:
        aunit = draw(st.sampled_from([tunit, ""]))
    scale = draw(st.sampled_from(["100", "10000", "1000000"]))
    target = draw(amounts(scale))
    actual = draw(st.one_of(amounts(scale), st.just(target)))
    return Ind(level1, level2, "quant", op, form, target, tunit, actual, aunit)


def completion_in(low: Decimal, high: Decimal, top_included: bool) -> st.SearchStrategy[str]:
    upper = high if top_included else high - D("0.01")
    return amounts(fmt(upper), fmt(low)).map(lambda p: f"{fmt(p)}%")


@st.composite
def qualitative(draw, policy: Policy) -> Ind:
    level1, level2 = draw(st.sampled_from(LEVELS))
    target = draw(st.sampled_from(QUAL_TARGETS))
    if draw(st.integers(0, 5)) == 0:
        # §4 rule 4: a number actual against a text target needs a completion; any value in [0, 100].
        return Ind(level1, level2, "numqual", target=target, actual=draw(amounts("1000")),
                   completion=draw(completion_in(D(0), HUNDRED, True)))
    grade = draw(st.sampled_from("ABC"))
    actual = draw(st.sampled_from(GRADE_TEXTS[grade] + ([target] if grade == "A" else [])))
    low, high = policy.qualitative_bands[grade]
    if grade == "A":
        completion = draw(st.one_of(st.none(), completion_in(low, high, True)))
    else:
        completion = draw(completion_in(low, high, False))
    return Ind(level1, level2, "qual", target=target, actual=actual, completion=completion)


def indicator(policy: Policy) -> st.SearchStrategy[Ind]:
    return st.one_of(quantitative(), quantitative(), qualitative(policy))


# -- projects ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Proj:
    policy: str
    inds: tuple[Ind, ...]
    weights: tuple[Decimal, ...] | None  # None: the default split
    execution_weight: Decimal | None  # as written in the file; None: the policy's
    budget: dict
    deduction: Decimal | None

    def mapping(self, order: list[int] | None = None) -> dict:
        order = list(range(len(self.inds))) if order is None else order
        data: dict = {
            "kind": "project", "name": "生成的项目", "budget": dict(self.budget),
            "indicators": [
                self.inds[i].mapping(f"指标{i + 1}", None if self.weights is None else self.weights[i]) for i in order
            ],
        }
        if self.execution_weight is not None:
            data["execution_weight"] = self.execution_weight
        if self.deduction is not None:
            data["deduction"] = self.deduction
        return data

    def score(self, order: list[int] | None = None):
        return score_sheet(sheet_from_mapping(self.mapping(order), "gen.yaml"), POLICIES[self.policy], "gen.yaml")


@st.composite
def partition(draw, total: Decimal, n: int) -> tuple[Decimal, ...]:
    """n non-negative weights with 2 decimals that sum to ``total`` exactly."""
    cents = int(total * 100)
    raw = draw(st.lists(st.integers(0, 100), min_size=n, max_size=n))
    if sum(raw) == 0:
        raw = [1] * n
    parts = [cents * r // sum(raw) for r in raw[:-1]]
    parts.append(cents - sum(parts))
    return tuple(D(p) / 100 for p in parts)


@st.composite
def budgets(draw) -> dict:
    initial = draw(amounts())
    adjusted = draw(st.one_of(st.none(), amounts(), st.just(initial)))
    effective = initial if adjusted is None else adjusted
    if effective == 0:
        executed = D(0)  # executed > 0 with a zero budget is an error (tested in bad_inputs)
    else:
        executed = draw(st.one_of(amounts(), amounts(fmt(effective)), st.just(effective)))
    budget = {"initial": initial, "executed": executed}
    if adjusted is not None:
        budget["adjusted"] = adjusted
    return budget


@st.composite
def projects(draw, policies=PRESET_NAMES, weighted: bool | None = None, max_size: int = 10) -> Proj:
    name = draw(st.sampled_from(policies))
    policy = POLICIES[name]
    inds = tuple(draw(st.lists(indicator(policy), min_size=1, max_size=max_size)))
    weighted = draw(st.booleans()) if weighted is None else weighted
    if weighted:
        ew = draw(st.one_of(st.none(), st.sampled_from([D(10), D(20), D(30)]), amounts("100")))
        effective = policy.execution_weight if ew is None else ew
        weights = draw(partition(HUNDRED - effective, len(inds)))
    else:
        ew = draw(st.one_of(st.none(), st.sampled_from([D(10), D(20)]), amounts("100")))
        weights = None
    deduction = draw(st.one_of(st.none(), amounts("30"), st.just(D(0))))
    return Proj(name, inds, weights, ew, draw(budgets()), deduction)


def _split_last(weights: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
    half = quantize(weights[-1] / 2, 2)
    return weights[:-1] + (weights[-1] - half, half)


def grade_band(total: Decimal) -> str:
    return "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"


# -- properties -------------------------------------------------------------------------------

@settings(max_examples=150, **SETTINGS)
@given(projects(policies=ALL_NAMES))
def test_indicator_scores_within_weight(proj):
    result = proj.score()
    sd = POLICIES[proj.policy].score_decimals
    assert len(result.indicators) == len(proj.inds)
    for ind in result.indicators:
        assert 0 <= ind.completion <= 1
        assert 0 <= ind.weight
        # whole-point rounding may lift a 12.5 weight's full score to 13: the bound is the rounded weight
        assert 0 <= ind.score <= quantize(ind.weight, sd), ind.explanation


@settings(max_examples=150, **SETTINGS)
@given(projects(policies=ALL_NAMES))
def test_total_in_range_and_sum(proj):
    result = proj.score()
    assert 0 <= result.total <= 100
    sd = POLICIES[proj.policy].score_decimals
    assert 0 <= result.execution_score <= quantize(result.execution_weight, sd)
    raw = result.execution_score + sum(i.score for i in result.indicators) - (proj.deduction or 0)
    assert result.total == quantize(min(max(raw, D(0)), HUNDRED), sd)


@settings(max_examples=150, **SETTINGS)
@given(projects(policies=ALL_NAMES))
def test_grade_matches_total_band(proj):
    result = proj.score()
    assert result.grade == grade_band(result.total)


@settings(max_examples=150, **SETTINGS)
@given(projects(policies=ALL_NAMES), st.data())
def test_better_actual_never_lowers_score(proj, data):
    directional = [i for i, ind in enumerate(proj.inds) if ind.operator in (GE, GT, LE, LT)]
    if not directional:
        extra = data.draw(quantitative(ops=(GE, GT, LE, LT)))
        proj = replace(proj, inds=proj.inds + (extra,),
                       weights=None if proj.weights is None else _split_last(proj.weights))
        directional = [len(proj.inds) - 1]
    k = data.draw(st.sampled_from(directional))
    ind = proj.inds[k]
    other = data.draw(amounts(fmt(max(ind.actual * 3, D(1)))))
    low, high = min(ind.actual, other), max(ind.actual, other)
    worse, better = (low, high) if ind.operator in (GE, GT) else (high, low)

    def with_actual(value):
        return replace(proj, inds=proj.inds[:k] + (replace(ind, actual=value),) + proj.inds[k + 1:]).score()

    r_worse, r_better = with_actual(worse), with_actual(better)
    assert r_better.indicators[k].completion >= r_worse.indicators[k].completion
    assert r_better.indicators[k].score >= r_worse.indicators[k].score
    assert r_better.total >= r_worse.total


@settings(max_examples=100, **SETTINGS)
@given(projects(policies=ALL_NAMES), st.data())
def test_indicator_order_does_not_matter(proj, data):
    order = data.draw(st.permutations(range(len(proj.inds))))
    before, after = proj.score(), proj.score(order)
    by_name = {i.name: i for i in before.indicators}
    for ind in after.indicators:
        assert ind.completion == by_name[ind.name].completion
    assert after.execution_score == before.execution_score
    if proj.weights is not None:
        for ind in after.indicators:
            assert (ind.weight, ind.score) == (by_name[ind.name].weight, by_name[ind.name].score)
        assert after.indicator_score == before.indicator_score
        assert (after.total, after.grade) == (before.total, before.grade)
    else:
        # docs/scoring.md §6: the *last* indicator of a 一级 group takes the rounding remainder, so
        # which indicator gets 13.34 of 40 depends on the order; the group's weights do not.
        def groups(result):
            out: dict[str, list] = {}
            for i in result.indicators:
                out.setdefault(canonical_level(i.level1), []).append(i.weight)
            return {k: sorted(v) for k, v in out.items()}

        assert groups(after) == groups(before)


@settings(max_examples=150, **SETTINGS)
@given(
    st.sampled_from(PRESET_NAMES),
    st.sampled_from([GE, GT, LE, LT, EQ, None]),
    st.sampled_from(["数量指标", "成本指标"]),
    amounts("100000"),
    amounts("100000"),
)
def test_yuan_wanyuan_scaling_keeps_completion(policy, op, level2, target, actual):
    """元 ↔ 万元 is the one conversion (§9): ×10 000 on either side leaves completion unchanged."""
    form = FORMS[op][0]
    variants = [
        (target, "万元", actual, "万元"),
        (target, "万元", actual, "万"),
        (target, "万元", actual * 10000, "元"),
        (target * 10000, "元", actual, "万元"),
        (target * 10000, "元", actual * 10000, "元"),
    ]
    seen = set()
    for t, tu, a, au in variants:
        ind = Ind("产出指标", level2, "quant", op, form, t, tu, a, au)
        proj = Proj(policy, (ind,), (HUNDRED - POLICIES[policy].execution_weight,), None,
                    {"initial": D(1), "executed": D(1)}, None)
        scored = proj.score().indicators[0]
        seen.add((scored.completion, scored.completion_pct, scored.score))
    assert len(seen) == 1, seen


def _json_numbers(value, path="$"):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _json_numbers(v, f"{path}.{k}")
    elif isinstance(value, list):
        for n, v in enumerate(value):
            yield from _json_numbers(v, f"{path}[{n}]")
    elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        yield path, Decimal(value)


@settings(max_examples=100, **SETTINGS)
@given(projects(policies=ALL_NAMES))
def test_json_round_trip_gives_the_same_numbers(proj):
    result = proj.score()
    text = dumps(result_dict(result))
    data = json.loads(text, parse_float=Decimal)
    for path, number in _json_numbers(data):
        assert number.as_tuple().exponent >= -2, (path, number)  # at most 2 decimals
        assert number.is_finite()
    q2 = lambda v: quantize(D(v), 2)  # noqa: E731
    assert data["execution_rate"] == q2(result.execution_rate)
    for key in ("execution_score", "indicator_score", "deduction", "total"):
        assert data[key] == getattr(result, key), key
    assert (data["kind"], data["name"], data["grade"]) == (result.kind, result.name, result.grade)
    assert len(data["indicators"]) == len(result.indicators)
    for out, ind in zip(data["indicators"], result.indicators):
        assert out["name"] == ind.name and out["operator"] == ind.operator
        assert out["completion"] == ind.completion_pct
        assert out["weight"] == q2(ind.weight)
        assert out["score"] == ind.score
        for key in ("target", "actual"):
            value = getattr(ind, key)
            assert out[key] == (q2(value) if isinstance(value, Decimal) else value), key
        assert out["needs_explanation"] is ind.needs_explanation
        assert out["warnings"] == ind.warnings
    assert data["warnings"] == result.warnings


@settings(max_examples=60, **SETTINGS)
@given(projects(policies=ALL_NAMES))
def test_score_fill_import_score_is_identical(tmp_path_factory, proj):
    """score → fill (Excel) → import → score gives the same numbers, and the filled sheet
    audits clean (its printed values are what the rules give)."""
    from perfscore.sheets.fill import fill_sheet
    from conftest import imported

    first = proj.score()
    path = tmp_path_factory.mktemp("rt") / "sheet.xlsx"
    fill_sheet(first, path, policy=POLICIES[proj.policy])
    again = score_sheet(imported(path), POLICIES[proj.policy], "sheet.xlsx")
    assert (again.execution_rate, again.execution_score, again.indicator_score, again.total, again.grade) == (
        first.execution_rate, first.execution_score, first.indicator_score, first.total, first.grade)
    assert [(i.name, i.weight, i.completion_pct, i.score) for i in again.indicators] == [
        (i.name, i.weight, i.completion_pct, i.score) for i in first.indicators]
    assert again.discrepancies == []


@settings(max_examples=150, **SETTINGS)
@given(
    st.sampled_from(ALL_NAMES),
    st.lists(st.sampled_from(["产出指标", "效益指标", "满意度指标", "产出", "效益", "满意度"]), min_size=1, max_size=30),
    st.one_of(st.none(), amounts("100"), st.sampled_from([D(0), D(10), D(20), D(100)])),
)
def test_default_split_sums_to_exactly_100(policy, levels, execution_weight):
    inds = [{"level1": level, "level2": "", "name": f"指标{n}", "target": "≥1", "actual": "1"}
            for n, level in enumerate(levels)]
    data = {"name": "默认分值", "budget": {"initial": 1, "executed": 1}, "indicators": inds}
    if execution_weight is not None:
        data["execution_weight"] = execution_weight
    result = score_sheet(sheet_from_mapping(data, "split.yaml"), POLICIES[policy])
    weights = [i.weight for i in result.indicators]
    assert result.execution_weight + sum(weights) == HUNDRED  # exactly, not within 0.01
    assert all(w.as_tuple().exponent >= -2 for w in weights)


@settings(max_examples=150, **SETTINGS)
@given(projects(policies=ALL_NAMES))
def test_scores_quantized_to_score_decimals(proj):
    result = proj.score()
    sd = POLICIES[proj.policy].score_decimals
    scores = [i.score for i in result.indicators] + [result.execution_score, result.indicator_score, result.total]
    for score in scores:
        assert score == quantize(score, sd)
        assert score.as_tuple().exponent == -sd, score


# -- regressions: bugs these properties found (fixed) ------------------------------------------

def _split_project(levels: list[str], execution_weight=None):
    inds = [{"level1": level, "level2": "", "name": f"指标{n}", "target": "≥1", "actual": "1"}
            for n, level in enumerate(levels)]
    data = {"name": "默认分值", "budget": {"initial": 1, "executed": 1}, "indicators": inds}
    if execution_weight is not None:
        data["execution_weight"] = execution_weight
    return sheet_from_mapping(data, "split.yaml")


def test_default_split_weight_never_negative_small_share():
    sheet = _split_project(["产出指标"] + ["满意度指标"] * 7, execution_weight=D("99.5"))
    assert all(i.weight >= 0 and i.score >= 0 for i in score_sheet(sheet).indicators)


def test_default_split_weight_never_negative_large_group():
    sheet = _split_project(["产出指标", "效益指标"] + ["满意度指标"] * 80)
    assert all(i.weight >= 0 and i.score >= 0 for i in score_sheet(sheet).indicators)


def test_default_split_only_satisfaction_indicators_sums_to_100():
    result = score_sheet(_split_project(["满意度指标", "满意度指标"]))
    assert result.execution_weight + sum(i.weight for i in result.indicators) == HUNDRED
    assert result.total == HUNDRED  # every indicator met, budget fully executed


def test_json_deduction_at_most_two_decimals():
    data = {"name": "减分", "budget": {"initial": 1, "executed": 1}, "deduction": D("1.234"),
            "indicators": [{"level1": "产出指标", "name": "a", "target": "≥1", "actual": "1", "weight": 90}]}
    out = json.loads(dumps(result_dict(score_sheet(sheet_from_mapping(data, "d.yaml")))), parse_float=Decimal)
    assert out["deduction"].as_tuple().exponent >= -2
