"""A policy that travels with the files (docs/scoring.md §10): a project file's ``policy:``, a
folder's perfscore.yaml (nearest wins), ``--policy`` over both; and the batch that keeps
several policies apart."""

import json
import os
import re
import shutil
from decimal import Decimal

import openpyxl
import pytest

from perfscore import api
from perfscore.inputs import discover, read_inputs
from perfscore.policy import load_policy

from conftest import CHAOYANG, QIAOKOU, ROOT, SAMPLES, run


def total(result) -> str:
    return json.loads(result.output)["total"]


@pytest.fixture
def tree(tmp_path):
    """samples/ copied: each folder with its perfscore.yaml."""
    shutil.copytree(SAMPLES, tmp_path / "samples")
    return tmp_path / "samples"


def test_folder_policy_applies_without_policy_option():
    # the 整体 sheet reproduces its printed 94.30 only under liaoning (whole-percent task rates)
    assert total(run("score", CHAOYANG / "zhengti.yaml", "--format", "json")) == 94.3
    assert total(run("score", CHAOYANG / "zhengti.yaml", "--format", "json", "--policy", "default")) == 94.28
    # hubei: execution 20 points, shares 40/30/10 — the default would give another split
    inputs, failures = read_inputs([QIAOKOU, CHAOYANG])
    # a perfscore.yaml that only names a preset (preset: hubei) is that preset
    assert not failures and {i.policy.name for i in inputs if i.path.parent == QIAOKOU} == {"hubei"}
    assert {i.policy.name for i in inputs if i.path.parent == CHAOYANG} == {"liaoning"}


def test_perfscore_yaml_is_never_an_input():
    assert not [p for p in discover([SAMPLES]) if p.name == "perfscore.yaml"]
    assert discover([CHAOYANG / "perfscore.yaml", CHAOYANG / "zhengti.yaml"]) == [CHAOYANG / "zhengti.yaml"]


def test_file_policy_beats_folder_and_option_beats_both(tree):
    zhengti = tree / "liaoning_chaoyang_2024" / "zhengti.yaml"
    zhengti.write_text(zhengti.read_text("utf-8") + "policy: default\n", "utf-8")
    assert total(run("score", zhengti, "--format", "json")) == 94.28
    assert total(run("score", zhengti, "--format", "json", "--policy", "liaoning")) == 94.3
    # the api's optional policy argument is the same override
    (result,), _ = api.score_files([zhengti], load_policy("liaoning"))
    assert result.total == Decimal("94.30") and result.policy == "liaoning"
    (result,), _ = api.score_files([zhengti])
    assert result.policy == "default"


def test_file_policy_path_is_relative_to_the_file(tree):
    rules = tree / "rules"
    rules.mkdir()
    (rules / "whole.yaml").write_text("preset: default\nrate_decimals: {department: 0}\n", "utf-8")
    zhengti = tree / "liaoning_chaoyang_2024" / "zhengti.yaml"
    (tree / "liaoning_chaoyang_2024" / "perfscore.yaml").unlink()
    assert total(run("score", zhengti, "--format", "json")) == 94.28  # no folder policy: default
    zhengti.write_text(zhengti.read_text("utf-8") + "policy: ../rules/whole.yaml\n", "utf-8")
    result = run("score", zhengti)
    shown = os.path.join("..", "rules", "whole.yaml")  # the file named alone, outside the current folder: from its folder
    assert result.exit_code == 0 and f"评分规则: {shown} " in result.output and "总分 94.30" in result.output


