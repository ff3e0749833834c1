"""summary.sqlite: the tables of summary.xlsx (项目, 指标, 问题) in one SQLite database.

Excel stops at 1,048,576 rows a sheet; a province's or a nation's batch still has its
tables here, for analysts to query (docs/summary-sqlite.md). The columns are summary.xlsx's
headers; 指标 adds each row's 评分规则 and 来源文件, 问题 its 评分规则 (文件 is its source).
Every value is as summary.xlsx shows it: an amount or score is TEXT in its 0.00 form
(``format_fixed``, 四舍五入), a count or a year an INTEGER, an empty cell NULL. Rows keep
summary.xlsx's order (``ORDER BY rowid``); the 合计 rows are not stored (SQL sums them).

The database is built under a temporary name in the same folder, without a journal (it is
a new file, nobody reads it yet), and renamed into place when complete.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from decimal import Decimal
from pathlib import Path

from ..errors import Failure, OutputError, printable
from ..policy import PolicyLabels
from ..values import format_fixed
from ..writing import TEMP_PREFIX
from .digests import Part, Results
from .documents import Grouping, group_results
from .figures import unit_of
from .workbook import (INDICATOR_HEADERS, PROBLEM_HEADERS, PROJECT_HEADERS, leading_problem_rows, project_row,
                       sheet_problem_rows, target_rows)

POLICY, SOURCE = "评分规则", "来源文件"
TABLES = {
    "项目": PROJECT_HEADERS,
    "指标": [*INDICATOR_HEADERS, POLICY, SOURCE],
    "问题": [*PROBLEM_HEADERS, POLICY],
}
INTEGER_COLUMNS = frozenset({"年度", "提示数", "不一致数"})


_FIXED: dict[Decimal, str] = {}  # an amount → its 0.00 text (equal amounts have one; they repeat a lot)


def _fixed(value: Decimal) -> str:
    text = format_fixed(value, 2)
    if value:  # 0 and -0 are one key but two texts (0.00, -0.00): zeros are not kept
        if len(_FIXED) >= 8192:
            _FIXED.clear()
        _FIXED[value] = text
    return text


def _row(values) -> tuple:
    """Values as their summary.xlsx cells show them: an amount in its 0.00 text, an empty
    text NULL (summary.xlsx leaves the cell empty)."""
    fixed = _FIXED
    return tuple([(fixed.get(v) or _fixed(v)) if isinstance(v, Decimal) else None if v == "" else v for v in values])


def _rows(r, rows: tuple, detail, labels: PolicyLabels) -> tuple[tuple, list[tuple], list[tuple]]:
    """A sheet's row of 项目, its rows of 指标 and its own rows of 问题, as the database holds them."""
    rules, source, unit, name = labels[r.policy], r.source, unit_of(r), r.name
    return (_row(project_row(r, labels)), [_row((unit, name, *row, rules, source)) for row in rows],
            [_row(row) for row in sheet_problem_rows(r, detail, labels)])


# each sheet's rows of the three tables, as the batch's workers build them
DATABASE_PART = Part("summary.sqlite", _rows, lambda rows: pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL),
                     pickle.loads)


def _create(con: sqlite3.Connection, table: str, headers: list[str]) -> str:
    columns = ", ".join(f'"{h}" {"INTEGER" if h in INTEGER_COLUMNS else "TEXT"}' for h in headers)
    con.execute(f'CREATE TABLE "{table}" ({columns})')
    return f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(headers))})'


def write_database(results: Results | list, failures: list[Failure], path: Path, grouping: Grouping | None = None,
                   targets: tuple | None = None, duplicates: list[Failure] = ()) -> None:
    """summary.sqlite at ``path``: the 项目, 指标 and 问题 tables of summary.xlsx for the same
    results (each row with its 评分规则 and source file), written whole or not at all."""
    results = Results.of(results)
    path = Path(path)
    grouping = grouping or group_results(results, failures)
    temp = path.parent / f"{TEMP_PREFIX}{os.getpid()}-{path.name}"
    if os.path.lexists(temp):
        os.unlink(temp)
    try:
        con = sqlite3.connect(temp, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=OFF")
            con.execute("PRAGMA synchronous=OFF")
            con.execute("BEGIN")
            labels = PolicyLabels()
            project, indicators = _create(con, "项目", TABLES["项目"]), _create(con, "指标", TABLES["指标"])
            problems = _create(con, "问题", TABLES["问题"])
            con.executemany(problems, (_row((*row, rules)) for row, rules
                                       in leading_problem_rows(results, failures, grouping, duplicates, labels)))
            for row, rows, found in results.built(DATABASE_PART, labels):  # one pass: the tables in output order
                con.execute(project, row)
                con.executemany(indicators, rows)
                if found:
                    con.executemany(problems, found)
            con.executemany(problems, (_row((*row, None)) for row in target_rows(targets)))
            con.execute("COMMIT")
        finally:
            con.close()
        os.replace(temp, path)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, sqlite3.Error):
            raise OutputError(f"无法写入 {printable(path)}: 数据库写入失败（磁盘已满或没有写入权限）") from None
        raise
