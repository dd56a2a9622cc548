"""KPI records for people (a table of 100 columns, grouped by family) and for programs (JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from kpi import KpiResult, KpiSpec

WIDTH = 100


def _decimal(value: int | Fraction | Decimal, places: int) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else Decimal(value)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def shown(result: KpiResult) -> str:
    """The value as a person reads it: rates as percentages with the counts behind them, money to 2 places."""
    if result.value is None:
        return f"n/a ({result.reason})" if result.reason else "n/a"
    if result.unit == "rate":
        text = f"{_decimal(Fraction(result.value) * 100, 1)} %"
        if result.numerator is not None and result.denominator is not None:
            text += f" ({_plain(result.numerator)}/{_plain(result.denominator)})"
        return text
    if result.unit == "money":
        return f"{_decimal(result.value, 2):,}"
    if result.unit in ("days", "hours"):
        return f"{_decimal(result.value, 1)} {result.unit[0]}"
    return _plain(result.value)


def _plain(value: int | Fraction | Decimal) -> str:
    return f"{int(value):,}" if value == int(value) else f"{_decimal(value, 2):,}"


def table(results: Iterable[KpiResult], catalogue: dict[str, KpiSpec], title: str) -> str:
    lines = [title, "=" * min(WIDTH, len(title))]
    family = None
    for r in results:
        spec = catalogue[r.kpi]
        if spec.family != family:
            family = spec.family
            lines += ["", family.upper()]
        flags = []
        if r.details.get("immature"):
            flags.append("immature")
        if r.excluded:
            flags.append("excl. " + ", ".join(f"{k} {v}" for k, v in sorted(r.excluded.items())))
        segment = "" if r.segment == "all" else f" [{r.segment}]"
        label = f"  {r.kpi}{segment}"
        value = shown(r) + (f"  ({'; '.join(flags)})" if flags else "")
        if len(label) > 44:
            lines.append(label)
            label = ""
        wrapped = textwrap.wrap(value, WIDTH - 45) or [""]
        lines.append(f"{label:<44} {wrapped[0]}")
        lines += [f"{'':<44} {more}" for more in wrapped[1:]]
    return "\n".join(lines)


def as_json(results: Iterable[KpiResult]) -> str:
    return json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=2)


def as_csv(results: Iterable[KpiResult]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kpi", "period", "segment", "value", "numerator", "denominator", "excluded", "as_of", "reason"])
    for r in results:
        record = r.as_json()
        writer.writerow([record["kpi"], record["period"], record["segment"], record["value"], record["numerator"],
                         record["denominator"], json.dumps(record["excluded"]), record["as_of"],
                         record.get("reason", "")])
    return out.getvalue()


def funnel_chart(counts: list[tuple[str, int]], title: str) -> str:
    """One bar per stage, scaled to the leads, with the conversion from the stage before."""
    top = max((n for _, n in counts), default=0)
    lines = [title, ""]
    previous = None
    for stage, n in counts:
        bar = "#" * (round(50 * n / top) if top else 0)
        step = "" if previous is None else (f"{_decimal(Fraction(n, previous) * 100, 1)} %" if previous else "n/a")
        lines.append(f"  {stage:<12} {n:>7,}  {bar:<50} {step}")
        previous = n
    return "\n".join(lines)