def test_nearest_folder_policy_wins(tree, monkeypatch):
    monkeypatch.chdir(tree)  # a file named alone below the current folder: looked up to the current folder
    (tree / "perfscore.yaml").write_text("preset: default\n", "utf-8")  # above both
    deep = tree / "liaoning_chaoyang_2024" / "deep"
    deep.mkdir()
    shutil.move(tree / "liaoning_chaoyang_2024" / "zhengti.yaml", deep / "zhengti.yaml")
    assert total(run("score", deep / "zhengti.yaml", "--format", "json")) == 94.3  # liaoning folder, one up
    (deep / "perfscore.yaml").write_text("preset: default\n", "utf-8")
    assert total(run("score", deep / "zhengti.yaml", "--format", "json")) == 94.28
    (deep / "perfscore.yaml").unlink()
    (tree / "liaoning_chaoyang_2024" / "perfscore.yaml").unlink()
    assert total(run("score", deep / "zhengti.yaml", "--format", "json")) == 94.28  # the top one


def test_bad_policies_fail_their_files_clearly(tree):
    goumai = tree / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"
    goumai.write_text(goumai.read_text("utf-8") + "policy: shanxi\n", "utf-8")
    result = run("score", goumai)
    assert result.exit_code == 1 and "Traceback" not in result.output + result.stderr
    assert f"文件 {goumai}「政府购买法律服务」字段 policy（评分规则）: 评分规则「shanxi」既不是预设" in result.stderr
    (tree / "hubei_qiaokou_2024" / "perfscore.yaml").write_text("preset: hubei\nexecution_wieght: 20\n", "utf-8")
    result = run("check", tree / "hubei_qiaokou_2024")
    assert result.exit_code == 1 and "execution_wieght" in result.stderr and "perfscore.yaml" in result.stderr
    # --policy overrides a broken folder policy
    assert run("check", tree / "hubei_qiaokou_2024", "--policy", "hubei").exit_code == 0


def test_fill_and_audit_take_the_folder_policy(tmp_path):
    out = tmp_path / "zhengti.xlsx"
    assert run("fill", CHAOYANG / "zhengti.yaml", "-o", out).exit_code == 0
    # the filled sheet, moved out of the folder, audits clean only under the policy it was filled with
    assert run("audit", out, "--policy", "liaoning").exit_code == 0
    (tmp_path / "perfscore.yaml").write_text("preset: liaoning\n", "utf-8")
    assert run("audit", out).exit_code == 0
    (tmp_path / "perfscore.yaml").write_text("preset: default\n", "utf-8")
    result = run("audit", out)
    assert result.exit_code == 1 and "94.3" in result.output


