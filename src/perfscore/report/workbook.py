"""summary.xlsx: sheets 项目, 指标, 问题 and 汇总, streamed and written atomically.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from ..errors import Failure
from ..policy import PolicyLabels
from ..scoring import SheetScore
from ..terms import GRADES
from ..writing import TEMP_PREFIX, atomic_file, fork_writer, stopped_on_error
from ..xlsx.stream import HEADER, MAX_WIDTH, ROWS, ROWS_BYTES, TOTAL, WRAP, PageSetup, Workbook, render_rows
from ..textwidth import cell_width
from .digests import Digest, Part, Results
from .documents import Grouping, group_results, mixed_policies, overview_paragraphs
from .figures import SummaryFigures, unit_of


PROJECT_HEADERS = ["实施单位", "主管部门", "项目名称", "类型", "年度", "年初预算数（万元）", "全年预算数（万元）", "全年执行数（万元）", "执行率(%)",
                   "执行率得分", "指标得分", "减分", "总分", "等级", "评分规则", "提示数", "不一致数", "来源文件"]
INDICATOR_HEADERS = ["实施单位", "项目名称", "一级指标", "二级指标", "三级指标", "指标值", "全年完成值", "完成程度(%)",
                     "分值", "得分", "需说明偏差", "偏差原因", "改进措施"]
PROBLEM_HEADERS = ["类别", "实施单位", "文件", "项目", "指标", "字段", "单元格", "问题", "原表值", "应为"]
UNIT_HEADERS = ["单位", "项目数", "涉及资金（万元）", "平均分", *GRADES]
EXCEL_ROWS = 1_048_576  # the rows of one Excel sheet, its header included: a longer table goes on


class Table:
    """One table of summary.xlsx on as many sheets as Excel's row limit needs: 指标, 指标 (2),
    指标 (3), …, each opening with the header. ``new_sheet(name, after)`` makes the next sheet
    (the workbook's ``add_sheet``; in a forked child, one spooled into a part file). The
    header is written when ``sheet`` is still empty."""

    def __init__(self, sheet, headers: list[str], new_sheet):
        self.sheets = [sheet]
        self.headers = headers
        self._new_sheet = new_sheet
        self.limit = EXCEL_ROWS
        if not sheet.rows:
            sheet.write_row(headers, HEADER)

    def write_row(self, values, style: int | None = None) -> None:
        sheet = self.sheets[-1]
        if sheet.rows >= self.limit:
            sheet = self._next()
        sheet.write_row(values, style)

    def write_rendered(self, xml: bytes, count: int, widths: bytes, row_widths: bytes) -> None:
        """``count`` rows rendered already (a ``Rendered``), ``widths`` the widest of their
        cells per column, ``row_widths`` each row's own (for rows that go on two sheets)."""
        sheet = self.sheets[-1]
        if sheet.rows + count <= self.limit:
            if count:
                sheet.write_rendered(xml, widths)
            return
        step = len(widths)
        for n, row in enumerate(xml.split(ROWS_BYTES)):
            if sheet.rows >= self.limit:
                sheet = self._next()
            sheet.write_rendered(row, row_widths[n * step:(n + 1) * step])

    def _next(self):
        last = self.sheets[-1]
        if last.autofilter is None:
            self.set_autofilter()
        sheet = self._new_sheet(f"{self.sheets[0].name} ({len(self.sheets) + 1})", last)
        self.sheets.append(sheet)
        sheet.write_row(self.headers, HEADER)
        return sheet

    def set_autofilter(self) -> None:
        """Filter buttons over the rows so far of each sheet without them (the 合计 rows
        written after stay outside)."""
        for sheet in self.sheets:
            if sheet.autofilter is None:
                sheet.set_autofilter(0, sheet.rows - 1, 0, len(self.headers) - 1)

    def note(self) -> str | None:
        """The 汇总 sheet's line on a table that did not fit one sheet (None when it did)."""
        if len(self.sheets) == 1:
            return None
        rows = sum(s.rows - 1 for s in self.sheets)
        rest = "、".join(f"「{s.name}」" for s in self.sheets[1:])
        return (f"「{self.sheets[0].name}」表共 {rows:,} 行（不含表头），超过 Excel 每张工作表 {self.limit:,} 行"
                f"（含表头）的上限，续在{rest}表，每张表的第一行为表头")


def target_rows(targets: tuple | None):
    """The 问题 sheet's rows of ``batch --targets`` (类别 目标): each finding by indicator and
    cell, and each sheet no single declaration matched."""
    from ..targets import KIND_LABELS

    checked, unmatched = targets or ((), ())
    for c in checked:
        for f in c.findings:
            yield ["目标", c.unit or "", c.source, c.name, f.indicator, KIND_LABELS[f.kind], f.cell or None, f.message,
                   None, None]
    for f in unmatched:
        for p in f.problems:
            yield ["目标", f.unit or "", p.file or f.source, f.name or "", None, None, None, p.message, None, None]


def total_rows(figures: SummaryFigures) -> list[list]:
    """The 合计 rows under the 项目 sheet: project sheets (count, Σ amounts, mean 总分, grades)
    and, when there are any, 整体 sheets — the same figures as the 汇总 sheet and the 说明."""
    grades = "，".join(f"{g} {figures.grades.get(g, 0)}" for g in GRADES)
    rows = [["合计", None, f"项目 {figures.projects} 个", "项目", None, figures.initial, figures.funds, figures.executed,
             None, None, None, None, figures.average, grades]]
    if figures.departments:
        rows.append(["合计", None, f"整体 {figures.departments} 个", "整体", None, None, None, None, None, None, None, None,
                     figures.department_average])
    return rows


def kind_label(result: SheetScore | Digest) -> str:
    return "整体" if result.kind == "department" else "项目"


def project_row(r: Digest, labels: PolicyLabels | None = None) -> list:
    """A sheet's row of the 项目 table (PROJECT_HEADERS)."""
    labels = PolicyLabels() if labels is None else labels
    return [
        unit_of(r), r.department or "", r.name, kind_label(r), r.year,
        r.budget_initial if r.kind != "department" else None, r.budget_adjusted, r.budget_executed,
        r.execution_rate, r.execution_score, r.indicator_score, r.deduction, r.total, r.grade, labels[r.policy],
        r.warning_count, r.discrepancy_count, r.source,
    ]


class Rendered(NamedTuple):
    """A sheet's rows of one table of summary.xlsx, rendered (``render_rows``): UTF-8, one
    after the other, each row's number left as ``ROW``, the rows apart by ``ROWS``."""

    xml: bytes
    count: int
    widths: bytes  # the widest cell of the rows in each column (render_row caps them at MAX_WIDTH)
    row_widths: bytes  # each row's own widths, one after the other

    def dump(self) -> bytes:
        head = self.count.to_bytes(4, "little") + len(self.widths).to_bytes(2, "little")
        return head + self.widths + self.row_widths + self.xml

    @classmethod
    def load(cls, data: bytes) -> "Rendered":
        count, step = int.from_bytes(data[:4], "little"), int.from_bytes(data[4:6], "little")
        rows_at = 6 + step * (count + 1)
        return cls(data[rows_at:], count, data[6:6 + step], data[6 + step:rows_at])


def _rendered(rows: list[list]) -> Rendered:
    xml, widest, row_widths = render_rows(rows)
    return Rendered(xml.encode("utf-8"), len(rows), widest, row_widths)


def _project_rendered(r: Digest, rows: tuple, detail, labels: PolicyLabels) -> Rendered:
    return _rendered([project_row(r, labels)])


def _indicators_rendered(r: Digest, rows: tuple, detail, labels: PolicyLabels) -> Rendered:
    unit, name = unit_of(r), r.name
    return _rendered([[unit, name, *row] for row in rows])


def _problems_rendered(r: Digest, rows: tuple, detail, labels: PolicyLabels) -> Rendered:
    return _rendered([row[:-1] for row in sheet_problem_rows(r, detail, labels)])


# each sheet's rows of the 项目 and the 指标 table, as the batch's workers build them
PROJECT_PART = Part("项目", _project_rendered, Rendered.dump, Rendered.load)
INDICATOR_PART = Part("指标", _indicators_rendered, Rendered.dump, Rendered.load)
PROBLEM_PART = Part("问题", _problems_rendered, Rendered.dump, Rendered.load)  # the sheet's own rows


def leading_problem_rows(results: Results, failures: list[Failure], grouping: Grouping, duplicates: list[Failure] = (),
                         labels: PolicyLabels | None = None):
    """The 问题 table's rows before the scored sheets' own (``sheet_problem_rows``): the files
    that could not be scored, the policy lines of a batch that mixes policies, the copies of
    a project not counted; each with the 评分规则 of the sheet it is about (None when none)."""
    labels = PolicyLabels() if labels is None else labels
    for f in failures:
        for p in f.problems:
            yield ["错误", f.unit or "", p.file or f.source, p.project or f.name or "", p.indicator,
                   p.field, p.cell, p.message, None, None], None
    for r, line in mixed_policies(results, grouping):
        yield ["评分规则", unit_of(r), r.source, r.name, None, None, None, line, None, None], labels[r.policy]
    for f in duplicates:
        for p in f.problems:
            yield ["重复提交", f.unit or "", p.file or f.source, p.project or f.name or "", None,
                   None, None, p.message, None, None], None


def sheet_problem_rows(r: Digest, detail, labels: PolicyLabels) -> list[list]:
    """One scored sheet's rows of the 问题 table (its discrepancies, then its warnings), each
    ending with its 评分规则."""
    if not (r.discrepancy_count or r.warning_count):
        return []
    unit, name, rules = unit_of(r), r.name, labels[r.policy]
    rows = [["不一致", unit, r.source, name, indicator or None, field, cell or None, label, reported, computed, rules]
            for label, reported, computed, indicator, field, cell in detail.discrepancies]
    rows += [["提示", unit, r.source, name, None, None, None, w, None, None, rules] for w in detail.warnings]
    return rows


def write_summary(results: Results | list[SheetScore], failures: list[Failure], path: Path,
                  grouping: Grouping | None = None, parallel: bool = False, targets: tuple | None = None,
                  duplicates: list[Failure] = ()) -> None:
    """summary.xlsx: sheets 项目, 指标, 问题 and 汇总, written atomically, reading each
    sheet's detail once per sheet of rows (``grouping``: ``group_results`` of these results,
    when the caller has it already). With ``parallel`` (where fork exists) a forked child
    writes the 指标 sheet, the largest, while this process writes the others. ``duplicates``:
    the extra copies of a project (重复提交), listed on 问题, never counted."""
    results = Results.of(results)
    path = Path(path)
    with atomic_file(path) as fh, Workbook(fh, tmpdir=str(path.parent), page_setup=PageSetup()) as book:
        sheets = book.add_sheet("项目"), book.add_sheet("指标"), book.add_sheet("问题")
        new_sheet = lambda name, after: book.add_sheet(name, after=after)  # noqa: E731
        part = str(path.parent / f"{TEMP_PREFIX}{os.getpid()}-{path.stem}-indicators.part")
        child = fork_writer(lambda: _indicator_sheet(results, book, sheets[1], part), path.name) if parallel else None
        if child is None:
            indicators = _indicator_sheet(results, book, sheets[1])
        with stopped_on_error(child):
            projects = Table(sheets[0], PROJECT_HEADERS, new_sheet)
            labels = PolicyLabels()
            for rendered in results.built(PROJECT_PART, labels):
                projects.write_rendered(*rendered)
            projects.set_autofilter()
            grouping = grouping or group_results(results, failures)
            for row in total_rows(grouping.overall.figures(len(failures))):
                projects.write_row(row, TOTAL)

            problems = Table(sheets[2], PROBLEM_HEADERS, new_sheet)
            for row, _ in leading_problem_rows(results, failures, grouping, duplicates, labels):
                problems.write_row(row)
            for rendered in results.built(PROBLEM_PART, labels):
                problems.write_rendered(*rendered)
            for row in target_rows(targets):
                problems.write_row(row)
            problems.set_autofilter()

            overview = book.add_sheet("汇总")
            groups, year = grouping.groups, grouping.overall.year
            for n, group in enumerate(groups):
                if n:
                    overview.write_row([])
                numbers = group.figures()
                paragraph = overview_paragraphs(numbers, year, group.report_style)[0]
                _write_overview(overview, numbers, group.title if len(groups) > 1 else "", paragraph)
        if child is not None:
            indicators = _adopt(book, sheets[1], part, child.join())
        notes = [n for n in (t.note() for t in (projects, indicators, problems)) if n]
        if notes:
            overview.write_row([])
        for n in notes:
            overview.write_row(["续表", n], WRAP, lines=-(-cell_width(n) // MAX_WIDTH))


def _part(part: str, n: int) -> str:
    """The part file of the ``n``-th sheet (from 1) of the 指标 table a forked child writes."""
    return part if n == 1 else f"{part[:-len('.part')]}-{n}.part"


def _indicator_sheet(results: Results, book, sheet, part: str | None = None) -> "Table | list[tuple]":
    """The 指标 table, one row per 三级指标 of every sheet, from ``sheet`` on: into the files
    ``part``, ``part``-2, … (in a forked child, returning each sheet's state for ``_adopt``)
    or into the workbook itself (returning the table)."""
    def new_sheet(name, after):
        made = book.add_sheet(name, after=after)
        if part is not None:
            made.respool(_part(part, len(table.sheets) + 1))
        return made

    if part is not None:
        sheet.respool(part)
    table = Table(sheet, INDICATOR_HEADERS, new_sheet)
    write = table.write_rendered
    for rendered in results.built(INDICATOR_PART, PolicyLabels()):
        write(*rendered)
    table.set_autofilter()
    return [s.state() for s in table.sheets] if part is not None else table


def _adopt(book, sheet, part: str, states: list[tuple]) -> Table:
    """The 指标 table a forked child wrote (``_indicator_sheet`` with ``part``), in this workbook."""
    sheet.adopt(part, states[0])
    table = Table(sheet, INDICATOR_HEADERS, None)
    for n, state in enumerate(states[1:], 2):
        table.sheets.append(book.add_sheet(f"{sheet.name} ({n})", after=table.sheets[-1]))
        table.sheets[-1].adopt(_part(part, n), state)
    return table


def _write_overview(sheet, figures: SummaryFigures, title: str = "", paragraph: str = "") -> None:
    """One group's figures, its 说明 paragraph, and its units' counts by grade and funds."""
    if title:
        sheet.write_row([title], HEADER)
    sheet.write_row(["汇总项", "数值"], HEADER)
    rows: list[tuple[str, object]] = [("项目自评个数", figures.projects)]
    rows += [(f"等级“{g}”项目数", figures.grades.get(g, 0)) for g in GRADES]
    rows += [
        ("涉及资金（" + ("全年执行数" if figures.report_funds == "executed" else "全年预算数") + "，万元）", figures.counted),
        ("年初预算数（万元）", figures.initial),
        ("全年预算数（万元）", figures.funds),
        ("全年执行数（万元）", figures.executed),
        ("项目自评平均分", figures.average),
        ("自评覆盖率(%)", figures.coverage),
        ("整体绩效自评个数", figures.departments),
        ("整体自评涉及资金（万元）", figures.department_counted),
        ("整体自评平均分", figures.department_average),
        ("未能评分个数", figures.failed),
    ]
    for label, value in rows:
        sheet.write_row([label, value])
    if paragraph:  # wrapped in column B (as wide as the sheet allows), its row as high as its lines
        sheet.write_row(["说明", paragraph], WRAP, lines=-(-cell_width(paragraph) // MAX_WIDTH))
    sheet.write_row([])
    first = sheet.rows
    sheet.write_row(UNIT_HEADERS, HEADER)
    for u in figures.units:
        sheet.write_row([u.unit, u.projects, u.funds, u.average, *(u.grades.get(g, 0) for g in GRADES)])
    if not title:  # Excel allows one filter per sheet: only when the sheet holds one group
        sheet.set_autofilter(first, sheet.rows - 1, 0, len(UNIT_HEADERS) - 1)
