"""Errors a user sees: one Chinese line that names the file, the project, the
indicator and the field. The CLI prints ``str(error)`` and exits 1, no traceback."""

from __future__ import annotations

import os
from dataclasses import dataclass


class PerfscoreError(Exception):
    """Base of every error perfscore reports to a user (message in Chinese)."""


class InputError(PerfscoreError):
    """A project file, policy file or sheet that cannot be read or validated.

    ``problems`` holds every problem found (``perfscore check`` lists them all);
    ``str()`` joins them one per line.
    """

    def __init__(self, problems: list[str] | str):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class SheetError(InputError):
    """An Excel workbook or template that cannot be read or written."""


class OutputError(PerfscoreError):
    """An output that cannot be written (read-only directory, full disk, would overwrite an input)."""


@dataclass(frozen=True)
class Failure:
    """An input that could not be read or scored; a batch goes on without it."""

    source: str  # the file (and sheet row) it came from
    name: str | None  # the project's name, when it could be read
    unit: str | None  # 实施单位 / 主管部门, when it could be read
    problems: tuple[str, ...]  # every problem, one Chinese line each

    @classmethod
    def from_error(cls, source: str | os.PathLike[str], exc: PerfscoreError, name: str | None = None,
                   unit: str | None = None) -> "Failure":
        """The failure of ``source`` because of ``exc``: each of its problems, or its message."""
        problems = getattr(exc, "problems", None) or [str(exc)]
        return cls(str(source), name, unit, tuple(problems))
