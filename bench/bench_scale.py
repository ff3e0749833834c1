"""A province-scale batch: prints numbers, asserts nothing.

    python bench/bench_scale.py [--n 70000] [--jobs 2]

Writes N synthetic JSON projects (bench/synthetic.py), runs ``batch`` once and prints: the
time and projects/s, the main process's peak memory, each summary.xlsx sheet's rows (its
header included) beside Excel's 1,048,576, and each summary.sqlite table's rows beside the
matching summary.xlsx rows (a sheet's rows less its header and 项目's 合计 row, the
续表 parts added up). 70,000 projects (~2.1 million 指标 rows) is a large province's year.
"""

from __future__ import annotations

import argparse
import re
import resource
import sqlite3
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
try:
    import perfscore  # noqa: F401
except ImportError:  # a checkout without install
    sys.path.insert(0, str(ROOT / "src"))

from synthetic import write_files  # noqa: E402

from perfscore.batch import run_batch  # noqa: E402
from perfscore.report.workbook import EXCEL_ROWS  # noqa: E402

_SHEET = re.compile(rb'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"')
_REL = re.compile(rb'<Relationship [^>]*Id="([^"]+)"[^>]*Target="([^"]+)"')


def sheet_rows(path: Path) -> dict[str, int]:
    """Each sheet's <row> count, read as a stream (a 2-million-row sheet is never held whole)."""
    counts = {}
    with zipfile.ZipFile(path) as z:
        targets = dict(_REL.findall(z.read("xl/_rels/workbook.xml.rels")))
        for name, rid in _SHEET.findall(z.read("xl/workbook.xml")):
            member = "xl/" + targets[rid].decode().lstrip("/").removeprefix("xl/")
            n, tail = 0, b""
            with z.open(member) as fh:
                while block := fh.read(1 << 20):
                    data = tail + block
                    n += data.count(b"<row ")
                    tail = data[-4:]
            counts[name.decode()] = n
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=70_000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_files(args.n, Path(tmp) / "in")
        print(f"{args.n:,} synthetic projects written in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        outcome = run_batch([Path(tmp) / "in"], Path(tmp) / "out", jobs=args.jobs)
        took = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"batch --jobs {args.jobs}: {took:.1f} s, {args.n / took:,.0f} projects/s; "
              f"{len(outcome.results):,} scored, {len(outcome.failures):,} 问题; main process peak {peak:,.0f} MB")
        rows = sheet_rows(Path(tmp) / "out" / "summary.xlsx")
        for name, n in rows.items():
            print(f"   summary.xlsx {name:<10} {n:>10,} rows  {'over' if n > EXCEL_ROWS else 'within'} Excel's {EXCEL_ROWS:,}")
        con = sqlite3.connect(Path(tmp) / "out" / "summary.sqlite")
        try:
            for table in ("项目", "指标", "问题"):
                stored = con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                parts = [n for name, n in rows.items() if name == table or name.startswith(f"{table} (")]
                # each part has its header; 项目 ends with its 合计 row
                shown = sum(parts) - len(parts) - (1 if table == "项目" else 0)
                print(f"   summary.sqlite {table:<4} {stored:>10,} rows; summary.xlsx {shown:>10,} data rows "
                      f"in {len(parts)} sheet(s): {'same' if stored == shown else 'DIFFERENT'}")
        finally:
            con.close()


if __name__ == "__main__":
    main()
