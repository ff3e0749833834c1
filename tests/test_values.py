"""The value parser on real cell strings from the seeds (SCORING.md §9)."""

from decimal import Decimal

import pytest

from perfscore.values import (
    CellValueError, Quantity, Text, format_number, parse_number, parse_percent, parse_value, quantize, to_unit,
)

D = Decimal


@pytest.mark.parametrize(
    "cell, operator, number, unit, label",
    [
        ("≥7000 次", "≥", "7000", "次", ""),
        ("≤22.59万元", "≤", "22.59", "万元", ""),
        ("100%", None, "100", "%", ""),
        (">99%", ">", "99", "%", ""),  # seed 004 基层司法: 全区民间纠纷调解成功率
        ("≥ 95% %", "≥", "95", "%", ""),  # unit printed twice
        ("≥95％", "≥", "95", "%", ""),  # full-width percent
        ("=4条", "=", "4", "条", ""),
        ("= 4 条", "=", "4", "条", ""),  # seed 000: 决策咨询建议数量
        (">= 25000 件", "≥", "25000", "件", ""),  # seed 000 整体表
        ("<= 5 %", "≤", "5", "%", ""),
        ("配备率 100%", None, "100", "%", "配备率"),  # seed 004: label, bare number
        ("1 个", None, "1", "个", ""),
        ("<2%", "<", "2", "%", ""),
        ("≥183人", "≥", "183", "人", ""),  # operator repeated in an actual cell
        ("完成582件", None, "582", "件", "完成"),
        ("提高90%", None, "90", "%", "提高"),
        ("＞９９．５％", ">", "99.5", "%", ""),  # full-width digits and operator
        ("≧95%", "≥", "95", "%", ""),
        ("不低于95%", "≥", "95", "%", ""),
        ("不少于 20 场", "≥", "20", "场", ""),
        ("至少3次", "≥", "3", "次", ""),
        ("达到98%", "≥", "98", "%", ""),
        ("100%以上", "≥", "100", "%", ""),
        ("不高于5%", "≤", "5", "%", ""),
        ("不超过 200 万元", "≤", "200", "万元", ""),
        ("不多于2次", "≤", "2", "次", ""),
        ("5%以内", "≤", "5", "%", ""),
        ("3天以下", "≤", "3", "天", ""),
        ("高于90%", ">", "90", "%", ""),
        ("大于1", ">", "1", "", ""),
        ("超过10人", ">", "10", "人", ""),
        ("低于3%", "<", "3", "%", ""),
        ("小于1%", "<", "1", "%", ""),
        ("少于2起", "<", "2", "起", ""),
        ("3万", None, "3", "万元", ""),  # 万 alone is 万元
        ("500元/人/月", None, "500", "元/人/月", ""),
        ("1,100 件", None, "1100", "件", ""),
        ("8 小时", None, "8", "小时", ""),
        ("300 人次", None, "300", "人次", ""),
    ],
)
def test_quantities(cell, operator, number, unit, label):
    assert parse_value(cell) == Quantity(operator, D(number), unit, label)


@pytest.mark.parametrize(
    "cell, numbers",
    [
        ("达成预期指标", 0),
        ("全部或基本达成预期指标", 0),
        ("规范执行", 0),
        ("2024年11月底前完成", 2),  # two numbers: qualitative (SCORING.md §4 rule 3)
        ("跨县每件1200元,县内每件1000元", 2),
        ("推进刑满释放 人员安置帮教 工作健康有序发展", 0),
    ],
)
def test_texts(cell, numbers):
    value = parse_value(cell)
    assert isinstance(value, Text) and value.numbers == numbers


@pytest.mark.parametrize("cell", ["", "   ", "NaN", "inf", "-5", "≥ -3 件", "1e400"])
def test_unreadable_cells(cell):
    with pytest.raises(CellValueError):
        parse_value(cell)


def test_numbers_are_decimal_and_finite():
    assert parse_number("26.6") == D("26.6")
    assert parse_number(12) == D(12)
    for bad in ("abc", "NaN", D("Infinity"), D("1e400"), True):
        with pytest.raises(CellValueError):
            parse_number(bad)


def test_yuan_wanyuan_is_the_only_conversion():
    assert to_unit(Quantity(None, D("184884.5"), "元"), "万元") == D("18.48845")
    assert to_unit(Quantity(None, D("3"), "万元"), "元") == D("30000")
    assert to_unit(Quantity(None, D("3"), ""), "件") == D("3")
    with pytest.raises(CellValueError):
        to_unit(Quantity(None, D("3"), "人"), "次")


def test_round_half_up_not_bankers():
    # round() would give 0.12 and 2 (banker's rounding); the sheets need 0.13 and 3.
    assert quantize(D("0.125"), 2) == D("0.13")
    assert quantize(D("2.5"), 0) == D("3")
    assert quantize(D("8.315"), 2) == D("8.32")
    assert quantize(D("83.165"), 2) == D("83.17")


def test_percent_and_format():
    assert parse_percent("70%") == D("0.7")
    assert parse_percent(70) == D("0.7")
    assert parse_percent(D("0.7")) == D("0.7")
    assert format_number(D("90.00")) == "90"
    assert format_number(D("98.320")) == "98.32"
