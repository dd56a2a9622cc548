"""Records of each type in last-modified order, so a search bounded on that time reads a slice, not the portal.

An incremental sync pages by key: every page is a new query ``last-modified GTE cursor AND LTE until``, and at
a million contacts a scan of every record per page would make the sandbox the slowest part of a sync. The index
only narrows the records a search looks at (a search's own filters still decide), so answers are unchanged.
It is rebuilt on the first search after the portal's writes (or its records' additions and removals) moved on,
parsing again only the last-modified texts that differ from the ones it parsed before.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Collection
from typing import Any

from .portal import Portal, last_modified_property
from .records import Record, ms_from_text

_LOWER, _UPPER = ("GTE", "GT"), ("LTE", "LT")


class _TypeIndex:
    def __init__(self) -> None:
        self.times: list[int] = []  # last-modified ms, ascending (ties by id)
        self.records: list[Record] = []  # in the same order
        self.known: dict[str, tuple[str | None, int | None]] = {}  # id -> (text, ms) as indexed
        self.state: tuple[int, int] = (-1, -1)  # the portal's writes and the store's changes it was built at


class ModifiedIndex:
    def __init__(self) -> None:
        self._types: dict[str, _TypeIndex] = {}

    def candidates(self, portal: Portal, object_type: str, body: dict[str, Any]) -> Collection[Record] | None:
        """The records a search can match, or None when its filters do not bound the last-modified time."""
        bounds = _bounds(body, last_modified_property(object_type))
        if bounds is None:
            return None
        index = self._built(portal, object_type)
        low, high = bounds
        start = 0 if low is None else bisect_left(index.times, low)
        end = len(index.times) if high is None else bisect_right(index.times, high)
        return index.records[start:end]

    def _built(self, portal: Portal, object_type: str) -> _TypeIndex:
        index, store = self._types.setdefault(object_type, _TypeIndex()), portal.stores[object_type]
        state = (portal.writes, store.changes)
        if index.state == state:
            return index
        name, known = last_modified_property(object_type), index.known
        rows: list[tuple[int, int, Record]] = []
        seen: dict[str, tuple[str | None, int | None]] = {}
        for record_id, record in store.records.items():
            value = record.properties.get(name)
            text, ms = known.get(record_id, (None, None))
            if value != text or value is None:
                ms = ms_from_text(value) if value else None
            seen[record_id] = (value, ms)
            if ms is not None:
                rows.append((ms, int(record_id), record))
        rows.sort(key=lambda row: (row[0], row[1]))
        index.times, index.records = [row[0] for row in rows], [row[2] for row in rows]
        index.known, index.state = seen, state
        return index


def _bounds(body: dict[str, Any], name: str) -> tuple[int | None, int | None] | None:
    """(lowest, highest) last-modified ms every match must lie within, from a search of one group of filters."""
    groups, filters = body.get("filterGroups"), body.get("filters")
    chosen: Any
    if filters and not groups and isinstance(filters, list):
        chosen = filters
    elif isinstance(groups, list) and len(groups) == 1 and isinstance(groups[0], dict) and not filters:
        chosen = groups[0].get("filters")
    else:
        return None
    low = high = None
    for f in chosen if isinstance(chosen, list) else ():
        if not isinstance(f, dict) or f.get("propertyName") != name or f.get("operator") not in _LOWER + _UPPER:
            continue
        ms = ms_from_text(str(f.get("value", "")))
        if ms is None:
            return None  # the search itself answers the bad value
        if f["operator"] in _LOWER:
            low = ms if low is None else max(low, ms)
        else:
            high = ms if high is None else min(high, ms)
    return None if low is None and high is None else (low, high)
