"""The library's front door: one call per command, each taking the same inputs (project
files, directories, filled sheets, flat workbooks) through ``inputs.read_inputs``.

Every function returns values (results, failures, written paths); none prints or exits.
The CLI is a few lines over each.

Policies: every input carries its own (its ``policy:``, else the nearest folder's
``perfscore.yaml``, else the default; ``inputs.resolve_policy``). The optional ``policy``
argument of each function overrides them all (the command line's ``--policy``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .bundle import Bundle, write_bundle  # noqa: F401  (perfscore bundle)
from .declared import TargetAudit, audit_targets, read_targets  # noqa: F401  (the one door)
from .errors import Failure, InputError, PerfscoreError, Problem
from .inputs import DOCUMENT_SUFFIXES, EXCEL_SUFFIXES, Input, discover, read_inputs, read_path
from .policy import Policy, PolicyLookup
from .projectfile import TEXT_SUFFIXES, read_mapping
from .scoring import SheetScore, indicator_problems, score_sheet
from .writing import fit_file_name, numbered_names, os_reason, safe_file_name  # noqa: F401 (fit_file_name: the web's uploads)

Paths = Iterable[Path | str]


def score_input(item: Input, policy: Policy | None = None) -> SheetScore | Failure:
    """One read sheet scored under its policy (``policy`` overrides it), or the Failure
    naming why it cannot be."""
    try:
        return score_sheet(item.sheet, policy or item.policy, item.source, item.notes)
    except PerfscoreError as exc:
        return item.failure(exc)


def score_bytes(name: str, data: bytes, policy: Policy | str | None = None) -> list[SheetScore | Failure]:
    """Score a file's content held in memory, reading nothing from disk (the function a
    distributed engine maps over; perfscore's own presets and templates are loaded once a
    process). ``name`` is the file's name as messages and results show it (its suffix says
    the format: .yaml .yml .json .xlsx .xlsm .xls .ods .docx .pdf); ``policy``: a Policy or a
    preset's name; without it, the sheet's own ``policy:`` when that names a preset, else
    the default (no folder, so no ``perfscore.yaml``). One item per sheet the file holds (a
    project file: one; a flat workbook: one per row): its result, or the Failure naming why
    it cannot be scored. Never raises for bad content."""
    from .inputs import InMemory
    from .policy import PRESETS, preset_policy

    if isinstance(policy, str):
        if policy not in PRESETS:
            return [Failure(name, None, None, (f"文件 {name}: 评分规则「{policy}」不是预设（{'、'.join(PRESETS)}）；"
                                                 "按内容评分时不读规则文件，请传入读好的评分规则",))]
        policy = preset_policy(policy)
    out: list[SheetScore | Failure] = []
    for item in read_path(Path(name), policy=policy, lookup=InMemory(), data=bytes(data)):
        out.append(item if isinstance(item, Failure) else score_input(item))
    return out


POOLED = 32  # input files from which ``score_files`` reads on every core (fewer: forking costs more than it saves)


def score_files(paths: Paths, policy: Policy | None = None, jobs: int | None = None
                ) -> tuple[list[SheetScore], list[Failure]]:
    """Score every sheet of every input; the inputs or sheets that fail are listed, not raised
    (those that cannot be read first, in input order, then those that cannot be scored).
    Many files (``POOLED``, where workers fork) are read and scored on ``jobs`` cores
    (default: all, ``workers.max_jobs``), the results in input order all the same."""
    from .workers import can_fork, max_jobs, ordered_map

    paths = list(paths)
    lookup = PolicyLookup(paths)
    files = discover(paths)
    jobs = min(max_jobs() if jobs is None else max(jobs, 1), len(files) // 8 or 1)
    if jobs > 1 and len(files) >= POOLED and can_fork():
        each = ordered_map(_score_chunk, files, jobs, max(1, min(64, len(files) // (jobs * 8))), _score_init, (policy, lookup))
    else:
        _score_init(policy, lookup)
        each = map(_score_path, files)
    results: list[SheetScore] = []
    unread: list[Failure] = []
    unscored: list[Failure] = []
    for items in each:
        for read, item in items:
            (results if isinstance(item, SheetScore) else unscored if read else unread).append(item)
    return results, unread + unscored


_SCORING: tuple[Policy | None, PolicyLookup] = (None, PolicyLookup())  # score_files's, in this process or a worker


def _score_init(policy: Policy | None, lookup: PolicyLookup) -> None:
    global _SCORING
    _SCORING = (policy, lookup)


def _score_path(path: Path) -> list[tuple[bool, SheetScore | Failure]]:
    """One input file's sheets, each (whether it was read, its result or Failure); never
    raises: an unexpected error is that file's Failure, and the other files go on."""
    policy, lookup = _SCORING
    try:
        return [(isinstance(item, Input), score_input(item) if isinstance(item, Input) else item)
                for item in read_path(path, policy=policy, lookup=lookup)]
    except Exception as exc:  # noqa: BLE001 - one bad file never stops the others
        from .batch import internal_failure

        return [(False, internal_failure(path, exc))]


