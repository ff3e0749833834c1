"""The published layout families the reader was not built against (issue 21), hand-filled
from the sample projects as the issue describes them, read with no map: each scores exactly
like its project file, in .xlsx and (through LibreOffice) .xls and .ods."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from familybuilder import chengan, chongqing, hubei_department_book as _hubei_book, hubei_department_model, one_task, sichuan
from formbuilder import Typing, convert, soffice
from test_forms import HB, LN, sample
from perfscore.errors import SheetError
from perfscore.forms import read_form_workbook
from perfscore.policy import preset_policy
from perfscore.scoring import score_sheet

LAYOUTS = {"sichuan": sichuan, "chengan": chengan}
# family → the sample projects filled into it (liaoning preset: 执行率 10 分, indicators 90 分)
FILLED = {
    "sichuan": [LN / "zhengfu_goumai_falv_fuwu.yaml", LN / "fazhi_jianshe.yaml", LN / "renmin_tiaojie.yaml"],
    "chengan": [LN / "zhengfu_goumai_falv_fuwu.yaml", LN / "fazhi_jianshe.yaml", LN / "renmin_jingcha_fuzhuang.yaml"],
}


def build_family(layout: str, path: Path, files: list[Path], typing: Typing | None = None, **options) -> Path:
    wb = openpyxl.Workbook()
    for i, file in enumerate(files):
        model = sample(file)
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = model.name[:31]
        LAYOUTS[layout](ws, model, typing or Typing(), **options)
    wb.save(path)
    return path


def assert_scores_like_samples(path: Path, files: list[Path]) -> None:
    policy = preset_policy("liaoning")
    forms = read_form_workbook(path)
    assert [f.sheet.name for f in forms] == [sample(f).name for f in files]
    for form, file in zip(forms, files):
        want = score_sheet(sample(file), policy)
        got = score_sheet(form.sheet, policy, form.source)
        assert [(i.name, i.weight, i.score) for i in got.indicators] == [(i.name, i.weight, i.score) for i in want.indicators]
        assert got.execution_score == want.execution_score
        assert (got.total, got.grade) == (want.total, want.grade)


@pytest.mark.parametrize("typing", [Typing(), Typing(numbers=True, merge_level1=True)], ids=["text", "numbers"])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_family_scores_like_the_project_files(layout, typing, tmp_path):
    path = build_family(layout, tmp_path / f"{layout}.xlsx", FILLED[layout], typing)
    assert_scores_like_samples(path, FILLED[layout])


@pytest.fixture(scope="module")
def family_books(tmp_path_factory):
    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("families")
    books = [build_family(layout, folder / f"{layout}.xlsx", FILLED[layout], Typing(numbers=True)) for layout in LAYOUTS]
    books.append(_chongqing_book(folder / "chongqing.xlsx", Typing(numbers=True)))
    books.append(_hubei_book(folder / "hubei_department.xlsx", Typing(numbers=True)))
    out = {}
    for fmt in ("xls", "ods"):
        for book in convert(books, fmt, folder / fmt, folder / "profile"):
            out[(book.stem, fmt)] = book
    return out


@pytest.mark.parametrize("fmt", ["xls", "ods"])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_family_converted_by_libreoffice_scores_alike(family_books, layout, fmt):
    assert_scores_like_samples(family_books[(layout, fmt)], FILLED[layout])


def _with(file: Path, **changes):
    """A sample project with some of its indicators changed: ``changes`` maps a field to a
    list of values, one per indicator (None leaves it)."""
    model = sample(file)
    indicators = [ind.model_copy(update={k: v[i] for k, v in changes.items() if v[i] is not None})
                  for i, ind in enumerate(model.indicators)]
    return model.model_copy(update={"indicators": indicators})


def _one_sheet(layout: str, path: Path, model, **options) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = model.name[:31]
    LAYOUTS[layout](wb.active, model, Typing(), **options)
    wb.save(path)
    return path


def test_chengan_shares_of_the_indicator_part_are_scaled_and_said(tmp_path, monkeypatch):
    """权重占比(%) whose indicator rows alone sum to 100: each is a share of the indicator part
    (100 − the 预算执行率 row's 10), and a finding says so; the form scores like the project."""
    import familybuilder

    model = _with(LN / "zhengfu_goumai_falv_fuwu.yaml", weight=[Decimal(18)] * 4 + [Decimal(9)] * 2,
                  reported_score=[None] * 6)
    monkeypatch.setattr(familybuilder, "_share_of_indicators", True)
    path = _one_sheet("chengan", tmp_path / "share.xlsx", model)
    [form] = read_form_workbook(path)
    assert [i.weight for i in form.sheet.indicators] == [Decimal(18)] * 4 + [Decimal(9)] * 2
    assert any("按指标部分" in f and "I13" in f for f in form.findings)
    policy = preset_policy("liaoning")
    assert score_sheet(form.sheet, policy).total == score_sheet(model, policy).total


def test_chengan_shares_that_sum_to_neither_are_refused(tmp_path):
    model = _with(LN / "zhengfu_goumai_falv_fuwu.yaml", weight=[Decimal(18)] * 4 + [Decimal(9), Decimal(8)])
    path = _one_sheet("chengan", tmp_path / "bad.xlsx", model)
    with pytest.raises(SheetError) as caught:
        read_form_workbook(path)
    [line] = map(str, caught.value.problems)
    assert "单元格 I13「权重占比（%）」" in line and "合计 89" in line and "为 99" in line


def test_sichuan_cause_and_remedy_column_is_the_cause(tmp_path):
    """未完成原因及拟采取的改进措施 is the cause column: the row's text is its cause."""
    text = "年底有待结算费用，下一步及时结清"
    model = _with(LN / "zhengfu_goumai_falv_fuwu.yaml", cause=[text] + [None] * 5)
    [form] = read_form_workbook(_one_sheet("sichuan", tmp_path / "cause.xlsx", model, fill_cause=True))
    assert form.sheet.indicators[0].cause == text
    assert form.cells["indicators[0].cause"] == "K15"


def test_budget_header_is_never_read_as_a_value(tmp_path):
    """A budget block with no 执行数 column: the reader falls back to label/value pairs and
    never takes the header right of 预算执行率 (权重) as its value."""
    path = _one_sheet("sichuan", tmp_path / "s.xlsx", sample(LN / "zhengfu_goumai_falv_fuwu.yaml"))
    wb = openpyxl.load_workbook(path)
    wb.active["F6"] = "支出数"
    wb.save(path)
    with pytest.raises(SheetError) as caught:
        read_form_workbook(path)
    text = "\n".join(map(str, caught.value.problems))
    assert "找不到「全年执行数」" in text and "「权重」不是" not in text


@pytest.mark.parametrize("nature_levels", [False, True], ids=["kind", "levels"])
@pytest.mark.parametrize("typing", [Typing(), Typing(numbers=True)], ids=["text", "numbers"])
def test_chongqing_flat_list_scores_like_the_department(typing, nature_levels, tmp_path):
    """重庆: no 一级/二级 columns, the unit named by 主管部门, 自评总分 on top, execution on one
    line: every indicator scored by its 指标权重, exactly like the department file (its tasks
    as the one line); 指标性质 gives the 一级 when it names one."""
    model = one_task(sample(LN / "zhengti.yaml"))
    form = assert_chongqing_scores(_chongqing_book(tmp_path / "cq.xlsx", typing, nature_levels))
    levels = {i.level1 for i in form.sheet.indicators}
    assert levels == ({i.level1 for i in model.indicators} if nature_levels else {"绩效指标"})
    assert any("没有一级/二级指标列" in f for f in form.findings) != nature_levels


def _chongqing_book(path: Path, typing: Typing, nature_levels: bool = False, edit=None) -> Path:
    wb = openpyxl.Workbook()
    chongqing(wb.active, one_task(sample(LN / "zhengti.yaml")), typing, nature_levels=nature_levels)
    wb.active.title = "整体自评"
    if edit:
        edit(wb.active)
    wb.save(path)
    return path


def assert_chongqing_scores(path: Path):
    model = one_task(sample(LN / "zhengti.yaml"))
    [form] = read_form_workbook(path)
    policy = preset_policy("liaoning")
    want, got = score_sheet(model, policy), score_sheet(form.sheet, policy, form.source)
    assert form.sheet.name == model.name
    assert [(i.name, i.weight, i.score) for i in got.indicators] == [(i.name, i.weight, i.score) for i in want.indicators]
    assert [t.score for t in got.tasks] == [t.score for t in want.tasks]
    assert (got.total, got.grade) == (want.total, want.grade)
    return form


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_chongqing_converted_by_libreoffice_scores_alike(family_books, fmt):
    assert_chongqing_scores(family_books[("chongqing", fmt)])


def test_flat_list_without_weights_is_refused(tmp_path):
    """No 一级 column and no 权重 column: the indicators cannot be given their points."""
    def drop_weights(ws):
        for row in ws.iter_rows():
            for cell in row:
                if cell.column == 8 and cell.row >= 6:
                    cell.value = None
    path = _chongqing_book(tmp_path / "cq.xlsx", Typing(), edit=drop_weights)
    with pytest.raises(SheetError) as caught:
        read_form_workbook(path)
    assert any("没有一级指标列（表头在第6行），也没有权重/分值列" in str(p) for p in caught.value.problems)


def _same_reading(document: Path, sheet: Path) -> None:
    """The forms inside ``document`` read and score exactly like the sheet it came from."""
    from perfscore.forms import read_form_document
    from perfscore.output import result_dict

    policy = preset_policy("liaoning")
    want, got = read_form_workbook(sheet), read_form_document(document)
    assert [f.sheet.name for f in got] == [f.sheet.name for f in want]
    for a, b in zip(want, got):
        assert [(i.name, i.weight) for i in b.sheet.indicators] == [(i.name, i.weight) for i in a.sheet.indicators]
        assert result_dict(score_sheet(b.sheet, policy, a.source)) == result_dict(score_sheet(a.sheet, policy, a.source))


@pytest.mark.parametrize("family", ["sichuan", "chengan", "chongqing", "hubei_department"])
def test_family_inside_a_word_report_scores_like_the_sheet(family, tmp_path):
    from documents import word_report

    if family == "chongqing":
        sheet = _chongqing_book(tmp_path / "cq.xlsx", Typing())
    elif family == "hubei_department":
        sheet = _hubei_book(tmp_path / "hb.xlsx", Typing())
    else:
        sheet = build_family(family, tmp_path / f"{family}.xlsx", FILLED[family], Typing())
    _same_reading(word_report(sheet, tmp_path / f"{family}.docx"), sheet)


@pytest.fixture(scope="module")
def family_pdfs(tmp_path_factory):
    from documents import printable

    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("family-pdf")
    sheets = {layout: build_family(layout, folder / f"{layout}.xlsx", FILLED[layout], Typing()) for layout in LAYOUTS}
    sheets["chongqing"] = _chongqing_book(folder / "chongqing.xlsx", Typing())
    sheets["hubei_department"] = _hubei_book(folder / "hubei_department.xlsx", Typing())
    sources = [printable(path, folder / f"{name}-print.xlsx") for name, path in sheets.items()]
    pdfs = convert(sources, "pdf", folder / "pdf", folder / "profile")
    return {name: (pdf, sheets[name]) for name, pdf in zip(sheets, pdfs)}


@pytest.mark.parametrize("family", ["sichuan", "chengan", "chongqing", "hubei_department"])
def test_family_printed_to_pdf_scores_like_the_sheet(family_pdfs, family):
    pdf, sheet = family_pdfs[family]
    _same_reading(pdf, sheet)


def test_slot_prefixes_of_the_blank_form_are_not_in_the_names(tmp_path):
    """The blank form's 指标1：, 指标2 typed over: 指标1工程资金金额 is 工程资金金额; a name that only
    begins with 指标 is kept."""
    names = ["指标1决策咨询建议数量", "指标2：法律建议稿及说明数量", "指标完成率", None, None, None]
    model = _with(LN / "zhengfu_goumai_falv_fuwu.yaml", name=names)
    [form] = read_form_workbook(_one_sheet("sichuan", tmp_path / "slots.xlsx", model))
    assert [i.name for i in form.sheet.indicators][:3] == ["决策咨询建议数量", "法律建议稿及说明数量", "指标完成率"]


# ------------------------------------------------------------------ 湖北 整体绩效自评表 (seed 004)

def assert_hubei_department_scores(path: Path):
    """Seed 004's figures: 部门整体支出总额 3469.73 / 3469.73 = 100% (the sheet prints 100%) → 20 of
    20; every target met → 100.00, 优 (the 决算's text: 绩效评价等级为优); exactly like the file."""
    model = hubei_department_model()
    [form] = read_form_workbook(path) if path.suffix != ".docx" and path.suffix != ".pdf" else _document(path)
    policy = preset_policy("hubei")
    got, want = score_sheet(form.sheet, policy, form.source), score_sheet(model, policy)
    assert (form.sheet.kind, form.sheet.name, form.sheet.year) == ("department", "武汉市硚口区司法局", 2024)
    [task] = form.sheet.tasks
    assert (task.name, task.budget, task.executed, task.weight) == ("部门整体支出总额", Decimal("3469.73"), Decimal("3469.73"), 20)
    assert [(t.execution_rate, t.score) for t in got.tasks] == [(Decimal("100.00"), Decimal("20.00"))]
    assert [(i.name, i.weight, i.score) for i in got.indicators] == [(i.name, i.weight, i.score) for i in want.indicators]
    assert len(got.indicators) == 52 and (got.total, got.grade) == (Decimal("100.00"), "优") == (want.total, want.grade)
    bare = lambda text: "".join(text.split())  # noqa: E731 - a document joins a cell's lines
    assert (bare(form.sheet.cause), bare(form.sheet.remedy)) == (bare(model.cause), bare(model.remedy))
    assert not got.discrepancies
    return form


def _document(path: Path):
    from perfscore.forms import read_form_document

    return read_form_document(path)


@pytest.mark.parametrize("typing", [Typing(), Typing(numbers=True, merge_level1=True)], ids=["text", "numbers"])
def test_hubei_department_form_scores_the_seed_figures(typing, tmp_path):
    assert_hubei_department_scores(_hubei_book(tmp_path / "hb.xlsx", typing))


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_hubei_department_converted_by_libreoffice_scores_alike(family_books, fmt):
    assert_hubei_department_scores(family_books[("hubei_department", fmt)])


def test_hubei_department_in_documents_scores_the_seed_figures(tmp_path, family_pdfs):
    from documents import word_report

    assert_hubei_department_scores(word_report(_hubei_book(tmp_path / "hb.xlsx", Typing()), tmp_path / "hb.docx"))
    assert_hubei_department_scores(family_pdfs["hubei_department"][0])


def test_hubei_department_form_as_published_is_refused_naming_the_points(tmp_path):
    """As the seed prints it (no （20 分）, no 分值 column) the form has no points, and a
    department file must carry them (SCORING.md §6): one line naming what was looked for and where."""
    with pytest.raises(SheetError) as caught:
        read_form_workbook(_hubei_book(tmp_path / "hb.xlsx", Typing(), scored=False))
    [problem] = caught.value.problems
    text = str(problem)
    assert "工作表「整体绩效自评表」" in text and "预算执行（C5「部门整体支出总额」）没有分值" in text
    assert "单元格 A4「预算执行情况 (万元)」后的分值" in text and "第4行预算表头的「分值」" in text
    assert "绩效指标表（表头在第7、13、20等行）也没有「分值」「权重」列" in text


# ------------------------------------------------------------------ a lone budget column

def test_a_lone_budget_column_is_the_full_year_budget(tmp_path):
    """湖北's 预算数（A） (and 成安's 预算数) is the one budget its 执行率（B/A） divides by: read as the
    全年预算数 (SCORING.md §3), the 年初预算数 the same figure (PROJECT_FILE.md: initial required,
    the two the same when only one is known), from the same cell; the outputs show it as 全年预算数."""
    from conftest import run
    from formbuilder import build
    from perfscore.web.engine import _budget

    model = sample(HB / "01_bawu_pufa.yaml")  # 年初 15.85, 全年 7.99: the form prints only 预算数（A） 7.99
    path = build(tmp_path / "hb.xlsx", [(model.name, model)], "hubei")
    [form] = read_form_workbook(path)
    budget = form.sheet.budget
    assert (budget.initial, budget.adjusted, budget.executed) == (Decimal("7.99"), Decimal("7.99"), Decimal("7.99"))
    assert form.cells["budget.adjusted"] == form.cells["budget.initial"] == "D8"
    result = score_sheet(form.sheet, preset_policy("hubei"), form.source)
    assert ["全年预算数（万元）", "7.99"] in _budget(form.sheet, result)
    out = run("score", path, "--policy", "hubei")
    assert out.exit_code == 0 and "全年预算数 7.99 万元  全年执行数 7.99 万元" in out.stdout
    chengan_model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    [form] = read_form_workbook(_one_sheet("chengan", tmp_path / "ca.xlsx", chengan_model))
    assert (form.sheet.budget.initial, form.sheet.budget.adjusted) == (Decimal("26.6"), Decimal("26.6"))
    # a block that names its columns keeps them apart (四川: 年初预算 | 调整后预算数)
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    model = model.model_copy(update={"budget": model.budget.model_copy(update={"adjusted": Decimal("20")})})
    [form] = read_form_workbook(_one_sheet("sichuan", tmp_path / "sc.xlsx", model))
    assert (form.sheet.budget.initial, form.sheet.budget.adjusted) == (Decimal("26.6"), Decimal("20"))
