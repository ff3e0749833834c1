"""Cell values as finance offices type them (SCORING.md §4, §9).

``parse_value('≥ 95% %')`` → ``Quantity(operator='≥', number=Decimal('95'), unit='%')``.
A cell that does not hold exactly one number is ``Text``. Units are kept as typed
(normalised); the only conversion is 元 ↔ 万元, and two other differing units are an error.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

GE, GT, LE, LT, EQ = "≥", ">", "≤", "<", "="
OPERATORS = (GE, GT, LE, LT, EQ)

_SYMBOLS = {">=": GE, "=>": GE, "≥": GE, "<=": LE, "=<": LE, "≤": LE, ">": GT, "<": LT, "==": EQ, "=": EQ}
# Words before the number, longest first so 不低于 wins over 低于.
_PREFIX_WORDS = sorted(
    {
        "不低于": GE, "不少于": GE, "至少": GE, "达到": GE,
        "不高于": LE, "不超过": LE, "不多于": LE,
        "高于": GT, "大于": GT, "超过": GT,
        "低于": LT, "小于": LT, "少于": LT,
    }.items(),
    key=lambda kv: -len(kv[0]),
)
_SUFFIX_WORDS = (("及以上", GE), ("以上", GE), ("以内", LE), ("及以下", LE), ("以下", LE))
_PREFIX_LAST = {word[-1] for word, _ in _PREFIX_WORDS}
_OPERATOR_WORDS = {word for word, _ in _PREFIX_WORDS} | {word for word, _ in _SUFFIX_WORDS}
_NOT_NUMBERS = {"nan", "inf", "+inf", "-inf", "infinity", "-infinity"}
_SUFFIX_LAST = {word[-1] for word, _ in _SUFFIX_WORDS}
_NUMBER = re.compile(r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+")
_SCIENTIFIC = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)[eE][-+]?\d+$")
_PREFIX_SYMBOL = re.compile(r"(>=|=>|<=|=<|==|≥|≤|>|<|=)\s*$")
_TRANSLATE = str.maketrans({"≧": "≥", "≦": "≤", "﹤": "<", "﹥": ">", "−": "-", "－": "-", "\u3000": " "})

MAX_ABS = Decimal("1e15")  # larger than any budget in 万元 or any count on a sheet


class CellValueError(ValueError):
    """A cell that cannot be read; the message is Chinese and names the problem only
    (the caller adds file / indicator / field)."""


@functools.lru_cache(maxsize=65536)
def _normalize(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):  # most cells already are: skip the copy
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.translate(_TRANSLATE).split())


def normalize_text(text: str) -> str:
    """Full-width → half-width (NFKC), ≧/≦ → ≥/≤, whitespace collapsed."""
    return _normalize(str(text))


@functools.lru_cache(maxsize=65536)
def compact(text: str) -> str:
    """Text for comparisons: normalised and without any whitespace (sheets wrap cells)."""
    return "".join(normalize_text(text).split())


@functools.lru_cache(maxsize=4096)
def _unit(unit: str) -> str:
    # '≥ 95% %' prints the unit twice: keep one.
    while len(unit) >= 2 and len(unit) % 2 == 0 and unit[: len(unit) // 2] == unit[len(unit) // 2 :]:
        unit = unit[: len(unit) // 2]
    if unit == "万":
        unit = "万元"
    return unit


class Quantity(NamedTuple):
    """One number with its operator (None when the cell gave none), unit and label."""

    operator: str | None
    number: Decimal
    unit: str = ""
    label: str = ""

    def show(self, operator: str | None = None) -> str:
        op = operator if operator is not None else (self.operator or "")
        return f"{self.label}{op}{format_number(self.number)}{self.unit}"


class Text(NamedTuple):
    """A cell that does not hold exactly one number: a qualitative target or a grade."""

    text: str
    numbers: int = 0

    def show(self) -> str:
        return self.text


def parse_number(raw: object, what: str = "数值") -> Decimal:
    """A plain number (YAML/JSON number or numeric string) → Decimal; NaN, ∞ and
    absurd magnitudes are errors."""
    if isinstance(raw, bool):
        raise CellValueError(f"{what}应为数字，而不是 {raw!r}")
    if isinstance(raw, Decimal):
        number = raw
    elif isinstance(raw, int):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(repr(raw))  # float-ok: only for Python callers; files load as Decimal
    else:
        text = normalize_text(str(raw)).replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellValueError(f"{what}「{raw}」不是数字") from None
    if not number.is_finite():
        raise CellValueError(f"{what}不能是 NaN 或无穷大")
    if abs(number) >= MAX_ABS:
        raise CellValueError(f"{what} {raw} 过大")
    return number


def parse_value(raw: object) -> Quantity | Text:
    """Parse one target or actual cell (SCORING.md §9)."""
    if isinstance(raw, str):
        return _parse_text(raw)
    if isinstance(raw, (int, Decimal, float)) and not isinstance(raw, bool):
        number = parse_number(raw)
        if number < 0:
            raise CellValueError(f"数值 {raw} 为负数")
        return Quantity(None, number)
    return _parse_text(str(raw))


@functools.lru_cache(maxsize=65536)
def _parse_text(raw: str) -> Quantity | Text:
    text = _normalize(raw)
    if not text:
        raise CellValueError("内容为空")
    matches = _NUMBER.findall(text)
    if len(matches) != 1:
        if not matches:
            if text.lower() in _NOT_NUMBERS:
                raise CellValueError(f"「{text}」不是有效数值")
            if _PREFIX_SYMBOL.fullmatch(text) or text in _OPERATOR_WORDS:
                raise CellValueError(f"「{text}」只有运算符，没有数值")
        elif len(matches) == 2 and _SCIENTIFIC.match(text):
            return parse_value(parse_number(text))
        return Text(text, len(matches))
    match = _NUMBER.search(text)
    prefix, suffix = text[: match.start()], text[match.end() :]
    if prefix.rstrip().endswith("-") and not prefix.rstrip()[:-1].rstrip().endswith(tuple("0123456789")):
        raise CellValueError(f"「{text}」为负数")
    operator = None
    prefix = prefix.strip()
    if prefix:
        symbol = _PREFIX_SYMBOL.search(prefix)
        if symbol:
            operator = _SYMBOLS[symbol.group(1)]
            prefix = prefix[: symbol.start()].strip()
        elif prefix[-1] in _PREFIX_LAST:
            for word, op in _PREFIX_WORDS:
                if prefix.endswith(word):
                    operator = op
                    prefix = prefix[: -len(word)].strip()
                    break
    suffix = suffix.strip()
    if suffix and suffix[-1] in _SUFFIX_LAST:
        for word, op in _SUFFIX_WORDS:
            if suffix.endswith(word):
                operator = operator or op
                suffix = suffix[: -len(word)].strip()
                break
    number = Decimal(match.group(0).replace(",", ""))
    if number >= MAX_ABS:
        raise CellValueError(f"数值 {match.group(0)} 过大")
    return Quantity(operator, number, _unit(suffix.replace(" ", "")), prefix)


def to_unit(quantity: Quantity, unit: str) -> Decimal:
    """The quantity's number in ``unit``; 元 ↔ 万元 is the one conversion."""
    if not quantity.unit or not unit or quantity.unit == unit:
        return quantity.number
    if (quantity.unit, unit) == ("元", "万元"):
        return quantity.number / Decimal(10000)
    if (quantity.unit, unit) == ("万元", "元"):
        return quantity.number * Decimal(10000)
    raise CellValueError(f"单位「{quantity.unit}」与「{unit}」不一致")


