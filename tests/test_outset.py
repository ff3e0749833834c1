"""Output sets and concurrent runs: OUTDIR always holds one run's complete set; a failed or
killed run leaves the previous set and nothing aside; a rerun leaves no stale sheets; a
second batch on the same OUTDIR refuses; a dead run's lock is taken over; one bad file (even
one that crashes a worker) never stops the batch; --jobs is bounded."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from perfscore import batch
from perfscore.batch import run_batch
from perfscore.cli import main
from perfscore.errors import OutputError
from perfscore.policy import load_policy

from conftest import CHAOYANG, QIAOKOU, flat_workbook  # noqa: E402
from synthetic import write_files  # noqa: E402


def _set(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _complete(out: Path) -> int:
    """Check that OUTDIR holds one complete set and return its project count: the summary's
    项目 rows, each with its filled sheet, and both reports."""
    assert (out / "report.md").is_file() and (out / "report.html").is_file()
    wb = openpyxl.load_workbook(out / "summary.xlsx", read_only=True)
    rows = [r for r in list(wb["项目"].iter_rows(values_only=True))[1:] if r[0] != "合计"]
    wb.close()
    sheets = sorted((out / "sheets").iterdir())
    assert len(sheets) == len(rows)
    assert not [p for p in sheets if p.name.startswith(".")]
    for path in sheets:
        openpyxl.load_workbook(path, read_only=True).close()
    return len(rows)


def test_a_rerun_over_fewer_inputs_leaves_no_stale_sheets(tmp_path):
    out = tmp_path / "out"
    run_batch([QIAOKOU], out, load_policy("hubei"), sheets=True, jobs=1)
    assert _complete(out) == 11
    run_batch([CHAOYANG / "fazhi_jianshe.yaml"], out, load_policy("liaoning"), sheets=True, jobs=1)
    assert _complete(out) == 1 and [p.name for p in (out / "sheets").iterdir()] == ["法治建设.xlsx"]
    run_batch([CHAOYANG / "fazhi_jianshe.yaml"], out, load_policy("liaoning"), jobs=1)  # no --sheets now
    assert sorted(p.name for p in out.iterdir()) == ["report.docx", "report.html", "report.md", "summary.sqlite", "summary.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing aside, no lock left


def test_a_second_batch_on_the_same_outdir_refuses(tmp_path):
    out = tmp_path / "out"
    run_batch([CHAOYANG], out, load_policy("liaoning"), jobs=1)
    before = _set(out)
    lock = tmp_path / ".out.perfscore-lock"
    with open(lock, "w") as held:  # another run holds the lock
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242")
        held.flush()
        result = CliRunner().invoke(main, ["batch", str(QIAOKOU), "-o", str(out), "-q"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == f"输出目录 {out} 正被另一个 perfscore batch（进程 4242）使用：请等它结束，或换一个输出目录"
    assert _set(out) == before


def test_a_dead_runs_lock_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / ".out.perfscore-lock").write_text(str(dead.pid))  # left by a run that was killed
    outcome = run_batch([CHAOYANG], tmp_path / "out", load_policy("liaoning"), jobs=1)
    assert len(outcome.results) == 5
    assert not (tmp_path / ".out.perfscore-lock").exists()


def test_a_killed_runs_aside_set_is_removed_by_the_next(tmp_path):
    aside = tmp_path / ".perfscore-tmp-set-out.999999"
    (aside / "sheets").mkdir(parents=True)
    (aside / "summary.xlsx").write_bytes(b"half")
    other = tmp_path / ".perfscore-tmp-set-out.x.12"  # another OUTDIR's ("out.x"): not ours to touch
    other.mkdir()
    run_batch([CHAOYANG], tmp_path / "out", load_policy("liaoning"), jobs=1)
    assert not aside.exists() and other.exists()


def test_foreign_files_in_outdir_are_never_moved(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "笔记.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="输出目录 .* 中有不是 perfscore 输出的「笔记.txt」"):
        run_batch([CHAOYANG], out, load_policy("liaoning"), jobs=1)
    assert [p.name for p in out.iterdir()] == ["笔记.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_input_inside_outdir_is_refused(tmp_path):
    out = tmp_path / "out"
    run_batch([CHAOYANG], out, load_policy("liaoning"), jobs=1, sheets=True)
    before = _set(out)
    with pytest.raises(OutputError, match="不会覆盖输入"):
        run_batch([out / "sheets"], out, load_policy("liaoning"), jobs=1)
    assert _set(out) == before


def test_a_crashing_input_fails_alone(tmp_path, monkeypatch):
    real = batch.score_sheet

    def flaky(sheet, policy, source=None, **kwargs):
        if sheet.name == "司法局人民调解":
            raise ZeroDivisionError("boom")
        return real(sheet, policy, source, **kwargs)

    monkeypatch.setattr(batch, "score_sheet", flaky)
    outcome = run_batch([CHAOYANG], tmp_path / "out", load_policy("liaoning"), jobs=1, sheets=True)
    assert len(outcome.results) == 4 and len(outcome.failures) == 1
    line = outcome.failures[0].lines()[0]
    assert line == f"文件 {CHAOYANG / 'renmin_tiaojie.yaml'}: 无法处理（内部错误 ZeroDivisionError），已跳过；其余文件照常评分"
    assert _complete(tmp_path / "out") == 4
    problems = list(openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx", read_only=True)["问题"].iter_rows(values_only=True))
    assert [r[7] for r in problems if r[0] == "错误"] == [line]


def test_jobs_are_bounded_with_a_warning(tmp_path):
    limit = batch.max_jobs()
    assert limit == min(os.cpu_count() or 1, batch.MAX_JOBS)
    assert batch.bounded_jobs(None, 100) == (limit, None)
    assert batch.bounded_jobs(1, 100) == (1, None)
    assert batch.bounded_jobs(limit, 1) == (1, None)  # never more workers than files
    jobs, warning = batch.bounded_jobs(256, 100)
    assert jobs == limit and warning.startswith(f"提示: --jobs 256 超过本机可用的 {limit} 个进程")
    result = CliRunner().invoke(main, ["batch", str(CHAOYANG), "-o", str(tmp_path / "out"), "-q", "--jobs", "256",
                                       "--policy", "liaoning"])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [warning]


def test_control_characters_in_names_are_escaped_on_stderr(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    text = (CHAOYANG / "fazhi_jianshe.yaml").read_text(encoding="utf-8").replace('actual: "2 次"', 'actual: "2 人"', 1)
    bad = inputs / "坏\r\n文件 x.yaml: 无问题\x1b[2J\u202e.yaml"
    bad.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(inputs)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{inputs}/坏\\x0d\\x0a文件 x.yaml: 无问题\\x1b[2J\\u202e.yaml: 1 个问题"
    assert len(lines) == 2 and lines[1].startswith(f"文件 {inputs}/坏\\x0d\\x0a文件 x.yaml: 无问题\\x1b[2J\\u202e.yaml")
    assert not any(c in result.stderr for c in "\r\x1b\u202e")


def test_a_killed_batch_leaves_the_previous_set_whole(tmp_path):
    """Killed while the new set's sheets are written, and again while they are renamed to
    their final names, then stopped with SIGTERM: OUTDIR is the earlier set, byte for byte,
    every time."""
    out = tmp_path / "out"
    run_batch([CHAOYANG], out, load_policy("default"), sheets=True, jobs=1)
    before = _set(out)
    assert _complete(out) == 5
    write_files(1500, tmp_path / "in")
    cmd = [sys.executable, "-m", "perfscore.cli", "batch", str(tmp_path / "in"), "-o", str(out), "--sheets", "-q", "-j", "2"]
    aside_glob = ".perfscore-tmp-set-out.*"
    for phase, sig in (("writing", signal.SIGKILL), ("renaming", signal.SIGKILL), ("writing", signal.SIGTERM)):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 120
        seen = False
        while time.time() < deadline and proc.poll() is None:
            for aside in tmp_path.glob(aside_glob):
                try:
                    names = os.listdir(aside / "sheets")
                except OSError:
                    continue
                final = sum(1 for n in names if not n.startswith("."))
                if (phase == "writing" and len(names) >= 50 and not final) or (phase == "renaming" and final >= 20):
                    seen = True
            if seen:
                break
            time.sleep(0.005)
        assert proc.poll() is None and seen, f"the batch finished before the {phase} phase could be caught"
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)
        assert _set(out) == before  # the earlier set, whole
        if sig == signal.SIGTERM:  # a run that is asked to stop removes what it built aside
            assert proc.returncode == 1 and not list(tmp_path.glob(aside_glob))
    # the next run takes over the dead lock, removes the aside sets and swaps in its own
    outcome = run_batch([tmp_path / "in"], out, load_policy("default"), sheets=True, jobs=2)
    assert _complete(out) == len(outcome.results) > 1400
    assert not list(tmp_path.glob(aside_glob)) and not list(out.rglob(".perfscore-tmp-*"))


def test_flat_workbook_same_name_under_two_units(tmp_path):
    ind = lambda unit, actual: [unit, "产出指标", "数量指标", "培训", "≥10次", actual, 90, None, None, None, None]  # noqa: E731
    projects = [["办公经费", "局", "甲局", 2024, 10, None, 10, 0, None], ["办公经费", "局", "乙局", 2024, 10, None, 10, 0, None]]
    header = ["项目名称", "一级指标", "二级指标", "三级指标", "指标值", "全年完成值", "分值", "偏差原因", "改进措施", "完成程度", "实施单位"]
    rows = [ind("办公经费", "10次") + ["甲局"], ind("办公经费", "5次") + ["乙局"]]
    rows = [r[:11] for r in rows]
    rows = [r[:10] + [u] for r, u in zip(rows, ["甲局", "乙局"])]
    path = flat_workbook(tmp_path, projects, rows, indicator_header=header)
    outcome = run_batch([path], tmp_path / "out", load_policy("default"), jobs=1)
    assert sorted((r.unit, r.name, r.total) for r in outcome.results) == [
        ("乙局", "办公经费", Decimal("55.00")), ("甲局", "办公经费", Decimal("100.00"))]
    # without the 实施单位 column the 指标 rows cannot be placed: both projects fail, naming both rows
    rows = [r[:10] for r in rows]
    path = flat_workbook(tmp_path, projects, rows, indicator_header=header[:10])
    outcome = run_batch([path], tmp_path / "out2", load_policy("default"), jobs=1)
    assert not outcome.results and len(outcome.failures) == 2
    line = outcome.failures[0].lines()[0]
    assert "项目表第2行（甲局）、第3行（乙局）同名，指标表第2行、第3行没有填实施单位" in line
    assert line.endswith("请在指标表加一列「实施单位」")


def test_absurd_sheet_extent_is_refused_before_the_reader(tmp_path):
    import hostile

    sheet = hostile._filled_sheet()

    def stray(name, body):
        if hostile._sheet_part(name):
            return body.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
        return body

    path = tmp_path / "stray.xlsx"
    path.write_bytes(hostile._rezip(sheet, stray))
    result = CliRunner().invoke(main, ["score", str(path)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"文件 {path} 工作表「")
    assert "表格范围达到 XFD1048576（1048576 行 × 16384 列）" in result.stderr and len(result.stderr.splitlines()) == 1


def test_spooled_sort_runs_give_the_same_set(tmp_path, monkeypatch):
    files = write_files(120, tmp_path / "in")
    whole = run_batch(files, tmp_path / "a", load_policy("default"), jobs=1)
    monkeypatch.setattr(batch, "RUN", 7)  # many runs on disk, merged
    monkeypatch.setattr(batch._Sorter, "BLOCK", 3)
    spooled = run_batch(list(reversed(files)), tmp_path / "b", load_policy("default"), jobs=2)
    assert [r.source for r in whole.results] == [r.source for r in spooled.results]
    assert [spooled.results.at(n).source for n in range(len(spooled.results))] == [r.source for r in whole.results]
    assert len(spooled.results) == 120 - len(spooled.failures)
    assert _set(tmp_path / "a") == _set(tmp_path / "b")


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie nobody reaped counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a writer dies with its parent by Linux's PR_SET_PDEATHSIG")
def test_an_abandoned_writer_takes_its_own_writer_with_it(tmp_path):
    """summary.xlsx's writer forks the 指标 sheet's writer; stopping the first (Ctrl-C in
    the batch) must not leave the second running."""
    from perfscore.writing import fork_writer

    told = tmp_path / "inner"

    def outer():
        inner = fork_writer(lambda: time.sleep(30), "inner")
        (tmp_path / "inner.tmp").write_text(str(inner.pid), encoding="ascii")
        os.rename(tmp_path / "inner.tmp", told)
        time.sleep(30)

    child = fork_writer(outer, "outer")
    deadline = time.monotonic() + 20
    while not told.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    inner = int(told.read_text(encoding="ascii"))
    assert not _gone(inner)
    child.abandon()
    while not _gone(inner) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _gone(inner) and _gone(child.pid)
