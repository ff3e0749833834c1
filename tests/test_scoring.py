"""The scoring rules (docs/scoring.md §3–8), reproduced on the seeds and on small literal sheets."""

from decimal import Decimal
from pathlib import Path

import pytest

from perfscore.errors import InputError
from perfscore.policy import load_policy
from perfscore.projectfile import read_sheet_file, sheet_from_mapping
from perfscore.scoring import score_sheet
from perfscore.values import CellValueError, Quantity, parse_value


def project_files(folder):
    """A sample folder's project files (its perfscore.yaml is the folder's policy, not a project)."""
    return [p for p in sorted(folder.glob("*.yaml")) if p.name != "perfscore.yaml"]

D = Decimal
from conftest import CHAOYANG, QIAOKOU, one, problem, project


# -- seeds -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "file, total",
    [("fazhi_jianshe.yaml", "100"), ("renmin_tiaojie.yaml", "100"),
     ("zhengfu_goumai_falv_fuwu.yaml", "98.32"), ("renmin_jingcha_fuzhuang.yaml", "100")],
)
def test_seed000_projects_reproduce_published_totals(file, total):
    result = score_sheet(read_sheet_file(CHAOYANG / file), load_policy("liaoning"))
    assert result.total == D(total)
    assert result.grade == "优"
    assert result.discrepancies == []  # every printed score agrees with the sheet's own numbers


def test_seed000_government_legal_services_execution():
    result = score_sheet(read_sheet_file(CHAOYANG / "zhengfu_goumai_falv_fuwu.yaml"))
    # 22.12 / 26.6 = 83.1578… → 83.16% → 10 × 83.16% = 8.316 → 8.32; the sheet prints 83.17%,
    # within the 0.05-point tolerance for amounts printed at 0.01 万元.
    assert (result.execution_rate, result.execution_score) == (D("83.16"), D("8.32"))
    assert result.indicator_score == D("90")
    assert str(result.total) == "98.32"
    exceeded = result.indicators[0]  # 决策咨询建议数量 = 4 条, actual 5
    assert exceeded.completion_pct == D("100") and exceeded.needs_explanation
    assert any("超过「=」指标值" in w for w in exceeded.warnings)


def test_seed000_department_sheet_under_liaoning():
    result = score_sheet(read_sheet_file(CHAOYANG / "zhengti.yaml"), load_policy("liaoning"))
    assert [t.execution_rate for t in result.tasks] == [D(84), D(89), D(76), D(94)]
    assert [t.score for t in result.tasks] == [D("8.4"), D("8.9"), D("7.6"), D("9.4")]
    assert result.indicator_score == D(60)
    assert str(result.total) == "94.30" and result.grade == "优"
    assert result.discrepancies == []
    # The sheet's 预算执行率 indicator claims 100% while its tasks ran at 76–94%.
    flagged = [i for i in result.indicators if "预算执行率" in i.name]
    assert flagged and any("81.63%" in w for w in flagged[0].warnings)


def test_seed000_department_sheet_under_default_shows_whole_percent_rounding():
    result = score_sheet(read_sheet_file(CHAOYANG / "zhengti.yaml"))
    assert result.tasks[0].execution_rate == D("83.87") and result.total == D("94.28")
    fields = {d.field for d in result.discrepancies}
    assert {"tasks[0].execution_rate", "tasks[0].score", "total"} <= fields


def test_seed000_summary_text_claims_10_where_the_table_gives_100():
    # The 决算公开 narrative says "人民调解项目自评得分 10 分"; the sheet's own numbers give 100.
    result = score_sheet(read_sheet_file(CHAOYANG / "renmin_tiaojie.yaml"))
    assert result.total == D(100)
    claimed = sheet_from_mapping(
        {**read_sheet_file(CHAOYANG / "renmin_tiaojie.yaml").model_dump(exclude_none=True), "reported": {"total": 10}},
        "narrative",
    )
    found = score_sheet(claimed).discrepancies
    assert [(d.field, d.reported, d.computed) for d in found] == [("total", D(10), D(100))]


def test_seed004_bawu_pufa_default_split_and_budget_cut():
    result = score_sheet(read_sheet_file(QIAOKOU / "01_bawu_pufa.yaml"))
    assert [i.weight for i in result.indicators] == [D(50), D("13.33"), D("13.33"), D("13.34")]
    assert result.execution_weight == D(10) and result.total == D(100)
    # the narrative's 年初 15.85 vs the table's 7.99: the cut shows
    assert any("15.85" in w and "7.99" in w and "50.41%" in w for w in result.warnings)