def units_compatible(a: str, b: str) -> bool:
    return not a or not b or a == b or {a, b} == {"元", "万元"}


_EXPONENTS = {d: Decimal(1).scaleb(-d) for d in range(0, 7)}


def quantize(value: Decimal, decimals: int) -> Decimal:
    """四舍五入 (ROUND_HALF_UP) to ``decimals`` places — never round()."""
    exponent = _EXPONENTS.get(decimals) or Decimal(1).scaleb(-decimals)
    return value.quantize(exponent, rounding=ROUND_HALF_UP)


def format_number(value: Decimal | int | None) -> str:
    """A Decimal as a sheet prints it: no exponent, no trailing zeros (98.32, 90, 0.5)."""
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_fixed(value: Decimal | None, decimals: int = 2) -> str:
    """Fixed decimals for tables (98.32, 90.00)."""
    if value is None:
        return ""
    return format(quantize(Decimal(value), decimals), "f")


def parse_percent(raw: object, what: str = "完成程度") -> Decimal:
    """'70%', 70 or 0.7 → Decimal('0.7'): a fraction. Numbers above 1 are percent."""
    if isinstance(raw, str):
        text = normalize_text(raw).replace(" ", "")
        if text.endswith("%"):
            return parse_number(text[:-1], what) / 100
        raw = text
    number = parse_number(raw, what)
    return number / 100 if number > 1 else number
