"""Sheets checked against their declared targets (绩效目标表, docs/targets.md): the
declaration read, each input matched to its declared project and compared. Below ``api``
and ``batch``, which both call it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .errors import Failure, PerfscoreError
from .inputs import read_inputs
from .policy import Policy

Paths = Iterable[Path | str]


def read_targets(path: Path | str):
    """Every declared project (``targets.Declaration``) of a 绩效目标表 workbook or document; raises
    PerfscoreError naming the file, sheet and cell when a table cannot be read."""
    from .forms.targets import read_declarations

    return read_declarations(path)


@dataclass
class TargetAudit:
    """One sheet compared with its declaration: the declaration's source and every finding."""

    source: str
    name: str
    declared: str  # where the declaration was read
    findings: list  # targets.TargetFinding
    unit: str | None = None

    @property
    def blocking(self) -> bool:
        return any(f.blocking for f in self.findings)

    def as_dict(self) -> dict:
        return {"file": self.source, "name": self.name, "declared": self.declared,
                "findings": [f.as_dict() for f in self.findings]}


def audit_targets(paths: Paths, targets: Path | str, policy: Policy | None = None
                  ) -> tuple[list[TargetAudit], list[Failure]]:
    """``audit --targets``: each sheet among the inputs compared with the declared project
    of the same 项目名称 (and 实施单位); a sheet with no (or no single) declaration fails,
    naming the candidates."""
    from .targets import compare, pick

    try:
        declarations = read_targets(targets)
    except PerfscoreError as exc:
        return [], [Failure.from_error(targets, exc)]
    inputs, failures = read_inputs(paths, policy=policy)
    out = []
    for item in inputs:
        decl = pick(declarations, item.sheet.name, item.sheet.unit, item.sheet.kind)
        if isinstance(decl, str):
            failures.append(Failure(item.source, item.sheet.name, item.sheet.unit, (f"{item.source}: {decl}",)))
            continue
        own = policy or item.policy
        out.append(TargetAudit(item.source, item.sheet.name, decl.source,
                               compare(decl, item.sheet, item.cells, own.cost_bare_operator),
                               item.sheet.unit or item.sheet.department))
    return out, failures
