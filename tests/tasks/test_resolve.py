"""A create whose outcome was never recorded: found through the contact, else by search once the index caught up,
else left alone; sent again only when the search, made after the lag, proves the task absent."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connector import HubSpotClient, NewTask
from kpi import KpiConfig, iso
from sync.storage import Mirror
from sync.writeback import TaskOptions, TaskResult
from sync.writeback.task_keys import key_of, with_key
from sync.writeback.tasks import TaskPusher
from tests.sync.helpers import run_sync
from tests.tasks.portal import handoff, task_portal

DUE = "2026-01-06T10:00:00.000Z"
LAG = 0.5


@pytest.fixture
def api(serve):
    return serve(task_portal([handoff(10, "2026-01-05T10:00:00.000Z")]), search_lag=LAG)


@pytest.fixture
def mirror(tmp_path, api):
    with Mirror(tmp_path / "m.db") as m:
        run_sync(api, m)
        yield m


def sent_row(mirror: Mirror, key: str, sent_at: datetime) -> None:
    mirror.db.execute("INSERT INTO task_outbox (key, kind, contact_id, owner_id, due_at, subject, body, state, "
                      "sent_at, created_at, updated_at) VALUES (?, 'first_followup', 10, 9001, ?, 's', ?, 'sent', ?, "
                      "'x', 'x')", [key, DUE, with_key("b", key), iso(sent_at)])


def pusher(api: Any, mirror: Mirror, wall: datetime) -> TaskPusher:
    return TaskPusher(HubSpotClient(api.server.token, api.url), mirror, KpiConfig(time_zone="UTC"),
                      TaskOptions(search_lag_seconds=LAG), now=datetime(2026, 1, 5, 11, tzinfo=UTC),
                      wall_clock=lambda: wall)


def state(mirror: Mirror, key: str) -> tuple[str, str | None]:
    return mirror.db.execute("SELECT state, task_id FROM task_outbox WHERE key = ?", [key]).fetchone()


def creates(api: Any) -> int:
    return api.stats()["requests_by_typed_route"].get("POST /crm/v3/objects/tasks/batch/create", 0)


def test_a_task_without_its_association_is_found_by_search_only_after_the_lag(api, mirror):
    client = HubSpotClient(api.server.token, api.url)
    client.create_tasks([NewTask("k1", "10", {"hs_timestamp": DUE, "hs_task_body": with_key("b", "k1")})], key_of)
    task_id = next(iter(api.server.app.portal.stores["tasks"].records))
    api.server.app.portal.disassociate("tasks", api.server.app.portal.stores["tasks"].records[task_id],
                                       "contacts", "10")  # the link is gone (say, a merge moved it)
    sent = datetime.now(UTC)
    sent_row(mirror, "k1", sent)
    result = TaskResult()
    pusher(api, mirror, sent + timedelta(seconds=0.1))._resolve(result)
    assert state(mirror, "k1") == ("sent", None) and result.unresolved == 1  # too soon to trust a search
    time.sleep(LAG + 0.1)
    pusher(api, mirror, sent + timedelta(seconds=LAG + 0.1))._resolve(TaskResult())
    assert state(mirror, "k1") == ("open", task_id)
    assert creates(api) == 1  # the test's own create: nothing was sent again


def test_a_task_proven_absent_after_the_lag_is_sent_again_once(api, mirror):
    sent = datetime.now(UTC) - timedelta(seconds=10)
    sent_row(mirror, "first_followup:10:2026-01-05T10:00:00.000Z", sent)
    pusher(api, mirror, datetime.now(UTC)).push()
    crm = [key_of({"properties": r.properties}) for r in api.server.app.portal.stores["tasks"].records.values()]
    assert crm == ["first_followup:10:2026-01-05T10:00:00.000Z"] and creates(api) == 1
    assert state(mirror, "first_followup:10:2026-01-05T10:00:00.000Z")[0] == "open"
