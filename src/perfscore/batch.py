"""Batch scoring for finance offices: many inputs in, isolated failures, parallel work."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    """An input that could not be read or scored; the batch goes on without it."""

    source: str  # the file (and sheet row) it came from
    name: str | None  # the project's name, when it could be read
    unit: str | None  # 实施单位 / 主管部门, when it could be read
    problems: tuple[str, ...]  # every problem, one Chinese line each
