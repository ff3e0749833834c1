"""The forms' fixed terms and numbers, one home each.

Grade names are the 等级 of every 自评表 (docs/scoring.md §等级); ``HUNDRED`` is the 100 of a
percentage and of a full 总分.
"""

from __future__ import annotations

from decimal import Decimal

GRADES = ("优", "良", "中", "差")  # best first, as the forms print them
HUNDRED = Decimal(100)
ZERO = Decimal(0)

# The standard indicator tree (一级指标 → 二级指标), in the forms' order.
STANDARD_TREE = (
    ("产出指标", ("数量指标", "质量指标", "时效指标", "成本指标")),
    ("效益指标", ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标")),
    ("满意度指标", ("服务对象满意度指标",)),
)
