"""One input path: whatever a user hands us (a project or department file, a directory,
a filled sheet, a flat workbook) becomes the sheets to score plus the inputs that failed.

``read_inputs(paths)`` walks the paths once (``discover``) and reads each file once: a
workbook is opened and inflated a single time and handed to the reader its sheets call
for (``read_workbook``, the one place that chooses a workbook reader). Every command and
the batch read through here, so all of them take the same inputs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .errors import Failure, PerfscoreError
from .model import Sheet
from .projectfile import TEXT_SUFFIXES, read_sheet_file

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
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
    reading it names it); a directory is searched recursively (one walk, in the order of
    ``sorted(rglob)``) for project files and workbooks, leaving out hidden files and folders,
    anything under ``skip`` (an output directory), and linked folders (never a loop)."""
    return list(iter_inputs(paths, skip))


def iter_inputs(paths: Iterable[Path | str], skip: Path | None = None) -> Iterator[Path]:
    """``discover``'s files one at a time (a batch of any size never holds the list)."""
    skipped = os.path.realpath(skip) if skip is not None else None
    for path in map(Path, paths):
        if path.is_dir():
            if skipped is None or os.path.realpath(path) != skipped:
                yield from _walk(str(path), skipped)
        else:
            yield path


def _walk(folder: str, skipped: str | None) -> Iterator[Path]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:  # unreadable folder: nothing to read in it
        return
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                if skipped is None or os.path.realpath(entry.path) != skipped:
                    yield from _walk(entry.path, skipped)
                continue
            if os.path.splitext(name)[1].lower() not in INPUT_SUFFIXES or not entry.is_file():
                continue
            if entry.is_symlink() and skipped is not None and os.path.realpath(entry.path).startswith(skipped + os.sep):
                continue  # a link to one of the outputs
        except OSError:  # a link loop or a vanished file: not an input
            continue
        yield Path(entry.path)


def read_workbook(path: Path, template: Path | str | None = None) -> list[Input | Failure]:
    """The sheets of one workbook, opened once: a flat workbook (sheets 项目 and 指标) gives
    one per project row, each an Input or the Failure of that row; any other workbook is
    read as a filled perfscore sheet through its template's map (``template``, or the
    built-in project and department templates). A workbook that cannot be read at all
    raises (PerfscoreError). This is the one place that chooses a workbook reader."""
    from .flat import is_flat_workbook, read_flat_workbook
    from .sheets.importing import import_sheet_cells
    from .xlsx.package import open_workbook

    book = open_workbook(path)
    if is_flat_workbook(book):
        return [item if isinstance(item, Failure) else Input(path, source, item, cells)
                for source, item, cells in read_flat_workbook(book)]
    sheet, cells = import_sheet_cells(book, template)
    return [Input(path, str(path), sheet, cells)]


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
