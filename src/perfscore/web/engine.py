"""Every call the web app makes into the perfscore library, in this one module, and each
through ``perfscore.api`` (the one door the CLI uses too): this module only keeps the
request's rules (policies from the page or the upload only), turns the temp folder's
paths back into the names the user uploaded, and shapes the page's JSON.

Inputs are files already saved under one folder (``root``); users know them by their
path relative to it, so every message and source names that relative path, never the
private temp folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import api
from ..api import (FOLDER_POLICY_NAMES, INPUT_SUFFIXES, PRESETS, REPORT_STYLES, TEMPLATE_NAMES, Failure, Input,
                   InputError, PerfscoreError, Policy, SheetScore, dumps, format_fixed, format_number, load_policy,
                   discover, preset_policy, read_mapping, read_path, result_dict)

__all__ = [
    "INPUT_SUFFIXES", "PRESETS", "preset_labels", "Scored", "Failure", "Policy", "PerfscoreError", "dumps",
    "preset", "preset_label", "policy_file", "Rules", "score_files", "fill_one", "write_sheets", "write_batch",
    "rescore", "template_labels",
    "result_json", "failure_json", "view_json",
]


@dataclass
class Scored:
    """One scored project: its result and, for a handed-in sheet, the audit findings."""

    file: str  # the input as the user knows it (relative path)
    result: SheetScore
    findings: list[dict] = field(default_factory=list)  # {cell, label, reported, computed}
    policy: Policy | None = None  # the policy it was scored under (its sheet's formulas carry it)
    sheet: object | None = None  # the model scored (what a score does not keep: 年初指标值)
    rules: str = ""  # which rules scored it, as a clerk names them (辽宁省, 桥口区/perfscore.yaml)
    item: Input | None = None  # what its reader read (names localized), for the batch set


class _Names:
    """Turns the temp folder's absolute paths back into the names the user uploaded."""

    def __init__(self, root: Path):
        self.prefixes = [f"{root}{os.sep}", f"{root.resolve()}{os.sep}"]

    def __call__(self, text: str) -> str:
        for prefix in self.prefixes:
            text = text.replace(prefix, "")
        return text

    def problem(self, problem):
        """A Problem with its line and file named as uploaded (its other parts kept)."""
        from dataclasses import replace

        return replace(problem, message=self(problem.message), file=self(problem.file) if problem.file else problem.file)


def _problems(exc: PerfscoreError) -> tuple[str, ...]:
    return tuple(getattr(exc, "problems", None) or [str(exc)])


# the presets as a clerk knows them (the page's choices, and the rules each result names)
def preset_labels() -> dict[str, str]:
    """Every preset by the name a clerk knows it (a province's display name, 辽宁省)."""
    return api.preset_labels()


def preset_label(name: str) -> str:
    return preset_labels().get(name, name)


def preset(name: str) -> Policy:
    """A shipped preset only: a form field must never name a file on the server."""
    if name not in PRESETS:
        raise InputError(f"评分规则「{name}」不是预设（{'、'.join(PRESETS)}）；自定义规则请上传规则文件")
    return load_policy(name)


def _inside(path: Path, root: Path) -> bool:
    resolved, top = path.resolve(), root.resolve()
    return resolved == top or top in resolved.parents


def _confined_policy(path: Path, root: Path, shown: str) -> Policy:
    """A policy file uploaded under ``root``, loaded only when every file it names
    (``report_style:``, ``template:``) is a shipped one or was uploaded under ``root``
    too: a policy in a request must never reach a file of the server, nor tell which exist."""
    names = _Names(root)
    try:
        raw = read_mapping(path)
    except PerfscoreError as exc:
        raise type(exc)([names(str(p)) for p in _problems(exc)]) from None
    style = raw.get("report_style")
    if isinstance(style, str) and style not in REPORT_STYLES and not _inside(path.parent / style, root):
        raise InputError(f"规则文件 {shown} 的文风: 「{style}」不是内置文风（{'、'.join(REPORT_STYLES)}），"
                         "网页中只能用内置文风或同一次上传的文件")
    templates = raw.get("template")
    uploaded: dict[str, str] = {}
    for kind, name in (templates.items() if isinstance(templates, dict) else ()):
        if not isinstance(name, str) or name in TEMPLATE_NAMES:
            continue
        if not (_inside(path.parent / name, root) and (path.parent / name).is_file()):
            raise InputError(f"规则文件 {shown} 的表样: 「{name}」不是内置表样（{'、'.join(TEMPLATE_NAMES)}），"
                             "也不是同一次上传的模板文件")
        uploaded[kind] = str((path.parent / name).resolve())
    try:
        policy = load_policy(path, label=shown)
    except PerfscoreError as exc:
        raise type(exc)([names(str(p)) for p in _problems(exc)]) from None
    if uploaded:
        policy = policy.model_copy(update={"template": {**policy.template, **uploaded}})
    return policy


def policy_file(path: Path, root: Path) -> Policy:
    """An uploaded policy file (YAML/JSON); errors name it as uploaded."""
    return _confined_policy(Path(path), root, path.name)


