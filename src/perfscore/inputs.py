"""One input path: whatever a user hands us (a project or department file, a directory,
a filled sheet, a flat workbook) becomes the sheets to score plus the inputs that failed.

``read_inputs(paths)`` walks the paths once (``discover``) and reads each file once: a
workbook is opened and inflated a single time and handed to the reader its sheets call
for (``read_workbook``, the one place that chooses a workbook reader). Every command and
the batch read through here, so all of them take the same inputs.

Each Input carries its resolved Policy (``resolve_policy``, the one place that chooses it):
the policy given by the caller (``--policy``) overrides the file's own ``policy:``, which
overrides the nearest folder's ``perfscore.yaml`` (at or below the folder the user named:
``policy.PolicyLookup``); the default preset when none applies.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .errors import Failure, InputError, LayoutError, PerfscoreError, problems_of
from .model import Sheet
from .policy import FOLDER_POLICY_NAMES, Policy, PolicyLookup, preset_policy
from .projectfile import TEXT_SUFFIXES, read_mapping, sheet_from_mapping

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
ZIP_WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}  # what perfscore's own templates and flat workbooks are
DOCUMENT_SUFFIXES = {".docx", ".pdf"}  # a Word report or a text PDF: the forms among its tables
INPUT_SUFFIXES = set(TEXT_SUFFIXES) | EXCEL_SUFFIXES | DOCUMENT_SUFFIXES


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
    policy: Policy = field(default_factory=preset_policy)
    reader: str = "file"  # which reader read it: file | flat | template | form
    notes: list[str] = field(default_factory=list)  # the reader's warnings (a form's findings)
    # what the reader read, kept so no command opens the file again: a filled sheet's
    # ``sheets.templates.FilledSheet`` (audit checks its formulas), a form's ``forms.FormSheet``
    read: object = None
    mapping: dict | None = None  # the project-file mapping it was read as (flat row, filled sheet): what import writes

    def failure(self, exc: PerfscoreError) -> Failure:
        """This sheet's Failure because of ``exc``; a problem of a field it was read from
        names that cell (scoring knows the field, the reader the cell)."""
        problems = problems_of(getattr(exc, "problems", None) or [str(exc)])
        problems = [p.at_cell(self.cells.get(p.path)) if p.path else p for p in problems]
        return Failure(self.source, self.sheet.name, self.sheet.unit or self.sheet.department, tuple(problems))

    def cell_of(self, path: str) -> str:
        """The cell a discrepancy's printed value (``indicators[2].score``, ``total``) was
        read from; '' when unknown (text files)."""
        return reported_cell(self.cells, path)


# a discrepancy's column → the field path its printed value was read into
_REPORTED = {"score": "reported_score", "completion": "reported_completion", "execution_rate": "reported_rate"}
_ROW_PATH = re.compile(r"^(indicators|tasks)\[(\d+)\]\.(\w+)$")


def row_path(path: str) -> tuple[str, int, str] | None:
    """A row's field path (``indicators[2].score``) → ("indicators", 2, "score"); None for
    a sheet's own field (``total``)."""
    match = _ROW_PATH.match(path)
    return (match.group(1), int(match.group(2)), match.group(3)) if match else None


def reported_cell(cells: dict[str, str], path: str) -> str:
    """``cells``' address of the printed value a discrepancy path names ('' if none)."""
    row = row_path(path)
    if row:
        table, index, column = row
        return cells.get(f"{table}[{index}].{_REPORTED.get(column, column)}", "")
    return cells.get(f"reported.{path}", "")


def discover(paths: Iterable[Path | str], skip: Path | None = None) -> list[Path]:
    """The files to read, in order: a file named explicitly is kept (a missing one too, so
    reading it names it); a directory is searched recursively (one walk, in the order of
    ``sorted(rglob)``) for project files and workbooks, leaving out hidden files and folders,
    anything under ``skip`` (an output directory), and linked folders (never a loop). A
    folder's policy file (perfscore.yaml) is never an input, even named explicitly
    (``samples/*/*.yaml`` in a shell names it); nor is any other policy file (``read_path``
    passes over a file with a policy's keys), nor a 绩效目标表 (a workbook of declared targets
    and no self-evaluation: ``init --from`` and ``--targets`` read it)."""
    return list(iter_inputs(paths, skip))


