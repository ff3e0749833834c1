"""Forms inside documents (issue 21): a Word 自评报告 holding the form (built with
python-docx from a filled sheet's cells, with prose and an unrelated table around it) and a
PDF printed from the filled sheet by LibreOffice read exactly like the sheet they came from;
scans, damaged files and values that do not parse are refused naming the table and cell."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from documents import printable, word_report
from formbuilder import Typing, build, convert, soffice
from test_forms import CASES, LN, _build, sample
from perfscore.errors import SheetError
from perfscore.forms import read_form_document, read_form_workbook
from perfscore.forms.documents import read_document_tables
from perfscore.output import result_dict
from perfscore.policy import preset_policy
from perfscore.scoring import score_sheet

PROSE = ("goal", "achieved")


def _squeezed(text: str | None) -> str | None:
    """Prose compared without its spaces: a space at a printed line's end is not printed."""
    return None if text is None else re.sub(r"\s+", "", text)


def _read(sheet) -> dict:
    """A read sheet's fields, its targets as the scorer sees them (a number cell of 指标值
    is the split form, the same text in a document is one target string)."""
    data = sheet.model_dump(exclude=set(PROSE))
    for ind in data["indicators"]:
        for key in ("target", "operator", "value", "unit"):
            ind.pop(key)
    return data


def assert_reads_like_the_sheet(document: Path, sheet: Path, case: str) -> None:
    """Every field the sheet gave, and the scored result (the JSON ``score`` prints)."""
    policy = preset_policy(CASES[case][2])
    want, got = read_form_workbook(sheet), read_form_document(document)
    assert [f.sheet.name for f in got] == [f.sheet.name for f in want]
    for a, b in zip(want, got):
        assert _read(b.sheet) == _read(a.sheet)
        for name in PROSE:
            assert _squeezed(getattr(b.sheet, name)) == _squeezed(getattr(a.sheet, name))
        scored, expected = score_sheet(b.sheet, policy, b.source), score_sheet(a.sheet, policy, a.source)
        assert result_dict(scored) == result_dict(expected)


@pytest.mark.parametrize("case", sorted(CASES))
def test_word_report_reads_like_the_sheet_it_came_from(case, tmp_path):
    sheet = _build(case, tmp_path)
    assert_reads_like_the_sheet(word_report(sheet, tmp_path / f"{case}.docx"), sheet, case)


def test_word_report_of_seed_000_scores_98_32(tmp_path):
    """The national form of 政府购买法律服务 inside a Word report: 98.32 优 under liaoning, its
    year from the caption above the table, and the unrelated 资金来源 table passed over."""
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    sheet = build(tmp_path / "goumai.xlsx", [(model.name, model)], "national", Typing(numbers=True))
    report = word_report(sheet, tmp_path / "自评报告.docx")
    tables = read_document_tables(report)
    assert [t.label for t in tables] == ["第1个表格", "第2个表格"]
    assert tables[1].grid.name == "项目支出绩效自评表 （2024年度）"
    [form] = read_form_document(report)
    assert form.source == f"{report}「第2个表格」"
    assert form.sheet.year == 2024
    result = score_sheet(form.sheet, preset_policy("liaoning"), form.source)
    assert (result.total, result.grade) == (Decimal("98.32"), "优")
    assert form.cells["budget.executed"] == "F4"  # the table's own rows: 项目名称 is row 1


def test_word_merges_become_the_grid_merges(tmp_path):
    """gridSpan and vMerge: 项目资金（万元） spans rows 3–7 of column A–B, 年度指标值 … are
    single cells; a value inside a merge is read from its anchor."""
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    sheet = build(tmp_path / "goumai.xlsx", [(model.name, model)], "national", Typing(merge_level1=True))
    grid = read_document_tables(word_report(sheet, tmp_path / "r.docx"))[1].grid
    assert (3, 1, 7, 2) in grid.merges
    assert grid.get(5, 2).value == "项目资金（万元）"
    assert grid.get(1, 7).value == "政府购买法律服务"  # C1:J1 merged


