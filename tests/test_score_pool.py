"""``score`` of many files reads them on every core (workers.ordered_map, the pool batch
scores in): the same results, failures and output bytes as one core, in input order; one
file that breaks the reader stops nothing else; a stopped pool leaves no worker behind."""

import os
import shutil
import time
from decimal import Decimal

import pytest

from perfscore import api, workers
from perfscore.output import dumps, result_dict
from perfscore.policy import load_policy
from perfscore.projectfile import read_sheet_file
from perfscore.scoring import score_sheet
from perfscore.sheets.fill import fill_sheet

from conftest import BROKEN, CHAOYANG, GOUMAI, QIAOKOU, run

pytestmark = pytest.mark.skipif(not workers.can_fork(), reason="the pool forks its workers")


@pytest.fixture
def many(tmp_path):
    """52 inputs in folders with their own perfscore.yaml (hubei, liaoning), a filled sheet,
    a project that fails validation and a workbook that is not one, in between."""
    root = tmp_path / "in"
    for n in range(3):
        shutil.copytree(QIAOKOU, root / f"{n}_hubei")
        shutil.copytree(CHAOYANG, root / f"{n}_liaoning")
    (root / "1_hubei" / "055_broken.yaml").write_text(BROKEN, encoding="utf-8")
    (root / "2_liaoning" / "a_not_a_workbook.xlsx").write_bytes(b"not a zip")
    fill_sheet(score_sheet(read_sheet_file(GOUMAI), load_policy("liaoning")), root / "1_liaoning" / "filled.xlsx")
    assert len(api.discover([root])) >= api.POOLED
    return root


def test_many_files_score_on_two_cores_as_on_one(many):
    one, one_failed = api.score_files([many], jobs=1)
    two, two_failed = api.score_files([many], jobs=2)
    assert [(r.source, r.policy, r.total, r.grade) for r in two] == [(r.source, r.policy, r.total, r.grade) for r in one]
    assert [f.lines() for f in two_failed] == [f.lines() for f in one_failed]
    assert len(one) == 3 * (11 + 5) + 1 and len(one_failed) == 2
    assert [r.source for r in one] == sorted(r.source for r in one)  # input order: the folders' sorted walk
    goumai = [r for r in two if r.source.endswith("zhengfu_goumai_falv_fuwu.yaml")]
    assert {r.total for r in goumai} == {Decimal("98.32")} and {r.policy for r in goumai} == {"liaoning"}
    assert "055_broken.yaml" in two_failed[0].lines()[0] and "a_not_a_workbook.xlsx" in two_failed[1].lines()[0]


def test_the_command_prints_the_same_bytes_from_the_pool(many):
    serial, _ = api.score_files([many], jobs=1)
    result = run("score", many, "--format", "json")  # 54 files: pooled
    assert result.exit_code == 1  # two inputs failed
    assert result.stdout == dumps([result_dict(r) for r in serial]) + "\n"
    assert result.stderr.count("\n") >= 2 and "Traceback" not in result.stderr


def test_a_file_that_breaks_the_reader_is_its_own_failure(many, monkeypatch):
    real = api.read_path

    def flaky(path, *args, **kwargs):
        if path.name == "03_shequ_falv_guwen.yaml" and path.parent.name == "1_hubei":
            raise RuntimeError("reader bug")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(api, "read_path", flaky)  # inherited by the forked workers
    results, failures = api.score_files([many], jobs=2)
    assert len(results) == 3 * (11 + 5)  # every other file scored
    broken = [f for f in failures if "03_shequ_falv_guwen.yaml" in f.source]
    assert len(broken) == 1 and "内部错误 RuntimeError" in broken[0].lines()[0]


def _pid_after(items):
    time.sleep(0.05)
    return [os.getpid() for _ in items]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_stopped_pool_leaves_no_worker(tmp_path):
    for stop in ("close", KeyboardInterrupt):
        pool = workers.ordered_map(_pid_after, range(200), 2, 1)
        pids = {next(pool), next(pool), next(pool)}
        assert os.getpid() not in pids and all(_alive(p) for p in pids)
        if stop == "close":
            pool.close()  # the caller stops early (its output failed)
        else:
            with pytest.raises(KeyboardInterrupt):
                pool.throw(KeyboardInterrupt)  # Ctrl-C while waiting for a result
        assert not any(_alive(p) for p in pids)
