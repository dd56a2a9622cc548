"""Worker and sandbox processes for the tests that need real ones: starting a sandbox, killing at a chosen point."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import requests

from sync.storage import writer_lock

REPO = Path(__file__).resolve().parent.parent


def worker_env(url: str, db: Path, *, token: str = "sandbox-token", **extra: str) -> dict[str, str]:
    """The environment of a worker process (or a CliRunner call) against the portal at ``url``, mirroring into
    ``db``: the caller's environment without its SMARKETING_* variables, no search lag or overlap to wait
    out, and ``extra`` as SMARKETING_<NAME> variables (``HTTP_PORT="8080"``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARKETING_")}
    return {**env, "SMARKETING_HUBSPOT_BASE_URL": url, "SMARKETING_HUBSPOT_TOKEN": token,
            "SMARKETING_DB": str(db), "SMARKETING_SEARCH_LAG_SECONDS": "0", "SMARKETING_SYNC_OVERLAP_SECONDS": "0",
            **{f"SMARKETING_{name}": value for name, value in extra.items()}}


def smarketing(command: str, url: str, db: Path, *, token: str = "sandbox-token",
               **extra: str) -> subprocess.CompletedProcess[str]:
    """One ``smarketing`` command as a process against ``url``, with one try per API call."""
    return subprocess.run([sys.executable, "-m", "sync", *command.split()], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env=worker_env(url, db, token=token, HTTP_RETRY_ATTEMPTS="1", **extra))


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """What ``sql`` reads from the mirror at ``db``, opened read-only."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(*options: str, port: int | None = None,
                  output: int | IO[bytes] = subprocess.DEVNULL) -> tuple[subprocess.Popen[bytes], str]:
    """``smarketing sandbox OPTIONS`` as its own process; returns (process, URL) once it answers."""
    port = port or free_port()
    process = subprocess.Popen([sys.executable, "-m", "sync", "sandbox", "--port", str(port), *options], cwd=REPO,
                               stdout=output, stderr=subprocess.STDOUT if output != subprocess.DEVNULL else output)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "the sandbox exited"
        try:
            if requests.get(url + "/_sandbox/stats", timeout=1).status_code == 200:
                return process, url
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, "the sandbox did not answer"
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    process.wait(timeout=10)


def kill_when(proc: subprocess.Popen[bytes], reached: Callable[[], bool], db: Path, what: str, log: Path) -> None:
    """SIGKILL ``proc`` as soon as ``reached()``; it must not have ended by itself, and its lock must go with it."""
    deadline = time.monotonic() + 60
    while not reached():
        assert proc.poll() is None, f"{what}: the process ended before it was killed:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"{what}: no progress"
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL, f"{what}: the process ended before the kill"
    with writer_lock(db):  # the dead process's lock went with it
        pass


class JsonLog:
    """The worker's JSON log lines, read on a thread so the test can wait with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[dict] = []
        self._queue: queue.Queue[dict | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            try:
                self._queue.put(json.loads(line))
            except ValueError:
                self._queue.put({"event": f"(not JSON) {line.rstrip()}", "level": "?"})
        self._queue.put(None)

    def wait_for(self, prefix: str, timeout: float) -> dict:
        """The next line whose event starts with ``prefix``."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                record = self._queue.get(timeout=left)
            except queue.Empty:
                break
            assert record is not None, f"the worker ended while waiting for {prefix!r}: {self.lines[-5:]}"
            self.lines.append(record)
            if record.get("event", "").startswith(prefix):
                return record
        raise AssertionError(f"no {prefix!r} within {timeout} s: {self.lines[-5:]}")

    def recent(self, n: int = 8) -> list[dict]:
        """The last ``n`` lines read so far, those not waited for included (for a failure's message)."""
        while not self._queue.empty() and (record := self._queue.get_nowait()) is not None:
            self.lines.append(record)
        return self.lines[-n:]

    def join(self) -> None:
        """Once the worker has ended: the rest of its lines."""
        self._thread.join(timeout=10)
        while (record := self._queue.get_nowait() if not self._queue.empty() else None) is not None:
            self.lines.append(record)
