"""Realistic synthetic projects for benchmarks: 5–30 indicators, every operator,
qualitative grades, 元/万元, and a few bad rows (about 1 project in 50 cannot be scored)."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path

UNITS = ["件", "次", "人", "人次", "场", "%", "万元", "个", "小时"]
LEVELS = [
    ("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"), ("产出指标", "成本指标"),
    ("效益指标", "社会效益指标"), ("效益指标", "可持续影响指标"), ("满意度指标", "服务对象满意度指标"),
]
UNITS_OFFICE = ["司法局", "公安局", "教育局", "卫健委", "民政局", "财政局", "农业农村局", "住建局"]
COUNTIES = ["朝阳县", "建平县", "喀左县", "北票市", "凌源市", "双塔区", "龙城区"]


def _indicator(rng: random.Random, n: int, weight: Decimal | None) -> dict:
    level1, level2 = LEVELS[n % len(LEVELS)] if n < len(LEVELS) else rng.choice(LEVELS)
    kind = rng.random()
    ind: dict = {"level1": level1, "level2": level2, "name": f"指标{n + 1}"}
    if kind < 0.2:
        ind["target"] = rng.choice(["规范执行", "有所提升", "持续维护", "有效保障"])
        grade = rng.random()
        if grade < 0.8:
            ind["actual"] = rng.choice(["全部或基本达成预期指标", "达成预期指标", ind["target"]])
        elif grade < 0.9:
            ind["actual"], ind["completion"] = "部分达成预期指标并具有一定效果", f"{rng.randint(60, 79)}%"
        else:
            ind["actual"], ind["completion"] = "未达成预期指标且效果较差", f"{rng.randint(0, 59)}%"
    else:
        unit = rng.choice(UNITS)
        op = rng.choice(["≥", ">", "≤", "<", "=", "", "不低于", "不超过"])
        target = Decimal(rng.randint(1, 5000)) if unit != "%" else Decimal(rng.choice([90, 95, 98, 100, 5, 2]))
        factor = Decimal(rng.choice([50, 80, 95, 100, 100, 100, 110, 160])) / 100
        actual = (target * factor).quantize(Decimal("0.01"))
        ind["target"] = f"{op}{target}{unit}"
        if unit == "万元" and rng.random() < 0.3:
            ind["actual"] = f"{actual * 10000}元"
        else:
            ind["actual"] = f"{actual}{unit}"
    if weight is not None:
        ind["weight"] = str(weight)
    if rng.random() < 0.3:
        ind["cause"] = "受客观因素影响，部分工作延后"
    return ind


def project(rng: random.Random, i: int) -> dict:
    count = rng.randint(5, 30)
    weighted = rng.random() < 0.6
    weights: list[Decimal | None] = [None] * count
    if weighted:
        each = (Decimal(90) / count).quantize(Decimal("0.01"))
        weights = [each] * (count - 1) + [Decimal(90) - each * (count - 1)]
    initial = Decimal(rng.randint(100, 500000)) / 100
    executed = (initial * Decimal(rng.randint(40, 110)) / 100).quantize(Decimal("0.01"))
    data = {
        "kind": "project",
        "name": f"项目{i:06d}",
        "department": rng.choice(COUNTIES) + rng.choice(UNITS_OFFICE),
        "unit": rng.choice(COUNTIES) + rng.choice(UNITS_OFFICE),
        "year": 2024,
        "budget": {"initial": str(initial), "executed": str(executed)},
        "indicators": [_indicator(rng, n, w) for n, w in enumerate(weights)],
    }
    if rng.random() < 0.02:  # a bad row: unit mismatch
        data["indicators"][0].update(target="≥10次", actual="8人")
    return data


def projects(n: int, seed: int = 2024) -> list[dict]:
    rng = random.Random(seed)
    return [project(rng, i) for i in range(n)]


def write_files(n: int, folder: Path, seed: int = 2024) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    rng = random.Random(seed)  # the projects of ``projects(n, seed)``, made one at a time
    for i in range(n):
        data = project(rng, i)
        path = folder / f"p{i:06d}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths
