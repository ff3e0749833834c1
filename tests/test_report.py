"""summary.xlsx, report.md / report.html and atomic writes, on the seed samples."""

import dataclasses
import errno
import os
import stat
import tempfile
import zipfile
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest

from perfscore.errors import Failure, InputError, OutputError
from perfscore.policy import load_policy
from perfscore.projectfile import read_mapping, read_sheet_file, sheet_from_mapping
from perfscore.report.digests import digest
from perfscore.report.documents import write_report
from perfscore.report.narrative import review_facts
from perfscore.report.workbook import write_summary
from perfscore.writing import atomic_write_bytes
from perfscore.scoring import score_sheet
from perfscore.values import format_number
from perfscore.xlsx.stream import HEADER, Workbook, escape_text


def project_files(folder):
    """A sample folder's project files (its perfscore.yaml is the folder's policy, not a project)."""
    return [p for p in sorted(folder.glob("*.yaml")) if p.name != "perfscore.yaml"]

D = Decimal
from conftest import CHAOYANG, QIAOKOU, ROOT, run
SHEETS = ["项目", "指标", "问题", "汇总"]


def scored(folder: Path, policy: str) -> list:
    rules = load_policy(policy)
    return [score_sheet(read_sheet_file(f), rules, str(f)) for f in project_files(folder)]


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


