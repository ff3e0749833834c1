"""The whole job beside its floors, in one run: prints numbers, asserts nothing.

    python bench/bench_all.py [--n N] [--sheets M]      # defaults: N = 10,000, M = 300

1. ``batch`` of N synthetic JSON projects (bench/synthetic.py, no --sheets) on 1 and 2 jobs,
   beside the floor: json.loads + a plain pydantic ``Project.model_validate`` of the same
   files in one process; each phase's share of the one-job run (reading and scoring, the
   merge, summary.xlsx, the reports, summary.sqlite, the commit); and one project file read as
   YAML by perfscore beside plain yaml.load(CSafeLoader) and beside JSON;
2. reading M filled sheets and M official forms (perfscore's readers) beside python-calamine
   reading the same workbooks (every sheet's values);
3. ``perfscore score`` of the M filled sheets (start-up included) beside python-calamine
   reading them, and ``/api/score`` of them (the real server, one request) beside it; then
   the latency of a GET of the page every 10 ms while one /api/score of 500 of them runs
   (the server in a process of its own: median, 90th percentile and max).

The machine is shared: run it at small N while others work (``--n 1000``).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
try:
    import perfscore  # noqa: F401
except ImportError:  # a checkout without install
    sys.path.insert(0, str(ROOT / "src"))

from synthetic import write_files  # noqa: E402

from perfscore import batch  # noqa: E402
from perfscore.policy import load_policy  # noqa: E402

SECONDS = collections.Counter()  # phase → seconds (float-ok: timing)


@contextlib.contextmanager
def timed_phases():
    """Wrap the batch's phases (their modules' attributes, looked up at call time) to add up their time."""
    from perfscore import outset
    from perfscore.report import documents, workbook

    try:
        from perfscore.report import database
    except ImportError:  # a perfscore from before summary.sqlite (a before/after run)
        database = None

    def wrap(owner, name, label):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                SECONDS[label] += time.perf_counter() - start
        setattr(owner, name, timed)
        return owner, name, original

    def timed_iterate(*args, **kwargs):  # a generator: its time is the time of each step
        it = iterate(*args, **kwargs)
        while True:
            start = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                SECONDS["read + score"] += time.perf_counter() - start
                return
            SECONDS["read + score"] += time.perf_counter() - start
            yield item

    iterate = batch._iterate
    batch._iterate = timed_iterate
    patched = [wrap(batch, "_write_outputs", "outputs (all)"), wrap(workbook, "write_summary", "summary.xlsx"),
               wrap(documents, "write_report", "reports (md, html, docx)"), wrap(outset.OutputSet, "commit", "commit (sync, swap)")]
    if database is not None:
        patched.append(wrap(database, "write_database", "summary.sqlite"))
    try:
        yield
    finally:
        batch._iterate = iterate
        for owner, name, original in patched:
            setattr(owner, name, original)


def floor(paths: list[Path]) -> float:
    """json.loads + Project.model_validate of every file, one process (the reading floor)."""
    from perfscore.model import Project

    start = time.perf_counter()
    for path in paths:
        data = json.loads(path.read_bytes())
        data.pop("kind", None)
        try:
            Project.model_validate(data)
        except ValueError:
            pass
    return time.perf_counter() - start


def run(folder: Path, out: Path, jobs: int) -> tuple[float, int]:
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    outcome = batch.run_batch([folder], out, load_policy("default"), jobs=jobs)
    return time.perf_counter() - start, len(outcome.results)


def batch_phase(n: int, tmp: Path) -> None:
    paths = write_files(n, tmp / "json")
    floor_s = min(floor(paths) for _ in range(2))
    print(f"\n1. batch of {n:,} synthetic JSON projects (no --sheets)")
    print(f"   floor json.loads + pydantic model_validate, 1 process: {floor_s:6.2f} s  {n / floor_s:8,.0f} projects/s")
    for jobs in (1, 2):
        SECONDS.clear()
        with timed_phases() if jobs == 1 else contextlib.nullcontext():
            seconds, scored = run(tmp / "json", tmp / f"out{jobs}", jobs)
        print(f"   batch --jobs {jobs}: {seconds:6.2f} s  {n / seconds:8,.0f} projects/s  "
              f"({seconds / floor_s:.1f}× the floor; {scored:,} scored)")
        if jobs == 1:
            rest = seconds - SECONDS["read + score"] - SECONDS["outputs (all)"] - SECONDS["commit (sync, swap)"]
            phases = [("read + score", SECONDS["read + score"]), ("merge, walk, rest", rest),
                      *((k, SECONDS[k]) for k in ("summary.xlsx", "reports (md, html, docx)", "summary.sqlite",
                                                  "commit (sync, swap)"))]
            for label, part in phases:
                print(f"      {label:<26} {part:6.2f} s  {100 * part / seconds:5.1f} %")


def yaml_reading(tmp: Path, count: int = 1000) -> None:
    """One project file read as YAML: perfscore's reader (the C parser, YAML 1.2 scalars, the
    alias and depth checks, Decimal numbers) beside plain ``yaml.load(CSafeLoader)`` of the same
    text and perfscore's reader of the JSON it was made from."""
    import yaml

    from perfscore.projectfile import load_mapping

    paths = sorted((tmp / "json").glob("*.json"))[:count] or write_files(count, tmp / "json")
    jsons = [path.read_text("utf-8") for path in paths]
    yamls = [yaml.safe_dump(json.loads(text), allow_unicode=True, sort_keys=False) for text in jsons]

    def best(read, texts) -> float:
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            for text in texts:
                read(text)
            runs.append(time.perf_counter() - start)
        return min(runs) / len(texts) * 1e6

    mine = best(lambda text: load_mapping(text, "p.yaml", "yaml"), yamls)
    plain = best(lambda text: yaml.load(text, Loader=yaml.CSafeLoader), yamls)  # noqa: S506 - the C safe loader
    as_json = best(lambda text: load_mapping(text, "p.json", "json"), jsons)
    print(f"\n   a project file read, {len(paths):,} files: YAML by perfscore {mine:6.0f} µs, "
          f"plain yaml.load(CSafeLoader) {plain:6.0f} µs ({mine / plain:.2f}×), JSON by perfscore {as_json:5.0f} µs")


