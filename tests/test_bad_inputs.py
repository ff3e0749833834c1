"""The bad-input corpus (tests/bad_inputs/, expected.yaml): every file either scores, or fails
with one clear Chinese line per problem that names the file — exit 1, nothing on stdout, no
traceback. Known bugs are strict xfails (listed under ``bugs:`` in expected.yaml).

Timing of the 10 000-indicator project (generated here, not committed), on the dev box:
JSON ~0.5 s, YAML ~3.5 s (PyYAML's pure-Python loader dominates), scoring itself well
under a second.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner


CORPUS = Path(__file__).resolve().parent / "bad_inputs"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
BUGS: dict[str, str] = EXPECTED.get("bugs") or {}


def _params(section: str) -> list:
    return [
        pytest.param(name, expected, id=name,
                     marks=[pytest.mark.xfail(strict=True, reason=BUGS[name])] if name in BUGS else [])
        for name, expected in EXPECTED[section].items()
    ]


from conftest import run


def assert_no_crash(result) -> None:
    """CliRunner swallows exceptions: a crash shows as result.exception, not on stderr."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_every_corpus_file_is_listed_once():
    files = {p.name for p in CORPUS.iterdir()} - {"expected.yaml"}
    errors, ok = set(EXPECTED["errors"]), set(EXPECTED["ok"])
    assert not errors & ok
    assert files == errors | ok
    assert set(BUGS) <= files


@pytest.mark.parametrize("name, message", _params("errors"))
def test_bad_input_fails_clearly(name, message):
    path = CORPUS / name
    result = run("score", path)
    assert_no_crash(result)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert message in result.stderr, result.stderr
    lines = result.stderr.rstrip("\n").splitlines()
    assert lines, "no message on stderr"
    for line in lines:  # every problem names the file (a wrapped or English tail would not)
        assert line.startswith(f"文件 {path}"), line


@pytest.mark.parametrize("name, expected", _params("ok"))
def test_odd_but_valid_input_scores(name, expected):
    path = CORPUS / name
    table = run("score", path)
    assert_no_crash(table)
    assert table.exit_code == 0, table.stderr
    result = run("score", path, "--format", "json")
    assert_no_crash(result)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout, parse_float=Decimal)
    assert data["name"] == expected["name"]  # a name is data: /, .., \, NUL and 300 characters round-trip
    assert data["total"] == Decimal(str(expected["total"]))
    assert data["grade"] == expected["grade"]
    for warning in expected.get("warnings", []):
        assert warning in data["warnings"]


def test_gbk_is_never_read_as_mojibake():
    # The GBK bytes of 培训项目 happen to be invalid UTF-8 at byte 21; nothing is printed from them.
    result = run("score", CORPUS / "gbk.yaml", "--format", "json")
    assert result.exit_code == 1 and result.stdout == ""
    assert "不是 UTF-8 编码" in result.stderr


def _ten_thousand(n: int = 10_000) -> dict:
    """Indicators of every kind; 9 000 weights of 0.01 and 1 000 of 0 make 90 with execution 10."""
    inds = []
    for i in range(n):
        weight = "0.01" if i < 9000 else "0"
        if i % 3 == 2:
            inds.append({"level1": "满意度指标", "level2": "服务对象满意度指标", "name": f"满意度{i}",
                         "target": "有所提升", "actual": "达成预期指标", "weight": weight})
        else:
            inds.append({"level1": "产出指标", "level2": "数量指标", "name": f"指标{i}",
                         "target": f"≥{i % 97 + 1}件", "actual": f"{i % 89}件", "weight": weight, "cause": "c"})
    return {"name": "一万个指标", "budget": {"initial": 100, "executed": 95}, "indicators": inds}


def _as_yaml(data: dict) -> str:
    lines = [f"name: {data['name']}", "budget: {initial: 100, executed: 95}", "indicators:"]
    for ind in data["indicators"]:
        cells = ", ".join(f"{k}: {v}" if k == "weight" else f'{k}: "{v}"' for k, v in ind.items())
        lines.append(f"  - {{{cells}}}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_ten_thousand_indicators_score(tmp_path, suffix):
    data = _ten_thousand()
    path = tmp_path / f"big.{suffix}"
    text = json.dumps(data, ensure_ascii=False) if suffix == "json" else _as_yaml(data)
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    result = run("score", path, "--format", "json")
    elapsed = time.perf_counter() - start
    assert_no_crash(result)
    assert result.exit_code == 0, result.stderr[:500]
    out = json.loads(result.stdout, parse_float=Decimal)
    assert len(out["indicators"]) == 10_000
    assert sum(i["weight"] for i in out["indicators"]) == 90
    assert out["execution_score"] == Decimal("9.5")
    assert out["total"] == out["execution_score"] + out["indicator_score"]
    assert elapsed < 30, f"10 000 indicators took {elapsed:.1f} s"
