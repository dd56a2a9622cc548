"""The deletion guard: a full read applies its deletions only where it has proven them.

An object stream (it has search) proves them by count: the live records the pass stored (or quarantined)
must reach the CRM's own live count, taken when the read started and, where that does not settle it, again
at its end (the lower of the two, since records deleted for good or merged during the read leave it), less
the records the recycle bin shows archived since the read started. A reference table (no search) proves a
drop of more than ``SMARKETING_MAX_DELETE_SHARE`` of its rows, or any drop to an empty list, by a second
read asking for exactly the same drop. ``smarketing sync --full --accept-deletions`` accepts any drop.

A drop not proven is held back (the upserts of what was read still apply), recorded in ``deletion_guards``,
and the run fails at its end with one line naming each stream (``DeletionsUnproven``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connector import CRMClient

from ..errors import DeletionsUnproven
from ..storage import DeletionGuard, Mirror, iso
from .streams import ObjectStream

log = logging.getLogger("smarketing.sync")

@dataclass(frozen=True)
class Unproven:
    """A drop a full read could not prove, before it is recorded."""

    stream: str
    would_delete: int
    seen: int
    expected: int
    keys_digest: str
    message: str


def keys_digest(keys: Iterable[Any]) -> str:
    """sha256 of a set of keys (ids, or tuples of key columns), whatever order they came in."""
    text = "\n".join(sorted(json.dumps(list(k) if isinstance(k, tuple) else k) for k in keys))
    return hashlib.sha256(text.encode()).hexdigest()


class DeletionGuards:
    """The checks of one run, and the guards it tripped (``tripped``; ``error()`` ends the run with them)."""

    def __init__(self, client: CRMClient, mirror: Mirror, *, max_share: float, accept: bool) -> None:
        self.client, self.mirror, self.max_share, self.accept = client, mirror, max_share, accept
        self.tripped: list[DeletionGuard] = []

    # -- object streams ----------------------------------------------------------------------------

    def count_at_start(self, stream: ObjectStream) -> int | None:
        """The CRM's live count for a full read about to start; None (no request) when the mirror holds none of
        the stream's rows, as then the read cannot delete anything."""
        where, params = stream.where()
        if self.mirror.db.execute(f"SELECT 1 FROM {stream.table} WHERE {where} LIMIT 1", params).fetchone() is None:
            return None
        return self.client.live_count(stream.name)

    def check_stream(self, stream: ObjectStream, state: dict[str, Any], gone: list[Any]) -> Unproven | None:
        """None when the full read in ``state`` may delete ``gone``; else what it could not prove."""
        if not gone or self.accept:
            return None
        db, where, params = self.mirror.db, *stream.where()
        since = iso_ms(state["full_started_ms"])
        stored = db.execute(f"SELECT count(*) FROM {stream.table} WHERE {where} AND full_pass = ? AND archived = 0"
                            f"{stream.survivors()}", [*params, state["full_pass"]]).fetchone()[0]
        # read, but not storable: they are in the CRM's count all the same
        quarantined = db.execute("SELECT count(*) FROM quarantine WHERE stream = ? AND last_seen >= ? "
                                 "AND coalesce(json_extract(payload, '$.archived'), 0) = 0",
                                 [stream.name, since]).fetchone()[0]
        archived = db.execute(f"SELECT count(*) FROM {stream.table} WHERE {where} AND full_pass = ? AND archived = 1 "
                              "AND archived_at >= ?", [*params, state["full_pass"], since]).fetchone()[0]
        seen = stored + quarantined
        counts = [] if state["full_live_count"] is None else [state["full_live_count"]]
        if not counts or seen < counts[0] - archived:  # the count at the end can only lower what must be seen
            counts.append(self.client.live_count(stream.name))
        expected = max(0, min(counts) - archived)
        if seen >= expected:
            return None
        return Unproven(stream.name, len(gone), seen, expected, keys_digest(gone),
                        f"{stream.name}: {len(gone)} records would go, but the read saw {seen} of the {expected} "
                        "live records the CRM counts")

    # -- reference tables --------------------------------------------------------------------------

    def check_table(self, table: str, existing: set[tuple[Any, ...]], gone: set[tuple[Any, ...]],
                    listed: int) -> Unproven | None:
        """None when a reference table may drop ``gone``: a small share of it, or the drop a previous read held."""
        if not gone or self.accept:
            return None
        if listed and len(gone) <= self.max_share * len(existing):
            return None
        digest = keys_digest(gone)
        previous = self.mirror.deletion_guard(table)
        if previous is not None and previous.keys_digest == digest:
            return None  # a second full read asks for exactly the same drop
        why = "the CRM listed none" if not listed else \
            f"more than SMARKETING_MAX_DELETE_SHARE ({self.max_share * 100:g}%) of them"
        return Unproven(table, len(gone), listed, len(existing), digest,
                        f"{table}: {len(gone)} of {len(existing)} rows would go, {why}")

    # -- both --------------------------------------------------------------------------------------

    def settle(self, stream: str, unproven: Unproven | None) -> DeletionGuard | None:
        """In the caller's transaction: trip the stream's guard (returned), or clear it when the read proved its
        deletions."""
        if unproven is None:
            self.mirror.clear_deletion_guard(stream)
            return None
        guard = self.mirror.trip_deletion_guard(
            stream, would_delete=unproven.would_delete, seen=unproven.seen, expected=unproven.expected,
            keys_digest=unproven.keys_digest, message=unproven.message)
        self.tripped.append(guard)
        log.warning("deletions held back: %s", guard.message)
        return guard

    def error(self) -> DeletionsUnproven | None:
        """The one error a run ends with when it held deletions back."""
        if not self.tripped:
            return None
        return DeletionsUnproven("deletions held back, as the full read could not prove them: "
                                 + "; ".join(guard.message for guard in self.tripped))


def iso_ms(ms: int | None) -> str:
    """An epoch-milliseconds instant as the mirror stores instants (the epoch when unknown)."""
    return iso(datetime.fromtimestamp((ms or 0) / 1000, UTC))