def test_value_that_does_not_parse_names_the_table_and_cell(tmp_path):
    import docx

    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    sheet = build(tmp_path / "goumai.xlsx", [(model.name, model)], "national", Typing())
    report = word_report(sheet, tmp_path / "r.docx")
    doc = docx.Document(report)
    table = doc.tables[1]
    row = next(r for r in table.rows if r.cells[3].text == "资金使用合规率")
    row.cells[6].text = "十二点五"
    doc.save(report)
    with pytest.raises(SheetError) as err:
        read_form_document(report)
    [line] = [str(p) for p in err.value.problems]
    assert line.startswith(f"文件 {report} 第2个表格「项目支出绩效自评表 （2024年度）」")
    assert "单元格 G13（分值）" in line and "「十二点五」不是数字" in line


def test_document_with_two_forms_gives_two_projects(tmp_path):
    """A 决算公开 holding two projects' forms, each with its own caption."""
    files = [LN / "renmin_tiaojie.yaml", LN / "renmin_jingcha_fuzhuang.yaml"]
    models = [sample(f) for f in files]
    sheet = build(tmp_path / "two.xlsx", [(m.name[:31], m) for m in models], "national", Typing())
    forms = read_form_document(word_report(sheet, tmp_path / "two.docx"))
    assert [f.sheet.name for f in forms] == [m.name for m in models]
    assert [f.source.rsplit("「", 1)[1] for f in forms] == ["第2个表格」", "第3个表格」"]
    policy = preset_policy("liaoning")
    assert [score_sheet(f.sheet, policy).total for f in forms] == [score_sheet(m, policy).total for m in models]


def test_document_without_a_form_names_its_tables(tmp_path):
    import docx

    doc = docx.Document()
    doc.add_paragraph("部门决算说明")
    doc.add_table(rows=2, cols=2).cell(0, 0).text = "收入合计"
    doc.save(tmp_path / "说明.docx")
    with pytest.raises(SheetError, match="找不到绩效自评表.*文档中有 1 个表格"):
        read_form_document(tmp_path / "说明.docx")


def test_scanned_damaged_and_foreign_documents_are_refused(tmp_path):
    from PIL import Image

    Image.new("RGB", (200, 100), "white").save(tmp_path / "scan.pdf")
    with pytest.raises(SheetError, match=r"scan\.pdf: PDF 没有文字层（可能是扫描件或图片）"):
        read_form_document(tmp_path / "scan.pdf")
    (tmp_path / "cut.pdf").write_bytes((tmp_path / "scan.pdf").read_bytes()[:60])
    with pytest.raises(SheetError, match=r"cut\.pdf: (PDF 已损坏|PDF 没有文字层)"):
        read_form_document(tmp_path / "cut.pdf")
    (tmp_path / "x.docx").write_bytes(b"not a document at all")
    with pytest.raises(SheetError, match=r"x\.docx: 不是 \.docx 或 PDF 文档"):
        read_form_document(tmp_path / "x.docx")
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(SheetError, match="文件为空"):
        read_form_document(tmp_path / "empty.pdf")


def test_every_command_takes_word_and_pdf_documents(tmp_path):
    """score, check, audit, import and batch read the form inside a .docx through the one
    input path; a scanned PDF beside it is one failure of the batch, not its end."""
    from click.testing import CliRunner
    from PIL import Image

    from perfscore.cli import main

    def run(*args):
        return CliRunner().invoke(main, [str(a) for a in args])

    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    (tmp_path / "in").mkdir()
    sheet = build(tmp_path / "goumai.xlsx", [(model.name, model)], "national", Typing(numbers=True))
    report = word_report(sheet, tmp_path / "in" / "自评报告.docx")
    scored = run("score", report, "--policy", "liaoning", "--format", "json")
    assert scored.exit_code == 0, scored.stderr
    data = json.loads(scored.output, parse_float=Decimal)
    assert (data["total"], data["grade"]) == (Decimal("98.32"), "优")
    assert run("check", report, "--policy", "liaoning").exit_code == 0
    audited = run("audit", report, "--policy", "liaoning")
    assert audited.exit_code == 0 and "总分 98.32" in audited.output
    imported = run("import", report, "-o", tmp_path / "goumai.yaml")
    assert imported.exit_code == 0, imported.stderr
    Image.new("RGB", (200, 100), "white").save(tmp_path / "in" / "scan.pdf")
    batch = run("batch", tmp_path / "in", "-o", tmp_path / "out", "--policy", "liaoning", "--quiet")
    assert batch.exit_code != 0
    assert "没有文字层" in batch.stderr + batch.output
    assert "98.32" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    refused = run("score", tmp_path / "in" / "scan.pdf")
    assert refused.exit_code != 0 and "Traceback" not in refused.output + refused.stderr


def test_serve_accepts_a_word_report(tmp_path):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from perfscore.web.app import create_app

    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    sheet = build(tmp_path / "goumai.xlsx", [(model.name, model)], "national", Typing())
    report = word_report(sheet, tmp_path / "自评报告.docx")
    with TestClient(create_app(temp_root=tmp_path / "temp")) as client:
        answer = client.post("/api/score", files=[("files", (report.name, report.read_bytes()))],
                             data={"policy": "liaoning"})
    assert answer.status_code == 200
    body = json.loads(answer.text, parse_float=Decimal)
    assert [(r["total"], r["grade"]) for r in body["results"]] == [(Decimal("98.32"), "优")]


# ------------------------------------------------------------------ PDF printed by LibreOffice

PDF_CASES = sorted(CASES)


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """Every case made printable and printed to PDF by LibreOffice in one run; one case
    also stretched over several pages."""
    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    root = tmp_path_factory.mktemp("pdf")
    sheets = {case: _build(case, root) for case in PDF_CASES}
    sources = [printable(path, root / f"{case}-print.xlsx") for case, path in sheets.items()]
    long_case = "national-fazhi-numbers-merged"
    sources.append(printable(sheets[long_case], root / "long-print.xlsx", stretch=6))
    sources.append(printable(sheets[long_case], root / "split-print.xlsx", stretch=6, all_rows=True))
    pdfs = convert(sources, "pdf", root / "out", root / "profile")
    out = {case: (pdf, sheets[case]) for case, pdf in zip(PDF_CASES, pdfs)}
    out["long"] = (pdfs[-2], sheets[long_case])
    out["split"] = (pdfs[-1], sheets[long_case])
    return out


@pytest.mark.parametrize("case", PDF_CASES)
def test_pdf_printed_from_a_filled_form_reads_like_the_sheet(printed, case):
    pdf, sheet = printed[case]
    assert_reads_like_the_sheet(pdf, sheet, case)


def test_pdf_form_running_over_pages_is_one_form(printed):
    import pdfplumber

    pdf, sheet = printed["long"]
    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) > 1
    assert len(read_document_tables(pdf)) == 1
    assert_reads_like_the_sheet(pdf, sheet, "national-fazhi-numbers-merged")


def test_pdf_merged_cells_running_over_pages_read_like_the_sheet(printed):
    """Every row tall: the merged 一级/二级 cells run over page breaks, where LibreOffice
    leaves out some of their lines; the region the lines leave open holds their text."""
    import pdfplumber

    pdf, sheet = printed["split"]
    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) > 2
    assert_reads_like_the_sheet(pdf, sheet, "national-fazhi-numbers-merged")


