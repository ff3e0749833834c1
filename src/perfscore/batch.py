"""Batch scoring for finance offices: many inputs in, isolated failures, parallel work.

``run_batch(inputs, outdir, policy)`` reads every project file, directory, filled sheet
and flat workbook it is given, scores each project on all cores, and writes
summary.xlsx, report.md, report.html (and with ``sheets=True`` one filled sheet per
project) into ``outdir``, each atomically. One bad project never stops the others.
Output is the same whatever the job count and the input order.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from .errors import Failure, OutputError, PerfscoreError
from .model import Sheet
from .policy import Policy
from .projectfile import read_sheet_file
from .scoring import SheetScore, score_sheet
from .writing import TEMP_PREFIX

if TYPE_CHECKING:
    from .report.digests import Digest, Results

INPUT_SUFFIXES = {".yaml", ".yml", ".json", ".xlsx", ".xlsm"}
NAME_LIMIT = 60  # characters of a project name kept in a file name (3 bytes each in UTF-8)



@dataclass
class BatchOutcome:
    results: "Results"  # digests of the scored sheets, sorted by unit, name, source (details are
    # spooled during the run only: after it, the figures remain, the details are in the outputs)
    failures: list[Failure]
    outputs: list[Path] = field(default_factory=list)
    seconds: float = 0.0  # float-ok: wall time, not money


# -- inputs -------------------------------------------------------------------------------

def discover(paths: Iterable[Path | str], skip: Path | None = None) -> tuple[list[Path], list[Failure]]:
    """Files to read: project files and workbooks, directories searched recursively
    (hidden files and anything under ``skip`` left out; files named explicitly are kept)."""
    found: list[Path] = []
    missing: list[Failure] = []
    skipped = skip.resolve() if skip is not None else None
    for path in map(Path, paths):
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if (child.is_file() and child.suffix.lower() in INPUT_SUFFIXES
                        and not any(part.startswith(".") for part in child.relative_to(path).parts)
                        and (skipped is None or skipped not in child.resolve().parents)):
                    found.append(child)
        elif path.is_file():
            found.append(path)
        else:
            missing.append(Failure(str(path), None, None, (f"文件 {path}: 不存在",)))
    return found, missing


def read_units(path: Path) -> list[tuple[str, Sheet | Failure]]:
    """The projects in one input: one for a project file or a filled sheet, many for a
    flat workbook. A failure is returned, not raised."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from .flat import is_flat_workbook, read_flat_workbook

            if is_flat_workbook(path):
                return read_flat_workbook(path)
            from .sheets.importing import import_sheet

            return [(str(path), import_sheet(path))]
        return [(str(path), read_sheet_file(path))]
    except PerfscoreError as exc:
        return [(str(path), Failure.from_error(path, exc))]


def _score_one(source: str, item: Sheet | Failure, policy: Policy) -> SheetScore | Failure:
    if isinstance(item, Failure):
        return item
    try:
        return score_sheet(item, policy, source)
    except PerfscoreError as exc:
        return Failure.from_error(source, exc, item.name, item.unit or item.department)


