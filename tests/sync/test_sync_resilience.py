"""A sync stopped at any page resumes to the very mirror an unstopped one makes; the search cap and faults do no harm.

Everything goes over real HTTP to a sandbox portal. Where the sandbox enforces no rate limit, the client runs on
a clock that sleeps by moving forward, so pacing to HubSpot's budgets costs the test suite no time.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests

import sync.ingest.job
from connector import HubSpotClient
from sandbox import load_portal
from sandbox.generate import generate_portal
from sandbox.records import iso_from_ms
from sync.ingest import OBJECT_STREAMS, SyncJob, SyncOptions, SyncResult
from sync.storage import Mirror
from tests.processes import kill_when, worker_env
from tests.sync.helpers import NO_LAG, assert_mirror_equals_portal, run_sync

COMPARED = ("contacts", "companies", "deals", "deal_contacts", "engagements", "engagement_contacts",
            "contact_stage_history", "owners", "pipelines", "pipeline_stages", "lifecycle_stages", "campaigns",
            "campaign_spend")
ENGAGEMENT_TYPES = ("calls", "emails", "meetings", "tasks")
JOBTITLE = {"contacts": ("jobtitle",)}  # mirrored beyond the defaults, so the changes made below are visible


# -- helpers ------------------------------------------------------------------------------------------


class VirtualTime:
    """A clock whose sleep moves it forward: the client's pacing waits cost nothing against an unlimited sandbox."""

    def __init__(self) -> None:
        self.offset = 0.0

    def clock(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        self.offset += max(0.0, seconds)


def quick_client(api: Any) -> HubSpotClient:
    virtual = VirtualTime()
    return HubSpotClient(api.server.token, api.url, sleep=virtual.sleep, clock=virtual.clock)


def quick_sync(api: Any, mirror: Mirror, client: HubSpotClient | None = None, **options: Any) -> SyncResult:
    options = {**NO_LAG, "extra_properties": JOBTITLE, **options}
    return SyncJob(client or quick_client(api), mirror, SyncOptions(**options)).run()


class Crash(Exception):
    """The injected failure."""


def crash_after(monkeypatch: pytest.MonkeyPatch, pages: int) -> None:
    """Page ``pages + 1`` fails inside its transaction, as a crash between two pages would leave it."""
    written = 0
    real = sync.ingest.job.write_page

    def write_page(*args: Any) -> int:
        nonlocal written
        if written == pages:
            raise Crash(f"injected after {pages} pages")
        written += 1
        return real(*args)

    monkeypatch.setattr(sync.ingest.job, "write_page", write_page)


def dump(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the compared tables, in a fixed order; ``full_pass`` only counts full reads, so it is left out."""
    tables = {}
    for table in COMPARED:
        columns = ", ".join(r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != "full_pass")
        tables[table] = [tuple(r) for r in conn.execute(f"SELECT {columns} FROM {table} ORDER BY {columns}")]
    return tables


def assert_same_rows(got: dict[str, list[tuple[Any, ...]]], want: dict[str, list[tuple[Any, ...]]],
                     context: str) -> None:
    for table in COMPARED:
        if got[table] != want[table]:
            extra, missing = set(got[table]) - set(want[table]), set(want[table]) - set(got[table])
            pytest.fail(f"{context}: {table} has {len(got[table])} rows, the uninterrupted mirror {len(want[table])}; "
                        f"{len(extra)} unexpected, {len(missing)} missing; their first columns, e.g. "
                        f"{[r[:3] for r in list(extra)[:3]]} and {[r[:3] for r in list(missing)[:3]]}")


def assert_one_row_per_record(conn: sqlite3.Connection, portal: Any, context: str) -> None:
    for table in ("contacts", "companies", "deals"):
        rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert rows == len(portal.stores[table].records), f"{context}: {table}"
    for kind in ENGAGEMENT_TYPES:
        rows = conn.execute("SELECT count(*) FROM engagements WHERE type = ?", [kind[:-1]]).fetchone()[0]
        assert rows == len(portal.stores[kind].records), f"{context}: {kind}"


def copy_mirror(mirror: Mirror, path: Path) -> Mirror:
    target = sqlite3.connect(path)
    mirror.db.conn.backup(target)
    target.close()
    return Mirror(path)


# -- 1. stopped after k pages, by an exception -----------------------------------------------------------


@pytest.fixture
def portal_api(serve):
    return serve(load_portal(generate_portal(2_500, 500, 7)))


def test_a_full_read_stopped_after_k_pages_resumes_to_the_mirror_of_an_unstopped_one(portal_api, tmp_path,
                                                                                       monkeypatch):
    """Every few pages commit with their list cursor: the rerun picks up after the last commit, losing no page and
    rereading only those of the group the crash cut short.

    (A stream that had finished reads incrementally in the rerun, which includes its recycle bin.)
    """
    monkeypatch.setattr(sync.ingest.job, "PAGES_PER_COMMIT", 4)
    portal = portal_api.server.app.portal
    with Mirror(tmp_path / "whole.db") as whole:
        uninterrupted = quick_sync(portal_api, whole)
        want = dump(whole.db.conn)
    total = sum(uninterrupted.pages.values())
    # contacts are pages 1-26 (the last one archived), companies 27-28, deals 29-34, engagements 35-42
    for k in (1, 3, 7, 20, 26, 31, 40):
        assert k < total
        left, committed = {}, k  # pages each unfinished stream still has to read; finished ones read their bins
        for name in OBJECT_STREAMS:
            done = min(committed, uninterrupted.pages[name])
            committed -= done
            if done < uninterrupted.pages[name]:
                left[name] = uninterrupted.pages[name] - done
        with Mirror(tmp_path / f"stopped-{k}.db") as mirror:
            with monkeypatch.context() as patched:
                crash_after(patched, k)
                with pytest.raises(Crash):
                    quick_sync(portal_api, mirror)
            resumed = quick_sync(portal_api, mirror)
            for name, pages in left.items():  # the cut-short group is read again: at most 3 pages
                assert pages <= resumed.pages[name] <= pages + 3, f"k={k}: the rerun did not resume {name}"
            assert_same_rows(dump(mirror.db.conn), want, f"full read stopped after {k} pages")
            assert_mirror_equals_portal(mirror, portal)
            assert_one_row_per_record(mirror.db.conn, portal, f"k={k}")
            assert mirror.db.execute("SELECT status FROM sync_runs ORDER BY id").fetchall() == [("failed",), ("ok",)]


def test_an_incremental_read_stopped_after_k_pages_resumes_to_the_mirror_of_an_unstopped_one(portal_api, tmp_path,
                                                                                             monkeypatch):
    """Each search page commits with the time cursor it reached: the rerun reads on from there."""
    api, portal = portal_api, portal_api.server.app.portal
    ks = (1, 2, 3, 4)  # of 5: three search pages of contacts, their recycle bin, one of deals
    whole = Mirror(tmp_path / "whole.db")
    quick_sync(api, whole)
    stopped = {k: copy_mirror(whole, tmp_path / f"stopped-{k}.db") for k in ks}
    try:
        contacts = [r for r in portal.stores["contacts"].records.values() if not r.archived]
        changed = random.Random(1).sample(contacts, 600)
        for start in range(0, 600, 100):
            inputs = [{"id": r.id, "properties": {"jobtitle": f"Changed title {r.id}"}}
                      for r in changed[start:start + 100]]
            assert api("POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": inputs}).status_code == 200
        deals = list(portal.stores["deals"].records)[:150]
        inputs = [{"id": d, "properties": {"amount": f"{1000 + int(d) % 977}.25"}} for d in deals[:100]]
        assert api("POST", "/crm/v3/objects/deals/batch/update", json={"inputs": inputs}).status_code == 200
        inputs = [{"id": d, "properties": {"amount": "42.50"}} for d in deals[100:]]
        assert api("POST", "/crm/v3/objects/deals/batch/update", json={"inputs": inputs}).status_code == 200
        for record in contacts[-3:]:
            assert api("DELETE", f"/crm/v3/objects/contacts/{record.id}").status_code == 204

        uninterrupted = quick_sync(api, whole)
        assert uninterrupted.pages["contacts"] >= 4  # three search pages and the recycle bin, at least
        want = dump(whole.db.conn)
        titles = {int(r.id): f"Changed title {r.id}" for r in changed}
        for k in ks:
            mirror = stopped[k]
            with monkeypatch.context() as patched:
                crash_after(patched, k)
                with pytest.raises(Crash):
                    quick_sync(api, mirror)
            quick_sync(api, mirror)
            assert_same_rows(dump(mirror.db.conn), want, f"incremental read stopped after {k} pages")
            assert_mirror_equals_portal(mirror, portal)
            assert_one_row_per_record(mirror.db.conn, portal, f"k={k}")
            mirrored = dict(mirror.db.execute("SELECT id, json_extract(properties, '$.jobtitle') FROM contacts "
                                              f"WHERE id IN ({','.join(map(str, titles))})").fetchall())
            assert mirrored == titles, f"k={k}"
    finally:
        whole.close()
        for mirror in stopped.values():
            mirror.close()


# -- 1. stopped after k pages, by kill -9 of the process -------------------------------------------------




SMARKETING = [sys.executable, "-m", "sync"]  # the ``smarketing`` command


def _contacts_in(db: Path) -> int:
    """Contacts committed so far, read beside the writer (WAL) without taking its lock."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:  # not created yet
        return 0


def _start_sync(url: str, db: Path, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen([*SMARKETING, "sync"], env=worker_env(url, db), stdout=out, stderr=subprocess.STDOUT)


def _sync_to_completion(url: str, db: Path, log: Path) -> None:
    proc = _start_sync(url, db, log)
    assert proc.wait(timeout=120) == 0, log.read_text()


def test_a_sync_killed_with_sigkill_after_k_pages_resumes_to_the_mirror_of_an_unstopped_one(tmp_path, sandbox_process):
    """``kill -9`` leaves the last committed page and a free lock: the next ``smarketing sync`` finishes the job."""
    _, url = sandbox_process("--contacts", "8000", "--deals", "1000", "--seed", "3")
    db, log = tmp_path / "m.db", tmp_path / "sync.log"
    ks = sorted(random.Random(20261123).sample(range(1, 70), 3))  # 80 contact pages, then deals and activity
    for k in ks:
        target = max(k * 100, _contacts_in(db) + 100)
        proc = _start_sync(url, db, log)

        def reached(target: int = target) -> bool:
            return _contacts_in(db) >= target

        kill_when(proc, reached, db, f"k={k}", log)
        assert _contacts_in(db) < 8000, f"k={k}: killed after the contacts were all read"
    _sync_to_completion(url, db, log)  # the next process takes the lock and finishes

    whole = tmp_path / "whole.db"
    _sync_to_completion(url, whole, tmp_path / "whole.log")

    got, want = (sqlite3.connect(f"file:{path}?mode=ro", uri=True) for path in (db, whole))
    try:
        assert_same_rows(dump(got), dump(want), f"killed after {ks} x 100 contacts")
        portal = load_portal(generate_portal(8000, 1000, 3))  # the sandbox's portal, rebuilt: same seed, same portal
        assert_one_row_per_record(got, portal, "killed and resumed")
        runs = [r[0] for r in got.execute("SELECT status FROM sync_runs ORDER BY id")]
        # killed runs never got to record their end; the next sync marked them (issue 14: not "running" forever)
        assert runs == ["interrupted"] * len(ks) + ["ok"]
    finally:
        got.close()
        want.close()
    with Mirror(db) as mirror:
        assert_mirror_equals_portal(mirror, portal)


# -- 2. the 10,000-result cap of search ----------------------------------------------------------------


def test_twelve_thousand_contacts_modified_in_one_millisecond_are_mirrored_once(serve, tmp_path, monkeypatch):
    """HubSpot's bulk jobs stamp thousands of records with one instant; search stops at 10,000 results a query.

    The incremental read pages through that instant by id, so it never asks for an offset past the cap.
    """
    api = serve(load_portal(generate_portal(12_500, 0, 5, engagements=0, companies=10)))
    portal = api.server.app.portal
    mirror = Mirror(tmp_path / "m.db")
    try:
        quick_sync(api, mirror)
        live = [r for r in portal.stores["contacts"].records.values() if not r.archived]
        stamped = random.Random(2).sample(live, 12_000)
        instant = int(time.time() * 1000) - 1_000
        with portal.lock:
            for record in stamped:
                record.properties["jobtitle"] = f"Bulk title {record.id}"
                record.properties["lastmodifieddate"] = record.updated_at = iso_from_ms(instant)
                record.written_at = 0
            api.server.app.search_cache.clear()
        mirror.save_state("contacts", cursor_ms=instant - 1_000)

        written: Counter[str] = Counter()
        real = sync.ingest.job.write_page

        def write_page(m: Mirror, stream: Any, records: list[dict[str, Any]], ctx: Any) -> int:
            if stream.name == "contacts":
                written.update(str(r["id"]) for r in records)
            return real(m, stream, records, ctx)

        monkeypatch.setattr(sync.ingest.job, "write_page", write_page)
        # the search path is what is tested: a full list would be cheaper for 12,000 of 12,500 contacts
        monkeypatch.setattr(SyncJob, "_full_read_cheaper", lambda *args: False)
        client = quick_client(api)
        bodies: list[dict[str, Any]] = []
        search = client.search

        def spy(object_type: str, body: dict[str, Any]) -> dict[str, Any]:
            bodies.append(body)
            return search(object_type, body)

        client.search = spy  # type: ignore[method-assign]
        requests.post(api.url + "/_sandbox/stats/reset", timeout=5)
        result = quick_sync(api, mirror, client, full=False)

        ids = {r.id for r in stamped}
        assert {i: n for i, n in written.items() if i in ids} == dict.fromkeys(ids, 1)  # each change read once
        rows = {str(r[0]): r[1:] for r in mirror.db.execute(
            "SELECT id, json_extract(properties, '$.jobtitle'), lastmodifieddate FROM contacts")}
        assert len(rows) == len(portal.stores["contacts"].records)
        assert {i: rows[i] for i in ids} == {r.id: (f"Bulk title {r.id}", iso_from_ms(instant)) for r in stamped}
        assert_mirror_equals_portal(mirror, portal)
        assert result.records["contacts"] >= 12_000

        stats = api.stats()
        searches = sum(n for route, n in stats["requests_by_route"].items() if route.endswith("/search"))
        # plus one live count per object stream, which spares reading the recycle bins
        assert 12_000 // 200 <= searches <= 12_000 // 200 + 12 + len(OBJECT_STREAMS), stats["requests_by_route"]
        assert max(int(b.get("after") or 0) for b in bodies) < 10_000
        assert "400" not in stats["requests_by_status"], stats["requests_by_status"]
    finally:
        mirror.close()


# -- 3. faults and a rate limit --------------------------------------------------------------------------


def test_a_full_sync_completes_through_faults_and_a_rate_limit(serve, tmp_path):
    """10% of requests fail (5xx, 429, dropped, slow) and 100 requests fit in 10 s: paced and retried, it completes.

    Runs for 15 s or more: about 170 requests at 100 per 10 s.
    """
    api = serve(load_portal(generate_portal(10_000, 3_000, 4)), fault_rate=0.1, rate_limit=100, fault_seed=4,
                slow_seconds=0.3)
    with Mirror(tmp_path / "m.db") as mirror:
        result = run_sync(api, mirror)
        assert_mirror_equals_portal(mirror, api.server.app.portal)
        assert_one_row_per_record(mirror.db.conn, api.server.app.portal, "through faults")
        assert mirror.db.execute("SELECT status FROM sync_runs").fetchall() == [("ok",)]
    stats = api.stats()
    assert stats["faults_injected"] > 0
    assert result.records["deals"] == 3_000
    assert stats["rate_limited"] / stats["requests_total"] < 0.02, stats
