"""Typing CRM records into mirror rows; what cannot be typed is a BadRecord with a reason."""

from __future__ import annotations

import pytest

from sync.ingest.mapping import (
    BadRecord,
    campaign_rows,
    company_row,
    contact_row,
    deal_row,
    engagement_row,
    needs_history,
    stage_evidence,
    stage_signals,
    timestamp,
)

ORDER = {s: i for i, s in enumerate(["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
                                     "opportunity", "customer", "evangelist", "other"])}


def record(**props):
    return {"id": "7", "properties": {"createdate": "2026-01-02T03:04:05.678Z", **props},
            "createdAt": "2026-01-02T03:04:05.678Z", "updatedAt": "2026-01-03T00:00:00.000Z", "archived": False}


@pytest.mark.parametrize("value, expected", [
    ("2026-01-02T03:04:05.678Z", "2026-01-02T03:04:05.678Z"),
    ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.000Z"),
    ("2026-01-02T04:04:05.678+01:00", "2026-01-02T03:04:05.678Z"),
    ("1767323045678", "2026-01-02T03:04:05.678Z"),
    ("2026-01-02", "2026-01-02T00:00:00.000Z"),
    ("", None), (None, None),
])
def test_timestamps_become_utc_iso_with_milliseconds(value, expected):
    assert timestamp(value, "x") == expected


@pytest.mark.parametrize("value", ["2026-02-30T03:04:05.678Z", "2026-01-02T24:04:05.678Z", "٢٠٢٦-01-02T03:04:05.678Z"])
def test_a_date_in_hubspots_own_form_is_still_checked(value):
    with pytest.raises(BadRecord, match="x is not a date"):
        timestamp(value, "x")


def test_a_contact_row_keeps_property_names_and_types():
    row = contact_row(record(email="a@b.c", lifecyclestage="lead", hubspot_owner_id="9001"))
    assert (row["id"], row["hubspot_owner_id"], row["archived"], row["createdate"]) == (
        7, 9001, 0, "2026-01-02T03:04:05.678Z")
    assert row["lastmodifieddate"] == "2026-01-03T00:00:00.000Z"  # from updatedAt when the property is absent


def test_deal_amounts_in_the_portal_currency():
    usd = deal_row(record(amount="1500.50", deal_currency_code="USD"), "USD")
    eur = deal_row(record(amount="1000", deal_currency_code="EUR"), "USD")
    eur_home = deal_row(record(amount="1000", deal_currency_code="EUR", amount_in_home_currency="1080.00"), "USD")
    unknown = deal_row(record(amount=None), "USD")
    assert (usd["amount"], usd["amount_home"]) == (1500.5, 1500.5)
    assert (eur["amount"], eur["amount_home"]) == (1000.0, None)
    assert eur_home["amount_home"] == 1080.0 and unknown["amount_home"] is None


@pytest.mark.parametrize("make, reason", [
    (lambda: contact_row({"properties": {}}), "no id"),
    (lambda: contact_row({"id": "abc", "properties": {}}), "not a numeric id"),
    (lambda: contact_row({"id": "1"}), "no properties"),
    (lambda: contact_row("nonsense"), "must be an object"),
    (lambda: contact_row(record(hubspot_owner_id="Rita")), "hubspot_owner_id is not a numeric id"),
    (lambda: contact_row(record(createdate="yesterday")), "createdate is not a date"),
    (lambda: deal_row(record(amount="12,50 €"), "USD"), "amount is not a number"),
    (lambda: deal_row(record(amount="Infinity"), "USD"), "not a finite number"),
    (lambda: deal_row(record(hs_is_closed="yes"), "USD"), "hs_is_closed is not true or false"),
    (lambda: engagement_row(record(), "notes"), "unknown engagement type"),
    (lambda: contact_row({**record(), "archived": "maybe"}), "archived is not a boolean"),
], ids=["no-id", "bad-id", "no-properties", "not-object", "owner", "date", "amount", "infinite", "flag", "type",
        "archived"])
