"""The layout holds: every module imports, no import circle, no module over ~700 lines,
every package is installed."""

import ast
import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import GOUMAI, ROOT
SRC = ROOT / "src"
PACKAGE = SRC / "perfscore"
MAX_LINES = 700


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """perfscore modules ``name`` imports, at module level or inside functions (a lazy
    import is still an edge); imports under ``if TYPE_CHECKING`` are not."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            for alias in node.names:
                found.add(f"{base}.{alias.name}")  # ``from . import api`` imports a module
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in known and m != name}


def test_every_module_imports():
    for name in modules():
        importlib.import_module(name)


def test_no_import_circle():
    mods = modules()
    known = set(mods)
    graph = {name: imports_of(name, path, known) for name, path in mods.items()}
    # a package's __init__ importing its own modules is how packages work, not a circle
    for name in graph:
        graph[name] = {m for m in graph[name] if not m.startswith(name + ".")}
    assert graph["perfscore.cli"] >= {"perfscore.api"}  # the walk sees real edges
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import circle: " + " → ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name)


def test_the_web_enters_the_library_through_api_only():
    """One front door (issue 20): the web package imports perfscore.api and nothing else of
    the library (its own modules and the package's version aside)."""
    mods = modules()
    known = set(mods)
    for name, path in mods.items():
        if name.startswith("perfscore.web"):
            library = {m for m in imports_of(name, path, known) if not m.startswith("perfscore.web")} - {"perfscore"}
            assert library <= {"perfscore.api"}, (name, library)
    assert "perfscore.api" in imports_of("perfscore.web.engine", mods["perfscore.web.engine"], known)


def test_no_module_is_over_the_size_limit():
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_every_package_is_installed():
    packages = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(SRC).parts) for p in PACKAGE.rglob("__init__.py")}
    assert on_disk <= packages


def _loaded_after(module: str, names: list[str]) -> set[str]:
    """Which of ``names`` are in sys.modules after importing ``module`` in a fresh interpreter."""
    code = f"import sys, {module}; print(' '.join(m for m in {names!r} if m in sys.modules))"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout.split())


def test_cli_imports_no_library_at_start():
    """``perfscore --help`` pays for click, not for the libraries the commands use: each
    command imports what it calls (a structure test, not a timed one)."""
    heavy = ["openpyxl", "jinja2", "starlette", "uvicorn", "python_calamine", "pydantic", "yaml"]
    assert _loaded_after("perfscore.cli", heavy) == set()
    assert {"pydantic", "yaml"} <= _loaded_after("perfscore.api", heavy)  # the check sees real imports


def test_filling_and_scoring_a_sheet_never_import_openpyxl(tmp_path):
    """Formulas are cut into references by perfscore's own tokenizer port, so ``fill`` and
    ``score X.xlsx`` do not pay for importing openpyxl (the check scores for real)."""
    sample = GOUMAI
    code = (
        "import sys; from perfscore import api; from perfscore.policy import load_policy;"
        f"api.fill_files([{str(sample)!r}], {str(tmp_path / 'x.xlsx')!r}, load_policy('liaoning'));"
        f"results, failures = api.score_files([{str(tmp_path / 'x.xlsx')!r}]);"
        "print(results[0].total, results[0].grade, 'openpyxl' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.split() == ["98.32", "优", "False"]
