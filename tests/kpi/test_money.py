"""Money is summed exactly: in SQL over the mirror's integer micros, never as floats."""

from __future__ import annotations

from decimal import Decimal

from kpi.customers import clv
from kpi.money import MICROS
from kpi.sales import avg_deal_size, revenue
from sync.storage import MICROS as MIRROR_MICROS


def test_ten_cents_and_twenty_cents_sum_to_exactly_thirty_cents(build):
    build.contact(1, lead="2026-01-05T10:00:00.000Z")
    build.deal(1, contacts=(1,), stage="closedwon", amount=0.10, closed="2026-03-05T10:00:00.000Z")
    build.deal(2, contacts=(1,), stage="closedwon", amount=0.20, closed="2026-03-06T10:00:00.000Z")
    floats = build.db.execute("SELECT SUM(amount_home) FROM deals").fetchone()[0]
    assert Decimal(str(floats)) != Decimal("0.30")  # what summing the REAL column would give
    ctx = build.context("2026-03")
    assert revenue(ctx, None)[0].value == Decimal("0.30")
    assert avg_deal_size(ctx, None)[0].value == Decimal("0.15")
    assert clv(ctx, None)[0].value == Decimal("0.30")


def test_many_small_amounts_stay_exact(build):
    build.contact(1, lead="2026-01-05T10:00:00.000Z")
    for deal_id in range(1, 11):
        build.deal(deal_id, contacts=(1,), stage="closedwon", amount=0.1, closed="2026-03-05T10:00:00.000Z")
    assert revenue(build.context("2026-03"), None)[0].value == Decimal(1)


def test_the_kpis_read_micros_in_the_mirror_schema_unit():
    assert MICROS == MIRROR_MICROS == 1_000_000
