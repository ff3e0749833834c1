"""report.docx's body is written as XML text (report/word.py); python-docx building the same
report one element at a time (tests/docxref.py, the code word.py had before) is the oracle:
the same context gives the same document.xml, byte for byte, for texts python-docx treats
specially (tabs, line breaks, spaces at either end, markup characters, characters XML
cannot hold, empty strings, long Chinese)."""

import io
import zipfile

import docx
import pytest

from docxref import build_docx
from perfscore.report.documents import report_context
from perfscore.report.word import write_docx

TRICKY = [
    "",
    "a\tb", "\t开头制表", "结尾制表\t", "\t",
    "一行\n二行", "回车\r换行", "两个\r\n连在一起", "\n", "\n\n",
    " 前有空格", "后有空格 ", "  两端  ", " ", "\u3000全角空格开头", "不间断空格结尾\xa0",
    '<b>&amp; "引号" \'单引号\' a>b</b>', "&", "]]>",
    "控制\x00字符\x01\x08\x0b\x0c\x0e\x1f结束", "孤立代理\ud800项", "\ufffe\uffff",
    "制表\t 与空格 \n混合\t",
    "政府购买法律服务" * 1200,
    "表情😀与\U00020000扩展汉字",
]


def _context(groups: int, year=2024, problems=True, charts=True) -> dict:
    def units(k: int):
        return [{"unit": text, "projects": n, "funds": "12.34", "average": "98.32", "grades": [n, 0, 1, 0]}
                for n, text in enumerate(TRICKY[k::3])]

    def entries(k: int):
        return iter([{"lead": f"（{n}）{lead}项目自评综述：", "text": text}
                     for n, (lead, text) in enumerate(zip(TRICKY[k:] + TRICKY[:k], TRICKY), 1)])

    return {
        "title": "预算绩效情况说明",
        "year": year,
        "policies": ["辽宁省", "评分规则 policy\t<&>.yaml"] if groups > 1 else [],
        "grades": ["优", "良", "中", "差"],
        "groups": [{
            "title": TRICKY[k % len(TRICKY)] or "空", "policy": "default",
            "paragraphs": TRICKY[k::4] if k else ["", "说明段落"],
            "funds_label": "涉及资金（全年执行数，万元）" if k % 2 else "涉及资金（全年预算数，万元）",
            "units": units(k) if k != 1 else [],
            "sections": [{"title": "项目绩效自评结果", "entries": entries(k), "count": 1},
                         {"title": "部门（单位） 整体\t绩效自评结果 ", "entries": entries(k + 1), "count": 1}][:2 - k % 2],
        } for k in range(groups)],
        "problems": [
            {"kind": "failures", "title": "未能评分的项目（2个）", "count": 2,
             "items": [{"who": who, "source": f"in/{who}.yaml", "lines": [line, ""]} for who, line in zip(TRICKY, TRICKY[5:])]},
            {"kind": "discrepancies", "title": "与原表不一致（3处）", "count": 3,
             "items": iter([{"who": who, "source": " 空格.json ", "line": line} for who, line in zip(TRICKY[3:], TRICKY)])},
        ] if problems else [],
        "charts": {"caption": "项目2个"} if charts else None,
    }


def _reference(context: dict) -> bytes:
    saved = io.BytesIO()
    build_docx(context).save(saved)
    with zipfile.ZipFile(saved) as package:
        return package.read("word/document.xml")


def _written(context: dict, path) -> bytes:
    write_docx(context, path)
    with zipfile.ZipFile(path) as package:
        return package.read("word/document.xml")


@pytest.mark.parametrize("groups, year, problems, charts", [(1, 2024, True, True), (3, None, True, False),
                                                            (1, None, False, False), (2, 2023, False, True)])
def test_body_as_python_docx_writes_it(tmp_path, groups, year, problems, charts):
    want = _reference(_context(groups, year, problems, charts))
    got = _written(_context(groups, year, problems, charts), tmp_path / "report.docx")
    assert got == want
    assert b"<w:tab/>" in got and b"<w:br/>" in got and b'xml:space="preserve"' in got and b"&lt;b&gt;&amp;amp;" in got


def test_written_text_reads_back(tmp_path):
    """What Word reads back: a tab stays a tab, \\r and \\n a line break, a control character U+FFFD."""
    _written(_context(1), tmp_path / "report.docx")
    paragraphs = [p.text for p in docx.Document(str(tmp_path / "report.docx")).paragraphs]
    assert "（2）a\tb项目自评综述：a\tb" in paragraphs
    assert "（7）回车\n换行项目自评综述：回车\n换行" in paragraphs
    assert "（8）两个\n\n连在一起项目自评综述：两个\n\n连在一起" in paragraphs
    assert "（20）控制\ufffd字符\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd结束项目自评综述：控制\ufffd字符\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd结束" in paragraphs
    table = docx.Document(str(tmp_path / "report.docx")).tables[0]
    assert [c.text for c in table.rows[0].cells] == ["单位", "项目数", "涉及资金（全年预算数，万元）", "平均分", "优", "良", "中", "差"]
    assert [c.text for c in table.rows[2].cells] == ["结尾制表\t", "1", "12.34", "98.32", "1", "0", "1", "0"]


def test_batch_report_as_python_docx_writes_it(tmp_path):
    """A real batch's report (two policies, so two groups; warnings, discrepancies, a failure): same XML."""
    from conftest import CHAOYANG, QIAOKOU
    from perfscore.errors import Failure
    from perfscore.policy import load_policy
    from perfscore.projectfile import read_sheet_file
    from perfscore.report.digests import digest
    from perfscore.scoring import score_sheet

    results = []
    for folder, name in ((CHAOYANG, "liaoning"), (QIAOKOU, "hubei")):
        policy = load_policy(name)
        for path in sorted(folder.glob("*.yaml"))[:3]:
            if path.name != "perfscore.yaml":
                results.append(digest(score_sheet(read_sheet_file(path), policy, str(path)), policy=policy))
    failures = [Failure("坏\t文件.yaml", " 某项目 ", "某 单位", ("第1个指标「x」: 缺少 <得分> & 权重",))]
    want = _reference(report_context(results, failures))
    got = _written(report_context(results, failures), tmp_path / "report.docx")
    assert got == want
    assert len(docx.Document(str(tmp_path / "report.docx")).tables) == 2
