"""Killing a worker process at a chosen point, for the crash tests of the sync and the push."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from sync.lock import writer_lock


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
