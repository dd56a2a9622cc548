"""The key in a task's body survives HubSpot's HTML: escaped text, wrapping tags, a closing note after it."""

from __future__ import annotations

import pytest

from sync.writeback.task_keys import key_of, with_key, with_note

KEY = "first_followup:10:2026-01-05T10:00:00.000Z"


@pytest.mark.parametrize("stored", [
    pytest.param(lambda body: body, id="as-sent"),
    pytest.param(lambda body: f"<p>{body}</p>", id="wrapped-in-p"),
    pytest.param(lambda body: body.replace("<br>", "<br/>\n"), id="self-closing-breaks"),
    pytest.param(lambda body: with_note(body, "Closed by smarketing-sync: the lead was disqualified."), id="noted"),
])
def test_the_key_is_found_in_the_body_as_hubspot_may_keep_it(stored):
    body = with_key("Source: Paid search & social\nStage: <mql>", KEY)
    assert "&amp;" in body and "&lt;mql&gt;" in body and body.count("<br>") == 3
    assert key_of({"properties": {"hs_task_body": stored(body)}}) == KEY


@pytest.mark.parametrize("body", [None, "", "Call back on Monday", "smarketing-sync key:", "x smarketing-sync key: k"])
def test_a_task_without_a_key_line_is_not_the_workers(body):
    assert key_of({"properties": {"hs_task_body": body}}) is None
