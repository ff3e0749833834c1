"""report.md and report.html (预算绩效情况说明) rendered with jinja2, streamed and written atomically.
"""

from __future__ import annotations

import functools
import os
import pickle
import re
from array import array
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from ..errors import Failure
from ..resources import templates_dir
from ..scoring import SheetScore
from ..terms import GRADES
from ..values import format_number
from ..writing import TEMP_PREFIX, atomic_file
from ..policy import Policy, PolicyLabels, policy_label
from .charts import ScoreBars, grade_chart
from .digests import Digest, Results
from .figures import SummaryFigures, Tally, unit_of
from .narrative import chinese_number, style_text, titled


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")


def md_escape(value: object) -> str:
    """User text inside Markdown: one line, every markup character backslash-escaped."""
    text = " ".join(str(value).split())
    return _MD_SPECIAL.sub(r"\\\1", text) if _MD_SPECIAL.search(text) else text


def md_code(value: object) -> str:
    """A file path as a Markdown code span (no escapes needed inside)."""
    text = " ".join(str(value).split())
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"

@dataclass
class Overview:
    """What a 说明 paragraph is written from (the style template's ``o``)."""

    year: int | None
    projects: int
    funds: str  # 涉及资金, 万元, per the policy's report_funds
    sources: dict[str, dict[str, object]] | None  # general / fund / state_capital → count, amount
    coverage: str
    average: str
    grades: dict[str, int]
    given_grades: list[tuple[str, int]]
    departments: int
    department_funds: str  # the departments' own budgets (department_budget), else their tasks' total
    department_average: str


def overview_facts(figures: SummaryFigures, year: int | None) -> Overview:
    sources = None
    if figures.sources is not None:
        sources = {key: {"count": count, "amount": format_number(amount)} for key, (count, amount) in figures.sources.items()}
    return Overview(
        year=year, projects=figures.projects, funds=format_number(figures.counted), sources=sources,
        coverage=format_number(figures.coverage), average=format_number(figures.average),
        grades=dict(figures.grades), given_grades=[(g, n) for g, n in figures.grades.items() if n],
        departments=figures.departments, department_funds=format_number(figures.department_counted),
        department_average=format_number(figures.department_average),
    )


def overview_paragraphs(figures: SummaryFigures, year: int | None, style: str = "liaoning") -> list[str]:
    """The 绩效自评工作开展情况 paragraph, in the 决算说明's words (the policy's report style)."""
    return [style_text(style, "overview", overview_facts(figures, year))]


@dataclass
class Group:
    """The sheets one 说明 paragraph speaks for: one policy's (or, under one policy, one
    主管部门's), with the failures of its units. It keeps its sheets' figures and their
    places in the results (4 bytes a sheet), not the sheets."""

    key: str
    title: str
    policy: str
    report_funds: str
    report_style: str
    tally: Tally = field(default_factory=Tally)
    projects: array = field(default_factory=lambda: array("I"))  # places in the results, in order
    departments: array = field(default_factory=lambda: array("I"))
    names: dict[str, None] = field(default_factory=dict)  # its 主管部门, in order of appearance
    units: set[str] = field(default_factory=set)  # the units and 主管部门 a failure is matched against
    failures: list[Failure] = field(default_factory=list)

    def figures(self) -> SummaryFigures:
        return self.tally.figures(len(self.failures))


@dataclass
class Grouping:
    """The report's groups, the figures of all results and what their charts need, from
    two passes over them."""

    groups: list[Group]
    overall: Tally
    project_bars: ScoreBars = field(default_factory=ScoreBars)
    department_bars: ScoreBars = field(default_factory=ScoreBars)
    department_grades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))
    policies: dict[str, int] = field(default_factory=dict)  # each policy shown, in order of appearance → sheets
    items: "ReportItems | None" = None  # each sheet's part of the reports, once for md, html and docx

    def mixed(self) -> bool:
        """Whether the sheets were scored under more than one policy (their grades do not compare)."""
        return len(self.policies) > 1


