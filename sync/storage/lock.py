"""Exclusive, non-blocking locks on files beside the mirror: one writer at a time, one worker at a time.

``writer_lock`` is held by whatever writes the mirror (a sync, a push, a worker's cycle); ``worker_lock`` by a
``smarketing run`` for its whole life, so a second one on the same mirror exits at once instead of waiting for
cycles. The operating system drops a lock when its process dies, ``kill -9`` included, so a crash never leaves
a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import MirrorBusy
from .opening import check_location, unwritable


@contextmanager
def writer_lock(db_path: str | Path) -> Iterator[None]:
    with _exclusive(Path(db_path), ".lock", lambda holder: f"{db_path} is being written by {holder}; "
                    "only one sync runs at a time"):
        yield


@contextmanager
def worker_lock(db_path: str | Path) -> Iterator[None]:
    with _exclusive(Path(db_path), ".run.lock", lambda holder: f"another smarketing run ({holder}) works on "
                    f"{db_path}; only one worker runs per mirror"):
        yield


@contextmanager
def _exclusive(db_path: Path, suffix: str, busy: Callable[[str], str]) -> Iterator[None]:
    """The lock file ``<db_path><suffix>``, held exclusively, with the holder's pid in it for whoever finds it taken."""
    check_location(db_path)  # a path where no mirror can be gets no lock file beside it either
    try:
        handle = open(f"{db_path}{suffix}", "a+")
    except OSError as e:
        raise unwritable(db_path, e) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise MirrorBusy(busy(holder)) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
