"""User text that starts with = + - @ tab or CR lands in every Excel output as text, never
as a live formula: the filled sheets, summary.xlsx and the flat workbook export."""

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from perfscore.cli import main
from flatbuilder import write_flat_workbook
from perfscore.projectfile import read_sheet_file

HOSTILE = ["=HYPERLINK(\"http://evil\",\"点我\")", "+86 10 1234", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=cmd|' /C calc'!A0"]


def project(n: int, text: str) -> dict:
    return {
        "name": f"{text}{n}", "department": text, "unit": text, "goal": text, "achieved": text,
        "budget": {"initial": 10, "executed": 8},
        "indicators": [
            {"level1": "产出指标", "level2": "数量指标", "name": f"{text}a", "target": "≥10次", "actual": "8次",
             "weight": 45, "cause": text, "remedy": text},
            {"level1": "效益指标", "level2": "社会效益指标", "name": f"{text}b", "target": text,
             "actual": "全部或基本达成预期指标", "weight": 45},
        ],
    }


def cells(path: Path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


@pytest.fixture()
def outputs(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for n, text in enumerate(HOSTILE):
        (inputs / f"{n}.json").write_text(json.dumps(project(n, text), ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(inputs), "-o", str(out), "--sheets", "-j", "1"])
    assert result.exit_code == 0, result.output + result.stderr
    flat = write_flat_workbook([read_sheet_file(p) for p in sorted(inputs.glob("*.json"))], tmp_path / "flat.xlsx")
    return [out / "summary.xlsx", flat, *sorted((out / "sheets").glob("*.xlsx"))]


# the cells of a filled project sheet that hold perfscore's own formulas (2 indicators, H11: a grade word; M:O
# are the hidden helper columns, formulas over the row's printed cells)
FORMULA_CELLS = {"I6", "L6", "H10", "H11", "J10", "J11", "J12", "J13", "J15", "J16"} | {f"{c}{r}" for c in "MNO" for r in (10, 11)}


def test_no_output_cell_is_a_formula(outputs):
    """No user text becomes a formula; the filled sheets' only formulas are perfscore's own
    result cells (执行率, 得分, 小计, 总分, 等级), and none of them carries user text."""
    assert len(outputs) == 2 + len(HOSTILE)
    seen = 0
    for path in outputs:
        sheet = path.parent.name == "sheets"
        for cell in cells(path):
            if cell.data_type == "f":
                assert sheet and cell.coordinate in FORMULA_CELLS, f"{path.name} {cell.coordinate}: {cell.value!r}"
                assert not any(h.strip("\t\r=+-@")[:6] in cell.value for h in HOSTILE), cell.value
            if isinstance(cell.value, str) and cell.value.lstrip("\t\r")[:1] in "=+-@" and cell.data_type != "f":
                seen += 1
        if not sheet:
            with zipfile.ZipFile(path) as z:
                for name in z.namelist():
                    if name.startswith("xl/worksheets/"):
                        assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), f"{path.name} {name}"
    assert seen > 50  # the hostile texts are there, as text


def test_hostile_text_reads_back_unchanged(outputs):
    sheet = outputs[2]
    texts = {c.value for c in cells(sheet) if isinstance(c.value, str)}
    assert any(t in texts for t in (h + "a" for h in HOSTILE))