def policy_line(policy: str, grouping: Grouping) -> str:
    """The 问题清单's line for a sheet of a batch scored under several policies."""
    return f"按评分规则 {policy} 评分（本批共用了 {len(grouping.policies)} 种评分规则：{'、'.join(grouping.policies)}，各规则下的得分与等级不可直接比较）"


def mixed_policies(results: Results, grouping: Grouping):
    """Each sheet with its policy line, when the batch mixes policies (else nothing)."""
    if grouping.mixed():
        lines: dict[str, str] = {}
        for r in results:
            if r.policy not in lines:
                lines[r.policy] = policy_line(policy_label(r.policy), grouping)
            yield r, lines[r.policy]


def policy_title(name: str) -> str:
    """A policy as a heading names it: a shipped preset in the province's words (辽宁省评分规则,
    from its folder's province.yaml), a policy file by its path (``policy_label``)."""
    from ..resources import provinces

    if name == "default":
        return "通用评分规则"
    province = provinces().get(name)
    if province is not None and province.policy is not None:
        return f"{province.title}评分规则"
    return f"评分规则 {policy_label(name)}"


def department_of(result: Digest) -> str:
    """The 主管部门 a sheet is reported under (a department sheet: itself)."""
    return result.department or unit_of(result)


def group_results(results: Results | list[Digest], failures: list[Failure]) -> Grouping:
    """The report's groups, in the order the results come: by policy when the sheets were
    scored under several, else by 主管部门. A failure goes to the group of its unit (the
    first group when no unit matches)."""
    results = Results.of(results)
    grouping = Grouping([], Tally())
    styles = set()
    labels = PolicyLabels()
    for d in results:
        grouping.overall.add(d)
        styles.add((d.policy, d.report_funds, d.report_style))
        shown = labels[d.policy]
        grouping.policies[shown] = grouping.policies.get(shown, 0) + 1
        if d.kind == "department":
            grouping.department_bars.add(d)
            grouping.department_grades[d.grade] = grouping.department_grades.get(d.grade, 0) + 1
        else:
            grouping.project_bars.add(d)
    several = len(styles) > 1
    groups: dict[str, Group] = {}
    for n, d in enumerate(results):
        key = d.policy if several else department_of(d)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key, "", d.policy, d.report_funds, d.report_style, Tally(d.report_funds))
        group.tally.add(d)
        (group.departments if d.kind == "department" else group.projects).append(n)
        group.names[department_of(d)] = None
        group.units.add(unit_of(d))
        if d.department:
            group.units.add(d.department)
    for group in groups.values():
        group.title = f"{'、'.join(group.names)}（{policy_title(group.policy)}）" if several else group.key
    grouping.groups = list(groups.values()) or [Group("", "", "default", "budget", "liaoning")]
    homes: dict[str, Group] = {}  # a unit → the first group that has it
    for group in grouping.groups:
        for unit in group.units:
            homes.setdefault(unit, group)
    for failure in failures:
        (homes.get(failure.unit, grouping.groups[0]) if failure.unit else grouping.groups[0]).failures.append(failure)
    return grouping


BLOCK = 256  # a sheet's parts of the reports are pickled (and rendered) this many at a time


class _Scratch:
    """Lists of items pickled a block at a time into an unlinked scratch file and read back
    by place with ``pread`` (a forked writer reads it too)."""

    def __init__(self, folder: Path | None):
        import tempfile

        self._fh = tempfile.TemporaryFile(dir=folder, prefix=TEMP_PREFIX)  # noqa: SIM115 - closed with the items
        self._end = 0

    def add(self, items: list) -> tuple[int, int]:
        data = pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
        self._fh.write(data)
        place = (self._end, len(data))
        self._end += len(data)
        return place

    def read(self, places: list[tuple[int, int]]):
        self._fh.flush()
        for at, length in places:
            yield from pickle.loads(os.pread(self._fh.fileno(), length, at))


