"""The sandbox's lifecycle stage properties, against HubSpot's documented behaviour.

HubSpot's KB ("Use stage calculated properties") and the API notes (§10): Date entered moves to the latest
entry, Date exited is set on leaving, Latest time in is the stay since the latest entry and Cumulative time
in adds every stay (both written when a stay ends, in milliseconds), "Became a ... date" keeps the first entry,
survives clearing the stage and is cleared above a stage set lower; the history keeps every change. The
portal runs on a clock the test sets, so every change has its own time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox import load_portal
from tests.conftest import mini_portal_data

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR_MS = 3_600_000
# lead -> mql -> sql -> (cleared) -> lead -> mql -> sql -> opportunity, one change an hour from START
RECYCLED = ["lead", "marketingqualifiedlead", "salesqualifiedlead", "", "lead", "marketingqualifiedlead",
            "salesqualifiedlead", "opportunity"]


class Clock:
    """The portal's clock: seconds since the epoch, as ``time.time`` gives them, set by the test."""

    def __init__(self, at: datetime) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, at: datetime) -> None:
        self.now = at.timestamp()


def stamp(hours: int) -> str:
    return (START + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def stage_names(stage: str) -> list[str]:
    return [f"hs_lifecyclestage_{stage}_date", f"hs_v2_date_entered_{stage}", f"hs_date_entered_{stage}",
            f"hs_v2_date_exited_{stage}", f"hs_v2_latest_time_in_{stage}", f"hs_v2_cumulative_time_in_{stage}"]


@pytest.fixture
def walk(serve):
    """walk(stages) -> (api, contact id, properties after each step): one stage change an hour from START."""
    clock = Clock(START)
    api = serve(load_portal(mini_portal_data(), clock=clock))
    names = ",".join(["lifecyclestage"] + [n for s in ("lead", "marketingqualifiedlead", "salesqualifiedlead",
                                                        "opportunity") for n in stage_names(s)])

    def run(stages: list[str]) -> tuple[object, str, list[dict]]:
        created = api("POST", "/crm/v3/objects/contacts", json={"properties": {
            "email": "recycled@example.com", "lifecyclestage": stages[0]}})
        assert created.status_code == 201, created.text
        contact_id, seen = created.json()["id"], []
        path = f"/crm/v3/objects/contacts/{contact_id}"
        for hours, stage in enumerate(stages):
            if hours:
                clock.set(START + timedelta(hours=hours))
                assert api("PATCH", path, json={"properties": {"lifecyclestage": stage}}).status_code == 200
            seen.append(api("GET", path, params={"properties": names}).json()["properties"])
        return api, contact_id, seen

    return run


def test_a_recycled_contact_keeps_hubspots_stage_dates(walk):
    api, contact_id, seen = walk(RECYCLED)
    cleared, back_at_lead, sql_again, last = seen[3], seen[4], seen[6], seen[7]
    assert cleared["lifecyclestage"] == ""  # HubSpot answers a cleared value as ""
    assert cleared["hs_lifecyclestage_salesqualifiedlead_date"] == stamp(2)  # clearing keeps "Became a" dates
    assert cleared["hs_v2_date_exited_salesqualifiedlead"] == stamp(3)
    # the move back: "Became a" dates above lead are cleared, lead's keeps its first entry, v2 moves to the latest
    assert back_at_lead["hs_lifecyclestage_salesqualifiedlead_date"] is None
    assert back_at_lead["hs_lifecyclestage_marketingqualifiedlead_date"] is None
    assert back_at_lead["hs_lifecyclestage_lead_date"] == stamp(0)
    assert back_at_lead["hs_v2_date_entered_lead"] == back_at_lead["hs_date_entered_lead"] == stamp(4)
    assert back_at_lead["hs_v2_date_exited_lead"] == stamp(1)  # the previous exit, until lead is left again
    assert back_at_lead["hs_v2_latest_time_in_lead"] == str(HOUR_MS)  # the previous stay, until this one ends
    # re-entry into sql: the v2 entry moves, the exit date stays that of the first stay, so it precedes the entry
    assert sql_again["hs_v2_date_entered_salesqualifiedlead"] == stamp(6)
    assert sql_again["hs_date_entered_salesqualifiedlead"] == stamp(6)
    assert sql_again["hs_v2_date_exited_salesqualifiedlead"] == stamp(3) < stamp(6)
    assert sql_again["hs_lifecyclestage_salesqualifiedlead_date"] == stamp(6)
    # after the second stay in sql: latest is that stay, cumulative both
    assert last["hs_v2_date_exited_salesqualifiedlead"] == stamp(7)
    assert last["hs_v2_latest_time_in_salesqualifiedlead"] == str(HOUR_MS)
    assert last["hs_v2_cumulative_time_in_salesqualifiedlead"] == str(2 * HOUR_MS)
    assert last["hs_v2_cumulative_time_in_lead"] == str(2 * HOUR_MS)
    assert last["hs_v2_latest_time_in_opportunity"] is None  # the current, first stay: no time yet
    history = api("GET", f"/crm/v3/objects/contacts/{contact_id}",
                  params={"propertiesWithHistory": "lifecyclestage"}).json()["propertiesWithHistory"]["lifecyclestage"]
    assert [(h["value"], h["timestamp"]) for h in history] == [
        (stage, stamp(hours)) for hours, stage in reversed(list(enumerate(RECYCLED)))]


def test_a_contact_that_passes_through_shows_no_re_entry(walk):
    _, _, seen = walk(["lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity"])
    last = seen[-1]
    for hours, stage in enumerate(["lead", "marketingqualifiedlead", "salesqualifiedlead"]):
        assert last[f"hs_lifecyclestage_{stage}_date"] == last[f"hs_v2_date_entered_{stage}"] == stamp(hours)
        assert last[f"hs_v2_date_exited_{stage}"] == stamp(hours + 1)
        assert last[f"hs_v2_latest_time_in_{stage}"] == last[f"hs_v2_cumulative_time_in_{stage}"] == str(HOUR_MS)


def test_a_move_back_without_clearing_changes_no_date(walk):
    _, _, seen = walk(["lead", "salesqualifiedlead", "lead"])
    assert seen[2] == seen[1]  # HubSpot does not apply it: stage and dates stay
    assert seen[2]["lifecyclestage"] == "salesqualifiedlead"


def test_a_loaded_contact_without_dates_counts_its_stay_from_its_last_stage_change(serve):
    clock = Clock(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))  # an hour after the mini portal's T0
    api = serve(load_portal(mini_portal_data(), clock=clock))
    api("PATCH", "/crm/v3/objects/contacts/2", json={"properties": {"lifecyclestage": "marketingqualifiedlead"}})
    props = api("GET", "/crm/v3/objects/contacts/2",
                params={"properties": "hs_v2_latest_time_in_lead,hs_v2_cumulative_time_in_lead"}).json()["properties"]
    assert (props["hs_v2_latest_time_in_lead"], props["hs_v2_cumulative_time_in_lead"]) == (str(HOUR_MS),) * 2