class Rules:
    """The policies one request may use: the page's choice, else only files uploaded in that
    request: a project's ``policy:`` (a preset, or an uploaded file beside it) or the nearest
    uploaded ``perfscore.yaml`` at or above the file's folder, never above ``root`` (the
    upload's folder), so no file of the server (a perfscore.yaml in a parent of the temp
    folder, a path a project names) is ever a policy."""

    def __init__(self, root: Path, chosen: Policy | None = None, label: str = ""):
        self.root, self.chosen = root, chosen
        self.label = label or (preset_label(chosen.name) if chosen is not None else "")
        self._loaded: dict[Path, Policy] = {}

    def shown(self, path: Path) -> str:
        return path.resolve().relative_to(self.root.resolve()).as_posix()

    def _file(self, path: Path) -> tuple[Policy, str]:
        path = path.resolve()
        if path not in self._loaded:
            self._loaded[path] = _confined_policy(path, self.root, self.shown(path))
        return self._loaded[path], self.shown(path)

    def folder_file(self, path: Path) -> Path | None:
        """The uploaded perfscore.yaml that applies to ``path``, or None."""
        folder, top = path.resolve().parent, self.root.resolve()
        while folder == top or top in folder.parents:
            for name in FOLDER_POLICY_NAMES:
                if (folder / name).is_file():
                    return folder / name
            folder = folder.parent
        return None

    def own(self, path: Path, sheet) -> tuple[Policy, str]:
        """The policy and its label for a sheet read from ``path`` under ``root``."""
        spec = getattr(sheet, "policy", None)
        if spec:
            if spec in PRESETS:
                return preset_policy(spec), preset_label(spec)
            target = path.parent / spec
            if not (_inside(target, self.root) and target.is_file()):
                raise InputError(f"文件 {self.shown(path)}「{sheet.name}」的评分规则: 「{spec}」不是预设"
                                 f"（{'、'.join(preset_labels().values())}），也不是同一次上传的规则文件")
            return self._file(target)
        found = self.folder_file(path)
        if found is not None:
            return self._file(found)
        return preset_policy(), preset_label("default")

    def of(self, path: Path, sheet) -> tuple[Policy, str]:
        return (self.chosen, self.label) if self.chosen is not None else self.own(path, sheet)


def _localize(result: SheetScore, names: _Names) -> SheetScore:
    result.source = names(result.source)
    result.warnings = [names(w) for w in result.warnings]
    for ind in result.indicators:
        ind.warnings = [names(w) for w in ind.warnings]
    return result


def _score_path(path: Path, rules: Rules, names: _Names) -> list[Scored | Failure]:
    """Every sheet of one input, through the library's one input path: a workbook's sheets
    are audited (their findings carry cell addresses), text files scored. The policy is
    the request's (``rules``): the library is handed one, so it never looks on the disk."""
    out: list[Scored | Failure] = []
    for item in read_path(path, policy=rules.chosen or preset_policy()):
        if isinstance(item, Failure):
            out.append(item)
            continue
        try:
            item.policy, label = rules.of(path, item.sheet)
            audit = api.audit_input(item)
        except PerfscoreError as exc:
            out.append(Failure.from_error(names(item.source), exc, item.sheet.name, item.sheet.unit or item.sheet.department))
            continue
        findings = [
            {"cell": f.cell, "label": f.discrepancy.label,
             "reported": _shown(f.discrepancy.reported), "computed": _shown(f.discrepancy.computed)}
            for f in audit.findings
        ] if item.cells else []
        item.source = names(item.source)
        item.notes = [names(n) for n in item.notes]
        out.append(Scored(item.source, audit.result, findings, item.policy, item.sheet, label, item))
    return out


def score_files(paths: list[Path], root: Path, rules: Rules,
                progress: Callable[[int], None] | None = None) -> tuple[list[Scored], list[Failure]]:
    """Score each input under ``root`` (project files, filled sheets, flat workbooks), each
    under the request's ``rules`` (a folder's perfscore.yaml is a policy, not an input).
    A broken input is a Failure with the CLI's one-line message; the others go on."""
    names = _Names(root)
    scored: list[Scored] = []
    failures: list[Failure] = []
    wanted = set(discover(paths))
    for path in paths:
        if path not in wanted:
            if progress:
                progress(1)
            continue
        try:
            items = _score_path(path, rules, names)
        except PerfscoreError as exc:
            items = [Failure(names(str(path)), None, None, _problems(exc))]
        for item in items:
            if isinstance(item, Failure):
                failures.append(Failure(names(item.source), item.name, item.unit, tuple(names.problem(p) for p in item.problems)))
            else:
                _localize(item.result, names)
                scored.append(item)
        if progress:
            progress(1)
    return scored, failures


def template_labels() -> dict[str, str]:
    """The 表样 a download may be filled into (the CLI's -t), as a clerk names them; "" is
    the policy's own (or the built-in sheet of the project's kind)."""
    return api.template_labels()


def fill_one(scored: Scored, out: Path, template: str = "") -> Path:
    """The filled sheet (.xlsx) of one scored project, in the chosen 表样 (or its policy's),
    with live formulas."""
    return api.fill_result(scored.result, out, scored.policy, scored.sheet, template or None)


