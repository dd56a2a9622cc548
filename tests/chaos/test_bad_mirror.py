"""Chaos, a bad SMARKETING_DB and a full disk: one line, an exit status, and nothing lost or overwritten.

Each bad place for the mirror (a missing directory, a read-only one, a directory, a text file, another program's
SQLite database, a mirror cut short) is given to a real ``smarketing`` process: it prints one line naming what is
wrong and exits 2 where the setting is to fix (1 otherwise), with no traceback, and every byte of what was there is
as it was, with nothing created beside it.

A full disk is SQLite's SQLITE_FULL ("database or disk is full"). A real one needs a tiny file system, which needs
privileges CI may not have; ``RLIMIT_FSIZE`` gives SQLite a write error, not SQLITE_FULL. So the process runs the
real CLI with SQLite's ``PRAGMA max_page_count`` lowered on each of its connections (which fails writes with the
very error a full disk gives), by a bootstrap of the test's own: no hook in the worker.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sandbox import load_portal
from sandbox.generate import generate_portal
from sync.storage import Mirror
from tests.chaos.test_faults import assert_same, dump
from tests.conftest import REPO
from tests.processes import worker_env
from tests.sync.helpers import assert_mirror_equals_portal, run_sync

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\S+ (INFO|WARNING) smarketing")  # the text log on stderr
COMMANDS = [["sync"], ["push"], ["push", "--dry-run"], ["status"], ["kpi"], ["funnel"], ["run"]]
# the real CLI, with every SQLite connection it opens limited to a number of pages: a disk that is full there
FULL_DISK = """
import sqlite3, sys
connect, pages = sqlite3.connect, int(sys.argv.pop(1))
def limited(*args, **kwargs):
    conn = connect(*args, **kwargs)
    conn.execute(f"PRAGMA max_page_count = {pages}")
    return conn
