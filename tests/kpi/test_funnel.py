"""Funnel normalisation (definitions §1.2-1.6): implied pass-through, strict mode, mapping, population."""

from __future__ import annotations

from kpi import KpiConfig
from kpi.funnel import reached, refresh


def test_skipped_stages_are_implied_at_the_later_entry():
    assert reached({"lead": "2026-01-01", "sql": "2026-01-05"}) == {
        "lead": ("2026-01-01", False), "mql": ("2026-01-05", True), "sql": ("2026-01-05", False)}


def test_a_contact_created_as_mql_is_a_new_lead_at_that_moment():
    assert reached({"mql": "2026-02-01"}) == {"lead": ("2026-02-01", True), "mql": ("2026-02-01", False)}


def test_an_imported_customer_never_counts_as_a_lead():
    assert reached({"customer": "2026-02-01"}) == {"customer": ("2026-02-01", False)}


def test_other_neither_implies_nor_is_implied():
    assert reached({"other": "2026-01-01", "lead": "2026-01-03"}) == {"lead": ("2026-01-03", False)}


def test_reached_takes_the_earliest_entry_at_or_above_a_stage():
    # a regression: sql first, back to lead later, then mql: lead is reached at the earliest of its own entry and
    # the later stages' entries
    out = reached({"lead": "2026-03-01", "sql": "2026-01-10", "mql": "2026-02-01"})
    assert out["lead"] == ("2026-01-10", False) and out["mql"] == ("2026-01-10", False)


def test_refresh_builds_rows_and_follows_changes(build):
    build.contact(1, lead="2026-01-01T00:00:00.000Z", salesqualifiedlead="2026-01-05T00:00:00.000Z",
                  source="PAID_SEARCH")
    build.contact(2, customer="2026-02-01T00:00:00.000Z")
    build.contact(3, lead="2026-01-01T00:00:00.000Z", archived=1)
    build.contact(4, lead="2026-01-02T00:00:00.000Z", merged_into=1)
    build.contact(5, lead="2026-01-02T00:00:00.000Z", email="me@ourcompany.com")
    config = KpiConfig(internal_domains=frozenset({"ourcompany.com"}))
    report = refresh(build.db, config)
    assert report.full and report.rebuilt == 5
    rows = build.db.execute("SELECT contact_id, stage, reached_at, raw_at, implied FROM funnel "
                            "ORDER BY contact_id, stage").fetchall()
    assert rows == [(1, "lead", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", 0),
                    (1, "mql", "2026-01-05T00:00:00.000Z", None, 1),
                    (1, "sql", "2026-01-05T00:00:00.000Z", "2026-01-05T00:00:00.000Z", 0),
                    (2, "customer", "2026-02-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z", 0)]
    build.db.execute("UPDATE contacts SET lifecyclestage = 'customer' WHERE id = 2")
    assert refresh(build.db, config).rebuilt == 1  # only the changed contact
    assert refresh(build.db, config).rebuilt == 0


def test_custom_stages_map_by_setting_or_are_reported(build):
    build.db["lifecycle_stages"].insert({"value": "1047290193", "label": "Product Qualified Lead",
                                         "display_order": 2, "hidden": 0})
    build.contact(1, **{"lead": "2026-01-01T00:00:00.000Z", "1047290193": "2026-01-03T00:00:00.000Z"})
    report = refresh(build.db, KpiConfig())
    assert report.unmapped == ["1047290193"]
    assert build.db.execute("SELECT current_stage FROM contact_funnel").fetchone() == ("other",)
    report = refresh(build.db, KpiConfig(stage_map={"1047290193": "lead"}))
    assert report.full and report.unmapped == []
    assert build.db.execute("SELECT current_stage FROM contact_funnel").fetchone() == ("lead",)