def iter_inputs(paths: Iterable[Path | str], skip: Path | None = None, ordered: bool = True) -> Iterator[Path | str]:
    """``discover``'s files one at a time (a batch of any size never holds the list). With
    ``ordered=False`` a folder's files come in the order the file system lists them, as
    path strings, and not even one folder's listing is held (a batch sorts its results
    itself)."""
    skipped = os.path.realpath(skip) if skip is not None else None
    for path in map(Path, paths):
        if path.is_dir():
            if skipped is None or os.path.realpath(path) != skipped:
                yield from _walk(str(path), skipped, ordered)
        elif path.name.lower() not in FOLDER_POLICY_NAMES:
            yield path


def _walk(folder: str, skipped: str | None, ordered: bool) -> Iterator[Path | str]:
    try:
        with os.scandir(folder) as it:
            yield from _walk_entries(sorted(it, key=lambda e: e.name) if ordered else it, skipped, ordered)
    except OSError:  # unreadable folder: nothing to read in it
        return


def _walk_entries(entries: Iterable[os.DirEntry], skipped: str | None, ordered: bool) -> Iterator[Path | str]:
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                if skipped is None or os.path.realpath(entry.path) != skipped:
                    yield from _walk(entry.path, skipped, ordered)
                continue
            if (os.path.splitext(name)[1].lower() not in INPUT_SUFFIXES or name.lower() in FOLDER_POLICY_NAMES
                    or not entry.is_file()):
                continue
            if entry.is_symlink() and skipped is not None and os.path.realpath(entry.path).startswith(skipped + os.sep):
                continue  # a link to one of the outputs
        except OSError:  # a link loop or a vanished file: not an input
            continue
        yield Path(entry.path) if ordered else entry.path


def read_workbook(path: Path, template: Path | str | None = None, data: bytes | None = None) -> list[Input | Failure]:
    """The sheets of one workbook, opened once. This is the one place that chooses a
    workbook reader:

    - a flat workbook (sheets 项目 and 指标): one Input per project row, or that row's Failure;
    - ``template`` given, or a sheet named as one of perfscore's shipped templates: read
      through the template's map;
    - anything else (.xls, .ods, an official form in any layout): the label-driven form
      reader, one Input per form found.

    Each Input keeps what its reader read (``Input.read``, ``Input.mapping``). A workbook
    that cannot be read at all raises (PerfscoreError). ``data``: its bytes, held already
    (nothing is then read from disk)."""
    if path.suffix.lower() not in ZIP_WORKBOOK_SUFFIXES:
        return _forms(path, data)
    from .flat import flat_mappings, is_flat_workbook
    from .sheets.importing import sheet_cells, sheet_mapping
    from .sheets.templates import read_filled
    from .xlsx.package import open_workbook

    book = open_workbook(path, data)
    if is_flat_workbook(book):
        return [_flat(path, source, item, cells) for source, item, cells in flat_mappings(book)]
    try:
        filled = read_filled(book, template)
    except LayoutError:
        if template is not None:
            raise
        # a perfscore sheet whose rows moved (a row inserted above the table): its cells are
        # no longer where the map says, so it is read by its labels instead
        return _forms(path, book.data, book)
    if filled is None:
        return _forms(path, book.data, book)
    mapping = sheet_mapping(filled.read, filled.kind)
    sheet = sheet_from_mapping(mapping, str(path))
    return [Input(path, str(path), sheet, sheet_cells(filled.read, filled.kind), reader="template", read=filled,
                  mapping=mapping)]


def _flat(path: Path, source: str, item: dict | Failure, cells: dict[str, str]) -> Input | Failure:
    """One flat-workbook row: validated on its own (a bad row fails its project only)."""
    if isinstance(item, Failure):
        return item
    try:
        sheet = sheet_from_mapping(item, source)
    except InputError as exc:
        return Failure.from_error(source, exc, item.get("name") or None, item.get("unit"))
    return Input(path, source, sheet, cells, reader="flat", mapping=item)


def _forms(path: Path, data: bytes | None = None, book=None) -> list[Input | Failure]:
    from .forms import read_form_workbook

    return [Input(path, form.source, form.sheet, form.cells, reader="form", notes=list(form.findings), read=form)
            for form in read_form_workbook(path, data, book)]


def _documents(path: Path, data: bytes | None = None) -> list[Input | Failure]:
    from .forms import read_form_document

    return [Input(path, form.source, form.sheet, form.cells, reader="form", notes=list(form.findings), read=form)
            for form in read_form_document(path, data)]


def is_policy_mapping(data: dict) -> bool:
    """A policy file's keys (``preset`` and settings), not a sheet's: it is not an input."""
    return "preset" in data and not {"kind", "name", "indicators"} & set(data) and set(data) <= POLICY_KEYS


