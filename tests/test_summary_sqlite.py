"""summary.sqlite: the tables of summary.xlsx in a database, in the same output set."""

import re
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import perfscore.report.database as database
import perfscore.report.workbook as workbook
from perfscore.batch import run_batch
from perfscore.errors import OutputError
from perfscore.report.workbook import INDICATOR_HEADERS, PROBLEM_HEADERS, PROJECT_HEADERS
from perfscore.values import format_fixed

from conftest import BROKEN, CHAOYANG, GOUMAI, QIAOKOU, ROOT

DOC = ROOT / "docs" / "summary-sqlite.md"
INTEGERS = {"年度", "提示数", "不一致数"}


def project_files(folder):
    return [p for p in folder.glob("*.yaml") if p.name != "perfscore.yaml"]


def xlsx_tables(path):
    """Each table of summary.xlsx (over its continuation sheets) as the database holds it:
    header dropped, the 合计 rows dropped, each number in its 0.00 text."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        tables = {}
        for name in ("项目", "指标", "问题"):
            headers, rows = None, []
            for title in wb.sheetnames:
                if title != name and not title.startswith(f"{name} ("):
                    continue
                header, *body = wb[title].iter_rows(values_only=True)
                headers = headers or list(header)
                assert list(header) == headers
                rows += [row for row in body if row[0] != "合计"]
            tables[name] = (headers, [tuple(shown(h, v) for h, v in zip(headers, row)) for row in rows])
        return tables
    finally:
        wb.close()


def shown(header, value):
    if isinstance(value, float) or (isinstance(value, int) and header not in INTEGERS):
        return format_fixed(Decimal(repr(value)), 2)
    return value


def db_tables(path):
    con = sqlite3.connect(path)
    try:
        return {name: ([c[1] for c in con.execute(f'PRAGMA table_info("{name}")')],
                       con.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall())
                for name in ("项目", "指标", "问题")}
    finally:
        con.close()


def assert_same_rows(out):
    sheets, db = xlsx_tables(out / "summary.xlsx"), db_tables(out / "summary.sqlite")
    assert sheets["项目"][0] == db["项目"][0] == PROJECT_HEADERS
    assert db["指标"][0] == INDICATOR_HEADERS + ["评分规则", "来源文件"]
    assert db["问题"][0] == PROBLEM_HEADERS + ["评分规则"]
    assert db["项目"][1] == sheets["项目"][1]
    assert [row[:-2] for row in db["指标"][1]] == sheets["指标"][1]
    assert [row[:-1] for row in db["问题"][1]] == sheets["问题"][1]
    # every 指标 row names the rules and the file of its project's row
    projects = {(row[-1], row[2]): row for row in db["项目"][1]}
    for row in db["指标"][1]:
        project = projects[(row[-1], row[1])]
        assert (row[0], row[-2]) == (project[0], project[14])
    return db


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_database_holds_the_rows_of_summary_xlsx(tmp_path, jobs):
    folder = tmp_path / "in"  # a file that cannot be read, and a copy of a 朝阳 project (重复提交)
    folder.mkdir()
    (folder / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    for name in ("perfscore.yaml", GOUMAI.name):
        shutil.copy(CHAOYANG / name, folder / name)
    out = tmp_path / "out"
    outcome = run_batch([CHAOYANG, QIAOKOU, folder], out, jobs=jobs)
    db = assert_same_rows(out)
    assert len(db["项目"][1]) == len(outcome.results) == len(project_files(CHAOYANG)) + len(project_files(QIAOKOU))
    goumai = [row for row in db["项目"][1] if row[2] == "政府购买法律服务"]
    assert [(r[12], r[13], r[14]) for r in goumai] == [("98.32", "优", "辽宁省")]
    assert isinstance(goumai[0][4], int) and goumai[0][4] == 2024
    kinds = {(row[0], row[-1]) for row in db["问题"][1]}
    # the broken file was never scored, the copy not counted: no rules to name
    assert kinds == {("错误", None), ("重复提交", None), ("提示", "辽宁省"), ("提示", "湖北省"),
                     ("评分规则", "辽宁省"), ("评分规则", "湖北省")}


def test_past_the_row_limit_the_database_keeps_one_table(tmp_path, monkeypatch):
    from synthetic import write_files

    write_files(40, tmp_path / "in")
    monkeypatch.setattr(workbook, "EXCEL_ROWS", 50)
    outcome = run_batch([tmp_path / "in"], tmp_path / "out", jobs=2)
    wb = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx", read_only=True)
    assert "指标 (3)" in wb.sheetnames
    wb.close()
    db = assert_same_rows(tmp_path / "out")
    assert len(db["项目"][1]) == len(outcome.results) > 30 and len(db["指标"][1]) > 100


def doc_queries():
    return re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_documented_queries_answer(tmp_path):
    out = tmp_path / "out"
    run_batch([CHAOYANG], out, jobs=1)
    first, second = doc_queries()
    con = sqlite3.connect(out / "summary.sqlite")
    ranked = con.execute(first).fetchall()
    assert ("朝阳市司法局", "政府购买法律服务", "98.32", "优", "辽宁省") in ranked
    scores = [Decimal(r[2]) for r in ranked]
    assert scores == sorted(scores, reverse=True) and len(ranked) == 4  # the 整体 sheet is not a 项目
    missing = con.execute(second).fetchall()
    assert ("朝阳市司法局", "政府购买法律服务", "决策咨询建议数量") in [r[:3] for r in missing]
    assert all(r[5] in ("优", "良", "中", "差") for r in missing)
    # the same answer from the 指标 sheet of summary.xlsx
    headers, rows = xlsx_tables(out / "summary.xlsx")["指标"]
    want = [(r[0], r[1], r[4]) for r in rows if r[headers.index("需说明偏差")] == "是" and r[headers.index("偏差原因")] is None]
    assert [r[:3] for r in missing] == want
    con.close()


@pytest.mark.parametrize("jobs", [1, 2])  # 2: written by a forked child
def test_a_failing_database_leaves_the_previous_set(tmp_path, monkeypatch, jobs):
    out = tmp_path / "out"
    run_batch([CHAOYANG], out, jobs=1)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert "summary.sqlite" in before

    def broken(values):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(database, "_row", broken)
    with pytest.raises(OutputError, match="summary.sqlite"):
        run_batch([CHAOYANG, QIAOKOU], out, jobs=jobs)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name != ".out.perfscore-lock"] == ["out"]


@pytest.mark.parametrize("first", ["0", "-0", "-0.00", "1.5", "1.50"])
def test_an_amount_is_stored_as_its_own_text_whatever_came_before(first):
    """Equal amounts share one text, but 0 and -0 are equal and print 0.00 and -0.00: the
    text an amount is stored as never depends on the amounts stored before it."""
    database._FIXED.clear()
    database._row((Decimal(first),))
    values = [Decimal(v) for v in ("0", "-0", "-0.00", "0.00", "1.5", "1.50", "-1.5")]
    assert database._row(values) == tuple(format_fixed(v, 2) for v in values)
