"""A province is a folder (docs/provinces.md): copying the installed package's
provinces/liaoning to provinces/henan adds a province every list finds (``--policy``,
``-t``, ``init -t``, the help, the page's options) with no code change; a user's own
province folder is named by its path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import perfscore
from perfscore.cli import main
from perfscore.resources import provinces, templates_dir

from conftest import GOUMAI, ZHENGTI
PACKAGE = Path(perfscore.__file__).resolve().parent


def test_the_shipped_provinces_are_folders_with_their_display_names():
    found = provinces()
    assert {"liaoning", "hubei", "shanxi"} <= set(found)
    assert (found["liaoning"].title, found["hubei"].title, found["shanxi"].title) == ("辽宁省", "湖北省", "山西省")
    assert found["liaoning"].policy is not None and found["liaoning"].style is not None
    assert found["shanxi"].policy is None and found["shanxi"].template() is not None  # a 表样 only


@pytest.fixture(scope="module")
def henan_package(tmp_path_factory) -> Path:
    """A copy of the installed package with provinces/liaoning copied to provinces/henan
    (its display name changed to 河南省: files only)."""
    top = tmp_path_factory.mktemp("site")
    shutil.copytree(PACKAGE, top / "perfscore", ignore=shutil.ignore_patterns("__pycache__"))
    if not (top / "perfscore" / "templates").is_dir():  # an editable install: the repo's templates/
        shutil.copytree(templates_dir(), top / "perfscore" / "templates", ignore=shutil.ignore_patterns("__pycache__"))
    henan = top / "perfscore" / "provinces" / "henan"
    shutil.copytree(top / "perfscore" / "provinces" / "liaoning", henan)
    (henan / "province.yaml").write_text("name: 河南省\n", "utf-8")
    return top


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "perfscore.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_copied_province_is_a_preset_a_template_and_a_style(henan_package, tmp_path):
    site = henan_package
    score = _run(site, tmp_path, "score", GOUMAI, "--policy", "henan", "--format", "json")
    assert score.returncode == 0, score.stderr
    result = json.loads(score.stdout, parse_float=Decimal)
    assert (result["total"], result["grade"]) == (Decimal("98.32"), "优")
    department = json.loads(_run(site, tmp_path, "score", ZHENGTI, "--policy", "henan", "--format", "json").stdout,
                            parse_float=Decimal)
    assert department["total"] == Decimal("94.30")  # 辽宁's rules, copied: whole-percent task rates

    filled = _run(site, tmp_path, "fill", GOUMAI, "-t", "henan", "--policy", "henan", "-o", tmp_path / "henan.xlsx")
    assert filled.returncode == 0, filled.stderr
    ws = openpyxl.load_workbook(tmp_path / "henan.xlsx").active
    assert ws.title == "预算项目(政策)绩效自评表"  # the 辽宁 layout, from the copied folder
    blank = _run(site, tmp_path, "init", "-t", "henan", "-o", tmp_path / "blank.xlsx")
    assert blank.returncode == 0, blank.stderr

    help_text = _run(site, tmp_path, "fill", "--help").stdout
    assert "henan" in help_text.split("-p, --policy")[1] and "henan" in help_text.split("-t, --template")[1]

    batch = _run(site, tmp_path, "batch", GOUMAI, ZHENGTI, "--policy", "henan", "-o", tmp_path / "out", "-q")
    assert batch.returncode == 0, batch.stderr
    report = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert "98.32" in report and "自评综述" in report  # henan's style: the copied report_style.j2

    code = ("from perfscore import api; import json; "
            "print(json.dumps([api.preset_labels(), api.template_labels()], ensure_ascii=False))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    presets, templates = json.loads(subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                                                   capture_output=True, text=True, check=True).stdout)
    assert presets["henan"] == "河南省" and templates["henan"] == "河南省项目表样"  # the page's options


def test_the_copy_changes_nothing_installed():
    assert "henan" not in provinces()


def test_a_users_own_province_folder_is_named_by_its_path(tmp_path, monkeypatch):
    mine = tmp_path / "我的省"
    shutil.copytree(provinces()["liaoning"].folder, mine)
    (mine / "province.yaml").write_text("name: 我的省\n", "utf-8")
    style = (mine / "report_style.j2").read_text("utf-8")
    (mine / "report_style.j2").write_text(style.replace("自评综述：", "自评综述（我的省）：", 1), "utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    scored = runner.invoke(main, ["score", str(GOUMAI), "--policy", str(mine), "--format", "json"])
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout, parse_float=Decimal)["total"] == Decimal("98.32")
    filled = runner.invoke(main, ["fill", str(GOUMAI), "-t", str(mine), "-o", "mine.xlsx"])
    assert filled.exit_code == 0, filled.output
    assert openpyxl.load_workbook(tmp_path / "mine.xlsx").active.title == "预算项目(政策)绩效自评表"
    from perfscore.policy import load_policy

    policy = load_policy(mine)
    assert policy.report_style == str((mine / "report_style.j2").resolve())  # its own style, not the shipped one
    batch = runner.invoke(main, ["batch", str(GOUMAI), "--policy", str(mine), "-o", "out", "-q"])
    assert batch.exit_code == 0, batch.output
    assert "自评综述（我的省）：" in (tmp_path / "out" / "report.md").read_text("utf-8")
    not_one = runner.invoke(main, ["score", str(GOUMAI), "--policy", str(tmp_path)])
    assert not_one.exit_code != 0 and "province.yaml" in not_one.output and "Traceback" not in not_one.output


def _renamed_form(path: Path) -> Path:
    """政府购买法律服务 in the national layout with its 实际完成值 header printed as 年终完成值."""
    from formbuilder import build
    from perfscore.projectfile import read_sheet_file

    model = read_sheet_file(GOUMAI)
    build(path, [(model.name, model)], "national")
    wb = openpyxl.load_workbook(path)
    [cell] = [c for row in wb.active.iter_rows() for c in row if c.value == "实际完成值"]
    cell.value = "年终完成值"
    wb.save(path)
    return path


def test_a_province_folder_labels_add_the_words_its_forms_print(henan_package, tmp_path):
    """A province's labels.yaml (docs/provinces.md) adds its words to the vocabulary, files only:
    with henan's, a form whose 实际完成值 header reads 年终完成值 scores; without it, the refusal
    names the header row and every word looked for."""
    form = _renamed_form(tmp_path / "henan.xlsx")
    refused = _run(henan_package, tmp_path, "score", form, "--policy", "liaoning")
    assert refused.returncode == 1 and "找不到「实际完成值」列（表头在第" in refused.stderr
    assert "查找的表头 — 实际完成值：实际完成值、全年实际值" in refused.stderr and "Traceback" not in refused.stderr
    labels = henan_package / "perfscore" / "provinces" / "henan" / "labels.yaml"
    labels.write_text("# 河南的表格多出的词\nindicator_columns:\n  actual: [年终完成值]\n", "utf-8")
    try:
        scored = _run(henan_package, tmp_path, "score", form, "--policy", "liaoning", "--format", "json")
    finally:
        labels.unlink()
    assert scored.returncode == 0, scored.stderr
    result = json.loads(scored.stdout, parse_float=Decimal)
    assert (result["total"], result["grade"]) == (Decimal("98.32"), "优")


def test_a_labels_file_that_cannot_be_used_is_named(tmp_path):
    from perfscore.forms import labels

    bad = tmp_path / "labels.yaml"
    bad.write_text("indicator_columns:\n  achieved: [年终完成值]\n  actual: 年终值\nnames: [x]\ngrades: {很好: 甲}\n", "utf-8")
    vocabulary, problems = labels.load([bad])
    assert problems == [
        f"文件 {bad} 的「indicator_columns」: 未知的角色「achieved」（可用：{'、'.join(labels.INDICATOR_COLUMNS)}）",
        f"文件 {bad}: 未知的标签组「names」（可用：{'、'.join(labels.GROUPS)}）",
        f"文件 {bad} 的「grades」「很好」: 等级应为 优/良/中/差 之一，而不是「甲」",
    ]
    assert vocabulary["indicator_columns"]["actual"][-1] == "年终值" and "很好" not in vocabulary["grades"]
    shipped, none = labels.load([])
    assert none == [] and "年终值" not in shipped["indicator_columns"]["actual"]


def test_a_province_labels_file_with_problems_stops_the_form_reader(tmp_path, monkeypatch):
    """Its words would be missing: every form read names the file's problem (one line, no traceback)."""
    from perfscore.errors import SheetError
    from perfscore.forms import labels, read_form_workbook

    line = f"文件 {tmp_path / 'labels.yaml'}: 未知的标签组「names」（可用：{'、'.join(labels.GROUPS)}）"
    monkeypatch.setattr(labels, "PROBLEMS", [line])
    with pytest.raises(SheetError) as caught:
        read_form_workbook(_renamed_form(tmp_path / "form.xlsx"))
    assert [str(p) for p in caught.value.problems] == [line]