@dataclass
class ReportItems:
    """Each sheet's part of report.md, report.html and report.docx, made in one pass over the
    results and kept in a scratch file (memory does not grow with the sheets): its 自评综述
    entry (the lead, in its group's style, and the text), its 与原表不一致 lines, its 提示 and,
    in a batch of several policies, its policy line — so each detail is read, and each lead
    rendered, once for the three reports."""

    results: Results
    scratch: _Scratch
    blocks: dict[object, list[tuple[int, int]]]  # ("entries", group number, department?) or a problem kind → places

    def read(self, key):
        return self.scratch.read(self.blocks.get(key, ()))


def report_items(results: Results, grouping: Grouping, folder: Path | None = None) -> ReportItems:
    """``grouping``'s ReportItems of ``results``, made on first use (a scratch file in ``folder``)."""
    if grouping.items is not None and grouping.items.results is results:
        return grouping.items
    owner = array("I", bytes(4 * len(results)))  # a place in the results → its group's number
    for number, group in enumerate(grouping.groups):
        for place in group.projects:
            owner[place] = number
        for place in group.departments:
            owner[place] = number
    scratch = _Scratch(folder)
    blocks: dict[object, list[tuple[int, int]]] = {}
    pending: dict[object, list] = {}
    held = 0

    def flush() -> None:
        for key, items in pending.items():
            if items:
                blocks.setdefault(key, []).append(scratch.add(items))
                items.clear()

    counts: dict[tuple, int] = {}
    lines: dict[str, str] = {}
    mixed = grouping.mixed()
    for place, r in enumerate(results):
        number = owner[place]
        key = ("entries", number, r.kind == "department")
        n = counts[key] = counts.get(key, 0) + 1
        detail = results.detail(r)
        who = {"name": r.name, "kind": r.kind, "title": titled(r.name, "项目") if r.kind == "project" else r.name}
        found = [(key, (style_text(grouping.groups[number].report_style, "lead", who, n), detail.review))]
        if r.discrepancy_count or r.warning_count or mixed:
            whom = _who(unit_of(r), r.name)
            if r.discrepancy_count:
                found += [("discrepancies", (whom, r.source, f"{label}：原表 {_plain(reported)}，应为 {_plain(computed)}"))
                          for label, reported, computed, *_ in detail.discrepancies]
            if r.warning_count:
                found.append(("warnings", (whom, r.source, detail.warnings)))
            if mixed:
                if r.policy not in lines:
                    lines[r.policy] = policy_line(policy_label(r.policy), grouping)
                found.append(("policies", (whom, r.source, [lines[r.policy]])))
        for kind, item in found:
            items = pending.setdefault(kind, [])
            items.append(item)
            held += 1
            if len(items) >= BLOCK:
                blocks.setdefault(kind, []).append(scratch.add(items))
                held -= len(items)
                items.clear()
            elif held >= 16 * BLOCK:  # many groups, each with a few: all written out
                flush()
                held = 0
    flush()
    grouping.items = ReportItems(results, scratch, blocks)
    return grouping.items


def _batched(items, size: int = BLOCK):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# the 自评综述 entries and 问题清单 items of report.md and report.html, BLOCK at a time
# (the templates' loops over them: one jinja2 piece a block, not five an entry)

def md_entries(entries):
    for chunk in _batched(entries):
        yield "".join(f"**{md_escape(e['lead'])}**{md_escape(e['text'])}\n\n" for e in chunk)


def html_entries(entries):
    for chunk in _batched(entries):
        yield Markup("".join(f'<p class="body"><span class="lead">{escape(e["lead"])}</span>{escape(e["text"])}</p>\n'
                             for e in chunk))


def md_items(items, kind: str):
    for chunk in _batched(items):
        if kind == "discrepancies":
            yield "".join(f"- {md_escape(i['who'])}：{md_escape(i['line'])}（{md_code(i['source'])}）\n" for i in chunk)
        else:
            yield "".join(f"- {md_escape(i['who'])}（{md_code(i['source'])}）\n" + "".join(f"  - {md_escape(line)}\n" for line in i["lines"])
                          for i in chunk)


