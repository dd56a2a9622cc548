"""Incremental reads through CRM search: every record modified in a time window, each exactly once.

Search refuses to page past 10,000 results, and its ``after`` offsets shift when records change while
we read. So this pages by key instead (API notes, section 4): ascending on the last-modified time from
a cursor, and, where more than a page of records share one millisecond (HubSpot's bulk jobs), through
that instant by object id. No query ever uses ``after``, so the cap is never reached and a record that
changes mid-read cannot make another one be skipped. Every filter on the last-modified time is GTE or
LTE: HubSpot does not document EQ on a datetime at millisecond precision, so an instant is GTE and LTE
on itself (API notes, section 1a).

The caller picks ``until_ms`` = sync start minus the search lag (``SMARKETING_SEARCH_LAG_SECONDS``) and
stores it as the next run's ``since_ms``: a record indexed late is then read by the next run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .errors import CRMError
from .limits import SEARCH_LIMIT

if TYPE_CHECKING:
    from .hubspot import HubSpotClient

LAST_MODIFIED = {"contacts": "lastmodifieddate"}  # every other type: "hs_lastmodifieddate"
ID = "hs_object_id"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def last_modified_property(object_type: str) -> str:
    return LAST_MODIFIED.get(object_type, "hs_lastmodifieddate")


@dataclass
class SearchPage:
    records: list[dict[str, Any]]  # search results as HubSpot returns them
    cursor_ms: int  # a safe resume point: every record modified before it has been yielded by now
    matching: int | None = None  # the query's total: records modified from this page's window start to the end


def parse_ms(text: str) -> int:
    """Epoch ms of HubSpot's ``2026-02-01T10:00:00.000Z`` (or of an epoch-ms string), exact to the ms."""
    if text.isdigit():
        return int(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MS


def modified_pages(client: HubSpotClient, object_type: str, since_ms: int, until_ms: int,
                   properties: list[str]) -> Iterator[SearchPage]:
    """Every record with ``since_ms <= last-modified <= until_ms``, once, in about one request per 200."""
    search = _Search(client, object_type, properties)
    cursor, seen = since_ms, set[str]()  # seen: ids already yielded whose last-modified is the cursor
    while cursor <= until_ms:
        results, done, total = search.page([search.filter("GTE", cursor), search.filter("LTE", until_ms)],
                                           search.lastmod)
        if not results:
            return
        stamps = [search.stamp(r) for r in results]
        if stamps[-1] < cursor:
            raise CRMError(f"search went back from {cursor} to {stamps[-1]}; stopping rather than loop",
                           endpoint="objects.search")
        fresh = [r for r, t in zip(results, stamps) if t > cursor or r["id"] not in seen]
        if stamps[-1] == cursor and not done:  # a full page within one millisecond: there may be more
            if fresh:
                yield SearchPage(fresh, cursor, total)
            yield from search.drain(cursor, seen | {r["id"] for r in fresh})
            cursor, seen = cursor + 1, set()
            continue
        if stamps[-1] > cursor:
            cursor, seen = stamps[-1], set()
        seen |= {r["id"] for r, t in zip(results, stamps) if t == cursor}
        if fresh:
            yield SearchPage(fresh, cursor, total)
        if done:
            return


class _Search:
    """The requests of one read: filters, the properties always asked for, and the end of a query."""

    def __init__(self, client: HubSpotClient, object_type: str, properties: list[str]) -> None:
        self.client, self.object_type = client, object_type
        self.lastmod = last_modified_property(object_type)
        self.properties = list(dict.fromkeys([*properties, self.lastmod, ID]))

    def filter(self, operator: str, value: int, name: str | None = None) -> dict[str, str]:
        return {"propertyName": name or self.lastmod, "operator": operator, "value": str(value)}

    def page(self, filters: list[dict[str, str]], sort: str) -> tuple[list[dict[str, Any]], bool, int | None]:
        """One page of a query, whether it was the query's last, and the query's total."""
        body = {"filterGroups": [{"filters": filters}], "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
                "properties": self.properties, "limit": SEARCH_LIMIT}
        answer = self.client.search(self.object_type, body)
        results, total = answer.get("results", []), answer.get("total")
        total = total if isinstance(total, int) else None
        last = len(results) < SEARCH_LIMIT or (total is not None and total <= len(results))
        return results, last, total

    def stamp(self, record: dict[str, Any]) -> int:
        value = (record.get("properties") or {}).get(self.lastmod)
        if not value:
            raise CRMError(f"{self.object_type} {record.get('id')} came back without {self.lastmod}",
                           endpoint="objects.search")
        return parse_ms(value)

    def drain(self, instant: int, seen: set[str]) -> Iterator[SearchPage]:
        """Every record last modified at ``instant``, by ascending id, skipping the ids in ``seen``."""
        last_id = 0
        while True:
            results, done, _ = self.page([self.filter("GTE", instant), self.filter("LTE", instant),
                                          self.filter("GT", last_id, ID)], ID)
            fresh = [r for r in results if r["id"] not in seen]
            if fresh:
                yield SearchPage(fresh, instant)
            if done:
                return
            if int(results[-1]["id"]) <= last_id:
                raise CRMError(f"search by id did not pass id {last_id} at {instant}; stopping rather than loop",
                               endpoint="objects.search")
            last_id = int(results[-1]["id"])