def _score_chunk(paths: list[Path]) -> list[list[tuple[bool, SheetScore | Failure]]]:
    return [_score_path(path) for path in paths]


def single_input(paths: Paths) -> bool:
    """Whether the inputs are one file that is not a directory (so ``score --format json``
    prints one object rather than a list when it holds one sheet)."""
    paths = list(paths)
    return len(paths) == 1 and not Path(paths[0]).is_dir()


@dataclass
class Check:
    """The problems of one input (or flat-workbook row); none when it scores."""

    source: str
    problems: list[Problem]


def check_files(paths: Paths, policy: Policy | None = None) -> list[Check]:
    """Every problem of every input, in input order. A project file whose structure fails
    validation still has each well-formed indicator checked, so its problems come out
    together, not one round at a time."""
    out = []
    paths = list(paths)
    lookup = PolicyLookup(paths)
    for path in discover(paths):
        for item in read_path(path, policy=policy, lookup=lookup):
            if isinstance(item, Failure):
                problems = list(item.problems)
            else:
                scored = score_input(item)
                problems = list(scored.problems) if isinstance(scored, Failure) else []
            if problems and path.suffix.lower() in TEXT_SUFFIXES:
                seen = {p.message for p in problems}
                own = item.policy if isinstance(item, Input) else policy
                problems += [p.located(file=item.source) for p in _indicator_problems(path, own, lookup) if p.message not in seen]
            out.append(Check(item.source, problems))
    return out


def _indicator_problems(path: Path, policy: Policy | None, lookup: PolicyLookup) -> list[Problem]:
    try:
        data = read_mapping(path)
    except InputError:
        return []
    if policy is None:  # the file could not be read as a sheet: its folder's policy, or the default
        from .policy import preset_policy

        try:
            policy = lookup.folder_policy(path) or preset_policy()
        except InputError:
            policy = preset_policy()
    return indicator_problems(data, policy, str(path))


def fill_files(paths: Paths, output: Path | str, policy: Policy | None = None, template: Path | str | None = None,
               on_written: Callable[[Path], None] | None = None) -> tuple[list[Path], list[Failure]]:
    """Score each sheet and fill it into the template. One input holding one sheet and an
    ``output`` ending in .xlsx writes that file; otherwise ``output`` is a directory of
    files named after each input file's stem (a flat workbook's rows: their project names),
    clashes numbered （2）, （3） …"""
    from .sheets.fill import check_output, fill_sheet
    from .sheets.templates import policy_template

    output = Path(output)
    paths = list(paths)
    files = discover(paths, skip=output)  # earlier outputs under the inputs are not inputs
    inputs, failures = read_inputs(files, policy=policy, lookup=PolicyLookup(paths))
    one_file = len(files) == 1 and len(inputs) == 1 and output.suffix.lower() == ".xlsx"
    if inputs and not one_file and output.exists() and not output.is_dir():
        reason = "是一个已有的文件，不是目录" if output.is_file() else "不是目录"
        hint = "（只有一个输入时，请用 .xlsx 结尾的文件名）" if len(inputs) == 1 else ""
        return [], failures + [Failure(str(output), None, None, (f"输出目录 {output}: {reason}{hint}",))]
    written: list[Path] = []
    resolved = {f.resolve() for f in files}  # what no output may overwrite
    if len(files) == 1 and len(inputs) == 1 and output.suffix.lower() == ".xlsx":
        targets = [output]
    else:
        bases = [item.path.stem if item.source == str(item.path) else safe_file_name(item.sheet.name) for item in inputs]
        targets = [output / name for name in numbered_names(bases)]
    for item, out in zip(inputs, targets):
        try:
            check_output(out, resolved)
            scored = score_sheet(item.sheet, item.policy, item.source, item.notes)
            out.parent.mkdir(parents=True, exist_ok=True)
            fill_sheet(scored, out, template or policy_template(item.policy, scored.kind), item.sheet, item.policy)
        except PerfscoreError as exc:
            failures.append(item.failure(exc))
            continue
        except OSError as exc:
            reason = "上级路径不是目录" if isinstance(exc, FileExistsError) and not out.parent.is_dir() else os_reason(exc)
            failures.append(Failure(item.source, item.sheet.name, item.sheet.unit, (f"无法写入 {out}: {reason}",)))
            continue
        written.append(out)
        if on_written:
            on_written(out)
    return written, failures


