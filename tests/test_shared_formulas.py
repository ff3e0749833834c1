"""Shared formulas are expanded before the audit compares a sheet's formulas (issue 19): Excel
writes a filled-down column as one ``<f t="shared" ref=… si=…>`` master and cells that only
carry ``<f t="shared" si=…/>``; audit reads each as the formula it stands for, so perfscore's
own sheet, saved that way, audits clean in every shipped layout — and so does the same sheet
re-saved by LibreOffice."""

from __future__ import annotations

import html
import json
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl.formula.translate import Translator

from perfscore.xlsx.sheetxml import scan_cells

from conftest import SOFFICE, run, soffice  # noqa: E402
from test_typed_in import LAYOUTS, filled_sample  # noqa: E402

_CELL = re.compile(r'<c r="([A-Z]+)([0-9]+)"([^>]*)><f>([^<]*)</f>')


def share_down(xml: str) -> tuple[str, int]:
    """The sheet as Excel saves a filled-down column: each run of cells down a column whose
    formula is the one above moved one row becomes one shared formula. Returns the XML and
    how many cells now only carry ``<f t="shared" si=…/>``."""
    cells = {(m.group(1), int(m.group(2))): html.unescape(m.group(4)) for m in _CELL.finditer(xml)}
    role: dict[tuple[str, int], str] = {}  # cell -> the <f> element it gets
    si = 0
    for (col, row), text in sorted(cells.items()):
        if (col, row) in role:
            continue
        end = row
        while (col, end + 1) in cells and cells[(col, end + 1)] == Translator(
                "=" + text, origin=f"{col}{row}").translate_formula(f"{col}{end + 1}")[1:]:
            end += 1
        if end == row:
            continue
        role[(col, row)] = f'<f t="shared" ref="{col}{row}:{col}{end}" si="{si}">{html.escape(text, quote=False)}</f>'
        for r in range(row + 1, end + 1):
            role[(col, r)] = f'<f t="shared" si="{si}"/>'
        si += 1

    def shared(m: re.Match) -> str:
        f = role.get((m.group(1), int(m.group(2))))
        return m.group(0) if f is None else f'<c r="{m.group(1)}{m.group(2)}"{m.group(3)}>{f}'

    return _CELL.sub(shared, xml), sum(1 for f in role.values() if f.endswith("/>"))


def shared_copy(path: Path, out: Path) -> int:
    """``path`` with its worksheets' filled-down formulas shared; the count of shared followers."""
    followers = 0
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                text, n = share_down(data.decode("utf-8"))
                data, followers = text.encode("utf-8"), followers + n
            dst.writestr(info, data)
    return followers


def audit_findings(path: Path, policy: str) -> list:
    result = run("audit", path, "--format", "json", "--policy", policy)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    return [f for sheet in (found if isinstance(found, list) else [found]) for f in sheet["findings"]]


def test_a_shared_formula_reads_as_the_formula_it_stands_for():
    xml = ('<sheetData><row r="2"><c r="B2"><f t="shared" ref="B2:B4" si="0">A2*$C$1+SUM(A$1:A2)</f><v>1</v></c></row>'
           '<row r="3"><c r="B3"><f t="shared" si="0"/><v>2</v></c></row>'
           '<row r="4"><c r="B4"><f t="shared" si="0"></f><v>3</v></c><c r="D4"><f>B4</f><v>3</v></c></row></sheetData>')
    scan = scan_cells(xml)
    assert scan.formulas == {(2, 2): "A2*$C$1+SUM(A$1:A2)", (3, 2): "A3*$C$1+SUM(A$1:A3)",
                        (4, 2): "A4*$C$1+SUM(A$1:A4)", (4, 4): "B4"}
    assert scan.no_cache == set() and scan.errors == {}


def test_a_follower_without_its_master_stays_unread():
    formulas = scan_cells('<row r="3"><c r="B3"><f t="shared" si="7"/><v>2</v></c></row>').formulas
    assert formulas == {(3, 2): ""}  # audit then reports the cell, never a made-up formula


@pytest.fixture(scope="module")
def shared_sheets(tmp_path_factory):
    """{layout: (the filled sample saved with shared formulas, followers)}."""
    tmp = tmp_path_factory.mktemp("shared")
    out = {}
    for layout in LAYOUTS:
        filled_sample(layout, tmp / f"plain_{layout}.xlsx")
        out[layout] = (tmp / f"{layout}.xlsx", shared_copy(tmp / f"plain_{layout}.xlsx", tmp / f"{layout}.xlsx"))
    return out


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_sheet_saved_with_shared_formulas_audits_clean(shared_sheets, layout):
    path, followers = shared_sheets[layout]
    assert followers >= 4  # the indicator rows' formulas really are shared now
    assert audit_findings(path, "liaoning") == []


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_shared_sheets_re_saved_by_libreoffice_audit_clean(shared_sheets, tmp_path):
    """One LibreOffice run re-saves every layout's shared sheet (as a unit's clerk would)."""
    soffice([path for path, _ in shared_sheets.values()], tmp_path / "out", "xlsx", tmp_path / "lo")
    for layout in LAYOUTS:
        assert audit_findings(tmp_path / "out" / f"{layout}.xlsx", "liaoning") == [], layout