def _sheet_temp_name(source: str, name: str) -> str:
    digest = hashlib.sha1(f"{source}\0{name}".encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{TEMP_PREFIX}{digest}.xlsx"


def _work(args: tuple[Path, Policy, Path | None]) -> list[tuple[Digest | Failure, str | None]]:
    """One input file, in a worker: read, score, render the filled sheet to a temp file,
    and reduce each result to its digest (the detail pickled here, not in the main process)."""
    from .report.digests import digest

    path, policy, sheets_dir = args
    out: list[tuple[Digest | Failure, str | None]] = []
    for source, item in read_units(path):
        scored = _score_one(source, item, policy)
        if isinstance(scored, Failure):
            out.append((scored, None))
            continue
        temp = None
        if sheets_dir is not None:
            from .sheets.fill import fill_sheet

            temp_path = sheets_dir / _sheet_temp_name(source, scored.name)
            try:
                fill_sheet(scored, temp_path, policy=policy)
                temp = temp_path.name
            except PerfscoreError as exc:
                out.append((Failure(source, scored.name, scored.unit, (str(exc),)), None))
                continue
        summary = digest(scored)
        summary.detail = pickle.dumps(summary.detail, protocol=pickle.HIGHEST_PROTOCOL)
        out.append((summary, temp))
    return out


def _iterate(tasks: list[tuple], jobs: int) -> Iterator[list]:
    if jobs <= 1 or len(tasks) <= 1:
        yield from map(_work, tasks)
        return
    chunk = max(1, min(64, len(tasks) // (jobs * 8) or 1))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_work, tasks, chunksize=chunk)


# -- outputs -------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_file_name(name: str) -> str:
    """A project name as a file name: no separators, no traversal, no control characters."""
    text = unicodedata.normalize("NFC", name)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text).strip(" ._")
    text = text[:NAME_LIMIT].rstrip(" .")
    return text or "未命名项目"


def assign_file_names(results: list[SheetScore]) -> list[str]:
    """One file name per result, in order; clashes get （2）, （3） … (case-insensitive)."""
    taken: set[str] = set()
    names = []
    for result in results:
        base = safe_file_name(result.name)
        candidate, n = f"{base}.xlsx", 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{base}（{n}）.xlsx"
        taken.add(candidate.casefold())
        names.append(candidate)
    return names


def clean_temp_files(outdir: Path) -> None:
    """Temp files left by a run that was killed."""
    for folder in (outdir, outdir / "sheets"):
        if folder.is_dir():
            for stale in folder.glob(f"{TEMP_PREFIX}*"):
                stale.unlink(missing_ok=True)


def sort_key(item: Digest | SheetScore | Failure) -> tuple[str, str, str]:
    """By unit, then project name (a department sheet is its own unit), then source."""
    if isinstance(item, Failure):
        return (item.unit or "", item.name or "", item.source)
    from .report.figures import unit_of

    return (unit_of(item), item.name, item.source)


def run_batch(
    inputs: Iterable[Path | str],
    outdir: Path | str,
    policy: Policy,
    *,
    sheets: bool = False,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> BatchOutcome:
    """Score every project of ``inputs`` and write the outputs into ``outdir``."""
    from .report.digests import Results
    from .report.documents import write_report
    from .report.workbook import write_summary

    started = time.perf_counter()
    outdir = Path(outdir)
    # a directory given as input may hold this very OUTDIR: its earlier outputs are not inputs
    files, failures = discover(inputs, skip=outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        sheets_dir = outdir / "sheets" if sheets else None
        if sheets_dir is not None:
            sheets_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"无法创建输出目录 {outdir}: {exc.strerror or exc}") from None
    if not os.access(outdir, os.W_OK):
        raise OutputError(f"无法写入输出目录 {outdir}: 没有写入权限")
    inputs_resolved = {f.resolve() for f in files}
    for name in ("summary.xlsx", "report.md", "report.html"):
        if (outdir / name).resolve() in inputs_resolved:
            raise OutputError(f"输出文件 {outdir / name} 是输入文件：不会覆盖输入，请换一个输出目录")
    clean_temp_files(outdir)
    jobs = jobs or os.cpu_count() or 1
    # Each result's detail goes to a spool file as it arrives: memory holds only the figures.
    spool_path = outdir / f"{TEMP_PREFIX}results-{os.getpid()}"
    scored: list[tuple[Digest, str | None]] = []
    try:
        with open(spool_path, "wb") as spool:
            for batch in _iterate([(f, policy, sheets_dir) for f in files], jobs):
                for item, temp in batch:
                    if isinstance(item, Failure):
                        failures.append(item)
                        continue
                    offset = spool.tell()
                    spool.write(item.detail)
                    item.detail = (offset, len(item.detail))
                    scored.append((item, temp))
                if progress:
                    progress(1)
        scored.sort(key=lambda pair: sort_key(pair[0]))
        failures.sort(key=sort_key)
        results = Results([d for d, _ in scored], spool_path)
        outcome = BatchOutcome(results, failures)
        if sheets_dir is not None:
            for (result, temp), name in zip(scored, assign_file_names(results.digests)):
                target = sheets_dir / name
                if target.resolve() in inputs_resolved:
                    raise OutputError(f"输出文件 {target} 是输入文件：不会覆盖输入")
                os.replace(sheets_dir / temp, target)
                outcome.outputs.append(target)
        summary = outdir / "summary.xlsx"
        write_summary(results, failures, summary)
        outcome.outputs.append(summary)
        for fmt in ("md", "html"):
            path = outdir / f"report.{fmt}"
            write_report(results, failures, fmt, path)
            outcome.outputs.append(path)
        results.close()
    except OSError as exc:
        raise OutputError(f"无法写入输出目录 {outdir}: {exc.strerror or exc}") from None
    finally:
        spool_path.unlink(missing_ok=True)
    outcome.seconds = time.perf_counter() - started
    return outcome
