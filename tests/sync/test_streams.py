"""A new object stream is one entry in OBJECT_STREAMS plus its mapping: the job, the deletions, the recycle bin and
the child rows need nothing else.

The stream added here is HubSpot's notes, into the engagements table beside calls and emails (type ``note``),
with its contacts as child rows, and with its mapping written in this file: no module of the project changes.
"""

from __future__ import annotations

from typing import Any

from sync.ingest import ALL_STREAMS, OBJECT_STREAMS
from sync.ingest.mapping import linked_ids, object_id, timestamp
from sync.ingest.streams import Child, ObjectStream
from sync.storage import Mirror
from tests.conftest import T0, mini_portal_data
from tests.sync.helpers import delete_for_good, run_sync


def note_row(record: dict[str, Any]) -> dict[str, Any]:
    """The mapping of the new stream: a HubSpot note as a row of the engagements table."""
    p = record["properties"]
    contacts = linked_ids(record, "contacts")
    return {"id": object_id(record["id"]), "type": "note", "hs_timestamp": timestamp(p.get("hs_timestamp"), "ts"),
            "hubspot_owner_id": object_id(p.get("hubspot_owner_id")), "contact_id": contacts[0] if contacts else None,
            "direction": None, "outcome": None, "title": (p.get("hs_note_body") or "")[:80],
            "createdate": timestamp(record.get("createdAt"), "createdAt"),
            "hs_lastmodifieddate": timestamp(record.get("updatedAt"), "updatedAt"),
            "archived": int(bool(record.get("archived"))), "archived_at": None, "properties": "{}"}


NOTES = ObjectStream(
    "notes", "engagements", ("hs_timestamp", "hs_note_body", "hubspot_owner_id"), ("contacts",),
    lambda record, ctx: note_row(record), key=("type", "id"), scope=(("type", "note"),),
    children=(Child("engagement_contacts", "engagement_id",
                    lambda record, row: [{"type": "note", "engagement_id": row["id"], "contact_id": c}
                                         for c in linked_ids(record, "contacts")], scoped=True),))


def note(i: int, contact: int) -> dict[str, Any]:
    return {"id": str(i), "properties": {"hs_timestamp": T0, "hs_note_body": f"Spoke about pricing ({i})",
                                         "hubspot_owner_id": "9001"},
            "createdAt": T0, "updatedAt": T0, "archived": False,
            "associations": {"contacts": {"results": [{"id": str(contact), "type": "note_to_contact"}]}}}


def test_a_stream_added_as_one_entry_and_its_mapping_syncs_full_incremental_and_deletions(
        serve, tmp_path, monkeypatch):
    monkeypatch.setitem(OBJECT_STREAMS, "notes", NOTES)
    data = mini_portal_data()
    data["notes"] = [note(701, 3), note(702, 4), note(703, 5)]
    data["calls"] = [{**note(701, 3), "properties": {"hs_timestamp": T0, "hs_call_direction": "OUTBOUND"},
                      "associations": {"contacts": {"results": [{"id": "3", "type": "call_to_contact"}]}}}]
    api = serve(data)
    streams = (*ALL_STREAMS, "notes")
    with Mirror(tmp_path / "m.db") as mirror:
        first = run_sync(api, mirror, streams=streams)
        assert first.records["notes"] == 3
        db = mirror.db
        assert db.execute("SELECT id, contact_id, title FROM engagements WHERE type = 'note' ORDER BY id").fetchall() \
            == [(701, 3, "Spoke about pricing (701)"), (702, 4, "Spoke about pricing (702)"),
                (703, 5, "Spoke about pricing (703)")]
        assert db.execute("SELECT engagement_id, contact_id FROM engagement_contacts WHERE type = 'note' "
                          "ORDER BY 1").fetchall() == [(701, 3), (702, 4), (703, 5)]
        # the call with the same id is another stream's row of the same table, untouched by the notes'
        assert db.execute("SELECT count(*) FROM engagements WHERE type = 'call' AND id = 701").fetchone() == (1,)

        # incremental: an archived note is marked, through the stream's own scope
        assert api("DELETE", "/crm/v3/objects/notes/702").status_code == 204
        run_sync(api, mirror, streams=streams)
        assert db.execute("SELECT id, archived FROM engagements WHERE type = 'note' ORDER BY id").fetchall() \
            == [(701, 0), (702, 1), (703, 0)]

        # a full read: a note deleted for good goes with its child rows; the call of the same id stays
        delete_for_good(api, "notes", "703")
        run_sync(api, mirror, streams=streams, full=True)
        assert db.execute("SELECT id FROM engagements WHERE type = 'note' ORDER BY id").fetchall() == [(701,), (702,)]
        assert db.execute("SELECT engagement_id FROM engagement_contacts WHERE type = 'note' ORDER BY 1").fetchall() \
            == [(701,), (702,)]
        assert db.execute("SELECT count(*) FROM engagements WHERE type = 'call' AND id = 701").fetchone() == (1,)
