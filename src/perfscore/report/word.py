"""report.docx: the 预算绩效情况说明 as a Word document (python-docx), for a 决算公开 written in Word.

The same context as report.md and report.html (``documents.report_context``): the 说明 and
each 自评综述 are Word paragraphs in the document's own styles (Title, Heading 1/2, Normal,
List Bullet), the per-unit table is a Word table (Table Grid, its header row repeated on each
page), the footer numbers the pages. Text goes in as text: nothing is Markdown or HTML.
The charts of report.html are SVG drawn by perfscore, not images: the document says where
they are instead of embedding them. python-docx makes the package (styles, section, footer);
the body is written as XML text, the same XML python-docx would build (tests/test_word.py).
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


_SPECIAL = re.compile(r"([\t\r\n])")
_SLOW = re.compile("[\x00-\x1f\ud800-\udfff\ufffe\uffff]")  # _SPECIAL's and _NOT_XML's characters
_TABLE_LOOK = ('<w:tblW w:type="auto" w:w="0"/><w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0"'
               ' w:lastRow="0" w:noHBand="0" w:noVBand="1" w:val="04A0"/>')


def _run(text: object, bold: bool = False) -> str:
    """A ``w:r`` of ``text`` as python-docx's ``run.text`` writes it: a tab is a ``w:tab``, each
    \\r or \\n a ``w:br``, the rest ``w:t`` (xml:space="preserve" when it starts or ends with
    whitespace); bold puts ``w:rPr/w:b`` first. Characters XML cannot hold become U+FFFD."""
    text = str(text)
    content = []
    # no tab, break or character XML cannot hold: the text is one w:t, unsplit
    for part in _SPECIAL.split(_t(text)) if _SLOW.search(text) else (text,):
        if part == "\t":
            content.append("<w:tab/>")
        elif part == "\r" or part == "\n":
            content.append("<w:br/>")
        elif part:
            space = ' xml:space="preserve"' if len(part.strip()) < len(part) else ""
            escaped = part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            content.append(f"<w:t{space}>{escaped}</w:t>")
    if bold:
        content.insert(0, "<w:rPr><w:b/></w:rPr>")
    return f"<w:r>{''.join(content)}</w:r>" if content else "<w:r/>"


def _p(properties: str | None, runs: str = "") -> str:
    """A ``w:p``: ``properties`` None for no ``w:pPr``, "" for an empty one (python-docx leaves
    one where a paragraph's style was set to Normal)."""
    pr = "" if properties is None else (f"<w:pPr>{properties}</w:pPr>" if properties else "<w:pPr/>")
    return f"<w:p>{pr}{runs}</w:p>" if pr or runs else "<w:p/>"


class _Writer:
    """The body's XML text, element for element what python-docx writes for
    ``add_heading``, ``add_paragraph(text, style)``, ``add_run`` and ``add_table`` + ``add_row``
    with ``cell.text`` (tests/docxref.py builds it that way, the oracle of tests/test_word.py),
    made as strings: python-docx builds the tree an element at a time (2.5 ms a project)."""

    def __init__(self, document):
        from docx.shared import Emu

        self.part = document.part
        self.ids: dict[tuple[str, object], str | None] = {}
        self.heads: dict[tuple[str, str | None], str] = {}  # a paragraph's XML before its run, per style and alignment
        section = document.sections[-1]
        self.block_width = Emu(section.page_width - section.left_margin - section.right_margin)

    def style_id(self, name: str, kind=None) -> str | None:
        """The id of a paragraph (or ``kind``'s) style, None for the default one, as python-docx finds it."""
        from docx.enum.style import WD_STYLE_TYPE

        key = (name, kind or WD_STYLE_TYPE.PARAGRAPH)
        if key not in self.ids:
            self.ids[key] = self.part.get_style_id(name, key[1])
        return self.ids[key]

    def styled(self, text: object = "", style: str = "Normal", align: str | None = None) -> str:
        """``add_paragraph(text, style)`` (a heading is one in its style), aligned."""
        key = (style, align)
        head = self.heads.get(key)
        if head is None:
            style_id = self.style_id(style)
            properties = (f'<w:pStyle w:val="{style_id}"/>' if style_id else "") + (f'<w:jc w:val="{align}"/>' if align else "")
            head = self.heads[key] = _p(properties).removesuffix("</w:p>")  # properties is text: never <w:p/>
        return f"{head}{_run(text)}</w:p>" if text else f"{head}</w:p>"

    def heading(self, text: object, level: int, align: str | None = None) -> str:
        return self.styled(text, "Title" if level == 0 else f"Heading {level}", align)

    def body(self, text: object, lead: str = "") -> str:
        """A Normal paragraph, first line indented two characters (24 pt); ``lead`` in bold before it."""
        return _p('<w:ind w:firstLine="480"/>', (_run(lead, bold=True) if lead else "") + _run(text))

    def units_table(self, funds_label: str, grades, units: list[dict]):
        """The per-unit table (Table Grid), its header row repeated on each page."""
        from docx.enum.style import WD_STYLE_TYPE
        from docx.shared import Emu

        headers = ["单位", "项目数", funds_label, "平均分", *grades]
        width = Emu(self.block_width // len(headers)).twips
        cell = f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr><w:p>'
        style_id = self.style_id("Table Grid", WD_STYLE_TYPE.TABLE)
        style = f'<w:tblStyle w:val="{style_id}"/>' if style_id else ""
        yield (f'<w:tbl><w:tblPr>{style}{_TABLE_LOOK}</w:tblPr><w:tblGrid>'
               + f'<w:gridCol w:w="{width}"/>' * len(headers) + '</w:tblGrid><w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>'
               + "".join(f"{cell}<w:r/>{_run(text, bold=True)}</w:p></w:tc>" for text in headers) + "</w:tr>")
        right = f'{cell}<w:pPr><w:jc w:val="right"/></w:pPr>'
        for u in units:
            values = [u["unit"], str(u["projects"]), u["funds"], u["average"], *(str(n) for n in u["grades"])]
            yield ("<w:tr>" + "".join(f"{right if n else cell}{_run(text)}</w:p></w:tc>" for n, text in enumerate(values))
                   + "</w:tr>")
        yield "</w:tbl>"


def body_xml(document, context: dict):
    """The children of ``w:body`` before its ``w:sectPr``, as XML text in pieces, from
    ``documents.report_context`` (``document``: ``new_document()``, whose styles they name)."""
    w = _Writer(document)
    yield w.heading(context["title"], 0, "center")
    if context["year"]:
        yield w.styled(f"（{context['year']}年度）", align="center")
    if context.get("policies"):  # as report.md says it: the policies the sheets were scored under
        yield w.styled(f"评分规则：{'、'.join(context['policies'])}")
    groups = context["groups"]
    single = len(groups) == 1

    def heading(n: int, text: str) -> str:
        if single:
            return w.heading(f"{chinese_number(n)}、{text}", 1)
        return w.heading(f"（{chinese_number(n)}）{text}", 2)

    for number, g in enumerate(groups, 1):
        if not single:
            yield w.heading(f"{chinese_number(number)}、{g['title']}", 1)
        yield heading(1, "绩效自评工作开展情况")
        for paragraph in g["paragraphs"]:
            yield w.body(paragraph)
        if g["units"]:
            yield from w.units_table(g["funds_label"], context["grades"], g["units"])
        for n, section in enumerate(g["sections"], 2):
            yield heading(n, section["title"])
            for entry in section["entries"]:
                yield w.body(entry["text"], entry["lead"])
    if context["charts"]:
        yield w.body(CHARTS_NOTE)
    last = (len(groups[0]["sections"]) + 2) if single else len(groups) + 1
    yield w.heading(f"{chinese_number(last)}、问题清单", 1)
    if not context["problems"]:
        yield w.body("未发现问题。")
    for n, section in enumerate(context["problems"], 1):
        yield w.heading(f"（{chinese_number(n)}）{section['title']}", 2)
        for item in section["items"]:
            if section["kind"] == "discrepancies":
                yield w.styled(f"{item['who']}：{item['line']}（{item['source']}）", "List Bullet")
                continue
            yield w.styled(f"{item['who']}（{item['source']}）", "List Bullet")
            for line in item["lines"]:
                yield w.styled(line, "List Bullet 2")


def _chunks(pieces, size: int = 1 << 20):
    """The pieces joined into about ``size`` characters at a time, as UTF-8."""
    buffer, length = [], 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer).encode("utf-8")
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def write_docx(context: dict, path: Path) -> None:
    """report.docx from ``documents.report_context``, written atomically: the package is
    python-docx's (``new_document``), its document.xml body written as text (``body_xml``)
    into a scratch file beside the output first, so its size is known (zipfile then decides on
    ZIP64 as for any member) and the document is never whole in memory."""
    import io
    import tempfile
    import zipfile

    from ..xlsx.stream import COMPRESS_LEVEL, _zip_info

    path = Path(path)
    document = new_document()
    saved = io.BytesIO()
    document.save(saved)
    # python-docx stamps each zip member with the time of saving: re-stored with a fixed
    # one, the same report gives the same bytes
    with atomic_file(path) as fh, zipfile.ZipFile(saved) as source, \
            zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename != "word/document.xml":
                target.writestr(_zip_info(member.filename, COMPRESS_LEVEL), data)
                continue
            head, body, tail = data.partition(b"<w:body>")
            if not body or b"<w:body>" in tail:
                raise ValueError("python-docx's document.xml has no single <w:body>")
            spool = tempfile.TemporaryFile(dir=path.parent)
            try:
                for chunk in _chunks(body_xml(document, context)):
                    spool.write(chunk)
                info = _zip_info(member.filename, COMPRESS_LEVEL)
                info.file_size = len(head) + len(body) + spool.tell() + len(tail)
                spool.seek(0)
                with target.open(info, "w") as out:
                    out.write(head + body)
                    while chunk := spool.read(1 << 20):
                        out.write(chunk)
                    out.write(tail)
            finally:
                spool.close()
