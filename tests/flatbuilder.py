"""A flat workbook (sheets 项目 and 指标, the layout ``perfscore.flat`` reads) written from
project files: the tests' way to build the workbook a finance office exports."""

from __future__ import annotations

from pathlib import Path

from perfscore.flat import FUNDS, INDICATOR_COLUMNS, INDICATOR_SHEET, PROJECT_COLUMNS, PROJECT_SHEET
from perfscore.model import Project, Sheet
from perfscore.writing import atomic_file
from perfscore.xlsx.stream import HEADER, Workbook


def write_flat_workbook(sheets: list[Sheet], path: Path | str) -> Path:
    """Project files → a flat workbook (the reverse of ``flat_mappings``), atomically."""
    path = Path(path)
    project_header = list(PROJECT_COLUMNS)
    indicator_header = [h for h in INDICATOR_COLUMNS]
    with atomic_file(path) as fh, Workbook(fh, tmpdir=str(path.parent)) as book:
        projects = book.add_sheet(PROJECT_SHEET)
        projects.write_row(project_header, HEADER)
        indicators = book.add_sheet(INDICATOR_SHEET)
        indicators.write_row(indicator_header, HEADER)
        for sheet in sheets:
            if not isinstance(sheet, Project):
                continue  # department sheets have tasks, not one budget: not in a flat workbook
            budget = sheet.budget
            projects.write_row([
                sheet.name, sheet.department, sheet.unit, sheet.year, budget.initial,
                budget.adjusted if budget.adjusted is not None else budget.initial, budget.executed,
                sheet.deduction, sheet.execution_weight,
                *((getattr(sheet.funds, k) if sheet.funds else None) for k in FUNDS), sheet.policy,
            ])
            for ind in sheet.indicators:
                target = ind.target if ind.target is not None else f"{ind.operator or ''}{ind.value}{ind.unit or ''}"
                completion = f"{(ind.completion * 100).normalize():f}%" if ind.completion is not None else None
                indicators.write_row([
                    sheet.name, ind.level1, ind.level2, ind.name, target, ind.actual, ind.weight,
                    ind.cause, ind.remedy, completion, ind.target_initial, sheet.unit,
                ])
        projects.set_autofilter(0, projects.rows - 1, 0, len(project_header) - 1)
        indicators.set_autofilter(0, indicators.rows - 1, 0, len(indicator_header) - 1)
    return path
