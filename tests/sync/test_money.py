"""Every amount has an exact INTEGER twin in micros: filled by ingest, backfilled by the migration, and kept by
triggers for rows written with the REAL only."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from sync.ingest.mapping import BadRecord, campaign_rows, deal_row
from sync.storage import Mirror
from sync.storage.schema import MIGRATIONS, VERSION, _money_minor_units


def deal(**properties):
    return {"id": "7", "properties": {"createdate": "2026-01-01T00:00:00Z", **properties}}


def test_ingest_keeps_the_decimal_string_exactly_in_micros():
    row = deal_row(deal(amount="1500.505", deal_currency_code="USD"), "USD")
    assert (row["amount_micros"], row["amount_home_micros"]) == (1_500_505_000, 1_500_505_000)
    assert deal_row(deal(amount="0.0000005"), "USD")["amount_micros"] == 0  # half-even below a micro
    assert deal_row(deal(amount="0.0000015"), "USD")["amount_micros"] == 2
    eur = deal_row(deal(amount="1000", deal_currency_code="EUR", amount_in_home_currency="1080.10"), "USD")
    assert (eur["amount_micros"], eur["amount_home_micros"]) == (1_000_000_000, 1_080_100_000)
    assert deal_row(deal(amount=None), "USD")["amount_home_micros"] is None


def test_an_amount_the_integer_twin_cannot_hold_is_a_bad_record():
    with pytest.raises(BadRecord, match="amount is too large"):
        deal_row(deal(amount="1e20"), "USD")


def test_campaign_totals_and_items_get_their_twins():
    row, items = campaign_rows({"id": "c1", "properties": {}, "budgetTotals": {
        "budgetTotal": "100.10", "spendTotal": "0.30", "spendItems": [{"id": 1, "amount": "0.10"}]}})
    assert (row["budget_total_micros"], row["spend_total_micros"]) == (100_100_000, 300_000)
    assert items[0]["amount_micros"] == 100_000


def test_the_migration_backfills_the_twins_and_triggers_fill_rows_written_without_them(tmp_path):
    path = tmp_path / "old.db"
    old = Database(path)  # a mirror of the version before the twins
    for version, step in enumerate(MIGRATIONS[:MIGRATIONS.index(_money_minor_units)], start=1):
        step(old)
        old.execute(f"PRAGMA user_version = {version}")
    old.execute("INSERT INTO deals (id, amount, amount_home, properties) VALUES (1, 0.1, 0.2, '{}')")
    old.execute("INSERT INTO campaigns (id, spend_total, properties) VALUES ('c', 1234.56, '{}')")
    old.conn.commit()
    old.close()
    with Mirror(path) as mirror:  # opening migrates
        db = mirror.db
        assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
        assert db.execute("SELECT amount_micros, amount_home_micros, amount_in_home_currency_micros "
                          "FROM deals").fetchone() == (100_000, 200_000, None)
        assert db.execute("SELECT spend_total_micros FROM campaigns").fetchone() == (1_234_560_000,)
        db.execute("INSERT INTO deals (id, amount_home, properties) VALUES (2, 0.3, '{}')")
        db.execute("UPDATE deals SET amount_home = 7.25 WHERE id = 1")
        assert db.execute("SELECT id, amount_home_micros FROM deals ORDER BY id").fetchall() == \
            [(1, 7_250_000), (2, 300_000)]
        db.execute("UPDATE deals SET amount_home = NULL WHERE id = 2")
        assert db.execute("SELECT amount_home_micros FROM deals WHERE id = 2").fetchone() == (None,)
        # a writer that sends the twin itself is believed (ingest: exact from the decimal string)
        db.execute("UPDATE deals SET amount_home = 0.1, amount_home_micros = 100000 WHERE id = 2")
        assert db.execute("SELECT amount_home_micros FROM deals WHERE id = 2").fetchone() == (100_000,)

