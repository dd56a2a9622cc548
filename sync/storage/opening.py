"""Where a mirror may be opened, and what SQLite's failures mean for the person who runs the worker.

Checked before SQLite or the lock file touch anything: a missing directory, a directory, a file of another
program (text, or a SQLite database that is not a mirror) and a mirror cut short are refused, so a wrong
``SMARKETING_DB`` never overwrites or changes a file that is not a mirror. SQLite's own failures while a command
runs (a full disk, a damaged file, a read-only directory) become errors of the tree with a line to act on.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Any

from ..errors import BadMirrorPath, DiskFull, MirrorDamaged, MirrorError, MirrorUnwritable
from .schema import VERSION

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER = 100  # bytes of a SQLite file's header
LEFT_AS_IT_IS = ", left as it is"
ELSEWHERE = "point SMARKETING_DB at a mirror, or at a path where none exists yet"


def check_location(path: Path) -> None:
    """Refuse a path where no mirror can be, touching nothing (see the module's docstring)."""
    directory = path.parent
    if not directory.is_dir():
        what = "is not a directory" if directory.exists() else "does not exist"
        raise BadMirrorPath(f"the directory {directory} {what}",
                            hint="create it, or point SMARKETING_DB at a file in a directory that exists")
    if path.is_dir():
        raise BadMirrorPath(f"{path} is a directory, not a mirror file",
                            hint=f"point SMARKETING_DB at a file in it, such as {path / 'smarketing.db'}")
    try:
        with open(path, "rb") as file:
            head = file.read(HEADER)
    except FileNotFoundError:
        return
    except OSError as e:
        raise unwritable(path, e) from None
    if head and not (SQLITE_MAGIC.startswith(head) or head.startswith(SQLITE_MAGIC)):
        raise BadMirrorPath(f"{path} is not a mirror (not a SQLite database){LEFT_AS_IT_IS}", hint=ELSEWHERE)
    if head:
        _check_header(path, head)


def _check_header(path: Path, head: bytes) -> None:
    """A SQLite file with tables (more than one page) but no schema version is another program's database; a
    mirror shorter than its header says was cut short (a copy that stopped, a full disk during a copy).

    The header's page count is trusted only as SQLite trusts it (its change counter matches), and neither check
    is made while a write-ahead log beside the file holds pages a checkpoint has yet to write into it.
    """
    size = path.stat().st_size
    if len(head) < HEADER:
        raise MirrorDamaged(f"the mirror {path} is damaged: cut short at {size} bytes, inside its header"
                            f"{LEFT_AS_IT_IS}")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages, version = int.from_bytes(head[28:32], "big"), int.from_bytes(head[60:64], "big")
    wal = Path(f"{path}-wal")
    if head[24:28] != head[92:96] or not pages or (wal.exists() and wal.stat().st_size):
        return
    if version == 0 and pages > 1:
        raise _foreign(path)
    if size < pages * page_size:
        raise MirrorDamaged(f"the mirror {path} is damaged: cut short, {size:,} of the {pages * page_size:,} bytes "
                            f"its header counts{LEFT_AS_IT_IS}")


def refuse_foreign(db: Any, path: Path) -> None:
    """A SQLite database that is not a mirror (tables, but none of a mirror's) is another program's: refused
    before the mirror's journal mode or schema would change it. One of a newer schema is the migration's to
    refuse (MirrorTooNew): its tables may be others."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if (version == 0 and tables) or (0 < version <= VERSION and "sync_state" not in tables):
        raise _foreign(path)


def _foreign(path: Path) -> BadMirrorPath:
    return BadMirrorPath(f"{path} is a SQLite database, but not a mirror{LEFT_AS_IT_IS}", hint=ELSEWHERE)


def sqlite_failure(error: sqlite3.Error, path: Path) -> MirrorError | None:
    """The error of the tree that a SQLite failure on the mirror means; None for one that would be a bug."""
    name = getattr(error, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL":
        return DiskFull(f"the disk holding SMARKETING_DB ({path}) is full ({error})")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return MirrorDamaged(f"the mirror {path} is damaged ({error})")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return _unwritable(path, str(error))
    if name.startswith("SQLITE_IOERR"):
        return MirrorError(f"the disk holding SMARKETING_DB ({path}) failed a read or a write ({error})",
                           hint="check the disk and its free space, then run again")
    return None


def unwritable(path: Path, error: OSError) -> MirrorError:
    """The error of the tree for an OSError on the mirror's directory or a file in it."""
    if error.errno == errno.ENOSPC:
        return DiskFull(f"the disk holding SMARKETING_DB ({path}) is full ({error.strerror})")
    return _unwritable(path, (error.strerror or str(error)).lower())


def _unwritable(path: Path, reason: str) -> MirrorUnwritable:
    directory = path.parent
    return MirrorUnwritable(f"cannot write the mirror {path} or the files beside it in {directory} ({reason})",
                            hint=f"make {directory} writable for this user, or point SMARKETING_DB elsewhere")