def html_items(items, kind: str):
    for chunk in _batched(items):
        if kind == "discrepancies":
            yield Markup("".join(f'  <li>{escape(i["who"])}：{escape(i["line"])} <span class="source">（{escape(i["source"])}）</span></li>\n'
                                 for i in chunk))
        else:
            yield Markup("".join(f'  <li>{escape(i["who"])} <span class="source">（{escape(i["source"])}）</span>\n    <ul>\n'
                                 + "".join(f"      <li>{escape(line)}</li>\n" for line in i["lines"]) + "    </ul>\n  </li>\n"
                                 for i in chunk))


def _template_source(name: str) -> str:
    return (templates_dir() / name).read_text("utf-8")


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = md_escape
    env.filters["code"] = md_code
    env.filters["cn"] = chinese_number
    env.filters.update(md_entries=md_entries, html_entries=html_entries, md_items=md_items, html_items=html_items)
    return env


def _who(unit: str | None, name: str | None) -> str:
    return (unit or "") + (f"「{name}」" if name else "") or "（未能读出项目名称）"


def _units(figures: SummaryFigures) -> list[dict]:
    return [{"unit": u.unit, "projects": u.projects, "funds": format_number(u.funds),
             "average": format_number(u.average), "grades": [u.grades.get(g, 0) for g in GRADES]}
            for u in figures.units]


def report_context(results: Results | list[SheetScore], failures: list[Failure], year: int | None = None,
                   policy: Policy | None = None, grouping: Grouping | None = None, targets: tuple | None = None,
                   duplicates: list[Failure] = (), scratch: Path | None = None) -> dict:
    """What the report templates render: one group per policy (or 主管部门), each with its
    说明 paragraph and its 自评综述 in the policy's style. The long parts (each 自评综述, the
    findings, the charts) are generators that read one sheet at a time, so memory does not
    grow with the number of sheets. ``policy`` gives the report style of results passed as
    SheetScores (default: the preset each names); ``grouping`` is ``group_results`` of these
    results when the caller has it already; ``duplicates``: the extra copies of a project
    (重复提交), listed, never counted; ``scratch``: the folder of the scratch file that holds each
    sheet's part of the reports (``report_items``) while they are written (default: the system's)."""
    results = Results.of(results, policy)
    grouping = grouping or group_results(results, failures)
    overall = grouping.overall
    figures = overall.figures(len(failures))
    year = year if year is not None else overall.year

    def shared() -> ReportItems:
        return report_items(results, grouping, scratch)

    def entries(number: int, departments: bool):
        for lead, text in shared().read(("entries", number, departments)):
            yield {"lead": lead, "text": text}

    def group_context(number: int, group: Group) -> dict:
        numbers = group.figures()
        sections = [
            {"title": "项目绩效自评结果", "entries": entries(number, False), "count": len(group.projects)},
            {"title": "部门（单位）整体绩效自评结果", "entries": entries(number, True), "count": len(group.departments)},
        ]
        return {
            "title": group.title, "policy": group.policy,
            "paragraphs": overview_paragraphs(numbers, year, group.report_style),
            "funds_label": "涉及资金（全年执行数，万元）" if group.report_funds == "executed" else "涉及资金（全年预算数，万元）",
            "units": _units(numbers),
            "sections": [s for s in sections if s["count"]],
        }

    def discrepancy_items():
        for who, source, line in shared().read("discrepancies"):
            yield {"who": who, "source": source, "line": line}

    def listed(kind: str):
        for who, source, lines in shared().read(kind):
            yield {"who": who, "source": source, "lines": lines}

    failure_items = [{"who": _who(f.unit, f.name), "source": f.source, "lines": f.lines()} for f in failures]
    problems = [
        {"kind": "failures", "title": f"未能评分的项目（{len(failures)}个）", "items": failure_items,
         "count": len(failure_items)},
        {"kind": "policies", "title": f"评分规则不一致（{len(grouping.policies)}种评分规则）", "items": listed("policies"),
         "count": len(results) if grouping.mixed() else 0},
        {"kind": "duplicates", "title": f"重复提交（{len(duplicates)}个文件，未重复计入）",
         "items": [{"who": _who(f.unit, f.name), "source": f.source, "lines": f.lines()} for f in duplicates],
         "count": len(duplicates)},
        {"kind": "discrepancies", "title": f"与原表不一致（{overall.discrepancies}处）", "items": discrepancy_items(),
         "count": overall.discrepancies},
        {"kind": "warnings", "title": f"提示（{overall.warnings}条，不影响评分，不写入说明）", "items": listed("warnings"),
         "count": overall.warnings},
    ]
    if targets is not None:  # batch --targets: its own part of the 问题清单, never the 说明
        checked, unmatched = targets
        items = [{"who": _who(c.unit, c.name), "source": c.source, "lines": [f.line() for f in c.findings]}
                 for c in checked if c.findings]
        items += [{"who": _who(f.unit, f.name), "source": f.source, "lines": f.lines()} for f in unmatched]
        count = sum(len(c.findings) for c in checked) + len(unmatched)
        problems.append({"kind": "targets", "title": f"与绩效目标表不符（{count}处）", "items": items, "count": count})
    score_charts = [chart for chart in (
        grouping.project_bars.chart("各项目自评得分") if overall.projects else None,
        grouping.department_bars.chart("部门（单位）整体绩效自评得分") if overall.departments else None,
    ) if chart]
    return {
        "title": "预算绩效情况说明",
        "year": year,
        "policies": list(grouping.policies),
        "figures": figures,
        "grades": GRADES,
        "groups": [group_context(n, g) for n, g in enumerate(grouping.groups)],
        "problems": [p for p in problems if p["count"]],
        "charts": {
            "grades": grade_chart(figures.grades if overall.projects else grouping.department_grades),
            "grades_of": "项目" if overall.projects else "整体",
            "scores": score_charts,
            "units": _units(figures),
            "caption": _chart_caption(figures),
        } if len(results) else None,
    }