sqlite3.connect = limited
from sync.app.cli import cli
cli(prog_name="smarketing")
"""


def smarketing(args: list[str], url: str, db: Path, *prefix: str) -> subprocess.CompletedProcess[str]:
    command = list(prefix) or ["-m", "sync"]
    return subprocess.run([sys.executable, *command, *args], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env=worker_env(url, db, HTTP_RETRY_ATTEMPTS="1"))


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed command printed; nothing else on stderr (no log line, no traceback)."""
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file under ``folder`` with its bytes (None for a directory)."""
    return {str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes() for p in sorted(folder.rglob("*"))}


@contextmanager
def read_only(directory: Path) -> Iterator[str]:
    """``directory`` read-only for this user; yields what the OS says to a file created in it. Root ignores modes,
    so for root the directory is made immutable instead."""
    root = os.geteuid() == 0
    if root:
        subprocess.run(["chattr", "+i", str(directory)], check=True)
    else:
        directory.chmod(0o555)
    try:
        yield os.strerror(errno.EPERM if root else errno.EACCES).lower()
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
        else:
            directory.chmod(0o755)


def a_mirror(api: Any, path: Path) -> Path:
    with Mirror(path) as mirror:
        run_sync(api, mirror)
    return path


# -- each bad place: (how to make it, the line expected, the exit status) ------------------------------------------

def missing_directory(api: Any, tmp: Path) -> tuple[Path, str, int]:
    return (tmp / "nowhere" / "m.db", f"SMARKETING_DB: the directory {tmp / 'nowhere'} does not exist; create it, "
            "or point SMARKETING_DB at a file in a directory that exists", 2)


def a_directory(api: Any, tmp: Path) -> tuple[Path, str, int]:
    (tmp / "data").mkdir()
    (tmp / "data" / "notes.txt").write_text("keep me")
    return (tmp / "data", f"SMARKETING_DB: {tmp / 'data'} is a directory, not a mirror file; point SMARKETING_DB at "
            f"a file in it, such as {tmp / 'data' / 'smarketing.db'}", 2)


def a_text_file(api: Any, tmp: Path) -> tuple[Path, str, int]:
    (tmp / "notes.txt").write_text("Quarterly plan\n" * 500)
    return (tmp / "notes.txt", f"SMARKETING_DB: {tmp / 'notes.txt'} is not a mirror (not a SQLite database), left "
            "as it is; point SMARKETING_DB at a mirror, or at a path where none exists yet", 2)


def another_programs_database(api: Any, tmp: Path) -> tuple[Path, str, int]:
    conn = sqlite3.connect(tmp / "app.db")
    conn.executescript("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); "
                       "INSERT INTO invoices VALUES (1, 99.5);")
    conn.close()
    return (tmp / "app.db", f"SMARKETING_DB: {tmp / 'app.db'} is a SQLite database, but not a mirror, left as it is; "
            "point SMARKETING_DB at a mirror, or at a path where none exists yet", 2)


def a_mirror_cut_short(api: Any, tmp: Path) -> tuple[Path, str, int]:
    path = a_mirror(api, tmp / "m.db")
    size = path.stat().st_size
    os.truncate(path, size // 2)
    return (path, f"Error: the mirror {path} is damaged: cut short, {size // 2:,} of the {size:,} bytes its header "
            "counts, left as it is; restore it from a backup, or move it away and run smarketing sync to build a "
            "new one", 1)


def a_mirror_cut_inside_its_header(api: Any, tmp: Path) -> tuple[Path, str, int]:
    path = a_mirror(api, tmp / "m.db")
    os.truncate(path, 60)
    return (path, f"Error: the mirror {path} is damaged: cut short at 60 bytes, inside its header, left as it is; "
            "restore it from a backup, or move it away and run smarketing sync to build a new one", 1)


BAD_PLACES: dict[str, Callable[[Any, Path], tuple[Path, str, int]]] = {
    "missing directory": missing_directory, "a directory": a_directory, "a text file": a_text_file,
    "another program's database": another_programs_database, "a mirror cut short": a_mirror_cut_short,
    "a mirror cut inside its header": a_mirror_cut_inside_its_header}


@pytest.mark.parametrize("place", BAD_PLACES)
def test_a_bad_place_for_the_mirror_is_one_line_and_touches_nothing(serve, tmp_path, place):
    api = serve()
    db, expected, status = BAD_PLACES[place](api, tmp_path)
    before = snapshot(tmp_path)
    done = smarketing(["sync"], api.url, db)
    assert (done.returncode, one_line(done)) == (status, expected)
    assert snapshot(tmp_path) == before, "a file was changed, or one was created"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_refuses_a_file_that_is_not_a_mirror_and_leaves_it_as_it_is(serve, tmp_path, command):
    api = serve()
    db, expected, status = another_programs_database(api, tmp_path)
    before = snapshot(tmp_path)
    done = smarketing(command, api.url, db)
    assert (done.returncode, one_line(done)) == (status, expected)
    assert snapshot(tmp_path) == before


def test_a_read_only_directory_for_a_new_mirror_is_one_line_exit_1(serve, tmp_path):
    api, folder = serve(), tmp_path / "ro"
    folder.mkdir()
    with read_only(folder) as reason:
        done = smarketing(["sync"], api.url, folder / "m.db")
        assert sorted(folder.iterdir()) == []
    assert (done.returncode, one_line(done)) == (1, f"Error: cannot write the mirror {folder / 'm.db'} or the files "
                                                    f"beside it in {folder} ({reason}); make {folder} writable for "
                                                    "this user, or point SMARKETING_DB elsewhere")


def test_a_mirror_in_a_directory_made_read_only_is_one_line_exit_1_and_stays_as_it_was(serve, tmp_path):
    api, folder = serve(), tmp_path / "ro"
    folder.mkdir()
    with writer_lock_file(a_mirror(api, folder / "m.db")):
        before = snapshot(folder)
        with read_only(folder):
            done = smarketing(["sync"], api.url, folder / "m.db")
            assert snapshot(folder) == before
    assert (done.returncode, one_line(done)) == (1, f"Error: cannot write the mirror {folder / 'm.db'} or the files "
                                                    f"beside it in {folder} (unable to open database file); make "
                                                    f"{folder} writable for this user, or point SMARKETING_DB "
                                                    "elsewhere")


@contextmanager
def writer_lock_file(db: Path) -> Iterator[None]:
    """The lock file a first sync leaves beside its mirror (the test's in-process sync took no lock)."""
    Path(f"{db}.lock").touch()
    yield


def test_a_full_disk_during_a_sync_is_one_line_and_the_next_sync_completes(serve, tmp_path):
    portal = load_portal(generate_portal(3_000, 600, 4))
    api = serve(portal)
    clean, db = tmp_path / "clean.db", tmp_path / "m.db"
    assert smarketing(["sync"], api.url, clean).returncode == 0
    conn = sqlite3.connect(clean)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    done = smarketing(["sync"], api.url, db, "-c", FULL_DISK, str(pages // 2))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert [line for line in lines if not LOG_LINE.match(line)] == [
        f"Error: the disk holding SMARKETING_DB ({db}) is full (database or disk is full); free some space and run "
        "again: what was committed is kept, and the next sync goes on from there"], "one line, and the run's log"
    with Mirror(db) as mirror:
        assert mirror.db.execute("SELECT count(*) FROM contacts").fetchone()[0] < len(portal.stores["contacts"].records)
    again = smarketing(["sync"], api.url, db)
    assert again.returncode == 0, again.stderr
    with Mirror(db) as mirror:
        assert_mirror_equals_portal(mirror, portal)
    assert_same(dump(db), dump(clean), "the mirror after a full disk")


def test_a_database_with_a_schema_version_but_no_mirror_tables_is_refused_unchanged(tmp_path):
    """The header cannot tell this one (it has a schema version, as mirrors do): opening does, before any write."""
    from sync.errors import BadMirrorPath

    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE invoices (id INTEGER PRIMARY KEY); PRAGMA user_version = 2;")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(BadMirrorPath, match="is a SQLite database, but not a mirror, left as it is"):
        Mirror(path)
    assert path.read_bytes() == before
