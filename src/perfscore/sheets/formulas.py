"""The scoring rules as live formulas of a filled sheet (docs/scoring.md §3–§7 as Excel formulas), emitted from the
map's field and column *roles*, so any template + map gets them without per-layout code.

The formulas only restate the rules the Decimal scorer applies; the value each formula cell
carries as its cached ``<v>`` is the scorer's own result (``sheets/fill.py``), so readers
without a calculation engine see perfscore's numbers. Constants come from the policy
(``Rules``). Where the sheet keeps operator, number and unit in one printed cell (a map with a
``target`` column and no ``operator`` column), the numbers the formulas need live in hidden
helper columns to the right of the print area (``HELPER_COLUMNS``, added by the compiler).

Rounding: ROUND is half away from zero, i.e. ROUND_HALF_UP for the non-negative values of a
sheet; a product that should land exactly on …5 may be a hair under it in binary floating
point, so every rounding adds ``GUARD`` first (docs/excel.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from ..readings import NEGATIONS
from ..xlsx.formulas import HELPER_COLUMNS, Places, formula_number

GUARD = "0.000000001"  # 1e-9, written the way LibreOffice writes it back
# the "=" operator as the operator cell (or helper) holds it; perfscore writes the glyphs
# (and the full-width and variant glyphs a unit may type into a blank form: docs/scoring.md §4)
OPS_EQ = ("=", "＝", "==", "")
# operator words as docs/scoring.md §4/§9 reads them, by class; the negated words first (不低于 holds 低于)
_UP_NEGATED = ("不低于", "不少于", "不小于", "未低于", "未少于")
_DOWN_NEGATED = ("不高于", "不超过", "不超出", "未超过", "未超出", "不大于", "不多于")
_UP_WORDS = ("≥", ">", "＞", "≧", "⩾", "至少", "达到", "高于", "大于", "超过", "以上")
_DOWN_WORDS = ("≤", "<", "＜", "≦", "⩽", "控制在", "低于", "小于", "少于", "以内", "以下")
# a target holding one of these is a deadline or a date (时效指标), never a number for the formulas
DATE_WORDS = ("月", "日", "前")
EQ_TEXT = '"="'   # the operator class "=" as a formula's text constant
PROMPT_PREFIX = "请"   # every prompt a formula shows starts with it (readers skip such cells)




@dataclass(frozen=True)
class Rules:
    """The policy's numbers as the formulas need them (docs/scoring.md §10)."""

    score_decimals: int = 2
    score_rounding: str = "half_up"          # half_up (ROUND) | down (ROUNDDOWN)
    rate_decimals: int = 2                    # percent decimals of 执行率
    execution_cap: bool = True
    reverse_formula: str = "ratio"            # ratio | linear
    grade_bands: tuple[tuple[str, Decimal], ...] = (("优", Decimal(90)), ("良", Decimal(80)), ("中", Decimal(60)))
    lowest_grade: str = "差"
    execution_weight: Decimal = Decimal(10)   # when the sheet has no cell for it
    # qualitative grades (docs/scoring.md §5): prefixes and exact texts per grade, and the bands
    grade_prefixes: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("A", ("全部", "基本达成", "达成", "达到", "完成", "已完成")), ("B", ("部分达成", "部分完成")),
        ("C", ("未达成", "未完成", "未达到")))
    grade_exact: tuple[tuple[str, tuple[str, ...]], ...] = (("A", ("达标", "是")), ("B", ()), ("C", ()))
    cost_bare_operator: str = "≤"             # a bare number under 成本指标 (docs/scoring.md §4)
    qualitative_bands: tuple[tuple[str, Decimal, Decimal], ...] = (
        ("A", Decimal(80), Decimal(100)), ("B", Decimal(60), Decimal(80)), ("C", Decimal(0), Decimal(60)))
    # the policy's split of the indicator share (§6): the 一级指标 in order, and for each set of
    # levels that have rows (bit k set: level k has rows; row n-1 of the table for set n) each
    # level's share after the fallbacks
    share_levels: tuple[str, ...] = ()
    share_table: tuple[tuple[Decimal, ...], ...] = ()


def _quoted(text: str) -> str:
    return text.replace('"', '""')


def _array(words: tuple[str, ...]) -> str:
    return "{" + ",".join(f'"{_quoted(w)}"' for w in words) + "}"


def _among(ref: str, ops: tuple[str, ...], yes: str, no: str) -> str:
    return "IF(OR(" + ",".join(f'{ref}="{_quoted(x)}"' for x in ops) + f'),"{yes}","{no}")'


