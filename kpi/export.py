"""KPI results as people and programs read them: labels, units, currencies, names, values rounded and exact.

One form for every place a result leaves the engine (the CLI's table, JSON and CSV, the dashboard): ``record`` gives
the fields, ``Names`` turns segment ids into the names people know (owners, campaigns, pipelines, sources).
Rounding follows the definitions' §1.10: money to 2 places, rates and ratios to 4; ``exact`` keeps the exact value.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from .catalogue import ABOUT
from .result import KpiResult, Number

PLACES = {"money": 2, "rate": 4, "ratio": 4, "days": 2, "count": 2}
# HubSpot's UI labels of the original source values (API notes §10), and the KPIs' own UNKNOWN
SOURCE_LABELS = {"ORGANIC_SEARCH": "Organic search", "PAID_SEARCH": "Paid search", "EMAIL_MARKETING": "Email marketing",
                 "SOCIAL_MEDIA": "Organic social", "REFERRALS": "Referrals", "OTHER_CAMPAIGNS": "Other campaigns",
                 "DIRECT_TRAFFIC": "Direct traffic", "OFFLINE": "Offline sources", "PAID_SOCIAL": "Paid social",
                 "AI_REFERRALS": "AI referrals", "UNKNOWN": "Unknown source"}


def decimal(value: Number) -> Decimal:
    """An exact number as a Decimal, to 28 significant digits for a Fraction that has no finite decimal form."""
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value)


def rounded(value: Number | None, unit: str) -> int | float | None:
    """The JSON number of a value: half up to the unit's places, an integer when it is one."""
    if value is None:
        return None
    if isinstance(value, int) or (isinstance(value, Fraction) and value.denominator == 1):
        return int(value)
    step = Decimal(1).scaleb(-PLACES[unit])
    quantized = decimal(value).quantize(step, rounding=ROUND_HALF_UP)
    return int(quantized) if quantized == quantized.to_integral_value() else float(quantized)


def exact(value: Number | None) -> str | None:
    """The exact value as text: a decimal where one is finite (7800.5, 0.25), else a fraction (1/3)."""
    if value is None:
        return None
    if isinstance(value, int | Decimal):
        return format(Decimal(value).normalize(), "f") if value else "0"
    fraction = Fraction(value)
    rest = fraction.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest != 1:
        return f"{fraction.numerator}/{fraction.denominator}"
    return format(decimal(fraction).normalize(), "f") if fraction else "0"


class Names:
    """Segment values as people know them: owners and campaigns by name, pipelines by label, sources by HubSpot's
    labels. Ids the mirror does not know stay as they are."""

    def __init__(self, db: Any) -> None:
        self.owners = {str(i): " ".join(p for p in (first, last) if p) or (email or str(i))
                       for i, first, last, email in db.execute("SELECT id, first_name, last_name, email FROM owners")}
        self.campaigns = {str(i): name or str(i) for i, name in db.execute("SELECT id, name FROM campaigns")}
        self.pipelines = {str(i): label or str(i) for i, label in db.execute(
            "SELECT id, label FROM pipelines WHERE object_type = 'deals'")}

    def value(self, dimension: str, value: str) -> str:
        if dimension == "owner":
            return "no owner" if value == "UNASSIGNED" else self.owners.get(value, f"owner {value}")
        if dimension == "campaign":
            return "no campaign" if value == "UNKNOWN" else self.campaigns.get(value, f"campaign {value}")
        if dimension == "pipeline":
            return self.pipelines.get(value, value)
        if dimension == "source":
            return SOURCE_LABELS.get(value, value.replace("_", " ").capitalize())
        if dimension == "stages":
            return value.replace("->", " → ")
        return value

    def segment(self, segment: str) -> str:
        """``all``, or the segment's parts named: ``owner=9001,type=call`` -> ``Ana Pérez, call``."""
        if segment == "all":
            return "all"
        parts = [part.partition("=") for part in segment.split(",")]
        return ", ".join(self.value(dimension, value) for dimension, _, value in parts)


def record(result: KpiResult, currency: str | None, names: Names | None = None) -> dict[str, Any]:
    """The fields of one result in every export: JSON numbers rounded, ``exact`` text, unit and currency."""
    unit = ABOUT[result.kpi].unit
    out = {"kpi": result.kpi, "label": ABOUT[result.kpi].label, "period": result.period, "segment": result.segment,
           "segment_label": names.segment(result.segment) if names else result.segment,
           "value": rounded(result.value, unit), "exact": exact(result.value), "unit": unit,
           "currency": currency if unit == "money" else None, **_counts(result), "excluded": dict(result.excluded),
           "as_of": result.as_of}
    if result.reason:
        out["reason"] = result.reason
    if result.details:
        out["details"] = _plain(result.details)
    return out


def _counts(result: KpiResult) -> dict[str, int | float | None]:
    def number(value: Number | None) -> int | float | None:
        if value is None:
            return None
        return int(value) if value == int(value) else float(decimal(value))
    return {"numerator": number(result.numerator), "denominator": number(result.denominator)}


def _plain(value: Any) -> Any:
    """Exact numbers nested in details, as JSON numbers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Fraction | Decimal):
        return int(value) if value == int(value) else float(decimal(value))
    return value
