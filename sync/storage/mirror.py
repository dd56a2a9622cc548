"""The SQLite mirror: opening (WAL, migrations), the portal guard, per-stream state, quarantine, deletion guards."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..errors import MirrorMissing, PortalMismatch
from ..secrets import redact
from .opening import check_location, refuse_foreign, sqlite_failure
from .schema import migrate

STATE_FIELDS = ("phase", "cursor_ms", "full_after", "full_started_ms", "full_pass", "full_live_count",
                "last_full_sync", "last_sync", "status", "error")
GUARD_FIELDS = ("stream", "would_delete", "seen", "expected", "keys_digest", "tripped_at", "trips", "message")


def iso(moment: datetime) -> str:
    """An aware datetime as the mirror stores instants: UTC ISO-8601 with milliseconds and ``Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_now() -> str:
    return iso(datetime.now(UTC))


@dataclass(frozen=True)
class DeletionGuard:
    """Deletions a full read held back because it could not prove them (README, "The mirror").

    While one is tripped, the mirror may lack deletions the CRM made, or keep records a glitch hid: nothing
    derived from it should be pushed. A later full read that proves its deletions, or
    ``smarketing sync --full --accept-deletions``, clears it.
    """

    stream: str  # an object stream, or a reference table (the pipelines stream has pipelines and pipeline_stages)
    would_delete: int  # mirrored records the read did not see
    seen: int  # live records the read stored (a reference table: the rows the CRM listed)
    expected: int  # what it had to see: the CRM's live count (a reference table: the rows mirrored)
    keys_digest: str  # sha256 of the keys that would go
    tripped_at: str  # when a full read last tripped it (UTC ISO-8601)
    trips: int  # full reads in a row that tripped it
    message: str  # the stream's clause of the run's error line


def _must_exist(path: str | Path) -> None:
    check_location(Path(path))
    if not Path(path).exists():
        raise MirrorMissing(f"{path} does not exist yet")


