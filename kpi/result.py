"""One KPI result: the value and the numbers behind it, exact; rounded only when shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

Number = int | Fraction | Decimal


@dataclass
class KpiResult:
    kpi: str
    period: str
    segment: str  # "all" or "DIMENSION=VALUE"
    value: Number | None
    numerator: Number | None
    denominator: Number | None
    as_of: str
    excluded: dict[str, int] = field(default_factory=dict)
    reason: str | None = None  # why value is null
    unit: str = "count"  # count | rate | money | days | hours
    details: dict[str, Any] = field(default_factory=dict)  # e.g. immature, method, per-day rows


def ratio(kpi: str, period: str, segment: str, numerator: Number, denominator: Number, as_of: str, *,
          unit: str = "rate", excluded: dict[str, int] | None = None, empty: str = "the denominator is 0",
          **details: Any) -> KpiResult:
    """numerator / denominator exactly; a zero denominator gives null with a reason, never 0."""
    value: Number | None
    if denominator == 0:
        value, reason = None, empty
    else:
        value, reason = _divide(numerator, denominator), None
    return KpiResult(kpi, period, segment, value, numerator, denominator, as_of, excluded or {}, reason, unit,
                     {k: v for k, v in details.items() if v is not None})


def _divide(numerator: Number, denominator: Number) -> Number:
    """Exact for any mix of int, Fraction and Decimal."""
    return Fraction(numerator) / Fraction(denominator)


def count(kpi: str, period: str, segment: str, value: int, as_of: str, **details: Any) -> KpiResult:
    return KpiResult(kpi, period, segment, value, None, None, as_of, {}, None, "count",
                     {k: v for k, v in details.items() if v is not None})
