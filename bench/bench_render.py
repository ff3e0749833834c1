"""Time filling the 项目绩效自评表 template, per sheet, for 5 / 15 / 30 indicator rows.

    python bench/bench_render.py [--quick]

* compiled  : perfscore.xlsx.template (layout cached per row count, as in a batch)
* cold      : the same with the layout cache cleared before every render (first sheet of a size)
* openpyxl  : the plain way: load the template, insert_rows, fill the cells, save to bytes
              (no fix-ups of merges, validations, print area, styles: the result is not even
              correct, see docs/excel.md; fixing it by hand costs 5-11 ms more)
* zip floor : re-zipping the finished bytes with zipfile (read every member, deflate, write)
* read      : CompiledTemplate.read of the rendered file (calamine + checks)
* fill      : one scored project → its sheet, as ``perfscore fill`` / ``batch --sheets`` do per
              sheet (``sheet_data`` + render, no file write): with this checkout's code, i.e.
              with the live formulas and their cached values since issue 11. Run the same
              script against an older checkout (``PYTHONPATH=<old>/src python bench/bench_render.py``)
              for the figures before: the script falls back to the old ``sheet_data(result)``.

Times are the median of several repeats of a timed loop, on one core.

Measured 2026-12-01 (2 cores shared with other jobs, load ~6: the best of 15 timed loops, three
interleaved runs of each checkout; ms per sheet, the fill column):

    rows   before (c3e8d4e, values only)   after (live formulas + cached values)
       5   0.13–0.16                        0.27–0.29
      15   0.26–0.37                        0.42–0.48
      30   0.49–0.64                        1.04–1.10

The extra time is building the formula cells and deflating their text (a 30-row sheet's XML
grows by ~12 KB); formula texts are built once per layout and policy, not per row.
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
import zipfile
from decimal import Decimal as D
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import perfscore  # noqa: F401
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

from openpyxl import load_workbook  # noqa: E402

from perfscore.xlsx.template import SheetData, compile_template  # noqa: E402
from perfscore.policy import load_policy  # noqa: E402
from perfscore.projectfile import sheet_from_mapping  # noqa: E402
from perfscore.scoring import score_sheet  # noqa: E402
from perfscore.sheets import fill as fill_module  # noqa: E402

TEMPLATE = ROOT / "templates" / "project_sheet.xlsx"
LEVEL2 = ["数量指标", "质量指标", "时效指标", "成本指标", "社会效益指标", "可持续影响指标", "服务对象满意度指标"]


def make_data(n: int) -> SheetData:
    rows = []
    for i in range(n):
        rows.append(dict(
            level1=["产出指标", "效益指标", "满意度指标"][i * 3 // n], level2=LEVEL2[i * 7 // n],
            name=f"三级指标第{i + 1}项", operator=">=", target=D("95"), unit="%", actual=D("96.5"),
            completion=D("0.8316"), weight=D("12.5"), score=D("10.4"),
            cause="部分群众对服务时效不满意" if i % 5 == 4 else None, remedy="优化预约流程" if i % 5 == 4 else None,
        ))
    return SheetData(
        fields=dict(name="政府购买法律服务", department="朝阳市司法局", unit="朝阳市司法局", year=2024,
                    budget_initial=D("26.6"), budget_adjusted=D("26.6"), budget_executed=D("22.12"),
                    execution_rate=D("0.8316"), execution_weight=D("10"), execution_score=D("8.32"),
                    goal="为市委、市政府重大决策提供法律意见，审核以市委、市政府为合作方的重大合同、协议。" * 3,
                    achieved="审查框架协议 17 件，其他协议、合同、文件等出具法律意见 41 件。" * 3,
                    indicator_score=D("90"), deduction=D("0"), total=D("98.32"), grade="优"),
        tables={"indicators": rows},
    )


def scored(n: int):
    """A scored project of n indicators: quantitative rows (one of them under target) and
    a qualitative one, the shapes of a real sheet."""
    weights = [D(90) / n] * n
    weights = [w.quantize(D("0.01")) for w in weights[:-1]]
    weights.append(D(90) - sum(weights))
    inds = []
    for i in range(n):
        qualitative = i % 6 == 5
        inds.append(dict(
            level1=["产出指标", "效益指标", "满意度指标"][i * 3 // n], level2=LEVEL2[i * 7 // n], name=f"三级指标第{i + 1}项",
            target="规范执行" if qualitative else ("≥95%" if i % 2 else "≥1100件"),
            actual="全部或基本达成预期指标" if qualitative else ("96.5%" if i % 2 else "582件"),
            weight=weights[i], cause="部分群众对服务时效不满意" if i % 5 == 4 else None,
        ))
    data = dict(kind="project", name="政府购买法律服务", department="朝阳市司法局", unit="朝阳市司法局", year=2024,
                budget=dict(initial=D("26.6"), executed=D("22.12")), goal="为市委、市政府重大决策提供法律意见。" * 3,
                achieved="审查框架协议 17 件。" * 3, indicators=inds)
    return score_sheet(sheet_from_mapping(data, "bench"), load_policy("default"))


def fill_data(result, policy, tpl) -> SheetData:
    try:
        return fill_module.sheet_data(result, policy, tpl)   # live formulas (issue 11)
    except TypeError:
        return fill_module.sheet_data(result)                # before: values only


def timed(fn, loops: int, repeats: int) -> float:
    """Median ms per call."""
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        out.append((time.perf_counter() - t0) / loops * 1000)
    return statistics.median(out)


def openpyxl_way(data: SheetData) -> bytes:
    template_row, fields_map = 10, FIELDS
    wb = load_workbook(TEMPLATE)
    ws = wb["项目绩效自评表"]
    rows = data.tables["indicators"]
    n = len(rows)
    if n > 1:
        ws.insert_rows(template_row + 1, n - 1)
    for i, row in enumerate(rows):
        for key, col in COLUMNS.items():
            v = row.get(key)
            if v is not None:
                c = ws[f"{col}{template_row + i}"]
                c.value = v
                if isinstance(v, str):
                    c.data_type = "s"
    for name, addr in fields_map.items():
        v = data.fields.get(name)
        if v is None:
            continue
        col, r = addr[0], int(addr[1:])
        if r > template_row:
            r += n - 1
        ws[f"{col}{r}"] = v
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_floor(body: bytes) -> bytes:
    zin = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


COLUMNS = dict(level1="A", level2="B", name="C", operator="D", target="E", unit="F", actual="G",
               completion="H", weight="I", score="J", cause="K", remedy="L")
FIELDS = dict(name="C3", department="C4", unit="I4", year="A2", budget_initial="C6", budget_adjusted="E6",
              budget_executed="G6", execution_rate="I6", execution_weight="K6", execution_score="L6",
              goal="C8", achieved="H8", indicator_score="J11", deduction="J13", total="J14", grade="J15")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    tpl = compile_template(TEMPLATE)
    scale = 0.2 if quick else 1.0
    print(f"perfscore render benchmark — {TEMPLATE.name}, one core, median ms per sheet")
    formulas = "sheet_data(result, policy, template)" if "policy" in fill_module.sheet_data.__code__.co_varnames \
        else "sheet_data(result): values only"
    print(f"fill = {formulas}")
    header = f"{'rows':>4}  {'compiled':>9}  {'cold':>7}  {'openpyxl':>9}  {'zip floor':>9}  {'read':>7}  " \
             f"{'openpyxl/compiled':>17}  {'floor/compiled':>14}  {'fill':>7}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for n in (5, 15, 30):
            data = make_data(n)
            body = tpl.render(data)
            compiled = timed(lambda: tpl.render(data), int(2000 * scale) or 1, 5)

            def cold():
                tpl._layouts.clear()
                tpl.render(data)

            cold_ms = timed(cold, int(300 * scale) or 1, 5)
            opx = timed(lambda: openpyxl_way(data), int(20 * scale) or 1, 3)
            floor = timed(lambda: zip_floor(body), int(1000 * scale) or 1, 5)
            path = Path(tmp) / f"p{n}.xlsx"
            path.write_bytes(body)
            read_ms = timed(lambda: tpl.read(path), int(300 * scale) or 1, 5)
            result, policy = scored(n), load_policy("default")
            fill_ms = timed(lambda: tpl.render(fill_data(result, policy, tpl)), int(1000 * scale) or 1, 5)
            print(f"{n:>4}  {compiled:>9.3f}  {cold_ms:>7.3f}  {opx:>9.2f}  {floor:>9.3f}  {read_ms:>7.3f}  "
                  f"{opx / compiled:>16.0f}x  {floor / compiled:>13.2f}x  {fill_ms:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
