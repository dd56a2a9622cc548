"""Chaos, faults: at 10% injected faults a full and an incremental cycle end exactly as with no faults.

Two sandboxes serve the same generated portal: one answers every request, the other fails 10% of them (seeded:
429s, 500/502/503/504, dropped connections and 2-second stalls, as ``sandbox/limits.py`` injects them).
``smarketing sync`` and ``smarketing push`` run against each as their own processes, as the user runs them; a
command that exits non-zero is run again, as the scheduler would, up to five times. Between the two cycles the
same 1% of the contacts move a lifecycle stage forward and two deals change, through the API, in both portals.
At the end the two mirrors hold the same rows and the two CRMs the same ``smk_`` values and KPI records.

Both sandboxes run in the test's process, so that they can share one clock. A portal stamps every write with its
clock (lastmodifieddate, the stage-entry dates of a lifecycle move, property history), and the worker's KPIs and
write-back read those stamps back; two ``smarketing sandbox`` processes would stamp the same write at different
moments (the faulty one later, after its retries), and the velocity KPIs would differ by that much. Here the
clock is held still for the length of each step, so a write lands with the same instant in both portals,
whenever the retries let it through.

The worker's own clock cannot be pinned (no ``SMARKETING_`` setting sets "now"), so what is derived from it is
left out: the ``as_of`` of the KPI records and the outbox's bookkeeping (updated_at, next_attempt_at,
last_error), and the runs' and streams' own records (sync_runs, sync_state). Everything else the worker derives
from the clock moves at most at a day boundary of the portal's time zone (a month's prorated days) or when an
SLA deadline passes; the two twins run each step side by side, seconds apart, and the SLA clocks of the contacts
moved here start at the change, hours before any deadline.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, cast

import pytest
import requests

from sandbox import load_portal
from sandbox.generate import generate_portal
from sync.writeback import definitions
from sync.writeback.dashboards import FIELDS, OBJECT_NAME
from tests.conftest import Api
from tests.processes import worker_env

SEED = 8
FAULT_RATE = 0.1
ATTEMPTS = 5  # runs of one command, as a scheduler retries a failed cycle
CONTACTS = {False: 2_000, True: 20_000}  # short form, full form (--long)
# one stage forward, so the funnel stage the worker writes changes (the custom PQL stage goes on to MQL)
NEXT_STAGE = {"subscriber": "lead", "lead": "marketingqualifiedlead", "1047290193": "marketingqualifiedlead",
              "marketingqualifiedlead": "salesqualifiedlead", "salesqualifiedlead": "opportunity",
              "opportunity": "customer", "customer": "evangelist"}
FUNNEL_STAGE = {"lead": "lead", "marketingqualifiedlead": "mql", "salesqualifiedlead": "sql",
                "opportunity": "opportunity", "customer": "customer", "evangelist": "evangelist"}
# the worker's bookkeeping: when it ran, where its cursors stand, when it last touched an outbox row
BOOKKEEPING_TABLES = {"sync_state", "sync_runs"}
LEFT_OUT = {"writeback_outbox": {"updated_at", "next_attempt_at", "last_error"}}
# definitions() types its values as object; a property's name is always a str
CONTACT_PROPERTIES = [cast(str, p["name"]) for p in definitions("smk_", "smarketing")["contacts"]]
DEAL_PROPERTIES = [cast(str, p["name"]) for p in definitions("smk_", "smarketing")["deals"]]
KPI_PROPERTIES = ["kpi_key", *(f for f in FIELDS if f != "as_of")]


class HeldClock:
    """The portals' clock: the wall clock, held still for the length of a step, so both twins stamp alike."""

    def __init__(self) -> None:
        self.held: float | None = None

    def __call__(self) -> float:
        return time.time() if self.held is None else self.held

    @contextmanager
    def hold(self) -> Iterator[None]:
        self.held = time.time()
        try:
            yield
        finally:
            self.held = None


