"""One entry point for every input a user may hand us: a project or department file
(YAML/JSON) or a filled sheet (.xlsx in a template's layout)."""

from __future__ import annotations

from pathlib import Path

from .model import Sheet
from .projectfile import read_sheet_file

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}


def read_sheet(path: Path | str) -> Sheet:
    """Read a project/department file or a filled .xlsx sheet into a model."""
    path = Path(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        from .sheets.importing import import_sheet

        return import_sheet(path)
    return read_sheet_file(path)
