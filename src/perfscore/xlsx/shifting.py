"""The shift rule and the pieces of sheet XML that move when table rows are inserted.

Shift rule (N data rows at template row T, d = N - 1): a row below T moves by d; a range
ending on T grows to the last data row; a cell on T stays on the first data row; with N = 0
the template row is removed (a single-cell reference to it becomes ``#REF!``). References
inside string literals never move (formulas are tokenised by ``range_operands``, a port of
openpyxl's Tokenizer rules).

``Shift`` is the row mapping for one tuple of row counts; ``compile_formula`` cuts a formula
into text and references; the slot classes render a row number, a formula, a sqref, a block
or a container for a given ``Shift``.
"""

from __future__ import annotations

import bisect
import html
import re



# --------------------------------------------------------------------------- row shifting


class Shift:
    """Row mapping for one tuple of table row counts (tables sorted by template row)."""

    __slots__ = ("ts", "cum", "zero")

    def __init__(self, rows_and_counts: list[tuple[int, int]]):
        self.ts = [t for t, _ in rows_and_counts]
        self.cum = [0]
        for _, n in rows_and_counts:
            self.cum.append(self.cum[-1] + n - 1)
        self.zero = frozenset(t for t, n in rows_and_counts if n == 0)

    def count(self, t: int) -> int:
        """Data rows of the table at template row t."""
        k = self.ts.index(t)
        return self.cum[k + 1] - self.cum[k] + 1

    def start(self, r: int) -> int:
        """First row of an area starting at template row r."""
        return r + self.cum[bisect.bisect_left(self.ts, r)]

    def end(self, r: int) -> int:
        """Last row of an area ending at template row r."""
        return r + self.cum[bisect.bisect_right(self.ts, r)]

    def point(self, r: int) -> int | None:
        """A single-cell reference; None when its row was removed (N = 0)."""
        if r in self.zero:
            return None
        return r + self.cum[bisect.bisect_left(self.ts, r)]


_AREA_RE = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})(?::(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7}))?")
_ROWS_RE = re.compile(r"(\$?)([0-9]{1,7}):(\$?)([0-9]{1,7})")


class FormulaRef:
    """A reference inside a formula that may move."""

    __slots__ = ("prefix", "kind", "p1", "abs1", "r1", "p2", "abs2", "r2")

    def __init__(self, prefix, kind, p1, abs1, r1, p2="", abs2=False, r2=0):
        self.prefix, self.kind = prefix, kind
        self.p1, self.abs1, self.r1 = p1, abs1, r1
        self.p2, self.abs2, self.r2 = p2, abs2, r2

    @property
    def max_row(self) -> int:
        return max(self.r1, self.r2)

    def render(self, sh: Shift, i: int | None = None) -> str:
        if self.kind == 1:
            r = sh.point(self.r1)
            if r is None:
                return "#REF!"
            if i and not self.abs1:
                r += i
            return self.prefix + self.p1 + str(r)
        if i is None:
            a, b = sh.start(self.r1), sh.end(self.r2)
        else:  # formula of a cloned template row: relative rows follow the row
            a = sh.start(self.r1) if self.abs1 else sh.point(self.r1)
            b = sh.end(self.r2) if self.abs2 else sh.point(self.r2)
            if a is None or b is None:
                return "#REF!"
            if not self.abs1:
                a += i
            if not self.abs2:
                b += i
        if b < a:
            return "#REF!"
        return self.prefix + self.p1 + str(a) + ":" + self.p2 + str(b)


def parse_formula_ref(value: str, own_sheet: str | None, unqualified: bool) -> tuple[FormulaRef, int] | None:
    """A RANGE operand -> (FormulaRef, length of its sheet prefix), or None if it never moves."""
    prefix = ""
    ref = value
    if "!" in value:
        k = value.rindex("!")
        prefix, ref = value[: k + 1], value[k + 1 :]
        sheet = prefix[:-1]
        if len(sheet) >= 2 and sheet[0] == "'" and sheet[-1] == "'":
            sheet = sheet[1:-1].replace("''", "'")
        if own_sheet is None or "[" in sheet or ":" in sheet or sheet.casefold() != own_sheet.casefold():
            return None
    elif not unqualified:
        return None
    m = _AREA_RE.fullmatch(ref)
    if m:
        g = m.groups()
        p1 = g[0] + g[1].upper() + g[2]
        if g[4] is None:
            return FormulaRef(prefix, 1, p1, bool(g[2]), int(g[3])), len(prefix)
        p2 = g[4] + g[5].upper() + g[6]
        return FormulaRef(prefix, 2, p1, bool(g[2]), int(g[3]), p2, bool(g[6]), int(g[7])), len(prefix)
    m = _ROWS_RE.fullmatch(ref)
    if m:
        g = m.groups()
        return FormulaRef(prefix, 3, g[0], bool(g[0]), int(g[1]), g[2], bool(g[2]), int(g[3])), len(prefix)
    return None


