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


def _score_chunk(chunk: list[dict]) -> int:
    policy = load_policy("default")
    done = 0
    for data in chunk:
        try:
            score_sheet(sheet_from_mapping(data, "bench"), policy)
            done += 1
        except InputError:
            pass
    return done


def scoring_only(n: int) -> None:
    data = projects(n)
    indicators = sum(len(d["indicators"]) for d in data)
    start = time.perf_counter()
    scored = _score_chunk(data)
    one = time.perf_counter() - start
    jobs = os.cpu_count() or 1
    size = max(1, n // (jobs * 4))
    chunks = [data[i : i + size] for i in range(0, n, size)]
    start = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        scored_all = sum(pool.map(_score_chunk, chunks))
    every = time.perf_counter() - start
    print(f"scoring only, {n} projects ({indicators} indicators, {n - scored} bad):")
    print(f"  1 core : {n / one:8.0f} projects/s")
    print(f"  {jobs} cores: {n / every:8.0f} projects/s   (target ≥ 5,000)   [{scored_all} scored]")


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
        code = (
            "import sys, resource; from pathlib import Path;"
            "from perfscore.batch import run_batch; from perfscore.policy import load_policy;"
            f"run_batch([Path({str(folder / 'in')!r})], Path({str(folder / 'out')!r}), load_policy('default'), sheets=True);"
            "s = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
            "c = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
            "print(s, c)"
        )
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
        own, workers = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                      env=env).stdout.split()
        print(f"peak RSS, batch with sheets, N = {n:6d}: main {int(own) / 1024:6.0f} MB, "
              f"largest worker {int(workers) / 1024:6.0f} MB")


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