def test_bad_records_say_why(make, reason):
    with pytest.raises(BadRecord, match=reason):
        make()


def test_stage_evidence_from_dates_and_history():
    r = record(hs_v2_date_entered_lead="2026-01-05T00:00:00.000Z",
               hs_lifecyclestage_marketingqualifiedlead_date="2026-02-01T00:00:00.000Z",
               hs_v2_date_entered_1047290193="2026-01-20T00:00:00.000Z", hs_v2_date_exited_lead="2026-01-20T00:00:00Z")
    r["propertiesWithHistory"] = {"lifecyclestage": [{"value": "lead", "timestamp": "2026-03-01T00:00:00.000Z"},
                                                     {"value": "", "timestamp": "2026-02-28T00:00:00.000Z"}]}
    assert sorted(stage_evidence(r)) == [
        ("1047290193", "2026-01-20T00:00:00.000Z", "hs_v2_date_entered"),
        ("lead", "2026-01-05T00:00:00.000Z", "hs_v2_date_entered"),
        ("lead", "2026-03-01T00:00:00.000Z", "history"),
        ("marketingqualifiedlead", "2026-02-01T00:00:00.000Z", "hs_lifecyclestage_date"),
    ]


def test_history_is_needed_only_where_a_date_stands_above_the_current_stage():
    moved_back = record(lifecyclestage="lead", hs_v2_date_entered_salesqualifiedlead="2026-02-01T00:00:00.000Z")
    forward = record(lifecyclestage="customer", hs_v2_date_entered_lead="2026-02-01T00:00:00.000Z")
    assert needs_history("lead", stage_evidence(moved_back), ORDER)
    assert not needs_history("customer", stage_evidence(forward), ORDER)


SQL = "salesqualifiedlead"


def history_needed(current: str, **props: str) -> bool:
    r = record(lifecyclestage=current, **props)
    return needs_history(current, stage_evidence(r), ORDER, stage_signals(r))


def test_exit_dates_and_times_in_stage_are_signals_not_entries():
    r = record(hs_v2_date_entered_lead="2026-01-05T00:00:00.000Z", hs_date_entered_lead="2026-01-05T00:00:00.000Z",
               hs_v2_date_exited_lead="2026-01-06T00:00:00Z", hs_v2_cumulative_time_in_lead="86400000",
               hs_v2_latest_time_in_lead="86400000")
    assert sorted(stage_evidence(r)) == [("lead", "2026-01-05T00:00:00.000Z", "hs_date_entered"),
                                         ("lead", "2026-01-05T00:00:00.000Z", "hs_v2_date_entered")]
    assert stage_signals(r) == {"lead": {"exited": "2026-01-06T00:00:00.000Z", "cumulative": 86400000.0,
                                         "latest": 86400000.0}}


@pytest.mark.parametrize("current, props", [
    ("lead", {f"hs_v2_date_entered_{SQL}": "2026-02-01T00:00:00.000Z"}),  # below a dated stage, as before
    (SQL, {f"hs_v2_date_entered_{SQL}": "2026-03-01T00:00:00.000Z",  # left sql, came back: exit before entry
           f"hs_v2_date_exited_{SQL}": "2026-02-10T00:00:00.000Z"}),
    ("opportunity", {"hs_v2_date_entered_lead": "2026-03-01T00:00:00.000Z",  # "became a lead" kept the first
                     "hs_lifecyclestage_lead_date": "2026-01-05T00:00:00.000Z"}),
    ("opportunity", {f"hs_v2_date_entered_{SQL}": "2026-03-01T00:00:00.000Z",  # two stays in sql
                     f"hs_v2_date_exited_{SQL}": "2026-03-02T00:00:00.000Z",
                     f"hs_v2_cumulative_time_in_{SQL}": "172800000", f"hs_v2_latest_time_in_{SQL}": "86400000"}),
    (None, {"hs_v2_date_entered_lead": "2026-03-01T00:00:00.000Z",  # a cleared stage still shows the re-entry
            "hs_lifecyclestage_lead_date": "2026-01-05T00:00:00.000Z"}),
], ids=["below-a-dated-stage", "exit-before-entry", "legacy-before-v2", "cumulative-above-latest", "cleared"])
def test_history_is_needed_where_the_properties_show_a_re_entry(current, props):
    assert history_needed(current, **props)


