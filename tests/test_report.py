"""summary.xlsx, report.md / report.html and atomic writes, on the seed samples."""

import dataclasses
import errno
import os
import stat
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest

from perfscore import writing
from perfscore.errors import Failure, OutputError
from perfscore.policy import load_policy
from perfscore.projectfile import read_mapping, read_sheet_file, sheet_from_mapping
from perfscore.report.documents import render_report
from perfscore.report.figures import summary_figures
from perfscore.report.narrative import department_review, project_review
from perfscore.report.workbook import write_summary
from perfscore.writing import atomic_write_bytes
from perfscore.scoring import score_sheet
from perfscore.values import format_number
from perfscore.xlsx.stream import HEADER, Workbook, escape_text

D = Decimal
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
CHAOYANG = SAMPLES / "liaoning_chaoyang_2024"
QIAOKOU = SAMPLES / "hubei_qiaokou_2024"
SHEETS = ["项目", "指标", "问题", "汇总"]


def scored(folder: Path, policy: str) -> list:
    rules = load_policy(policy)
    return [score_sheet(read_sheet_file(f), rules, str(f)) for f in sorted(folder.glob("*.yaml"))]


@pytest.fixture(scope="module")
def chaoyang():
    return scored(CHAOYANG, "liaoning")


@pytest.fixture(scope="module")
def qiaokou():
    return scored(QIAOKOU, "default")


@pytest.fixture(scope="module")
def results(chaoyang, qiaokou):
    return chaoyang + qiaokou


def by_name(results, name):
    return next(r for r in results if r.name == name)


def overview(text: str) -> str:
    """The 绩效自评工作开展情况 paragraph of report.md."""
    return text.split("## 一、绩效自评工作开展情况\n\n", 1)[1].split("\n", 1)[0]


def project_sheet(name="政府购买法律服务", **changes):
    data = read_mapping(CHAOYANG / "zhengfu_goumai_falv_fuwu.yaml")
    data.update(name=name, **changes)
    return sheet_from_mapping(data, "t.yaml")


# -- figures and the paragraph --------------------------------------------------------------

def test_paragraph_numbers_computed_independently(results):
    projects = [r for r in results if r.kind == "project"]
    funds = sum((r.budget_adjusted for r in projects), D(0))
    average = (sum((r.total for r in projects), D(0)) / len(projects)).quantize(D("0.01"), ROUND_HALF_UP)
    grades = {g: sum(1 for r in projects if r.grade == g) for g in "优良中差"}
    text = overview(render_report(results, [], "md"))
    assert f"2024年项目绩效自评个数{len(projects)}个，" in text
    assert f"涉及资金{format_number(funds)}万元，自评覆盖率100%，" in text
    assert f"自评平均分{format_number(average)}分：" in text
    for grade, count in grades.items():
        assert (f"{count}个项目自评等级为“{grade}”" in text) == (count > 0)
    figures = summary_figures(results, [])
    assert (figures.projects, figures.funds, figures.average, figures.departments) == (len(projects), funds, average, 1)


def test_paragraph_chaoyang_matches_the_seeds_average(chaoyang):
    # Seed 000 (line 458): 4 projects, 自评平均分 99.58 分; 整体 94.3 分. The seed's 涉及资金
    # 45.12 is the executed sum; ours is Σ 全年预算数 (10 + 3 + 10 + 26.6).
    text = overview(render_report(chaoyang, [], "md"))
    assert text == (
        "2024年项目绩效自评个数4个，涉及资金49.6万元，自评覆盖率100%，自评平均分99.58分：4个项目自评等级为“优”。"
        "组织对1个单位开展整体绩效自评，涉及资金1815.98万元，自评平均分为94.3分。"
    )


def test_failures_lower_coverage_and_are_listed(qiaokou):
    failure = Failure("in/坏表.yaml", "培训项目", "某单位", ("文件 in/坏表.yaml: 缺少必填字段 budget", "第2个指标: 分值为负"))
    figures = summary_figures(qiaokou, [failure])
    assert figures.coverage == D("91.67")  # 11 / 12
    text = render_report(qiaokou, [failure], "md")
    assert "自评覆盖率91.67%" in overview(text)
    assert overview(text).endswith("另有1个项目未能评分（见问题清单）。")
    problems = text.split("、问题清单", 1)[1]
    assert "（一）未能评分的项目（1个）" in problems
    assert "- 某单位「培训项目」（`in/坏表.yaml`）\n  - 文件 in/坏表.yaml: 缺少必填字段 budget\n  - 第2个指标: 分值为负" in problems