def _operator_class(ref: str, otherwise: str) -> str:
    """≥, ≤ or (``otherwise``) for the operator glyph or word in ``ref`` (a text cell)."""
    def has(words: tuple[str, ...]) -> str:
        return f"SUMPRODUCT(--ISNUMBER(FIND({_array(words)},{ref})))>0"

    return (f'IF({has(_UP_NEGATED)},"≥",IF({has(_DOWN_NEGATED)},"≤",'
            f'IF({has(_UP_WORDS)},"≥",IF({has(_DOWN_WORDS)},"≤",{otherwise}))))')


def _number_of(ref: str) -> str:
    """The number a cell holds, in the row's unit (docs/scoring.md §9): a number cell with a
    percent format (Excel stores a typed 95% as 0.95, CELL("format") "P0") is 95; text such as
    ``≥10次`` or ``95%`` gives its number (docs/excel.md: ``95%`` inside a text evaluates to
    0.95, so a text holding % is scaled back); "" when there is none."""
    s = f'SUBSTITUTE({ref},"％","%")'
    lengths = "{" + ",".join(str(n) for n in range(1, 16)) + "}"
    text = (f'IFERROR(ROUND(-LOOKUP(1,-MID({s},MIN(FIND({{0,1,2,3,4,5,6,7,8,9}},{s}&"0123456789")),{lengths}))'
            f'*IF(ISNUMBER(SEARCH("%",{s})),100,1),10),"")')
    return f'IF(ISNUMBER({ref}),ROUND({ref}*IF(LEFT(CELL("format",{ref}),1)="P",100,1),10),{text})'


def _round(rules: Rules, expr: str) -> str:
    fn = "ROUNDDOWN" if rules.score_rounding == "down" else "ROUND"
    return f"{fn}({expr}+{GUARD},{rules.score_decimals})"


def _rate(executed: str, budget: str, rules: Rules) -> str:
    """执行率 as a fraction, rounded to the policy's percent decimals (half up); budget 0 → 0;
    blank until both amounts are numbers."""
    return (f'IF(AND(ISNUMBER({executed}),ISNUMBER({budget})),'
            f'IF({budget}=0,0,ROUND({executed}/{budget}+{GUARD},{rules.rate_decimals + 2})),"")')


def _capped(rate: str, rules: Rules) -> str:
    return f"MIN({rate},1)" if rules.execution_cap else rate


