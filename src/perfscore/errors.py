"""Errors a user sees: one Chinese line that names the file, the project, the
indicator and the field. The CLI prints ``str(error)`` and exits 1, no traceback."""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Problem:
    """One problem a user sees. ``message`` is the whole Chinese line (it names the file,
    project, indicator, field and cell as it always has; ``str()`` is that line); the
    other fields hold the same places as values, where the reader knew them, so the
    问题 sheet can give each its own column."""

    message: str
    file: str | None = None
    project: str | None = None
    indicator: str | None = None
    field: str | None = None  # the field's Chinese name (全年完成值, 得分)
    cell: str | None = None  # J14, 项目!G3
    path: str | None = None  # the field's path in the model (indicators[2].actual): where a reader's cells map finds its cell

    def __str__(self) -> str:
        return self.message

    def located(self, **where: str | None) -> "Problem":
        """This problem with the places it lacks filled in from ``where``."""
        missing = {k: v for k, v in where.items() if v and not getattr(self, k)}
        return dataclasses.replace(self, **missing) if missing else self

    def at_cell(self, cell: str | None) -> "Problem":
        """This problem located at a workbook ``cell`` its line does not name yet: the line
        names it before the field (``… 单元格 H15 字段 completion（完成程度）: …``)."""
        if not cell or self.cell:
            return self
        message = self.message
        if f"单元格 {cell}" not in message:
            cut = message.find(" 字段 ")
            cut = cut if cut >= 0 else message.find(": ")
            message = f"{message[:cut]} 单元格 {cell}{message[cut:]}" if cut >= 0 else f"{message}（单元格 {cell}）"
        return dataclasses.replace(self, message=message, cell=cell)


def problems_of(items: Iterable[Problem | str] | Problem | str) -> list[Problem]:
    """Problems from problems or plain lines."""
    if isinstance(items, (str, Problem)):
        items = [items]
    return [p if isinstance(p, Problem) else Problem(str(p)) for p in items]


class PerfscoreError(Exception):
    """Base of every error perfscore reports to a user (message in Chinese)."""


class InputError(PerfscoreError):
    """A project file, policy file or sheet that cannot be read or validated.

    ``problems`` holds every problem found as a ``Problem`` (``perfscore check`` lists
    them all); ``str()`` joins their lines, one per line.
    """

    def __init__(self, problems: Iterable[Problem | str] | Problem | str):
        self.problems = problems_of(problems)
        super().__init__("\n".join(p.message for p in self.problems))


class SheetError(InputError):
    """An Excel workbook or template that cannot be read or written."""


class LayoutError(SheetError):
    """A sheet named as a template's whose labels are not where the template has them (rows
    inserted or deleted): reading it through the map would misread it."""


class OutputError(PerfscoreError):
    """An output that cannot be written (read-only directory, full disk, would overwrite an input)."""


class DownloadError(PerfscoreError):
    """A package that pip could not download or build (``perfscore bundle``)."""


@dataclass(frozen=True)
class Failure:
    """An input that could not be read or scored; a batch goes on without it."""

    source: str  # the file (and sheet row) it came from
    name: str | None  # the project's name, when it could be read
    unit: str | None  # 实施单位 / 主管部门, when it could be read
    problems: tuple[Problem, ...]  # every problem, one Chinese line each

    def __post_init__(self) -> None:
        located = tuple(p.located(file=self.source, project=self.name) for p in problems_of(self.problems))
        object.__setattr__(self, "problems", located)

    @classmethod
    def from_error(cls, source: str | os.PathLike[str], exc: PerfscoreError, name: str | None = None,
                   unit: str | None = None) -> "Failure":
        """The failure of ``source`` because of ``exc``: each of its problems, or its message."""
        problems = getattr(exc, "problems", None) or [str(exc)]
        return cls(str(source), name, unit, tuple(problems_of(problems)))

    def lines(self) -> list[str]:
        """Each problem's line, as a user sees it."""
        return [p.message for p in self.problems]


# C0 and C1 controls (CR, LF, ESC …) and the invisible format controls that reorder or hide
# text on a terminal (bidi overrides and isolates, zero-width characters, BOM)
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]")


def _escape_char(match: re.Match) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` safe to print on one terminal line: every control character escaped
    (``\\r`` → ``\\x0d``, ESC → ``\\x1b``, U+202E → ``\\u202e``), so a name cannot forge a
    line, move the cursor or reverse what follows."""
    return _CONTROLS.sub(_escape_char, str(text))