def test_year_is_omitted_when_sheets_disagree(chaoyang):
    other = dataclasses.replace(chaoyang[0], year=2023)
    assert overview(render_report([other, chaoyang[1]], [], "md")).startswith("本次项目绩效自评个数2个")
    assert overview(render_report([other], [], "md", year=2025)).startswith("2025年项目绩效自评个数1个")


# -- 自评综述 ----------------------------------------------------------------------------------

def test_review_of_zhengfu_goumai(chaoyang):
    text = render_report(chaoyang, [], "md")
    assert (
        "政府购买法律服务项目自评综述：**根据年初设定的绩效目标，项目自评得分98.32分（等级：优）。"
        "项目全年预算数为26.6万元，全年执行数为22.12万元，完成预算的83.16%。"
    ) in text
    # 决策咨询建议数量: "= 4 条" met by 5 条 needs a cause, which the sheet does not give.
    assert "需说明偏差的指标：决策咨询建议数量（指标值=4条，完成值5条），偏差原因：未填写。" in text
    assert "法治建设项目自评综述：**根据年初设定的绩效目标，项目自评得分100分（等级：优）。" in text


def test_review_names_both_budgets_when_adjusted(qiaokou):
    text = render_report(qiaokou, [], "md")
    assert (
        "项目年初预算数为15.85万元，全年预算数调整为7.99万元，全年执行数为7.99万元，完成预算的100%"
        "（按年初预算数计算为50.41%）。"
    ) in text
    assert "安置帮教工作经费项目自评综述：**根据年初设定的绩效目标，项目自评得分100分（等级：优）。项目全年预算数为110万元" in text


def test_review_lists_indicators_not_fully_achieved():
    data = read_mapping(CHAOYANG / "fazhi_jianshe.yaml")
    data["indicators"][1].update(actual="1 次", cause="受疫情影响，线下培训推迟。", remedy="下半年补办培训")
    result = score_sheet(sheet_from_mapping(data, "t.yaml"), load_policy("liaoning"))
    text = project_review(result)
    assert "未完全达成的指标：组织培训次数（完成程度50%），偏差原因：受疫情影响，线下培训推迟；改进措施：下半年补办培训。" in text
    assert "各项绩效指标均已完成" not in text


def test_all_met_says_so(chaoyang):
    assert project_review(by_name(chaoyang, "法治建设")).endswith("各项绩效指标均已完成。")


def test_department_review(chaoyang):
    text = department_review(by_name(chaoyang, "朝阳市司法局"))
    assert text.startswith("根据年初设定的绩效目标，整体绩效自评得分94.3分（等级：优）。")
    assert "执行率未达到100%的任务：部门预算基本支出公用经费（刚性）（84%）" in text


def test_discrepancies_reach_the_problem_list():
    result = score_sheet(project_sheet(reported={"total": 99, "execution_rate": "83.17"}), load_policy("liaoning"), "t.yaml")
    assert [d.field for d in result.discrepancies] == ["total"]  # 83.17 is within 0.05 of 83.16
    text = render_report([result], [], "md")
    assert "（一）与原表不一致（1处）" in text
    assert "总分：原表 99，应为 98.32" in text


# -- HTML ----------------------------------------------------------------------------------------

def test_html_escapes_user_text(chaoyang):
    evil = "<script>alert(1)</script>"
    results = [dataclasses.replace(chaoyang[0], name=evil, unit="<b>单位</b>")] + chaoyang[1:]
    failure = Failure("<img src=x>.yaml", evil, None, ("<i>问题</i>",))
    html = render_report(results, [failure], "html")
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = render_report(results, [failure], "md")
    assert "<script>" not in md and r"\<script\>alert(1)\</script\>" in md