class Emitter:
    """Formula texts for one layout (``Places``) under ``Rules``."""

    def __init__(self, places: Places, rules: Rules):
        self.p, self.rules = places, rules

    # ---- fields --------------------------------------------------------------------------

    def budget(self) -> str | None:
        ini, adj = self.p.field("budget_initial"), self.p.field("budget_adjusted")
        if ini and adj:
            return f"IF({adj}=\"\",{ini},{adj})"  # 全年预算数 defaults to 年初预算数
        return adj or ini

    def execution_rate(self) -> str | None:
        budget, executed = self.budget(), self.p.field("budget_executed")
        if budget is None or executed is None or "tasks" in self.p.map.tables:
            return None
        return _rate(executed, budget, self.rules)

    def _ref_or(self, name: str, make: Callable[[], str | None]) -> str | None:
        ref = self.p.field(name)
        if ref is not None:
            return ref
        inline = make()
        return None if inline is None else f"({inline})"

    def execution_score(self) -> str | None:
        if "tasks" in self.p.map.tables:
            rng = self.p.column_range("tasks", "score")
            return f'IF(COUNT({rng})=0,"",SUM({rng}))' if rng else '""'
        rate = self._ref_or("execution_rate", self.execution_rate)
        if rate is None:
            return None
        weight = self.p.field("execution_weight") or formula_number(self.rules.execution_weight)
        return f'IF(ISNUMBER({rate}),{_round(self.rules, f"N({weight})*{_capped(rate, self.rules)}")},"")'

    def indicator_score(self) -> str | None:
        if "indicators" not in self.p.map.tables or self.p.col("indicators", "score") is None:
            return None
        rng = self.p.column_range("indicators", "score")
        return f'IF(COUNT({rng})=0,"",SUM({rng}))' if rng else '""'

    def total(self) -> str | None:
        """总分 = 执行率得分 + 指标得分 − 减分项 (every shipped map has a 减分项 cell, the
        official forms without one in their hidden column), in [0, 100]; blank on a form with nothing scored yet, a prompt while a row
        asks for its 完成程度."""
        es = self._ref_or("execution_score", self.execution_score)
        ind = self._ref_or("indicator_score", self.indicator_score)
        if es is None or ind is None:
            return None
        ded = self.p.field("deduction")
        expr = f"N({es})+N({ind})" + (f"-N({ded})" if ded else "")
        scored = [rng for rng in (self.p.column_range("indicators", "score"), self.p.column_range("tasks", "score")) if rng]
        blank = "+".join(f"COUNT({rng})" for rng in scored) or "0"
        blank = f"{blank}+ISNUMBER({es})"
        total = f'IF({blank}=0,"",{_round(self.rules, f"MIN(100,MAX(0,{expr}))")})'
        done = self.p.column_range("indicators", "completion")
        if done is None:
            return total
        return f'IF(SUMPRODUCT(--(LEFT({done},1)="{PROMPT_PREFIX}"))>0,"{PROMPT_PREFIX}按各行提示填写完成程度",{total})'

    def grade(self) -> str | None:
        total = self._ref_or("total", self.total)
        if total is None:
            return None
        text = f'"{self.rules.lowest_grade}"'
        for name, floor in reversed(self.rules.grade_bands):
            text = f'IF({total}>={formula_number(floor)},"{name}",{text})'
        return f'IF(ISNUMBER({total}),{text},"")'

    def fields(self) -> dict[str, str]:
        out = {}
        for name, make in (("execution_rate", self.execution_rate), ("execution_score", self.execution_score),
                           ("indicator_score", self.indicator_score), ("total", self.total), ("grade", self.grade)):
            if self.p.field(name) is not None:
                text = make()
                if text is not None:
                    out[name] = text
        return out

    # ---- indicator rows ------------------------------------------------------------------

    def operand_columns(self) -> tuple[str | None, str | None, str | None]:
        """Columns of the helper cells holding the operator class, target number and actual
        number of an indicator row (formulas over the printed cells)."""
        p = self.p
        return p.col("indicators", "_operator"), p.col("indicators", "_target"), p.col("indicators", "_actual")

    # Row formulas are built for a row *number text* ``r``: ``ROW_MARK`` gives one text for
    # every row of a table, which the renderer's row-number substitution completes.

    def completion(self, i: int) -> str | None:
        return self.completion_at(str(self.p.row("indicators", i)))

    def score(self, i: int, weight: Decimal | None = None) -> str | None:
        return self.score_at(str(self.p.row("indicators", i)), weight)

    def helper(self, key: str, i: int) -> str | None:
        return self.helper_at(key, str(self.p.row("indicators", i)))

    def task_rate(self, i: int) -> str | None:
        return self.task_rate_at(str(self.p.row("tasks", i)))

    def task_score(self, i: int) -> str | None:
        return self.task_score_at(str(self.p.row("tasks", i)))

    # ---- helper cells: the printed cells read as perfscore reads them (docs/scoring.md §4, §9)

    def helper_at(self, key: str, r: str) -> str | None:
        p = self.p
        target, actual = p.col("indicators", "target"), p.col("indicators", "actual")
        if target is None or actual is None or p.col("indicators", key) is None:
            return None
        if key == "_operator":
            op = p.col("indicators", "operator")
            t = target + r
            bare = self.bare_operator(r)
            if op is None:   # a combined 年度指标值 (≥95%): the operator is in the target's text
                explicit = f'IF(OR(LEFT(TRIM({t}),1)="=",LEFT(TRIM({t}),1)="＝"),"=",{bare})'   # =48%: never the bare rule
                return f'IF(TRIM({t})="","",{_operator_class(t, explicit)})'
            o = op + r
            return f'IF(TRIM({t})="","",IF(TRIM({o})="",{bare},{_operator_class(o, _among(o, OPS_EQ, "=", "?"))}))'
        if key == "_target":
            t = target + r
            dated = f"SUMPRODUCT(--ISNUMBER(FIND({_array(DATE_WORDS)},{t})))>0"
            return f'IF(OR(TRIM({t})="",AND(ISTEXT({t}),{dated})),"",{_number_of(t)})'
        if key == "_level":
            name, level1 = p.col("indicators", "name"), p.col("indicators", "level1")
            if name is None or level1 is None:
                return None
            first = p.row("indicators", 0)
            run = f"{level1}${first}:{level1}{r}"
            lv = f'SUBSTITUTE(SUBSTITUTE(LOOKUP(2,1/({run}<>""),{run})," ",""),"　","")'
            return f'IF(TRIM({name}{r})="","",IFERROR(IF(RIGHT({lv},2)="指标",{lv},{lv}&"指标"),""))'
        if key == "_weight":
            return self.split_weight_at(r)
        if key == "_actual":
            o, t = p.col("indicators", "_operator") + r, p.col("indicators", "_target") + r  # type: ignore[operator]
            a = actual + r
            unit = p.col("indicators", "unit")
            words = f'SUBSTITUTE({(unit + r + "&") if unit else ""}{target + r},"％","%")'
            percent_row = f'OR(ISNUMBER(SEARCH("%",{words})),LEFT(CELL("format",{target + r}),1)="P")'
            zero = (f'AND(ISTEXT({a}),OR(LEFT(TRIM({a}),1)="无",LEFT(TRIM({a}),1)="零",TRIM({a})="未发生"),'
                    f'OR({o}="≤",AND({o}="=",N({t})=0)))')
            bare_fraction = (f'AND(ISNUMBER({a}),LEFT(CELL("format",{a}),1)<>"P",{a}>0,{a}<=1,N({t})>1,{percent_row})')
            return (f'IF(TRIM({a})="","",IF({zero},0,IF({bare_fraction},"{PROMPT_PREFIX}按百分数填写，如 98%",'
                    f'{_number_of(a)})))')
        return None

    def split_weight_at(self, r: str) -> str | None:
        """分值 of a filled row under the policy's split (§6): its 一级's share (after the
        fallbacks of levels without rows) divided among that level's filled rows at 2 decimals,
        the last row taking the remainder; a prompt for a 一级指标 the split does not know."""
        p, rules = self.p, self.rules
        g, rng = p.col("indicators", "_level"), p.column_range("indicators", "_level")
        if g is None or rng is None or not rules.share_levels:
            return None
        last = rng.split(":")[1]
        lvl = g + r
        levels = _array(rules.share_levels)
        pattern = "+".join(f'(COUNTIF({rng},"{_quoted(name)}")>0)*{2 ** k}' for k, name in enumerate(rules.share_levels))
        table = "{" + ";".join(",".join(formula_number(x) for x in row) for row in rules.share_table) + "}"
        share = f"INDEX({table},{pattern},MATCH({lvl},{levels},0))"
        n = f"COUNTIF({rng},{lvl})"
        even = f"ROUND({share}/{n}+{GUARD},2)"
        each = f"IF({even}*({n}-1)>{share},ROUNDDOWN({share}/{n},2),{even})"
        weight = f"IF(COUNTIF({lvl}:{g}${last[len(g):]},{lvl})=1,{share}-{each}*({n}-1),{each})"
        ask = f'"{PROMPT_PREFIX}填写一级指标（{"、".join(rules.share_levels)}）"'
        return f'IF({lvl}="","",IF(ISNA(MATCH({lvl},{levels},0)),{ask},{weight}))'

    def bare_operator(self, r: str) -> str:
        """The operator of a bare target number: '=', under 成本指标 the policy's (the 二级指标
        of a row is the last one printed above it: a merged run holds it in its first row)."""
        cost = {"≥": "≥", ">": "≥", "≤": "≤", "<": "≤"}.get(self.rules.cost_bare_operator, "=")
        level2 = self.p.col("indicators", "level2")
        if cost == "=" or level2 is None:
            return EQ_TEXT
        first = self.p.row("indicators", 0)
        run = f"{level2}${first}:{level2}{r}"
        return f'IF(ISNUMBER(SEARCH("成本",LOOKUP(2,1/({run}<>""),{run}))),"{cost}","=")'

    def completion_at(self, r: str) -> str | None:
        """完成程度 (docs/scoring.md §4, §5): a quantitative row's exact fraction c from the helper
        cells (the cell's percent format shows it to 2 decimals, 得分 uses the exact c); a
        qualitative row's from its grade word (A → 100%; B and C ask for a completion in their
        band). Where it cannot decide, a short prompt of what to type (never an error value)."""
        o, t, a = self.operand_columns()
        target, actual = self.p.col("indicators", "target"), self.p.col("indicators", "actual")
        if o is None or t is None or a is None or target is None or actual is None:
            return None
        o, t, a = o + r, t + r, a + r
        target, actual = target + r, actual + r
        reverse = f"{t}/{a}" if self.rules.reverse_formula == "ratio" else f"MAX(0,1-({a}-{t})/{t})"
        rule = (
            f'IF({o}="≥",IF(OR({t}=0,{a}>={t}),1,{a}/{t}),'
            f'IF({o}="≤",IF({t}=0,IF({a}=0,1,0),IF({a}<={t},1,{reverse})),'
            f'IF({o}="=",IF({t}=0,IF({a}=0,1,0),IF({a}>={t},1,{a}/{t})),"{PROMPT_PREFIX}填写运算符号（≥、≤、=）")))'
        )
        # an actual without a number against a number target (达到预期目标 against 100%) is graded
        # by its word, as the scorer does (docs/scoring.md §5)
        return (f'IF(OR(TRIM({target})="",TRIM({actual})=""),"",'
                f'IF(AND(ISNUMBER({t}),ISNUMBER({a})),{rule},'
                f'IF(AND(ISNUMBER({t}),{a}<>""),{a},{self.grade_completion(target, actual)})))')

    def grade_completion(self, target: str, actual: str) -> str:
        """A qualitative row's 完成程度 from its grade word, as the scorer grades it (§5)."""
        text = f'SUBSTITUTE(SUBSTITUTE({actual}," ",""),"　","")'
        prefixes = dict(self.rules.grade_prefixes)
        exact = dict(self.rules.grade_exact)
        bands = {g: (lo, hi) for g, lo, hi in self.rules.qualitative_bands}

        def starts(grade: str) -> str:
            tests = [f'LEFT({text},{len(w)})="{_quoted(w)}"' for w in prefixes.get(grade, ())]
            tests += [f'{text}="{_quoted(w)}"' for w in exact.get(grade, ())]
            return "OR(" + ",".join(tests) + ")" if tests else "FALSE"

        def ask(grade: str) -> str:
            lo, hi = bands[grade]
            return f'"{PROMPT_PREFIX}填写完成程度（{formula_number(lo)}%–{formula_number(hi)}%）"'

        negated = f"SUMPRODUCT(--ISNUMBER(FIND({_array(NEGATIONS)},{text})))>0"
        digits = f'SUMPRODUCT(--ISNUMBER(FIND({{0,1,2,3,4,5,6,7,8,9}},{text})))>0'
        grades = "、".join(w for g in ("A", "B", "C") for w in prefixes.get(g, ())[:1])
        return (f'IF({text}=SUBSTITUTE(SUBSTITUTE({target}," ",""),"　",""),1,'
                f'IF(OR(ISNUMBER({actual}),{digits}),"{PROMPT_PREFIX}填写完成程度",'
                f'IF({starts("B")},{ask("B")},IF({starts("C")},{ask("C")},'
                f'IF(AND({starts("A")},NOT({negated})),1,IF({negated},{ask("C")},'
                f'"{PROMPT_PREFIX}填写等级（以 {grades} 开头）"))))))')

    def score_at(self, r: str, weight: Decimal | None = None) -> str | None:
        """得分 = 分值 × 完成程度, rounded (every row: a qualitative row's 完成程度 is a value or
        its grade's formula). A layout without a 分值 column gets the row's ``weight`` as a
        constant. Blank while 完成程度 is not a number (empty, or a prompt)."""
        c, w = self.p.col("indicators", "completion"), self.p.col("indicators", "weight")
        if w is None and weight is None:
            w = self.p.col("indicators", "_weight")   # a blank form without 分值: the policy's split
        if c is None or (w is None and weight is None):
            return None
        if w is None:
            c = c + r
            return f'IF(ISNUMBER({c}),{_round(self.rules, f"{formula_number(weight)}*{c}")},"")'  # type: ignore[arg-type]
        c, w = c + r, w + r
        return f'IF(AND(ISNUMBER({c}),ISNUMBER({w})),{_round(self.rules, f"{w}*{c}")},"")'

    # ---- task rows (department sheets) -----------------------------------------------------

    def task_rate_at(self, r: str) -> str | None:
        b, e = self.p.col("tasks", "budget"), self.p.col("tasks", "executed")
        if b is None or e is None:
            return None
        return f'IF({b}{r}="","",{_rate(e + r, b + r, self.rules)})'

    def task_score_at(self, r: str) -> str | None:
        w = self.p.col("tasks", "weight")
        rate = self.p.col("tasks", "rate")
        if w is None:
            return None
        if rate is not None:
            rate_ref = rate + r
        else:
            inline = self.task_rate_at(r)
            if inline is None:
                return None
            rate_ref = f"({inline})"
        return f'IF({rate_ref}="","",{_round(self.rules, f"N({w}{r})*{_capped(rate_ref, self.rules)}")})'


