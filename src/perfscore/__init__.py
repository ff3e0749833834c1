"""perfscore: score 绩效自评表 (budget performance self-evaluation sheets)."""

__version__ = "0.1.0"
