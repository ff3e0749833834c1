"""Live formulas for a filled sheet (SCORING.md §3–§7 as Excel formulas), emitted from the
map's field and column *roles*, so any template + map gets them without per-layout code.

The formulas only restate the rules the Decimal scorer applies; the value each formula cell
carries as its cached ``<v>`` is the scorer's own result (``sheets/fill.py``), so readers
without a calculation engine see perfscore's numbers. Constants come from the policy
(``Rules``). Where the sheet keeps operator, number and unit in one printed cell (a map with a
``target`` column and no ``operator`` column), the numbers the formulas need live in hidden
helper columns to the right of the print area (``HELPER_COLUMNS``, added by the compiler).

Rounding: ROUND is half away from zero, i.e. ROUND_HALF_UP for the non-negative values of a
sheet; a product that should land exactly on …5 may be a hair under it in binary floating
point, so every rounding adds ``GUARD`` first (EXCEL_NOTES.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from .maps import SheetMap
from .refs import split_addr, col_letters
from .shifting import Shift

GUARD = "0.000000001"  # 1e-9, written the way LibreOffice writes it back
# operators as the operator cell (or helper) holds them; perfscore writes the glyphs
# (and the full-width and variant glyphs a unit may type into a blank form: SCORING.md §4)
OPS_UP = ("≥", ">=", ">", "＞＝", "＞", "≧", "⩾")
OPS_DOWN = ("≤", "<=", "<", "＜＝", "＜", "≦", "⩽")
OPS_EQ = ("=", "＝", "")
# hidden helper columns of a combined target cell (``≥95%``): the operator and the target number
HELPER_COLUMNS = ("_operator", "_target")
# the cells perfscore writes formulas into: printed results, never inputs of the scoring
OUTPUT_FIELDS = frozenset({"execution_rate", "execution_score", "indicator_score", "total", "grade"})
OUTPUT_COLUMNS = frozenset({"completion", "score", "rate"})


@dataclass(frozen=True)
class Rules:
    """The policy's numbers as the formulas need them (SCORING.md §10)."""

    score_decimals: int = 2
    score_rounding: str = "half_up"          # half_up (ROUND) | down (ROUNDDOWN)
    rate_decimals: int = 2                    # percent decimals of 执行率
    execution_cap: bool = True
    reverse_formula: str = "ratio"            # ratio | linear
    grade_bands: tuple[tuple[str, Decimal], ...] = (("优", Decimal(90)), ("良", Decimal(80)), ("中", Decimal(60)))
    lowest_grade: str = "差"
    execution_weight: Decimal = Decimal(10)   # when the sheet has no cell for it


def _num(d: Decimal | int) -> str:
    """A constant as formula text: plain decimal notation, no exponent, no trailing zeros."""
    return format(Decimal(d).normalize(), "f")


class Places:
    """Where each field and table cell of a map lands for one tuple of table row counts."""

    def __init__(self, sheet_map: SheetMap, counts: dict[str, int], helpers: dict[str, dict[str, str]] | None = None):
        self.map = sheet_map
        self.counts = counts
        order = sorted(sheet_map.tables.items(), key=lambda kv: kv[1].row)
        self.sh = Shift([(t.row, counts.get(name, 0)) for name, t in order])
        self.helpers = helpers or {}

    def field(self, name: str) -> str | None:
        addrs = self.map.fields.get(name)
        if not addrs:
            return None
        c, r = split_addr(addrs[0])
        return col_letters(c) + str(self.sh.start(r))

    def fields(self, name: str) -> list[str]:
        out = []
        for addr in self.map.fields.get(name, ()):
            c, r = split_addr(addr)
            out.append(col_letters(c) + str(self.sh.start(r)))
        return out

    def col(self, table: str, key: str) -> str | None:
        t = self.map.tables.get(table)
        if t is None:
            return None
        return t.columns.get(key) or self.helpers.get(table, {}).get(key)

    def row(self, table: str, i: int) -> int:
        return self.sh.start(self.map.tables[table].row) + i

    def column_range(self, table: str, key: str) -> str | None:
        col, n = self.col(table, key), self.counts.get(table, 0)
        if col is None or n == 0:
            return None
        first = self.row(table, 0)
        return f"{col}{first}:{col}{first + n - 1}"


def _round(rules: Rules, expr: str) -> str:
    fn = "ROUNDDOWN" if rules.score_rounding == "down" else "ROUND"
    return f"{fn}({expr}+{GUARD},{rules.score_decimals})"


