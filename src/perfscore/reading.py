"""One entry point for every input a user may hand us: a project or department file
(YAML/JSON) or a filled sheet (.xlsx in a template's layout)."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .model import Sheet
from .policy import Policy
from .projectfile import TEXT_SUFFIXES, read_mapping, read_sheet_file

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}


def read_sheet(path: Path | str) -> Sheet:
    """Read a project/department file or a filled .xlsx sheet into a model."""
    path = Path(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        from .sheets.importing import import_sheet

        return import_sheet(path)
    return read_sheet_file(path)


def check_sheet(path: Path | str, policy: Policy) -> list[str]:
    """Every problem of one input, each a Chinese line; [] when it scores. A project file
    whose structure fails validation still has each well-formed indicator checked, so the
    file's problems come out together, not one round at a time."""
    from .scoring import indicator_problems, score_sheet

    path = Path(path)
    try:
        score_sheet(read_sheet(path), policy, str(path))
        return []
    except InputError as exc:
        problems = list(exc.problems)
    if path.suffix.lower() in TEXT_SUFFIXES:
        try:
            data = read_mapping(path)
        except InputError:
            return problems
        problems += [p for p in indicator_problems(data, policy, str(path)) if p not in problems]
    return problems
