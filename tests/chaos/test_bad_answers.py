"""Chaos, answers of the wrong shape and reference records that cannot be typed.

Through a loopback proxy (tests/proxy.py) in front of a sandbox, a real ``smarketing sync`` meets:

- answers whose JSON is not in HubSpot's shape (``{"results": "x"}``, a list where an object belongs, a page whose
  records are not objects, paging that is text): the connector refuses the answer with a typed error, the command
  prints one ``Error:`` line naming what is out of shape and exits 1 without a traceback, and the mirror's data is
  as it was;
- reference records that cannot be typed (a pipeline stage whose probability is "n/a", an owner whose userId is a
  name, a lifecycle option whose order is a word, a campaign budget item of "lots"): they go to quarantine with
  their reason like object records, their last good row stays, every other record is stored and the sync exits 0,
  run after run; once the CRM sends them right again they leave quarantine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sandbox import build_portal
from tests.chaos.test_faults import assert_same, dump
from tests.processes import rows, smarketing
from tests.proxy import LoopbackProxy, Rule, answer, rewrite

CONTACTS = "/crm/v3/objects/contacts"
OUT_OF_SHAPE = "Error: the CRM's answer is not in HubSpot's shape: "
NOTHING_STORED = ("; nothing of it was stored: if it lasts, check SMARKETING_HUBSPOT_BASE_URL and any proxy between "
                  "the worker and the CRM")
CAMPAIGN = "3f6d2a9e-8b1c-4e57-9a0d-5c2b7e41f8a3"  # the default portal's first campaign


# (the rule, the command that meets it, the line after OUT_OF_SHAPE)
WRONG_SHAPES: dict[str, tuple[Rule, str, str]] = {
    "results that are text": (answer("GET", CONTACTS, {"results": "x"}), "sync --full",
                              '"results" is a string, not a list (objects.list)'),
    "a list where the account belongs": (answer("GET", "/account-info/v3/details", [{"portalId": 111}]), "sync",
                                         "the answer is a list, not an object (account.details)"),
    "records that are not objects": (answer("GET", CONTACTS, {"results": [1, "two", None]}), "sync --full",
                                     "results[0] is a number, not an object (objects.list)"),
    "pipelines in an object": (answer("GET", "/crm/v3/pipelines/deals", {"results": {"default": {}}}), "sync",
                               '"results" is an object, not a list (pipelines.list)'),
    "paging that is text": (answer("GET", CONTACTS, {"results": [], "paging": "next"}), "sync --full",
                            '"paging" is a string, not an object (objects.list)'),
    "a list where a search answer belongs": (answer("POST", f"{CONTACTS}/search", ["x"]), "sync",
                                             "the answer is a list, not an object (objects.search)"),
    "owners mixed with text": (answer("GET", "/crm/v3/owners", {"results": [{"id": "9001"}, "9002"]}), "sync",
                               "results[1] is a string, not an object (owners.list)"),
}


@pytest.mark.parametrize("case", WRONG_SHAPES)
def test_an_answer_of_the_wrong_shape_is_one_line_exit_1_and_loses_nothing(serve, tmp_path, case):
    rule, command, problem = WRONG_SHAPES[case]
    api, db = serve(), tmp_path / "m.db"
    with LoopbackProxy(api.url) as proxy:
        assert smarketing("sync", proxy.url, db).returncode == 0
        before = dump(db)
        proxy.rules.append(rule)
        done = smarketing(command, proxy.url, db)
        assert proxy.answered, "the answer out of shape was sent"
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("Error")] == [
        OUT_OF_SHAPE + problem + NOTHING_STORED]
    assert_same(dump(db), before, "the mirror after an answer out of shape")


def _first_stage(body: dict[str, Any]) -> None:
    body["results"][0]["stages"][0]["metadata"]["probability"] = "n/a"


def _first_owner(body: dict[str, Any]) -> None:
    body["results"][0]["userId"] = "Rita"


def _first_option(body: dict[str, Any]) -> None:
    body["options"][0]["displayOrder"] = "first"


def _first_budget_item(body: dict[str, Any]) -> None:
    body["budgetItems"][0]["amount"] = "lots"


# (path end, change, quarantine stream, its id there, reason, the table whose last good row stays, its key column)
BAD_REFERENCES: dict[str, tuple[str, Callable[[Any], None], str, str, str, str, str]] = {
    "a stage with probability n/a": ("/crm/v3/pipelines/deals", _first_stage, "pipeline_stages",
                                     "default/appointmentscheduled", "probability is not a number: 'n/a'",
                                     "pipeline_stages", "pipeline_id || '/' || id"),
    "an owner whose userId is a name": ("/crm/v3/owners", _first_owner, "owners", "9001",
                                        "userId is not a numeric id: 'Rita'", "owners", "id"),
    "a lifecycle option ordered by a word": ("/crm/v3/properties/contacts/lifecyclestage", _first_option,
                                             "lifecycle_stages", "subscriber",
                                             "displayOrder is not a whole number: 'first'", "lifecycle_stages",
                                             "value"),
    "a campaign budget of lots": (f"/marketing/v3/campaigns/{CAMPAIGN}/budget/totals", _first_budget_item,
                                  "campaigns", CAMPAIGN, "budget amount is not a number: 'lots'", "campaigns", "id"),
}


@pytest.mark.parametrize("case", BAD_REFERENCES)
def test_a_reference_record_that_cannot_be_typed_goes_to_quarantine_and_the_sync_goes_on(serve, tmp_path, case):
    path_end, change, stream, record_id, reason, table, key = BAD_REFERENCES[case]
    api, db, fresh = serve(build_portal()), tmp_path / "m.db", tmp_path / "fresh.db"
    held = f"SELECT stream, record_id, reason FROM quarantine WHERE stream = '{stream}'"
    with LoopbackProxy(api.url) as proxy:
        assert smarketing("sync", proxy.url, db).returncode == 0
        clean = dump(db)
        proxy.rules.append(rewrite(proxy, "GET", path_end, change))
        for _ in range(2):  # run after run: it no longer fails every cycle
            done = smarketing("sync --full", proxy.url, db)
            assert done.returncode == 0, done.stderr
            assert rows(db, held) == [(stream, record_id, reason)]
            assert rows(db, f"SELECT count(*) FROM {table} WHERE {key} = '{record_id}'") == [(1,)], "its last row"
        assert "1 quarantined" in smarketing("sync", proxy.url, fresh).stdout, "from an empty mirror too"
        assert rows(fresh, held) == [(stream, record_id, reason)]
        assert rows(fresh, "SELECT count(*) FROM deals") == [(24,)], "every deal is stored"
        proxy.rules.clear()
        assert smarketing("sync --full", proxy.url, db).returncode == 0
    assert rows(db, held) == [], "sent right again, it leaves quarantine"
    assert_same(dump(db), clean, "the mirror once the record is right again")
