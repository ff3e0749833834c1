"""What a person waits for, each figure printed beside its anchor in the same run: prints
numbers, asserts nothing.

    python bench/bench_startup.py [--repeat N] [--projects N] [--instructions]

1. start-up (a fresh process per run; the runs of all commands interleaved, medians):
   `python -c pass`, the bare imports (click, pydantic's BaseModel, yaml), `perfscore --help`,
   `perfscore score` of one YAML file, one JSON file, a filled sheet and a flat workbook;
   with ``--instructions``, the same start-ups counted in instructions by valgrind's callgrind
   (repeatable on a shared machine, where the wall times swing);
2. one project in process (one core): json.loads + model_validate (the reading floor) against
   reading the file the way `score` does; scoring it; its JSON output and its table;
3. scoring throughput on the synthetic mix (bench/synthetic.py, as bench_batch.py's
   "scoring only"), on 1 core and on every core, beside the model validation alone.

The machine is shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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

SEED = ROOT / "samples" / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"  # 98.32 优
FLAT = ROOT / "examples" / "qiaokou_flat.xlsx"


def _env() -> dict[str, str]:
    """The environment of the timed commands: a PYTHONPATH given (another checkout) first."""
    src = str(ROOT / "src")
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), src) if p))


def _perfscore() -> list[str]:
    script = Path(sys.executable).parent / "perfscore"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from perfscore.cli import main; sys.exit(main())"]


def _run_all(commands: dict[str, list[str]], repeat: int) -> dict[str, float]:
    """Median wall time (s) of each command, the runs interleaved so a load spike touches all."""
    env = _env()
    times: dict[str, list[float]] = {name: [] for name in commands}
    for name, argv in commands.items():  # warm the page cache and .pyc files once
        subprocess.run(argv, env=env, capture_output=True)
    for _ in range(repeat):
        for name, argv in commands.items():
            start = time.perf_counter()
            done = subprocess.run(argv, env=env, capture_output=True)
            times[name].append(time.perf_counter() - start)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr.decode(errors='replace')[:400]}")
    return {name: statistics.median(values) for name, values in times.items()}


def _anchors(py: list[str]) -> dict[str, list[str]]:
    """The anchors of start-up: an empty Python, the bare imports, and the floor of any
    command that validates with pydantic."""
    return {
        "python -c pass": py + ["-c", "pass"],
        "import click": py + ["-c", "import click"],
        "from pydantic import BaseModel": py + ["-c", "from pydantic import BaseModel"],
        "import yaml": py + ["-c", "import yaml"],
        "the three together": py + ["-c", "import click, yaml; from pydantic import BaseModel"],
        # the floor of any command that validates with pydantic: building one model loads
        # pydantic's schema machinery and its plugin lookup (importlib.metadata)
        "the three + a one-field model": py + ["-c", "import click, yaml\nfrom pydantic import BaseModel\n"
                                                      "class M(BaseModel):\n    x: int = 0"],
    }


def startup(folder: Path, repeat: int) -> None:
    from perfscore.api import fill_files
    from perfscore.policy import load_policy
    from perfscore.projectfile import read_mapping

    one_json = folder / "one.json"
    one_json.write_text(json.dumps(read_mapping(SEED), ensure_ascii=False, default=str), encoding="utf-8")
    filled = folder / "filled.xlsx"
    fill_files([SEED], filled, load_policy("liaoning"))
    py, ps = [sys.executable], _perfscore()
    anchors = _anchors(py)
    commands = {
        "perfscore --help": ps + ["--help"],
        "perfscore score one.yaml": ps + ["score", str(SEED)],
        "perfscore score one.json": ps + ["score", str(one_json)],
        "perfscore score filled.xlsx": ps + ["score", str(filled)],
        "perfscore score flat.xlsx (11 rows)": ps + ["score", str(FLAT)],
        "perfscore score one.yaml --format json": ps + ["score", "--format", "json", str(SEED)],
    }
    medians = _run_all({**anchors, **commands}, repeat)
    floor = medians["python -c pass"]
    click_cost = medians["import click"] - floor
    editable = any(next(Path(p).glob("__editable__*perfscore*"), None) for p in sys.path if Path(p or ".").is_dir())
    print(f"start-up, median of {repeat} interleaved runs (fresh process each; perfscore "
          f"{'installed editable: every process here, python -c pass too, loads its finder' if editable else 'installed'}):")
    for name, seconds in medians.items():
        note = ""
        if name in ("perfscore score one.yaml", "perfscore score one.json"):
            note = "   (target ≤ 6×)"
        elif name == "perfscore --help":
            note = f"   (+{(seconds - floor) * 1000:.0f} ms over python; import click alone +{click_cost * 1000:.0f} ms)"
        elif name in anchors and name != "python -c pass":
            note = f"   (+{(seconds - floor) * 1000:.0f} ms)"
        print(f"  {name:40s} {seconds * 1000:7.1f} ms  {seconds / floor:5.1f}× python -c pass{note}")


def _instructions(argv: list[str]) -> int | None:
    """Instructions one fresh process runs (valgrind's callgrind: the same count whatever
    else the machine is doing), or None without valgrind."""
    import re
    import shutil

    if shutil.which("valgrind") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", *argv],
                              env=_env(), capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    return int(found.group(1)) if found else None


def instructions(folder: Path) -> None:
    """Start-up in instructions (``--instructions``): on a shared machine the wall times
    swing by ±15%; these do not."""
    from perfscore.api import fill_files
    from perfscore.policy import load_policy

    filled = folder / "filled.xlsx"
    if not filled.exists():
        fill_files([SEED], filled, load_policy("liaoning"))
    py = [sys.executable]
    run = py + ["-c", "import sys; from perfscore.cli import main; sys.exit(main())"]
    commands = {
        **_anchors(py),
        "perfscore --help": run + ["--help"],
        "perfscore score one.yaml": run + ["score", str(SEED)],
        "perfscore score filled.xlsx": run + ["score", str(filled)],
    }
    counts = {name: _instructions(argv) for name, argv in commands.items()}
    if counts["python -c pass"] is None:
        print("start-up in instructions: valgrind is not installed")
        return
    floor = counts["python -c pass"]
    print("start-up in instructions (valgrind --tool=callgrind, one run each):")
    for name, count in counts.items():
        print(f"  {name:40s} {count / 1e6:8.1f} M  {count / floor:5.1f}× python -c pass")


def _per_call(fn, repeat: int = 7, budget: float = 0.2) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` timed loops of about ``budget`` s."""
    fn()
    loops, start = 1, time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(budget / once))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)