def test_seed004_under_hubei():
    result = score_sheet(read_sheet_file(QIAOKOU / "01_bawu_pufa.yaml"), load_policy("hubei"))
    assert result.execution_weight == D(20)
    # 产出 40 on one indicator; 效益 30 + 满意度 10 = 40 over three
    assert [i.weight for i in result.indicators] == [D(40), D("13.33"), D("13.33"), D("13.34")]
    result = score_sheet(read_sheet_file(QIAOKOU / "02_gonggong_falv_fuwu.yaml"), load_policy("hubei"))
    assert [i.weight for i in result.indicators] == [D(20), D(20), D(15), D(15), D(10)]


@pytest.mark.parametrize("policy", ["default", "hubei"])
def test_all_seed004_sheets_score(policy):
    for path in project_files(QIAOKOU):
        result = score_sheet(read_sheet_file(path), load_policy(policy))
        weights = result.execution_weight + sum(i.weight for i in result.indicators)
        assert weights == D(100), path.name
        assert D(0) <= result.total <= D(100)


# -- §3 execution -------------------------------------------------------------------------

def test_over_execution_is_capped_but_shown():
    result = score_sheet(project([_ind()], {"initial": "104.9", "executed": "129.6"}))
    assert result.execution_rate == D("123.55") and result.execution_score == D(10)


def test_execution_cap_off():
    policy = load_policy("default").model_copy(update={"execution_cap": False})
    result = score_sheet(project([_ind()], {"initial": 100, "executed": 110}), policy)
    assert result.execution_score == D(11)


def test_adjusted_budget_warning_gives_both_rates():
    result = score_sheet(project([_ind()], {"initial": 20, "adjusted": "9.465", "executed": "9.465"}))
    assert result.execution_rate == D(100)
    assert "全年预算数 9.465 万元比年初预算数 20 万元低 52.7%；以年初预算数计，执行率为 47.33%" in result.warnings


def test_budget_adjusted_to_zero_scores_zero_with_warning():
    result = score_sheet(project([_ind()], {"initial": 20, "adjusted": 0, "executed": 0}))
    assert (result.execution_rate, result.execution_score) == (D(0), D(0))
    assert any("预算数为 0" in w for w in result.warnings)


# -- §4 quantitative ---------------------------------------------------------------------

def _ind(**kw):
    return {"level1": "产出指标", "level2": "数量指标", "name": "指标", "target": "100%", "actual": "100%", "weight": 90, **kw}


def test_explain_matches_the_issue_example():
    ind = one("≥1100件", "582件", weight=10, cause="案件减少")
    assert ind.completion_pct == D("52.91") and ind.score == D("5.29")
    assert "582/1100 = 52.91% → 10 × 52.91% = 5.29" in ind.explanation


@pytest.mark.parametrize(
    "target, actual, completion, score",
    [
        ("≥100件", "80件", "80", "72"),
        ("≥100件", "120件", "100", "90"),
        (">99%", "98%", "98.99", "89.09"),  # 98/99 = 0.98989… → 89.0909 → 89.09
        ("≤5%", "10%", "50", "45"),  # ratio: target / actual
        ("<2%", "4%", "50", "45"),
        ("= 4 条", "3 条", "75", "67.5"),
        ("= 4 条", "5 条", "100", "90"),  # '=' exceeded: met, with a warning
        ("≥0次", "0次", "100", "90"),  # target 0 with ≥: always met
        ("<=0%", "0%", "100", "90"),  # must stay at zero
        ("<=0%", "1%", "0", "0"),
        ("=0次", "2次", "0", "0"),
        ("≥1万元", "5000元", "50", "45"),  # 元 ↔ 万元
        ("100%", "100%", "100", "90"),  # bare number is '='
        ("配备率 100%", "配备率 100%", "100", "90"),
        ("提高90%", "提高90%", "100", "90"),
        ("≥3", "2", "66.67", "60"),
    ],
)
def test_quantitative_completion(target, actual, completion, score):
    ind = one(target, actual)
    assert ind.kind == "quantitative"
    assert (ind.completion_pct, ind.score) == (D(completion), D(score))


