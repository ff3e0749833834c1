"""What a finance office publishes (issue 23): one project counted once, report.docx, result
phrases worded as people write them, one rounding path, a printable summary.xlsx."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml

from perfscore.batch import run_batch
from perfscore.policy import load_policy

ROOT = Path(__file__).resolve().parent.parent
CHAOYANG = ROOT / "samples" / "liaoning_chaoyang_2024"
QIAOKOU = ROOT / "samples" / "hubei_qiaokou_2024"
D = Decimal


def _copy(source: Path, target: Path, **changes) -> Path:
    data = yaml.safe_load(source.read_text("utf-8"))
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            data[section][field] = value
        else:
            data[key] = value
    target.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return target


# -- one project, one count ----------------------------------------------------------------

@pytest.mark.parametrize("jobs", [1, 2])
def test_one_project_handed_in_three_times_counts_once(tmp_path, jobs):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CHAOYANG / "fazhi_jianshe.yaml", folder / "项目.yaml")
    shutil.copy(CHAOYANG / "fazhi_jianshe.yaml", folder / "项目(1).yaml")
    # the same content written out again (keys sorted, comments gone): still the same project
    _copy(CHAOYANG / "fazhi_jianshe.yaml", folder / "项目-终稿.yaml")
    shutil.copy(CHAOYANG / "renmin_tiaojie.yaml", folder / "调解.yaml")
    out = tmp_path / "out"
    outcome = run_batch([folder], out, load_policy("liaoning"), jobs=jobs, sheets=True)
    assert len(outcome.results) == 2 and outcome.failures == []
    assert sorted(Path(d.source).name for d in outcome.duplicates) == ["项目-终稿.yaml", "项目.yaml"]
    kept = {Path(r.source).name for r in outcome.results}
    assert kept == {"项目(1).yaml", "调解.yaml"}  # the first copy in output order is the one counted
    assert sorted(p.name for p in (out / "sheets").iterdir()) == ["司法局人民调解.xlsx", "法治建设.xlsx"]
    report = (out / "report.md").read_text("utf-8")
    single = run_batch([CHAOYANG / "fazhi_jianshe.yaml", CHAOYANG / "renmin_tiaojie.yaml"], tmp_path / "one",
                       load_policy("liaoning"), jobs=1)
    funds = sum((r.budget_executed for r in single.results), D(0))
    assert "共涉及预算支出项目2个" in report and f"涉及资金{funds.normalize():f}万元" in report
    assert "重复提交（2个文件，未重复计入）" in report and "项目-终稿.yaml" in report
    book = openpyxl.load_workbook(out / "summary.xlsx", read_only=True)
    problems = [row for row in book["问题"].iter_rows(values_only=True) if row[0] == "重复提交"]
    assert len(problems) == 2 and all("内容相同" in row[7] for row in problems)
    assert sum(1 for row in book["项目"].iter_rows(values_only=True) if row[2] == "法治建设") == 1
    book.close()


def test_one_project_with_two_contents_is_a_conflict_and_neither_counts(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CHAOYANG / "renmin_tiaojie.yaml", folder / "a.yaml")
    _copy(CHAOYANG / "renmin_tiaojie.yaml", folder / "b.yaml", budget__executed=1)
    shutil.copy(CHAOYANG / "fazhi_jianshe.yaml", folder / "c.yaml")
    # another year of the same project is another project
    _copy(CHAOYANG / "renmin_tiaojie.yaml", folder / "d.yaml", year=2023)
    outcome = run_batch([folder], tmp_path / "out", load_policy("liaoning"), jobs=1)
    assert sorted(Path(r.source).name for r in outcome.results) == ["c.yaml", "d.yaml"]
    assert outcome.duplicates == []
    lines = {Path(f.source).name: f.lines()[0] for f in outcome.failures}
    assert set(lines) == {"a.yaml", "b.yaml"}
    assert "b.yaml" in lines["a.yaml"] and "a.yaml" in lines["b.yaml"]
    assert all("内容不同" in line and "均未计入" in line for line in lines.values())
