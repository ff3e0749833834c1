"""What the test files share: the sample inputs, the small projects written inline, the
CLI runner, the web upload parts and the hand-made flat workbook. Test files import the
names (``from conftest import GOUMAI, run``); pytest puts tests/ on the path."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
TEMPLATES = ROOT / "templates"
CHAOYANG = SAMPLES / "liaoning_chaoyang_2024"  # seed 000: 辽宁 朝阳市司法局
QIAOKOU = SAMPLES / "hubei_qiaokou_2024"  # seed 004: 湖北 硚口区司法局
GOUMAI = CHAOYANG / "zhengfu_goumai_falv_fuwu.yaml"  # 政府购买法律服务 → 98.32 优
ZHENGTI = CHAOYANG / "zhengti.yaml"  # the 整体绩效自评表 → 94.30 under liaoning
FLAT = ROOT / "examples" / "qiaokou_flat.xlsx"

SOFFICE = shutil.which("soffice")


def soffice(files: list[Path], outdir: Path, fmt: str, profile: Path) -> None:
    """One LibreOffice run over all files (its own profile, so parallel runs do not clash):
    ``fmt`` xlsx recalculates each sheet as a real client does, pdf prints it."""
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{profile}", "--convert-to", fmt,
                    "--outdir", str(outdir), *map(str, files)], check=True, capture_output=True, timeout=600)


sys.path.insert(0, str(ROOT / "bench"))  # synthetic.py: the generated projects the batch tests use

# a small project that scores (one indicator short of its target, with its cause)
GOOD = """\
kind: project
name: 培训项目
budget: {initial: 10, executed: 9}
indicators:
  - {level1: 产出指标, level2: 数量指标, name: 培训场次, target: "≥10次", actual: "8次", weight: 50, cause: 疫情}
  - {level1: 效益指标, level2: 社会效益指标, name: 参训人数, target: "≥100人", actual: "120人", weight: 40}
"""
# a project that fails validation (its indicator has no level1)
BROKEN = "kind: project\nname: 坏项目\nbudget: {initial: 10, executed: 9}\nindicators:\n  - {name: 培训场次, target: '≥10次', actual: 8次}\n"


def run(*args):
    """``perfscore ARGS`` through click's runner (stdout and stderr kept apart)."""
    from click.testing import CliRunner

    from perfscore.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def decimals(text: str):
    """JSON with every number a Decimal, as perfscore writes them."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def part(path: Path, name: str | None = None):
    """One uploaded file of a multipart request."""
    return ("files", (name or path.name, path.read_bytes()))


def text_part(name: str, text: str):
    return ("files", (name, text.encode("utf-8")))


def zip_part(name: str, members: dict[str, bytes]):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return ("files", (name, buffer.getvalue()))


def wait_job(client, job: str) -> dict:
    """The status of web job ``job`` once it has finished (polled; 20 s at most)."""
    import time

    for _ in range(400):
        status = client.get(f"/api/jobs/{job}").json()
        if status["finished"]:
            return status
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def flat_workbook(tmp_path: Path, projects_rows, indicator_rows, project_header=None, indicator_header=None) -> Path:
    """A hand-made flat workbook (openpyxl, as an office's export would be)."""
    import openpyxl

    from perfscore.flat import INDICATOR_COLUMNS, PROJECT_COLUMNS

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(project_header or list(PROJECT_COLUMNS))
    for row in projects_rows:
        ws.append(row)
    ws = wb.create_sheet("指标")
    ws.append(indicator_header or list(INDICATOR_COLUMNS))
    for row in indicator_rows:
        ws.append(row)
    path = tmp_path / "flat.xlsx"
    wb.save(path)
    return path



def imported(path, template=None):
    """The one sheet a filled workbook is read as (``inputs.read_path``, as every command
    reads it); a reading failure raises its error."""
    from perfscore.errors import SheetError
    from perfscore.inputs import Input, read_path

    items = read_path(path, template, policies=False)
    if len(items) != 1 or not isinstance(items[0], Input):
        raise SheetError([p for item in items if not isinstance(item, Input) for p in item.problems] or ["no sheet"])
    return items[0].sheet


def audited(path, policy, template=None):
    """``perfscore audit`` of one filled workbook under ``policy`` (its AuditResult)."""
    from perfscore import api

    results, failures = api.audit_files([path], policy, template)
    assert not failures and len(results) == 1, failures
    return results[0]


# ---------------------------------------------------------------- one-indicator projects, messages

CJK = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_WORDS = re.compile(r"[A-Za-z]{4,}")  # a leaked library sentence has words like 'Input', 'should'


def leaked_english(text: str) -> list[str]:
    """English words in a message, apart from the file name, field keys and format names."""
    found = []
    for line in text.splitlines():
        body = line.split(": ", 1)[-1] if line.startswith("文件 ") else line
        body = re.sub(r"字段 [A-Za-z_.\[\]0-9]+|YAML|JSON|UTF|Tab|WPS|VS Code", "", body)
        found += _ENGLISH_WORDS.findall(body)
    return found


def project(indicators, budget=None, **extra):
    """A validated project of ``indicators`` (its budget: 10 of 10 unless given)."""
    from perfscore.projectfile import sheet_from_mapping

    data = {"name": "测试项目", "budget": budget or {"initial": 10, "executed": 10}, "indicators": indicators, **extra}
    return sheet_from_mapping(data, "t.yaml")


def one(target, actual, weight=90, policy="default", **extra):
    """Score a one-indicator project (its execution weighs the rest of 100); return the indicator."""
    from perfscore.policy import load_policy
    from perfscore.scoring import score_sheet

    year = extra.pop("year", None)
    ind = {"level1": "产出指标", "level2": extra.pop("level2", "数量指标"), "name": "测试指标",
           "target": target, "actual": actual, "weight": weight, **extra}
    more = {"year": year} if year else {}
    if weight is not None:
        more["execution_weight"] = 100 - Decimal(weight)
    return score_sheet(project([ind], **more), load_policy(policy)).indicators[0]


def problem(target, actual, **extra) -> str:
    """The one Chinese line scoring such a project raises."""
    import pytest

    from perfscore.errors import InputError

    with pytest.raises(InputError) as info:
        one(target, actual, **extra)
    message = str(info.value)
    assert "\n" not in message and CJK.search(message)
    return message