def test_batch_without_policy_keeps_provinces_apart(tmp_path):
    cwd = os.getcwd()
    os.chdir(SAMPLES.parent)
    try:
        result = run("batch", "samples/", "-o", tmp_path / "out")
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.stderr
    report = (tmp_path / "out" / "report.md").read_text("utf-8")
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    # no false 与原表不一致 on the seed sheets (under one policy the 整体 sheet showed 7)
    assert "与原表不一致" not in report
    problems = list(openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")["问题"].iter_rows(values_only=True))
    assert not [r for r in problems if r[0] == "不一致"]
    # one 说明 paragraph per province, each in its own style
    assert "## 一、朝阳市司法局（辽宁省评分规则）" in report and "## 二、硚口区司法局（湖北省评分规则）" in report
    assert report.count("根据预算绩效管理要求") == 2
    assert "涉及资金45.12万元" in report and "自评平均分为99.58分" in report
    assert "组织对1个单位开展整体绩效自评，涉及资金1382.16万元，自评平均分为94.3分。" in report
    assert "我部门组织对2024年度项目支出全面开展绩效自评，共涉及项目11个，资金938.54万元" in report
    # no placeholder and no audit hint anywhere a reader sees
    for text in (report, html):
        assert "未填写" not in text and "按年初预算" not in text
    assert "99.58分：" not in report
    rows = list(openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")["项目"].iter_rows(values_only=True))
    header = list(rows[0])
    policies = {r[header.index("项目名称")]: r[header.index("评分规则")] for r in rows[1:]}
    assert policies["政府购买法律服务"] == "辽宁省" and policies["“八五”普法经费"] == "湖北省"  # the presets' display names


def test_a_policy_file_among_the_inputs_is_not_a_project(tree):
    rules = tree / "liaoning_chaoyang_2024" / "rules.yaml"
    rules.write_text("preset: default\nrate_decimals: {department: 0}\n", "utf-8")
    zhengti = tree / "liaoning_chaoyang_2024" / "zhengti.yaml"
    zhengti.write_text(zhengti.read_text("utf-8") + "policy: rules.yaml\n", "utf-8")
    inputs, failures = read_inputs([tree])
    assert not failures and len(inputs) == 16 and not [i for i in inputs if i.path == rules]
    assert next(i for i in inputs if i.path == zhengti).policy.name == os.path.join("samples", "liaoning_chaoyang_2024", "rules.yaml")
    # a typo'd policy file is still a problem, not silently skipped: it has no preset key
    (tree / "liaoning_chaoyang_2024" / "typo.yaml").write_text("execution_weight: 20\n", "utf-8")
    assert [f.source for f in read_inputs([tree])[1]] == [str(tree / "liaoning_chaoyang_2024" / "typo.yaml")]


def test_flat_workbook_carries_fund_sources_and_policy(tmp_path):
    from flatbuilder import write_flat_workbook
    from perfscore.projectfile import read_sheet_file

    sheets = [read_sheet_file(p) for p in sorted(CHAOYANG.glob("*.yaml")) if p.name not in ("perfscore.yaml", "zhengti.yaml")]
    sheets = [s.model_copy(update={"policy": "liaoning"}) for s in sheets]
    write_flat_workbook(sheets, tmp_path / "flat.xlsx")
    header = [c.value for c in openpyxl.load_workbook(tmp_path / "flat.xlsx")["项目"][1]]
    assert header[-4:] == ["一般公共预算资金", "政府性基金预算资金", "国有资本经营预算资金", "评分规则"]
    inputs, failures = read_inputs([tmp_path / "flat.xlsx"])  # no perfscore.yaml there: the rows' 评分规则
    assert not failures and {i.policy.name for i in inputs} == {"liaoning"}
    assert {i.cells["funds.general"] for i in inputs} == {"项目!J2", "项目!J3", "项目!J4", "项目!J5"}
    run("batch", tmp_path / "flat.xlsx", "-o", tmp_path / "out", "-q")
    report = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert "涉及资金45.12万元（其中：一般公共预算资金45.12万元，政府性基金预算资金0万元，国有资本经营预算资金0万元）" in report


@pytest.mark.parametrize("escape", [
    "cycler.__init__.__globals__.os.system('touch {marker}')",
    "lipsum.__globals__['os'].system('touch {marker}')",
    "''.__class__.__mro__[1].__subclasses__()",
    "self._TemplateReference__context.cycler.__init__.__globals__.os.system('touch {marker}')",
])
def test_a_report_style_from_a_units_folder_runs_no_code(tmp_path, escape):
    """Issue 19: a perfscore.yaml naming a report style beside it, the style reaching for
    os.system through the classic jinja2 escapes: a plain batch runs nothing (jinja2's
    immutable sandbox), the project is one Chinese failure line, no traceback."""
    unit = tmp_path / "unitA"
    unit.mkdir()
    shutil.copy(SAMPLES / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml", unit)
    marker = tmp_path / "PWNED"
    style = (ROOT / "src" / "perfscore" / "provinces" / "liaoning" / "report_style.j2").read_text(encoding="utf-8")
    head = re.search(r"{% macro project\([^)]*\) %}", style).group(0)
    (unit / "evil.j2").write_text(style.replace(head, head + "{{ " + escape.format(marker=marker) + " }}", 1),
                                  encoding="utf-8")
    (unit / "perfscore.yaml").write_text("preset: liaoning\nreport_style: evil.j2\n", encoding="utf-8")
    result = run("batch", unit, "-o", tmp_path / "out", "-q")
    assert not marker.exists()
    assert result.exit_code == 1 and "Traceback" not in result.output + result.stderr
    assert [line for line in result.stderr.splitlines() if "zhengfu_goumai_falv_fuwu.yaml" in line]
