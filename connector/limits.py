"""HubSpot's size limits per call (API notes, sections 1a and 3-5), and the chunking that respects them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

PAGE_LIMIT = 100  # list endpoints
HISTORY_PAGE_LIMIT = 50  # list endpoints asked for propertiesWithHistory
SEARCH_LIMIT = 200
BATCH_LIMIT = 100
HISTORY_BATCH_LIMIT = 50  # batch read with propertiesWithHistory
ASSOCIATION_BATCH_LIMIT = 1000  # associations v4 batch read (API notes, section 1a)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
