"""Chaos, kills: ``kill -9`` of ``smarketing sync`` and ``smarketing push`` at random moments loses nothing.

The commands run as their own processes against a sandbox portal served in the test's process (so that the
mirror can be checked against the portal's own records). Sync and push take turns; before each sync 2% of the
contacts move a lifecycle stage forward, 1% of the deals change and one is won, a contact is created and one
deleted, so every round has work. Each round kills its command at a random point drawn from a seeded
``random.Random``: once a random share of the round's records is committed (mirrored contacts and deals for a
sync, confirmed outbox records for a push), after a random delay of up to 200 ms (10 ms for a push, whose
batches are quick), so kills land between pages, inside a request and inside a transaction. A kill counts only
where it cut the run short (a sync that never recorded its end, a push that left planned values unconfirmed);
the others are counted apart, and the test goes on until it has its kills: 4 in the short form, 20 under
``pytest --long``. After each kill the command runs again, to completion.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sandbox import load_portal
from sandbox.generate import generate_portal
from sync.ingest.history import history_rows
from sync.storage import Mirror, writer_lock
from sync.writeback.dashboards import OBJECT_NAME
from tests.conftest import Api
from tests.processes import worker_env
from tests.sync.helpers import assert_mirror_equals_portal

SEED = 11
SCALE = {False: (3_000, 4), True: (20_000, 20)}  # (contacts, kills): short form, full form (--long)
NEXT_STAGE = {"subscriber": "lead", "lead": "marketingqualifiedlead", "1047290193": "marketingqualifiedlead",
              "marketingqualifiedlead": "salesqualifiedlead", "salesqualifiedlead": "opportunity",
              "opportunity": "customer", "customer": "evangelist"}
# the mirror's copy of the portal, compared with a fresh full sync of it
DATA_TABLES = ("contacts", "companies", "deals", "deal_contacts", "engagements", "engagement_contacts",
               "contact_stage_history", "owners", "pipelines", "pipeline_stages", "lifecycle_stages", "campaigns",
               "campaign_spend")


def read(db: Path, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    """A query beside the writer (WAL), read-only, without taking its lock."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def peek(db: Path, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    """``read``, or nothing while the first sync has not created the mirror or its tables yet."""
    try:
        return read(db, sql, params)
    except sqlite3.OperationalError:
        return []


class Worker:
    """``smarketing`` against one portal and one mirror, run to completion or killed at a chosen point."""

    def __init__(self, api: Api, folder: Path) -> None:
        self.folder, self.db, self.log = folder, folder / "mirror.db", folder / "smarketing.log"
        self.env = worker_env(api.url, self.db, token=api.server.token, LOG_LEVEL="WARNING")

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        with open(self.log, "ab") as out:
            out.write(f"\n$ smarketing {' '.join(args)}  # at {time.strftime('%H:%M:%S')}\n".encode())
            return subprocess.Popen([sys.executable, "-m", "sync", *args], env=self.env, cwd=self.folder,
                                    stdout=out, stderr=subprocess.STDOUT)

    def run(self, *args: str) -> None:
        proc = self.start(*args)
        assert proc.wait(timeout=600) == 0, f"smarketing {' '.join(args)} failed:\n{self.tail()}"

    def note(self, line: str) -> None:
        with open(self.log, "a") as out:
            out.write(f"# {line}\n")

    def tail(self) -> str:
        return self.log.read_text()[-3000:]

    def kill(self, proc: subprocess.Popen[bytes], work: Work, share: float, offset: float) -> bool:
        """SIGKILL ``proc`` ``offset`` seconds after ``share`` of its work is committed.

        True for a kill that cut the run short; False where the process had finished its run first.
        """
        deadline = time.monotonic() + 300
        while not work.reached(share):
            if proc.poll() is not None:
                break
            assert time.monotonic() < deadline, f"no progress:\n{self.tail()}"
            time.sleep(0.003)
        else:
            time.sleep(offset)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
        code = proc.wait(timeout=60)
        assert code in (0, -signal.SIGKILL), f"the process failed by itself:\n{self.tail()}"
        with writer_lock(self.db):  # a killed process's lock goes with it
            pass
        return code == -signal.SIGKILL and work.unfinished()


# -- what one round has to do, and how far it got ------------------------------------------------------------


class Work:
    """One round's work: records done and to do, read beside the running command; whether its run was cut short."""

    def progress(self) -> tuple[int, int]:
        raise NotImplementedError

    def unfinished(self) -> bool:
        raise NotImplementedError

    def reached(self, share: float) -> bool:
        done, total = self.progress()
        return total > 0 and done >= max(1, int(share * total))


