"""Loading portal files: a portal HubSpot could not have served is refused with the file and record named."""

from __future__ import annotations

import json
import re

import pytest

from sandbox import DEFAULT_PORTAL_DIR, PortalLoadError, load_portal, read_fixture_dir
from tests.conftest import FIXTURES, contact, mini_portal_data


def test_both_shipped_portals_load():
    for folder in (DEFAULT_PORTAL_DIR, FIXTURES / "tiny"):
        portal = load_portal(read_fixture_dir(folder))
        assert portal.stores["contacts"].records


def test_a_custom_lifecycle_stage_gets_its_stage_date_properties():
    portal = load_portal(read_fixture_dir(DEFAULT_PORTAL_DIR))
    assert "hs_v2_date_entered_1047290193" in portal.properties["contacts"]
    assert portal.stage_order()["1047290193"] < portal.stage_order()["marketingqualifiedlead"]


def test_associations_written_on_one_side_are_served_from_both():
    portal = load_portal(mini_portal_data())
    assert portal.stores["contacts"].records["3"].associations == {"deals": {"1": {4}}}


def broken(mutate):
    data = mini_portal_data(3)
    mutate(data)
    return data


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["contacts"].append(contact(2)), "contacts.json: record 2: duplicate id"),
    (lambda d: d["contacts"].append({**contact(9), "id": "abc"}), "'id' must be a numeric string"),
    (lambda d: d["contacts"][0]["properties"].update(num_contacted_notes=3), "values must be strings or null"),
    (lambda d: d["contacts"][0]["properties"].update(colour="red"), "undeclared properties ['colour']"),
    (lambda d: d["contacts"][0].pop("createdAt"), "missing createdAt"),
    (lambda d: d["deals"][0]["associations"]["contacts"]["results"][0].update(id="77"),
     "associated contacts 77 does not exist"),
    (lambda d: d["deals"][0]["associations"]["contacts"]["results"][0].update(type="contact_to_deal"),
     "unknown association type 'contact_to_deal'"),
    (lambda d: d.update(owners=[]), "owners.json must be an object with a 'results' list"),
], ids=["duplicate", "id", "value-type", "undeclared", "created", "dangling", "direction", "owners"])
def test_broken_portals_are_refused_with_a_clear_reason(mutate, message):
    with pytest.raises(PortalLoadError, match=re.escape(message)):
        load_portal(broken(mutate))


def test_unreadable_fixture_files(tmp_path):
    with pytest.raises(PortalLoadError, match="does not exist"):
        read_fixture_dir(tmp_path / "missing")
    (tmp_path / "deals.json").write_text("[{")
    with pytest.raises(PortalLoadError, match="deals.json: not valid JSON"):
        read_fixture_dir(tmp_path)
    (tmp_path / "deals.json").write_text(json.dumps([]))
    assert read_fixture_dir(tmp_path) == {"deals": []}
