"""The house in numbers (issue 20's closing note): prints them, asserts nothing, times nothing.

    python bench/house.py

- modules and lines of src/perfscore;
- the 10 largest functions (lines from ``def`` to the end of the body, methods and nested
  functions included);
- the import graph (the edges tests/test_structure.py checks: module level and lazy imports,
  not those under ``if TYPE_CHECKING``; a package's ``__init__`` importing its own modules is
  no edge): every import circle, and the layers (a module's layer is one above the highest
  layer it imports);
- the upload walk: the perfscore modules whose code runs while one upload is scored (traced with
  ``sys.setprofile``/``threading.setprofile`` on a second, warm run, so importing is not
  counted) — ``rooms`` are the distinct modules, ``doors`` the distinct caller → callee module
  pairs. Walked: a filled .xlsx (perfscore's own sheet of seed 000's 政府购买法律服务) through
  ``api.score_files`` and through a real ``/api/score`` request (Starlette's TestClient), and the
  same project as a 国家 form .xls (converted by LibreOffice; left out when it is absent).
"""

from __future__ import annotations

import ast
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
try:
    import perfscore  # noqa: F401
except ImportError:  # a checkout without install
    sys.path.insert(0, str(ROOT / "src"))

from test_structure import PACKAGE, imports_of, modules  # noqa: E402  (the graph the structure test checks)

GOUMAI = ROOT / "samples" / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"


def size() -> tuple[int, int]:
    files = sorted(PACKAGE.rglob("*.py"))
    return len(files), sum(len(p.read_text(encoding="utf-8").splitlines()) for p in files)


def largest_functions(n: int = 10) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for name, path in modules().items():
        def visit(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found.append((child.end_lineno - child.lineno + 1, f"{name}.{prefix}{child.name}"))
                    visit(child, f"{prefix}{child.name}.")
                elif isinstance(child, ast.ClassDef):
                    visit(child, f"{prefix}{child.name}.")
                else:
                    visit(child, prefix)

        visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return sorted(found, key=lambda f: (-f[0], f[1]))[:n]


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    graph = {name: imports_of(name, path, known) for name, path in mods.items()}
    return {name: {m for m in edges if not m.startswith(name + ".")} for name, edges in graph.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def layers(graph: dict[str, set[str]]) -> dict[str, int]:
    layer: dict[str, int] = {}

    def of(v: str, seen: frozenset = frozenset()) -> int:
        if v not in layer:
            below = [of(w, seen | {v}) for w in graph[v] if w not in seen | {v}]
            layer[v] = 1 + max(below, default=0)
        return layer[v]

    for v in graph:
        of(v)
    return layer


class Walk:
    """The perfscore modules run while ``active`` (every thread: the web serves from others)."""

    def __init__(self):
        self.active = False
        self.rooms: Counter[str] = Counter()
        self.doors: set[tuple[str, str]] = set()

    def __call__(self, frame, event, arg):
        if event != "call" or not self.active:
            return
        here = frame.f_globals.get("__name__", "")
        if not here.startswith("perfscore"):
            return
        self.rooms[here] += 1
        back = frame.f_back
        caller = back.f_globals.get("__name__", "") if back is not None else ""
        if caller.startswith("perfscore") and caller != here:
            self.doors.add((caller, here))

    def __enter__(self):
        sys.setprofile(self)
        threading.setprofile(self)
        return self

    def __exit__(self, *exc):
        sys.setprofile(None)
        threading.setprofile(None)

    def run(self, call):
        call()  # warm: imports and caches are not the walk
        self.active = True
        try:
            call()
        finally:
            self.active = False


def walk(call) -> Walk:
    with Walk() as w:
        w.run(call)
    return w


def print_walk(title: str, w: Walk) -> None:
    print(f"  {title}: {len(w.rooms)} rooms, {len(w.doors)} doors")
    print("    " + ", ".join(m.removeprefix("perfscore.") for m in sorted(w.rooms)))


def upload_walks(tmp: Path) -> None:
    from starlette.testclient import TestClient

    from perfscore import api
    from perfscore.policy import load_policy
    from perfscore.web.app import create_app

    policy = load_policy("liaoning")
    filled = tmp / "filled.xlsx"
    api.fill_files([GOUMAI], filled, policy)
    uploads = [("filled .xlsx", filled)]
    from formbuilder import Typing, build, convert, soffice
    from perfscore.projectfile import read_sheet_file

    if soffice():
        model = read_sheet_file(GOUMAI)
        form = build(tmp / "form.xlsx", [(model.name, model)], "national", Typing())
        uploads += [("form .xls", convert([form], "xls", tmp / "xls", tmp / "profile")[0])]
    else:
        print("  (no LibreOffice: the form .xls walk is left out)")
    for title, path in uploads:
        def library(path=path):
            results, failures = api.score_files([path], policy)
            assert results and not failures, [f.lines() for f in failures]

        print_walk(f"{title} through api.score_files", walk(library))
        with TestClient(create_app(temp_root=tmp / "web")) as client:
            def request(path=path):
                answer = client.post("/api/score", files=[("files", (path.name, path.read_bytes()))],
                                     data={"policy": "liaoning"})
                assert answer.status_code == 200, answer.text

            print_walk(f"{title} through POST /api/score", walk(request))


def main() -> None:
    count, lines = size()
    print(f"src/perfscore: {count} modules, {lines} lines")
    print("largest functions (lines):")
    for n, name in largest_functions():
        print(f"  {n:4d}  {name}")
    graph = import_graph()
    found = circles(graph)
    print(f"import graph: {len(graph)} modules, {sum(map(len, graph.values()))} edges, "
          + (f"{len(found)} circle(s): " + "; ".join(" ↔ ".join(c) for c in found) if found else "no circle"))
    layer = layers(graph)
    print(f"  {max(layer.values())} layers; top: "
          + ", ".join(sorted(m for m, n in layer.items() if n == max(layer.values()))))
    print("the upload walk:")
    with tempfile.TemporaryDirectory() as tmp:
        upload_walks(Path(tmp))


if __name__ == "__main__":
    main()
