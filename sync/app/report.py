"""KPI results for people (a table grouped by family, labels first) and for programs (JSON, CSV), and the funnel chart.

Every export has the same fields (``kpi.export.record``): the label beside the id, the unit and currency, the value
rounded and exact, names for owners, campaigns, pipelines and sources.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from kpi import ABOUT, KpiResult, KpiSpec, Names, decimal, record

WIDTH = 100
LABEL_WIDTH = 52
CSV_FIELDS = ("kpi", "label", "period", "segment", "segment_label", "value", "exact", "unit", "currency", "numerator",
              "denominator", "excluded", "as_of", "reason")
NO_SPEND = ("cost_per_lead", "cost_per_opportunity", "cac", "marketing_roi")


def places(value: int | Fraction | Decimal, digits: int) -> Decimal:
    return decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def plain(value: int | Fraction | Decimal | None) -> str:
    if value is None:
        return "n/a"
    return f"{int(value):,}" if value == int(value) else f"{places(value, 2):,}"


def value_text(unit: str, value: int | Fraction | Decimal | None, currency: str | None) -> str:
    """A value with its unit: 42.5 %, USD 1,200.00, 3.2 days, 2.10 ×, 1,204."""
    if value is None:
        return "n/a"
    if unit == "rate":
        return f"{places(Fraction(value) * 100, 1)} %"
    if unit == "money":
        return f"{currency + ' ' if currency else ''}{places(value, 2):,}"
    if unit == "ratio":
        return f"{places(value, 2)} ×"
    if unit == "days":
        return f"{places(value, 1)} days"
    return plain(value)


def shown(result: KpiResult, currency: str | None) -> str:
    """The value as a person reads it: rates as percentages with the counts behind them, money with its currency."""
    unit = ABOUT[result.kpi].unit
    if result.kpi in NO_SPEND and result.numerator == 0 and result.kpi != "marketing_roi":
        return "no spend in the period"
    if result.value is None:
        return f"n/a: {result.reason}" if result.reason else "n/a"
    text = value_text(unit, result.value, currency)
    if unit == "rate" and result.numerator is not None and result.denominator is not None:
        text += f" ({plain(result.numerator)} of {plain(result.denominator)})"
    return text


def _flags(result: KpiResult) -> list[str]:
    flags = ["cohort still converting" if result.details.get("immature") else ""]
    for reason, n in sorted(result.excluded.items()):
        flags.append(f"{n} left out: {reason.replace('_', ' ')}")
    return [f for f in flags if f]


def table(results: Iterable[KpiResult], catalogue: dict[str, KpiSpec], title: str, *, names: Names,
          currency: str | None, daily: bool = False) -> str:
    """One line per result under its family; the daily sales rows are one summary line unless ``daily``."""
    lines = [title, "=" * min(WIDTH, len(title))]
    family, last_kpi = None, None
    results = list(results) if daily else _summarised_days(list(results))
    for r in results:
        spec = catalogue[r.kpi]
        if spec.family != family:
            family = spec.family
            lines += ["", family.upper()]
        summary = r.kpi == "daily_sales_vs_goal" and not daily
        if r.kpi != last_kpi and r.segment != "all" and not summary:
            lines.append(f"  {ABOUT[r.kpi].label} ({r.kpi})")
        last_kpi = r.kpi
        if r.segment == "all" or summary:
            label = f"  {ABOUT[r.kpi].label} ({r.kpi})"
        else:
            label = f"    {names.segment(r.segment)}"
        flags = _flags(r)
        value = (_day_summary(r, currency) if summary else shown(r, currency)) + (
            f"  ({'; '.join(flags)})" if flags else "")
        if len(label) > LABEL_WIDTH - 1:
            lines.append(label)
            label = ""
        wrapped = textwrap.wrap(value, WIDTH - LABEL_WIDTH) or [""]
        lines.append(f"{label:<{LABEL_WIDTH}}{wrapped[0]}")
        lines += [f"{'':<{LABEL_WIDTH}}{more}" for more in wrapped[1:]]
    return "\n".join(lines)


def _summarised_days(results: list[KpiResult]) -> list[KpiResult]:
    """The daily sales rows as one: the last day the period reached (``--daily`` shows every day)."""
    days = [r for r in results if r.kpi == "daily_sales_vs_goal"]
    if not days:
        return results
    at = results.index(days[0])
    return [*results[:at], days[-1], *[r for r in results[at:] if r.kpi != "daily_sales_vs_goal"]]


def _day_summary(day: KpiResult, currency: str | None) -> str:
    """Sales so far against the pro-rata goal, and last month to the same day, in one line."""
    money = f"{currency} " if currency else ""
    to = day.segment.removeprefix("day=")
    so_far = f"{money}{places(day.numerator or 0, 2):,} to {to}"
    last = day.details.get("last_month")
    before = f"; last month {money}{places(last, 2):,} to the same day" if last is not None else ""
    if day.value is None:
        return f"{so_far}{before} (no goal: {day.reason})" if day.reason else f"{so_far}{before}"
    goal = f"{money}{places(day.denominator or 0, 2):,}"
    return f"{so_far}, {places(Fraction(day.value) * 100, 1)} % of the goal so far ({goal}){before}"


def as_json(results: Iterable[KpiResult], currency: str | None, names: Names) -> str:
    return json.dumps([record(r, currency, names) for r in results], ensure_ascii=False, indent=2)


def as_csv(results: Iterable[KpiResult], currency: str | None, names: Names) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for r in results:
        row = record(r, currency, names)
        writer.writerow([json.dumps(row[f]) if f == "excluded" else row.get(f, "") for f in CSV_FIELDS])
    return out.getvalue()


def explain(kpi: str) -> str:
    """What ``smarketing kpi --explain ID`` prints: the KPI's meaning, formula, unit, data and readings."""
    about = ABOUT[kpi]
    lines = [f"{about.label} ({kpi})", "", about.meaning, "", f"Formula: {about.formula}",
             f"Unit: {about.unit}", "", "Computed from:", *[f"  - {need}" for need in about.needs]]
    if about.readings:
        lines += ["", "Readings settled where the definitions leave room:"]
        for reading in about.readings:
            wrapped = textwrap.wrap(reading, WIDTH - 4)
            lines += [f"  - {wrapped[0]}", *[f"    {more}" for more in wrapped[1:]]]
    return "\n".join(lines)


def funnel_chart(counts: list[tuple[str, int]], title: str) -> str:
    """One bar per stage, scaled to the leads, with the conversion from the stage above."""
    top = max((n for _, n in counts), default=0)
    lines = [title, "", f"  {'stage':<12} {'contacts':>8}  {'':<50} from the stage above"]
    previous = None
    for stage, n in counts:
        bar = "#" * (round(50 * n / top) if top else 0)
        step = "" if previous is None else (f"{places(Fraction(n, previous) * 100, 1)} %" if previous else "n/a")
        lines.append(f"  {stage:<12} {n:>8,}  {bar:<50} {step}")
        previous = n
    return "\n".join(lines)
