"""An actual in words and a 减分项 in every shipped layout (issue 19):

- ``perfscore fill`` of a project whose actuals are ``无上访`` (against ≤3次) and ``未发生``
  (against =0起) writes sheets that read back the same (``score`` of the sheet = ``score`` of
  the project file, ``import`` gives the words back) and audit clean, in every layout;
- the same sheets with a 减分项, recalculated by LibreOffice (one run for all layouts, after a
  program dropped every cached value), show the 总分 perfscore computes — and audit clean."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml

from perfscore.policy import load_policy
from perfscore.projectfile import sheet_from_mapping
from perfscore.scoring import score_sheet
from perfscore.sheets.fill import template_for, template_kind

from conftest import SOFFICE, audited, imported, run, soffice  # noqa: E402
from test_typed_in import LAYOUTS, sample  # noqa: E402

D = Decimal
WORDS = (("≤3次", "无上访"), ("=0起", "未发生"))


def case(layout: str, deduction: Decimal, words: bool) -> dict:
    """The sample of the layout's kind; its first two indicators' actuals in words (``words``)
    and a 减分项."""
    data = sample(template_kind(template_for("project", layout)))
    data["deduction"] = deduction
    data["indicators"] = [dict(i) for i in data["indicators"]]
    if words:
        for ind, (target, actual) in zip(data["indicators"], WORDS):
            for key in ("value", "operator", "unit", "completion"):
                ind.pop(key, None)
            ind.update(target=target, actual=actual)
    return data


def fill(data: dict, layout: str, folder: Path, name: str) -> Path:
    source = folder / f"{name}.yaml"
    source.write_text(yaml.safe_dump(json.loads(json.dumps(data, default=str)), allow_unicode=True), "utf-8")
    out = folder / f"{name}.xlsx"
    result = run("fill", source, "-t", layout, "-p", "liaoning", "-o", out)
    assert result.exit_code == 0, result.output
    return out


def score_json(path: Path) -> dict:
    result = run("score", path, "-p", "liaoning", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return data[0] if isinstance(data, list) else data


def audit_lines(path: Path) -> list[str]:
    return [f.line() for f in audited(path, load_policy("liaoning")).findings]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_an_actual_in_words_reads_back_the_same_in_every_layout(layout, tmp_path):
    data = case(layout, D(0), words=True)
    sheet = fill(data, layout, tmp_path, layout)
    from_file, from_sheet = score_json(tmp_path / f"{layout}.yaml"), score_json(sheet)
    assert from_sheet["total"] == from_file["total"] and from_sheet["grade"] == from_file["grade"]
    assert [i["score"] for i in from_sheet["indicators"]] == [i["score"] for i in from_file["indicators"]]
    # perfscore reads the words as 0; the sheet holds the words, or that 0 in the target's unit
    assert [i["actual"] for i in from_sheet["indicators"][:2]] == [0, 0]
    read = imported(sheet)
    assert [i.actual for i in read.indicators[:2]] in (["无上访", "未发生"], ["0次", "0起"])
    assert audit_lines(sheet) == []


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """{(layout, words): (the sheet recalculated by LibreOffice, the project's data)}."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    tmp = tmp_path_factory.mktemp("deduction")
    cases = {}
    for layout in LAYOUTS:
        for words in (False, True):
            data = case(layout, D("3.5"), words)
            path = fill(data, layout, tmp, f"{layout}_{'words' if words else 'numbers'}")
            wb = openpyxl.load_workbook(path)  # a program's save: every cached value is dropped
            wb.save(path)
            cases[(layout, words)] = (path, data)
    soffice([path for path, _ in cases.values()], tmp / "out", "xlsx", tmp / "lo")
    return {key: (tmp / "out" / path.name, data) for key, (path, data) in cases.items()}


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("words", [False, True], ids=["numbers", "words"])
def test_a_deduction_recalculated_by_libreoffice_gives_perfscores_total(recalculated, layout, words):
    path, data = recalculated[(layout, words)]
    expected = score_sheet(sheet_from_mapping(data, "x"), load_policy("liaoning"))
    assert expected.deduction == D("3.5")
    reported = imported(path).reported
    assert reported.total == expected.total, path.name
    assert reported.grade in (expected.grade, None), path.name  # the national and provincial forms print no 等级
    assert audit_lines(path) == [], path.name
