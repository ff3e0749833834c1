"""report.md, report.html and report.docx written from one grouping (as ``batch`` writes them)
share each sheet's part (``documents.report_items``): each lead is rendered once for the
three, and each report is what it is when written on its own."""


from perfscore.errors import Failure
from perfscore.policy import load_policy
from perfscore.report import documents
from perfscore.report.digests import Results, digest
from perfscore.report.documents import group_results, write_report

from test_report import scored
from conftest import CHAOYANG, QIAOKOU


def _results():
    digests = [digest(r, policy=load_policy("liaoning")) for r in scored(CHAOYANG, "liaoning")]
    digests += [digest(r, policy=load_policy("hubei")) for r in scored(QIAOKOU, "hubei")]
    return Results(digests)


def test_leads_rendered_once_for_three_reports(tmp_path, monkeypatch):
    results = _results()
    failures = [Failure("坏.yaml", "某项目", "朝阳市司法局", ("第1个指标「x」: 缺少得分",))]
    alone = {}
    for fmt in ("md", "html", "docx"):
        write_report(results, failures, fmt, tmp_path / f"alone.{fmt}")
        alone[fmt] = (tmp_path / f"alone.{fmt}").read_bytes()
    calls = []
    style_text = documents.style_text
    monkeypatch.setattr(documents, "style_text", lambda style, macro, *args: calls.append(macro) or style_text(style, macro, *args))
    grouping = group_results(results, failures)
    assert grouping.mixed()  # two policies: policy lines and two groups
    for fmt in ("md", "html", "docx"):
        write_report(results, failures, fmt, tmp_path / f"report.{fmt}", grouping=grouping)
        assert (tmp_path / f"report.{fmt}").read_bytes() == alone[fmt]
    assert calls.count("lead") == len(results) > 0
    text = (tmp_path / "report.md").read_text("utf-8")
    assert "**（1）" in text and "评分规则不一致" in text and "坏.yaml" in text
