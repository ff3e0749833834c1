"""The report.docx body as python-docx builds it, one element at a time: the oracle that
``perfscore.report.word`` (which writes the same XML as text) is checked against.

This is word.py's body code as it was before it wrote XML text (issue 25), kept verbatim."""

from perfscore.report.narrative import chinese_number
from perfscore.report.word import CHARTS_NOTE, _t, new_document


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


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