def audit_files(paths: Paths, policy: Policy | None = None, template: Path | str | None = None):
    """Recompute every sheet (under its policy; ``policy`` overrides) and list each printed
    value the rules do not give, with its cell; returns (audit results, failures)."""
    from .sheets.audit import audit_input

    inputs, failures = read_inputs(paths, template=template, policy=policy)
    results = []
    for item in inputs:
        try:
            results.append(audit_input(item, item.policy))
        except PerfscoreError as exc:
            failures.append(item.failure(exc))
    return results, failures


def import_files(paths: Paths, output: Path | str, template: Path | str | None = None
                 ) -> tuple[list[Path], list[Failure]]:
    """Project files from the filled sheets, official forms and flat workbooks among the
    inputs (directories searched), each read once (``inputs.read_path``: the mapping its
    reader read, else the model's). One sheet writes ``output``; several write
    ``output``/<name>.yaml (a filled sheet's stem, a flat-workbook row's project name, a
    form's name when a file holds several; clashes numbered)."""
    from .sheets.fill import check_output
    from .sheets.importing import sheet_as_mapping, write_mapping

    output = Path(output)
    files = [f for f in discover(paths, skip=output) if f.suffix.lower() in EXCEL_SUFFIXES | DOCUMENT_SUFFIXES or not f.exists()]
    jobs: list[tuple[Input, str]] = []  # (what was read, base name)
    failures: list[Failure] = []
    for path in files:
        items = read_path(path, template, policies=False)
        failures += [item for item in items if isinstance(item, Failure)]
        read = [item for item in items if isinstance(item, Input)]
        for item in read:
            one = item.reader == "template" or (item.reader == "form" and len(read) == 1)
            jobs.append((item, path.stem if one else safe_file_name(item.sheet.name)))
    if len(jobs) == 1 and output.suffix:
        targets = [output]
    else:
        targets = [output / name for name in numbered_names([base for _, base in jobs], ".yaml")]
    written = []
    resolved = {f.resolve() for f in files}  # what no output may overwrite
    for (item, _), out in zip(jobs, targets):
        if item.reader == "template":
            note = f"由 perfscore import 从 {item.path.name} 读取；原表打印的得分、完成程度等记为 reported，供复核。"
        else:
            note = f"由 perfscore import 从 {item.source} 读取。"
        try:
            check_output(out, resolved)
            if out != output:  # into the output directory, made on demand
                out.parent.mkdir(parents=True, exist_ok=True)
            written.append(write_mapping(item.mapping or sheet_as_mapping(item.sheet), out, note))
        except PerfscoreError as exc:
            failures.append(Failure.from_error(item.source, exc))
        except OSError as exc:
            failures.append(Failure(item.source, None, None, (f"无法写入 {out}: {os_reason(exc)}",)))
    return written, failures


def run_batch(inputs: Paths, outdir: Path | str, policy: Policy | None = None, *, sheets: bool = False, jobs: int | None = None,
              progress: Callable[[int, int], None] | None = None, targets: Path | str | None = None):
    """Score everything into summary.xlsx, report.md, report.html (and the filled sheets);
    ``progress(done, total)`` follows the input files; ``policy`` overrides each input's
    own; ``targets``: a 绩效目标表 every sheet is compared with (its findings go to the
    问题清单 and the 问题 sheet, never the 说明). Returns a ``batch.BatchOutcome``."""
    from . import batch

    return batch.run_batch(inputs, outdir, policy, sheets=sheets, jobs=jobs, progress=progress, targets=targets)


# ------------------------------------------------------------------ declared targets (issue 22)


