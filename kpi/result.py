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

    def as_json(self) -> dict[str, Any]:
        """Numbers as JSON numbers (never strings); exact values become floats only here."""
        out = {"kpi": self.kpi, "period": self.period, "segment": self.segment, "value": _json(self.value),
               "numerator": _json(self.numerator), "denominator": _json(self.denominator),
               "excluded": dict(self.excluded), "as_of": self.as_of}
        if self.reason:
            out["reason"] = self.reason
        if self.details:
            out["details"] = _plain(self.details)
        return out


def _plain(value: Any) -> Any:
    """Exact numbers nested in details, as JSON numbers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return _json(value) if isinstance(value, Fraction | Decimal) else value


def _json(value: Number | None) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return float(value)


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
