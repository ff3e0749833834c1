"""What an actual or a target says in words (docs/scoring.md §5, §9): a negation of completion,
zero in words (无上访), a kept deadline (按时完成), and the dates and months of deadline
targets (9月前, 2024年11月底前) and of actuals (7月, 2024年11月20日)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from .values import compact

# A negation of completion anywhere in an actual text: never grade A (§5).
NEGATIONS = ("未完成", "未达成", "未达到", "没有完成", "没有达到", "没完成", "没达到", "未能")
# Actuals that say a deadline was kept (§9).
ON_TIME = ("按时完成", "按期完成", "如期完成", "已完成", "按时", "按期", "如期")


def negated(text: str) -> bool:
    return any(word in text for word in NEGATIONS)


def zero_in_words(text: str) -> bool:
    """无, 零, 无上访, 零投诉, 未发生: zero in words (§9)."""
    text = compact(text)
    return text.startswith(("无", "零")) or text == "未发生"


_DATE = re.compile(
    r"(?:(?P<y>[0-9]{4})年)?(?<![0-9个])(?P<m>[0-9]{1,2})月份?(?:(?P<d>[0-9]{1,2})[日号]|(?P<end>底|末))?"
    r"|(?P<y2>[0-9]{4})[-/.](?P<m2>[0-9]{1,2})[-/.](?P<d2>[0-9]{1,2})"
)
_BEFORE = ("以前", "之前", "前")
_DATE_HINT = re.compile(r"[月\-/.]")  # every _DATE match holds one of them


@dataclass(frozen=True, slots=True)
class Deadline:
    """A date or a month of a deadline or of an actual (day None: the whole month)."""

    year: int | None
    month: int
    day: int | None

    def on_or_before(self, other: "Deadline") -> bool:
        if self.year is not None and other.year is not None and self.year != other.year:
            return self.year < other.year
        if self.day is None or other.day is None:
            return self.month <= other.month
        return (self.month, self.day) <= (other.month, other.day)

    def show(self) -> str:
        year = f"{self.year}年" if self.year is not None else ""
        return f"{year}{self.month}月" + (f"{self.day}日" if self.day is not None else "")


def _date_match(match: re.Match, year: int | None) -> Deadline | None:
    if match.group("m2"):
        y, m, d, end = int(match.group("y2")), int(match.group("m2")), int(match.group("d2")), False
    else:
        y = int(match.group("y")) if match.group("y") else year
        m, d, end = int(match.group("m")), int(match.group("d")) if match.group("d") else None, bool(match.group("end"))
    if not 1 <= m <= 12:
        return None
    last = calendar.monthrange(y if y is not None else 2001, m)[1]
    if end:
        d = last
    if d is not None and not 1 <= d <= last:
        return None
    return Deadline(y, m, d)


def deadline_of(target: str, timeliness: bool, year: int | None) -> Deadline | None:
    """A deadline target (§9): a date or month followed by 前/以前/之前/底前 anywhere
    (2024年11月底前完成, 9月前), or a bare date or month under 时效指标 (11月)."""
    text = compact(target)
    if not _DATE_HINT.search(text):  # neither a month (月) nor a 2024-11-30 date
        return None
    for match in _DATE.finditer(text):
        rest = text[match.end():]
        if rest.startswith(_BEFORE) or (timeliness and _bare_date(text, match)):
            return _date_match(match, year)
    return None


def _bare_date(text: str, match: re.Match) -> bool:
    before, after = text[: match.start()], text[match.end():]
    return before in ("", "于", "在") and after in ("", "完成", "底", "末")


def date_of(text: str, year: int | None) -> Deadline | None:
    """The date or month an actual names (7月, 2024年11月20日, 于11月完成)."""
    match = _DATE.search(text)
    return _date_match(match, year) if match else None
