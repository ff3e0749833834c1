"""Cell values as finance offices type them (docs/scoring.md §4, §9).

``parse_value('≥ 95% %')`` → ``Quantity(operator='≥', number=Decimal('95'), unit='%')``.
A cell that does not hold exactly one number is ``Text``. Units are kept as typed
(normalised); the conversions are 元 ↔ 万元 ↔ 亿元 and a 万/亿 prefix on a count unit
(1.186万人 is 11860 人); two other differing units are an error. Forms that would read as a
wrong number — 26,6, 5², ٣, 1e3, 0x10, a dash before the number, ≮ — are errors.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple
from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow

GE, GT, LE, LT, EQ = "≥", ">", "≤", "<", "="

# Operator glyphs and words (docs/scoring.md §4). A word may stand anywhere before the number
# (不超过上年的5%); at each position the longest word wins (大于等于 is ≥, not >).
_OPERATOR_TOKENS = {
    ">=": GE, "=>": GE, "≥": GE, "<=": LE, "=<": LE, "≤": LE, ">": GT, "<": LT, "==": EQ, "=": EQ,
    "大于等于": GE, "大于或等于": GE, "不低于": GE, "不少于": GE, "不小于": GE, "未低于": GE, "未少于": GE,
    "至少": GE, "达到": GE,
    "小于等于": LE, "小于或等于": LE, "不高于": LE, "不超过": LE, "不超出": LE, "未超过": LE, "未超出": LE,
    "不大于": LE, "不多于": LE, "控制在": LE,
    "高于": GT, "大于": GT, "超过": GT,
    "低于": LT, "小于": LT, "少于": LT,
}
_TOKENS_BY_FIRST: dict[str, list[str]] = {}
for _token in sorted(_OPERATOR_TOKENS, key=len, reverse=True):
    _TOKENS_BY_FIRST.setdefault(_token[0], []).append(_token)
_SUFFIX_WORDS = (("及以上", GE), ("以上", GE), ("及以内", LE), ("以内", LE), ("及以下", LE), ("以下", LE))
_OPERATOR_WORDS = set(_OPERATOR_TOKENS) | {word for word, _ in _SUFFIX_WORDS}
_NEGATED = "≮≯≰≱≠"
_NEGATED_RE = re.compile(f"[{_NEGATED}]")
_DIRECTION = {GE: "up", GT: "up", LE: "down", LT: "down", EQ: "eq"}
_NOT_NUMBERS = {"nan", "inf", "+inf", "-inf", "infinity", "-infinity"}
_SUFFIX_LAST = {word[-1] for word, _ in _SUFFIX_WORDS}
# Thousands separators only in groups of three (1,234.5); 26,6 is not a number.
_NUMBER = re.compile(r"(?<![0-9])[0-9]{1,3}(?:,[0-9]{3})+(?![0-9,])(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
# _NUMBER's other alternatives: the same matches in a text without a comma
_NUMBER_NO_GROUPS = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_BAD_COMMA = re.compile(r"[0-9],[0-9]")
_GROUPED = re.compile(r"(?<![0-9,])[0-9]{1,3}(?:,[0-9]{3})+(?![0-9,])")
_EXPONENT = re.compile(r"(?<![A-Za-z0-9.])(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+(?![A-Za-z])")  # linear: starts a digit run
_HEX = re.compile(r"(?<![A-Za-z0-9])0[xX][0-9a-fA-F]+(?![A-Za-z0-9])")
_SIMPLE_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")  # normalised already, and a plain number
_PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.[0-9]*)?")
_DASHES = "-‐‑‒–—―−﹣－"
_TRANSLATE = str.maketrans({
    "≧": "≥", "⩾": "≥", "≦": "≤", "⩽": "≤", "﹤": "<", "﹥": ">", "═": "=", "﹦": "=", "\u3000": " ",
    **{dash: "-" for dash in _DASHES},
})
_TRANSLATED = re.compile("[" + re.escape("".join(map(chr, _TRANSLATE))) + "]")  # a character _TRANSLATE changes
_UNIT_ALIASES = {"万": "万元", "亿": "亿元", "%(百分比)": "%", "百分比": "%", "%%": "%"}
_MONEY_SCALE = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(100000000)}
_PREFIX_SCALE = {"万": Decimal(10000), "亿": Decimal(100000000)}

MAX_ABS = Decimal("1e15")  # larger than any budget in 万元 or any count on a sheet
MIN_ABS = Decimal("1e-9")  # a non-zero number smaller than this is a typo, not a budget


class CellValueError(ValueError):
    """A cell that cannot be read; the message is Chinese and names the problem only
    (the caller adds file / indicator / field)."""


@functools.lru_cache(maxsize=8192)
def _protected(ch: str) -> bool:
    """A character NFKC would fold into an ASCII digit that is not one: superscripts,
    subscripts, circled and parenthesised numbers (5² must not read as 52; full-width
    digits do fold)."""
    if ch.isascii() or "\uff10" <= ch <= "\uff19":
        return False
    folded = unicodedata.normalize("NFKC", ch)
    return folded != ch and any("0" <= c <= "9" for c in folded)


# Text that normalises to itself: visible ASCII, CJK ideographs, ≥ and ≤, no space (each its
# own NFKC form, none of them changed by _TRANSLATE)
_CLEAN = re.compile(r"[!-~\u4e00-\u9fff≥≤]*")


@functools.lru_cache(maxsize=16384)  # bounded: a worker's memory must not grow with the batch
def _normalize(text: str) -> str:
    if _CLEAN.fullmatch(text):
        return text
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):  # most cells already are
        if any(_protected(ch) for ch in text):
            parts, run = [], []
            for ch in text:
                if _protected(ch):
                    parts.append(unicodedata.normalize("NFKC", "".join(run)))
                    parts.append(ch)
                    run = []
                else:
                    run.append(ch)
            parts.append(unicodedata.normalize("NFKC", "".join(run)))
            text = "".join(parts)
        else:
            text = unicodedata.normalize("NFKC", text)
    if not text.isascii() and _TRANSLATED.search(text):  # ASCII only maps '-' to itself
        text = text.translate(_TRANSLATE)
    return " ".join(text.split())


def normalize_text(text: str) -> str:
    """Full-width → half-width (NFKC), ≧/≦ → ≥/≤, whitespace collapsed."""
    return _normalize(str(text))


@functools.lru_cache(maxsize=16384)  # bounded: a worker's memory must not grow with the batch
def compact(text: str) -> str:
    """Text for comparisons: normalised and without any whitespace (sheets wrap cells)."""
    return "".join(normalize_text(text).split())


@functools.lru_cache(maxsize=4096)
def _unit(unit: str) -> str:
    # '≥ 95% %' prints the unit twice: keep one.
    while len(unit) >= 2 and len(unit) % 2 == 0 and unit[: len(unit) // 2] == unit[len(unit) // 2 :]:
        unit = unit[: len(unit) // 2]
    return _UNIT_ALIASES.get(unit, unit)


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


def shown(raw: object, limit: int = 40) -> str:
    """A user's value for a message, never longer than ``limit`` (a 5000-digit number or an
    expanded YAML alias must not be printed whole)."""
    if isinstance(raw, Decimal) and len(str(raw)) > limit:
        return f"{raw:.3E}"
    if isinstance(raw, int) and not isinstance(raw, bool) and raw.bit_length() > 3 * limit:
        return "（位数过多的数字）"
    if isinstance(raw, (list, dict, tuple)):
        return "列表" if isinstance(raw, (list, tuple)) else "键值映射"
    text = str(raw)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_magnitude(number: Decimal, raw: object, what: str) -> Decimal:
    if not number.is_finite():
        raise CellValueError(f"{what}不能是 NaN 或无穷大")
    magnitude = number.copy_abs()  # no context: 1e999999999999 must not overflow here
    if magnitude >= MAX_ABS:
        raise CellValueError(f"{what} {shown(raw)} 过大")
    if magnitude and magnitude < MIN_ABS:
        raise CellValueError(f"{what} {shown(raw)} 过小（小数位过多）")
    return number


def _check_text_number(text: str, raw: object, what: str) -> None:
    """Forms that are not plain decimal numbers, each with its own message (§9). Each
    pattern is searched only when the text holds the character it needs (0x, e, a comma)."""
    if _QUIET_CHARS.issuperset(text):  # most texts: nothing below can hold
        return
    if ("0x" in text or "0X" in text) and _HEX.search(text):
        raise CellValueError(f"{what}「{shown(raw)}」是十六进制写法，请写成普通十进制数字")
    if ("e" in text or "E" in text) and _EXPONENT.search(text):
        raise CellValueError(f"{what}「{shown(raw)}」是科学计数法写法，请写成普通数字（如 1000）")
    if "," in text and _BAD_COMMA.search(text) and _BAD_COMMA.search(_GROUPED.sub("#", text)):
        raise CellValueError(
            f"{what}「{shown(raw)}」中的逗号不是千位分隔符（千位分隔须三位一组，如 1,234.5；小数点请用「.」）"
        )
    for i, ch in enumerate(text):
        if ch in _PLAIN_CHARS:
            continue
        if ch.isdecimal():
            raise CellValueError(f"{what}「{shown(raw)}」含非阿拉伯数字字符「{ch}」，请用 0–9 书写")
        # 5² is not 52, but m² is a unit and ① a list mark: only a superscript next to a digit
        if _protected(ch):
            if text[i - 1 : i].isdigit() or text[i + 1 : i + 2].isdigit():
                raise CellValueError(f"{what}「{shown(raw)}」含上标、下标或带圈数字「{ch}」，请用普通数字 0–9 书写")
        elif len(_PLAIN_CHARS) < _PLAIN_LIMIT:
            _PLAIN_CHARS.add(ch)
            if ch not in _NEGATED:
                _QUIET_CHARS.add(ch)


# Characters that are neither a non-ASCII decimal digit nor protected: every ASCII
# character, and the others as texts show them (a bounded set). A text of _QUIET_CHARS
# alone (no x, e or comma, no negated operator either) needs no check at all.
_PLAIN_CHARS = set(map(chr, range(128)))
_QUIET_CHARS = _PLAIN_CHARS - set("xXeE,")
_PLAIN_LIMIT = 65536


def parse_number(raw: object, what: str = "数值") -> Decimal:
    """A plain number (YAML/JSON number or numeric string) → Decimal; NaN, ∞, absurd
    magnitudes, commas outside groups of three, exponents in text and hex are errors."""
    if type(raw) is str and _SIMPLE_NUMBER.fullmatch(raw):  # 26.6: what the branches below make of it
        return _check_magnitude(Decimal(raw), raw, what)
    if isinstance(raw, bool):
        raise CellValueError(f"{what}应为数字，而不是 {raw!r}")
    if isinstance(raw, Decimal):
        number = raw
    elif isinstance(raw, int):
        if raw.bit_length() > 64:
            raise CellValueError(f"{what} {shown(raw)} 过大")
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(repr(raw))  # float-ok: only for Python callers; files load as Decimal
    else:
        if isinstance(raw, (list, dict, tuple)):
            raise CellValueError(f"{what}「{_container(raw)}」不是数字")
        text = normalize_text(str(raw))
        if text.lower() in _NOT_NUMBERS or text.lower() == "nan":
            raise CellValueError(f"{what}不能是 NaN 或无穷大")
        _check_text_number(text, raw, what)
        if not text or not _PLAIN_NUMBER.fullmatch(text) or not any(c.isdigit() for c in text):
            raise CellValueError(f"{what}「{shown(raw)}」不是数字")
        number = Decimal(text.replace(",", ""))
    return _check_magnitude(number, raw, what)


def _container(raw: object) -> str:
    text = repr(raw) if len(raw) <= 10 else ("列表" if isinstance(raw, (list, tuple)) else "键值映射")  # type: ignore[arg-type]
    return shown(text)


def parse_value(raw: object) -> Quantity | Text:
    """Parse one target or actual cell (docs/scoring.md §9)."""
    if isinstance(raw, str):
        return _parse_text(raw)
    if isinstance(raw, (int, Decimal, float)) and not isinstance(raw, bool):
        number = parse_number(raw)
        if number < 0:
            raise CellValueError(f"数值 {shown(raw)} 为负数")
        return Quantity(None, number)
    return _parse_text(str(raw))


@functools.lru_cache(maxsize=4096)
def _find_operator(prefix: str) -> tuple[str | None, str]:
    """The operator glyph or word standing anywhere in ``prefix`` (leftmost-longest at each
    position, so 大于等于 is ≥) and the label without it. ``≥=`` and ``=不低于`` are ≥ (an
    '=' beside another operator adds nothing); two different operators are an error."""
    if not prefix:
        return None, ""
    found: list[tuple[str, int, int]] = []
    i = 0
    while i < len(prefix):
        for token in _TOKENS_BY_FIRST.get(prefix[i], ()):
            if prefix.startswith(token, i):
                found.append((_OPERATOR_TOKENS[token], i, i + len(token)))
                i += len(token)
                break
        else:
            i += 1
    if not found:
        return None, prefix.strip()
    operators = [op for op, _, _ in found if op != EQ]
    if len({_DIRECTION[op] for op in operators}) > 1:
        raise CellValueError(f"「{shown(prefix)}」含方向相反的运算符（{'、'.join(dict.fromkeys(operators))}），请只保留一个")
    operator = operators[0] if operators else EQ
    label, last = [], 0
    for _, start, stop in found:
        label.append(prefix[last:start])
        last = stop
    label.append(prefix[last:])
    return operator, "".join(label).strip()


# Cells that _parse_text's checks cannot object to, read without them: CJK words (a grade,
# a qualitative target), and one plain number between CJK words or operator glyphs and a
# unit of CJK, % or letters that make neither an exponent nor hex. Such a cell is
# normalised already (each of these characters is its own NFKC form, none is a space, a
# digit of another script or a negated operator), so it reads exactly as the full path would.
_FAST_WORDS = re.compile(r"[\u4e00-\u9fff]+")
_FAST_QUANTITY = re.compile(r"([\u4e00-\u9fff≥≤<>=]*)([0-9]+(?:\.[0-9]+)?)([\u4e00-\u9fff%A-DF-WYZa-df-wyz]*)")


@functools.lru_cache(maxsize=16384)  # bounded: a worker's memory must not grow with the batch
def _parse_text(raw: str) -> Quantity | Text:
    fast = _FAST_QUANTITY.fullmatch(raw)
    if fast is not None:
        text, (prefix, digits, suffix) = raw, fast.groups()
        operator, prefix = _find_operator(prefix)
        return _quantity(text, operator, prefix, digits, suffix)
    if _FAST_WORDS.fullmatch(raw) and raw not in _OPERATOR_WORDS:
        return Text(raw, 0)
    text = _normalize(raw)
    if not text:
        raise CellValueError("内容为空")
    if not _QUIET_CHARS.issuperset(text):  # a negated operator is never quiet
        negated = _NEGATED_RE.search(text)
        if negated:
            raise CellValueError(f"「{shown(text)}」中的运算符「{negated.group()}」是否定形式，请改用 ≥、≤、>、< 或 =")
        _check_text_number(text, text, "数值")
    numbers = _NUMBER if "," in text else _NUMBER_NO_GROUPS  # one pattern when no comma can group
    match = numbers.search(text)
    if match is None:
        if text.lower() in _NOT_NUMBERS:
            raise CellValueError(f"「{text}」不是有效数值")
        if text in _OPERATOR_WORDS or text in _OPERATOR_TOKENS:
            raise CellValueError(f"「{text}」只有运算符，没有数值")
        return Text(text, 0)
    if numbers.search(text, match.end()) is not None:
        return Text(text, len(numbers.findall(text)))
    prefix, suffix = text[: match.start()], text[match.end() :]
    if prefix.rstrip().endswith("-"):
        raise CellValueError(f"「{shown(text)}」为负数（数字前有负号或破折号）")
    operator, prefix = _find_operator(prefix)
    if not prefix and operator is None and text in _OPERATOR_WORDS:
        raise CellValueError(f"「{text}」只有运算符，没有数值")
    return _quantity(text, operator, prefix, match.group(0), suffix)


def _quantity(text: str, operator: str | None, prefix: str, digits: str, suffix: str) -> Quantity:
    """The end of _parse_text: a 以上/以内 word after the number, and the number itself."""
    suffix = suffix.strip()
    if suffix and suffix[-1] in _SUFFIX_LAST:
        for word, op in _SUFFIX_WORDS:
            if suffix.endswith(word):
                if operator not in (None, EQ) and _DIRECTION[operator] != _DIRECTION[op]:
                    raise CellValueError(f"「{shown(text)}」的运算符「{operator}」与「{word}」矛盾，请只保留一个")
                operator = op if operator in (None, EQ) else operator
                suffix = suffix[: -len(word)].strip()
                break
    number = Decimal(digits.replace(",", "") if "," in digits else digits)
    if number >= MAX_ABS:
        raise CellValueError(f"数值 {shown(digits)} 过大")
    return Quantity(operator, number, _unit(suffix.replace(" ", "")), prefix)


def _scale(unit: str) -> tuple[Decimal, str]:
    """(factor, base unit): 万元 is 10000 元, 1.186万人 is 11860 人, 亿元 is 10^8 元."""
    if unit in _MONEY_SCALE:
        return _MONEY_SCALE[unit], "元"
    if len(unit) > 1 and unit[0] in _PREFIX_SCALE:
        return _PREFIX_SCALE[unit[0]], unit[1:]
    return Decimal(1), unit


def to_unit(quantity: Quantity, unit: str) -> Decimal:
    """The quantity's number in ``unit``: 元 ↔ 万元 ↔ 亿元, and a 万/亿 prefix on a count unit."""
    if not quantity.unit or not unit or quantity.unit == unit:
        return quantity.number
    (have, base), (want, want_base) = _scale(quantity.unit), _scale(unit)
    if base != want_base:
        raise CellValueError(f"单位「{quantity.unit}」与「{unit}」不一致")
    return quantity.number * have / want