def render_report(results, failures, fmt, **options) -> str:
    """The report as ``batch`` writes it (``write_report``), read back."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"report.{fmt}"
        write_report(results, failures, fmt, path, **options)
        return path.read_text("utf-8")


def review(result, style: str | None = None) -> str:
    """A sheet's 自评综述 body as the report prints it (its digest), in ``style``'s policy."""
    return digest(result, policy=load_policy(style) if style else None).detail.review


def overview(text: str, n: int = 0) -> str:
    """The ``n``th 绩效自评工作开展情况 paragraph of report.md (one per group)."""
    return text.split("绩效自评工作开展情况\n\n")[n + 1].split("\n", 1)[0]


def public(text: str) -> str:
    """report.md without its 问题清单 (what a finance office publishes)."""
    return text.split("、问题清单", 1)[0]


def project_sheet(name="政府购买法律服务", **changes):
    data = read_mapping(CHAOYANG / "zhengfu_goumai_falv_fuwu.yaml")
    data.update(name=name, **changes)
    return sheet_from_mapping(data, "t.yaml")


# Seed 000 lines 446-462, word for word but for the spaces of its PDF extraction and the
# 重点绩效评价 clause (no sheet carries it).
SEED_000_PARAGRAPH = (
    "根据预算绩效管理要求，本部门组织对2024年度预算项目支出全面开展绩效自评，共涉及预算支出项目4个"
    "（其中：一般公共预算项目4个，政府性基金预算项目0个，国有资本经营预算项目0个），涉及资金45.12万元"
    "（其中：一般公共预算资金45.12万元，政府性基金预算资金0万元，国有资本经营预算资金0万元），"
    "自评覆盖率达到100%，自评平均分为99.58分；组织对1个单位开展整体绩效自评，涉及资金1382.16万元，自评平均分为94.3分。"
)


# -- figures and the paragraph --------------------------------------------------------------

def test_paragraph_numbers_computed_independently(qiaokou):
    # one policy (default: report_funds budget), one 主管部门: one group, one paragraph
    funds = sum((r.budget_adjusted for r in qiaokou), D(0))
    average = (sum((r.total for r in qiaokou), D(0)) / len(qiaokou)).quantize(D("0.01"), ROUND_HALF_UP)
    text = render_report(qiaokou, [], "md")
    assert text.count("绩效自评工作开展情况") == 1
    assert overview(text) == (
        f"根据预算绩效管理要求，本部门组织对2024年度预算项目支出全面开展绩效自评，共涉及预算支出项目{len(qiaokou)}个，"
        f"涉及资金{format_number(funds)}万元，自评覆盖率达到100%，自评平均分为{format_number(average)}分。"
    )  # no 资金来源 in the hubei samples: the sentence without the breakdown
    assert "整体绩效自评" not in overview(text)  # no department sheet among them


def test_paragraph_chaoyang_reads_like_seed_000(chaoyang):
    # liaoning: 涉及资金 = Σ 全年执行数 (3 + 10 + 22.12 + 10), the 整体 sentence the department's own budget
    assert sum((r.budget_executed for r in chaoyang if r.kind == "project"), D(0)) == D("45.12")
    assert overview(render_report(chaoyang, [], "md")) == SEED_000_PARAGRAPH
    assert f'<p class="body">{SEED_000_PARAGRAPH}</p>' in render_report(chaoyang, [], "html")


def test_fund_sources_that_do_not_add_up_are_left_out(chaoyang):
    odd = [dataclasses.replace(r, funds={"general": D(1)}) if r.name == "法治建设" else r for r in chaoyang]
    text = overview(render_report(odd, [], "md"))
    assert "其中" not in text and "共涉及预算支出项目4个，涉及资金45.12万元，自评覆盖率达到100%" in text
    mixed = [dataclasses.replace(r, funds={"general": D(4), "fund": D(6)}) if r.name == "法治建设" else r for r in chaoyang]
    assert ("（其中：一般公共预算项目3个，政府性基金预算项目1个，国有资本经营预算项目0个），涉及资金45.12万元"
            "（其中：一般公共预算资金39.12万元，政府性基金预算资金6万元") in overview(render_report(mixed, [], "md"))


def test_department_without_its_own_budget_falls_back_to_its_tasks(chaoyang):
    bare = [dataclasses.replace(r, department_budget=None) for r in chaoyang]
    text = render_report(bare, [], "md")
    assert "组织对1个单位开展整体绩效自评，涉及资金1815.98万元" in overview(text)
    assert "缺少部门预算金额（department" in text.split("、问题清单", 1)[1]


def test_failures_lower_coverage_and_are_listed(qiaokou):
    failure = Failure("in/坏表.yaml", "培训项目", "某单位", ("文件 in/坏表.yaml: 缺少必填字段 budget", "第2个指标: 分值为负"))
    assert len(qiaokou) == 11  # 11 scored of 12 attempted: 91.67%
    text = render_report(qiaokou, [failure], "md")
    assert "自评覆盖率达到91.67%" in overview(text)
    assert "未能评分" not in public(text)
    problems = text.split("、问题清单", 1)[1]
    assert "（一）未能评分的项目（1个）" in problems
    assert "- 某单位「培训项目」（`in/坏表.yaml`）\n  - 文件 in/坏表.yaml: 缺少必填字段 budget\n  - 第2个指标: 分值为负" in problems


def test_year_is_omitted_when_sheets_disagree(chaoyang):
    other = dataclasses.replace(chaoyang[0], year=2023)
    assert "本部门组织对本年度预算项目支出" in overview(render_report([other, chaoyang[1]], [], "md"))
    assert "本部门组织对2025年度预算项目支出" in overview(render_report([other], [], "md", year=2025))


def test_several_policies_make_one_group_each(chaoyang):
    hubei = scored(QIAOKOU, "hubei")
    text = render_report(chaoyang + hubei, [], "md")
    assert "## 一、朝阳市司法局（辽宁省评分规则）\n" in text and "## 二、硚口区司法局（湖北省评分规则）\n" in text
    assert text.count("绩效自评工作开展情况") == 2
    assert overview(text, 0) == SEED_000_PARAGRAPH
    assert overview(text, 1) == (
        "根据预算绩效管理要求，我部门组织对2024年度项目支出全面开展绩效自评，共涉及项目11个，资金938.54万元，"
        "自评覆盖率100%。从绩效评价情况来看，2024年度本单位各指标项目绩效评价等级为优。"
    )
    # each group numbers its own 自评综述, in its own style
    assert "**（1）法治建设项目自评综述：**" in text and "**1. “八五”普法经费项目绩效自评综述：**" in text


# -- 自评综述 ----------------------------------------------------------------------------------

def test_review_of_zhengfu_goumai(chaoyang):
    text = render_report(chaoyang, [], "md")
    assert (
        "政府购买法律服务项目自评综述：**根据年初设定的绩效目标，项目自评得分98.32分。"
        "项目全年预算数为26.6万元，全年执行数为22.12万元，完成预算的83.16%。项目绩效目标完成情况：一是积极推动"
    ) in text
    # a listed problem without a remedy on the sheet: no 「下一步改进措施：无」; the 问题清单 says it is missing
    assert "发现的主要问题及原因：预算执行率未达到100%（83.16%）。**" in text or \
        "发现的主要问题及原因：预算执行率未达到100%（83.16%）。\n" in text
    assert "83.16%）。下一步改进措施" not in text
    assert "列出了存在的问题，但缺少改进措施（remedy）：自评综述中未写「下一步改进措施」" in text
    # 决策咨询建议数量: "= 4 条" met by 5 条 needs a cause the sheet does not give: the 问题清单 says so, the review does not
    assert "未填写" not in text and "决策咨询建议数量" not in public(text)
    assert "第1个指标「决策咨询建议数量」: 需说明偏差（未完全达成或超过「=」指标值），但缺少偏差原因（cause）" in text
    assert "法治建设项目自评综述：**根据年初设定的绩效目标，项目自评得分100分。" in text


def test_review_names_both_budgets_when_adjusted(qiaokou):
    text = render_report(qiaokou, [], "md")
    assert "项目年初预算数为15.85万元，全年预算数调整为7.99万元，全年执行数为7.99万元，完成预算的100%。" in text
    assert "按年初预算" not in text and "年初预算数计" not in public(text)
    assert "以年初预算数计，执行率为 50.41%" in text.split("、问题清单", 1)[1]  # the audit hint: 问题清单 only
    assert "安置帮教工作经费项目自评综述：**根据年初设定的绩效目标，项目自评得分100分。项目全年预算数为110万元" in text


def test_review_lists_indicators_not_fully_achieved():
    data = read_mapping(CHAOYANG / "fazhi_jianshe.yaml")
    data["indicators"][1].update(actual="1 次", cause="受疫情影响，线下培训推迟。", remedy="下半年补办培训")
    result = score_sheet(sheet_from_mapping(data, "t.yaml"), load_policy("liaoning"))
    text = review(result)
    assert text.endswith("发现的主要问题及原因：组织培训次数完成值1次，未达到指标值≥2次（完成程度50%），受疫情影响，线下培训推迟。"
                         "下一步改进措施：下半年补办培训。")
    assert "各项绩效指标均已完成" not in text


def test_completion_rounding_to_100_is_not_met():
    # 19999 of ≥ 20000 is 99.995%: short of the target, 完成程度 is 99.99 wherever it is printed
    data = read_mapping(CHAOYANG / "fazhi_jianshe.yaml")
    data.pop("achieved")
    data["indicators"][1].update(target=">= 20000 次", actual="19999 次")
    result = score_sheet(sheet_from_mapping(data, "t.yaml"), load_policy("liaoning"))
    assert result.indicators[1].completion_pct == D("99.99") and result.indicators[1].completion < 1
    text = render_report([result], [], "md")
    assert "项目绩效目标完成情况：各项绩效指标均已完成" not in text and "完成值超过指标值" not in text
    assert "项目绩效目标完成情况：除组织培训次数外，各项绩效指标均已完成。" in text
    assert "组织培训次数完成值19999次，未达到指标值≥20000次（完成程度99.99%）" in text


def test_all_met_says_so():
    data = read_mapping(CHAOYANG / "fazhi_jianshe.yaml")
    data.pop("achieved")
    result = score_sheet(sheet_from_mapping(data, "t.yaml"), load_policy("liaoning"))
    assert review(result).endswith("项目绩效目标完成情况：各项绩效指标均已完成。发现的主要问题及原因：无。下一步改进措施：无。")


def test_department_review(chaoyang):
    text = review(by_name(chaoyang, "朝阳市司法局"))
    assert text.startswith("根据年初设定的绩效目标，整体绩效自评得分94.3分。部门年初预算金额为1382.16万元，"
                           "年度主要任务预算数合计1815.98万元，执行数合计1482.43万元，执行率82%。")
    assert "执行率未达到100%的任务：部门预算基本支出公用经费（刚性）（84%）" in text


def test_hubei_style_reads_like_seed_004():
    results = scored(QIAOKOU, "hubei")
    text = render_report(results, [], "md")
    # seed 004 line 592: 主要产出和效益：一是…；二是…。存在的问题及原因：…。下一步改进措施：…
    assert ("以钱养事人员经费项目绩效自评综述：**项目全年预算数为219.45万元，执行数为219.45万元，完成预算的100%。"
            "主要产出和效益：一是街道调委会每年完成民间纠纷调解数286；二是行业调委会每年完成民间纠纷调解数322；三是") in text
    assert "存在的问题及原因：目标均完成，完成值均优于目标值。" in text
    assert "发现的主要问题" not in text and "项目自评得分" not in text  # seed 004 prints neither
    assert review(by_name(scored(CHAOYANG, "liaoning"), "朝阳市司法局"), "hubei").startswith(
        "整体支出绩效自评得分94.3分。部门年初预算金额为1382.16万元，")


def test_a_province_copies_a_style(tmp_path):
    style = (ROOT / "src" / "perfscore" / "provinces" / "liaoning" / "report_style.j2").read_text("utf-8")
    (tmp_path / "styles").mkdir()
    (tmp_path / "styles" / "mine.j2").write_text(style.replace("发现的主要问题及原因", "存在问题"), "utf-8")
    (tmp_path / "rules.yaml").write_text("preset: liaoning\nreport_style: styles/mine.j2\n", "utf-8")
    policy = load_policy(tmp_path / "rules.yaml")
    assert policy.report_style == str((tmp_path / "styles" / "mine.j2").resolve())
    result = score_sheet(project_sheet(), policy, "t.yaml")
    text = render_report([result], [], "md", policy=policy)
    assert "存在问题：预算执行率未达到100%（83.16%）。" in text and "发现的主要问题" not in text
    (tmp_path / "bad.yaml").write_text("preset: liaoning\nreport_style: styles/none.j2\n", "utf-8")
    with pytest.raises(InputError, match="report_style: 文风「styles/none.j2」既不是内置文风"):
        load_policy(tmp_path / "bad.yaml")


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
    # grades, the projects' scores and the 整体 sheet's score apart
    assert html.count("<svg") == 3 and "<script" not in html and "http://" not in html.replace(
        "http://www.w3.org/2000/svg", "")
    assert "自评等级分布（项目）" in html and "各项目自评得分" in html and "部门（单位）整体绩效自评得分" in html
    assert "<title>政府购买法律服务：98.32分（优）</title>" in html
    projects_chart = html.split("各项目自评得分", 1)[1].split("</svg>", 1)[0]
    assert "朝阳市司法局：94.30分" not in projects_chart  # the 整体 sheet is drawn apart
    assert "总分（坐标从 95 分起）" in projects_chart  # lowest project 98.32: the axis starts at 95, not 0
    assert "总分（坐标从 90 分起）" in html.split("部门（单位）整体绩效自评得分", 2)[2]  # 94.3
    assert "各单位自评等级与资金" in html
    many = [dataclasses.replace(r, name=f"项目{n}") for n, r in enumerate((qiaokou * 3)[:31])]
    html = render_report(many, [], "html")
    assert "自评得分分布" in html and "各项目自评得分" not in html
    assert "<title>90–100分：31个</title>" in html and "<title>&lt;60分：0个</title>" in html


def test_no_results():
    failure = Failure("a.yaml", None, None, ("文件 a.yaml: 不存在",))
    text = render_report([], [failure], "md")
    assert "没有完成评分的绩效自评表" in text and "未能评分的项目（1个）" in text
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
        assert sheet.auto_filter.ref or name == "汇总"  # 汇总 of two groups: see below
        assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb == "FFDDEBF7"
    projects, indicators = book["项目"], book["指标"]
    assert projects.auto_filter.ref == f"A1:R{len(results) + 1}"
    assert indicators.max_row == 1 + sum(len(r.indicators) for r in results)
    header = [c.value for c in projects[1]]
    assert header[:4] == ["实施单位", "主管部门", "项目名称", "类型"] and header[-1] == "来源文件"
    row = next(r for r in projects.iter_rows(min_row=2) if r[2].value == "政府购买法律服务")
    values = {h: c for h, c in zip(header, row)}
    assert values["总分"].value == pytest.approx(98.32) and values["总分"].data_type == "n"
    assert values["总分"].number_format == "0.00"
    assert values["执行率(%)"].value == pytest.approx(83.16)
    assert values["类型"].value == "项目" and values["等级"].value == "优" and values["年度"].value == 2024
    assert header[5:8] == ["年初预算数（万元）", "全年预算数（万元）", "全年执行数（万元）"]
    assert values["评分规则"].value == "辽宁省"  # the preset by its display name
    adjusted = next(r for r in projects.iter_rows(min_row=2) if r[2].value == "“八五”普法经费")
    assert [c.value for c in adjusted[5:8]] == [pytest.approx(15.85), pytest.approx(7.99), pytest.approx(7.99)]
    assert values["提示数"].value == 3  # two warnings, and the remedy the listed problem lacks
    assert any(r[3].value == "整体" for r in projects.iter_rows(min_row=2))
    assert book["项目"].column_dimensions["C"].width >= 2 * len("社区（村）法律顾问工作经费")


def test_summary_prints_readably(summary):
    """Issue 23: borders on every written cell, 合计 rows (bold) under the 项目 table with the
    汇总 sheet's figures, the long 说明 wrapped in its column and its row as high as its lines."""
    book = openpyxl.load_workbook(summary[0])
    projects, overview = book["项目"], book["汇总"]
    assert all(c.border.left.style == "thin" for row in projects.iter_rows(max_row=3) for c in row if c.value is not None)
    totals = [r for r in projects.iter_rows() if r[0].value == "合计"]
    def over_groups(label):  # the 汇总 sheet holds one block of figures per group (policy)
        return sum(Decimal(str(r[1].value)) for r in overview.iter_rows() if r[0].value == label)

    rows = [r for r in projects.iter_rows(min_row=2) if r[0].value != "合计" and r[3].value == "项目"]
    assert len(rows) == over_groups("项目自评个数") == 17
    assert totals[0][2].value == "项目 17 个" and totals[0][0].font.b
    assert Decimal(str(totals[0][7].value)) == over_groups("全年执行数（万元）") == sum(Decimal(str(r[7].value)) for r in rows)
    assert totals[1][2].value == f"整体 {over_groups('整体绩效自评个数')} 个"
    assert projects.auto_filter.ref.endswith(str(totals[0][0].row - 1))  # the filter leaves the 合计 rows out
    note = next(r for r in overview.iter_rows() if r[0].value == "说明")[1]
    assert note.alignment.wrap_text and len(note.value) > 200
    assert overview.row_dimensions[note.row].height >= 15 * (len(note.value) * 2 // 60)


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
    assert kinds[0] == "错误" and kinds.count("提示") == sum(
        len(r.warnings) + len(review_facts(r)[1]) + (r.kind == "department" and r.department_budget is None)
        for r in summary[1])
    # two policies (liaoning, default): one block each, with its own 说明 paragraph
    rows = list(book["汇总"].iter_rows(values_only=True))
    titles = [i for i, r in enumerate(rows) if r[0] and str(r[0]).endswith("评分规则）")]
    assert [rows[i][0] for i in titles] == ["朝阳市司法局（辽宁省评分规则）", "硚口区司法局（通用评分规则）"]
    first = {r[0]: r[1] for r in rows[titles[0]:titles[1]] if r[0]}
    second = {r[0]: r[1] for r in rows[titles[1]:] if r[0]}
    liaoning = [r for r in summary[1] if r.policy == "liaoning"]
    projects = [r for r in liaoning if r.kind == "project"]
    average = (sum((r.total for r in projects), D(0)) / len(projects)).quantize(D("0.01"), ROUND_HALF_UP)
    assert first["项目自评个数"] == len(projects) == 6 and second["项目自评个数"] == 11
    assert D(str(first["涉及资金（全年执行数，万元）"])) == sum((r.budget_executed for r in projects), D(0))
    assert D(str(second["涉及资金（全年预算数，万元）"])) == sum((r.budget_adjusted for r in summary[1] if r.policy == "default"), D(0))
    assert first["未能评分个数"] == 1 and second["未能评分个数"] == 0  # 某单位 matches no group: the first
    assert D(str(first["项目自评平均分"])) == average
    assert first["整体绩效自评个数"] == 1 and first["整体自评涉及资金（万元）"] == pytest.approx(1382.16)
    assert first["说明"].startswith("根据预算绩效管理要求，本部门组织对2024年度预算项目支出全面开展绩效自评，共涉及预算支出项目6个")
    assert second["说明"].startswith("根据预算绩效管理要求，本部门组织对2024年度预算项目支出全面开展绩效自评，共涉及预算支出项目11个")
    units = [r[0] for r in rows if r[1] is not None and r[0] in ("朝阳市司法局", "硚口区司法局")]
    assert units == ["朝阳市司法局", "硚口区司法局"]
    assert book["汇总"].auto_filter.ref is None  # one filter per sheet: none when the sheet holds several tables


def test_summary_of_one_group_has_its_filter(qiaokou, tmp_path):
    write_summary(qiaokou, [], tmp_path / "s.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "s.xlsx")["汇总"]
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "单位")
    assert rows[0] == ("汇总项", "数值") + (None,) * (len(rows[0]) - 2)
    assert sheet.auto_filter.ref == f"A{start + 1}:H{len(rows)}"
    assert [r[0] for r in rows[start + 1:]] == ["硚口区司法局"]


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


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the 指标 sheet is written by a forked child only where fork exists")
def test_summary_written_on_two_cores_is_the_same_file(summary, tmp_path):
    results, failure = summary[1], Failure("in/bad.yaml", "@坏表", "某单位", ("缺少 budget",))
    write_summary(results, [failure], tmp_path / "serial.xlsx")
    write_summary(results, [failure], tmp_path / "parallel.xlsx", parallel=True)
    assert (tmp_path / "parallel.xlsx").read_bytes() == (tmp_path / "serial.xlsx").read_bytes()
    rows = list(openpyxl.load_workbook(tmp_path / "parallel.xlsx")["指标"].values)
    assert len(rows) == 1 + sum(len(r.indicators) for r in results)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parallel.xlsx", "serial.xlsx"]  # no part file left


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the 指标 sheet is written by a forked child only where fork exists")
def test_summary_child_failure_is_one_line_and_leaves_nothing(results, tmp_path, monkeypatch):
    from perfscore.report import workbook

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(workbook, "_indicator_sheet", full)  # the forked child runs it
    with pytest.raises(OutputError) as caught:
        write_summary(results, [], tmp_path / "s.xlsx", parallel=True)
    assert str(caught.value) == "无法写入 s.xlsx: 磁盘已满"
    assert list(tmp_path.iterdir()) == []


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

    monkeypatch.setattr(tempfile, "mkstemp", denied)
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


def test_score_chart_reads_its_sheets_one_at_a_time(results):
    from perfscore.report.charts import CHART_PER_SHEET_LIMIT, ScoreBars

    def chart(sheets):
        bars = ScoreBars()
        for r in sheets:
            bars.add(r)
        return bars.chart("各项目自评得分")

    few = results[:5]
    assert chart(iter(few)) == chart(few) and chart(few)["mode"] == "sheets" and len(chart(few)["rows"]) == 5
    many = [dataclasses.replace(results[n % len(results)], total=D(55) + D(n)) for n in range(CHART_PER_SHEET_LIMIT + 16)]
    bars = ScoreBars()
    for r in many:
        bars.add(r)
    assert len(bars.first) == CHART_PER_SHEET_LIMIT + 1  # holds no more than it needs to tell bars from bands
    banded = bars.chart("各项目自评得分")
    assert banded["mode"] == "bands"
    # 55 … 100: five below 60, ten in each band of 60–70, 70–80, 80–90, eleven at 90–100
    assert [bar["count"] for bar in banded["bars"]] == [5, 10, 10, 10, 11]


def _report_texts(out: Path) -> dict[str, str]:
    """report.md, report.html and report.docx of a batch as plain text."""
    import docx

    html = re.sub(r"<[^>]+>", "", (out / "report.html").read_text("utf-8"))
    word = "\n".join(p.text for p in docx.Document(str(out / "report.docx")).paragraphs)
    return {"md": (out / "report.md").read_text("utf-8").replace("**", ""), "html": html, "docx": word}


@pytest.mark.parametrize("policy", ["hubei", "default"])
def test_sheet_level_cause_and_remedy_reach_every_report(policy, tmp_path):
    """The 偏差大或目标未完成原因分析 / 改进措施及结果应用方案 rows of the 湖北 forms (a project form and
    the 整体 form, read with no map) reach the 综述 of report.md, .html and .docx through batch; a
    cause that only says the targets were met (「已完成目标。」) is no problem — seed 004's 综述 of
    such a project lists none."""
    from familybuilder import SEED_CAUSE, hubei_department_book
    from formbuilder import Typing, build
    from perfscore.projectfile import read_sheet_file

    folder = tmp_path / "in"
    folder.mkdir()
    project = read_sheet_file(QIAOKOU / "04_jiceng_sifa_yewu.yaml")
    build(folder / "project.xlsx", [(project.name, project)], "hubei")  # cause 已完成目标。 remedy 按照制度加强监督管理。
    hubei_department_book(folder / "zhengti.xlsx", Typing())
    result = run("batch", folder, "-o", tmp_path / "out", "--policy", policy, "-q")
    assert result.exit_code == 0, result.output
    cause = SEED_CAUSE.split("\n")[1].rstrip("。")
    for kind, text in _report_texts(tmp_path / "out").items():
        flat = "".join(text.split())
        zhengti = flat[flat.index("武汉市硚口区司法局整体"):]
        jiceng = flat[flat.index("基层司法业务经费项目"):]
        assert "下一步改进措施：按照制度加强监督管理。" in jiceng, kind
        assert "已完成目标" not in jiceng.split("下一步改进措施")[0], kind
        assert cause in zhengti and "3、社区（村）法律顾问工作经费：按照制度加强监督管理，及时补充。" in zhengti, kind


def test_a_failure_goes_to_the_group_of_its_unit():
    """Under one policy the groups are the 主管部门; a failure of a unit one of them holds joins
    that group, one of an unknown unit (or none) the first."""
    from perfscore.report.documents import group_results

    policy = load_policy("default")
    results = [digest(score_sheet(read_sheet_file(p), policy, str(p)), policy=policy)
               for folder in (CHAOYANG, QIAOKOU) for p in sorted(folder.glob("*.yaml"))[:2] if p.name != "perfscore.yaml"]
    failures = [Failure(f"f{n}.yaml", None, unit, ("缺少得分",)) for n, unit in
                enumerate([None, "", "无此单位", results[-1].unit, results[0].unit])]
    grouping = group_results(results, failures)
    assert [g.title for g in grouping.groups] == [results[0].unit, results[-1].unit] != [results[0].unit] * 2
    assert [[f.source for f in g.failures] for g in grouping.groups] == [["f0.yaml", "f1.yaml", "f2.yaml", "f4.yaml"], ["f3.yaml"]]