def test_rounding_is_half_up_at_each_indicator():
    # 90 × 1/8 = 11.25 exactly; 10 × 0.125 needs ROUND_HALF_UP at 2 decimals → weight 1 × 0.125 = 0.13
    ind = one("≥8次", "1次", weight=1)
    assert ind.score == D("0.13")  # banker's rounding gives 0.12
    ind = one("≥200件", "1件", weight=1)  # 0.005 → 0.01 (banker's: 0.00)
    assert ind.score == D("0.01")


def test_cost_bare_amount_is_a_ceiling():
    # 黄石 2022: a cost target of "200万" met by 195.5万元 is full marks
    ind = one("200万", "195.5万元", level2="成本指标")
    assert ind.operator == "≤" and ind.score == D(90)


def test_strict_operator_equal_is_met_with_warning():
    ind = one("<2%", "2%")
    assert ind.score == D(90) and any("未严格满足「<」" in w for w in ind.warnings)


def test_reverse_linear_formula():
    ind = one("≤10%", "15%", policy=_policy_file_linear())
    assert ind.completion_pct == D(50)
    ind = one("≤10%", "25%", policy=_policy_file_linear())
    assert ind.completion_pct == D(0)


def _policy_file_linear(tmp=Path(__file__).parent / "policies" / "linear.yaml"):
    return str(tmp)


def test_overachievement_warning():
    ind = one("≥100件", "150件")
    assert any("1.5 倍" in w for w in ind.warnings)
    ind = one("≥100件", "149件")
    assert not any("倍" in w for w in ind.warnings)


def test_operator_repeated_in_actual_is_ignored_but_warned_when_different():
    assert one("≥183人", "≥183人").warnings == []
    ind = one("≥183人", "≤183人")
    assert ind.score == D(90) and any("运算符" in w for w in ind.warnings)


def test_split_target_form():
    ind = one(None, "3", operator="不低于", value=4, unit="条", cause="x")
    assert (ind.operator, ind.target, ind.unit, ind.completion_pct) == ("≥", D(4), "条", D(75))


def test_target_moved_during_year_is_warned():
    ind = one("≥25场次", "30场次", target_initial="≥6场次")
    assert any("≥6场次" in w and "≥25场次" in w for w in ind.warnings)


# -- §5 qualitative ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "actual, completion, grade, pct",
    [
        ("全部或基本达成预期指标", None, "A", "100"),
        ("达成年度指标", None, "A", "100"),
        ("达到预期目标", None, "A", "100"),
        ("达标", None, "A", "100"),
        ("是", None, "A", "100"),
        ("规范执行", None, "A", "100"),  # equals the target text
        ("全部或基本达成预期指标", "85%", "A", "85"),
        ("部分达成预期指标并具有一定效果", "70%", "B", "70"),
        ("未达成预期指标且效果较差", "30%", "C", "30"),
        ("未完成", "0", "C", "0"),
    ],
)
def test_qualitative_grades(actual, completion, grade, pct):
    extra = {"completion": completion} if completion is not None else {}
    ind = one("规范执行", actual, cause="原因", **extra)
    assert (ind.kind, ind.grade, ind.completion_pct) == ("qualitative", grade, D(pct))


def test_hubei_bands():
    ind = one("规范执行", "部分达成", completion="55%", policy="hubei", cause="x", weight=80)
    assert ind.grade == "B"
    with pytest.raises(InputError):
        one("规范执行", "部分达成", completion="55%", cause="x")  # default B band is [60, 80)


def test_grade_text_makes_any_target_qualitative():
    ind = one("职工工资总额6%", "达成预期指标")
    assert ind.kind == "qualitative" and ind.score == D(90)


def test_number_actual_against_text_target_needs_completion():
    # seed 004 帮扶慰问困难安置帮教对象: target 推进…发展, actual 300 人次
    with pytest.raises(InputError, match="请填写完成程度"):
        one("推进刑满释放人员安置帮教工作健康有序发展", "300 人次")
    ind = one("推进刑满释放人员安置帮教工作健康有序发展", "300 人次", completion="90%", cause="x")
    assert (ind.grade, ind.score) == ("A", D(81))


