"""KPI "dashboard records": one CRM record per KPI x period x segment, in the worker's own custom object.

HubSpot reports and dashboards can chart them. The values come from the KPI engine; they travel
through the same outbox as the per-record values, upserted on their unique ``kpi_key``. ``as_of``
is written along with a change but is never a reason to write. Custom objects need an Enterprise
portal: where the schema is refused, dashboard records are off, with the reason kept in ``meta``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from kpi import KpiConfig, KpiResult, Period, compute, specs

from ..errors import StopRequested
from ..storage import Feature

OBJECT_NAME = "smarketing_kpi"
FEATURE = Feature("dashboards", "dashboard records", "an Enterprise portal (custom objects)",
                  "not tried yet (smarketing push creates them)")
NUMBERS = ("value", "numerator", "denominator", "target", "previous_value", "change")
FIELDS = ("kpi", "period", "segment", *NUMBERS, "as_of")
DIMENSIONS = (None, "source", "campaign", "owner")


def schema(name: str = OBJECT_NAME) -> dict[str, object]:
    """The KPI object's schema-create body with every field a version may require (2026-03 requires all four
    after ``properties``); the client leaves out what its API version does not take (``Paths.schema_body``)."""
    def prop(prop_name: str, kind: str, unique: bool = False) -> dict[str, object]:
        field_type = {"string": "text", "number": "number", "datetime": "date"}[kind]
        return {"name": prop_name, "label": prop_name.replace("_", " "), "type": kind, "fieldType": field_type,
                "hasUniqueValue": unique}

    return {"name": name, "labels": {"singular": "KPI record", "plural": "KPI records"},
            "primaryDisplayProperty": "kpi_key", "requiredProperties": ["kpi_key"], "associatedObjects": [],
            "properties": [prop("kpi_key", "string", unique=True), prop("kpi", "string"), prop("period", "string"),
                           prop("segment", "string"), *(prop(n, "number") for n in NUMBERS),
                           prop("as_of", "datetime")],
            "searchableProperties": ["kpi_key", "kpi", "period", "segment"],
            "secondaryDisplayProperties": ["value", "as_of"],
            "allowsSensitiveProperties": False, "shouldCreateSameObjectAssociation": False}


def periods(now: datetime, time_zone: str) -> list[Period]:
    """The current and previous month and quarter."""
    today = now.astimezone().date() if now.tzinfo is None else now.date()
    month, quarter = Period.containing("month", today, time_zone), Period.containing("quarter", today, time_zone)
    return [month, month.previous(), quarter, quarter.previous()]


def records(db: object, config: KpiConfig, now: datetime, should_stop: Callable[[], bool] = lambda: False
            ) -> Iterator[tuple[str, dict[str, str | None]]]:
    """(kpi_key, properties) for every KPI of the current and previous month and quarter, overall and by segment.

    A stop asked for is honoured between two computations (StopRequested): each takes a second at most.
    """
    catalogue = specs()
    for period in periods(now, config.time_zone):
        before = period.previous()
        for by in DIMENSIONS:
            if should_stop():
                raise StopRequested
            # by a dimension: only the KPIs that allow it (the others would repeat their overall records)
            kpis = list(catalogue) if by is None else [k for k, s in catalogue.items() if by in s.dimensions]
            current = compute(db, config, period, by=by, kpis=kpis, now=now)
            previous = {(r.kpi, r.segment): r for r in compute(db, config, before, by=by, kpis=kpis, now=now)}
            for result in current:
                yield f"{result.kpi}|{result.period}|{result.segment}", _properties(
                    result, previous.get((result.kpi, result.segment)))


def _properties(result: KpiResult, previous: KpiResult | None) -> dict[str, str | None]:
    old = previous.value if previous else None
    # exact whatever the mix: a Decimal minus a Fraction raises TypeError
    change = Fraction(result.value) - Fraction(old) if result.value is not None and old is not None else None
    target = result.details.get("target")
    return {"kpi": result.kpi, "period": result.period, "segment": result.segment,
            "value": _number(result.value), "numerator": _number(result.numerator),
            "denominator": _number(result.denominator),
            "target": _number(target) if isinstance(target, int | Fraction | Decimal) else None,
            "previous_value": _number(old), "change": _number(change), "as_of": result.as_of}


def _number(value: int | Fraction | Decimal | None) -> str | None:
    """A CRM number property's text: exact to 6 decimal places, no trailing zeros."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else Decimal(value)
    text = format(exact.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP).normalize(), "f")
    return "0" if text in ("-0", "") else text
