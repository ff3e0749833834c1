"""The forms' fixed terms and numbers, one home each.

Grade names are the 等级 of every 自评表 (SCORING.md §等级); ``HUNDRED`` is the 100 of a
percentage and of a full 总分.
"""

from __future__ import annotations

from decimal import Decimal

GRADES = ("优", "良", "中", "差")  # best first, as the forms print them
HUNDRED = Decimal(100)
ZERO = Decimal(0)