@pytest.mark.parametrize(
    "actual, completion, message",
    [
        ("有效推进", None, "不是可识别的定性等级"),
        ("部分达成", None, "须填写完成程度"),
        ("未达成", None, "须填写完成程度"),
        ("部分达成", "90%", "不在等级 B"),
        ("全部达成", "50%", "不在等级 A"),
    ],
)
def test_qualitative_errors(actual, completion, message):
    extra = {"completion": completion} if completion is not None else {}
    with pytest.raises(InputError, match=message):
        one("规范执行", actual, **extra)


def test_completion_on_quantitative_is_an_error():
    with pytest.raises(InputError, match="定量指标不能填写完成程度"):
        one("≥3次", "2次", completion="70%")


# -- §6 weights -------------------------------------------------------------------------

def test_weights_must_sum_to_100_and_the_sum_is_shown():
    with pytest.raises(InputError, match=r"分值合计 95（预算执行率 10 \+ 指标 85），应为 100"):
        score_sheet(project([_ind(weight=85)]))


def test_some_weighted_some_not_is_an_error():
    with pytest.raises(InputError, match="第 2 个指标没有分值"):
        score_sheet(project([_ind(weight=90), _ind(name="b", weight=None)]))


def test_scaled_shares_when_execution_weight_is_not_the_presets():
    inds = [_ind(weight=None), _ind(name="b", level1="效益指标", level2="社会效益指标", weight=None),
            _ind(name="c", level1="满意度指标", level2="服务对象满意度指标", weight=None)]
    result = score_sheet(project(inds, execution_weight=20))
    # 80 × 50/90 = 44.44, 80 × 30/90 = 26.67, remainder 8.89
    assert [i.weight for i in result.indicators] == [D("44.44"), D("26.67"), D("8.89")]


def test_unknown_level1_without_weights_is_an_error():
    with pytest.raises(InputError, match="履职效能"):
        score_sheet(project([_ind(weight=None, level1="履职效能")]))


def test_level_names_with_and_without_suffix_are_one():
    inds = [_ind(weight=None, level1="产出"), _ind(name="b", level1="效益", level2="社会效益", weight=None)]
    result = score_sheet(project(inds))
    assert [i.weight for i in result.indicators] == [D(50), D(40)]
    assert all(not any("常用指标体系" in w for w in i.warnings) for i in result.indicators)


# -- §7 total and grade --------------------------------------------------------------------

@pytest.mark.parametrize(
    "actual, total, grade",
    [("100", "100", "优"), ("80", "82", "良"), ("60", "64", "中"), ("50", "55", "差")],
)
def test_grade_bands(actual, total, grade):
    result = score_sheet(project([_ind(target="≥100", actual=actual, cause="x")]))
    assert (result.total, result.grade) == (D(total), grade)


def test_deduction_and_clamp():
    result = score_sheet(project([_ind()], deduction=5))
    assert result.total == D(95)
    result = score_sheet(project([_ind(target="≥100", actual="0", cause="x")], deduction=50))
    assert result.total == D(0) and result.grade == "差"


def test_score_decimals_zero_hebei_style(tmp_path):
    path = tmp_path / "hebei.yaml"
    path.write_text("preset: default\nrate_decimals: {project: 0}\nscore_decimals: 0\n", encoding="utf-8")
    result = score_sheet(project([_ind()], {"initial": "26.6", "executed": "22.12"}), load_policy(path))
    assert (result.execution_rate, result.execution_score, result.total) == (D(83), D(8), D(98))


# -- §8 discrepancies ---------------------------------------------------------------------

def test_discrepancies_are_listed():
    inds = [_ind(target="≥1100件", actual="582件", weight=90, reported_score=90, reported_completion=100, cause="x")]
    sheet = project(inds, reported={"execution_rate": "99", "execution_score": 10, "total": 100, "grade": "优"})
    found = {d.field: (d.reported, d.computed) for d in score_sheet(sheet).discrepancies}
    assert found == {
        "indicators[0].score": (D(90), D("47.62")),
        "indicators[0].completion": (D(100), D("52.91")),
        "execution_rate": (D(99), D(100)),
        "total": (D(100), D("57.62")),
        "grade": ("优", "差"),
    }


def test_missing_cause_is_a_warning():
    ind = one("≥100件", "80件")
    assert ind.needs_explanation and any("缺少偏差原因" in w for w in ind.warnings)


