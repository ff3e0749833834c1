"""The 分值 of each indicator (docs/scoring.md §6): a sheet's own, or the policy's split of
the indicator share by 一级指标. Pure: values in, weights out; each problem is handed to
``problem(message, indicator, index, field)`` (the scorer's, which makes it a Problem)."""

from __future__ import annotations

import functools
from decimal import ROUND_DOWN, Decimal
from typing import Callable

from .model import Department, Sheet
from .policy import SHARE_ORDER, Policy
from .terms import HUNDRED, ZERO
from .values import compact, format_number, quantize

WEIGHT_TOLERANCE = Decimal("0.01")

# problem(message, indicator=None, index=None, fieldname=None)
Report = Callable[..., None]


@functools.lru_cache(maxsize=4096)
def canonical_level(name: str) -> str:
    """社会效益 and 社会效益指标 are one name (阳城's sheets drop the suffix)."""
    name = compact(name)
    return name if not name or name.endswith("指标") else name + "指标"


def indicator_weights(sheet: Sheet, policy: Policy, execution_weight: Decimal, problem: Report) -> list[Decimal] | None:
    """Each indicator's 分值 (§6): the sheet's own when all are given and sum to 100 with
    the execution weight, else the policy's split; None (with the problems reported) when
    neither applies."""
    indicators = sheet.indicators
    given = [i.weight is not None for i in indicators]
    if all(given):
        weights = [i.weight for i in indicators]
        total = execution_weight + sum(weights, ZERO)
        if abs(total - HUNDRED) > WEIGHT_TOLERANCE:
            what = "年度主要任务" if isinstance(sheet, Department) else "预算执行率"
            problem(
                f"分值合计 {format_number(total)}（{what} {format_number(execution_weight)} + 指标 {format_number(sum(weights, ZERO))}），应为 100",
                fieldname="weight",
            )
            return None
        return weights
    if any(given):
        missing = [str(n) for n, g in enumerate(given, 1) if not g]
        problem(f"第 {'、'.join(missing)} 个指标没有分值，其余指标有分值：分值要么全部填写，要么全部不填", fieldname="weight")
        return None
    if isinstance(sheet, Department):
        problem("整体绩效自评表的一级指标不固定，每个指标都须填写分值", fieldname="weight")
        return None
    return default_split(sheet, policy, execution_weight, problem)


def default_split(sheet: Sheet, policy: Policy, execution_weight: Decimal, problem: Report) -> list[Decimal] | None:
    """The policy's split of the indicator share among a sheet's indicators (§6)."""
    shares = dict(policy.shares)
    preset_total = sum(shares.values(), ZERO)
    if execution_weight + preset_total != HUNDRED:
        # Scale the 一级 shares so execution + shares = 100; the last takes the remainder.
        room, scaled = HUNDRED - execution_weight, {}
        for level in SHARE_ORDER[:-1]:
            scaled[level] = quantize(shares[level] * room / preset_total, 2) if preset_total else ZERO
        scaled[SHARE_ORDER[-1]] = room - sum(scaled.values(), ZERO)
        shares = scaled
    printed = printed_shares(sheet, problem)
    if printed is None:
        return None
    if printed:
        # 产出指标(50分): a sheet without a 分值 column prints each 一级's share after its name
        shares.update({level: share for level, share in printed.items() if level in shares})
        total = execution_weight + sum(shares.values(), ZERO)
        if abs(total - HUNDRED) > WEIGHT_TOLERANCE:
            shown = "、".join(f"{level} {format_number(share)}" for level, share in shares.items())
            problem(
                f"一级指标名称后所印分值与预算执行率 {format_number(execution_weight)} 合计 {format_number(total)}（{shown}），应为 100",
                fieldname="level1",
            )
            return None
    groups: dict[str, list[int]] = {level: [] for level in SHARE_ORDER}
    unplaced = False
    for n, ind in enumerate(sheet.indicators):
        level = canonical_level(ind.level1)
        if level not in groups:
            problem(
                f"未设分值时一级指标须为 {'、'.join(SHARE_ORDER)} 之一，而不是「{ind.level1}」", ind, n + 1, "level1"
            )
            unplaced = True
            continue
        groups[level].append(n)
    if unplaced:
        return None
    for level in SHARE_ORDER:
        if not groups[level] and shares[level]:
            target, seen = level, {level}
            while not groups[target]:
                target = policy.share_fallback.get(target)
                if target is None or target in seen:
                    break
                seen.add(target)
            if target is None or not groups[target]:
                # the fallback chain ends in empty groups: the first group that has indicators
                target = next(lv for lv in SHARE_ORDER if groups[lv])
            shares[target] += shares[level]
            shares[level] = ZERO
    weights = [ZERO] * len(sheet.indicators)
    for level, members in groups.items():
        if not members:
            continue
        each = quantize(shares[level] / len(members), 2)
        if each * (len(members) - 1) > shares[level]:
            # many indicators: half-up would leave the last a negative remainder
            each = (shares[level] / len(members)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        for n in members[:-1]:
            weights[n] = each
        weights[members[-1]] = shares[level] - each * (len(members) - 1)
    return weights


def printed_shares(sheet: Sheet, problem: Report) -> dict[str, Decimal] | None:
    """The shares printed after 一级 names (level1_share), by canonical level; two
    different shares for one level are an error."""
    printed: dict[str, Decimal] = {}
    for n, ind in enumerate(sheet.indicators, 1):
        if ind.level1_share is None:
            continue
        level = canonical_level(ind.level1)
        if level in printed and printed[level] != ind.level1_share:
            problem(
                f"一级指标「{ind.level1}」所印分值 {format_number(ind.level1_share)} 与前面的 {format_number(printed[level])} 不同",
                ind, n, "level1",
            )
            return None
        printed[level] = ind.level1_share
    return printed
