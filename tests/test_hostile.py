"""The generated hostile corpus (tests/hostile.py, about 150 inputs) through the real CLI under
a 4 GB address-space limit: exit 0 with the right 总分, or exit 1 with one Chinese line per
failed input and nothing on stdout; no traceback, no English from a library, no hang.
A sample runs as real subprocesses; the rest in one child process through CliRunner."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile  # noqa: E402

from perfscore import api  # noqa: E402
from perfscore.policy import load_policy  # noqa: E402

CJK = re.compile(r"[\u4e00-\u9fff]")
# two English words in a row, as a library's message has them (perfscore's own lines name only
# files, cells, options and "perfscore <command>")
ENGLISH = re.compile(r"(?<![\w./-])(?!perfscore\b|DIR\b|BASE\b)[A-Za-z]{2,}[ ,']+[A-Za-z]{2,}(?![\w./])")
SUBPROCESS_SAMPLE = 12


def _scrub(text: str, folder: Path) -> str:
    """A line without the corpus's own paths (which hold English file names)."""
    text = text.replace(str(folder), "DIR").replace(str(hostile.BASE), "BASE")
    return re.sub(r"DIR/[^\s」]*", "DIR", text)


def check(case: hostile.Case, got: dict, folder: Path, base_total: str) -> list[str]:
    """What is wrong with one case's outcome ([] when nothing)."""
    wrong = []
    code, out, err = got["code"], got["stdout"], got["stderr"]
    if got.get("crash"):
        return [f"crash: {got['crash']}"]
    if "Traceback" in out + err:
        wrong.append("traceback")
    lines = [line for line in err.splitlines() if line.strip()]
    for line in lines:
        if "\x1b" in line or "\r" in line or "\u202e" in line:
            wrong.append(f"raw control character: {line!r}")
        scrubbed = _scrub(line, folder)
        if not CJK.search(scrubbed):
            wrong.append(f"not Chinese: {line!r}")
        english = ENGLISH.search(scrubbed)
        if english and not line.startswith("提示"):
            wrong.append(f"English {english.group(0)!r} in {line!r}")
    expect = case.expect
    if expect == "either":
        expect = "ok" if code == 0 else "fail"
    if expect == "ok":
        if code != 0:
            wrong.append(f"exit {code}, expected 0: {err[:300]!r}")
        elif case.total:
            want = base_total if case.total == "BASE" else case.total
            totals = re.findall(r"总分\s*[:：]?\s*([0-9.]+)", out)
            if case.argv[0] == "score" and want not in totals:
                wrong.append(f"总分 {totals} ≠ {want}")
        if case.shows and case.shows not in out:
            wrong.append(f"stdout lacks {case.shows!r}: {out[:300]!r}")
    elif expect == "fail":
        if code != 1:
            wrong.append(f"exit {code}, expected 1")
        if out:
            wrong.append(f"stdout: {out[:200]!r}")
        if len(lines) != case.lines and not (case.lines == 0 and lines):
            wrong.append(f"{len(lines)} lines, expected {case.lines}: {err[:400]!r}")
    elif expect == "partial":  # a batch: its summary on stdout, one line per failed project on stderr
        if code != 1:
            wrong.append(f"exit {code}, expected 1")
        if len(lines) != case.lines:
            wrong.append(f"{len(lines)} lines, expected {case.lines}: {err[:400]!r}")
    elif expect == "usage":
        if code != 2 or len(lines) != 1 or out:
            wrong.append(f"usage: exit {code}, {len(lines)} lines, stdout {out[:100]!r}: {err[:300]!r}")
    return wrong


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    cases = hostile.build(folder)
    results, _ = api.score_files([hostile.BASE], load_policy("default"))
    return folder, cases, str(results[0].total)


def test_corpus_is_large_and_varied(corpus):
    _, cases, _ = corpus
    assert len(cases) >= 140
    families = {c.family for c in cases}
    assert {"numbers", "yaml", "special", "dimension", "zip", "names", "flat", "usage", "outputs",
            "style_escape", "style_bomb", "policy_spoof", "parent_policy"} <= families
    assert len({c.name for c in cases}) == len(cases)


def test_every_hostile_input_is_handled_cleanly(corpus):
    folder, cases, base_total = corpus
    sample = cases[:: max(1, len(cases) // SUBPROCESS_SAMPLE)][:SUBPROCESS_SAMPLE]
    rest = [c for c in cases if c not in sample]
    spec = folder / "cases.json"
    hostile.dump_cases(rest, spec)
    child = subprocess.run([sys.executable, str(Path(hostile.__file__)), "--run", str(spec)],
                           capture_output=True, text=True, timeout=900, cwd=folder)
    assert child.returncode == 0, child.stderr[-2000:]
    outcomes = dict(zip((c.name for c in rest), json.loads(child.stdout)))
    for case in sample:
        try:
            done = subprocess.run([sys.executable, "-m", "perfscore.cli", *case.argv], capture_output=True,
                                  text=True, timeout=120, preexec_fn=hostile.limit_memory, cwd=case.cwd or folder,
                                  errors="surrogateescape")
            outcomes[case.name] = hostile.outcome(done.returncode, done.stdout, done.stderr)
        except subprocess.TimeoutExpired:
            outcomes[case.name] = {"code": None, "stdout": "", "stderr": "", "crash": "hang"}
    problems = {c.name: wrong for c in cases if (wrong := check(c, outcomes[c.name], folder, base_total))}
    assert not problems, "\n".join(f"{name}: {w}" for name, w in problems.items())
    assert sorted(p.name for p in folder.glob("MARKER_*")) == []  # no report style ran code


def test_a_batch_over_the_whole_corpus_writes_its_set(corpus, tmp_path):
    from perfscore.batch import run_batch

    folder, _, _ = corpus
    files = [p for p in sorted(folder.iterdir()) if p.suffix in (".yaml", ".json", ".xlsx")
             and p.is_file() and not p.is_symlink() and p.stat().st_size < 5_000_000]
    outcome = run_batch(files, tmp_path / "out", load_policy("default"), jobs=2, sheets=True)
    assert outcome.failures and len(outcome.results) > 10
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"summary.xlsx", "summary.sqlite", "report.md", "report.html", "report.docx", "sheets"}
    assert len(list((tmp_path / "out" / "sheets").iterdir())) == len(outcome.results)
