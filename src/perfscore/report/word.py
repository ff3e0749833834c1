"""report.docx: the 预算绩效情况说明 as a Word document (python-docx), for a 决算公开 written in Word.

The same context as report.md and report.html (``documents.report_context``): the 说明 and
each 自评综述 are Word paragraphs in the document's own styles (Title, Heading 1/2, Normal,
List Bullet), the per-unit table is a Word table (Table Grid, its header row repeated on each
page), the footer numbers the pages. Text goes in as text: nothing is Markdown or HTML.
The charts of report.html are SVG drawn by perfscore, not images: the document says where
they are instead of embedding them.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from ..writing import atomic_file
from .narrative import chinese_number

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
CHARTS_NOTE = "（各项目自评得分、等级分布等图表见同一输出目录中的 report.html。）"
_FIXED_TIME = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _t(text: object) -> str:
    """User text as Word text: characters XML cannot hold become U+FFFD (the rest as is)."""
    return _NOT_XML.sub("\ufffd", str(text))


def _east_asian(style, font: str) -> None:
    """The style's Chinese (East Asian) font, which ``style.font.name`` alone does not set."""
    from docx.oxml.ns import qn

    style.font.name = font
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), font)


def _page_number(paragraph) -> None:
    """「第 N 页」 with N a PAGE field, updated by Word and LibreOffice as they lay out pages."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph.add_run("第 ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = " PAGE "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)
    paragraph.add_run(" 页")


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def new_document():
    """An empty report document: A4, Chinese fonts on the body and heading styles, page numbers."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    styles = document.styles
    _east_asian(styles["Normal"], BODY_FONT)
    styles["Normal"].font.size = Pt(12)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        _east_asian(styles[name], HEADING_FONT)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(footer)
    properties = document.core_properties
    properties.created = properties.modified = _FIXED_TIME
    properties.author = properties.last_modified_by = "perfscore"
    return document


class _Paragraphs:
    """``document.add_paragraph(text, style=style)`` in the same XML, made in constant time:
    python-docx looks a style name up by scanning every style, and finds the body's end by
    scanning every paragraph, at each call (quadratic in a report of many projects)."""

    def __init__(self, document):
        self.document = document
        self.ids: dict[str, str | None] = {}
        self.end = document.element.body.sectPr  # the body's last child (or none)

    def add(self, text: str = "", style: str = "Normal"):
        from docx.enum.style import WD_STYLE_TYPE
        from docx.oxml import OxmlElement
        from docx.text.paragraph import Paragraph

        if style not in self.ids:
            self.ids[style] = self.document.part.get_style_id(style, WD_STYLE_TYPE.PARAGRAPH)
        p = OxmlElement("w:p")
        if self.end is None:
            self.document.element.body.append(p)
        else:
            self.end.addprevious(p)
        made = Paragraph(p, self.document._body)
        if text:
            made.add_run(text)
        p.style = self.ids[style]
        return made


def _body(paragraphs: _Paragraphs, text: str, lead: str = ""):
    """A Normal paragraph, first line indented two characters; ``lead`` in bold before it."""
    from docx.shared import Pt

    paragraph = paragraphs.add()
    paragraph.paragraph_format.first_line_indent = Pt(24)
    if lead:
        paragraph.add_run(_t(lead)).bold = True
    paragraph.add_run(_t(text))
    return paragraph


def _units_table(document, funds_label: str, grades, units: list[dict]) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    headers = ["单位", "项目数", funds_label, "平均分", *grades]
    table = document.add_table(rows=1, cols=len(headers))
    table.style = document.styles["Table Grid"]
    for cell, text in zip(table.rows[0].cells, headers):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    _repeat_header(table.rows[0])
    for u in units:
        values = [u["unit"], str(u["projects"]), u["funds"], u["average"], *(str(n) for n in u["grades"])]
        cells = table.add_row().cells
        for n, (cell, text) in enumerate(zip(cells, values)):
            cell.text = _t(text)
            if n:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def build_docx(context: dict):
    """The report as a python-docx Document, from ``documents.report_context``."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = new_document()
    document.add_heading(context["title"], level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    if context["year"]:
        document.add_paragraph(f"（{context['year']}年度）", style="Normal").alignment = WD_ALIGN_PARAGRAPH.CENTER
    if context.get("policies"):  # as report.md says it: the policies the sheets were scored under
        document.add_paragraph(_t(f"评分规则：{'、'.join(context['policies'])}"), style="Normal")
    groups = context["groups"]
    single = len(groups) == 1
    paragraphs = _Paragraphs(document)
    styled = paragraphs.add

    def heading(n: int, text: str) -> None:
        if single:
            document.add_heading(f"{chinese_number(n)}、{text}", level=1)
        else:
            document.add_heading(f"（{chinese_number(n)}）{text}", level=2)

    for number, g in enumerate(groups, 1):
        if not single:
            document.add_heading(_t(f"{chinese_number(number)}、{g['title']}"), level=1)
        heading(1, "绩效自评工作开展情况")
        for paragraph in g["paragraphs"]:
            _body(paragraphs, paragraph)
        if g["units"]:
            _units_table(document, g["funds_label"], context["grades"], g["units"])
        for n, section in enumerate(g["sections"], 2):
            heading(n, section["title"])
            for entry in section["entries"]:
                _body(paragraphs, entry["text"], entry["lead"])
    if context["charts"]:
        _body(paragraphs, CHARTS_NOTE)
    last = (len(groups[0]["sections"]) + 2) if single else len(groups) + 1
    document.add_heading(f"{chinese_number(last)}、问题清单", level=1)
    if not context["problems"]:
        _body(paragraphs, "未发现问题。")
    for n, section in enumerate(context["problems"], 1):
        document.add_heading(f"（{chinese_number(n)}）{section['title']}", level=2)
        for item in section["items"]:
            if section["kind"] == "discrepancies":
                styled(_t(f"{item['who']}：{item['line']}（{item['source']}）"), "List Bullet")
                continue
            styled(_t(f"{item['who']}（{item['source']}）"), "List Bullet")
            for line in item["lines"]:
                styled(_t(line), "List Bullet 2")
    return document


def write_docx(context: dict, path: Path) -> None:
    """report.docx from ``documents.report_context``, written atomically."""
    import io
    import zipfile

    from ..xlsx.stream import COMPRESS_LEVEL, _zip_info

    document = build_docx(context)
    saved = io.BytesIO()
    document.save(saved)
    # python-docx stamps each zip member with the time of saving: re-stored with a fixed
    # one, the same report gives the same bytes
    with atomic_file(Path(path)) as fh, zipfile.ZipFile(saved) as source, \
            zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as target:
        for member in source.infolist():
            target.writestr(_zip_info(member.filename, COMPRESS_LEVEL), source.read(member))