def test_pdf_cell_without_lines_or_text_is_unknown_not_the_one_above():
    """Slots no ruled cell covers: with text, the text is theirs; without, the cell's
    content is unknown, and reading it is refused (never the 一级 of the row above)."""
    from perfscore.forms.documents import _Built, _Cells
    from perfscore.forms.fields import Section, as_text
    from perfscore.forms.formats import OVERFLOW

    built = _Built("", "第1个表格（第1页）")
    # columns 0-50-100, rows 0-10-20-30; column 1 has a ruled cell in row 1 only
    boxes = [(0, 0, 50, 10), (50, 0, 100, 10), (50, 10, 100, 20), (50, 20, 100, 30)]
    chars = [{"x0": 10, "x1": 18, "top": 21, "bottom": 29, "text": "乙", "size": 8},
             {"x0": 60, "x1": 68, "top": 1, "bottom": 9, "text": "甲", "size": 8}]
    built.add((0, 0, 100, 30), boxes, chars)
    grid = built.grid(_Cells("文件 x.pdf"))
    assert grid.get(1, 2).value == "甲"
    assert grid.get(2, 1).kind == grid.get(3, 1).kind == "text"  # one region, its text 乙
    assert grid.get(2, 1).value == "乙" and grid.span(2, 1) == (2, 1, 3, 1)
    sec = Section(grid, 1, 3, "文件 x.pdf 第1个表格（第1页）")
    assert as_text(grid.get(2, 1), sec, "一级指标") == "乙" and not sec.problems
    empty = _Built("", "第1个表格（第1页）")
    empty.add((0, 0, 100, 30), boxes, chars[1:])
    hole = empty.grid(_Cells("文件 x.pdf")).get(2, 1)
    assert hole.kind == OVERFLOW
    assert as_text(hole, sec, "一级指标") is None
    assert "单元格 A2（一级指标）: PDF 中这一格的边线不完整" in sec.problems[0]


def test_pdf_of_seed_000_scores_98_32_through_score_batch_and_serve(printed, tmp_path):
    """The national form of 政府购买法律服务 printed to PDF: `score`, `batch` and serve's
    upload each give 98.32 优 under liaoning."""
    from click.testing import CliRunner
    from starlette.testclient import TestClient

    from perfscore.cli import main
    from perfscore.web.app import create_app

    pdf, _ = printed["national-goumai-text"]
    scored = CliRunner().invoke(main, ["score", str(pdf), "--policy", "liaoning", "--format", "json"])
    assert scored.exit_code == 0, scored.stderr
    data = json.loads(scored.output, parse_float=Decimal)
    assert (data["total"], data["grade"]) == (Decimal("98.32"), "优")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "自评表.pdf").write_bytes(pdf.read_bytes())
    batch = CliRunner().invoke(main, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--policy", "liaoning",
                                      "--quiet"])
    assert batch.exit_code == 0, batch.stderr
    assert "98.32" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    with TestClient(create_app(temp_root=tmp_path / "temp")) as client:
        answer = client.post("/api/score", files=[("files", ("自评表.pdf", pdf.read_bytes()))], data={"policy": "liaoning"})
    assert answer.status_code == 200
    body = json.loads(answer.text, parse_float=Decimal)
    assert [(r["total"], r["grade"]) for r in body["results"]] == [(Decimal("98.32"), "优")]


def test_documents_run_under_the_shared_limits(tmp_path, monkeypatch):
    """A document holding more tables than a workbook may hold sheets, or more cells than a
    sheet may hold, is refused with one line naming the file, as every reader refuses."""
    import docx

    from perfscore import limits

    doc = docx.Document()
    for _ in range(4):
        doc.add_table(rows=2, cols=2).cell(0, 0).text = "x"
    doc.save(tmp_path / "many.docx")
    monkeypatch.setattr(limits, "MAX_TABLES", 3)
    with pytest.raises(SheetError) as caught:
        read_document_tables(tmp_path / "many.docx")
    assert str(caught.value.problems[0]) == f"文件 {tmp_path / 'many.docx'}: 有 4 个表格，超过上限 3，拒绝读取"
    monkeypatch.setattr(limits, "MAX_TABLES", 256)
    monkeypatch.setattr(limits, "MAX_CELLS", 3)
    monkeypatch.setattr("perfscore.forms.documents.MAX_CELLS", 3)
    with pytest.raises(SheetError) as caught:
        read_document_tables(tmp_path / "many.docx")
    assert "有内容的单元格超过 3 个" in str(caught.value.problems[0])