def one_project(folder: Path) -> None:
    from perfscore.model import Project
    from perfscore.output import dumps, format_text, result_dict
    from perfscore.policy import load_policy
    from perfscore.projectfile import read_mapping, read_sheet_file
    from perfscore.scoring import score_sheet

    policy = load_policy("liaoning")
    path = folder / "one.json"
    text = path.read_text(encoding="utf-8")
    sheet = read_sheet_file(path)
    result = score_sheet(sheet, policy, str(path))
    floor = _per_call(lambda: Project.model_validate(json.loads(text)))
    scoring = _per_call(lambda: score_sheet(sheet, policy, str(path)))
    rows = [
        ("json.loads + model_validate (reading floor)", floor, ""),
        ("read one.json as score does", _per_call(lambda: read_sheet_file(path)), "the reading floor"),
        ("read one.yaml as score does", _per_call(lambda: read_sheet_file(SEED)), "the reading floor"),
        ("  of which yaml → dict", _per_call(lambda: read_mapping(SEED)), "the reading floor"),
        ("score_sheet (scoring it)", scoring, ""),
        ("JSON output of the result", _per_call(lambda: dumps(result_dict(result))), "scoring it"),
        ("table output of the result", _per_call(lambda: format_text(result, False)), "scoring it"),
    ]
    anchors = {"the reading floor": floor, "scoring it": scoring}
    print(f"one project in process ({len(sheet.indicators)} indicators, one core, medians):")
    for name, seconds, anchor in rows:
        beside = f"  {seconds / anchors[anchor]:5.2f}× {anchor}" if anchor else ""
        print(f"  {name:44s} {seconds * 1000:7.3f} ms{beside}")


def _chunk(args: tuple[int, int]) -> tuple[int, float, float]:
    """Generate ``count`` projects (seeded by chunk) in this process, then time (a) model
    validation alone and (b) validation + scoring (bench_batch.py's "scoring only"):
    → (scored, seconds validating, seconds validating + scoring)."""
    from synthetic import projects

    from perfscore.errors import InputError
    from perfscore.model import Project
    from perfscore.policy import load_policy
    from perfscore.projectfile import sheet_from_mapping
    from perfscore.scoring import score_sheet

    seed, count = args
    data = projects(count, seed)
    texts = [json.dumps(item, ensure_ascii=False) for item in data]
    policy = load_policy("default")
    start = time.perf_counter()
    for text in texts:
        Project.model_validate(json.loads(text))
    validated = time.perf_counter() - start
    done = 0
    start = time.perf_counter()
    for item in data:
        try:
            score_sheet(sheet_from_mapping(item, "bench"), policy)
            done += 1
        except InputError:
            pass
    return done, validated, time.perf_counter() - start


def throughput(n: int) -> None:
    jobs = os.cpu_count() or 1
    chunks = [(2024 + j, n // jobs + (1 if j < n % jobs else 0)) for j in range(jobs)]
    one = [_chunk(chunk) for chunk in chunks]  # the same work on one core
    with ProcessPoolExecutor(jobs) as pool:
        every = list(pool.map(_chunk, chunks))
    floor_one, score_one = sum(p[1] for p in one), sum(p[2] for p in one)
    floor_all, score_all = max(p[1] for p in every), max(p[2] for p in every)  # the cores run at once
    print(f"scoring throughput, synthetic mix, {n} projects ({n - sum(p[0] for p in one)} bad rows):")
    print(f"  1 core : {n / score_one:8.0f} projects/s scored   "
          f"(json.loads + model_validate alone: {n / floor_one:8.0f}/s)")
    print(f"  {jobs} cores: {n / score_all:8.0f} projects/s scored   "
          f"(json.loads + model_validate alone: {n / floor_all:8.0f}/s)   (target ≥ 10,000 on 2 cores)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs of each command (start-up)")
    parser.add_argument("--projects", type=int, default=10_000, help="synthetic projects (throughput)")
    parser.add_argument("--instructions", action="store_true", help="also count start-up instructions with valgrind")
    args = parser.parse_args(argv)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, load average {load}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        startup(folder, args.repeat)
        if args.instructions:
            instructions(folder)
        one_project(folder)
    throughput(args.projects)
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