def sheets_and_forms(m: int, tmp: Path) -> tuple[list[Path], list[Path]]:
    from formbuilder import Typing, build

    from perfscore.errors import PerfscoreError
    from perfscore.projectfile import read_sheet_file
    from perfscore.scoring import score_sheet
    from perfscore.sheets.fill import fill_sheet

    policy = load_policy("default")
    (tmp / "sheets").mkdir()
    (tmp / "forms").mkdir()
    sheets, forms = [], []
    for path in write_files(m, tmp / "src"):
        try:
            model = read_sheet_file(path)
            sheets.append(fill_sheet(score_sheet(model, policy), tmp / "sheets" / f"{path.stem}.xlsx"))
        except PerfscoreError:
            continue  # the synthetic set's few bad projects
        forms.append(build(tmp / "forms" / f"{path.stem}.xlsx", [(model.name[:31], model)], "national", Typing(numbers=True)))
    return sheets, forms


def calamine(paths: list[Path]) -> float:
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    for path in paths:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
    return time.perf_counter() - start


def readers(sheets: list[Path], forms: list[Path]) -> None:
    from perfscore.inputs import read_path

    print(f"\n2. reading {len(sheets)} filled sheets and {len(forms)} official forms (national layout)")
    for label, paths in (("filled sheets", sheets), ("official forms", forms)):
        start = time.perf_counter()
        for path in paths:
            read_path(path)
        ours = time.perf_counter() - start
        floor_s = min(calamine(paths) for _ in range(2))
        print(f"   {label:<15} perfscore {1000 * ours / len(paths):6.2f} ms a file   python-calamine "
              f"{1000 * floor_s / len(paths):6.2f} ms   ({ours / floor_s:.1f}×)")


def cli_score(paths: list[Path]) -> float:  # float-ok: timing
    """``perfscore score`` of ``paths`` (JSON to /dev/null), start-up included: best of 3."""
    cli = Path(sys.executable).with_name("perfscore")
    command = [str(cli)] if cli.exists() else [sys.executable, "-c", "from perfscore.cli import main; main()"]
    best = None
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([*command, "score", *map(str, paths), "--format", "json"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best


def serve_and_cli(sheets: list[Path], long_request: int = 500) -> None:
    import statistics

    from bench_serve import get_latency, post, serving, serving_process

    with serving() as url:
        seconds, ok, failed = post(url, sheets)
    best = cli_score(sheets)
    floor_s = min(calamine(sheets) for _ in range(3))
    print(f"\n3. the same {len(sheets)} filled sheets")
    print(f"   python-calamine reading them (every sheet's values): {floor_s:6.2f} s")
    print(f"   perfscore score (CLI, start-up included): {best:6.2f} s   ({best / floor_s:.1f}× calamine)")
    print(f"   /api/score, one request: {seconds:6.2f} s ({ok} scored, {failed} failures)   (server / CLI {seconds / best:.2f})")
    many = (sheets * (long_request // max(len(sheets), 1) + 1))[:long_request]
    with serving_process() as url:
        took, latencies = get_latency(url, many)
    ms = sorted(1000 * x for x in latencies)
    print(f"   GET / every 10 ms while one /api/score of {len(many)} files runs ({took:.2f} s; server in its own process): "
          f"{len(ms)} GETs, median {statistics.median(ms):.1f} ms, 90th {ms[int(0.9 * (len(ms) - 1))]:.1f} ms, "
          f"max {ms[-1]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="synthetic projects for the batch")
    parser.add_argument("--sheets", type=int, default=300, help="filled sheets and forms to read and serve")
    parser.add_argument("--only", choices=["batch", "sheets"], help="one part: the batch (1.), or the sheets (2. and 3.)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "sheets":
            batch_phase(args.n, Path(tmp))
            yaml_reading(Path(tmp))
        if args.only != "batch":
            sheets, forms = sheets_and_forms(args.sheets, Path(tmp))
            readers(sheets, forms)
            serve_and_cli(sheets)


if __name__ == "__main__":
    main()