class SyncWork(Work):
    """The contacts and deals changed since the mirror's newest change, mirrored or not yet."""

    def __init__(self, db: Path, portal: Any) -> None:
        self.db = db
        stamps = peek(db, "SELECT max(lastmodifieddate), (SELECT max(hs_lastmodifieddate) FROM deals) FROM contacts")
        self.since = max([s or "" for s in stamps[0]]) if stamps else ""
        self.runs = len(peek(db, "SELECT id FROM sync_runs"))
        with portal.lock:
            self.total = sum(1 for t, prop in (("contacts", "lastmodifieddate"), ("deals", "hs_lastmodifieddate"))
                             for r in portal.stores[t].records.values()
                             if not r.archived and (r.properties.get(prop) or "") > self.since)

    def progress(self) -> tuple[int, int]:
        done = peek(self.db, "SELECT (SELECT count(*) FROM contacts WHERE lastmodifieddate > :since) + "
                             "(SELECT count(*) FROM deals WHERE hs_lastmodifieddate > :since)", {"since": self.since})
        return (done[0][0] if done else 0), self.total

    def unfinished(self) -> bool:
        """The run never recorded its end."""
        return read(self.db, "SELECT status FROM sync_runs ORDER BY id")[self.runs:] == [("running",)]


class PushWork(Work):
    """The records whose values the push planned to write (none before its plan commits), confirmed or not yet.

    Read through the outbox's state index, so that a poll stays quick beside a push of 100 records a batch.
    """

    def __init__(self, db: Path) -> None:
        self.db, self.planned = db, 0

    def pending(self, query: Any = peek) -> int:
        rows = query(self.db, "SELECT count(DISTINCT object_type || ':' || object_id) FROM writeback_outbox "
                              "WHERE state = 'pending' AND property != 'as_of'")
        return rows[0][0] if rows else 0

    def progress(self) -> tuple[int, int]:
        pending = self.pending()
        self.planned = max(self.planned, pending)  # all planned records are pending once the plan commits
        return self.planned - pending, self.planned

    def unfinished(self) -> bool:
        """Planned values were left unconfirmed."""
        return self.pending(read) > 0


