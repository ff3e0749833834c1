"""Policy files (docs/scoring.md §11): presets, overrides that merge key by key, and every
unknown or malformed setting refused with the file and the key."""

from decimal import Decimal

import pytest

from perfscore.errors import InputError
from perfscore.policy import PRESETS, load_policy, preset_policy

from conftest import leaked_english

D = Decimal


def write(tmp_path, text, name="p.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_presets():
    assert PRESETS[0] == "default" and set(PRESETS) == {"default", "liaoning", "hubei"}
    default, liaoning, hubei = (preset_policy(p) for p in ("default", "liaoning", "hubei"))
    assert (default.execution_weight, default.rate_decimals.department, default.score_decimals) == (D(10), 2, 2)
    assert liaoning.rate_decimals.department == 0 and liaoning.rate_decimals.project == 2
    assert hubei.execution_weight == D(20)
    assert hubei.shares == {"产出指标": D(40), "效益指标": D(30), "满意度指标": D(10)}
    assert hubei.qualitative_bands["B"] == (D(50), D(80))
    assert list(default.grade_bands) == ["优", "良", "中"]


def test_override_merges_mappings_key_by_key(tmp_path):
    path = write(tmp_path, "preset: hubei\nshares: {产出指标: 50}\ngrade_bands: {良: 75}\n")
    policy = load_policy(path)
    assert policy.shares == {"产出指标": D(50), "效益指标": D(30), "满意度指标": D(10)}
    assert policy.grade_bands == {"优": D(90), "良": D(75), "中": D(60)}
    assert policy.execution_weight == D(20) and policy.name == path.name  # by its path (outside the current folder: its name), not its preset


def test_json_policy_without_preset_starts_from_default(tmp_path):
    policy = load_policy(write(tmp_path, '{"reverse_formula": "linear"}', "p.json"))
    assert policy.reverse_formula == "linear" and policy.execution_weight == D(10)


@pytest.mark.parametrize(
    "text, message",
    [
        ("preset: shanghai\n", "未知的评分规则预设「shanghai」"),
        ("preset: [hubei]\n", "字段 preset 应为预设名称"),
        ("shares: {产出指标: -5}\n", "产出指标 不能为负数"),
        ("shares: {产出: 50}\n", "未知的键 产出"),
        ("share_fallback: {满意度指标: 成本指标}\n", "去向「成本指标」"),
        ("qualitative_bands: {D: [0, 10]}\n", "未知的键 D"),
        ("grade_bands: {特优: 95}\n", "未知的键 特优"),
        ("reverse_formula: quadratic\n", "reverse_formula"),
        ("score_decimals: 9\n", "score_decimals"),
        ("rate_decimals: {projekt: 1}\n", "projekt"),
        ("execution_cap: maybe\n", "execution_cap"),
    ],
)
def test_bad_policy_files(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_policy(path)
    assert message in str(info.value)
    assert str(path) in str(info.value) or "预设" in str(info.value)


def test_missing_policy_file():
    with pytest.raises(InputError, match="既不是预设"):
        load_policy("no/such/policy.yaml")


def test_a_preset_file_dropped_into_the_folder_is_usable_by_name(tmp_path, monkeypatch):
    import shutil

    from perfscore import resources

    folder = tmp_path / "presets"
    shutil.copytree(resources.presets_dir(), folder)
    (folder / "shanxi.yaml").write_text("preset: hubei\nexecution_weight: 15\n", encoding="utf-8")
    monkeypatch.setattr(resources, "presets_dir", lambda: folder)
    assert "shanxi" in PRESETS and PRESETS[0] == "default"
    policy = load_policy("shanxi")
    assert policy.execution_weight == D(15) and policy.shares == preset_policy("hubei").shares


# -- §10 settings out of range

@pytest.mark.parametrize("setting, key, message", [
    ("grade_bands: {优: 70, 良: 80}", "grade_bands", "严格递减"),
    ("grade_bands: {优: 90, 良: 90}", "grade_bands", "严格递减"),
    ("grade_bands: {优: 120}", "grade_bands", "0–100"),
    ("shares: {产出指标: -5}", "shares", "不能为负数"),
    ("score_decimals: 7", "score_decimals", "≤ 6"),
    ("rate_decimals: {project: -1}", "rate_decimals.project", "不能为负数"),
    ("rate_decimals: {project: 1.5}", "rate_decimals.project", "应为整数"),
    ("qualitative_bands: {B: [50, 70]}", "qualitative_bands", "首尾相接"),
    ("qualitative_bands: {A: [80, 120]}", "qualitative_bands", "≤ 100"),
    ("overachievement_warn_ratio: 0.5", "overachievement_warn_ratio", "> 1"),
    ("execution_weight: 101", "execution_weight", "≤ 100"),
    ("grade_prefixes: {A: ['']}", "grade_prefixes", "空的文字"),
])
def test_policy_settings_out_of_range(tmp_path, setting, key, message):
    path = write(tmp_path, f"preset: default\n{setting}\n", "rules.yaml")
    with pytest.raises(InputError) as info:
        load_policy(path)
    text = str(info.value)
    assert f"文件 {path}" in text and f"字段 {key}" in text and message in text, text
    assert not leaked_english(text), text


def test_hubei_bands_still_valid():
    assert load_policy("hubei").qualitative_bands["B"] == (D(50), D(80))
    assert list(load_policy("default").grade_bands.items()) == [("优", D(90)), ("良", D(80)), ("中", D(60))]


def test_absurd_policy_integers_are_refused(tmp_path):
    path = write(tmp_path, "score_decimals: 1e999999999\n", "rules.yaml")
    with pytest.raises(InputError, match="字段 score_decimals.*过大"):
        load_policy(path)
