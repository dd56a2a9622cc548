"""Exactly one task per hand-off, whatever kill -9 does to ``smarketing push``.

The sandbox (in this process) lags its search index 5 s behind writes and answers every create 0.4 s after
applying it, so a kill can land between a create's send and its record. Two reps, one new task each a push
(``SMARKETING_SLA_TASKS_PER_REP_PER_CYCLE=1``), so each push has a create to send. Of the 20 kills, 13 wait for a
batch marked sent (its call in flight) and 7 land at a random moment of the push; each kill counts only where
it cut the push short. Then one push runs to completion, and every hand-off has exactly one task.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kpi import iso
from sync.storage import writer_lock
from sync.writeback.task_keys import key_of
from tests.chaos.test_kills import peek
from tests.processes import worker_env
from tests.tasks.portal import handoff, task_portal

KILLS, IN_FLIGHT = 20, 13
HANDOFFS = 32


def smarketing(env: dict[str, str], folder: Path, *args: str) -> subprocess.Popen[bytes]:
    with open(folder / "smarketing.log", "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "sync", *args], env=env, cwd=folder, stdout=out,
                                stderr=subprocess.STDOUT)


def sent_keys(db: Path) -> set[str]:
    return {row[0] for row in peek(db, "SELECT key FROM task_outbox WHERE state = 'sent'")}


def test_kill_9_between_send_and_record_never_makes_a_second_task(serve, tmp_path):
    started = datetime.now(UTC) - timedelta(days=4)  # 4 days back holds 8 working hours: every hand-off is overdue
    start = iso(started.replace(minute=0, second=0, microsecond=0))
    owners = ("9001", "9002")
    api = serve(task_portal([handoff(100 + n, start, owner=owners[n % 2]) for n in range(HANDOFFS)]),
                search_lag=5, slow_creates=0.4)
    db = tmp_path / "mirror.db"
    env = worker_env(api.url, db, token=api.server.token, LOG_LEVEL="WARNING", SLA_TASKS="on", TIMEZONE="UTC",
                     SLA_TASKS_PER_REP_PER_CYCLE="1", SEARCH_LAG_SECONDS="5")
    assert smarketing(env, tmp_path, "sync").wait(timeout=120) == 0
    rng = random.Random(18)
    kills = in_flight = finished = 0
    began = time.monotonic()
    while kills < KILLS:
        aim_in_flight = in_flight < IN_FLIGHT and (KILLS - kills > IN_FLIGHT - in_flight or rng.random() < 0.7)
        before = sent_keys(db)
        proc = smarketing(env, tmp_path, "push")
        deadline = time.monotonic() + 60
        if aim_in_flight:
            while not (sent_keys(db) - before) and proc.poll() is None:
                assert time.monotonic() < deadline, "no create was sent"
                time.sleep(0.002)
        else:
            time.sleep(rng.uniform(0.1, 0.7))  # a push with nothing changed plans nothing: it is over in about 1 s
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        code = proc.wait(timeout=60)
        assert code in (0, -signal.SIGKILL), (tmp_path / "smarketing.log").read_text()[-3000:]
        with writer_lock(db):  # the killed push's lock went with it
            pass
        if code == 0:
            finished += 1
            assert finished < 30, "the pushes finish before they can be killed"
            continue
        kills += 1
        in_flight += bool(sent_keys(db) - before)
    assert in_flight >= 10
    time.sleep(5.5)  # a create sent in the last 5 s is looked up only once the search lag has passed
    final = dict(env, SMARKETING_SLA_TASKS_PER_REP_PER_CYCLE="100")
    assert smarketing(final, tmp_path, "push").wait(timeout=120) == 0
    assert peek(db, "SELECT state, count(*) FROM task_outbox GROUP BY state") == [("open", HANDOFFS)]

    keys: dict[str, int] = {}
    for record in list(api.server.app.portal.stores["tasks"].records.values()):
        key = key_of({"properties": record.properties})
        if key is not None:
            keys[key] = keys.get(key, 0) + 1
    assert keys == {f"first_followup:{100 + n}:{start}": 1 for n in range(HANDOFFS)}
    assert time.monotonic() - began < 120
    print(f"{kills} kills, {in_flight} between a create's send and its record, {finished} pushes finished first, "
          f"{time.monotonic() - began:.0f} s")
