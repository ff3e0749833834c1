"""`perfscore serve` speed: prints numbers, asserts nothing.

    python bench/bench_serve.py [N]          # default N = 100

Starts the real server (uvicorn on a free loopback port, in a thread) and posts N
uploaded files in one request to /api/score: first N project files (YAML, from
bench/synthetic.py), then the same N projects as filled .xlsx sheets (the form staff
hand in, read and audited). Prints the wall time of each request, best of 3.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
try:
    import perfscore  # noqa: F401
except ImportError:  # a checkout without install
    sys.path.insert(0, str(ROOT / "src"))

import httpx2 as httpx  # noqa: E402
import uvicorn  # noqa: E402

from perfscore.errors import PerfscoreError  # noqa: E402
from perfscore.policy import load_policy  # noqa: E402
from perfscore.projectfile import read_sheet_file  # noqa: E402
from perfscore.scoring import score_sheet  # noqa: E402
from perfscore.sheets.fill import fill_sheet  # noqa: E402
from perfscore.web.app import create_app  # noqa: E402
from synthetic import write_files  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving():
    """The real server on a free loopback port, in a thread, for the ``with`` block: its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join()


@contextlib.contextmanager
def serving_process():
    """The real server (``perfscore serve``'s app) in a process of its own on a free loopback
    port, for the ``with`` block: its URL. A client in this process then never competes with
    the server for one interpreter lock, as a browser does not."""
    import subprocess

    port = free_port()
    code = ("import sys, uvicorn; from perfscore.web.app import create_app; "
            "uvicorn.Server(uvicorn.Config(create_app(), host='127.0.0.1', port=int(sys.argv[1]), "
            "log_level='warning', access_log=False)).run()")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    server = subprocess.Popen([sys.executable, "-c", code, str(port)], env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        while server.poll() is None:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        if server.poll() is not None:
            raise RuntimeError("the server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(30)


def get_latency(url: str, paths: list[Path], every: float = 0.01) -> tuple[float, list[float]]:  # float-ok: timing
    """A GET of the page every ``every`` seconds while one /api/score of ``paths`` runs:
    (the POST's wall time, each GET's latency in seconds). A file named twice is sent under
    two names."""
    files = [("files", (f"{i:04d}_{p.name}", p.read_bytes())) for i, p in enumerate(paths)]
    done = threading.Event()
    took: dict[str, float] = {}

    def score() -> None:
        started = time.perf_counter()
        httpx.post(url + "api/score", files=files, timeout=600)
        took["post"] = time.perf_counter() - started
        done.set()

    poster = threading.Thread(target=score)
    latencies = []
    with httpx.Client(timeout=60) as client:
        client.get(url)  # the connection is open before the clock starts
        poster.start()
        while not done.is_set():
            started = time.perf_counter()
            client.get(url)
            latencies.append(time.perf_counter() - started)
            time.sleep(every)
    poster.join()
    return took["post"], latencies


def post(url: str, paths: list[Path]) -> tuple[float, int, int]:  # float-ok: wall time
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    best = None
    for _ in range(3):
        started = time.perf_counter()
        answer = httpx.post(url + "api/score", files=files, timeout=600)
        seconds = time.perf_counter() - started
        best = seconds if best is None else min(best, seconds)
    body = answer.json()
    return best, len(body["results"]), len(body["failures"])


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with serving() as url, tempfile.TemporaryDirectory() as tmp:
        json_files = write_files(n, Path(tmp) / "json")
        sheets_dir = Path(tmp) / "xlsx"
        sheets_dir.mkdir()
        policy = load_policy("default")
        xlsx_files = []
        for path in json_files:
            try:
                xlsx_files.append(fill_sheet(score_sheet(read_sheet_file(path), policy), sheets_dir / f"{path.stem}.xlsx"))
            except PerfscoreError:
                xlsx_files.append(path)  # the synthetic set's few bad projects stay bad
        for label, paths in (("project files (.json)", json_files), ("filled sheets (.xlsx)", xlsx_files)):
            size = sum(p.stat().st_size for p in paths)
            seconds, ok, failed = post(url, paths)
            print(f"/api/score, {n} {label}, {size / 1024:.0f} KB in one request: {seconds:.2f} s "  # float-ok: timing
                  f"({ok} scored, {failed} failures; {1000 * seconds / n:.1f} ms per file)")


if __name__ == "__main__":
    main()
