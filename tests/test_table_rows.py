"""The tables' rows built column by column (the batch's workers) are exactly what the row-by-row
paths build: ``render_rows`` gives render_row's XML and widths for any table."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from perfscore.xlsx import stream
from perfscore.xlsx.stream import MAX_WIDTH, ROWS, render_row, render_rows

TEXTS = ["", " ", "朝阳县司法局", "指标1", "≥7000次", "a & b <c>", " lead", "trail ", "_x0041_", "x\x00y", "=1+1",
         "\r\nline", "长" * 40, "w" * 70, "满意度≥90%", "是", "否"]
NUMBERS = ["0", "-0", "-0.00", "98.32", "100", "1E+2", "1.50", "12345678901234567890123456789012345678901234567890123456789.5",
           "0.0000001", "-3.125", "7E-8"]


def _row_by_row(rows):
    xml, each = [], []
    for row in rows:
        widths: list[int] = []
        xml.append(render_row(row, widths))
        each.append(widths)
    if not each:
        return "", b"", b""
    return ROWS.join(xml), bytes(map(max, *each)) if len(each) > 1 else bytes(each[0]), b"".join(map(bytes, each))


def _value(rng: random.Random, kind: str):
    if kind == "text":
        return rng.choice(TEXTS) if rng.random() < 0.9 else rng.choice([None, ""])
    if kind == "number":
        return Decimal(rng.choice(NUMBERS)) if rng.random() < 0.8 else None
    if kind == "count":
        return rng.choice([0, 7, 2026, 10 ** 70]) if rng.random() < 0.8 else None
    return rng.choice([None, "", rng.choice(TEXTS), Decimal(rng.choice(NUMBERS)), rng.randint(-5, 5)])


@pytest.mark.parametrize("seed", range(40))
def test_a_table_renders_column_by_column_as_row_by_row(seed):
    rng = random.Random(seed)
    if seed % 5 == 0:
        stream._COLUMNS.clear()  # a fresh worker: every text a miss
    kinds = [rng.choice(["text", "text", "number", "count", "mixed"]) for _ in range(rng.randint(1, 14))]
    rows = [[_value(rng, k) for k in kinds] for _ in range(rng.choice([0, 1, 2, 5, 17]))]
    assert render_rows(rows) == _row_by_row(rows)


def test_uneven_rows_and_widths_capped():
    rows = [["a" * 80, Decimal("1" * 70)], ["b"], [None, 5, "c"]]
    assert render_rows(rows) == _row_by_row(rows)
    xml, widest, each = render_rows([["w" * 80, Decimal("1" * 70)], ["x", Decimal(1)]])
    assert widest == bytes([MAX_WIDTH, MAX_WIDTH]) and each == bytes([MAX_WIDTH, MAX_WIDTH, 1, 4])
    assert xml.count("<row ") == 2 and "<v>" + "1" * 70 + "</v>" in xml


@pytest.mark.parametrize("bad, error", [(Decimal("NaN"), ValueError), (Decimal("-Infinity"), ValueError),
                                        (True, TypeError), (1.5, TypeError)])
def test_a_value_no_cell_holds_is_refused_as_row_by_row(bad, error):
    rows = [[Decimal(1), "a"], [bad, "b"]]
    with pytest.raises(error):
        _row_by_row(rows)
    with pytest.raises(error):
        render_rows(rows)