_ENTITY_RE = re.compile(r"&(#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z]+);")


def _unescape_map(esc: str) -> tuple[str, list[int]]:
    """Unescape XML text and map each unescaped index to its offset in ``esc``."""
    out: list[str] = []
    pos: list[int] = []
    last = 0
    for m in _ENTITY_RE.finditer(esc):
        for j in range(last, m.start()):
            out.append(esc[j])
            pos.append(j)
        out.append(html.unescape(m.group(0)))
        pos.append(m.start())
        last = m.end()
    for j in range(last, len(esc)):
        out.append(esc[j])
        pos.append(j)
    text = "".join(out)
    if len(text) != len(pos):  # an entity expanded to several characters: no mapping
        raise ValueError("entity")
    pos.append(len(esc))
    return text, pos


_SCIENTIFIC = re.compile(r"^[1-9](\.[0-9]+)?[Ee]$")  # 1E before its + or - (1E+3 is one number)
_QUOTED = {'"': re.compile('"(?:[^"]*"")*[^"]*"(?!")'), "'": re.compile("'(?:[^']*'')*[^']*'(?!')")}
_ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
_TOKEN_ENDERS = frozenset(",;}) +-*/^&=><%")
_CLOSERS = {"(": ")", "{": "}"}


def _is_range(value: str) -> bool:
    """An operand that is neither text, an error, a logical nor a number (float() decides,
    as the tokenizer this mirrors does): a reference or a name."""
    if value.startswith(("\"", "#")) or value in ("TRUE", "FALSE"):
        return False
    try:
        float(value)  # float-ok: only classifies the token, as openpyxl's tokenizer does
    except ValueError:
        return True
    return False


def range_operands(text: str) -> list[tuple[int, str]]:
    """(start, text) of each reference or name operand of formula ``text`` (without its
    '='), in order. A port of the operand rules of openpyxl's formula Tokenizer (the
    Bachtal tokenizer), so that reading and filling sheets need not import openpyxl:
    strings, quoted sheet names, [brackets], error codes, functions and 1E+3 are told
    apart the same way (tests compare the two on every template formula and generated
    ones). Raises ValueError where that tokenizer fails, for a token that a line break
    cuts in two (the tokenizer would join the halves), and for a string right after an
    operand (``A1:"x"``): no valid formula has either."""
    out: list[tuple[int, str]] = []
    token: list[str] = []
    start = 0
    cut = False  # a line break came while a token was being read
    stack: list[str] = []
    i, n = 0, len(text)

    def grow(part: str) -> None:
        nonlocal start, cut
        if not token:
            start, cut = i, False
        elif cut:
            raise ValueError("a token cut by a line break")
        token.append(part)

    def save() -> None:
        if token:
            value = "".join(token)
            token.clear()
            if _is_range(value):
                out.append((start, value))

    while i < n:
        ch = text[i]
        if ch in "+-" and token and _SCIENTIFIC.match("".join(token)):
            grow(ch)
            i += 1
            continue
        if ch in _TOKEN_ENDERS:
            save()
        if ch in _QUOTED:
            if token and (ch == '"' or token[-1] != ":"):
                raise ValueError("unexpected quote")
            match = _QUOTED[ch].match(text, i)
            if match is None:
                raise ValueError("unterminated string")
            if ch == "'":  # a quoted sheet name: part of the reference
                grow(match.group())
            i = match.end()
        elif ch == "[":
            depth = 0
            for j in range(i, n):
                if text[j] == "[":
                    depth += 1
                elif text[j] == "]":
                    depth -= 1
                    if depth == 0:
                        break
            else:
                raise ValueError("unmatched [")
            grow(text[i:j + 1])
            i = j + 1
        elif ch == "#":
            if token and token[-1] != "!":
                raise ValueError("unexpected #")
            code = next((err for err in _ERROR_CODES if text.startswith(err, i)), None)
            if code is None:
                raise ValueError("unknown error code")
            grow(code)
            save()  # the error code ends the operand (Sheet1!#REF! is a reference)
            i += len(code)
        elif ch in " \n":
            while i < n and text[i] in " \n":
                cut = cut or (text[i] == "\n" and bool(token))
                i += 1
        elif ch in "+-*/^&=><%":
            i += 2 if text[i:i + 2] in (">=", "<=", "<>") else 1
        elif ch in "({":
            if token and (ch == "{" or cut):
                raise ValueError("unexpected {" if ch == "{" else "a function name cut by a line break")
            token.clear()  # a function's name is not an operand
            stack.append(ch)
            i += 1
        elif ch in ")}":
            if not stack or _CLOSERS[stack.pop()] != ch:
                raise ValueError("unbalanced brackets")
            i += 1
        elif ch in ";,":
            i += 1
        else:
            grow(ch)
            i += 1
    save()
    return out


