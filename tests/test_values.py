"""The value parser on real cell strings from the seeds (docs/scoring.md §9): operators, numbers,
units, thousands separators, extremes."""

from decimal import Decimal

import pytest

from perfscore.values import (
    CellValueError, Quantity, Text, format_number, parse_number, parse_percent, parse_value, quantize, to_unit,
)

from conftest import one

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
        ("2024年11月底前完成", 2),  # two numbers: qualitative (docs/scoring.md §4 rule 3)
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


# -- thousands separators, unusual digits, extremes, units, redundant operators

def test_commas_only_in_groups_of_three():
    assert parse_value("≥1,234.5件").number == D("1234.5")
    assert parse_value("1,000,000元").number == D("1000000")
    assert parse_number("1,234") == D("1234")
    for bad in ("26,6", "1,2345", "1,234,5", "12,34万元"):
        with pytest.raises(CellValueError, match="千位分隔符"):
            parse_value(bad)
    with pytest.raises(CellValueError, match="千位分隔符"):
        parse_number("26,6")


@pytest.mark.parametrize("cell, what", [
    ("≥5²个", "上标"), ("5₂个", "下标"), ("≥٣个", "非阿拉伯数字"), ("≥५个", "非阿拉伯数字"),
    ("≥1e3次", "科学计数法"), ("1E5", "科学计数法"), ("0x10", "十六进制"), ("≥0X1F个", "十六进制"),
])
def test_unusual_digit_forms_are_errors(cell, what):
    with pytest.raises(CellValueError, match=what):
        parse_value(cell)


def test_superscript_in_a_unit_and_circled_list_marks_are_text():
    assert parse_value("≥100m²") == Quantity("≥", D(100), "m²")
    assert parse_value("①完成培训").numbers == 0


def test_fullwidth_digits_still_fold():
    assert parse_value("≥１２３件").number == D(123)


@pytest.mark.parametrize("raw, message", [
    (D("1e999999999999"), "过大"), (D("1e-400"), "过小"), ("0.0000000001", "过小"), ("<5000 digits>", "过大"),
    ("1e999999999999", "科学计数法"), ("0x10", "十六进制"), ("1:30.5", "不是数字"),
])
def test_extreme_numbers_are_clean_errors(raw, message):
    raw = 10 ** 5000 if raw == "<5000 digits>" else raw  # no str() of it: Python's int-str limit
    with pytest.raises(CellValueError, match=message) as info:
        parse_number(raw)
    assert len(str(info.value)) < 120  # a 5000-digit number is never printed whole


def test_quantize_beyond_28_digits():
    assert quantize(D("999999999999999") / D("0.000001") * 100, 2) == D("99999999999999900000000.00")


def test_unit_conversions():
    assert to_unit(Quantity(None, D("2.6"), "亿元"), "万元") == D("26000")
    assert to_unit(Quantity(None, D("1.186"), "万人"), "人") == D("11860")
    assert to_unit(Quantity(None, D("50000"), "元"), "万元") == D("5")
    with pytest.raises(CellValueError):
        to_unit(Quantity(None, D("1"), "万人"), "次")
    ind = one("≥12000人", "1.186万人")  # 11860 / 12000
    assert ind.completion_pct == D("98.83")
    assert one("≤3亿元", "29000万元").completion_pct == D("100")


def test_percent_spellings():
    assert parse_value("95%(百分比)").unit == "%"
    assert one("≥95%(百分比)", "96%").completion_pct == D("100")


def test_workbook_cell_of_1e300_is_read_then_refused():
    from perfscore.xlsx.reader import cell_value

    value = cell_value(1e300)  # float-ok: what python-calamine returns for such a cell
    assert value == D("1E+300")
    with pytest.raises(CellValueError, match="过大"):
        parse_number(value)


def test_a_5000_digit_target_is_refused_quickly():
    with pytest.raises(CellValueError, match="过大"):
        parse_value("≥" + "9" * 5000)
    with pytest.raises(CellValueError, match="过大"):
        parse_value("≥" + "9" * 5000 + "e件")  # the exponent scan is linear in the digits


@pytest.mark.parametrize("cell, operator", [("≥=95%", "≥"), ("=≥95%", "≥"), ("增长率=不低于5%", "≥"), ("高于95%以上", ">"),
                                            ("=5%以内", "≤"), ("低于5%以下", "<")])
def test_redundant_operators_agree(cell, operator):
    assert parse_value(cell).operator == operator


@pytest.mark.parametrize("cell", ["≥≤5", "不低于5%以内", "≤95%以上", "高于上年且不超过10%"])
def test_opposite_operators_are_an_error(cell):
    with pytest.raises(CellValueError, match="运算符"):
        parse_value(cell)
