"""Batch scoring for finance offices: many inputs in, isolated failures, parallel work.

``run_batch(inputs, outdir, policy)`` reads every project file, directory, filled sheet
and flat workbook it is given, scores each project on up to ``max_jobs()`` cores, and
writes summary.xlsx, summary.sqlite, report.md, report.html (and with ``sheets=True`` one filled sheet per
project) as one output set: built aside and swapped in for OUTDIR whole (outset.py), so
OUTDIR always holds one run's complete set. One bad file never stops the others: any
error reading, scoring or rendering it becomes its Failure. Output is the same whatever
the job count and the input order.

Memory stays flat in the number of projects: the workers send one record per project
(its digest, its detail and its rows of each table, rendered already: the outputs only
copy them); the main process spools the records to an unlinked temporary file and keeps
only fixed-size runs of sort keys, merged from disk.
"""

from __future__ import annotations

import decimal
import hashlib
import heapq
import itertools
import marshal
import operator
import os
import pickle
import struct
import tempfile
import time
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from .errors import Failure, OutputError, PerfscoreError, printable
from .inputs import iter_inputs, read_path
from .outset import SET_FILES, OutputSet
from .policy import Policy, PolicyLabels, PolicyLookup, policy_label
from .report.digests import Digest, Place, Results
from .scoring import score_sheet
from .workers import MAX_JOBS, max_jobs, ordered_map
from .writing import TEMP_PREFIX, deferred_sync, fork_writer, numbered_names, os_reason, safe_file_name, stopped_on_error

if TYPE_CHECKING:
    from .inputs import Input
    from .report.digests import Part
    from .scoring import SheetScore

RUN = 4096  # sort keys held in memory at once; longer runs are spooled and merged


def bounded_jobs(jobs: int | None, files: int) -> tuple[int, str | None]:
    """The worker count to use and, when ``jobs`` asks for more than the machine allows,
    the Chinese warning saying so."""
    limit = max_jobs()
    warning = None
    if jobs is None:
        jobs = limit
    elif jobs > limit:
        warning = f"提示: --jobs {jobs} 超过本机可用的 {limit} 个进程（{os.cpu_count() or 1} 个 CPU 核，上限 {MAX_JOBS}），按 {limit} 个运行"
        jobs = limit
    return max(1, min(jobs, files or 1)), warning


@dataclass
class BatchOutcome:
    results: Results  # digests of the scored sheets, sorted by unit, name, source (read from an
    # unlinked spool file: after the run the figures remain readable, the details are in the outputs)
    failures: list[Failure]  # with the conflicts: one project handed in twice with different content
    outputs: list[Path] = field(default_factory=list)
    seconds: float = 0.0  # float-ok: wall time, not money
    warnings: list[str] = field(default_factory=list)
    targets: tuple | None = None  # (declared.TargetAudit list, Failures of matching) with --targets
    duplicates: list[Failure] = field(default_factory=list)  # the extra copies of a project, not counted


# -- the spool -----------------------------------------------------------------------------

class Spool:
    """Append-only records in an unlinked temporary file, read back by place with
    ``pread`` (so a forked writer can read it at the same time)."""

    def __init__(self, folder: Path | None):
        self._fh = tempfile.TemporaryFile(dir=folder, prefix=TEMP_PREFIX)  # noqa: SIM115 - closed by close()
        self._end = 0

    def add(self, data: bytes) -> tuple[int, int]:
        self._fh.write(data)
        place = (self._end, len(data))
        self._end += len(data)
        return place

    def get(self, place: tuple[int, int]) -> bytes:
        self._fh.flush()
        offset, length = place
        return os.pread(self._fh.fileno(), length, offset)

    def close(self) -> None:
        try:  # an unlinked scratch file: a full disk while flushing it loses nothing (never hides the first error)
            self._fh.close()
        except OSError:
            pass


