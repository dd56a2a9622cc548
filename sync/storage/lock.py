"""One writer per mirror: an exclusive, non-blocking lock on a file beside it.

The operating system drops the lock when the process dies, ``kill -9`` included, so a crashed sync
never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import MirrorBusy
from .opening import check_location, unwritable


@contextmanager
def writer_lock(db_path: str | Path) -> Iterator[None]:
    lock_path = Path(f"{db_path}.lock")
    check_location(Path(db_path))  # a path where no mirror can be gets no lock file beside it either
    try:
        handle = open(lock_path, "a+")
    except OSError as e:
        raise unwritable(Path(db_path), e) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise MirrorBusy(f"{db_path} is being written by {holder}; only one sync runs at a time") from None
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