def test_html_charts(chaoyang, qiaokou):
    html = render_report(chaoyang, [], "html")
    assert html.count("<svg") == 2 and "<script" not in html and "http://" not in html.replace(
        "http://www.w3.org/2000/svg", "")
    assert "自评等级分布" in html and "各项目自评得分" in html
    assert "<title>政府购买法律服务：98.32分（优）</title>" in html
    many = [dataclasses.replace(r, name=f"项目{n}") for n, r in enumerate((qiaokou * 3)[:31])]
    html = render_report(many, [], "html")
    assert "自评得分分布" in html and "各项目自评得分" not in html
    assert "<title>90–100分：31个</title>" in html and "<title>&lt;60分：0个</title>" in html


def test_no_results():
    failure = Failure("a.yaml", None, None, ("文件 a.yaml: 不存在",))
    text = render_report([], [failure], "md")
    assert "没有完成评分的绩效自评表" in text and "另有1个项目未能评分" in text
    assert "<svg" not in render_report([], [failure], "html")
    with pytest.raises(ValueError):
        render_report([], [], "pdf")


# -- summary.xlsx ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def summary(results, tmp_path_factory):
    formula, plus = (score_sheet(project_sheet(name), load_policy("liaoning"), "t.yaml") for name in ('=HYPERLINK("x")', "+1"))
    failure = Failure("in/bad.yaml", "@坏表", "某单位", ("缺少 budget",))
    path = tmp_path_factory.mktemp("out") / "summary.xlsx"
    everything = results + [formula, plus]
    write_summary(everything, [failure], path)
    return path, everything


def test_summary_opens_with_four_sheets(summary):
    path, results = summary
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS
    for name in SHEETS:
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref
        assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb == "FFDDEBF7"
    projects, indicators = book["项目"], book["指标"]
    assert projects.auto_filter.ref == f"A1:P{len(results) + 1}"
    assert indicators.max_row == 1 + sum(len(r.indicators) for r in results)
    header = [c.value for c in projects[1]]
    assert header[:4] == ["实施单位", "主管部门", "项目名称", "类型"] and header[-1] == "来源文件"
    row = next(r for r in projects.iter_rows(min_row=2) if r[2].value == "政府购买法律服务")
    values = {h: c for h, c in zip(header, row)}
    assert values["总分"].value == pytest.approx(98.32) and values["总分"].data_type == "n"
    assert values["总分"].number_format == "0.00"
    assert values["执行率(%)"].value == pytest.approx(83.16)
    assert values["类型"].value == "项目" and values["等级"].value == "优" and values["年度"].value == 2024
    assert values["提示数"].value == 2
    assert any(r[3].value == "整体" for r in projects.iter_rows(min_row=2))
    assert book["项目"].column_dimensions["C"].width >= 2 * len("社区（村）法律顾问工作经费")


def test_summary_keeps_formula_like_names_as_text(summary):
    book = openpyxl.load_workbook(summary[0])
    cells = [r[2] for r in book["项目"].iter_rows(min_row=2)]
    for name in ('=HYPERLINK("x")', "+1"):
        cell = next(c for c in cells if c.value == name)
        assert cell.data_type == "s"
    problem = next(r for r in book["问题"].iter_rows(min_row=2) if r[0].value == "错误")
    assert problem[3].value == "@坏表" and problem[3].data_type == "s"


