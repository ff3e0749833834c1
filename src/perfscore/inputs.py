"""One input path: whatever a user hands us (a project or department file, a directory,
a filled sheet, a flat workbook) becomes the sheets to score plus the inputs that failed.

``read_inputs(paths)`` walks the paths once (``discover``) and reads each file once: a
workbook is opened and inflated a single time and handed to the reader its sheets call
for (``read_workbook``, the one place that chooses a workbook reader). Every command and
the batch read through here, so all of them take the same inputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .errors import Failure, PerfscoreError
from .model import Sheet
from .projectfile import TEXT_SUFFIXES, read_sheet_file

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
ZIP_WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}  # what perfscore's own templates and flat workbooks are
INPUT_SUFFIXES = set(TEXT_SUFFIXES) | EXCEL_SUFFIXES


@dataclass
class Input:
    """One sheet read from an input, ready to score.

    ``source`` is what messages name: the file, or the file and the flat workbook's row.
    ``cells`` maps a field path (``indicators[3].actual``, ``budget.executed``) to the cell
    it was read from (``G17``, ``项目!G3``); it is empty for text files.
    """

    path: Path
    source: str
    sheet: Sheet
    cells: dict[str, str] = field(default_factory=dict)

    def cell_of(self, path: str) -> str:
        """The cell a discrepancy's printed value (``indicators[2].score``, ``total``) was
        read from; '' when unknown (text files)."""
        return reported_cell(self.cells, path)


# a discrepancy's column → the field path its printed value was read into
_REPORTED = {"score": "reported_score", "completion": "reported_completion", "execution_rate": "reported_rate"}
_ROW_PATH = re.compile(r"^(indicators|tasks)\[(\d+)\]\.(\w+)$")


def reported_cell(cells: dict[str, str], path: str) -> str:
    """``cells``' address of the printed value a discrepancy path names ('' if none)."""
    match = _ROW_PATH.match(path)
    if match:
        table, index, column = match.groups()
        return cells.get(f"{table}[{index}].{_REPORTED.get(column, column)}", "")
    return cells.get(f"reported.{path}", "")


def discover(paths: Iterable[Path | str], skip: Path | None = None) -> list[Path]:
    """The files to read, in order: a file named explicitly is kept (a missing one too, so
    reading it names it); a directory is searched recursively for project files and
    workbooks, leaving out hidden files and anything under ``skip`` (an output directory)."""
    found: list[Path] = []
    skipped = skip.resolve() if skip is not None else None
    for path in map(Path, paths):
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if (child.is_file() and child.suffix.lower() in INPUT_SUFFIXES
                        and not any(part.startswith(".") for part in child.relative_to(path).parts)
                        and (skipped is None or skipped not in child.resolve().parents)):
                    found.append(child)
        else:
            found.append(path)
    return found


def read_workbook(path: Path, template: Path | str | None = None) -> list[Input | Failure]:
    """The sheets of one workbook, opened once. This is the one place that chooses a
    workbook reader:

    - a flat workbook (sheets 项目 and 指标): one Input per project row, or that row's Failure;
    - ``template`` given, or a sheet named as one of perfscore's shipped templates: read
      through the template's map;
    - anything else (.xls, .ods, an official form in any layout): the label-driven form
      reader, one Input per form found.

    A workbook that cannot be read at all raises (PerfscoreError)."""
    if path.suffix.lower() not in ZIP_WORKBOOK_SUFFIXES:
        return _forms(path)
    from .flat import is_flat_workbook, read_flat_workbook
    from .sheets.importing import has_template_sheet, import_sheet_cells
    from .xlsx.package import open_workbook

    book = open_workbook(path)
    if is_flat_workbook(book):
        return [item if isinstance(item, Failure) else Input(path, source, item, cells)
                for source, item, cells in read_flat_workbook(book)]
    if template is not None or has_template_sheet(book):
        sheet, cells = import_sheet_cells(book, template)
        return [Input(path, str(path), sheet, cells)]
    return _forms(path)


def _forms(path: Path) -> list[Input | Failure]:
    from .forms import read_form_workbook

    return [Input(path, form.source, form.sheet, form.cells) for form in read_form_workbook(path)]


def read_path(path: Path | str, template: Path | str | None = None) -> list[Input | Failure]:
    """The sheets of one file (text or workbook); a failure is returned, not raised."""
    path = Path(path)
    try:
        if path.suffix.lower() in EXCEL_SUFFIXES:
            return read_workbook(path, template)
        return [Input(path, str(path), read_sheet_file(path))]
    except PerfscoreError as exc:
        return [Failure.from_error(path, exc)]


def read_inputs(paths: Iterable[Path | str], skip: Path | None = None, template: Path | str | None = None
                ) -> tuple[list[Input], list[Failure]]:
    """Every sheet of every input, and every input (or flat-workbook row) that failed."""
    inputs: list[Input] = []
    failures: list[Failure] = []
    for path in discover(paths, skip=skip):
        for item in read_path(path, template):
            (failures if isinstance(item, Failure) else inputs).append(item)
    return inputs, failures
