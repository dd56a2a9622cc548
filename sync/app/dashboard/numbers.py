"""A KPI number as a page shows it: value with its unit, and what opening it tells (meaning, formula, the counts
behind it, exclusions with reasons, as_of, immaturity, the list of records behind a count)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from urllib.parse import urlencode

from kpi import ABOUT, KpiResult, Names, Period, listed, rounded

from ..report import NO_SPEND, places, plain, value_text

UNIT_NAMES = {"count": "count", "rate": "%", "days": "days", "ratio": "×"}


def change_text(unit: str, now: int | Fraction | Decimal | None, before: int | Fraction | Decimal | None) -> str:
    """The change from the previous period: percentage points for rates, else the difference and its share."""
    if now is None or before is None:
        return "n/a"
    diff = Fraction(now) - Fraction(before)
    sign = "+" if diff > 0 else "−" if diff < 0 else "±"
    if unit == "rate":
        return f"{sign}{places(abs(diff) * 100, 1)} pts"
    share = f" ({sign}{places(abs(diff) / abs(Fraction(before)) * 100, 1)} %)" if before else ""
    return f"{sign}{plain(abs(diff))}{share}"


@dataclass(frozen=True)
class ListLink:
    """The records behind one part of a number: how many, of what, and the page that lists them."""

    part: str  # value | numerator | denominator
    count: int
    what: str  # contacts | deals
    href: str


@dataclass
class Shown:
    kpi: str
    label: str
    text: str  # the value with its unit
    unit: str  # the unit's name: count, %, USD, days, ×
    meaning: str
    formula: str
    readings: tuple[str, ...]
    numerator: str | None = None
    denominator: str | None = None
    excluded: list[str] = field(default_factory=list)
    as_of: str = ""
    immature: bool = False
    reason: str | None = None
    previous: str | None = None
    change: str | None = None
    lists: list[ListLink] = field(default_factory=list)
    note: str | None = None  # e.g. "not available by owner"
    rounded: str = ""  # the value as ``smarketing kpi --format json`` gives it (JSON text), for checks


def query(**params: str | None) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "", "all", "0")})


def shown(result: KpiResult | None, kpi: str, currency: str | None, *, period: Period, strict: bool,
          previous: KpiResult | None = None, label: str | None = None, note: str | None = None,
          object_type: str = "contacts") -> Shown:
    about = ABOUT[kpi]
    unit = currency or "money" if about.unit == "money" else UNIT_NAMES[about.unit]
    base = Shown(kpi, label or about.label, "n/a", unit, about.meaning, about.formula, about.readings, note=note)
    if result is None:
        if about.unit == "count" and note is None:  # nothing counted in this segment
            base.text, base.rounded, base.reason = "0", "0", "nothing in this segment in the period"
        else:
            base.reason = note or "no result for this segment"
        return base
    value = result.value
    if kpi in NO_SPEND and kpi != "marketing_roi" and result.numerator == 0:
        base.text, base.reason = "no spend in the period", "no campaign spend was recorded in the period"
        base.unit = ""
    else:
        base.text = value_text(about.unit, value, currency)
        base.reason = result.reason
    base.rounded = json.dumps(rounded(value, about.unit))
    money = (currency or "") if about.unit == "money" else None  # a sum of money over a count
    base.numerator = None if result.numerator is None else _part(result.numerator, money)
    base.denominator = None if result.denominator is None else plain(result.denominator)
    base.excluded = [f"{n} left out: {reason.replace('_', ' ')}" for reason, n in sorted(result.excluded.items())]
    base.as_of = result.as_of
    base.immature = bool(result.details.get("immature"))
    if previous is not None:
        no_spend = kpi in NO_SPEND and kpi != "marketing_roi" and previous.numerator == 0
        base.previous = "no spend" if no_spend else value_text(about.unit, previous.value, currency)
        base.change = "n/a" if no_spend or base.unit == "" else change_text(about.unit, value, previous.value)
    for part in ("value", "numerator", "denominator"):
        number = value if part == "value" else getattr(result, part)
        if listed(kpi, part) and number is not None:
            base.lists.append(ListLink(part, int(number), "deals" if kpi in ("new_opportunities", "win_rate")
                                       else object_type, "/list?" + query(
                                           kpi=kpi, part=part, period=str(period), segment=result.segment,
                                           strict="1" if strict else None)))
    return base


def _part(value: int | Fraction | Decimal, currency: str | None) -> str:
    return plain(value) if currency is None else f"{currency} {places(value, 2):,}".strip()


def segment_name(names: Names, segment: str) -> str:
    return "everyone" if segment == "all" else names.segment(segment)
