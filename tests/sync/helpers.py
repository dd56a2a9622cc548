"""Running a sync against an in-process sandbox, and comparing the mirror with the portal one field at a time."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from connector import HubSpotClient
from sync.ingest import SyncJob, SyncOptions, SyncResult
from sync.storage import Mirror

NO_LAG = {"search_lag_seconds": 0.0, "overlap_seconds": 0.0}


def fast_client(api: Any) -> HubSpotClient:
    return HubSpotClient(api.server.token, api.url)


def run_sync(api: Any, mirror: Mirror, **options: Any) -> SyncResult:
    return SyncJob(fast_client(api), mirror, SyncOptions(**{**NO_LAG, **options})).run()


def delete_for_good(api: Any, object_type: str, record_id: str) -> None:
    """A GDPR deletion: the record leaves the portal without passing the recycle bin. The sandbox has no API for
    it, so it is removed from the store, and the search cache forgets it as a write through the API would make it."""
    api.server.app.portal.stores[object_type].remove(record_id)
    api.server.app.search_cache.clear()


def _ts(value: str | None) -> str | None:
    if not value:
        return None
    from sync.ingest.mapping import timestamp
    return timestamp(value, "test")


def _num(value: str | None) -> float | None:
    return float(Decimal(value)) if value not in (None, "") else None


def _int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


# table -> (portal object type, [(column, portal property, conversion)])
CHECKED: dict[str, tuple[str, list[tuple[str, str, Callable[[str], Any]]]]] = {
    "contacts": ("contacts", [("email", "email", str), ("lifecyclestage", "lifecyclestage", str),
                              ("hubspot_owner_id", "hubspot_owner_id", _int),
                              ("hs_analytics_source", "hs_analytics_source", str),
                              ("hs_analytics_first_touch_converting_campaign",
                               "hs_analytics_first_touch_converting_campaign", str),
                              ("createdate", "createdate", _ts), ("lastmodifieddate", "lastmodifieddate", _ts)]),
    "deals": ("deals", [("dealstage", "dealstage", str), ("pipeline", "pipeline", str), ("amount", "amount", _num),
                        ("closedate", "closedate", _ts), ("hubspot_owner_id", "hubspot_owner_id", _int),
                        ("hs_is_closed_won", "hs_is_closed_won", lambda v: None if v is None else int(v == "true")),
                        ("hs_lastmodifieddate", "hs_lastmodifieddate", _ts)]),
    "companies": ("companies", [("name", "name", str), ("domain", "domain", str)]),
}


def assert_mirror_equals_portal(mirror: Mirror, portal: Any) -> None:
    """Every live and archived record of the portal is in the mirror with its fields; nothing else is."""
    db = mirror.db
    for table, (object_type, fields) in CHECKED.items():
        records = portal.stores[object_type].records
        rows = {r["id"]: r for r in db.query(f"SELECT * FROM {table} WHERE merged_into IS NULL"
                                             if table == "contacts" else f"SELECT * FROM {table}")}
        assert set(rows) == {int(i) for i in records}, f"{table}: ids differ"
        for record_id, record in records.items():
            row = rows[int(record_id)]
            assert row["archived"] == int(record.archived), f"{table} {record_id}: archived"
            for column, prop, convert in fields:
                raw = record.properties.get(prop)
                expected = None if raw in (None, "") else convert(raw)
                assert row[column] == expected, f"{table} {record_id}.{column}: {row[column]!r} != {expected!r}"
            assert json.loads(row["properties"]).get(fields[0][1]) == record.properties.get(fields[0][1])
    for engagement_type in ("calls", "emails", "meetings", "tasks"):
        records = portal.stores[engagement_type].records
        ids = {r[0] for r in db.execute("SELECT id FROM engagements WHERE type = ?", [engagement_type[:-1]])}
        assert ids == {int(i) for i in records}, f"{engagement_type}: ids differ"
    links = {(r[0], r[1]) for r in db.execute("SELECT deal_id, contact_id FROM deal_contacts")}
    expected = {(int(d.id), int(c)) for d in portal.stores["deals"].records.values()
                for c in d.associations.get("contacts", {})}
    assert links == expected, "deal_contacts differ"