def rescore(scored: Scored, model: object) -> Scored:
    """A project the clerk edited on the page (its project model, as ``view_json`` gave it),
    scored again through the library under the rules that scored it first."""
    sheet, result = api.rescore(model, scored.file, scored.policy)
    return Scored(scored.file, result, [], scored.policy, sheet, scored.rules)


def sheet_names(scored: list[Scored]) -> list[str]:
    """A safe, unique file name per project (clashes get （2）…)."""
    return api.assign_file_names(s.result for s in scored)


def write_sheets(scored: list[Scored], folder: Path, template: str = "") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [fill_one(s, folder / name, template) for s, name in zip(scored, sheet_names(scored))]


def write_batch(scored: list[Scored], failures: list[Failure], outdir: Path, template: str = "") -> list[Path]:
    """What ``perfscore batch --sheets`` writes for the same files and policies (the library's
    one batch set, from what was read): summary.xlsx, report.md/.html/.docx, sheets/."""
    read: list[Input | Failure] = [s.item for s in scored if s.item is not None]
    return api.write_batch(read + list(failures), outdir, template or None).outputs


# -- answers ----------------------------------------------------------------------------------

def result_json(scored: Scored) -> dict:
    """The ``perfscore score --format json`` object, and the file and rules it came from."""
    return {"file": scored.file, "policy": scored.rules, **result_dict(scored.result)}


def failure_json(failure: Failure) -> dict:
    """A failure as the page's JSON has it (``output.failure_dict``, as ``score --format json``)."""
    return api.failure_dict(failure)


def _shown(value) -> str:
    return value if isinstance(value, str) else format_number(value)


def view_json(scored: Scored) -> dict:
    """What the page shows of a result, every number already written as the forms print it."""
    r = scored.result
    found = scored.findings or [
        {"cell": "", "label": d.label, "reported": _shown(d.reported), "computed": _shown(d.computed)}
        for d in r.discrepancies
    ]
    needing = r.needing_explanation()
    sheet = scored.sheet
    model = sheet.model_dump(mode="json", exclude_none=True) if sheet is not None else None
    editable = model is not None and len(model.get("indicators", [])) == len(r.indicators)
    return {
        "file": scored.file,
        "model": model if editable else None,  # what the detail view edits and sends back
        "budget": _budget(sheet, r),
        "mismatches": len(found), "missing_causes": sum(1 for i in needing if not i.cause),
        "kind": "部门(单位)整体绩效自评表" if r.kind == "department" else "预算项目(政策)绩效自评表",
        "name": r.name, "unit": r.unit or r.department or "", "year": r.year or "", "policy": scored.rules,
        "execution_rate": format_number(r.execution_rate) + "%",
        "execution_weight": format_number(r.execution_weight),
        "execution_score": format_fixed(r.execution_score),
        "indicator_score": format_fixed(r.indicator_score),
        "deduction": format_number(r.deduction),
        "total": format_fixed(r.total), "grade": r.grade,
        "tasks": [
            {"name": t.name, "budget": format_fixed(t.budget), "executed": format_fixed(t.executed),
             "rate": format_number(t.execution_rate) + "%", "weight": format_number(t.weight),
             "score": format_fixed(t.score)}
            for t in r.tasks
        ],
        "indicators": [
            {"level1": i.level1, "level2": i.level2, "name": i.name, "target": i.target_text, "actual": i.actual_text,
             "completion": format_fixed(i.completion_pct) + "%", "weight": format_number(i.weight),
             "score": format_fixed(i.score), "needs_explanation": i.needs_explanation,
             "cause": i.cause or "", "remedy": i.remedy or ""}
            for i in r.indicators
        ],
        "needing": [
            {"index": i.index, "name": i.name,
             "why": "完成值超过「=」指标值" if i.exceeded else f"完成程度 {format_fixed(i.completion_pct)}%",
             "cause": i.cause or ""}
            for i in r.needing_explanation()
        ],
        "warnings": list(r.warnings),  # the indicators' own, with 第N个指标 in front, are among them
        "findings": scored.findings,
        "discrepancies": [] if scored.findings else found,
    }


def _budget(sheet, r: SheetScore) -> list[list[str]]:
    """The budget block as the form prints it: [label, value] rows (万元)."""
    rows: list[list[str]] = []
    budget = getattr(sheet, "budget", None)
    if budget is not None:
        rows += [["年初预算数（万元）", format_number(budget.initial)]]
        if budget.adjusted is not None:
            rows += [["全年预算数（万元）", format_number(budget.adjusted)]]
        rows += [["全年执行数（万元）", format_number(budget.executed)]]
    department_budget = getattr(sheet, "department_budget", None)
    if department_budget is not None:
        rows += [["部门年初预算（万元）", format_number(department_budget)]]
    rows += [["预算执行率", format_number(r.execution_rate) + "%"], ["执行率分值", format_number(r.execution_weight)],
             ["执行率得分", format_fixed(r.execution_score)]]
    return rows