def test_all_problems_are_collected():
    inds = [_ind(actual="5 人", target="≥10次"), _ind(name="b", actual="说不清", target="规范执行", weight=0)]
    with pytest.raises(InputError) as info:
        score_sheet(project(inds, execution_weight=10))
    assert len(info.value.problems) == 2
    assert "第1个指标「指标」 字段 actual（全年完成值）: 实际值单位「人」与目标单位「次」不一致" in str(info.value.problems[0])


# -- operators, negative numbers, grade texts, bare numbers, zero in words, deadlines, printed shares

@pytest.mark.parametrize("cell, operator, number, unit", [
    ("大于等于95%", "≥", "95", "%"), ("大于或等于95%", "≥", "95", "%"), ("小于等于5%", "≤", "5", "%"),
    ("小于或等于5%", "≤", "5", "%"), ("⩾90%", "≥", "90", "%"), ("⩽3次", "≤", "3", "次"),
    ("≧1件", "≥", "1", "件"), ("≦2件", "≤", "2", "件"), ("＞＝80%", "≥", "80", "%"), ("＜＝20%", "≤", "20", "%"),
    ("═100%", "=", "100", "%"), ("﹦4条", "=", "4", "条"), ("不超过上年的5%", "≤", "5", "%"),
    ("费用不超过合同价的110%", "≤", "110", "%"), ("不小于10个", "≥", "10", "个"), ("未超出100万元", "≤", "100", "万元"),
    ("控制在5%以内", "≤", "5", "%"), ("大于3次", ">", "3", "次"),
])
def test_operator_words_and_glyphs(cell, operator, number, unit):
    parsed = parse_value(cell)
    assert (parsed.operator, parsed.number, parsed.unit) == (operator, D(number), unit)


def test_operator_word_before_the_number_scores_as_a_ceiling():
    # 费用不超过合同价的110%, actual 120%: ≤ → 110/120 = 91.67%, not '=' (which would be met)
    ind = one("费用不超过合同价的110%", "120%")
    assert (ind.operator, ind.completion_pct, ind.score) == ("≤", D("91.67"), D("82.5"))
    assert one("不超过上年的5%", "4%").completion_pct == D("100")


def test_longer_operator_word_wins():
    assert one("大于等于95%", "95%").warnings == []  # ≥, not > (which would warn about strictness)


@pytest.mark.parametrize("cell", ["≮5%", "≯5%", "≮ 95 %"])
def test_negated_operator_is_an_error(cell):
    assert "否定形式" in problem(cell, "5%")


@pytest.mark.parametrize("operator, completion", [("大于等于", "80"), ("⩾", "80"), ("小于等于", "100"), ("═", "80")])
def test_split_operator_column_accepts_the_same_words(operator, completion):
    sheet = project([{"level1": "产出指标", "level2": "数量指标", "name": "x", "operator": operator, "value": 10,
                      "unit": "件", "actual": "8件", "weight": 90}], execution_weight=10)
    assert score_sheet(sheet).indicators[0].completion_pct == D(completion)


def test_split_negated_operator_is_an_error():
    sheet = project([{"level1": "产出指标", "name": "x", "operator": "≯", "value": 10, "actual": "8", "weight": 90}],
                    execution_weight=10)
    with pytest.raises(InputError, match="否定形式"):
        score_sheet(sheet)


@pytest.mark.parametrize("cell", ["≥–5%", "≥-5%", "≥—5%", "≥−5%", "≥﹣5%", "≥－5%", "≥‐5%", "-3人", "–3人"])
def test_dash_before_number_is_negative(cell):
    with pytest.raises(CellValueError, match="负数"):
        parse_value(cell)


def test_dates_are_not_negative_numbers():
    assert parse_value("2024-12-31").numbers == 3


def test_tiny_budget_with_huge_execution_scores_without_overflow():
    sheet = project([{"level1": "产出指标", "name": "x", "target": "≥1", "actual": "1", "weight": 90}],
                    budget={"initial": "0.000001", "executed": "999999999999999"}, execution_weight=10)
    result = score_sheet(sheet)
    assert result.execution_rate == D("99999999999999900000000.00") and result.total == D(100)


@pytest.mark.parametrize("actual", ["全部未完成", "基本达成但未能验收", "完成情况：没有达到预期"])
def test_a_negation_is_never_grade_a(actual):
    message = problem("有所提升", actual)
    assert "等级 C" in message  # C needs an explicit completion
    assert one("有所提升", actual, completion="40%").score == D("36")