def change_the_portal(api: Api, rng: random.Random, round_: int) -> None:
    """2% of the contacts a stage forward, 1% of the deals a new amount and one won, a contact created, one deleted.

    Moved contacts and won deals change the values the worker writes back, so the next push has work too.
    """
    portal = api.server.app.portal
    with portal.lock:
        contacts = sorted((r for r in portal.stores["contacts"].records.values() if not r.archived),
                          key=lambda r: int(r.id))
        deals = sorted((r for r in portal.stores["deals"].records.values() if not r.archived),
                       key=lambda r: int(r.id))
    movable = [(r.id, stage) for r in contacts if (stage := r.properties.get("lifecyclestage")) in NEXT_STAGE]
    moved = rng.sample(movable, max(1, len(contacts) // 50))
    won = rng.choice([r.id for r in deals if r.properties.get("pipeline") == "default"
                      and r.properties.get("hs_is_closed") == "false"])
    updates = [("contacts", [{"id": i, "properties": {"lifecyclestage": NEXT_STAGE[s]}} for i, s in moved]),
               ("deals", [{"id": r.id, "properties": {"amount": f"{rng.randrange(100, 99_999)}.50"}}
                          for r in rng.sample(deals, max(1, len(deals) // 100)) if r.id != won]
                + [{"id": won, "properties": {"dealstage": "closedwon"}}])]
    for object_type, inputs in updates:
        for start in range(0, len(inputs), 100):
            answer = api("POST", f"/crm/v3/objects/{object_type}/batch/update",
                         json={"inputs": inputs[start:start + 100]})
            assert answer.status_code == 200 and not answer.json().get("errors"), answer.text
    answer = api("POST", "/crm/v3/objects/contacts", json={"properties": {
        "email": f"chaos-{round_}@example.com", "firstname": "Chaos", "lastname": str(round_),
        "lifecyclestage": "lead"}})
    assert answer.status_code == 201, answer.text
    assert api("DELETE", f"/crm/v3/objects/contacts/{rng.choice(contacts).id}").status_code == 204


# -- the end state ------------------------------------------------------------------------------------------


def dump(db: Path, tables: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in tables:
        columns = [r[1] for r in read(db, f"PRAGMA table_info({table})") if r[1] != "full_pass"]
        order = ", ".join(str(i) for i in range(1, len(columns) + 1))
        out[table] = read(db, f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
    return out


def assert_no_duplicates(db: Path) -> None:
    """Each table holds one row per primary key (SQLite lets NULLs in a composite key repeat it).

    The stage history's key is (contact, stage, entered_at, evidence): one entry is rightly there up to three
    times, once for each kind of evidence that shows it (the history, the v2 and the legacy stage dates).
    """
    tables = [r[0] for r in read(db, "SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "AND name NOT LIKE 'sqlite_%'")]
    for table in tables:
        key = [r[1] for r in sorted(read(db, f"PRAGMA table_info({table})"), key=lambda r: r[5]) if r[5]]
        if not key:
            continue
        rows, keys = read(db, f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT {', '.join(key)} "
                              f"FROM {table})) FROM {table}")[0]
        assert rows == keys, f"{table}: {rows} rows for {keys} keys"
    duplicated = read(db, "SELECT contact_id, stage, entered_at, evidence, count(*) FROM contact_stage_history "
                          "GROUP BY 1, 2, 3, 4 HAVING count(*) > 1")
    assert not duplicated, f"stage history entries recorded twice: {duplicated[:5]}"


def assert_crm_holds_the_outbox(db: Path, portal: Any) -> None:
    """Every value the outbox says it confirmed is in the CRM, and each KPI record exists once."""
    with portal.lock:
        kpi_store = portal.stores[portal.resolve_type(OBJECT_NAME)].records.values()
        kpi_keys = Counter(r.properties.get("kpi_key") for r in kpi_store if not r.archived)
        crm = {"contacts": {i: r.properties for i, r in portal.stores["contacts"].records.items()},
               "deals": {i: r.properties for i, r in portal.stores["deals"].records.items()},
               OBJECT_NAME: {r.properties.get("kpi_key"): r.properties for r in kpi_store}}
        outbox = read(db, "SELECT object_type, object_id, property, written FROM writeback_outbox "
                          "WHERE property != 'as_of'")
        differing = [(t, i, p, crm[t].get(i, {}).get(p), written) for t, i, p, written in outbox
                     if crm[t].get(i, {}).get(p) != written]
    assert outbox, "nothing was written"
    assert not differing, f"{len(differing)} values differ in the CRM, e.g. {differing[:5]}"
    assert [k for k, n in kpi_keys.items() if n > 1] == [], "a KPI record was created twice"
    assert set(kpi_keys) == {i for t, i, _, _ in outbox if t == OBJECT_NAME}


def assert_same_as_a_fresh_sync(db: Path, fresh_db: Path, portal: Any) -> None:
    """The mirror holds what one uninterrupted sync of the final portal holds, row for row.

    Except for lifecycle history a fresh sync has no reason to ask for: a contact's history is read when its stage
    dates cannot tell its path (a move back), and kept. A contact that later moved forward again has dates that
    look complete; a fresh sync does not read its history, the mirror still has it. Such rows must then be
    entries of the contact's history in the portal.
    """
    got, want = dump(db, DATA_TABLES), dump(fresh_db, DATA_TABLES)
    read_fresh = {r[0] for r in want["contact_stage_history"] if r[3] == "history"}
    kept = [r for r in got["contact_stage_history"] if r[3] == "history" and r[0] not in read_fresh]
    got["contact_stage_history"] = [r for r in got["contact_stage_history"] if r[3] != "history" or r[0] in read_fresh]
    for table in DATA_TABLES:
        if got[table] != want[table]:
            rows, fresh_rows = set(got[table]), set(want[table])
            pytest.fail(f"{table}: {len(got[table])} rows, a fresh sync {len(want[table])}; e.g. "
                        f"{sorted(rows - fresh_rows)[:3]} where the fresh sync has {sorted(fresh_rows - rows)[:3]}")
    with portal.lock:
        records = portal.stores["contacts"].records
        in_portal = {tuple(r.values()) for cid in {r[0] for r in kept}
                     for r in history_rows(cid, records[str(cid)].history_of("lifecyclestage"))}
    invented = [r for r in kept if r not in in_portal]
    assert not invented, f"stage history rows not in the portal's history: {invented[:5]}"


def test_twenty_kills_of_sync_and_push_at_random_moments_lose_nothing_and_duplicate_nothing(serve, tmp_path,
                                                                                           long_run):
    """After every kill and rerun: the mirror equals the portal, the outbox is delivered, no row is doubled.

    (4 kills in the short form.) The mirror is also compared with a fresh full sync of the final portal, table by
    table, so that a row left behind by a killed run shows even where the portal has no field to check it by.
    """
    contacts, kills_wanted = SCALE[long_run]
    api = serve(load_portal(generate_portal(contacts, contacts // 5, SEED)))
    portal = api.server.app.portal
    worker = Worker(api, tmp_path)
    rng = random.Random(SEED)
    kills: Counter[str] = Counter()
    ended_first: Counter[str] = Counter()
    commands = ("sync", "push")
    for round_ in range(3 * kills_wanted):
        if sum(kills.values()) == kills_wanted:
            break
        command = commands[round_ % 2]
        if command == "sync" and round_:
            change_the_portal(api, rng, round_)
        work = SyncWork(worker.db, portal) if command == "sync" else PushWork(worker.db)
        # a push commits 100 records at a time, quickly: it is killed before its last batches, within ~10 ms
        share = rng.uniform(0.05, 0.9 if command == "sync" else 0.6)
        offset = rng.choice([0.0, rng.uniform(0, 0.2 if command == "sync" else 0.01)])
        killed = worker.kill(worker.start(command), work, share, offset)
        (kills if killed else ended_first)[command] += 1
        worker.note(f"round {round_}: {'killed' if killed else 'ended before its kill'} "
                    f"at {share:.0%} of its work + {offset * 1000:.0f} ms")
        worker.run(command)  # the rerun, to completion
    assert sum(kills.values()) == kills_wanted, f"kills {dict(kills)}, ended before their kill {dict(ended_first)}"
    assert kills["sync"] and kills["push"], dict(kills)

    worker.run("push")  # whatever the last round was, the CRM gets the last values,
    worker.run("sync")  # and the mirror reads back the worker's own writes
    worker.run("push", "--dry-run")  # plans from the final mirror, sends nothing
    pending = read(worker.db, "SELECT object_type, object_id, property, state FROM writeback_outbox "
                              "WHERE property != 'as_of' AND (state != 'ok' OR written IS NOT wanted)")
    assert not pending, f"the outbox is not fully delivered: {len(pending)} values, e.g. {pending[:5]}"
    assert_crm_holds_the_outbox(worker.db, portal)
    assert read(worker.db, "PRAGMA integrity_check") == [("ok",)]
    assert_no_duplicates(worker.db)
    with Mirror(worker.db) as mirror:
        assert_mirror_equals_portal(mirror, portal)

    fresh = Worker(api, tmp_path / "fresh")
    fresh.folder.mkdir()
    fresh.run("sync")
    assert_same_as_a_fresh_sync(worker.db, fresh.db, portal)