class SpooledResults(Results):
    """Results whose records live in a spool, in output order: iterating reads the digests
    back one at a time, so memory does not grow with their number; ``built`` reads one part
    of each record (what the worker built for one table) without the digest."""

    RECORD = struct.Struct("<Q6IQ")  # a record's place, its sections' lengths (``_one``), its sheet's token

    def __init__(self, spool: Spool, places: Spool, count: int):
        super().__init__([], self._load)
        self._spool = spool
        self._places = places  # one RECORD per digest, in output order
        self._count = count

    def _load(self, place: tuple[int, int]) -> object:
        return pickle.loads(self._spool.get(place))

    def __len__(self) -> int:
        return self._count

    def _records(self) -> Iterator[tuple]:
        step, size = 1024, self.RECORD.size
        for start in range(0, self._count, step):
            block = self._places.get((start * size, min(step, self._count - start) * size))
            yield from self.RECORD.iter_unpack(block)

    def __iter__(self) -> Iterator["Digest"]:
        for record in self._records():
            yield self._digest(record)

    def sheet_tokens(self) -> Iterator[int]:
        """Each digest's filled-sheet token (``_temp_sheet``), in output order; 0: none."""
        for record in self._records():
            yield record[-1]

    def at(self, place: int) -> "Digest":
        if not 0 <= place < self._count:
            raise IndexError(place)
        size = self.RECORD.size
        return self._digest(self.RECORD.unpack(self._places.get((place * size, size))))

    def built(self, part: "Part", labels) -> Iterator:
        n = 3 + _parts()[1].index(part.name)  # after the place, the digest and the detail
        load, get = part.load, self._spool.get
        for record in self._records():
            yield load(get((record[0] + sum(record[1:n]), record[n])))

    def _digest(self, record: tuple) -> "Digest":
        at, length, detail_length = record[:3]
        item = Digest(*pickle.loads(self._spool.get((at, length))))
        item.detail = Place(at + length, detail_length)
        return item

    @property
    def digests(self) -> list["Digest"]:  # type: ignore[override]
        return list(self)

    @digests.setter
    def digests(self, value) -> None:  # Results.__init__ sets it
        pass

    def close(self) -> None:
        self._spool.close()
        self._places.close()


# -- work ----------------------------------------------------------------------------------

_POLICY: Policy | None = None
_LOOKUP: PolicyLookup = PolicyLookup()
_SHEETS: Path | None = None
_TEMPLATES: dict[str, object] = {}
_SEQUENCE = itertools.count()
_BUILT: tuple | None = None  # (the parts of a record after its digest and detail, their names, this process's policy labels)


# a digest as its record keeps it: its fields' values in order, read back as Digest(*values)
# (half the bytes and half the time of pickling the dataclass; every pass over the results reads it)
_digest_values = operator.attrgetter(*(f.name for f in fields(Digest)))


def _parts() -> tuple:
    global _BUILT
    if _BUILT is None:
        from .report.database import DATABASE_PART
        from .report.workbook import INDICATOR_PART, PROBLEM_PART, PROJECT_PART

        parts = (PROJECT_PART, INDICATOR_PART, PROBLEM_PART, DATABASE_PART)
        _BUILT = parts, [p.name for p in parts], PolicyLabels()
    return _BUILT


def _init(policy: Policy, sheets_dir: Path | None, lookup: PolicyLookup) -> None:
    global _POLICY, _SHEETS, _LOOKUP
    _POLICY, _SHEETS, _LOOKUP = policy, sheets_dir, lookup
    _TEMPLATES.clear()


def internal_failure(source: object, exc: BaseException, name: str | None = None, unit: str | None = None) -> Failure:
    """An unexpected error on one input, as its Failure (one Chinese line; the batch goes on)."""
    if isinstance(exc, PerfscoreError):  # perfscore's own words (a report style refused, say)
        return Failure(str(source), name, unit, (f"文件 {source}: {exc}，已跳过；其余文件照常评分",))
    if isinstance(exc, MemoryError):
        why = "内存不足"
    elif isinstance(exc, RecursionError):
        why = "嵌套过深"
    elif isinstance(exc, OSError):
        why = os_reason(exc)
    else:
        why = f"内部错误 {type(exc).__name__}"
    return Failure(str(source), name, unit, (f"文件 {source}: 无法处理（{why}），已跳过；其余文件照常评分",))


def _temp_sheet(token: int) -> str:
    """The temporary name of a filled sheet by its token: (worker pid << 32) | (its number + 1)."""
    return f"{TEMP_PREFIX}{token >> 32}-{(token & 0xFFFFFFFF) - 1}.xlsx"