POLICY_KEYS = set(Policy.model_fields) | {"preset"}


def resolve_policy(path: Path, sheet: Sheet, override: Policy | None = None, lookup: PolicyLookup | None = None
                   ) -> Policy:
    """The policy a sheet read from ``path`` is scored under: ``override`` (the command
    line's), else the sheet's own ``policy:`` (a preset, or a file relative to ``path``),
    else the nearest ``perfscore.yaml`` at or above ``path``'s folder up to the folder the
    user named (``lookup``: which files count; default: ``path`` named alone), else the
    default."""
    if override is not None:
        return override
    lookup = lookup if lookup is not None else PolicyLookup([path])
    if sheet.policy:
        try:
            return lookup.named(sheet.policy, path)
        except InputError as exc:
            raise InputError(f"文件 {path}「{sheet.name}」字段 policy（评分规则）: {exc}") from None
    return lookup.folder_policy(path) or preset_policy()


class InMemory(PolicyLookup):
    """The policy lookup of a file held as bytes (``read_path(..., data=...)``): it has no
    folder, so no ``perfscore.yaml`` applies, and a ``policy:`` naming a policy file
    cannot be read (a preset can)."""

    def folder_policy(self, path: Path | str) -> Policy | None:
        return None

    def named(self, spec: str, path: Path | str) -> Policy:
        from .policy import PRESETS

        if spec in PRESETS:
            return preset_policy(spec)
        raise InputError(f"评分规则「{spec}」不是预设（{'、'.join(PRESETS)}）；按内容评分时不读规则文件，请把评分规则作为 policy 传入")


def _declared_targets_only(path: Path, data: bytes | None = None) -> bool:
    """Whether a workbook that holds no self-evaluation is a declared-target table (issue 22)."""
    from .forms.grid import read_workbook_grid
    from .forms.targets import is_target_sheet

    try:
        sheets = read_workbook_grid(path, data).sheets
    except PerfscoreError:
        return False
    return any(is_target_sheet(g) for g in sheets)


def read_path(path: Path | str, template: Path | str | None = None, policy: Policy | None = None,
              lookup: PolicyLookup | None = None, policies: bool = True, data: bytes | None = None
              ) -> list[Input | Failure]:
    """The sheets of one file (text or workbook), each with its policy (``policy`` overrides
    the file's and the folder's; ``lookup`` says which policy files count, by default those
    for ``path`` named alone; ``policies=False``: none resolved, for ``import``, which scores
    nothing); a failure is returned, not raised. ``data``: the file's bytes, held already
    (``path`` then only names it)."""
    path = Path(path)
    try:
        if path.suffix.lower() in EXCEL_SUFFIXES:
            items = read_workbook(path, template, data)
        elif path.suffix.lower() in DOCUMENT_SUFFIXES:
            items = _documents(path, data)
        else:
            mapping = read_mapping(path, data)
            if is_policy_mapping(mapping):  # a policy file among the inputs (rules.yaml a project names)
                return []
            items = [Input(path, str(path), sheet_from_mapping(mapping, str(path)))]
    except PerfscoreError as exc:
        if path.suffix.lower() in EXCEL_SUFFIXES and _declared_targets_only(path, data):
            return []  # a 绩效目标表 among the inputs (samples/targets): read by init --from / --targets
        return [Failure.from_error(path, exc)]
    out: list[Input | Failure] = []
    for item in items:
        if isinstance(item, Input) and policies:
            try:
                item.policy = resolve_policy(path, item.sheet, policy, lookup)
            except PerfscoreError as exc:
                item = Failure.from_error(item.source, exc, item.sheet.name, item.sheet.unit or item.sheet.department)
        out.append(item)
    return out


def read_inputs(paths: Iterable[Path | str], skip: Path | None = None, template: Path | str | None = None,
                policy: Policy | None = None, lookup: PolicyLookup | None = None) -> tuple[list[Input], list[Failure]]:
    """Every sheet of every input, and every input (or flat-workbook row) that failed;
    ``policy`` overrides every file's own; ``lookup`` (default: for ``paths`` as named) says
    which policy files count."""
    paths = list(paths)
    lookup = lookup if lookup is not None else PolicyLookup(paths)
    inputs: list[Input] = []
    failures: list[Failure] = []
    for path in discover(paths, skip=skip):
        for item in read_path(path, template, policy, lookup):
            (failures if isinstance(item, Failure) else inputs).append(item)
    return inputs, failures