def test_summary_problem_and_overview_sheets(summary, results):
    book = openpyxl.load_workbook(summary[0])
    kinds = [r[0].value for r in book["问题"].iter_rows(min_row=2)]
    assert kinds[0] == "错误" and kinds.count("提示") == sum(len(r.warnings) for r in summary[1])
    rows = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True) if r[0]}
    figures = summary_figures(summary[1], [Failure("in/bad.yaml", None, None, ("x",))])
    assert rows["项目自评个数"] == figures.projects == 17
    assert rows["未能评分个数"] == 1
    assert D(str(rows["项目自评平均分"])) == figures.average
    assert rows["整体绩效自评个数"] == 1
    unit_rows = list(book["汇总"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(unit_rows) if r[0] == "单位")
    assert book["汇总"].auto_filter.ref == f"A{start + 1}:H{len(unit_rows)}"
    assert [r[0] for r in unit_rows[start + 1:]] == ["朝阳市司法局", "硚口区司法局"]


def test_summary_reads_in_calamine(summary):
    calamine = pytest.importorskip("python_calamine")
    book = calamine.CalamineWorkbook.from_path(str(summary[0]))
    assert book.sheet_names == SHEETS
    rows = book.get_sheet_by_name("指标").to_python()
    assert rows[0][:5] == ["实施单位", "项目名称", "一级指标", "二级指标", "三级指标"]
    assert len(rows) == 1 + sum(len(r.indicators) for r in summary[1])


def test_summary_is_deterministic(results, tmp_path):
    write_summary(results, [], tmp_path / "a.xlsx")
    write_summary(results, [], tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx"]


# -- the streaming writer ------------------------------------------------------------------------------

def test_writer_text_is_never_markup_or_formula(tmp_path):
    path = tmp_path / "t.xlsx"
    texts = ["=1+1", "@x", "-2", "a_x0041_b", "a & <b>", "bell\x07 and \x00nul", " lead", "换行\n文本"]
    with path.open("wb") as fh, Workbook(fh) as book:
        sheet = book.add_sheet("表")
        sheet.write_row(["文本", "数"], HEADER)
        for text in texts:
            sheet.write_row([text, D("0.125")])
    cells = list(openpyxl.load_workbook(path)["表"].iter_rows(min_row=2))
    assert all(r[0].data_type == "s" for r in cells)
    assert [r[0].value for r in cells][:3] == ["=1+1", "@x", "-2"]
    assert cells[5][0].value == "bell and nul" and cells[6][0].value == " lead"
    assert cells[0][1].value == pytest.approx(0.125) and cells[0][1].number_format == "0.00"
    assert escape_text("a_x0041_b") == "a_x005F_x0041_b"  # Excel reads _xHHHH_ as an escape
    calamine = pytest.importorskip("python_calamine")
    values = [r[0] for r in calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表").to_python()[1:]]
    assert values == ["=1+1", "@x", "-2", "a_x0041_b", "a & <b>", "bell and nul", " lead", "换行\n文本"]


def test_writer_rejects_bad_sheet_names():
    book = Workbook(None)
    with pytest.raises(ValueError):
        book.add_sheet("a/b")
    book.add_sheet("项目")
    with pytest.raises(ValueError):
        book.add_sheet("项目")
    book.discard()


# -- atomic writes ----------------------------------------------------------------------------------

def test_atomic_write_replaces_and_keeps_mode(tmp_path):
    path = tmp_path / "report.md"
    path.write_text("old")
    path.chmod(0o640)
    atomic_write_bytes(path, "新".encode())
    assert path.read_text() == "新" and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_atomic_write_into_read_only_directory(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: a read-only directory is still writable")
        with pytest.raises(OutputError) as caught:
            atomic_write_bytes(folder / "summary.xlsx", b"x")
        assert str(caught.value) == f"无法写入 {folder / 'summary.xlsx'}: 没有写入权限"
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_permission_denied_names_the_path(tmp_path, monkeypatch):
    # The same error path as the read-only directory, reachable when tests run as root.
    def denied(**kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(writing.tempfile, "mkstemp", denied)
    with pytest.raises(OutputError) as caught:
        atomic_write_bytes(tmp_path / "report.md", b"x")
    assert str(caught.value) == f"无法写入 {tmp_path / 'report.md'}: 没有写入权限"


def test_full_disk_leaves_old_file_and_no_temp(tmp_path, monkeypatch, results):
    path = tmp_path / "summary.xlsx"
    path.write_bytes(b"old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="磁盘已满") as caught:
        write_summary(results, [], path)
    assert str(caught.value) == f"无法写入 {path}: 磁盘已满"
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["summary.xlsx"]


def test_summary_is_a_zip_with_inline_strings(summary):
    with zipfile.ZipFile(summary[0]) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert 't="inlineStr"' in sheet and "<f>" not in sheet and "sharedStrings" not in str(archive.namelist())


def test_both_writers_share_one_carriage_return_policy(tmp_path):
    """CR LF and a lone CR become LF in the streaming writer as in the template renderer."""
    from perfscore.xlsx.cells import inline_text

    path = tmp_path / "cr.xlsx"
    with open(path, "wb") as fh, Workbook(fh) as book:
        book.add_sheet("表").write_row(["甲\r\n乙\r丙"])
    calamine = pytest.importorskip("python_calamine")
    assert calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表").to_python()[0][0] == "甲\n乙\n丙"
    assert inline_text("甲\r\n乙\r丙") == "<is><t>甲\n乙\n丙</t></is>"