def _render(scored: "SheetScore", item) -> int:
    """The filled sheet of ``scored`` (in its policy's layout, with live formulas), written
    straight into the new set's sheets/ under a temporary name (renamed once, by the main
    process, to its final name); returns its token (``_temp_sheet``)."""
    from .sheets.fill import sheet_data
    from .sheets.templates import policy_template, template_for, template_kind

    name = policy_template(item.policy, scored.kind)
    template = _TEMPLATES.get((scored.kind, name))
    if template is None:
        template = _TEMPLATES[(scored.kind, name)] = template_for(scored.kind, name)
    if template_kind(template) != scored.kind:
        raise OutputError(f"模板 {template.path.name} 与「{scored.name}」的表类型不符，请换用对应的模板")
    initial = [ind.target_initial for ind in item.sheet.indicators]
    body = template.render(sheet_data(scored, item.policy, template, initial))
    token = (os.getpid() << 32) | (next(_SEQUENCE) + 1)
    fd = os.open(_SHEETS / _temp_sheet(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    return token


def _one(item, out: list) -> None:
    from .report.digests import digest

    source, sheet = item.source, item.sheet
    try:
        scored = score_sheet(sheet, item.policy, source, notes=item.notes)
    except PerfscoreError as exc:
        out.append((item.failure(exc), None))
        return
    token = 0
    if _SHEETS is not None:
        try:
            token = _render(scored, item)
        except PerfscoreError as exc:
            out.append((Failure.from_error(source, exc, scored.name, scored.unit), None))
            return
        except OSError as exc:
            out.append((Failure(source, scored.name, scored.unit,
                                (f"无法写入 {source} 的自评表: {os_reason(exc)}",)), None))
            return
    from .report.figures import unit_of

    try:
        summary = digest(scored, item.cells, item.policy, item.sheet)
    except PerfscoreError as exc:  # its policy's report style fails on it
        why = f"文件 {source}「{scored.name}」: 评分规则 {policy_label(item.policy.name)} 的{exc}"
        out.append((Failure(source, scored.name, scored.unit, (why,)), None))
        return
    same = content_hash(summary)
    parts, _, labels = _parts()
    rows, detail = summary.rows, summary.detail
    built = [part.dump(part.build(summary, rows, detail, labels)) for part in parts]
    summary.detail, summary.rows = None, ()  # type: ignore[assignment] - the main process records where they are spooled
    # one record: the digest, its detail, then its rows of each table (``_parts``), with their lengths
    sections = [pickle.dumps(_digest_values(summary), protocol=pickle.HIGHEST_PROTOCOL),
                pickle.dumps(detail, protocol=pickle.HIGHEST_PROTOCOL), *built]
    key = (unit_of(summary), summary.name, summary.source)
    out.append(((key, b"".join(sections), tuple(map(len, sections)), summary.year, same), token))


_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[])


def content_hash(summary: "Digest") -> bytes:
    """What makes two inputs one project handed in twice: its scored content (kind, names,
    year, budget, scores and every 指标 row), not the file it came from; 100 and 100.00
    are the same number (a Decimal counts by its normalised text: 100.00 → 1E+2, -0 stays -0,
    never rounded)."""
    exact = _EXACT.normalize

    def plain(values) -> tuple:
        return tuple([str(exact(v)) if type(v) is Decimal else v for v in values])

    figures = (summary.kind, summary.name, summary.unit, summary.department, summary.year, summary.budget_initial,
               summary.budget_adjusted, summary.budget_executed, summary.total, summary.grade, summary.deduction)
    content = (plain(figures), tuple([plain(row) for row in summary.rows]))
    try:  # version 0: by value only (no interning or object-sharing flags), 25x faster than repr
        data = marshal.dumps(content, 0)
    except ValueError:  # a value marshal does not know
        data = repr(content).encode("utf-8")
    return hashlib.sha256(data).digest()


def _work(path: Path) -> list[tuple[tuple | Failure, int | None]]:
    """One input file, in a worker: read, score, render the filled sheet, and reduce each
    result to (sort key, its record, the record's sections' lengths, year, content hash), so
    the main process only spools bytes. Never raises: any error is the Failure of that input."""
    try:
        items = read_path(path, policy=_POLICY, lookup=_LOOKUP)  # _POLICY: the caller's override, else each input's own
    except Exception as exc:  # noqa: BLE001 - one bad file never stops the batch
        return [(internal_failure(path, exc), None)]
    return _work_items(items)


def _work_items(items: "Iterable[Input | Failure]") -> list[tuple[tuple | Failure, int | None]]:
    """``_work`` for the sheets of one input already read (each Input with its policy)."""
    out: list[tuple[tuple | Failure, int | None]] = []
    for item in items:
        if isinstance(item, Failure):
            out.append((item, None))
            continue
        try:
            _one(item, out)
        except Exception as exc:  # noqa: BLE001
            out.append((internal_failure(item.source, exc, item.sheet.name, item.sheet.unit), None))
    return out


def _iterate_read(read: "Iterable[Input | Failure]", sheets_dir: Path | None) -> Iterator[list]:
    """The results of inputs read already (the server's uploads), one per input, in this process."""
    _init(None, sheets_dir, PolicyLookup())
    for item in read:
        yield _work_items([item])


def _work_chunk(paths: list[str]) -> list[list[tuple[tuple | Failure, int | None]]]:
    return [_work(Path(p)) for p in paths]


def _iterate(files: Iterable[str], jobs: int, policy: Policy, sheets_dir: Path | None, chunk: int,
             lookup: PolicyLookup) -> Iterator[list]:
    """Each input's results, in input order. At most a few chunks per worker are in flight,
    so neither the queue of tasks nor the finished results grow with the number of inputs."""
    if jobs <= 1:
        _init(policy, sheets_dir, lookup)
        for path in files:
            yield _work(Path(path))
        return
    yield from ordered_map(_work_chunk, files, jobs, chunk, _init, (policy, sheets_dir, lookup))


class _Paths:
    """The input files of a run, spooled one per line (memory does not grow with them)."""

    def __init__(self, paths: Iterable[Path | str], folder: Path):
        self._fh = tempfile.TemporaryFile(dir=folder, prefix=TEMP_PREFIX)  # noqa: SIM115 - closed by close()
        self.count = 0
        for path in paths:
            self._fh.write(os.fsencode(path) + b"\0")
            self.count += 1

    def __iter__(self) -> Iterator[str]:
        self._fh.seek(0)
        rest = b""
        while block := self._fh.read(1 << 16):
            *names, rest = (rest + block).split(b"\0")
            yield from map(os.fsdecode, names)

    def close(self) -> None:
        try:  # an unlinked scratch file: a full disk while flushing it loses nothing (never hides the first error)
            self._fh.close()
        except OSError:
            pass


# -- one project, one count ---------------------------------------------------------------

@dataclass(slots=True)
class _Seen:
    same: bytes  # the content hash of the first copy seen
    first: str  # the first two sources in output order
    second: str | None = None
    count: int = 1
    conflict: bool = False  # copies whose contents differ


@dataclass(frozen=True, slots=True)
class Extra:
    """An input that is not counted because its project was handed in more than once."""

    conflict: bool  # True: the copies differ, none is counted; False: a copy of the one counted
    failure: Failure  # its line for the 问题清单


class Copies:
    """The projects of a batch by (实施单位, 项目名称, 年度): how often each was handed in and
    whether the copies agree. Memory: one small entry per project (its hash and two sources)."""

    def __init__(self) -> None:
        self._seen: dict[tuple, _Seen] = {}

    def add(self, project: tuple[str, str, int | None], source: str, same: bytes) -> None:
        seen = self._seen.get(project)
        if seen is None:
            self._seen[project] = _Seen(same, source)
            return
        seen.count += 1
        seen.conflict = seen.conflict or same != seen.same
        if source < seen.first:
            seen.first, seen.second = source, seen.first
        elif seen.second is None or source < seen.second:
            seen.second = source

    def extra(self, project: tuple[str, str, int | None], source: str) -> Extra | None:
        """Why ``source`` is not counted, or None when it is (the only copy, or the first of
        identical copies in output order)."""
        seen = self._seen[project]
        if seen.count == 1 or (not seen.conflict and source == seen.first):
            return None
        unit, name, year = project
        what = f"实施单位「{unit}」、项目名称「{name}」" + (f"、{year}年度" if year is not None else "")
        if seen.conflict:
            other = seen.second if source == seen.first else seen.first
            line = (f"文件 {source}: 与 {other} 是同一项目（{what}），共提交 {seen.count} 份，内容不同（重复提交且不一致）："
                    "均未计入，请只保留一份后重新运行")
        else:
            line = f"文件 {source}: 与 {seen.first} 是同一项目（{what}），内容相同（重复提交）：只计一次，本文件未计入"
        return Extra(seen.conflict, Failure(source, name, unit, (line,)))


# -- sorting -------------------------------------------------------------------------------

def sort_key(item: "Digest | SheetScore | Failure") -> tuple[str, str, str]:
    """By unit, then project name (a department sheet is its own unit), then source."""
    if isinstance(item, Failure):
        return (item.unit or "", item.name or "", item.source)
    from .report.figures import unit_of

    return (unit_of(item), item.name, item.source)


class _Sorter:
    """Sort keys with their digests' places, in runs of ``RUN`` spooled to disk (each in
    blocks of ``BLOCK``) and merged reading one block per run at a time."""

    BLOCK = 256

    def __init__(self, folder: Path | None):
        self._runs = Spool(folder)
        self._blocks: list[list[tuple[int, int]]] = []  # per run, the places of its blocks
        self._pending: list[tuple] = []
        self._arrival = 0

    def add(self, key: tuple[str, str, str], place: tuple[int, ...], token: int, *extra) -> None:
        self._pending.append((key, self._arrival, place, token, *extra))  # arrival order breaks ties: stable
        self._arrival += 1
        if len(self._pending) >= RUN:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._pending.sort()
            self._blocks.append([
                self._runs.add(pickle.dumps(self._pending[i:i + self.BLOCK], protocol=pickle.HIGHEST_PROTOCOL))
                for i in range(0, len(self._pending), self.BLOCK)
            ])
            self._pending = []

    def merged(self) -> Iterator[tuple]:
        if not self._blocks:
            self._pending.sort()
            return iter(self._pending)
        self._flush()
        return heapq.merge(*(self._run(blocks) for blocks in self._blocks))

    def _run(self, blocks: list[tuple[int, int]]) -> Iterator[tuple]:
        for place in blocks:
            yield from pickle.loads(self._runs.get(place))

    def close(self) -> None:
        self._runs.close()


# -- outputs -------------------------------------------------------------------------------

def assign_file_names(results: "Iterable[SheetScore] | Iterable[Digest]") -> Iterator[str]:
    """One file name per result, in order, from its project name, as the results come;
    clashes get （2）, （3） …"""
    return numbered_names(safe_file_name(r.name) for r in results)


def _inputs_in(outdir: Path, files: list[Path]) -> Path | None:
    """An input that lies in OUTDIR (the swap would move it away), if any."""
    real = Path(os.path.realpath(outdir))
    for f in files:
        resolved = Path(os.path.realpath(f))
        if resolved == real or real in resolved.parents:
            return f
    return None


def _write_outputs(results: SpooledResults, failures: list[Failure], out: OutputSet, outcome: BatchOutcome,
                   jobs: int, targets: tuple | None = None) -> None:
    """The set's files. With two or more jobs, summary.xlsx, report.docx and summary.sqlite are
    each written by a forked child while this process writes the other reports (all read the
    same spools with ``pread``)."""
    from .report.database import write_database
    from .report.documents import group_results, write_report
    from .report.workbook import write_summary

    if out.sheets is not None:
        for token, name in zip(results.sheet_tokens(), assign_file_names(results)):
            if token:
                os.rename(out.sheets / _temp_sheet(token), out.sheets / name)
        outcome.outputs.append(out.outdir / "sheets")
    grouping = group_results(results, failures)
    summary = out.aside / "summary.xlsx"
    parallel = jobs > 1
    duplicates = outcome.duplicates
    child = fork_writer(lambda: write_summary(results, failures, summary, grouping, parallel=True, targets=targets,
                                              duplicates=duplicates), "summary.xlsx") if parallel else None
    if child is None:
        write_summary(results, failures, summary, grouping, targets=targets, duplicates=duplicates)
    with stopped_on_error(child):
        def report(fmt: str) -> None:
            write_report(results, failures, fmt, out.aside / f"report.{fmt}", grouping=grouping, targets=targets,
                         duplicates=duplicates)

        def database() -> None:
            write_database(results, failures, out.aside / "summary.sqlite", grouping, targets=targets,
                           duplicates=duplicates)

        word = fork_writer(lambda: report("docx"), "report.docx") if parallel else None  # the slowest report
        with stopped_on_error(word):
            tables = fork_writer(database, "summary.sqlite") if word is not None else None
            with stopped_on_error(tables):
                for fmt in ("md", "html") if word is not None else ("md", "html", "docx"):
                    report(fmt)
                if tables is None:
                    database()
            if tables is not None:
                tables.join()
        if word is not None:
            word.join()
    if child is not None:
        child.join()
    outcome.outputs += [out.outdir / name for name in SET_FILES]


def run_batch(
    inputs: Iterable[Path | str],
    outdir: Path | str,
    policy: Policy | None = None,
    *,
    sheets: bool = False,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    targets: Path | str | None = None,
    read: "list[Input | Failure] | None" = None,
) -> BatchOutcome:
    """Score every project of ``inputs`` and write the output set into ``outdir``.

    ``progress(done, total)`` is called once the inputs are found (done = 0) and after
    each input file is read and scored. ``read``: the inputs read already, each with its
    policy (the server's uploads; ``inputs`` then names none), scored and written alike.
    Raises OutputError (one Chinese line) when the
    set cannot be written; OUTDIR then holds the previous set, untouched."""
    started = time.perf_counter()
    outdir = Path(outdir)
    inputs = [Path(p) for p in inputs]
    # a directory given as input may hold this very OUTDIR: its earlier outputs are not inputs;
    # but an input named inside OUTDIR would be moved away with the old set
    inside = _inputs_in(outdir, inputs)
    if inside is not None:
        raise OutputError(f"输出文件 {printable(inside)} 是输入文件（在输出目录中）：不会覆盖输入，请换一个输出目录")
    failures: list[Failure] = []
    outcome: BatchOutcome | None = None
    with OutputSet(outdir, sheets=sheets) as out:
        files = _Paths(iter_inputs(inputs, skip=outdir, ordered=False) if read is None else (), out.aside)  # the one walk
        spool = Spool(out.aside)
        places = Spool(out.aside)
        sorter = _Sorter(out.aside)
        copies = Copies()
        work = None
        try:
            total = files.count if read is None else len(read)
            jobs, warning = bounded_jobs(jobs, total)
            chunk = max(1, min(64, total // (jobs * 8) or 1))
            done, count = 0, 0
            if progress:
                progress(0, total)
            work = (_iterate(files, jobs, policy, out.sheets, chunk, PolicyLookup(inputs)) if read is None
                    else _iterate_read(read, out.sheets))
            for batch in work:
                for item, token in batch:
                    if isinstance(item, Failure):
                        failures.append(item)
                        continue
                    key, record, lengths, year, same = item
                    copies.add((key[0], key[1], year), key[2], same)
                    sorter.add(key, (spool.add(record)[0], *lengths), token, year)
                done += 1
                if progress:
                    progress(done, total)
            duplicates: list[Failure] = []
            record_struct = SpooledResults.RECORD
            for key, _, place, token, year in sorter.merged():
                extra = copies.extra((key[0], key[1], year), key[2])
                if extra is not None:  # not counted: its sheet is not kept either
                    (failures if extra.conflict else duplicates).append(extra.failure)
                    if out.sheets is not None and token:
                        os.unlink(out.sheets / _temp_sheet(token))
                    continue
                places.add(record_struct.pack(*place, token))
                count += 1
            sorter.close()
            failures.sort(key=sort_key)
            results = SpooledResults(spool, places, count)
            outcome = BatchOutcome(results, failures, warnings=[warning] if warning else [], duplicates=duplicates)
            checked = None
            if targets is not None:  # issue 22: each sheet against its declaration (read again, in order)
                from .declared import audit_targets

                checked = audit_targets(inputs, targets, policy)
                outcome.targets = checked
            with deferred_sync():
                _write_outputs(results, failures, out, outcome, jobs, checked)
            out.commit()
        except OSError as exc:
            raise OutputError(f"无法写入输出目录 {printable(outdir)}: {os_reason(exc)}") from None
        except OutputError as exc:
            raise OutputError(str(exc).replace(str(out.aside), str(out.outdir))) from None
        finally:
            if work is not None:  # stop (and wait for) the workers before the set aside is removed
                work.close()
            files.close()
            if outcome is None:
                spool.close()
                places.close()
                sorter.close()
    outcome.seconds = time.perf_counter() - started
    return outcome
