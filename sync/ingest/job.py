"""``smarketing sync``: reference data, then each object stream, full or incremental, crash-safe.

Every page is written in one transaction together with its stream's new position (a list cursor
during a full read, a time cursor during incremental reads), so a run killed at any moment resumes
from its last committed page: nothing is lost, nothing doubled. A full read ends by deleting what it
did not see (records deleted for good, such as GDPR deletions), once the deletion guard agrees that
the read was complete (``deletions``); incremental reads cost requests in proportion to what changed,
plus the recycle bin (archived records) of each stream. They read up to the run's start and keep
their cursor the search lag behind it, so the next run reads that window again.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connector import CRMClient, read_ahead

from ..errors import StopRequested
from ..secrets import redact
from ..storage import Mirror, utc_now
from .deletions import DeletionGuards
from .history import HISTORY_BATCH, read_histories
from .reference import REFERENCE_STREAMS, ReferenceReader
from .streams import (
    OBJECT_STREAMS,
    ObjectStream,
    PageContext,
    links_cut_short,
    stream_properties,
    with_links,
    write_page,
)

log = logging.getLogger("smarketing.sync")

SEARCH_PAGE = 200  # records a search request returns
# A full read commits 25 list pages with the position after them: per-page commits cost a third of the
# time in log writes; a crash re-reads at most 24 pages.
PAGES_PER_COMMIT = 25
ALL_STREAMS = REFERENCE_STREAMS + tuple(OBJECT_STREAMS)


@dataclass
class SyncOptions:
    streams: tuple[str, ...] = ALL_STREAMS
    full: bool = False
    search_lag_seconds: float = 30.0
    overlap_seconds: float = 300.0
    full_reconcile_hours: float = 24.0
    extra_properties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    max_delete_share: float = 0.1  # of a reference table's rows, dropped without a second read agreeing
    accept_deletions: bool = False  # apply a full read's deletions even where the guard would hold them back
    named: tuple[str, ...] = ()  # streams the user asked for by name (not as all): one that is off is an error


@dataclass
class SyncResult:
    run_id: int
    records: Counter[str] = field(default_factory=Counter)
    pages: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    quarantined: int = 0
    requests: int = 0
    seconds: float = 0.0
    off: dict[str, str] = field(default_factory=dict)  # optional stream -> why the portal does not serve it


Progress = Callable[[str, int, int], None]  # (stream, pages, records) after each page


def _now_ms() -> int:
    return int(time.time() * 1000)


class SyncJob:
    def __init__(self, client: CRMClient, mirror: Mirror, options: SyncOptions | None = None,
                 progress: Progress | None = None, account: dict[str, Any] | None = None) -> None:
        self.client, self.mirror = client, mirror
        self.account = account  # the portal's account details, when the caller has read them already
        self.options = options or SyncOptions()
        self.progress = progress or (lambda stream, pages, records: None)
        known = REFERENCE_STREAMS + tuple(OBJECT_STREAMS)
        unknown = set(self.options.streams) - set(known)
        if unknown:
            raise ValueError(f"unknown streams {sorted(unknown)}; streams are {', '.join(known)}")
        self.guards = DeletionGuards(client, mirror, max_share=self.options.max_delete_share,
                                     accept=self.options.accept_deletions)
        self.started_ms = 0  # set by run(): incremental reads stop at the run's start

    def run(self) -> SyncResult:
        db, started, self.started_ms = self.mirror.db, time.monotonic(), _now_ms()
        # A run still "running" was killed (kill -9, a lost machine): no other writer runs beside this one.
        db.execute("UPDATE sync_runs SET status = 'interrupted' WHERE status = 'running'")
        run_id = db.execute("INSERT INTO sync_runs (started_at, mode, status) VALUES (?, ?, 'running')",
                            [utc_now(), "full" if self.options.full else "incremental"]).lastrowid
        result = SyncResult(int(run_id or 0))
        quarantined_before = self.mirror.quarantined()
        try:
            reference = ReferenceReader(self.client, self.mirror, result.records, self.guards, full=self.options.full,
                                        account=self.account, retry_hours=self.options.full_reconcile_hours,
                                        named=self.options.named)
            reference.read(self.options.streams)
            result.off = reference.off
            for name, stream in OBJECT_STREAMS.items():
                if name in self.options.streams:
                    self._object_stream(stream, result)
        except BaseException as e:
            self._finish(result, started, quarantined_before, error=f"{type(e).__name__}: {e}",
                         stopped=isinstance(e, StopRequested | KeyboardInterrupt))
            raise
        held = self.guards.error()  # every stream synced; the ones whose deletions were held back fail the run
        self._finish(result, started, quarantined_before, error=f"{type(held).__name__}: {held}" if held else None)
        if held:
            raise held
        return result

    def _finish(self, result: SyncResult, started: float, quarantined_before: int, error: str | None = None,
                stopped: bool = False) -> None:
        result.seconds = time.monotonic() - started
        result.quarantined = max(0, self.mirror.quarantined() - quarantined_before)
        stats = self.client.stats
        result.requests = stats.total_requests
        self.mirror.db.table("sync_runs").update(result.run_id, {
            "finished_at": utc_now(), "status": "stopped" if stopped else "failed" if error else "ok",
            "records": json.dumps(result.records),
            "requests": stats.total_requests, "retries": stats.retries, "rate_limited": stats.rate_limited,
            "quarantined": result.quarantined, "error": None if error is None else redact(error)})
        log.info("sync %s: %s records (%s), %d deleted, %d quarantined, %d requests, %d retries, %d 429s, %.1f s%s",
                 "failed" if error else "done", sum(result.records.values()),
                 ", ".join(f"{k} {v}" for k, v in result.records.items()) or "none", sum(result.deleted.values()),
                 result.quarantined, stats.total_requests, stats.retries, stats.rate_limited, result.seconds,
                 "".join(f"; {name} off: {reason}" for name, reason in result.off.items()))

    # -- object streams --------------------------------------------------------------------------

    def _object_stream(self, stream: ObjectStream, result: SyncResult) -> None:
        state = self.mirror.state(stream.name)
        if state["phase"] in ("new", "incremental") and (self.options.full or self._reconcile_due(stream, state)):
            state = self._start_full(stream, state)
        properties = stream_properties(stream, self.mirror.lifecycle_order(),
                                       self.options.extra_properties.get(stream.name, ()))
        ctx = PageContext(self.mirror.meta("currency"), order=self.mirror.lifecycle_order())
        if state["phase"] in ("full", "full_archived"):
            self._full(stream, state, properties, ctx, result)
        else:
            self._incremental(stream, state, properties, ctx, result)
        if stream.history:
            read_histories(self.client, self.mirror, stream)

    def _reconcile_due(self, stream: ObjectStream, state: dict[str, Any]) -> bool:
        """A full read is due: a first one, the reconcile's hour, or a guard a single full read tripped (a glitch
        that the next read clears; a second trip waits for the reconcile or a person)."""
        if state["phase"] == "new" or not state["last_full_sync"]:
            return True
        guard = self.mirror.deletion_guard(stream.name)
        if guard is not None and guard.trips == 1:
            return True
        last = datetime.fromisoformat(state["last_full_sync"].replace("Z", "+00:00"))
        return datetime.now(UTC) - last >= timedelta(hours=self.options.full_reconcile_hours)

    def _start_full(self, stream: ObjectStream, state: dict[str, Any]) -> dict[str, Any]:
        """A new full pass, with the CRM's live count its deletions will be checked against."""
        fields = {"phase": "full", "full_after": None, "full_pass": state["full_pass"] + 1,
                  "full_started_ms": _now_ms() - int(self.options.search_lag_seconds * 1000),
                  "full_live_count": self.guards.count_at_start(stream), "status": "running"}
        self.mirror.save_state(stream.name, **fields)
        return {**state, **fields}

    def _full(self, stream: ObjectStream, state: dict[str, Any], properties: list[str], ctx: PageContext,
              result: SyncResult) -> None:
        """The live records, then the recycle bin; every 25 pages commit with where the read goes on.

        The last page of each list commits the next phase with it, and ``full_after = ""`` marks the
        recycle bin as read, so a crash at any point never restarts a list from its beginning.
        """
        ctx.full_pass = state["full_pass"]
        for phase, archived, following in (("full", False, "full_archived"), ("full_archived", True, "full_archived")):
            if (state["phase"], phase) == ("full_archived", "full") or state["full_after"] == "":
                continue
            pages = iter(read_ahead(self._whole_links(stream, self.client.object_pages(
                stream.name, properties, associations=stream.associations, archived=archived,
                after=state["full_after"]))))
            for page in pages:
                with self.mirror.db.atomic():
                    stored, count = write_page(self.mirror, stream, page.records, ctx), 1
                    while page.next_after is not None and count < PAGES_PER_COMMIT:
                        page = next(pages)
                        stored, count = stored + write_page(self.mirror, stream, page.records, ctx), count + 1
                    if page.next_after is not None:
                        self.mirror.save_state(stream.name, phase=phase, full_after=page.next_after)
                    else:
                        self.mirror.save_state(stream.name, phase=following, full_after="" if archived else None)
                self._written(stream, stored, count, result)
            state = {**state, "phase": "full_archived", "full_after": "" if archived else None}
        gone = self._unseen(stream, state["full_pass"])
        unproven = self.guards.check_stream(stream, state, gone)
        with self.mirror.db.atomic():
            guard = self.guards.settle(stream.name, unproven)
            if guard is None:
                result.deleted[stream.name] += self._delete(stream, gone)
            # a first trip leaves last_full_sync, so the next run reads the stream whole again
            last_full = {"last_full_sync": utc_now()} if guard is None or guard.trips > 1 else {}
            self.mirror.save_state(stream.name, phase="incremental", full_after=None, full_live_count=None,
                                   cursor_ms=state["full_started_ms"], last_sync=utc_now(), status="ok", error=None,
                                   **last_full)

    def _incremental(self, stream: ObjectStream, state: dict[str, Any], properties: list[str], ctx: PageContext,
                     result: SyncResult) -> None:
        """Changes up to the run's start; the cursor stays the search lag behind it (never further), so a change
        made before the run is read by it, and one the index showed late by the next run."""
        until = self.started_ms
        settled = until - int(self.options.search_lag_seconds * 1000)  # what search has surely indexed
        since = max(0, state["cursor_ms"] - int(self.options.overlap_seconds * 1000))
        cursor = state["cursor_ms"]
        for page in self.client.modified_pages(stream.name, since, until, properties):
            if cursor == state["cursor_ms"] and self._full_read_cheaper(stream, page.matching):
                log.info("%s: %s records changed, reading them all is cheaper than searching", stream.name,
                         page.matching)
                self._full(stream, self._start_full(stream, state), properties, ctx, result)
                return
            for to_type in stream.associations:
                ids = [str(r.get("id")) for r in page.records]
                with_links(page.records, stream.name, to_type, self.client.associations(stream.name, to_type, ids))
            cursor = max(cursor, min(page.cursor_ms, settled))
            self._write(stream, page.records, ctx, result, cursor_ms=cursor)
        if not self._nothing_archived(stream):
            for page in self._whole_links(stream, self.client.object_pages(
                    stream.name, properties, associations=stream.associations, archived=True)):
                self._write(stream, page.records, ctx, result)
        self.mirror.save_state(stream.name, cursor_ms=max(cursor, settled), last_sync=utc_now(), status="ok",
                               error=None)

    def _whole_links(self, stream: ObjectStream, pages: Iterator[Any]) -> Iterator[Any]:
        """List pages whose records carry all their links: where HubSpot cut a record's inline associations
        short (100 a type, with ``paging``), that record's links are read whole through associations v4."""
        for page in pages:
            for to_type in stream.associations:
                cut = [str(r.get("id")) for r in page.records if links_cut_short(r, to_type)]
                if cut:
                    links = self.client.associations(stream.name, to_type, cut)
                    with_links([r for r in page.records if str(r.get("id")) in links], stream.name, to_type,
                               links)
            yield page

    def _full_read_cheaper(self, stream: ObjectStream, changed: int | None) -> bool:
        """True when a full read costs fewer requests than searching ``changed`` records (after a first push, say).

        Search: a request per 200 records, plus association reads of 100 ids per linked type. A full read:
        a list request per 100 live and archived records, associations inline.
        """
        if not changed:
            return False
        search = math.ceil(changed / SEARCH_PAGE) + math.ceil(changed / 100) * len(stream.associations)
        where, params = stream.where()
        records = self.mirror.db.execute(f"SELECT count(*) FROM {stream.table} WHERE {where}", params).fetchone()[0]
        return math.ceil(records / 100) + 1 < search

    def _nothing_archived(self, stream: ObjectStream) -> bool:
        """True when the portal has as many live records as the mirror: the recycle bin needs no reading.

        One search request instead of every page of the bin. A record archived within the search lag
        is still counted, and is caught by the next run; a count that differs for any other reason
        (records created since the cursor, deleted for good) only means the bin is read.
        """
        where, params = stream.where()
        mirrored = self.mirror.db.execute(f"SELECT count(*) FROM {stream.table} WHERE {where} AND archived = 0"
                                          f"{stream.survivors()}", params).fetchone()[0]
        return self.client.live_count(stream.name) == mirrored

    def _write(self, stream: ObjectStream, records: list[dict[str, Any]], ctx: PageContext, result: SyncResult,
               **state: Any) -> None:
        """One page and the stream's new position, in one transaction."""
        with self.mirror.db.atomic():
            stored = write_page(self.mirror, stream, records, ctx)
            if state:
                self.mirror.save_state(stream.name, **state)
        self._written(stream, stored, 1, result)

    def _written(self, stream: ObjectStream, stored: int, pages: int, result: SyncResult) -> None:
        """After a commit: the histories it queued, the counts, and the progress callback (where a stop lands)."""
        if stream.history:
            read_histories(self.client, self.mirror, stream, at_least=HISTORY_BATCH)
        result.records[stream.name] += stored
        result.pages[stream.name] += pages
        self.progress(stream.name, result.pages[stream.name], result.records[stream.name])

    def _unseen(self, stream: ObjectStream, full_pass: int) -> list[Any]:
        """After a complete full read: the ids it did not see (merged records stay), gone from the portal once the
        deletion guard agrees."""
        scope, params = stream.where()
        return [r[0] for r in self.mirror.db.execute(
            f"SELECT id FROM {stream.table} WHERE {scope} AND full_pass < ?{stream.survivors()}", [*params, full_pass])]

    def _delete(self, stream: ObjectStream, gone: list[Any]) -> int:
        """Delete records with their child rows, the rows that go with them and their quarantine entries."""
        db = self.mirror.db
        scope, params = stream.where()
        for start in range(0, len(gone), 500):
            chunk = gone[start:start + 500]
            marks = ",".join("?" * len(chunk))
            db.execute(f"DELETE FROM {stream.table} WHERE {scope} AND id IN ({marks})", [*params, *chunk])
            for child in stream.children:
                where, values = (scope, params) if child.scoped else ("1 = 1", [])
                db.execute(f"DELETE FROM {child.table} WHERE {where} AND {child.column} IN ({marks})",
                           [*values, *chunk])
            for table, column in stream.also_deleted:
                db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
            db.execute(f"DELETE FROM quarantine WHERE stream = ? AND record_id IN ({marks})",
                       [stream.name, *[str(i) for i in chunk]])
        return len(gone)
