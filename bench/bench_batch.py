"""Batch speed on synthetic projects (bench/synthetic.py): prints numbers, asserts nothing.

    python bench/bench_batch.py [N]          # default N = 10000

1. scoring only (read nothing: mappings → models → scores), one core and all cores;
2. scoring + summary (project files on disk → summary.xlsx, report.md, report.html);
3. scoring + summary + filled sheets (--sheets);
4. per filled sheet, in the same run: the compiled template against the plain openpyxl way
   and against the zip floor (bench/bench_render.py);
5. peak RSS of a whole batch with sheets for N = 1,000 and N = 10,000 (a fresh process each).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
try:
    import perfscore  # noqa: F401
except ImportError:  # a checkout without install
    sys.path.insert(0, str(ROOT / "src"))

from synthetic import projects, write_files  # noqa: E402

from perfscore.batch import run_batch  # noqa: E402
from perfscore.errors import InputError  # noqa: E402
from perfscore.policy import load_policy  # noqa: E402
from perfscore.projectfile import sheet_from_mapping  # noqa: E402
from perfscore.scoring import score_sheet  # noqa: E402


def _score_chunk(args: tuple[int, int]) -> tuple[int, int, float]:
    """Generate ``count`` projects (seeded by chunk), then time scoring them: the inputs
    are made in the worker, so no pickling is timed. → (scored, indicators, seconds)."""
    seed, count = args
    data = projects(count, seed)
    policy = load_policy("default")
    done = 0
    start = time.perf_counter()
    for item in data:
        try:
            score_sheet(sheet_from_mapping(item, "bench"), policy)
            done += 1
        except InputError:
            pass
    return done, sum(len(d["indicators"]) for d in data), time.perf_counter() - start


def scoring_only(n: int) -> None:
    jobs = os.cpu_count() or 1
    chunks = [(2024 + j, n // jobs + (1 if j < n % jobs else 0)) for j in range(jobs)]
    one = sum(_score_chunk(chunk)[2] for chunk in chunks)  # the same work on one core
    with ProcessPoolExecutor(jobs) as pool:
        parts = list(pool.map(_score_chunk, chunks))
    every = max(seconds for _, _, seconds in parts)  # the cores score at the same time
    scored, indicators = sum(p[0] for p in parts), sum(p[1] for p in parts)
    print(f"scoring only, {n} projects ({indicators} indicators, {n - scored} bad rows):")
    print(f"  1 core : {n / one:8.0f} projects/s")
    print(f"  {jobs} cores: {n / every:8.0f} projects/s   (target ≥ 5,000)")


def batch_runs(n: int, folder: Path) -> None:
    write_files(n, folder / "in")
    policy = load_policy("default")
    for sheets in (False, True):
        out = folder / ("out_sheets" if sheets else "out")
        start = time.perf_counter()
        outcome = run_batch([folder / "in"], out, policy, sheets=sheets)
        took = time.perf_counter() - start
        label = "scoring + summary + sheets" if sheets else "scoring + summary        "
        print(f"{label}: {n} files in {took:6.2f} s = {n / took:6.0f} projects/s "
              f"({len(outcome.results)} scored, {len(outcome.failures)} failed)"
              + ("   (target for 10,000: < 15 s)" if not sheets else ""))


def sheet_ratios() -> None:
    import bench_render

    print("per filled sheet (one core):")
    bench_render.main(["--quick"])


def peak_rss(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_files(n, folder / "in")
        # VmHWM (not ru_maxrss, which Linux carries across exec from this process)
        code = (
            "import sys, resource; from pathlib import Path;"
            "from perfscore.batch import run_batch; from perfscore.policy import load_policy;"
            f"run_batch([Path({str(folder / 'in')!r})], Path({str(folder / 'out')!r}), load_policy('default'), sheets=True);"
            "s = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0];"
            "c = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
            "print(s, c)"
        )
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
        own, workers = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                      env=env).stdout.split()
        print(f"peak RSS, batch with sheets, N = {n:6d}: main process {int(own) / 1024:6.0f} MB "
              f"(workers ≤ {int(workers) / 1024:.0f} MB)")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
    scoring_only(n)
    with tempfile.TemporaryDirectory() as tmp:
        batch_runs(n, Path(tmp))
    sheet_ratios()
    for size in (1_000, 10_000):
        peak_rss(size)
    print(f"bench process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
