"""Batch speed and memory on synthetic projects (bench/synthetic.py): prints numbers, asserts nothing.

    python bench/bench_batch.py [--quick]

In one run, each figure with its anchor beside it:

1. ``--sheets`` marginal cost per sheet at N = 1000, ``--jobs 1``: (batch with sheets − batch
   without) / sheets written, the median of interleaved pairs, next to the zip floor
   (re-deflating that sheet's parts with zipfile), a raw deflate of the sheet XML (zlib, the
   true floor) and what creating and writing the file costs on this disk;
   then the batch's one walk over the inputs against a bare recursive scandir;
2. main-process peak RSS of a whole batch at 5,000 and 50,000 projects (a fresh process each;
   VmHWM), workers beside it;
3. wall time of a batch on 2 cores against 1 core (N = 2000), with sheets (the figure the
   target is for) and without (where the output step, summary.xlsx beside the two reports,
   is the larger part).

``--quick`` uses 500 / 2,000 / 10,000 projects instead (a smoke run, not the figures).
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
try:
    import perfscore  # noqa: F401
except ImportError:  # a checkout without install
    sys.path.insert(0, str(ROOT / "src"))

from synthetic import write_files  # noqa: E402

from perfscore.batch import run_batch  # noqa: E402
from perfscore.policy import load_policy  # noqa: E402


def _timed_batch(inputs: Path, out: Path, sheets: bool, jobs: int) -> tuple[float, int]:
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    outcome = run_batch([inputs], out, load_policy("default"), sheets=sheets, jobs=jobs)
    return time.perf_counter() - start, len(outcome.results)


def _zip_floor(sheet: bytes) -> tuple[float, float]:
    """(the zip floor: re-deflating every part of ``sheet`` with zipfile, read and written as
    bench_render.zip_floor does; a raw deflate of its worksheet XML at perfscore's level), seconds."""
    from bench_render import zip_floor

    from perfscore.xlsx.package import DEFLATE_LEVEL

    zin = zipfile.ZipFile(io.BytesIO(sheet))
    xml = next(zin.read(i) for i in zin.infolist() if i.filename.startswith("xl/worksheets/"))
    out = []
    for fn in (lambda: zip_floor(sheet), lambda: zlib.compress(xml, DEFLATE_LEVEL, -15)):
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(20):
                fn()
            runs.append((time.perf_counter() - start) / 20)
        out.append(min(runs))
    return out[0], out[1]


def sheets_marginal(n: int, folder: Path, pairs: int = 3) -> None:
    inputs = folder / "in"
    write_files(n, inputs)
    _timed_batch(inputs, folder / "warm", True, 1)  # page cache, .pyc, the compiled template
    differences, plain_runs, sheet_runs, parts = [], [], [], []
    for _ in range(pairs):  # interleaved, so a load spike touches both sides of a pair
        with _timing() as plain_spent:
            plain = _timed_batch(inputs, folder / "plain", False, 1)[0]
        with _timing() as spent:
            with_sheets, written = _timed_batch(inputs, folder / "sheets", True, 1)
        spent["file"] += spent["sync"] - plain_spent["sync"]  # the sync's extra work is the sheets'
        differences.append((with_sheets - plain) / max(written, 1))
        parts.append({k: v / max(written, 1) for k, v in spent.items()})
        plain_runs.append(plain)
        sheet_runs.append(with_sheets)
    marginal = statistics.median(differences)
    disk = statistics.median(p["file"] for p in parts)
    render = statistics.median(p["render"] for p in parts)
    sample = sorted((folder / "sheets" / "sheets").glob("*.xlsx"))[:: max(1, written // 40)]
    floors = [_zip_floor(p.read_bytes()) for p in sample]
    rezip = statistics.median(f for f, _ in floors)
    raw = statistics.median(r for _, r in floors)
    print(f"--sheets marginal, N = {n}, --jobs 1: {marginal * 1000:6.2f} ms/sheet   "
          f"zip floor {rezip * 1000:5.2f} ms ({marginal / rezip:4.2f}×, target ≤ 1×)   raw deflate {raw * 1000:5.2f} ms")
    print(f"    of which the disk (creating, writing and renaming the file, its share of the set's one sync) "
          f"{disk * 1000:4.2f} ms (it varies 10× here with the "
          f"disk's load), filling the sheet (sheet_data + render) {render * 1000:4.2f} ms; without the disk "
          f"{(marginal - disk) * 1000:4.2f} ms = {(marginal - disk) / rezip:4.2f}× the zip floor")
    print(f"    (median of {pairs} interleaved pairs: batch {statistics.median(plain_runs):5.2f} s without sheets, "
          f"{statistics.median(sheet_runs):5.2f} s with {written} sheets)")


@contextlib.contextmanager
def _timing():
    """Seconds spent filling sheets, and on the disk (creating, writing and renaming their
    files, and the one sync of the set), during the block (jobs 1: all of it in this process)."""
    from perfscore import batch, outset
    from perfscore.sheets import fill
    from perfscore.xlsx.template import CompiledTemplate

    spent = {"render": 0.0, "file": 0.0, "sync": 0.0}

    def timed(key, fn):
        def call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - start
        return call

    class Os:  # the batch module's ``os``: a sheet's file is opened, written and renamed with os.*
        open, write = staticmethod(timed("file", os.open)), staticmethod(timed("file", os.write))
        rename = staticmethod(timed("file", os.rename))

        def __getattr__(self, name):
            return getattr(os, name)

    real_render, real_data, real_sync = CompiledTemplate.render, fill.sheet_data, outset._sync_tree
    CompiledTemplate.render, fill.sheet_data, batch.os = timed("render", real_render), timed("render", real_data), Os()
    outset._sync_tree = timed("sync", real_sync)
    try:
        yield spent
    finally:
        CompiledTemplate.render, fill.sheet_data, batch.os, outset._sync_tree = real_render, real_data, os, real_sync


def walk(n: int, folder: Path) -> None:
    """The batch's one walk over N files against a bare recursive scandir (its floor) and
    Path.rglob (the issue's anchor)."""
    from perfscore.inputs import iter_inputs

    inputs = folder / "walk"
    write_files(n, inputs)

    def bare(path: str) -> int:
        count = 0
        with os.scandir(path) as it:
            for entry in it:
                count += bare(entry.path) if entry.is_dir() else 1
        return count

    runs = {"bare": [], "rglob": [], "perfscore": []}
    for _ in range(5):
        start = time.perf_counter()
        bare(str(inputs))
        runs["bare"].append(time.perf_counter() - start)
        start = time.perf_counter()
        sum(1 for _ in inputs.rglob("*"))
        runs["rglob"].append(time.perf_counter() - start)
        start = time.perf_counter()
        sum(1 for _ in iter_inputs([inputs], ordered=False))
        runs["perfscore"].append(time.perf_counter() - start)
    floor, rglob, ours = min(runs["bare"]), min(runs["rglob"]), min(runs["perfscore"])
    print(f"walk of {n} input files: the batch's one walk {ours * 1000:6.1f} ms   bare recursive scandir "
          f"{floor * 1000:6.1f} ms ({ours / floor:4.2f}×)   Path.rglob {rglob * 1000:6.1f} ms ({ours / rglob:4.2f}×)")


def peak_rss(n: int) -> tuple[int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_files(n, folder / "in")
        # VmHWM (not ru_maxrss, which Linux carries across exec from this process)
        code = (
            "import sys, resource; from pathlib import Path;"
            "from perfscore.batch import run_batch; from perfscore.policy import load_policy;"
            f"run_batch([Path({str(folder / 'in')!r})], Path({str(folder / 'out')!r}), load_policy('default'));"
            "s = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0];"
            "c = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
            "print(s, c)"
        )
        own, workers = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                      env=os.environ).stdout.split()
        print(f"peak RSS, batch, N = {n:6d}: main process {int(own) / 1024:6.1f} MB (workers ≤ {int(workers) / 1024:.0f} MB)")
        return int(own), int(workers)


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def cpu_anchor() -> float:
    """Two pure-CPU loops on 1 process against 2: what the machine gives right now."""
    n = 4_000_000
    start = time.perf_counter()
    _spin(n), _spin(n)
    one = time.perf_counter() - start
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        start = time.perf_counter()
        list(pool.map(_spin, [n, n]))
        two = time.perf_counter() - start
    return one / two


def cores(n: int, folder: Path) -> None:
    inputs = folder / "in2"
    write_files(n, inputs)
    anchor = cpu_anchor()
    for sheets in (True, False):
        one = min(_timed_batch(inputs, folder / "one", sheets, 1)[0] for _ in range(2))
        two = min(_timed_batch(inputs, folder / "two", sheets, 2)[0] for _ in range(2))
        what = "with sheets   " if sheets else "without sheets"
        target = "target ≥ 1.7×; " if sheets else ""
        print(f"batch {what}, N = {n}: 1 core {one:5.2f} s, 2 cores {two:5.2f} s = {one / two:4.2f}× ({target}"
              f"load average {os.getloadavg()[0]:.1f})")
    anchor = (anchor + cpu_anchor()) / 2  # float-ok: a timing ratio
    print(f"    a pure CPU loop gets {anchor:4.2f}× from 2 processes right now")


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = (500, 2_000, 10_000, 1_000) if quick else (1_000, 5_000, 50_000, 2_000)
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    print(f"python -c pass: {(time.perf_counter() - start) * 1000:.0f} ms (anchor for a fresh process)")
    with tempfile.TemporaryDirectory() as tmp:
        sheets_marginal(sizes[0], Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        walk(sizes[2], Path(tmp))
    small, _ = peak_rss(sizes[1])
    large, _ = peak_rss(sizes[2])
    print(f"    RSS at {sizes[2]} / at {sizes[1]}: {large / small:4.2f} (target ≤ 1.10)")
    with tempfile.TemporaryDirectory() as tmp:
        cores(sizes[3], Path(tmp))


if __name__ == "__main__":
    main()
