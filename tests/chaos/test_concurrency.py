"""Two syncs on one mirror: one runs, the other exits at once with a clear message; the mirror stays intact."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

from tests.processes import worker_env


def test_a_second_sync_on_the_same_mirror_exits_at_once(tmp_path, sandbox_process):
    _, url = sandbox_process("--contacts", "15000", "--seed", "2")
    env = worker_env(url, tmp_path / "m.db")
    first = subprocess.Popen([sys.executable, "-m", "sync", "sync"], cwd=tmp_path, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while not (tmp_path / "m.db").exists():  # the first sync holds the lock from here on
        assert first.poll() is None, first.communicate()
        time.sleep(0.01)
    started = time.monotonic()
    second = subprocess.run([sys.executable, "-m", "sync", "sync"], cwd=tmp_path, env=env, text=True,
                            capture_output=True, timeout=60)
    assert first.poll() is None, "the first sync ended before the second was tried"
    assert second.returncode == 1 and "only one sync runs at a time" in second.stderr
    assert time.monotonic() - started < 10  # at once: it did not wait for the first one
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    db = sqlite3.connect(tmp_path / "m.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM contacts").fetchone()[0] == 15000
    assert db.execute("SELECT count(*) FROM sync_runs WHERE status = 'ok'").fetchone()[0] == 1