def init_from_targets(targets: Path | str, output: Path | str, policy: Policy | None = None,
                      template: Path | str | None = None) -> tuple[list[Path], list[str], list[Failure]]:
    """``init --from``: the self-evaluation of each declared project, actuals empty: a project
    file (.yaml/.json), or, with an ``output`` ending in .xlsx or a ``template``, a sheet in
    the 表样 (``template``, else the policy's) with live formulas that stay blank until the
    unit types the actuals. One project and an ``output`` with the file's suffix writes that
    file; several are one file each, named after the projects, in the folder ``output`` (for
    sheets, ``output`` without its .xlsx). Returns (written, notes for the user, failures)."""
    from .model import Project
    from .policy import preset_policy
    from .scoring import default_weights
    from .sheets.fill import check_output, declared_target_cells, declared_template, fill_declared
    from .sheets.templates import policy_template
    from .sheets.importing import write_mapping
    from .targets import project_mapping, unfilled_targets

    targets, output = Path(targets), Path(output)
    try:
        declarations = read_targets(targets)
    except PerfscoreError as exc:
        return [], [], [Failure.from_error(targets, exc)]
    own = policy or preset_policy()
    sheets = output.suffix.lower() == ".xlsx" or (template is not None and output.suffix.lower() not in TEXT_SUFFIXES)
    suffixes = (".xlsx",) if sheets else TEXT_SUFFIXES
    one = len(declarations) == 1 and output.suffix.lower() in suffixes
    folder = output.with_suffix("") if sheets and output.suffix.lower() == ".xlsx" else output
    if not one and folder.exists() and not folder.is_dir():
        return [], [], [Failure(str(folder), None, None, (f"输出目录 {folder}: 是一个已有的文件，不是目录（多个项目时请给出目录）",))]
    names = [output] if one else [folder / n for n in numbered_names([safe_file_name(d.name) for d in declarations],
                                                                     ".xlsx" if sheets else ".yaml")]
    layout = template or policy_template(own, "project")
    if sheets:
        try:
            declared_template(layout)
        except PerfscoreError as exc:
            return [], [], [Failure.from_error(targets, exc)]
    written, notes, failures, defaulted = [], [], [], 0
    for decl, out in zip(declarations, names):
        weights, note = None, f"由 perfscore init --from 从 {decl.source} 生成：指标与目标为申报值，请填写全年执行数和每个指标的全年完成值（actual）。"
        if decl.kind == "department":  # no policy split for a department: its 分值 are the table's or the unit's
            note += "整体表：请填写每个年度主要任务的执行金额（executed）和分值（weight），以及指标分值。"
            if sheets:
                failures.append(Failure(decl.source, decl.name, decl.unit, (
                    f"{decl.source}: 「{decl.name}」是部门整体绩效目标申报表，只能生成项目文件：请用 -o {safe_file_name(decl.name)}.yaml",)))
                continue
        elif any(d.weight is None for d in decl.indicators):
            try:  # the policy's split, as scoring would apply it, written out so the unit sees it
                draft = Project.model_validate({
                    "name": decl.name, "budget": {"initial": decl.budget or 0, "executed": 0},
                    "indicators": [{"level1": d.level1, "level2": d.level2, "name": d.name, "target": d.target or "-",
                                    "actual": "-"} for d in decl.indicators]})
                weights = default_weights(draft, own)
            except (PerfscoreError, ValueError):
                weights = None
            if weights:
                note += f"分值（weight）为评分规则「{own.name}」的默认分配（目标表未列分值），可按实际分值修改。"
        unfilled = unfilled_targets(decl, str(out), declared_target_cells(layout, len(decl.indicators)) if sheets else None)
        if unfilled and not sheets:
            note += "；".join(unfilled) + "。"
            unfilled = [f"{out}: {line}" for line in unfilled]
        try:
            check_output(out, [targets])
            out.parent.mkdir(parents=True, exist_ok=True)
            if sheets:
                fill_declared(decl, [d.weight if d.weight is not None else (weights[n] if weights else None)
                                     for n, d in enumerate(decl.indicators)], out, layout, own)
            else:
                write_mapping(project_mapping(decl, weights), out, note)
        except PerfscoreError as exc:
            failures.append(Failure.from_error(decl.source, exc, decl.name, decl.unit))
            continue
        except OSError as exc:
            failures.append(Failure(decl.source, decl.name, decl.unit, (f"无法写入 {out}: {os_reason(exc)}",)))
            continue
        written.append(out)
        notes += decl.notes + unfilled
        defaulted += bool(sheets and weights)
    if defaulted:
        notes.append(f"{defaulted} 张自评表的分值为评分规则「{own.name}」的默认分配（目标表未列分值），可在表中修改")
    return written, notes, failures


# ------------------------------------------------------------------ the server's door (issue 20)
# web/engine.py calls only these (and the names re-exported below): it localizes names and
# streams progress; reading, scoring, auditing, filling and the batch set are the library's.


