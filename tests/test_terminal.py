"""The terminal table fits the terminal's width; output that is not a terminal stays plain."""


import pytest
from click.testing import CliRunner

from perfscore.cli import main
from perfscore.output import format_text, terminal_width
from perfscore.policy import load_policy
from perfscore.projectfile import read_sheet_file, sheet_from_mapping
from perfscore.scoring import score_sheet
from perfscore.textwidth import display_width

LONG_NAME = "开展面向青少年群体和居民群众的民法典宪法主题法治宣传教育活动场次"
LONG = f"""\
kind: project
name: 全市公共法律服务体系建设及基层司法所规范化建设补助资金项目
department: 某某市司法局法治宣传教育与公共法律服务管理处
unit: 某某市司法局法治宣传教育与公共法律服务管理处
year: 2024
budget: {{initial: 100, executed: 88.5}}
indicators:
  - {{level1: 产出指标, level2: 数量指标, name: {LONG_NAME}, target: "≥ 120 场次", actual: "119 场次", weight: 30,
     cause: 部分活动因天气原因延期至次年一季度举办并已落实场地和讲师}}
  - {{level1: 产出指标, level2: 质量指标, name: 基层司法所规范化建设达标率, target: "≥ 95%", actual: "96%", weight: 20}}
  - {{level1: 效益指标, level2: 社会效益指标, name: 群众法治意识和法治素养明显提升情况, target: 明显提升,
     actual: 全部或基本达成预期指标, weight: 30}}
  - {{level1: 满意度指标, level2: 服务对象满意度指标, name: 服务对象满意度, target: "≥ 90%", actual: "95%", weight: 10}}
"""
from conftest import ZHENGTI


@pytest.fixture(scope="module")
def long_result():
    import yaml

    return score_sheet(sheet_from_mapping(yaml.safe_load(LONG), "长名称.yaml"), None, "长名称.yaml")


def widest(text: str) -> int:
    return max(display_width(line) for line in text.split("\n"))


@pytest.mark.parametrize("width", [80, 120])
def test_fits_the_width_and_keeps_every_name(long_result, width):
    text = format_text(long_result, explain=True, width=width)
    assert widest(text) <= width
    squeezed = "".join(text.split())
    assert LONG_NAME in squeezed  # wrapped inside its column, never cut
    assert "…" not in text
    assert "总分 98.60  等级 优" in text


def test_long_names_wrap_inside_their_column(long_result):
    lines = format_text(long_result, width=120).split("\n")
    first = next(i for i, line in enumerate(lines) if line.strip().startswith("产出指标"))
    start = lines[first].index("开展")
    column = display_width(lines[first][:start])
    # the continuation lines of that row carry the rest of the name at the same column
    rest = lines[first + 1]
    assert display_width(rest[: len(rest) - len(rest.lstrip())]) == column
    pieces = [lines[first][start:].split("  ")[0]] + [line[column:].split("  ")[0] for line in lines[first + 1:first + 3]]
    assert "".join(pieces).startswith(LONG_NAME)


def test_narrow_puts_levels_on_their_own_line(long_result):
    wide = format_text(long_result, width=120)
    narrow = format_text(long_result, width=80)
    assert "一级指标" in wide.split("\n")[4] and "一级指标" not in narrow
    assert "产出指标  数量指标：" in narrow and "满意度指标  服务对象满意度指标：" in narrow


def test_plain_when_not_a_terminal(long_result, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)

    class Pipe:
        def isatty(self):
            return False

    assert terminal_width(Pipe()) is None
    plain = format_text(long_result)
    assert "…" in plain and widest(plain) > 120  # as before: one line per row, cut at the column limit
    result = CliRunner().invoke(main, ["score", str(ZHENGTI)])  # CliRunner's output is no terminal
    expected = format_text(score_sheet(read_sheet_file(ZHENGTI), load_policy("liaoning"), str(ZHENGTI)))
    assert result.exit_code == 0 and result.output.rstrip("\n") == expected


@pytest.mark.parametrize("width", [80, 120])
def test_cli_at_a_terminal_width(tmp_path, width):
    path = tmp_path / "长名称.yaml"
    path.write_text(LONG, "utf-8")
    for target in (path, ZHENGTI):
        result = CliRunner().invoke(main, ["score", str(target), "--explain"], env={"COLUMNS": str(width)})
        assert result.exit_code == 0, result.output
        assert widest(result.output) <= width
