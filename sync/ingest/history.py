"""Lifecycle histories: read for the records a page queued in ``history_pending``, 50 a request.

A history is read only where a record's stage properties cannot tell its path (see ``mapping.needs_history``:
a stage above the current one, or a stage left and entered again): it halves the page size and search cannot
return it, so reading it for every contact would double the requests of a sync.
"""

from __future__ import annotations

from typing import Any

from connector import CRMClient

from ..storage import Mirror
from .mapping import BadRecord, Row, stage_evidence
from .streams import ObjectStream

HISTORY_BATCH = 50  # batch read's limit with propertiesWithHistory


def history_rows(contact_id: int, history: list[dict[str, Any]]) -> list[Row]:
    """Stage evidence from a contact's lifecyclestage history (entries that clear the stage carry none)."""
    record = {"properties": {}, "propertiesWithHistory": {"lifecyclestage": history}}
    return [{"contact_id": contact_id, "stage": stage, "entered_at": at, "evidence": kind}
            for stage, at, kind in stage_evidence(record)]


def read_histories(client: CRMClient, mirror: Mirror, stream: ObjectStream, at_least: int = 1) -> None:
    """Read the histories of queued records while at least ``at_least`` wait, each batch in its own transaction."""
    db = mirror.db
    while db.execute("SELECT count(*) FROM history_pending").fetchone()[0] >= at_least:
        ids = [r[0] for r in db.execute(f"SELECT contact_id FROM history_pending LIMIT {HISTORY_BATCH}")]
        read = client.batch_read(stream.name, [str(i) for i in ids], list(stream.history),
                                 history=list(stream.history))
        rows = []
        for record in read.records:
            try:
                history = (record.get("propertiesWithHistory") or {}).get("lifecyclestage") or []
                rows += history_rows(int(record["id"]), history)
            except (BadRecord, KeyError, TypeError, ValueError) as e:
                mirror.quarantine(stream.name, record, f"lifecycle history: {e}")
        marks = ",".join("?" * len(ids))
        with db.atomic():
            mirror.replace("contact_stage_history", f"evidence = 'history' AND contact_id IN ({marks})", ids, rows)
            db.execute(f"DELETE FROM history_pending WHERE contact_id IN ({marks})", ids)
