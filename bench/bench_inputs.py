"""How often one filled sheet is read, and what reading 100 of them costs: prints numbers,
asserts nothing.

    python bench/bench_inputs.py [N]

Fills N (default 100) copies of seed 000's 政府购买法律服务 with ``perfscore fill``'s
library call, then times ``score``, ``audit`` and ``import`` over them (best of 3) and counts,
for one run of each, how many times the files were read from disk (``read_bytes``), their
zip parts inflated (``open_zip``), handed to python-calamine (``calamine_sheets``) and how
many formulas ``normalize_formula`` was asked to normalise.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import perfscore  # noqa: F401
except ImportError:  # a checkout without install
    sys.path.insert(0, str(ROOT / "src"))

from perfscore import api  # noqa: E402

GOUMAI = ROOT / "samples" / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"
COUNTS: Counter[str] = Counter()


def _count(module, name: str, label: str) -> None:
    original = getattr(module, name)

    def counted(*args, **kwargs):
        COUNTS[label] += 1
        return original(*args, **kwargs)

    setattr(module, name, counted)


def _instrument() -> None:
    import importlib

    for modname in ("perfscore.projectfile", "perfscore.forms.grid", "perfscore.xlsx.package"):
        module = importlib.import_module(modname)
        if hasattr(module, "read_bytes"):
            _count(module, "read_bytes", "files read from disk")
    package = importlib.import_module("perfscore.xlsx.package")
    _count(package, "open_zip", "zip parts inflated (open_zip)")
    for modname in ("perfscore.xlsx.package", "perfscore.xlsx.reader", "perfscore.forms.grid"):
        module = importlib.import_module(modname)
        if hasattr(module, "calamine_sheets"):
            _count(module, "calamine_sheets", "python-calamine opened")
    for modname in ("perfscore.xlsx.formulas", "perfscore.sheets.audit"):
        module = importlib.import_module(modname)
        if hasattr(module, "normalize_formula"):
            _count(module, "normalize_formula", "normalize_formula calls")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        for i in range(n):
            (tmp / "in" / f"p{i:03}.yaml").write_bytes(GOUMAI.read_bytes())
        written, failures = api.fill_files([tmp / "in"], tmp / "filled")
        assert len(written) == n and not failures, failures
        runs = {
            "score": lambda: api.score_files([tmp / "filled"]),
            "audit": lambda: api.audit_files([tmp / "filled"]),
            "import": lambda: api.import_files([tmp / "filled"], tmp / "out"),
        }
        for name, run in runs.items():
            run()  # warm: imports, compiled templates
            best = min(_timed(run) for _ in range(3))
            print(f"{name:7} {n} filled sheets: {best:.3f} s ({best / n * 1000:.1f} ms a sheet)")
        _instrument()
        for name, run in runs.items():
            COUNTS.clear()
            run()
            print(f"{name:7} one run: " + ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items())))


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