def audit_input(item: Input, policy: Policy | None = None):
    """One read sheet recomputed under its policy (``policy`` overrides it): its result and
    the printed values the rules do not give, with their cells (``sheets.audit.AuditResult``);
    a filled sheet's formulas are checked from what reading it kept (``Input.read``)."""
    from .sheets.audit import audit_input as audit

    return audit(item, policy or item.policy)


def chosen_template(policy: Policy | None, kind: str, template: str | None = None) -> str | None:
    """The 表样 a project of ``kind`` is filled into: ``template`` (a shipped name) when it is
    one for that kind, else its policy's own (None: the built-in sheet of the kind)."""
    from .sheets.templates import policy_template, shipped_template_kind

    if template and shipped_template_kind(template) == kind:
        return template
    return policy_template(policy, kind)


def fill_result(result: SheetScore, out: Path | str, policy: Policy, sheet=None, template: str | None = None) -> Path:
    """One scored project's filled sheet (.xlsx, live formulas) in ``chosen_template``."""
    from .sheets.fill import fill_sheet

    return fill_sheet(result, out, chosen_template(policy, result.kind, template), sheet, policy)


def rescore(model: object, source: str, policy: Policy):
    """A project model as ``result_dict``'s editor sends it back (a mapping) → (its sheet, its
    result) under ``policy``; raises InputError naming what is wrong."""
    from .projectfile import sheet_from_mapping

    if not isinstance(model, dict):
        raise InputError("修改后的项目内容无效：应为一个项目（JSON 对象）")
    sheet = sheet_from_mapping(model, source)
    return sheet, score_sheet(sheet, policy, source)


def write_batch(read: list[Input | Failure], outdir: Path | str, template: str | None = None):
    """``batch --sheets``'s output set for inputs read already (each Input with its policy):
    the same summary.xlsx, reports and sheets/ as ``run_batch`` gives for the same files and
    policies; ``template``: the 表样 of the filled sheets where it fits the kind
    (``chosen_template``). Returns a ``batch.BatchOutcome``."""
    from . import batch

    if template:
        read = [_with_template(item, template) if isinstance(item, Input) else item for item in read]
    return batch.run_batch([], outdir, sheets=True, jobs=1, read=read)


def _with_template(item: Input, template: str) -> Input:
    from dataclasses import replace

    name = chosen_template(item.policy, item.sheet.kind, template)
    if name == item.policy.template.get(item.sheet.kind):
        return item
    policy = item.policy.model_copy(update={"template": {**item.policy.template, item.sheet.kind: name}})
    return replace(item, policy=policy)


# what the server shows and checks, from the library's own homes (one door for web/engine.py)
from .inputs import INPUT_SUFFIXES, resolve_policy  # noqa: E402,F401
from .output import dumps, failure_dict, result_dict  # noqa: E402,F401
from .policy import FOLDER_POLICY_NAMES, REPORT_STYLES, load_policy, preset_policy  # noqa: E402,F401
from .resources import PRESETS, TEMPLATE_NAMES  # noqa: E402,F401
from .values import format_fixed, format_number  # noqa: E402,F401


# the 表样 that are no province's, as a clerk names them
GENERIC_TEMPLATE_LABELS = {
    "": "按评分规则（默认）", "project": "通用项目表", "department": "通用整体表",
    "national": "财政部项目表样", "national_department": "财政部部门整体表样",
}


def preset_labels() -> dict[str, str]:
    """Every preset (``--policy``'s choices) by the name a clerk knows it: a province by its
    display name (辽宁省, from its folder's province.yaml)."""
    from .resources import preset_label

    return {name: preset_label(name) for name in PRESETS}


def template_labels() -> dict[str, str]:
    """Every shipped 表样 (``-t``'s choices) as a clerk names it (辽宁省项目表样); "" is the
    policy's own."""
    from .resources import provinces

    out = dict(GENERIC_TEMPLATE_LABELS)
    for province in provinces().values():
        for name in province.template_names():
            word = "部门整体表样" if name.endswith("_department") else "项目表样"
            out[name] = f"{province.title}{word}"
    return {name: label for name, label in out.items() if name == "" or name in TEMPLATE_NAMES}


def assign_file_names(results) -> list[str]:
    """A safe, unique file name per result, in order (clashes get （2）…), as ``batch`` names
    its sheets/."""
    from .batch import assign_file_names as names

    return list(names(results))