class Twin:
    """One sandbox portal, its mirror, and ``smarketing`` run against it to completion."""

    def __init__(self, name: str, api: Api, folder: Path) -> None:
        self.name, self.api, self.folder = name, api, folder
        self.portal = api.server.app.portal
        self.db = folder / "mirror.db"
        self.failed_runs: list[str] = []
        folder.mkdir()
        self.env = worker_env(api.url, self.db, token=api.server.token, LOG_LEVEL="WARNING")

    def smarketing(self, command: str) -> None:
        """``smarketing COMMAND``, run again while it fails, up to ATTEMPTS runs in all."""
        errors = []
        for _ in range(ATTEMPTS):
            done = subprocess.run([sys.executable, "-m", "sync", command], env=self.env, cwd=self.folder,
                                  capture_output=True, text=True, timeout=600)
            if done.returncode == 0:
                return
            errors.append(f"exit {done.returncode}: {done.stderr.strip()[-400:]}")
            self.failed_runs.append(f"{command}: {errors[-1]}")
        pytest.fail(f"{self.name}: smarketing {command} failed {ATTEMPTS} times:\n" + "\n".join(errors))

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One API call of the test's own, retried through injected faults (none of them applies a write)."""
        for _ in range(20):
            try:
                answer = self.api(method, path, **kwargs)
            except requests.ConnectionError:  # a dropped connection
                continue
            if answer.status_code != 429 and answer.status_code < 500:
                assert answer.status_code < 300, f"{self.name}: {method} {path}: {answer.text}"
                return answer
        pytest.fail(f"{self.name}: {method} {path} failed 20 times")

    def crm(self, object_type: str, properties: list[str]) -> dict[str, dict[str, Any]]:
        """Every live record of ``object_type`` in the CRM with ``properties``, read through the API."""
        found: dict[str, dict[str, Any]] = {}
        params: dict[str, Any] = {"limit": 100, "properties": ",".join(properties)}
        while True:
            page = self.call("GET", f"/crm/v3/objects/{object_type}", params=params).json()
            for record in page["results"]:
                found[record["id"]] = {p: record["properties"].get(p) for p in properties}
            if not page.get("paging"):
                return found
            params["after"] = page["paging"]["next"]["after"]


def both(twins: list[Twin], step: Callable[[Twin], None]) -> None:
    """The same step on both twins side by side, so the worker's clock reads nearly alike in each."""
    with ThreadPoolExecutor(len(twins)) as pool:
        list(pool.map(step, twins))


def change_the_portal(twins: list[Twin]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """1% of the contacts one lifecycle stage forward, one deal's amount and another deal won, in both portals.

    Returns the contacts' new stages and the deals' new properties, by id.
    """
    portal = twins[0].portal
    contacts = portal.stores["contacts"].records
    movable = sorted((int(r.id), stage) for r in contacts.values()
                     if not r.archived and (stage := r.properties.get("lifecyclestage")) in NEXT_STAGE)
    chosen = random.Random(SEED).sample(movable, round(0.01 * len(contacts)))
    stages = {str(i): NEXT_STAGE[stage] for i, stage in chosen}
    open_deals = sorted((r for r in portal.stores["deals"].records.values()
                         if not r.archived and r.properties.get("pipeline") == "default"
                         and r.properties.get("hs_is_closed") == "false"), key=lambda r: int(r.id))
    deals = {open_deals[0].id: {"amount": "12345.67"}, open_deals[1].id: {"dealstage": "closedwon"}}
    for twin in twins:
        items = list(stages.items())
        for start in range(0, len(items), 100):
            inputs = [{"id": i, "properties": {"lifecyclestage": s}} for i, s in items[start:start + 100]]
            errors = twin.call("POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": inputs}).json()
            assert not errors.get("errors"), errors["errors"][:3]
        for deal_id, props in deals.items():
            twin.call("PATCH", f"/crm/v3/objects/deals/{deal_id}", json={"properties": props})
    return stages, deals