@pytest.mark.parametrize("actual", ["完成率50%", "达成率40%", "完成80%"])
def test_a_grade_text_holding_a_number_is_an_error(actual):
    assert "含数值" in problem("有所提升", actual)
    assert one("有所提升", actual, completion="50%").grade == "C"


def test_actual_equal_to_target_text_is_a_whatever_it_holds():
    ind = one("完成1部宣传片,2套方案", "完成1部宣传片,2套方案")
    assert (ind.grade, ind.score) == ("A", D("90"))


def test_bare_fraction_against_percent_target_is_ambiguous():
    message = problem("≥95%", "0.98")
    assert "0.98%" in message and "98%" in message and "「98%」" in message


def test_bare_number_takes_the_percent_unit():
    assert one("≥100%", "100").completion_pct == D("100")
    assert one("≥95%", "90").completion_pct == D("94.74")
    assert one("≥0.5%", "0.4").completion_pct == D("80")  # target not above 1: no ambiguity


@pytest.mark.parametrize("target, actual", [("小于5次", "无上访"), ("≤3起", "无"), ("=0起", "零"), ("<2%", "未发生"),
                                            ("≤3次", "0 起"), ("0次", "无安全事故")])
def test_zero_in_words_is_zero(target, actual):
    ind = one(target, actual)
    assert (ind.kind, ind.actual, ind.completion_pct) == ("quantitative", D(0), D("100"))


def test_zero_in_words_against_a_floor_is_not_a_number():
    assert "定性等级" in problem("≥5次", "无上访")


@pytest.mark.parametrize("target, actual, met", [
    ("9月前", "7月", True), ("9月前", "9月", True), ("9月前", "10月", False),
    ("12月底前", "12月", True), ("12月底前", "2024年12月31日", True),
    ("2024年12月31日前", "2024年11月20日", True), ("2024年12月31日前", "2025年1月3日", False),
    ("2024年11月底前完成", "2024年11月20日", True), ("2024年11月底前完成", "2024年12月5日", False),
    ("2024年11月底前完成", "按时完成", True), ("9月前", "已完成", True),
])
def test_deadlines(target, actual, met):
    if met:
        ind = one(target, actual, level2="时效指标", year=2024)
        assert (ind.grade, ind.score) == ("A", D("90"))
    else:
        assert "晚于期限" in problem(target, actual, level2="时效指标", year=2024)
        late = one(target, actual, level2="时效指标", year=2024, completion="70%")
        assert (late.grade, late.score) == ("B", D("63"))


def test_bare_month_under_timeliness_is_a_deadline():
    assert one("11月", "10月", level2="时效指标").grade == "A"
    assert "晚于期限" in problem("2024年11月底", "2024年12月1日", level2="时效指标", year=2024)


def test_month_without_year_takes_the_sheets_year():
    assert "晚于期限" in problem("12月底前", "2025年1月5日", level2="时效指标", year=2024)
    assert one("12月底前", "2023年12月5日", level2="时效指标", year=2024).grade == "A"


def test_duration_is_not_a_deadline():
    assert one("≤3个月", "2个月", level2="时效指标").kind == "quantitative"


def test_level_share_is_stripped_and_used_by_the_default_split():
    def ind(level1, name):
        return {"level1": level1, "level2": "数量指标", "name": name, "target": "≥1", "actual": "1"}
    sheet = project([ind("产出指标(60分)", "a"), ind("效益指标（20分）", "b"), ind("满意度指标(10分)", "c")])
    result = score_sheet(sheet)
    assert [i.level1 for i in result.indicators] == ["产出指标", "效益指标", "满意度指标"]
    assert [i.weight for i in result.indicators] == [D(60), D(20), D(10)]
    assert sheet.indicators[0].level1_share == D(60)
    plain = score_sheet(project([ind("产出指标", "a"), ind("效益指标", "b"), ind("满意度指标", "c")]))
    assert [i.weight for i in plain.indicators] == [D(50), D(30), D(10)]  # the policy's shares


def test_printed_shares_must_add_up():
    sheet = project([{"level1": "产出指标(70分)", "name": "a", "target": "≥1", "actual": "1"},
                     {"level1": "效益指标(30分)", "name": "b", "target": "≥1", "actual": "1"}])
    with pytest.raises(InputError, match="合计 120"):  # 10 + 70 + 30 + the policy's 满意度 10
        score_sheet(sheet)
