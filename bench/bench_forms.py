"""Read time per form sheet of the label-driven form reader (perfscore.forms): prints numbers,
asserts nothing.

    python bench/bench_forms.py [REPEAT]     # default REPEAT = 20

Workbooks: seed 000's 政府购买法律服务 in the national layout (1 sheet), the 辽宁 layout's
整体 sheet, seed 004's 11 projects stacked on one 湖北 sheet, and a budget-system-like
workbook of 12 sheets with the form among them; each as .xlsx (openpyxl) and, when
LibreOffice is installed, converted to .xls and .ods.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
try:
    import perfscore  # noqa: F401
except ImportError:  # a checkout without install
    sys.path.insert(0, str(ROOT / "src"))

from formbuilder import Typing, build, convert, soffice  # noqa: E402

from perfscore.forms import read_form_workbook  # noqa: E402
from perfscore.projectfile import read_sheet_file  # noqa: E402


def workbooks(folder: Path) -> list[Path]:
    ln, hb = ROOT / "samples/liaoning_chaoyang_2024", ROOT / "samples/hubei_qiaokou_2024"
    goumai = read_sheet_file(ln / "zhengfu_goumai_falv_fuwu.yaml")
    zhengti = read_sheet_file(ln / "zhengti.yaml")
    hubei = [read_sheet_file(p) for p in sorted(hb.glob("*.yaml")) if p.name != "perfscore.yaml"]  # not the policy file
    out = [
        build(folder / "national_1.xlsx", [(goumai.name, goumai)], "national", Typing(numbers=True)),
        build(folder / "liaoning_zhengti.xlsx", [(zhengti.name, zhengti)], "liaoning", Typing(merge_level1=True)),
        build(folder / "hubei_11_stacked.xlsx", [(m.name[:31], m) for m in hubei], "hubei", Typing(), stacked=True),
    ]
    # 12 sheets: 11 unrelated ones around the form
    import openpyxl

    path = build(folder / "budget_system_12.xlsx", [("项目支出绩效自评表", goumai)], "shanxi", Typing())
    wb = openpyxl.load_workbook(path)
    for i in range(11):
        ws = wb.create_sheet(f"项目信息{i + 1}")
        for r in range(1, 40):
            ws.cell(row=r, column=1, value=f"字段{r}")
            ws.cell(row=r, column=2, value=r * 1.5)
    wb.save(path)
    out.append(path)
    return out


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = workbooks(folder)
        if soffice():
            for fmt in ("xls", "ods"):
                files += convert(files[:4], fmt, folder / fmt, folder / "profile")
        print(f"{'workbook':<28} {'forms':>5} {'best ms':>12} {'median':>9} {'ms/form':>9}")
        for path in files:
            forms = read_form_workbook(path)
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                read_form_workbook(path)
                times.append(time.perf_counter() - start)
            ms = min(times) * 1000  # float-ok: timing; the best run, as the machine is shared
            median = sorted(times)[len(times) // 2] * 1000  # float-ok: timing
            print(f"{path.parent.name + '/' + path.name:<28} {len(forms):>5} {ms:>12.2f} {median:>9.2f} {ms / len(forms):>9.2f}")


if __name__ == "__main__":
    main()
