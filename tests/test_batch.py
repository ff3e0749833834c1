"""Batch scoring: every input kind, isolated failures, deterministic output, safe file
names, and nothing lost when a run is killed or cannot write."""

import json
import os
import shutil
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest

from perfscore.batch import assign_file_names, run_batch, safe_file_name
from perfscore.errors import OutputError
from perfscore.policy import load_policy

from conftest import FLAT, SAMPLES, flat_workbook, run


def project_files(folder):
    """A sample folder's project files (its perfscore.yaml is the folder's policy, not a project)."""
    return [p for p in sorted(folder.glob("*.yaml")) if p.name != "perfscore.yaml"]

D = Decimal


def test_batch_samples_writes_everything_and_matches_score(tmp_path):
    out = tmp_path / "out"
    result = run("batch", SAMPLES, "-o", out, "--sheets", "--policy", "liaoning")
    assert result.exit_code == 0, result.output + result.stderr
    assert {p.name for p in out.iterdir()} == {"summary.xlsx", "summary.sqlite", "report.md", "report.html", "report.docx", "sheets"}
    assert len(list((out / "sheets").glob("*.xlsx"))) == 16
    report = (out / "report.md").read_text(encoding="utf-8")
    # every project's total in report.md is what `perfscore score` gives for its file
    for path in [p for p in sorted(SAMPLES.glob("*/*.yaml")) if p.name != "perfscore.yaml"]:
        scored = json.loads(run("score", path, "--format", "json", "--policy", "liaoning").output)
        if scored["kind"] == "project":
            assert f"{scored['name']}项目自评综述：**根据年初设定的绩效目标，项目自评得分{scored['total']}分。" in report
    # --policy liaoning overrides both folders' perfscore.yaml: one policy, grouped by 主管部门,
    # 涉及资金 = Σ 全年执行数 (liaoning's report_funds)
    assert "## 一、朝阳市司法局\n" in report and "## 二、硚口区司法局\n" in report
    assert "共涉及预算支出项目11个，涉及资金938.54万元，自评覆盖率达到100%" in report
    wb = openpyxl.load_workbook(out / "summary.xlsx", read_only=True)
    assert wb.sheetnames == ["项目", "指标", "问题", "汇总"]
    rows = list(wb["项目"].iter_rows(values_only=True))
    assert len(rows) == 19 and rows[0][:3] == ("实施单位", "主管部门", "项目名称")
    rows, totals = rows[:17], rows[17:]
    # the 合计 rows: counts, sums and mean 总分 of the project sheets, as the 说明 prints them
    projects = [r for r in rows[1:] if r[3] == "项目"]
    assert totals[0][:4] == ("合计", None, f"项目 {len(projects)} 个", "项目") and len(projects) == 15
    assert Decimal(str(totals[0][7])) == sum(Decimal(str(r[7])) for r in projects)
    mean = (sum(Decimal(str(r[12])) for r in projects) / 15).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert Decimal(str(totals[0][12])) == mean == Decimal("99.89")  # mean 总分, 四舍五入 to 2 decimals
    assert totals[1][2] == "整体 1 个"
    # sorted by unit, then name
    keys = [(r[0], r[2]) for r in rows[1:]]
    assert keys == sorted(keys)
    # a filled sheet from the batch audits clean
    audit = run("audit", out / "sheets" / "政府购买法律服务.xlsx", "--policy", "liaoning")
    assert audit.exit_code == 0, audit.output


def test_one_broken_file_does_not_stop_the_batch(tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES / "liaoning_chaoyang_2024", inputs)
    (inputs / "broken.yaml").write_text("name: 坏项目\nbudget: {initial: 1, executed: 1}\nindicators: []\n", encoding="utf-8")
    (inputs / "garbage.xlsx").write_bytes(b"not a workbook")
    out = tmp_path / "out"
    result = run("batch", inputs, "-o", out, "--policy", "liaoning", "--sheets")
    assert result.exit_code == 1
    assert "broken.yaml" in result.stderr and "garbage.xlsx" in result.stderr
    assert (out / "summary.xlsx").exists() and (out / "report.html").exists()
    assert len(list((out / "sheets").glob("*.xlsx"))) == 5
    problems = list(openpyxl.load_workbook(out / "summary.xlsx", read_only=True)["问题"].iter_rows(values_only=True))
    errors = [r for r in problems if r[0] == "错误"]
    assert {Path(r[2]).name for r in errors} == {"broken.yaml", "garbage.xlsx"}  # the 文件 column
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "自评覆盖率达到71.43%" in report  # 5 of 7 inputs scored; the failures are in the 问题清单 only
    assert "未能评分的项目（2个）" in report.split("、问题清单", 1)[1]


