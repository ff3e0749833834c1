"""What a finance office publishes (issue 23): one project counted once, report.docx, result
phrases worded as people write them, one rounding path, a printable summary.xlsx."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml

from perfscore.batch import run_batch
from perfscore.policy import load_policy

from conftest import CHAOYANG, QIAOKOU
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


# -- result phrases (the Hubei samples show most of them) -----------------------------------

def _review(path: Path, policy: str = "hubei", **changes) -> str:
    from perfscore.projectfile import read_mapping, sheet_from_mapping
    from perfscore.report.digests import digest
    from perfscore.scoring import score_sheet

    data = read_mapping(path)
    for key, value in changes.items():
        if key.startswith("indicator"):
            index, field = key[len("indicator"):].split("__")
            data["indicators"][int(index)][field] = value
        elif "__" in key:
            section, field = key.split("__")
            data[section][field] = value
        else:
            data[key] = value
    sheet = sheet_from_mapping(data, str(path))
    scored = score_sheet(sheet, load_policy(policy))
    return digest(scored, policy=load_policy(policy), sheet=sheet).detail.review


def test_phrase_no_word_twice_where_the_name_ends_with_the_measure():
    text = _review(QIAOKOU / "03_shequ_falv_guwen.yaml")
    assert "一是社区法律顾问配备率100%；" in text and "配备配备" not in text
    assert "二是开展社区法治专题讲座出勤率100%；" in text


def test_phrase_value_with_the_sheets_unit_else_the_targets():
    path = QIAOKOU / "10_yiqian_yangshi.yaml"
    assert "一是街道调委会每年完成民间纠纷调解数286件；" in _review(path, indicator0__actual="286件")
    assert "一是街道调委会每年完成民间纠纷调解数286件；" in _review(path, indicator0__target="24件")
    # neither cell gives a unit: the number, never a unit made up
    assert "一是街道调委会每年完成民间纠纷调解数286；" in _review(path)
    assert "二是复议委员会1个；" in _review(QIAOKOU / "07_xingzheng_fuyi_yingsu.yaml")


def test_phrase_never_prints_the_target_as_the_result():
    text = _review(QIAOKOU / "06_shequ_jiaozheng.yaml")
    assert "一是社区矫正对象接收率低于1%；" in text and "<1%" not in text and "＜" not in text
    assert "社区矫正对象脱、漏管率低于2%" in text


def test_phrase_nothing_for_an_empty_or_placeholder_zero():
    text = _review(QIAOKOU / "11_yiliu_shiye_renyuan.yaml")
    assert "五是规范执法、提升教育管理质量；" in text and "质量0" not in text
    # a measure's 0 is a value: with the target's unit
    assert "六是社区服刑人员脱、漏管率0%；" in _review(QIAOKOU / "10_yiqian_yangshi.yaml")
    # a bare number after a name that is no measure says what it is
    assert "三是开展人员业务培训完成值为1；" in _review(QIAOKOU / "04_jiceng_sifa_yewu.yaml")


def test_remedy_from_the_sheet_and_left_out_when_missing():
    path = CHAOYANG / "zhengfu_goumai_falv_fuwu.yaml"
    text = _review(path, "liaoning")
    assert text.endswith("发现的主要问题及原因：预算执行率未达到100%（83.16%）。") and "无。" not in text
    text = _review(path, "liaoning", cause="部分合同年底未结算。", remedy="加快支付进度")
    assert text.endswith("发现的主要问题及原因：预算执行率未达到100%（83.16%）；部分合同年底未结算。下一步改进措施：加快支付进度。")
    # Hubei: an indicator's own remedy, after its cause
    text = _review(QIAOKOU / "10_yiqian_yangshi.yaml", indicator0__remedy="按实际体量调整目标值")
    assert text.endswith("下一步改进措施：按实际体量调整目标值。")
    assert "下一步改进措施" not in _review(QIAOKOU / "10_yiqian_yangshi.yaml")
    # nothing wrong and nothing to do: the 辽宁 wording says 无 for both
    assert _review(CHAOYANG / "fazhi_jianshe.yaml", "liaoning").endswith("发现的主要问题及原因：无。下一步改进措施：无。")


def test_a_budget_cut_to_zero_reads_as_such():
    path = QIAOKOU / "01_bawu_pufa.yaml"
    text = _review(path, budget__adjusted=0, budget__executed=0)
    assert text.startswith("项目年初预算数为15.85万元，年内预算调减为0，未发生支出。")
    assert "完成预算的0%" not in text and "预算执行率未达到" not in text
    text = _review(CHAOYANG / "fazhi_jianshe.yaml", "liaoning", budget__initial=10, budget__adjusted=0, budget__executed=0)
    assert "项目年初预算数为10万元，全年预算数调减为0，未发生支出。" in text and "为0万元" not in text


def test_headings_name_the_province_not_the_code(tmp_path):
    outcome = run_batch([CHAOYANG, QIAOKOU], tmp_path / "out", jobs=1)
    assert not outcome.failures
    report = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert "## 一、朝阳市司法局（辽宁省评分规则）\n" in report and "## 二、硚口区司法局（湖北省评分规则）\n" in report
    headings = [line for line in report.splitlines() if line.startswith("#")]
    assert not any(code in line for line in headings for code in ("liaoning", "hubei", "default"))