def test_a_contact_that_simply_passed_through_needs_no_history():
    assert not history_needed(
        "opportunity",
        hs_lifecyclestage_lead_date="2026-01-05T00:00:00.000Z", hs_v2_date_entered_lead="2026-01-05T00:00:00.000Z",
        hs_date_entered_lead="2026-01-05T00:00:00.000Z", hs_v2_date_exited_lead="2026-01-06T00:00:00.000Z",
        hs_v2_cumulative_time_in_lead="86400000", hs_v2_latest_time_in_lead="86400000",
        **{f"hs_lifecyclestage_{SQL}_date": "2026-01-06T00:00:00.000Z",
           f"hs_v2_date_entered_{SQL}": "2026-01-06T00:00:00.000Z",
           f"hs_v2_date_exited_{SQL}": "2026-01-06T00:00:00.000Z",  # entered and left in the same instant
           f"hs_v2_cumulative_time_in_{SQL}": "0", f"hs_v2_latest_time_in_{SQL}": "0",
           "hs_v2_date_entered_opportunity": "2026-01-06T00:00:00.000Z"})


@pytest.mark.parametrize("name, value, reason", [
    ("hs_v2_latest_time_in_lead", "about a day", "hs_v2_latest_time_in_lead is not a number"),
    ("hs_v2_cumulative_time_in_lead", "Infinity", "hs_v2_cumulative_time_in_lead is not a finite number"),
    ("hs_v2_date_exited_lead", "last week", "hs_v2_date_exited_lead is not a date"),
])
def test_an_unreadable_stage_signal_is_a_bad_record(name, value, reason):
    with pytest.raises(BadRecord, match=reason):
        stage_signals(record(**{name: value}))


@pytest.mark.parametrize("empty", ["", None])
def test_a_cleared_value_and_a_null_are_both_empty(empty):
    """HubSpot answers a cleared value as "" and a never-set one as null: the mirror's columns hold None for both,
    so a value cleared in the CRM reads as no value, and the properties keep what HubSpot sent."""
    texts = ("email", "firstname", "lifecyclestage", "hs_lead_status", "hs_analytics_source", "hs_merged_object_ids")
    contact = contact_row(record(**{name: empty for name in texts}))
    assert [contact[name] for name in texts] == [None] * len(texts)
    deal = deal_row(record(**{name: empty for name in ("dealname", "pipeline", "dealstage", "dealtype",
                                                      "hs_analytics_source", "deal_currency_code")}), "USD")
    assert [deal[n] for n in ("dealname", "pipeline", "dealstage", "dealtype", "hs_analytics_source",
                              "deal_currency_code")] == [None] * 6
    company = company_row(record(name=empty, domain=empty, industry=empty))
    assert (company["name"], company["domain"], company["industry"]) == (None, None, None)
    call = engagement_row(record(hs_call_direction=empty, hs_call_status=empty, hs_call_title=empty), "calls")
    assert (call["direction"], call["outcome"], call["title"]) == (None, None, None)
    row, _ = campaign_rows({"id": "c1", "properties": {"hs_name": empty, "hs_start_date": empty,
                                                      "hs_end_date": empty, "hs_campaign_status": empty,
                                                      "hs_currency_code": empty}, "createdAt": None})
    assert (row["name"], row["start_date"], row["end_date"], row["status"], row["currency"]) == (None,) * 5
    assert '"email":' + ('""' if empty == "" else "null") in contact["properties"]