def _outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_output_identical_whatever_jobs_and_order(tmp_path):
    files = sorted(SAMPLES.glob("*/*.yaml"))
    a = run_batch(files, tmp_path / "a", load_policy("hubei"), sheets=True, jobs=1)
    b = run_batch(list(reversed(files)), tmp_path / "b", load_policy("hubei"), sheets=True, jobs=2)
    assert [r.name for r in a.results] == [r.name for r in b.results]
    assert _outputs(tmp_path / "a") == _outputs(tmp_path / "b")


def test_rows_built_in_the_workers_are_the_rows_written_from_memory(tmp_path, monkeypatch):
    """summary.xlsx and summary.sqlite from a batch (rows rendered in the workers, copied in
    order, 指标 past a small row limit) are those written from the same digests in memory."""
    from perfscore.batch import sort_key
    from perfscore.inputs import read_path
    from perfscore.report import database, workbook
    from perfscore.report.digests import digest
    from perfscore.scoring import score_sheet

    from test_summary_sqlite import db_tables

    monkeypatch.setattr(workbook, "EXCEL_ROWS", 20)  # a sheet's rows go on two sheets
    files = sorted(SAMPLES.glob("*/*.yaml"))
    policy = load_policy("hubei")
    outcome = run_batch(files, tmp_path / "out", policy, jobs=2)
    digests = [digest(score_sheet(i.sheet, i.policy, i.source, notes=i.notes), i.cells, i.policy, i.sheet)
               for f in files for i in read_path(f, policy=policy)]
    digests.sort(key=sort_key)
    assert [d.source for d in digests] == [r.source for r in outcome.results] and not outcome.failures
    workbook.write_summary(digests, [], tmp_path / "summary.xlsx")
    database.write_database(digests, [], tmp_path / "summary.sqlite")
    assert (tmp_path / "summary.xlsx").read_bytes() == (tmp_path / "out" / "summary.xlsx").read_bytes()
    assert "指标 (3)" in openpyxl.load_workbook(tmp_path / "summary.xlsx", read_only=True).sheetnames
    assert db_tables(tmp_path / "summary.sqlite") == db_tables(tmp_path / "out" / "summary.sqlite")


def test_flat_workbook_input(tmp_path):
    result = run("batch", FLAT, "-o", tmp_path / "out", "--policy", "hubei")
    assert result.exit_code == 0, result.stderr
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "共涉及项目11个，资金938.54万元，自评覆盖率100%" in report
    # the flat workbook scores exactly like the project files it was built from
    from_files = run_batch(project_files(SAMPLES / "hubei_qiaokou_2024"), tmp_path / "f", load_policy("hubei"))
    from_flat = run_batch([FLAT], tmp_path / "g", load_policy("hubei"))
    assert [(r.name, r.total, r.warning_count) for r in from_flat.results] == [
        (r.name, r.total, r.warning_count) for r in from_files.results]
    problems = lambda d: list(openpyxl.load_workbook(d / "summary.xlsx", read_only=True)["问题"].iter_rows(values_only=True))  # noqa: E731
    same = lambda row: row[:2] + row[3:]  # noqa: E731 - all but the 文件 column
    assert [same(row) for row in problems(tmp_path / "g")] == [same(row) for row in problems(tmp_path / "f")]


def test_flat_workbook_bad_rows_fail_alone(tmp_path):
    from flatbuilder import write_flat_workbook
    from perfscore.inputs import read_workbook
    from perfscore.projectfile import read_sheet_file

    sheets = [read_sheet_file(p) for p in project_files(SAMPLES / "hubei_qiaokou_2024")]
    bad = sheets[0].model_copy(deep=True)
    bad.indicators[0].actual = "100人"  # 人 against %
    path = write_flat_workbook([bad] + sheets[1:], tmp_path / "flat.xlsx")
    items = read_workbook(path)
    outcome = run_batch([path], tmp_path / "out", load_policy("hubei"))
    assert len(items) == 11 and len(outcome.results) == 10 and len(outcome.failures) == 1
    failure = outcome.failures[0]
    assert "项目表第2行" in failure.source and "单位「人」与目标单位「%」不一致" in failure.problems[0].message


@pytest.mark.parametrize(
    "name, expected",
    [("法治/建设", "法治_建设"), ("../../etc/passwd", "etc_passwd"), ("a\\b", "a_b"), ("培训\0项目", "培训_项目"),
     ("  ..  ", "未命名项目"), ("长" * 300, "长" * 60), ("CON:", "_CON"),
     ("nul", "_nul"), ("com1.txt", "_com1.txt"), ("LPT9", "_LPT9"), ("CONSOLE", "CONSOLE"), ("-rf", "rf"),
     ("--help 项目", "help 项目"), ("甲\u202egpj.xlsx", "甲_gpj.xlsx"), ("a\x1b[31mb", "a_[31mb"), ("x\u2066y", "x_y")],
)
def test_safe_file_names(name, expected):
    assert safe_file_name(name) == expected
    assert "/" not in safe_file_name(name) and ".." not in safe_file_name(name)