def _rate(executed: str, budget: str, rules: Rules) -> str:
    """执行率 as a fraction, rounded to the policy's percent decimals (half up); budget 0 → 0."""
    return f"IF(N({budget})=0,0,ROUND({executed}/{budget}+{GUARD},{rules.rate_decimals + 2}))"


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
            return f"SUM({rng})" if rng else "0"
        rate = self._ref_or("execution_rate", self.execution_rate)
        if rate is None:
            return None
        weight = self.p.field("execution_weight") or _num(self.rules.execution_weight)
        return _round(self.rules, f"{weight}*{_capped(rate, self.rules)}")

    def indicator_score(self) -> str | None:
        if "indicators" not in self.p.map.tables or self.p.col("indicators", "score") is None:
            return None
        rng = self.p.column_range("indicators", "score")
        return f"SUM({rng})" if rng else "0"

    def total(self) -> str | None:
        es = self._ref_or("execution_score", self.execution_score)
        ind = self._ref_or("indicator_score", self.indicator_score)
        if es is None or ind is None:
            return None
        ded = self.p.field("deduction")
        expr = f"N({es})+N({ind})" + (f"-N({ded})" if ded else "")
        return _round(self.rules, f"MIN(100,MAX(0,{expr}))")

    def grade(self) -> str | None:
        total = self._ref_or("total", self.total)
        if total is None:
            return None
        text = f'"{self.rules.lowest_grade}"'
        for name, floor in reversed(self.rules.grade_bands):
            text = f'IF({total}>={_num(floor)},"{name}",{text})'
        return text

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
        """Columns of the operator, target number and actual number of an indicator row."""
        p = self.p
        if p.col("indicators", "operator") is not None:
            return p.col("indicators", "operator"), p.col("indicators", "target"), p.col("indicators", "actual")
        return p.col("indicators", "_operator"), p.col("indicators", "_target"), p.col("indicators", "actual")

    # Row formulas are built for a row *number text* ``r``: ``ROW_MARK`` gives one text for
    # every row of a table, which the renderer's row-number substitution completes.

    def completion(self, i: int) -> str | None:
        return self.completion_at(str(self.p.row("indicators", i)))

    def score(self, i: int, weight: Decimal | None = None) -> str | None:
        return self.score_at(str(self.p.row("indicators", i)), weight)

    def task_rate(self, i: int) -> str | None:
        return self.task_rate_at(str(self.p.row("tasks", i)))

    def task_score(self, i: int) -> str | None:
        return self.task_score_at(str(self.p.row("tasks", i)))

    def completion_at(self, r: str) -> str | None:
        """完成程度 of a quantitative row (SCORING.md §4): the exact fraction c; the cell's
        percent format shows it to 2 decimals, and 得分 uses the exact c."""
        o, t, a = self.operand_columns()
        if o is None or t is None or a is None:
            return None
        o, t, a = o + r, t + r, a + r

        def among(ops: tuple[str, ...]) -> str:
            return "OR(" + ",".join(f'{o}="{x}"' for x in ops) + ")"

        reverse = f"{t}/{a}" if self.rules.reverse_formula == "ratio" else f"MAX(0,1-({a}-{t})/{t})"
        rule = (
            f"IF({among(OPS_UP)},IF(OR({t}=0,{a}>={t}),1,{a}/{t}),"
            f"IF({among(OPS_DOWN)},IF({t}=0,IF({a}=0,1,0),IF({a}<={t},1,{reverse})),"
            f"IF({among(OPS_EQ)},IF({t}=0,IF({a}=0,1,0),IF({a}>={t},1,{a}/{t})),NA())))"
        )
        return f'IF(OR({t}="",{a}=""),"",IF(AND(ISNUMBER({t}),ISNUMBER({a})),{rule},NA()))'

    def score_at(self, r: str, weight: Decimal | None = None) -> str | None:
        """得分 = 分值 × 完成程度, rounded (every row: a qualitative row's 完成程度 is a value).
        A layout without a 分值 column gets the row's ``weight`` as a constant."""
        c, w = self.p.col("indicators", "completion"), self.p.col("indicators", "weight")
        if c is None or (w is None and weight is None):
            return None
        if w is None:
            c = c + r
            return f'IF({c}="","",{_round(self.rules, f"{_num(weight)}*{c}")})'  # type: ignore[arg-type]
        c, w = c + r, w + r
        return f'IF(OR({c}="",{w}=""),"",{_round(self.rules, f"{w}*{c}")})'

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


# --------------------------------------------------------------------------- comparing

_TOKEN_RE = re.compile(r'"(?:[^"]|"")*"|\d+(?:\.\d*)?(?:[Ee][+-]?\d+)?|\.\d+(?:[Ee][+-]?\d+)?|\s+|.', re.S)


def normalize_formula(text: str) -> str:
    """A formula as a comparable string: no leading '=', no spaces, no '$' or ``_xlfn.``,
    names in upper case, numbers as plain decimals (LibreOffice writes 1E-9 as
    0.000000001); text inside string literals is left alone."""
    text = text.strip()
    if text.startswith("="):
        text = text[1:]
    out = []
    for tok in _TOKEN_RE.findall(text):
        if tok.startswith('"'):
            out.append(tok)
        elif tok[0].isdigit() or (tok[0] == "." and len(tok) > 1):
            out.append(_num(Decimal(tok)))
        elif tok.isspace() or tok == "$":
            continue
        else:
            out.append(tok.upper())
    return "".join(out).replace("_XLFN.", "")
