"""``--help`` in Chinese: click's frame words (用法 / 选项 / 命令 / 显示帮助并退出 / 必填) and
lines wrapped by display width, a CJK character taking two terminal columns, so that no
line of a help page is wider than the terminal (80 columns where it is unknown or wider).

Click writes its frame through ``HelpFormatter`` (usage prefix, headings, the definition
list of options) and the help option's own text; this module replaces those, and nothing
else of click's behaviour.
"""

from __future__ import annotations

import re

import click

from .textwidth import display_width

HEADINGS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
_EXTRA = [(re.compile(r"\brequired\b"), "必填"), (re.compile(r"\bdefault: "), "默认: "),
          (re.compile(r"\benv var: "), "环境变量: "), (re.compile(r"(\d+)<=x<=(\d+)"), r"\1 到 \2"), (re.compile(r"\bx>=(\d+)"), r"≥\1"),
          (re.compile(r"\bx<=(\d+)"), r"≤\1")]
# click's placeholders (usage pieces, type metavars) and perfscore's argument names
METAVARS = {"INTEGER RANGE": "整数", "OPTIONS": "选项", "COMMAND": "命令", "ARGS": "参数", "PATH": "路径", "TEXT": "文本", "INTEGER": "整数",
            "FILENAME": "文件", "FILE": "文件", "NAME": "名称", "FILES": "文件或目录", "INPUTS": "文件或目录",
            "SHEETS": "自评表"}
_METAVAR = re.compile(r"\b(" + "|".join(sorted(METAVARS, key=len, reverse=True)) + r")\b")


def chinese_metavar(text: str) -> str:
    """``[OPTIONS] FILES...`` → ``[选项] 文件或目录...``."""
    return _METAVAR.sub(lambda m: METAVARS[m.group(1)], text)
# a token is a run of non-space narrow characters (an option, a path, a number), one wide
# character, or a run of spaces; lines break between tokens
_TOKEN = re.compile(r"[^\s\u1100-\uffff]+|[\u1100-\uffff]|\s+")
_NO_LINE_START = set("，。；：、）》」』”！？,.;:)")


def wrap(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    """``text`` wrapped into lines of at most ``width`` terminal columns (the indent
    included); a closing punctuation mark never starts a line (the character before it
    moves down with it)."""
    lines: list[str] = []
    head = indent if first is None else first
    line: list[str] = []  # this line's tokens, after its head
    used = display_width(head)
    for token in _TOKEN.findall(" ".join(text.split())):
        if token.isspace():
            if line:
                line.append(" ")
                used += 1
            continue
        w = display_width(token)
        if used + w > width and line:
            carried = [line.pop()] if token in _NO_LINE_START and len(line) > 1 else []
            lines.append((head + "".join(line)).rstrip())
            head, line = indent, carried
            used = display_width(indent) + sum(display_width(t) for t in carried)
        line.append(token)
        used += w
    lines.append((head + "".join(line)).rstrip())
    return lines


class ChineseFormatter(click.HelpFormatter):
    """click's help formatter with Chinese frame words and display-width wrapping."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        head = f"{'':>{self.current_indent}}用法: {prog}"
        args = chinese_metavar(args)
        if not args:
            self.write(head + "\n")
            return
        self.write("\n".join(wrap(args, self.width, " " * (display_width(head) + 1), head + " ")) + "\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)}:\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        paragraphs = []
        for block in text.split("\n\n"):
            if block.startswith("\b"):  # click's mark: keep these lines as written
                paragraphs.append("\n".join(indent + line for line in block[1:].strip("\n").splitlines()))
            else:
                paragraphs.append("\n".join(wrap(block, self.width, indent)))
        self.write("\n\n".join(paragraphs) + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(chinese_metavar(term), _chinese(text)) for term, text in rows]
        first_col = min(max((display_width(t) for t, _ in rows), default=0), col_max) + col_spacing
        pad = " " * (self.current_indent + first_col)
        for term, text in rows:
            head = " " * self.current_indent + term
            if not text:
                self.write(head + "\n")
                continue
            if display_width(term) <= first_col - col_spacing:
                lines = wrap(text, self.width, pad, head + " " * (first_col - display_width(term)))
            else:
                lines = [head, *wrap(text, self.width, pad)]
            self.write("\n".join(lines) + "\n")


def _chinese(text: str) -> str:
    for pattern, words in _EXTRA:
        text = pattern.sub(words, text)
    return text


class ChineseContext(click.Context):
    formatter_class = ChineseFormatter


class ChineseHelp:
    """Mixed into a click command or group: its help page in Chinese (the help option
    says 显示帮助并退出)."""

    context_class = ChineseContext

    def get_help_option(self, ctx: click.Context):
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = "显示帮助并退出。"
        return option


class ChineseCommand(ChineseHelp, click.Command):
    pass
