"""Auditing handed-in sheets: recompute every score and list each printed number the
rules do not give, with its cell address (``perfscore audit``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..inputs import Input
from ..policy import Policy
from ..projectfile import sheet_from_mapping
from ..scoring import Discrepancy, SheetScore, score_sheet
from .importing import read_filled, sheet_mapping
from ..xlsx.reader import ReadSheet


# discrepancy field → (table, column) or field name in the template map
_COLUMN = {"score": "score", "completion": "completion", "execution_rate": "rate"}
_PATH = re.compile(r"^(indicators|tasks)\[(\d+)\]\.(\w+)$")


@dataclass(frozen=True)
class Finding:
    """One printed value that differs from what the rules give."""

    file: str
    cell: str  # "J14", or "" when the sheet has no such cell
    discrepancy: Discrepancy

    def line(self) -> str:
        d = self.discrepancy
        where = f"{self.file} {self.cell}".rstrip()
        return f"{where} {d.label}: 原表 {_show(d.reported)}，应为 {_show(d.computed)}"


@dataclass
class AuditResult:
    file: str
    result: SheetScore
    findings: list[Finding]

    def as_dict(self) -> dict:
        """For ``audit --format json``: the file, the recomputed total and each finding."""
        return {
            "file": self.file,
            "total": self.result.total,
            "grade": self.result.grade,
            "findings": [
                {"cell": f.cell, "field": f.discrepancy.field, "label": f.discrepancy.label,
                 "reported": f.discrepancy.reported, "computed": f.discrepancy.computed}
                for f in self.findings
            ],
        }


def _show(value) -> str:
    from ..values import format_number

    return value if isinstance(value, str) else format_number(value)


def _cell_of(read: ReadSheet, field: str, rows: dict[str, list[int]]) -> str:
    match = _PATH.match(field)
    if match:
        table, index, column = match.group(1), int(match.group(2)), match.group(3)
        positions = rows.get(table, [])
        if index < len(positions):
            cell = read.tables[table][positions[index]].get(_COLUMN.get(column, column))
            return cell.ref if cell is not None else ""
        return ""
    cell = read.fields.get(field)
    return cell.ref if cell is not None else ""


def audit_sheet(path: Path | str, policy: Policy, template: Path | str | None = None) -> AuditResult:
    """Recompute a filled sheet and list every difference with its cell address."""
    path = Path(path)
    kind, read = read_filled(path, template)
    mapping = sheet_mapping(read, kind)
    result = score_sheet(sheet_from_mapping(mapping, str(path)), policy, str(path))
    # which sheet rows became indicators/tasks (blank rows are skipped on import)
    rows = {
        "indicators": [i for i, r in enumerate(read.tables.get("indicators", [])) if r.get("name") and r["name"].value not in (None, "")],
        "tasks": [i for i, r in enumerate(read.tables.get("tasks", [])) if r.get("name") and r["name"].value not in (None, "")],
    }
    findings = [Finding(str(path), _cell_of(read, d.field, rows), d) for d in result.discrepancies]
    return AuditResult(str(path), result, findings)


def audit_input(item: Input, policy: Policy) -> AuditResult:
    """Recompute one read sheet (a filled sheet, a flat-workbook row or a project file with
    reported values) and list every difference with the cell it was read from."""
    result = score_sheet(item.sheet, policy, item.source)
    findings = [Finding(item.source, item.cell_of(d.field), d) for d in result.discrepancies]
    return AuditResult(item.source, result, findings)
