"""Errors a user sees: one Chinese line that names the file, the project, the
indicator and the field. The CLI prints ``str(error)`` and exits 1, no traceback."""

from __future__ import annotations


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
