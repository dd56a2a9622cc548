"""The portal generator: reproducible, in HubSpot's API shapes, and shaped like a real funnel.

Property names and association types are spelled out here from the portal brief rather than imported
from the generator, so a typo in the generator cannot hide behind the same typo in the test.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime

import pytest

from sandbox.generate import generate_portal
from sandbox.loader import load_portal

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
OBJECT_TYPES = ("contacts", "companies", "deals", "calls", "emails", "meetings", "tasks")
ENGAGEMENTS = ("calls", "emails", "meetings", "tasks")
STANDARD_STAGES = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
                   "evangelist", "other")
SOURCES = ("ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "REFERRALS", "OTHER_CAMPAIGNS",
           "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL")
ENGAGEMENT_COMMON = {"hs_timestamp", "hubspot_owner_id", "hs_createdate", "hs_lastmodifieddate", "hs_object_id"}
ALLOWED = {
    "contacts": set("""email firstname lastname company jobtitle phone city country lifecyclestage hs_lead_status
        hubspot_owner_id hubspot_owner_assigneddate hs_analytics_source hs_analytics_source_data_1
        hs_analytics_source_data_2 hs_latest_source hs_analytics_first_touch_converting_campaign
        hs_analytics_last_touch_converting_campaign hs_merged_object_ids hs_additional_emails
        hs_sa_first_engagement_date notes_last_contacted num_contacted_notes createdate lastmodifieddate
        hs_object_id""".split()),
    "companies": set("""name domain industry city country numberofemployees annualrevenue lifecyclestage
        hubspot_owner_id createdate hs_lastmodifieddate hs_object_id""".split()),
    "deals": set("""dealname amount amount_in_home_currency deal_currency_code dealstage pipeline closedate dealtype
        closed_lost_reason hubspot_owner_id hs_is_closed hs_is_closed_won hs_deal_stage_probability
        hs_analytics_source createdate hs_lastmodifieddate hs_object_id""".split()),
    "calls": ENGAGEMENT_COMMON | {"hs_call_title", "hs_call_body", "hs_call_direction", "hs_call_status",
                                  "hs_call_disposition", "hs_call_duration"},
    "emails": ENGAGEMENT_COMMON | {"hs_email_subject", "hs_email_text", "hs_email_direction", "hs_email_status"},
    "meetings": ENGAGEMENT_COMMON | {"hs_meeting_title", "hs_meeting_body", "hs_meeting_start_time",
                                     "hs_meeting_end_time", "hs_meeting_outcome"},
    "tasks": ENGAGEMENT_COMMON | {"hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_type",
                                  "hs_task_priority"},
}
STAGE_DATE = re.compile(r"^(hs_lifecyclestage_(?P<a>\w+?)_date|hs_v2_date_(entered|exited)_(?P<b>\w+)"
                        r"|hs_date_entered_(?P<c>\w+))$")
TIME_IN_STAGE = re.compile(r"^hs_v2_(cumulative|latest)_time_in_(?P<stage>\w+)$")
DATETIMES = {"createdate", "lastmodifieddate", "hs_lastmodifieddate", "hs_createdate", "closedate", "hs_timestamp",
             "hubspot_owner_assigneddate", "hs_sa_first_engagement_date", "notes_last_contacted",
             "hs_meeting_start_time", "hs_meeting_end_time"}
CREATED = {"contacts": "createdate", "companies": "createdate", "deals": "createdate"}
MODIFIED = {"contacts": "lastmodifieddate"}
ASSOCIATION_TYPES = {
    ("contacts", "companies"): {"contact_to_company", "contact_to_company_unlabeled"},
    ("deals", "contacts"): {"deal_to_contact"},
    ("deals", "companies"): {"deal_to_company", "deal_to_company_unlabeled"},
    **{(kind, "contacts"): {f"{kind[:-1]}_to_contact"} for kind in ENGAGEMENTS},
    **{(kind, "deals"): {f"{kind[:-1]}_to_deal"} for kind in ENGAGEMENTS},
}


@pytest.fixture(scope="module")
def small() -> dict:
    return generate_portal(500, 100, 7)


@pytest.fixture(scope="module")
def medium() -> dict:
    return generate_portal(5_000, 1_000, 3)


@pytest.fixture(scope="module", params=["small", "medium"])
def portal(request: pytest.FixtureRequest) -> dict:
    return request.getfixturevalue(request.param)


def lifecycle_values(portal: dict) -> list[str]:
    definitions = {d["name"]: d for d in portal.get("properties", {}).get("contacts", [])}
    if "lifecyclestage" not in definitions:
        return list(STANDARD_STAGES)
    return [o["value"] for o in sorted(definitions["lifecyclestage"]["options"], key=lambda o: o["displayOrder"])]


def by_id(portal: dict, object_type: str) -> dict[str, dict]:
    return {r["id"]: r for r in portal[object_type]}


def test_same_seed_gives_the_same_portal_and_another_seed_does_not() -> None:
    first, again, other = (json.dumps(generate_portal(500, 100, s)) for s in (7, 7, 8))
    assert first == again
    assert first != other


def test_counts_follow_the_arguments_and_defaults(small: dict) -> None:
    assert len(small["contacts"]) == 500
    assert len(small["deals"]) == 100
    assert sum(len(small[kind]) for kind in ENGAGEMENTS) == 500 // 20
    assert all(small[kind] for kind in ENGAGEMENTS)
    assert len(small["companies"]) == 500 // 25
    assert len(small["owners"]["results"]) == 3
    custom = generate_portal(300, 40, 1, engagements=41, companies=7)
    assert (len(custom["contacts"]), len(custom["deals"])) == (300, 40)
    assert sum(len(custom[kind]) for kind in ENGAGEMENTS) == 41
    assert len(custom["companies"]) == 7
    assert len(generate_portal(8_000, 0, 1)["owners"]["results"]) == 4  # one owner per 2,000 contacts


@pytest.mark.parametrize("contacts, companies", [(0, None), (3, 0), (1, 1)])
def test_tiny_portals_are_well_formed(contacts: int, companies: int | None) -> None:
    portal = generate_portal(contacts, 5, 2, companies=companies, engagements=4)
    assert len(portal["contacts"]) == contacts
    assert len(portal["deals"]) == 5
    assert sum(len(portal[kind]) for kind in ENGAGEMENTS) == 4


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError):
        generate_portal(-1, 0, 1)


@pytest.mark.parametrize("object_type", OBJECT_TYPES)
def test_records_have_hubspot_shape(portal: dict, object_type: str) -> None:
    records = portal[object_type]
    ids = [r["id"] for r in records]
    assert all(isinstance(i, str) and i.isdigit() for i in ids)
    assert len(set(ids)) == len(ids)
    stage_ids = {s["id"] for p in portal["pipelines"]["results"] for s in p["stages"]}
    stage_names = set(lifecycle_values(portal)) if object_type == "contacts" else stage_ids
    for record in records:
        props = record["properties"]
        assert props["hs_object_id"] == record["id"]
        assert record["createdAt"] == props[CREATED.get(object_type, "hs_createdate")]
        assert record["updatedAt"] == props[MODIFIED.get(object_type, "hs_lastmodifieddate")]
        assert record["createdAt"] <= record["updatedAt"]
        assert TIMESTAMP.match(record["createdAt"]) and TIMESTAMP.match(record["updatedAt"])
        assert record["archived"] is ("archivedAt" in record)
        assert not record["archived"] or TIMESTAMP.match(record["archivedAt"])
        for name, value in props.items():
            assert value is None or isinstance(value, str), (name, value)
            stage_date = STAGE_DATE.match(name)
            time_in = TIME_IN_STAGE.match(name) if object_type == "contacts" else None
            if stage_date and object_type in ("contacts", "deals"):
                assert (stage_date["a"] or stage_date["b"] or stage_date["c"]) in stage_names, name
            elif time_in:  # milliseconds, as HubSpot's number properties: a string
                assert time_in["stage"] in stage_names and value is not None and value.isdigit(), (name, value)
            else:
                assert name in ALLOWED[object_type], name
            if value is not None and (name in DATETIMES or stage_date):
                assert TIMESTAMP.match(value), (name, value)


def test_associations_point_at_existing_records(portal: dict) -> None:
    ids = {t: set(by_id(portal, t)) for t in OBJECT_TYPES}
    for object_type in OBJECT_TYPES:
        for record in portal[object_type]:
            for to_type, block in record.get("associations", {}).items():
                allowed = ASSOCIATION_TYPES[(object_type, to_type)]
                for link in block["results"]:
                    assert link["id"] in ids[to_type], (object_type, record["id"], to_type, link)
                    assert link["type"] in allowed, link
                targets = Counter(link["id"] for link in block["results"])
                if len(allowed) == 2:  # primary association: both names, once each
                    assert set(targets.values()) == {2}
                else:
                    assert set(targets.values()) == {1}


def test_owners_exist_and_are_people(portal: dict) -> None:
    owners = portal["owners"]["results"]
    owner_ids = {o["id"] for o in owners}
    assert len(owner_ids) == len(owners)
    assert all(o["type"] == "PERSON" and isinstance(o["userId"], int) for o in owners)
    for object_type in OBJECT_TYPES:
        for record in portal[object_type]:
            owner = record["properties"].get("hubspot_owner_id")
            assert owner is None or owner in owner_ids


def test_deals_agree_with_their_pipeline(portal: dict) -> None:
    pipelines = {p["id"]: {s["id"]: s for s in p["stages"]} for p in portal["pipelines"]["results"]}
    assert list(pipelines["default"]) == ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
                                          "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"]
    assert any(pid != "default" and all(s.isdigit() for s in stages) for pid, stages in pipelines.items())
    contacts = by_id(portal, "contacts")
    for deal in portal["deals"]:
        props = deal["properties"]
        stage = pipelines[props["pipeline"]][props["dealstage"]]
        closed, probability = stage["metadata"]["isClosed"], stage["metadata"]["probability"]
        assert props["hs_is_closed"] == closed
        assert props["hs_is_closed_won"] == ("true" if closed == "true" and probability == "1.0" else "false")
        assert props["hs_deal_stage_probability"] == probability
        assert TIMESTAMP.match(props["closedate"])
        assert props[f"hs_v2_date_entered_{props['dealstage']}"] <= props["hs_lastmodifieddate"]
        assert props["amount"] is None or re.fullmatch(r"\d+\.\d{2}", props["amount"])
        assert props["deal_currency_code"] in ("USD", "EUR")
        assert props["dealtype"] in ("newbusiness", "existingbusiness")
        people = deal["associations"]["contacts"]["results"]
        assert 1 <= len(people) <= 3
        assert all(not contacts[p["id"]]["archived"] for p in people)
        assert "companies" in deal["associations"]
    amounts = [d["properties"]["amount"] for d in portal["deals"]]
    assert None in amounts and sum(a is not None for a in amounts) > 0.9 * len(amounts)


def test_lifecycle_history_matches_the_current_stage(portal: dict) -> None:
    rank = {stage: i for i, stage in enumerate(lifecycle_values(portal))}
    for contact in portal["contacts"]:
        props, history = contact["properties"], contact["propertiesWithHistory"]["lifecyclestage"]
        stamps = [h["timestamp"] for h in history]
        assert history[0]["value"] == props["lifecyclestage"]
        assert stamps == sorted(stamps, reverse=True)
        assert stamps[-1] == props["createdate"]
        assert stamps[0] <= contact["updatedAt"]
        assert props[f"hs_v2_date_entered_{props['lifecyclestage']}"] == stamps[0]
        first_entry = {h["value"]: h["timestamp"] for h in history}  # oldest wins: history is newest first
        for stage, stamp in first_entry.items():
            if stage:
                assert props[f"hs_v2_date_entered_{stage}"] >= stamp
        assert props.get(f"hs_lifecyclestage_{props['lifecyclestage']}_date") == first_entry[props["lifecyclestage"]]
        for name, value in props.items():
            became = re.fullmatch(r"hs_lifecyclestage_(\w+)_date", name)
            if became:  # cleared for stages above the current one (after a move back)
                assert rank[became[1]] <= rank[props["lifecyclestage"]], name
            exited = re.fullmatch(r"hs_v2_date_exited_(\w+)", name)
            if exited:
                assert first_entry[exited[1]] <= value, name


def _ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)


def test_stage_calculated_properties_follow_the_history(portal: dict) -> None:
    """Each stay that ended gives its stage an exit date and times in it (the latest stay, the sum of stays);
    the older entry date is the v2 one. A contact that simply passed through stages shows no re-entry."""
    passed_through = 0
    for contact in portal["contacts"]:
        props = contact["properties"]
        changes = [(h["value"], h["timestamp"]) for h in reversed(contact["propertiesWithHistory"]["lifecyclestage"])]
        stays: dict[str, list[int]] = {}
        for (stage, start), (_, end) in zip(changes, changes[1:]):
            if stage:
                stays.setdefault(stage, []).append(_ms(end) - _ms(start))
        entered = [stage for stage, _ in changes if stage]
        for stage in set(entered):
            assert props[f"hs_date_entered_{stage}"] == props[f"hs_v2_date_entered_{stage}"]
            latest = props.get(f"hs_v2_latest_time_in_{stage}")
            cumulative = props.get(f"hs_v2_cumulative_time_in_{stage}")
            if stage in stays:
                assert (latest, cumulative) == (str(stays[stage][-1]), str(sum(stays[stage]))), (contact["id"], stage)
            else:
                assert latest is None and cumulative is None, (contact["id"], stage)
        if len(entered) == len(set(entered)):
            passed_through += 1
            for stage in stays:
                assert props[f"hs_v2_date_exited_{stage}"] >= props[f"hs_v2_date_entered_{stage}"]
                assert props[f"hs_v2_cumulative_time_in_{stage}"] == props[f"hs_v2_latest_time_in_{stage}"]
    assert passed_through > 0.9 * len(portal["contacts"])


def test_owner_is_assigned_from_mql_on_and_engagements_follow_it(portal: dict) -> None:
    stages = lifecycle_values(portal)
    mql = stages.index("marketingqualifiedlead")
    contacts = by_id(portal, "contacts")
    for contact in contacts.values():
        props = contact["properties"]
        reached = {h["value"] for h in contact["propertiesWithHistory"]["lifecyclestage"] if h["value"]}
        expect_owner = any(mql <= stages.index(s) < stages.index("other") for s in reached)
        assert ("hubspot_owner_id" in props) is expect_owner
        assert ("hubspot_owner_assigneddate" in props) is expect_owner
    for kind in ENGAGEMENTS:
        for engagement in portal[kind]:
            (link,) = engagement["associations"]["contacts"]["results"]
            contact = contacts[link["id"]]["properties"]
            assert engagement["properties"]["hubspot_owner_id"] == contact["hubspot_owner_id"]
            assert engagement["properties"]["hs_timestamp"] >= contact["hubspot_owner_assigneddate"]


def test_funnel_is_realistic(medium: dict) -> None:
    contacts = medium["contacts"]
    stages = Counter(c["properties"]["lifecyclestage"] for c in contacts)
    assert set(stages) == set(lifecycle_values(medium))
    assert stages["subscriber"] + stages["lead"] > stages["marketingqualifiedlead"] > stages["customer"]
    assert stages["salesqualifiedlead"] > stages["customer"] > stages["evangelist"]
    sources = Counter(c["properties"]["hs_analytics_source"] for c in contacts)
    assert set(sources) == set(SOURCES)
    assert sources["ORGANIC_SEARCH"] > sources["OTHER_CAMPAIGNS"]
    histories = [[h["value"] for h in c["propertiesWithHistory"]["lifecyclestage"]] for c in contacts]
    assert 0 < sum("" in h for h in histories) < 0.1 * len(contacts)  # moved back: cleared, then set lower
    assert 10 <= sum(c["archived"] for c in contacts) <= 150
    assert len({c["properties"]["email"] for c in contacts}) == len(contacts)
    campaign_ids = {c["id"] for c in medium["campaigns"]["results"]}
    touched = [c["properties"].get("hs_analytics_first_touch_converting_campaign") for c in contacts]
    assert 0 < sum(t is not None for t in touched) < len(contacts) / 2
    assert {t for t in touched if t} <= campaign_ids
    leads = [c["properties"] for c in contacts
             if c["properties"]["lifecyclestage"] in ("lead", "marketingqualifiedlead")]
    assert all(p.get("hs_lead_status") for p in leads)


def test_campaigns_have_budget_totals(portal: dict) -> None:
    campaigns = portal["campaigns"]
    assert 4 <= campaigns["total"] == len(campaigns["results"]) <= 8
    for campaign in campaigns["results"]:
        totals, props = campaign["budgetTotals"], campaign["properties"]
        assert totals["budgetTotal"] == sum(item["amount"] for item in totals["budgetItems"])
        assert totals["spendTotal"] == sum(item["amount"] for item in totals["spendItems"])
        assert totals["remainingBudget"] == totals["budgetTotal"] - totals["spendTotal"]
        assert all(isinstance(v, str) for v in props.values())
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", props["hs_start_date"])
        assert props["hs_start_date"] <= props["hs_end_date"]


def test_the_sandbox_loads_the_portal(small: dict) -> None:
    portal = load_portal(small)
    assert len(portal.stores["contacts"].records) == len(small["contacts"])


def test_the_sandbox_adopts_the_portal_the_checked_loader_builds() -> None:
    """`smarketing sandbox --contacts` skips the loader's checks; the records and links must be the same."""
    from sandbox.generate import generate
    from sandbox.loader import load_generated

    checked, adopted = load_portal(generate_portal(600, 120, 5)), load_generated(generate(600, 120, 5))
    for object_type in OBJECT_TYPES:
        records = checked.stores[object_type].records
        assert records, object_type
        assert records == adopted.stores[object_type].records
        assert [r.id for r in checked.stores[object_type].iter_from(0)] == \
            [r.id for r in adopted.stores[object_type].iter_from(0)]
    linked = [r for r in adopted.stores["deals"].records.values() if r.associations.get("contacts")]
    assert linked and all(adopted.stores["contacts"].records[c].associations["deals"][r.id]
                          for r in linked for c in r.associations["contacts"])
    emails = [str(r.properties["email"]) for r in adopted.stores["contacts"].records.values() if not r.archived]
    assert [getattr(adopted.find("contacts", e.upper(), "email"), "id", None) for e in emails] == \
        [getattr(checked.find("contacts", e.upper(), "email"), "id", None) for e in emails]