def query(db: Path, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the mirror's data tables, in a fixed order, without the worker's bookkeeping.

    ``full_pass`` only numbers full reads; the ``as_of`` the worker wants written is its clock's reading.
    """
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = {}
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in names:
            if table in BOOKKEEPING_TABLES or table.startswith("sqlite_"):
                continue
            left_out = {"full_pass", *LEFT_OUT.get(table, ())}
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in left_out]
            selected = ", ".join(f"CASE WHEN property = 'as_of' THEN NULL ELSE {c} END"
                                 if table == "writeback_outbox" and c in ("wanted", "written") else c
                                 for c in columns)
            order = ", ".join(str(i) for i in range(1, len(columns) + 1))
            tables[table] = [tuple(r) for r in conn.execute(f"SELECT {selected} FROM {table} ORDER BY {order}")]
        return tables
    finally:
        conn.close()


def assert_same(got: dict[str, Any], want: dict[str, Any], what: str) -> None:
    assert sorted(got) == sorted(want), f"{what}: not the same tables or records"
    for key in sorted(want):
        if got[key] != want[key]:
            if isinstance(want[key], list):
                rows, clean_rows = set(got[key]), set(want[key])
                extra, missing = sorted(rows - clean_rows, key=repr), sorted(clean_rows - rows, key=repr)
                pytest.fail(f"{what}: {key} has {len(got[key])} rows against {len(want[key])} without faults; "
                            f"{len(extra)} differ, e.g. {extra[:3]} instead of {missing[:3]}")
            pytest.fail(f"{what}: {key} is {got[key]!r}, without faults {want[key]!r}")


def test_a_full_and_an_incremental_cycle_at_ten_percent_faults_end_as_without_faults(serve, tmp_path, long_run):
    """Retries and reruns make faults invisible: same mirror, same smk_ values and KPI records in the CRM.

    Faults are retried by the client (429, 5xx, dropped connections) or only slow a call down; where a command
    still fails, its rerun resumes from what the failed run committed. No fault may cost or double a record, leave
    a value unwritten, or leave the outbox believing in a value the CRM does not hold.
    """
    contacts = CONTACTS[long_run]
    data = generate_portal(contacts, contacts // 5, SEED)
    clock = HeldClock()
    clean = Twin("without faults", serve(load_portal(data, clock=clock)), tmp_path / "clean")
    faulty = Twin("with faults", serve(load_portal(generate_portal(contacts, contacts // 5, SEED), clock=clock),
                                       fault_rate=FAULT_RATE, fault_seed=SEED), tmp_path / "faulty")
    twins = [clean, faulty]

    for command in ("sync", "push"):  # the full cycle
        with clock.hold():
            both(twins, partial(Twin.smarketing, command=command))
    with clock.hold():
        stages, deals = change_the_portal(twins)
    for command in ("sync", "push"):  # the incremental cycle
        with clock.hold():
            both(twins, partial(Twin.smarketing, command=command))

    # the faults were there, and the worker met them
    assert clean.api.stats()["faults_injected"] == 0
    faults = faulty.api.stats()["faults_injected"]
    retries = query(faulty.db, "SELECT sum(retries) FROM sync_runs")[0][0]
    assert faults >= 10 and retries + len(faulty.failed_runs) > 0, (faults, retries, faulty.failed_runs)

    # the mirrors hold the same rows, changes included, and every value was delivered
    assert_same(dump(faulty.db), dump(clean.db), "the mirror")
    mirrored = query(faulty.db, f"SELECT id, lifecyclestage FROM contacts WHERE id IN ({','.join(stages)})")
    assert {str(i): stage for i, stage in mirrored} == stages, "the incremental cycle missed lifecycle moves"
    for deal_id, props in deals.items():
        amount, stage = query(faulty.db, "SELECT amount, dealstage FROM deals WHERE id = ?", [deal_id])[0]
        assert {"amount": str(amount), "dealstage": stage}.items() >= props.items(), "a deal's change was missed"
    assert query(faulty.db, "SELECT count(*) FROM quarantine") == [(0,)], "a fault quarantined records"
    undelivered = query(faulty.db, "SELECT count(*) FROM writeback_outbox WHERE state != 'ok' OR confirmed = 0 "
                                   "OR (written IS NOT wanted AND property != 'as_of')")
    assert undelivered == [(0,)], "the outbox is not fully delivered"

    # the CRMs hold the same smk_ values and KPI records
    for object_type, properties in (("contacts", CONTACT_PROPERTIES), ("deals", DEAL_PROPERTIES),
                                    (OBJECT_NAME, KPI_PROPERTIES)):
        want_crm, got_crm = clean.crm(object_type, properties), faulty.crm(object_type, properties)
        if object_type == OBJECT_NAME:  # upserted records get their ids in turn: compare them by kpi_key
            want_crm = {r["kpi_key"]: r for r in want_crm.values()}
            got_crm = {r["kpi_key"]: r for r in got_crm.values()}
        assert_same(got_crm, want_crm, f"the CRM's {object_type}")
        written = [r for r in got_crm.values() if any(r[p] is not None for p in properties if p != "kpi_key")]
        assert len(written) > 0.5 * len(got_crm), f"{object_type}: the worker wrote next to nothing"
        if object_type == "contacts":  # the moves reached the CRM (contacts left out of the KPIs get no stage)
            written_stages = {i: got_crm[i]["smk_funnel_stage"] for i in stages if got_crm[i]["smk_funnel_stage"]}
            assert written_stages == {i: FUNNEL_STAGE[stages[i]] for i in written_stages}
            assert len(written_stages) > 0.9 * len(stages)
