"""Policies a user chose, and shown; no code from data (issue 19, SCORING.md §10).

A report style a policy names renders in jinja2's sandbox: the classic template escapes run
no code from a plain ``perfscore batch unitA -o out``. A ``perfscore.yaml`` counts at or
below the folder the user named only; a policy is shown by where it came from, never by a
name it gives itself; three identical projects never get different grades under policies
shown alike."""

import os
from pathlib import Path

import jinja2
import openpyxl
import pytest
from click.testing import CliRunner

from perfscore import api
from perfscore.cli import main
from perfscore.errors import InputError
from perfscore.inputs import read_inputs
from perfscore.policy import FOLDER_POLICY_NAMES, PolicyLookup, load_policy

STYLE = Path(__file__).resolve().parent.parent / "src" / "perfscore" / "provinces" / "liaoning" / "report_style.j2"
GENERIC = "财预〔2020〕10号通用规则"  # the default preset as outputs show it

# a 50-point project: execution 50% of 10 points (5), one indicator half achieved (45 of 90)
PROJECT = """kind: project
name: {name}
unit: {unit}
year: 2024
budget:
  initial: 100
  executed: 50
execution_weight: 10
indicators:
  - level1: 产出指标
    level2: 数量指标
    name: 完成件数
    target: ">= 100 件"
    actual: "50 件"
    weight: 90
    cause: 工作量减少
    remedy: 加快进度
"""


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def project(folder: Path, name: str = "测试项目", unit: str = "测试单位", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(PROJECT.format(name=name, unit=unit) + extra, "utf-8")
    return path


def summary_rows(out: Path, sheet: str = "项目") -> list[dict]:
    rows = list(openpyxl.load_workbook(out / "summary.xlsx")[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if r[0] != "合计"]  # the 项目 sheet ends in its total row


# -- no code from data -----------------------------------------------------------------------

# each would run `touch MARKER` (or print a module's globals) in a plain jinja2 Environment
ESCAPES = {
    "cycler_globals": "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "joiner_globals": "{{ joiner.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "namespace_globals": "{{ namespace.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "lipsum_globals": "{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}",
    "attr_filter": "{{ (cycler|attr('__init__')|attr('__globals__'))['os'].popen('touch MARKER').read() }}",
    "mro_subclasses": ("{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'Popen' %}"
                       "{{ c(['touch', 'MARKER']).wait() }}{% endif %}{% endfor %}"),
    "self_context": "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "format_string": "{{ '{0.__init__.__globals__[os].popen}'.format(cycler) }}{{ 'LEAK' }}",
    "format_filter": "{{ '%s'|format(cycler.__init__.__globals__) }}",
}
LEAKS = ("<module 'os'", "<built-in function", "__builtins__", "<function popen", "Popen")


def _style_with(payload: str) -> str:
    """A complete style (all four macros) whose every macro holds ``payload``."""
    body = payload
    return "".join(f"{{% macro {name}(a, b=None) %}}{body}{{% endmacro %}}\n"
                   for name in ("lead", "project", "department", "overview"))


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_the_escape_would_run_outside_the_sandbox(escape, tmp_path):
    """The payloads are real: an unsandboxed environment (as report styles were) runs them."""
    marker = tmp_path / "MARKER"
    payload = ESCAPES[escape].replace("MARKER", str(marker))
    env = jinja2.Environment()
    text = env.from_string(payload).render()
    assert marker.exists() or any(leak in text for leak in LEAKS)


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_a_style_runs_no_code_in_a_plain_batch(escape, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "MARKER"
    unit = tmp_path / "unitA"
    project(unit)
    (unit / "evil.j2").write_text(_style_with(ESCAPES[escape].replace("MARKER", str(marker))), "utf-8")
    (unit / "perfscore.yaml").write_text("preset: default\nreport_style: evil.j2\n", "utf-8")
    result = run("batch", "unitA", "-o", "out")
    assert not marker.exists()
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output + result.stderr
    outputs = "".join((tmp_path / "out" / name).read_text("utf-8") for name in ("report.md", "report.html"))
    assert not any(leak in outputs + result.output + result.stderr for leak in LEAKS) and "LEAK" not in outputs
    # the project under that style is a failure with one line naming the style, not scored text
    errors = [r["问题"] for r in summary_rows(tmp_path / "out", "问题") if r["类别"] == "错误"]
    assert len(errors) == 1 and "评分规则 unitA/perfscore.yaml 的文风模板「evil.j2」" in errors[0] and "测试项目" in errors[0]


def test_a_style_beside_the_policy_is_used(tmp_path, monkeypatch):
    """The control: a harmless style file beside the policy really words the report."""
    monkeypatch.chdir(tmp_path)
    project(tmp_path / "unitA")
    mine = STYLE.read_text("utf-8").replace("自评综述：", "自评综述（本地文风）：")
    (tmp_path / "unitA" / "mine.j2").write_text(mine, "utf-8")
    (tmp_path / "unitA" / "perfscore.yaml").write_text("preset: default\nreport_style: mine.j2\n", "utf-8")
    result = run("batch", "unitA", "-o", "out")
    assert result.exit_code == 0, result.stderr
    assert "测试项目自评综述（本地文风）：" in (tmp_path / "out" / "report.md").read_text("utf-8")


@pytest.mark.parametrize("text", [
    "{{ 'x' * 100000000 }}",
    "{{ 10 ** 100000000 }}",
    "{{ (10 ** 1000) ** 1000 }}",
])
def test_a_style_cannot_make_a_bomb(text, tmp_path):
    from perfscore.report.styles import style_text

    (tmp_path / "bomb.j2").write_text(_style_with(text), "utf-8")
    with pytest.raises(InputError, match="文风模板「bomb.j2」的 project"):
        style_text(str(tmp_path / "bomb.j2"), "project", None)


@pytest.mark.parametrize("value, message", [
    ("/etc/passwd.j2", "不能是绝对路径"),
    ("../up.j2", "不能含 .."),
    ("sub/../../up.j2", "不能含 .."),
    ("style.yaml", "也不是 .j2 文件"),
    ("none.j2", "也不是规则文件旁边的文件"),
])
def test_report_style_names_a_j2_file_beside_the_policy(value, message, tmp_path):
    (tmp_path / "up.j2").write_text(STYLE.read_text("utf-8"), "utf-8")
    (tmp_path / "style.yaml").write_text(STYLE.read_text("utf-8"), "utf-8")
    rules = tmp_path / "p" / "rules.yaml"
    rules.parent.mkdir()
    rules.write_text(f"preset: default\nreport_style: '{value}'\n", "utf-8")
    with pytest.raises(InputError, match=message):
        load_policy(rules)


def test_a_link_beside_the_policy_may_not_lead_out(tmp_path):
    (tmp_path / "outside.j2").write_text(STYLE.read_text("utf-8"), "utf-8")
    (tmp_path / "p").mkdir()
    os.symlink(tmp_path / "outside.j2", tmp_path / "p" / "link.j2")
    (tmp_path / "p" / "rules.yaml").write_text("preset: default\nreport_style: link.j2\n", "utf-8")
    with pytest.raises(InputError, match="指向规则文件所在目录之外"):
        load_policy(tmp_path / "p" / "rules.yaml")


@pytest.mark.parametrize("value", ["/tmp/x.xlsx", "../x.xlsx"])
def test_template_names_a_file_beside_the_policy(value, tmp_path):
    (tmp_path / "rules.yaml").write_text(f"preset: default\ntemplate: {{project: '{value}'}}\n", "utf-8")
    with pytest.raises(InputError, match="template.project: .*须是规则文件旁边的文件名"):
        load_policy(tmp_path / "rules.yaml")


def test_a_broken_style_is_refused_with_its_policy(tmp_path):
    (tmp_path / "bad.j2").write_text("{% macro lead(r, n) %}\n{% if %}\n{% endmacro %}", "utf-8")
    (tmp_path / "rules.yaml").write_text("preset: default\nreport_style: bad.j2\n", "utf-8")
    with pytest.raises(InputError, match="文风模板「bad.j2」第 2 行有误"):
        load_policy(tmp_path / "rules.yaml")
    (tmp_path / "bad.j2").write_text("{% macro lead(r, n) %}x{% endmacro %}", "utf-8")
    with pytest.raises(InputError, match="缺少宏 project、department、overview"):
        load_policy(tmp_path / "rules.yaml")


# -- which policy files count --------------------------------------------------------------

HIGH = "preset: default\ngrade_bands: {优: 40, 良: 30, 中: 20}\n"  # 50 points: 优


def test_a_policy_above_the_folder_named_does_not_count(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "perfscore.yaml").write_text(HIGH, "utf-8")  # e.g. a world-writable /tmp above the inputs
    project(tmp_path / "in" / "unitA")
    result = run("batch", "in/unitA", "-o", "out")
    assert result.exit_code == 0, result.stderr
    (row,) = summary_rows(tmp_path / "out")
    assert (row["总分"], row["等级"], row["评分规则"]) == (50, "差", GENERIC)
    # named one level up, the same file counts: it lies in the folder named
    result = run("batch", ".", "-o", "out")
    (row,) = summary_rows(tmp_path / "out")
    assert (row["等级"], row["评分规则"]) == ("优", "perfscore.yaml")


def test_a_single_file_looks_up_to_the_current_folder_or_its_own(tmp_path, monkeypatch):
    path = project(tmp_path / "a" / "b")
    (tmp_path / "perfscore.yaml").write_text(HIGH, "utf-8")
    monkeypatch.chdir(tmp_path)  # the file lies below the current folder: up to it
    (result,), _ = api.score_files([path])
    assert result.grade == "优" and result.policy == "perfscore.yaml"
    monkeypatch.chdir(tmp_path / "a")  # below it too, but the policy is above: not counted
    (result,), _ = api.score_files([path])
    assert result.grade == "差" and result.policy == "default"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not below the current folder: only the file's own folder
    (result,), _ = api.score_files([path])
    assert result.grade == "差"
    (tmp_path / "a" / "b" / "perfscore.yaml").write_text(HIGH, "utf-8")
    (result,), _ = api.score_files([path])
    assert result.grade == "优" and result.policy == "perfscore.yaml"  # from the file's own folder, never its full path


def test_a_policy_is_never_shown_by_a_name_it_gives_itself(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project(tmp_path / "unitA")
    (tmp_path / "unitA" / "perfscore.yaml").write_text("name: default\n" + HIGH, "utf-8")
    result = run("batch", "unitA", "-o", "out")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    (row,) = summary_rows(tmp_path / "out", "问题")
    assert "unitA/perfscore.yaml 字段 name" in row["问题"] and "不能自行命名" in row["问题"]
    # a file named default.yaml is shown as that file, not as the preset
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "default.yaml").write_text(HIGH, "utf-8")
    assert load_policy(Path("rules") / "default.yaml").name == os.path.join("rules", "default.yaml")
    (tmp_path / "default.yaml").write_text(HIGH, "utf-8")
    assert load_policy(Path("default.yaml")).name == "default.yaml"
    assert load_policy("default").name == "default"  # the preset wins the bare name


def test_identical_projects_never_differ_under_policies_shown_alike(tmp_path, monkeypatch):
    """Three identical 50-point projects under three policies: one with the default, one in
    a unit's perfscore.yaml, one naming a file default.yaml. Their grades differ; so do the
    policies summary.xlsx and the report show, and the 问题清单 lists the mix."""
    monkeypatch.chdir(tmp_path)
    inputs = tmp_path / "in"
    project(inputs / "unitA", unit="甲单位")
    (inputs / "unitA" / "perfscore.yaml").write_text(HIGH, "utf-8")
    project(inputs / "unitB", unit="乙单位", extra="policy: default.yaml\n")
    (inputs / "unitB" / "default.yaml").write_text("preset: default\ngrade_bands: {优: 90, 良: 80, 中: 45}\n", "utf-8")
    project(inputs / "unitC", unit="丙单位")
    result = run("batch", "in", "-o", "out")
    assert result.exit_code == 0, result.stderr
    rows = summary_rows(tmp_path / "out")
    assert [r["总分"] for r in rows] == [50, 50, 50]
    shown = {r["实施单位"]: (r["评分规则"], r["等级"]) for r in rows}
    assert shown == {
        "甲单位": (os.path.join("in", "unitA", "perfscore.yaml"), "优"),
        "乙单位": (os.path.join("in", "unitB", "default.yaml"), "中"),
        "丙单位": (GENERIC, "差"),
    }
    by_policy: dict[str, set] = {}
    for policy, grade in shown.values():
        by_policy.setdefault(policy, set()).add(grade)
    assert all(len(grades) == 1 for grades in by_policy.values())
    report = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert "评分规则不一致（3种评分规则）" in report
    for unit, (policy, _) in shown.items():
        assert f"按评分规则 {policy} 评分".replace("_", "\\_") in report
    problems = [r for r in summary_rows(tmp_path / "out", "问题") if r["类别"] == "评分规则"]
    assert sorted(r["实施单位"] for r in problems) == sorted(shown)


def test_one_policy_is_shown_in_the_report_and_no_mix_is_listed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project(tmp_path / "unitA", name="甲")
    project(tmp_path / "unitA", name="乙")
    (tmp_path / "unitA" / "perfscore.yaml").write_text("preset: hubei\n", "utf-8")  # only a preset: that preset
    result = run("batch", ".", "-o", "out")
    assert result.exit_code == 0, result.stderr
    report = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert "评分规则：湖北省\n" in report and "评分规则不一致" not in report
    import docx

    paragraphs = [p.text for p in docx.Document(str(tmp_path / "out" / "report.docx")).paragraphs]
    assert "评分规则：湖北省" in paragraphs
    assert {r["评分规则"] for r in summary_rows(tmp_path / "out")} == {"湖北省"}
    # a setting of its own: the file, by its path from the folder named
    (tmp_path / "unitA" / "perfscore.yaml").write_text("preset: hubei\nscore_decimals: 2\n", "utf-8")
    result = run("batch", ".", "-o", "out")
    assert result.exit_code == 0, result.stderr
    assert "评分规则：unitA/perfscore.yaml\n" in (tmp_path / "out" / "report.md").read_text("utf-8")
    assert {r["评分规则"] for r in summary_rows(tmp_path / "out")} == {os.path.join("unitA", "perfscore.yaml")}


def test_the_lookup_looks_at_each_folder_once(tmp_path, monkeypatch):
    for n in range(40):
        project(tmp_path / "in" / "deep" / "er", name=f"p{n}")
    project(tmp_path / "in" / "other", name="q")
    (tmp_path / "in" / "perfscore.yaml").write_text(HIGH, "utf-8")
    seen: list[str] = []
    isfile = os.path.isfile

    def counting(path):
        if os.path.basename(path) in FOLDER_POLICY_NAMES:
            seen.append(os.path.dirname(path))
        return isfile(path)

    monkeypatch.setattr(os.path, "isfile", counting)
    inputs, failures = read_inputs([tmp_path / "in"])
    assert not failures and len(inputs) == 41 and {i.policy.name for i in inputs} == {os.path.join("in", "perfscore.yaml")}  # outside the current folder: from its own name
    # in/deep/er, in/deep and in/other (three names each), in (found at the first): each
    # looked at once for 41 files, not once per file
    assert len(seen) == 3 * 3 + 1 and len(set(seen)) == 4


def test_two_folders_named_show_their_files_apart(tmp_path, monkeypatch):
    """Two folders named in one batch, each with a perfscore.yaml of its own: each shown by
    its path from the folder holding both, never alike, never as a full path."""
    monkeypatch.chdir(tmp_path)
    for side, low in (("east", 40), ("west", 45)):
        project(tmp_path / "in" / side / "unit", unit=f"{side}单位")
        (tmp_path / "in" / side / "unit" / "perfscore.yaml").write_text(
            f"preset: default\ngrade_bands: {{优: 90, 良: 80, 中: {low}}}\n", "utf-8")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # both named in full, from outside them
    result = run("batch", tmp_path / "in" / "east", tmp_path / "in" / "west", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    shown = {r["实施单位"]: r["评分规则"] for r in summary_rows(tmp_path / "out")}
    assert shown == {"east单位": os.path.join("east", "unit", "perfscore.yaml"),
                     "west单位": os.path.join("west", "unit", "perfscore.yaml")}
    report = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert "评分规则不一致（2种评分规则）" in report
    assert f"评分规则：{os.path.join('east', 'unit', 'perfscore.yaml')}、{os.path.join('west', 'unit', 'perfscore.yaml')}" in report


# -- a style's work is bounded (limits.py MAX_STYLE_TEXT, MAX_STYLE_STEPS) -----------------------

STYLE_BOMBS = {
    # 10**10 lines of 100 characters: stops at the text budget
    "printed_lines": ("{% for i in range(100000) %}{% for j in range(100000) %}" + "长" * 100
                      + "\n{% endfor %}{% endfor %}", "输出的文字超过 2000000 个字符"),
    # 10**10 loop items writing nothing: stops at the loop budget
    "silent_loops": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                     "循环超过 1000000 次"),
    "huge_range": ("{{ range(10 ** 9) | list | length }}", "参数 1000000000 超出上限"),
    "concat_growth": ("{% set a = 'x' * 100000 %}{% set b = a~a~a~a~a~a~a~a~a~a %}{% set c = b~b~b~b~b~b~b~b~b~b %}"
                      "{% set d = c~c~c~c~c~c~c~c~c~c %}{{ d | length }}", "生成的文字超过 2000000 个字符"),
    "plus_growth": ("{% set a = 'x' * 100000 %}{% set b = a+a+a+a+a+a+a+a+a+a %}{% set c = b+b+b+b+b+b+b+b+b+b %}"
                    "{{ (c+c+c+c+c+c+c+c+c+c) | length }}", "生成的文字超过 2000000 个字符"),
    "join_filter": ("{% set a = 'x' * 100000 %}{{ ([a] * 100000) | join | length }}", "生成的文字超过"),
    "join_method": ("{% set a = 'x' * 100000 %}{{ ''.join([a] * 100000) | length }}", "生成的文字超过"),
    "replace_method": ("{% set a = 'x' * 100000 %}{{ a.replace('', a) | length }}", "生成的文字超过"),
    "replace_filter": ("{% set a = 'x' * 100000 %}{{ a | replace('', a) | length }}", "生成的文字超过"),
    "padding": ("{{ 'x'.center(10 ** 9) | length }}", "参数 1000000000 超出上限"),
    "percent_width": ("{{ ('%999999999d' % 1) | length }}", "格式串中的宽度超出上限"),
    "format_width": ("{{ '{:>999999999}'.format(1) | length }}", "格式串中的宽度超出上限"),
    "recursion": ("{% macro r(n) %}{{ r(n) }}{% endmacro %}{{ r(1) }}", "宏的调用层数过深"),
}


@pytest.mark.parametrize("bomb", sorted(STYLE_BOMBS))
def test_a_style_bomb_is_one_line_of_its_project_in_a_plain_batch(bomb, tmp_path, monkeypatch):
    text, message = STYLE_BOMBS[bomb]
    monkeypatch.chdir(tmp_path)
    unit = tmp_path / "unitA"
    project(unit)
    project(tmp_path / "unitB", name="另一项目")
    (unit / "bomb.j2").write_text(_style_with(text), "utf-8")
    (unit / "perfscore.yaml").write_text("preset: default\nreport_style: bomb.j2\n", "utf-8")
    result = run("batch", ".", "-o", "out")
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [r["问题"] for r in summary_rows(tmp_path / "out", "问题") if r["类别"] == "错误"]
    assert len(errors) == 1 and "文风模板「bomb.j2」" in errors[0] and message in errors[0], errors
    assert "测试项目" in errors[0]
    # the other unit's project is scored and worded as usual
    assert [r["项目名称"] for r in summary_rows(tmp_path / "out")] == ["另一项目"]
    assert "另一项目" in (tmp_path / "out" / "report.md").read_text("utf-8")


def test_a_style_under_the_limits_renders_in_full(tmp_path):
    """The control: loops, ``~``, ``%`` and joins well under the limits give their whole text."""
    from perfscore.report.styles import style_text

    body = ("{% for i in range(1000) %}{{ i % 10 }}{% endfor %}|{{ (['件'] * 3) | join('、') }}|{{ 'a' ~ 'b' }}|"
            "{{ '%s分' % 5 }}|{{ ('x' * 99999) | length }}|{{ '{:>3}'.format(7) }}")
    (tmp_path / "fine.j2").write_text(_style_with(body), "utf-8")
    text = style_text(str(tmp_path / "fine.j2"), "project", None)
    assert text == "0123456789" * 100 + "|件、件、件|ab|5分|99999|  7"


def test_a_style_using_a_filter_outside_the_list_is_refused_with_its_policy(tmp_path):
    (tmp_path / "pad.j2").write_text(_style_with("{{ [[0]] | sum(start=[]) }}"), "utf-8")
    (tmp_path / "rules.yaml").write_text("preset: default\nreport_style: pad.j2\n", "utf-8")
    with pytest.raises(InputError, match="文风模板「pad.j2」第 1 行有误: 不能使用过滤器 sum（可用：abs、attr、"):
        load_policy(tmp_path / "rules.yaml")
    for name in ("round", "float"):  # numbers are printed with num/cn: Decimal, 四舍五入
        (tmp_path / "pad.j2").write_text(_style_with(f"{{{{ 2.675 | {name} }}}}"), "utf-8")
        with pytest.raises(InputError, match=f"不能使用过滤器 {name}（"):
            load_policy(tmp_path / "rules.yaml")