def _chart_caption(figures: SummaryFigures) -> str:
    parts = [f"项目{figures.projects}个"] if figures.projects else []
    if figures.departments:
        parts.append(f"整体{figures.departments}个")
    return "、".join(parts)


def _plain(value: Decimal | str) -> str:
    return format_number(value) if isinstance(value, Decimal) else str(value)


def write_report(results: Results | list[SheetScore], failures: list[Failure], fmt: str, path: Path,
                 year: int | None = None, policy: Policy | None = None, grouping: Grouping | None = None,
                 targets: tuple | None = None, duplicates: list[Failure] = ()) -> None:
    """The same, streamed into ``path`` atomically (never the whole text in memory);
    ``fmt="docx"``: report.docx (``report.word``)."""
    if fmt == "docx":
        from .word import write_docx

        write_docx(report_context(results, failures, year, policy, grouping, targets, duplicates, Path(path).parent), Path(path))
        return
    with atomic_file(Path(path)) as fh:
        buffer, size = [], 0  # jinja2 yields a piece per template node: written 64 K characters at a time
        for chunk in _report_chunks(results, failures, fmt, year, policy, grouping, targets, duplicates, Path(path).parent):
            buffer.append(chunk)
            size += len(chunk)
            if size >= 1 << 16:
                fh.write("".join(buffer).encode("utf-8"))
                buffer, size = [], 0
        fh.write("".join(buffer).encode("utf-8"))


def _report_chunks(results, failures: list[Failure], fmt: str, year: int | None, policy: Policy | None = None,
                   grouping: Grouping | None = None, targets: tuple | None = None, duplicates: list[Failure] = (),
                   scratch: Path | None = None):
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown report format: {fmt!r}")
    template = _environment().get_template(f"report.{fmt}.j2")
    return template.generate(**report_context(results, failures, year, policy, grouping, targets, duplicates, scratch))