def units_compatible(a: str, b: str) -> bool:
    return not a or not b or a == b or _scale(a)[1] == _scale(b)[1]


_EXPONENTS = {d: Decimal(1).scaleb(-d) for d in range(0, 7)}


_WIDE = Context(prec=80, Emax=999999, Emin=-999999)
# the default context (28 digits, its traps) rounding half up: Context.quantize takes no keywords
_HALF_UP = Context(prec=28, rounding=ROUND_HALF_UP, Emax=999999, Emin=-999999,
                   traps=[InvalidOperation, DivisionByZero, Overflow])


def quantize(value: Decimal, decimals: int) -> Decimal:
    """四舍五入 (ROUND_HALF_UP) to ``decimals`` places — never round(). Values beyond the
    default context's 28 digits (a rate of 10^24 % from a tiny budget) still quantize."""
    exponent = _EXPONENTS.get(decimals)
    if exponent is None:
        exponent = Decimal(1).scaleb(-decimals)
    if value.adjusted() >= 28 - decimals and value.is_finite():
        return value.quantize(exponent, rounding=ROUND_HALF_UP, context=_WIDE)
    return _HALF_UP.quantize(value, exponent)


def format_number(value: Decimal | int | None) -> str:
    """A Decimal as a sheet prints it: no exponent, no trailing zeros (98.32, 90, 0.5)."""
    if type(value) is not Decimal:
        if value is None:
            return ""
        value = Decimal(value)
    if not value.is_finite() or value.adjusted() >= 28:  # only in messages about absurd inputs
        return str(value) if not value.is_finite() else f"{value:.3E}"
    text = format(value, "f")  # an integral value prints no point (1E+2 → 100): as quantize(1) would
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


def values_differ(initial: str, target: str) -> bool:
    """Whether two written values say different things (a changed 指标值), by meaning when both parse."""
    try:
        a, b = parse_value(initial), parse_value(target)
    except CellValueError:
        return compact(initial) != compact(target)
    if isinstance(a, Quantity) and isinstance(b, Quantity):
        return (a.operator, a.number, a.unit) != (b.operator, b.number, b.unit)
    return compact(initial) != compact(target)
