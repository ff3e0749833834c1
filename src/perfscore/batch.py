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
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from .errors import Failure, OutputError, PerfscoreError
from .model import Sheet
from .policy import Policy
from .inputs import discover, read_path
from .scoring import SheetScore, score_sheet
from .writing import TEMP_PREFIX, numbered_names, safe_file_name

if TYPE_CHECKING:
    from .report.digests import Detail, Digest, Results


@dataclass
class BatchOutcome:
    results: "Results"  # digests of the scored sheets, sorted by unit, name, source (details are
    # spooled during the run only: after it, the figures remain, the details are in the outputs)
    failures: list[Failure]
    outputs: list[Path] = field(default_factory=list)
    seconds: float = 0.0  # float-ok: wall time, not money


class DetailSpool:
    """The details of a run's results, pickled into one file in the output directory as
    they arrive, so memory holds only the figures; ``load`` reads one back."""

    def __init__(self, path: Path):
        self.path = path
        self._out = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._in = None

    def add(self, pickled: bytes) -> tuple[int, int]:
        offset = self._out.tell()
        self._out.write(pickled)
        return offset, len(pickled)

    def load(self, place: tuple[int, int]) -> "Detail":
        if self._in is None:
            self._out.flush()
            self._in = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        offset, length = place
        self._in.seek(offset)
        return pickle.loads(self._in.read(length))

    def close(self) -> None:
        for fh in (self._out, self._in):
            if fh is not None:
                fh.close()
        self.path.unlink(missing_ok=True)


# -- work ----------------------------------------------------------------------------------

def _score_one(source: str, item: Sheet, policy: Policy) -> SheetScore | Failure:
    try:
        return score_sheet(item, policy, source)
    except PerfscoreError as exc:
        return Failure.from_error(source, exc, item.name, item.unit or item.department)


def _sheet_temp_name(source: str, name: str) -> str:
    digest = hashlib.sha1(f"{source}\0{name}".encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{TEMP_PREFIX}{digest}.xlsx"


def _work(args: tuple[Path, Policy | None, Path | None]) -> list[tuple[Digest | Failure, str | None]]:
    """One input file, in a worker: read, score, render the filled sheet to a temp file,
    and reduce each result to its digest (the detail pickled here, not in the main process)."""
    from .report.digests import digest

    path, policy, sheets_dir = args  # policy: the caller's override, else each input's own
    out: list[tuple[Digest | Failure, str | None]] = []
    for item in read_path(path, policy=policy):
        if isinstance(item, Failure):
            out.append((item, None))
            continue
        source = item.source
        scored = _score_one(source, item.sheet, item.policy)
        if isinstance(scored, Failure):
            out.append((scored, None))
            continue
        temp = None
        if sheets_dir is not None:
            from .sheets.fill import fill_sheet, policy_template

            temp_path = sheets_dir / _sheet_temp_name(source, scored.name)
            try:
                fill_sheet(scored, temp_path, policy_template(item.policy, scored.kind), item.sheet, item.policy)
                temp = temp_path.name
            except PerfscoreError as exc:
                out.append((Failure(source, scored.name, scored.unit, (str(exc),)), None))
                continue
        summary = digest(scored, item.cells, item.policy)
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

def assign_file_names(results: list[SheetScore] | list[Digest]) -> list[str]:
    """One file name per result, in order, from its project name; clashes get （2）, （3） …"""
    return numbered_names([safe_file_name(r.name) for r in results])


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
    policy: Policy | None = None,
    *,
    sheets: bool = False,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BatchOutcome:
    """Score every project of ``inputs`` and write the outputs into ``outdir``.

    ``progress(done, total)`` is called once the inputs are found (done = 0) and after
    each input file is read and scored."""
    from .report.digests import Results
    from .report.documents import write_report
    from .report.workbook import write_summary

    started = time.perf_counter()
    outdir = Path(outdir)
    # a directory given as input may hold this very OUTDIR: its earlier outputs are not inputs
    files = discover(inputs, skip=outdir)
    failures: list[Failure] = []
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
    spool: DetailSpool | None = None
    scored: list[tuple[Digest, str | None]] = []
    done = 0
    if progress:
        progress(0, len(files))
    try:
        spool = DetailSpool(spool_path)
        for batch in _iterate([(f, policy, sheets_dir) for f in files], jobs):
            for item, temp in batch:
                if isinstance(item, Failure):
                    failures.append(item)
                    continue
                item.detail = spool.add(item.detail)
                scored.append((item, temp))
            done += 1
            if progress:
                progress(done, len(files))
        scored.sort(key=lambda pair: sort_key(pair[0]))
        failures.sort(key=sort_key)
        results = Results([d for d, _ in scored], spool.load)
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
    except OSError as exc:
        raise OutputError(f"无法写入输出目录 {outdir}: {exc.strerror or exc}") from None
    finally:
        if spool is not None:
            spool.close()
        spool_path.unlink(missing_ok=True)
    outcome.seconds = time.perf_counter() - started
    return outcome
