"""Province and national scale: Excel's row limit (a table continues on 指标 (2), …)."""

import openpyxl
import pytest

import perfscore.report.workbook as workbook
from perfscore.batch import run_batch

from conftest import BROKEN
from synthetic import write_files


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """120 synthetic JSON projects (5–30 indicators each, a few that cannot be scored) and
    60 broken YAML projects (one 问题 row each)."""
    root = tmp_path_factory.mktemp("scale")
    write_files(120, root / "in")
    for i in range(60):
        (root / "in" / f"broken{i:03d}.yaml").write_text(BROKEN.replace("坏项目", f"坏项目{i:03d}"), encoding="utf-8")
    return root / "in"


@pytest.fixture(scope="module")
def reference(folder, tmp_path_factory):
    """The same batch under Excel's real limit: one sheet per table."""
    out = tmp_path_factory.mktemp("ref") / "out"
    run_batch([folder], out, jobs=1)
    return sheets_of(out / "summary.xlsx")


def sheets_of(path):
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {name: list(wb[name].iter_rows(values_only=True)) for name in wb.sheetnames}
    finally:
        wb.close()


def joined(sheets, name):
    """A table's rows over its sheets (name, name (2), …): each sheet's header checked, then dropped."""
    parts = [rows for title, rows in sheets.items() if title == name or title.startswith(f"{name} (")]
    header = parts[0][0]
    assert all(rows[0] == header for rows in parts)
    return [header] + [row for rows in parts for row in rows[1:]]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_table_past_the_row_limit_continues_on_next_sheets(folder, reference, tmp_path, monkeypatch, jobs):
    limit = 60
    monkeypatch.setattr(workbook, "EXCEL_ROWS", limit)
    run_batch([folder], tmp_path / "out", jobs=jobs)
    got = sheets_of(tmp_path / "out" / "summary.xlsx")
    assert list(reference) == ["项目", "指标", "问题", "汇总"]
    counts = {name: -(-(len(reference[name]) - 1) // (limit - 1)) for name in ("项目", "指标", "问题")}
    assert counts["指标"] > 20 and counts["项目"] >= 2 and counts["问题"] >= 2
    # each table's sheets in order, each right after the one before, 汇总 last
    want = [f"{name} ({n})" if n > 1 else name for name in ("项目", "指标", "问题") for n in range(1, counts[name] + 1)]
    assert list(got) == want + ["汇总"]
    for name in want:
        assert 1 < len(got[name]) <= limit
    for name in ("项目", "指标", "问题"):
        assert joined(got, name) == reference[name]  # every row, in order, none twice
    # 汇总: the same figures, then one line per table that did not fit a sheet
    assert got["汇总"][:len(reference["汇总"])] == reference["汇总"]
    notes = {row[1] for row in got["汇总"][len(reference["汇总"]):] if row and row[0] == "续表"}
    rows = len(reference["指标"]) - 1
    assert (f"「指标」表共 {rows:,} 行（不含表头），超过 Excel 每张工作表 60 行（含表头）的上限，续在「指标 (2)」、"
            f"「指标 (3)」") in next(n for n in notes if n.startswith("「指标」"))
    assert {n[:4] for n in notes} == {"「项目」", "「指标」", "「问题」"}


def test_below_the_row_limit_nothing_says_so(reference):
    assert not any(row and row[0] == "续表" for row in reference["汇总"])


def test_excel_real_row_limit_is_crossed(tmp_path):
    """1,048,586 indicator rows under the real limit (no monkeypatch): 指标 holds exactly
    1,048,576 rows with its header, the other 11 go on 指标 (2) under the header again."""
    import re
    import zipfile
    from decimal import Decimal as D

    from perfscore.report.digests import Detail, Digest

    row = ("产出指标", "数量指标", "培训场次", "≥10次", "8次", D("80.00"), D("10"), D("8.00"), "是", "", "")

    def project(i, count):
        return Digest("project", f"项目{i}", "某单位", "某部门", 2024, f"p{i}.json", D(10), D(9), D("90.00"), D(9),
                      D(80), D(0), D(89), "良", 0, 0, Detail("", (), ()), rows=(row,) * count)

    assert workbook.EXCEL_ROWS == 1_048_576
    path = tmp_path / "summary.xlsx"
    workbook.write_summary([project(0, 1_048_576 - 1), project(1, 11)], [], path, parallel=True)
    with zipfile.ZipFile(path) as z:
        names = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode())
        assert names == ["项目", "指标", "指标 (2)", "问题", "汇总"]
        with z.open("xl/worksheets/sheet2.xml") as f:
            assert re.search(r'<dimension ref="A1:M1048576"/>', f.read(4096).decode("utf-8", "replace"))
        second = z.read("xl/worksheets/sheet3.xml").decode()
        overview = z.read("xl/worksheets/sheet5.xml").decode()
    assert '<dimension ref="A1:M12"/>' in second and second.count("<row ") == 12
    assert "<t>实施单位</t>" in second.split("</row>")[0] and "项目1" in second and "项目0" not in second
    assert "「指标」表共 1,048,586 行（不含表头），超过 Excel 每张工作表 1,048,576 行（含表头）的上限，续在「指标 (2)」表" in overview