def test_same_names_both_survive():
    class R:
        def __init__(self, name):
            self.name = name

    assert list(assign_file_names([R("项目"), R("项目"), R("项目"), R("Abc"), R("abc")])) == [
        "项目.xlsx", "项目（2）.xlsx", "项目（3）.xlsx", "Abc.xlsx", "abc（2）.xlsx"]


def test_hostile_names_end_to_end(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    base = (SAMPLES / "liaoning_chaoyang_2024" / "fazhi_jianshe.yaml").read_text(encoding="utf-8")
    for n, name in enumerate(["../../逃逸", "法治/建设", "法治/建设", "a\\\\b", "x" * 300]):
        text = base.replace("name: 法治建设", f'name: "{name}"')
        if n == 2:  # the same name under another unit: two projects, two sheets of one name
            text = text.replace("unit: 朝阳市司法局", "unit: 朝阳市司法局二处")
        (inputs / f"{n}.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert run("batch", inputs, "-o", out, "--sheets").exit_code == 0
    written = sorted(p.name for p in (out / "sheets").iterdir())
    assert len(written) == 5
    assert all((out / "sheets" / w).resolve().parent == (out / "sheets").resolve() for w in written)
    assert not (tmp_path / "逃逸.xlsx").exists()


def test_unwritable_outdir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("batch", SAMPLES / "liaoning_chaoyang_2024", "-o", blocker / "out")
    assert result.exit_code == 1 and "无法创建输出目录" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("where", ["sync", "report"])
def test_full_disk_keeps_the_old_output_and_leaves_no_temp(tmp_path, monkeypatch, where):
    from perfscore import outset

    out = tmp_path / "out"
    run_batch([SAMPLES / "liaoning_chaoyang_2024"], out, load_policy("liaoning"), jobs=1, sheets=True)
    before = _outputs(out)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if where == "sync":  # the set is complete but cannot be made durable
        monkeypatch.setattr(outset, "_sync_tree", full)
    else:  # the disk fills while report.html is written, after summary.xlsx and report.md
        real = tempfile.mkstemp
        calls = []

        def third(*args, **kwargs):
            calls.append(1)
            return full() if len(calls) == 3 else real(*args, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", third)
    with pytest.raises(OutputError, match="磁盘已满"):
        run_batch([SAMPLES / "hubei_qiaokou_2024"], out, load_policy("hubei"), jobs=1, sheets=True)
    assert _outputs(out) == before  # the old set is intact, sheets and summary alike
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no set left aside, no lock
    assert not [p for p in out.rglob(".perfscore-tmp-*")]


# The killed-batch test (kill while sheets are written and while they are renamed; the set
# checked byte for byte) is in test_outset.py.


def test_flat_workbook_row_problems_are_isolated(tmp_path):
    from perfscore.inputs import Input, read_workbook

    ind = ["甲", "产出指标", "数量指标", "培训", "≥10次", "10次", 90, None, None, None, None]
    path = flat_workbook(
        tmp_path,
        [["甲", "局", "局", 2024, 10, None, 10, 0, None],
         ["甲", "局", "局", 2024, 10, None, 10, 0, None],  # duplicate name
         ["乙", "局", "局", 2024.0, 10.5, 10.5, 9.25, None, 20]],
        [ind, ["乙", "产出指标", "数量指标", "培训", "≥10次", 8, None, "原因", None, None, None],
         ["丙", "产出指标", "数量指标", "x", "1", "1", None, None, None, None, None]],  # 丙 has no project row
    )
    items = read_workbook(path)
    kinds = [(Path(item.source).name, type(item.sheet if isinstance(item, Input) else item).__name__) for item in items]
    assert kinds == [("flat.xlsx 项目表第2行", "Project"), ("flat.xlsx 项目表第3行", "Failure"),
                     ("flat.xlsx 项目表第4行", "Project"), ("flat.xlsx 指标表第4行", "Failure")]
    assert "项目名称重复" in items[1].problems[0].message
    cells = items[2].cells  # where each field of 乙 was read: its project row 4, its indicator row 3
    assert (cells["name"], cells["budget.executed"], cells["indicators[0].actual"]) == ("项目!A4", "项目!G4", "指标!F3")
    assert "项目「丙」在项目表中不存在" in items[3].problems[0].message
    second = items[2].sheet
    assert (second.budget.initial, second.budget.executed, second.execution_weight, second.year) == (
        D("10.5"), D("9.25"), D(20), 2024)
    assert second.indicators[0].actual == "8"


def test_flat_workbook_missing_columns_and_sheets(tmp_path):
    from perfscore.errors import SheetError
    from perfscore.flat import flat_mappings

    path = flat_workbook(tmp_path, [], [], project_header=["项目名称", "主管部门"])
    with pytest.raises(SheetError, match="缺少列 年初预算数、全年执行数"):
        flat_mappings(path)
    wb = openpyxl.Workbook()
    wb.active.title = "项目"
    wb.save(tmp_path / "one.xlsx")
    with pytest.raises(SheetError, match="不是平铺工作簿"):
        flat_mappings(tmp_path / "one.xlsx")
    outcome = run_batch([tmp_path / "one.xlsx", tmp_path / "missing.yaml"], tmp_path / "out", load_policy("default"))
    messages = sorted(f.problems[0].message for f in outcome.failures)
    assert len(messages) == 2
    assert any("missing.yaml: 不存在" in m for m in messages)
    assert any("找不到绩效自评表" in m for m in messages)  # not flat, no template sheet, and no form either


@pytest.mark.parametrize(
    "err, message",
    [(30, "没有写入权限（只读文件系统）"), (13, "没有写入权限"), (28, "磁盘已满"), (2, "目录不存在"), (20, "上级路径不是目录")],
)
def test_read_only_or_full_outdir_is_a_clear_error(tmp_path, monkeypatch, err, message):
    # As root a chmod'ed directory stays writable, so the OS error is simulated where it would arise.
    def refuse(*args, **kwargs):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = run("batch", SAMPLES / "liaoning_chaoyang_2024", "-o", tmp_path / "out", "-j", "1")
    assert result.exit_code == 1
    assert f"无法写入 {tmp_path / 'out' / 'summary.xlsx'}: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() and not list(tmp_path.iterdir())  # nothing aside, no lock


def test_outdir_inside_an_input_directory_is_not_read_again(tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES / "liaoning_chaoyang_2024", inputs)
    first = run_batch([inputs], inputs / "out", load_policy("liaoning"), sheets=True, jobs=1)
    again = run_batch([inputs], inputs / "out", load_policy("liaoning"), sheets=True, jobs=1)
    assert len(first.results) == len(again.results) == 5 and not again.failures


def test_an_input_named_like_an_output_is_never_overwritten(tmp_path):
    outdir = tmp_path / "out"
    outdir.mkdir()
    summary = outdir / "summary.xlsx"
    shutil.copy(FLAT, summary)  # a flat workbook that happens to sit where summary.xlsx goes
    before = summary.read_bytes()
    result = run("batch", summary, "-o", outdir)
    assert result.exit_code == 1 and "不会覆盖输入" in result.stderr
    assert summary.read_bytes() == before


def test_a_scoring_error_names_its_indicator_field_and_cell_in_the_problem_sheet(tmp_path):
    """Problems as values (issue 20): a scoring error is a Problem built where it is found,
    so its 问题 row has 指标 and 字段 filled; read from a workbook, 单元格 too."""
    from perfscore.inputs import read_path
    from perfscore.projectfile import read_sheet_file
    from perfscore.scoring import score_sheet
    from perfscore.sheets.fill import fill_sheet

    goumai = SAMPLES / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"
    text = goumai.read_text("utf-8")
    sheet = read_sheet_file(goumai)
    first = sheet.indicators[0]
    bad = tmp_path / "in" / "坏单位.yaml"
    bad.parent.mkdir()
    assert f"actual: {first.actual}" in text or first.actual in text
    bad.write_text(text.replace(first.actual, "8吨", 1), "utf-8")  # a unit its target does not have
    filled = tmp_path / "in" / "坏单位.xlsx"
    fill_sheet(score_sheet(sheet, load_policy("liaoning")), filled)
    [item] = read_path(filled)
    cell = item.cells["indicators[0].actual"]
    wb = openpyxl.load_workbook(filled)
    ws = wb.worksheets[0]
    ws[cell.split("!")[-1]] = "8吨"
    wb.save(filled)

    run_batch([tmp_path / "in"], tmp_path / "out", jobs=1)
    rows = list(openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx", read_only=True)["问题"].iter_rows(values_only=True))
    header = rows[0]
    errors = [dict(zip(header, r)) for r in rows[1:] if r[0] == "错误"]
    by_file = {Path(e["文件"]).name: e for e in errors}
    assert set(by_file) == {"坏单位.yaml", "坏单位.xlsx"}, errors
    for name, row in by_file.items():
        assert (row["指标"], row["字段"]) == (first.name, "全年完成值"), row
        assert "单位" in row["问题"] and first.name in row["问题"]
    assert by_file["坏单位.xlsx"]["单元格"] == cell.split("!")[-1] and by_file["坏单位.yaml"]["单元格"] is None