class Mirror:
    """An open mirror. Reads may run beside a sync (WAL); writes come from one worker at a time (see lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        check_location(self.path)
        self.db = Database(self.path)
        self._opening(self._open)

    def _opening(self, step: Callable[[], None]) -> None:
        """Run ``step`` on the just-opened handle: a SQLite error closes it and becomes the mirror's one-line error."""
        try:
            step()
        except sqlite3.Error as e:
            self.db.close()
            failure = sqlite_failure(e, self.path)
            if failure is None:
                raise
            raise failure from e

    def _open(self) -> None:
        # Autocommit outside db.atomic(): a write made alone commits at once, and a page's atomic() block is a
        # real transaction, never a savepoint inside an implicit one that commits who knows when.
        self.db.conn.isolation_level = None
        refuse_foreign(self.db, self.path)  # before WAL mode or a migration would change another program's file
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA busy_timeout = 10000")
        self.db.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable at each checkpoint, never corrupt
        # A checkpoint (and its fsync) per 32 MB of log, not per 4 MB: a full sync spent a sixth of its time there.
        self.db.execute("PRAGMA wal_autocheckpoint = 8192")
        migrate(self.db)

    @classmethod
    def existing(cls, path: str | Path) -> Mirror:
        """A mirror that a sync has already created; commands that only read or push never create one."""
        _must_exist(path)
        return cls(path)

    @classmethod
    def read_only(cls, path: str | Path) -> Mirror:
        """A mirror opened ``mode=ro``: nothing through this handle can write it, nor migrate it (the dashboard).

        Safe to share between threads when the caller serialises its use (one statement at a time)."""
        _must_exist(path)
        mirror = cls.__new__(cls)
        mirror.path = Path(path)
        uri = f"{mirror.path.resolve().as_uri().replace('file://', 'file:', 1)}?mode=ro"
        mirror.db = Database(sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None))
        def check() -> None:
            refuse_foreign(mirror.db, mirror.path)
            mirror.db.execute("PRAGMA busy_timeout = 10000")

        mirror._opening(check)
        return mirror

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        """Closes; a SQLite failure that ended the block (a full disk, say) leaves as the error of the tree it means."""
        self.close()
        failure = sqlite_failure(error, self.path) if isinstance(error, sqlite3.Error) else None
        if failure is not None:
            raise failure from error

    # -- facts about the portal --------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, **values: Any) -> None:
        self.upsert("meta", [{"key": k, "value": None if v is None else str(v)} for k, v in values.items()], ("key",))

    def check_portal(self, portal_id: str) -> None:
        """Refuse to mix two portals in one mirror; remember the first portal synced into it."""
        known = self.meta("portal_id")
        if known is not None and known != portal_id:
            raise PortalMismatch(f"{self.path} mirrors portal {known}, not portal {portal_id}; "
                                 "use another SMARKETING_DB for this portal")
        if known is None:
            self.set_meta(portal_id=portal_id)

    def lifecycle_order(self) -> dict[str, int]:
        rows = self.db.execute("SELECT value FROM lifecycle_stages ORDER BY display_order, value").fetchall()
        return {value: rank for rank, (value,) in enumerate(rows)}

    # -- writing rows ----------------------------------------------------------------------------

    def upsert(self, table: str, rows: list[dict[str, Any]], key: tuple[str, ...]) -> None:
        """Insert or update rows that share one set of columns, in one ``executemany`` (the sync's hot path)."""
        if not rows:
            return
        columns = list(rows[0])
        values = [c for c in columns if c not in key]
        updates = ", ".join(f"{c} = excluded.{c}" for c in values)
        # an unchanged row is left alone: no trigger fires, so the change counters and the funnel see only changes
        changed = f"({', '.join(values)}) IS NOT ({', '.join(f'excluded.{c}' for c in values)})"
        action = f"UPDATE SET {updates} WHERE {changed}" if updates else "NOTHING"
        self.db.conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT ({', '.join(key)}) DO {action}", [tuple(row[c] for c in columns) for row in rows])

    def replace(self, table: str, where: str, params: list[Any], rows: list[dict[str, Any]]) -> None:
        """The rows of ``table`` matching ``where`` become ``rows`` (one set of columns, all of them the key). A row
        that stays is left as it is: only real changes reach the triggers (change counters, the funnel's queue)."""
        if rows:
            columns = ", ".join(rows[0])
            staged = f"temp.staged_{table}"
            self.db.execute(f"CREATE TEMP TABLE IF NOT EXISTS staged_{table} AS SELECT {columns} FROM {table} WHERE 0")
            self.db.execute(f"DELETE FROM {staged}")
            self.db.conn.executemany(f"INSERT INTO {staged} VALUES ({', '.join('?' * len(rows[0]))})",
                                     [tuple(row[c] for c in rows[0]) for row in rows])
            where = f"({where}) AND ({columns}) NOT IN (SELECT {columns} FROM {staged})"
        self.db.execute(f"DELETE FROM {table} WHERE {where}", params)
        self.upsert(table, rows, tuple(rows[0]) if rows else ())

    # -- sync state ----------------------------------------------------------------------------

    def state(self, stream: str) -> dict[str, Any]:
        row = self.db.execute(f"SELECT {', '.join(STATE_FIELDS)} FROM sync_state WHERE stream = ?",
                              [stream]).fetchone()
        if row is None:
            return {"phase": "new", "cursor_ms": None, "full_after": None, "full_started_ms": None, "full_pass": 0,
                    "full_live_count": None, "last_full_sync": None, "last_sync": None, "status": None, "error": None}
        return dict(zip(STATE_FIELDS, row, strict=True))

    def save_state(self, stream: str, **fields: Any) -> None:
        unknown = set(fields) - set(STATE_FIELDS)
        if unknown:
            raise ValueError(f"unknown sync_state fields {sorted(unknown)}")
        self.upsert("sync_state", [{"stream": stream, **fields}], ("stream",))

    # -- quarantine ----------------------------------------------------------------------------

    def quarantine(self, stream: str, record: Any, reason: str, record_id: str | None = None) -> None:
        """Keep a record that cannot be typed, under its ``id`` (or ``record_id``), with the reason."""
        raw_id = record.get("id") if isinstance(record, dict) else None
        record_id = ("" if raw_id is None else str(raw_id))[:200] if record_id is None else record_id[:200]
        now = utc_now()
        # ASCII escapes keep even broken Unicode; a token the CRM echoed into a record is not kept
        payload = redact(json.dumps(record, ensure_ascii=True, default=str))
        self.db.execute(
            "INSERT INTO quarantine (stream, record_id, reason, payload, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (stream, record_id) DO UPDATE SET "
            "reason = excluded.reason, payload = excluded.payload, last_seen = excluded.last_seen",
            [stream, record_id, redact(reason), payload, now, now])

    def release(self, stream: str, record_ids: Iterable[Any]) -> None:
        """Records stored fine now leave quarantine."""
        ids = [str(i) for i in record_ids]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            self.db.execute(f"DELETE FROM quarantine WHERE stream = ? AND record_id IN ({','.join('?' * len(chunk))})",
                            [stream, *chunk])

    def quarantined(self) -> int:
        return self.db.execute("SELECT count(*) FROM quarantine").fetchone()[0]

    # -- deletion guards -------------------------------------------------------------------------

    def deletion_guards(self) -> list[DeletionGuard]:
        """Every tripped deletion guard, by stream; empty when every full read proved its deletions."""
        rows = self.db.execute(f"SELECT {', '.join(GUARD_FIELDS)} FROM deletion_guards ORDER BY stream").fetchall()
        return [DeletionGuard(*row) for row in rows]

    def deletion_guard(self, stream: str) -> DeletionGuard | None:
        """The stream's tripped guard, if any."""
        row = self.db.execute(f"SELECT {', '.join(GUARD_FIELDS)} FROM deletion_guards WHERE stream = ?",
                              [stream]).fetchone()
        return DeletionGuard(*row) if row else None

    def trip_deletion_guard(self, stream: str, *, would_delete: int, seen: int, expected: int, keys_digest: str,
                            message: str, at: str | None = None) -> DeletionGuard:
        """Record (or renew, one trip more) the guard of a full read that held its deletions back."""
        previous = self.deletion_guard(stream)
        guard = DeletionGuard(stream, would_delete, seen, expected, keys_digest, at or utc_now(),
                              previous.trips + 1 if previous else 1, message)
        self.upsert("deletion_guards", [dict(zip(GUARD_FIELDS, (getattr(guard, f) for f in GUARD_FIELDS),
                                                 strict=True))], ("stream",))
        return guard

    def clear_deletion_guard(self, stream: str) -> None:
        """A full read of the stream proved its deletions (or a person accepted them)."""
        self.db.execute("DELETE FROM deletion_guards WHERE stream = ?", [stream])