def compile_formula(esc: str, own_sheet: str | None, unqualified: bool, min_t: int) -> list:
    """XML-escaped formula text -> pieces (str | FormulaRef). Static text is copied verbatim."""
    if not esc:
        return [esc]
    try:
        text, pos = _unescape_map(esc)
        operands = range_operands(text)
    except ValueError:  # not a formula we can read: leave it exactly as it is
        return [esc]
    pieces: list = []
    last = 0
    for at, value in operands:
        parsed = parse_formula_ref(value, own_sheet, unqualified)
        if parsed is None or parsed[0].max_row < min_t:
            continue
        ref, plen = parsed
        ref.prefix = esc[pos[at] : pos[at + plen]]
        pieces.append(esc[pos[last] : pos[at]])
        pieces.append(ref)
        last = at + len(value)
    pieces.append(esc[pos[last] :])
    return [p for p in pieces if p != ""]


class FormulaSlot:
    """A formula with movable references (layout-time piece)."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: list):
        self.pieces = pieces

    def __call__(self, sh: Shift, i: int | None = None) -> str:
        return "".join(p if p.__class__ is str else p.render(sh, i) for p in self.pieces)


def formula_piece(esc: str, own_sheet: str | None, unqualified: bool, min_t: int):
    pieces = compile_formula(esc, own_sheet, unqualified, min_t)
    if all(p.__class__ is str for p in pieces):
        return "".join(pieces)
    return FormulaSlot(pieces)


def parse_area(text: str) -> tuple[str, int, str, int] | None:
    m = _AREA_RE.fullmatch(text.strip())
    if not m:
        return None
    g = m.groups()
    c1 = g[0] + g[1].upper() + g[2]
    if g[4] is None:
        return c1, int(g[3]), c1, int(g[3])
    return c1, int(g[3]), g[4] + g[5].upper() + g[6], int(g[7])


def area_text(area: tuple[str, int, str, int], sh: Shift) -> str | None:
    c1, r1, c2, r2 = area
    a, b = sh.start(r1), sh.end(r2)
    if b < a:
        return None
    if c1 == c2 and a == b:
        return c1 + str(a)
    return c1 + str(a) + ":" + c2 + str(b)


class SqrefSlot:
    """A space-separated list of areas (sqref, ref, merge). Renders None when all vanish."""

    __slots__ = ("areas", "fallback")

    def __init__(self, areas: list, fallback: str | None):
        self.areas = areas
        self.fallback = fallback

    def __call__(self, sh: Shift) -> str | None:
        out = []
        for a in self.areas:
            if a.__class__ is str:
                out.append(a)
            else:
                t = area_text(a, sh)
                if t is not None:
                    out.append(t)
        return " ".join(out) if out else self.fallback


def sqref_piece(text: str, min_t: int, fallback: str | None):
    areas: list = []
    moving = False
    for item in text.split():
        a = parse_area(item)
        if a is None or max(a[1], a[3]) < min_t:
            areas.append(item)
        else:
            areas.append(a)
            moving = True
    if not moving:
        return text
    return SqrefSlot(areas, fallback)


class RowSlot:
    """A row number outside the tables (0-based when ``zero_based``)."""

    __slots__ = ("r", "mode", "zero_based")

    def __init__(self, r: int, mode: str = "start", zero_based: bool = False):
        self.r, self.mode, self.zero_based = r, mode, zero_based

    def __call__(self, sh: Shift) -> str:
        if self.zero_based:
            r = self.r + 1
            return str((sh.end(r) if self.mode == "end" else sh.start(r)) - 1)
        return str(sh.end(self.r) if self.mode == "end" else sh.start(self.r))


class Block:
    """Pieces that vanish together when one of their sqrefs renders None."""

    __slots__ = ("parts",)

    def __init__(self, parts: list):
        self.parts = parts

    def __call__(self, sh: Shift) -> str:
        out = []
        for p in self.parts:
            if p.__class__ is str:
                out.append(p)
                continue
            s = p(sh)
            if s is None:
                return ""
            out.append(s)
        return "".join(out)


class Container:
    """An element holding blocks; its count= follows the kept blocks; dropped when empty."""

    __slots__ = ("open", "children", "close")

    def __init__(self, open_tag: str, children: list, close: str):
        self.open, self.children, self.close = open_tag, children, close

    def __call__(self, sh: Shift) -> str:
        kept = [s for s in (c(sh) if c.__class__ is not str else c for c in self.children) if s]
        if not kept:
            return ""
        return self.open.replace("\x00COUNT\x00", str(len(kept))) + "".join(kept) + self.close



def evaluate(items: list, sh: Shift) -> str:
    return "".join(p if p.__class__ is str else p(sh) for p in items)
