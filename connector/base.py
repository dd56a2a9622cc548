"""The interface the worker uses, so a second CRM could be added beside HubSpot without touching sync/.

:class:`~connector.hubspot.HubSpotClient` implements it; records, pages and outcomes keep HubSpot's
shapes, which the mirror maps to its tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from .hubspot_search import SearchPage
from .hubspot_writes import EnsureReport, WriteOutcome
from .stats import ClientStats


class CRMClient(Protocol):
    stats: ClientStats

    def object_pages(self, object_type: str, properties: Iterable[str] | None = None, *,
                     history: Iterable[str] | None = None, associations: Iterable[str] | None = None,
                     archived: bool = False, after: str | None = None) -> Iterator[Any]: ...

    def modified_pages(self, object_type: str, since_ms: int, until_ms: int,
                       properties: Iterable[str]) -> Iterator[SearchPage]: ...

    def live_count(self, object_type: str) -> int: ...

    def batch_read(self, object_type: str, ids: Iterable[str], properties: Iterable[str] | None = None, *,
                   history: Iterable[str] | None = None, id_property: str | None = None) -> Any: ...

    def associations(self, from_type: str, to_type: str, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]: ...

    def pipelines(self, object_type: str = "deals") -> list[dict[str, Any]]: ...

    def owners(self, archived: bool = False) -> Iterator[dict[str, Any]]: ...

    def campaigns(self, properties: Iterable[str] = ()) -> Iterator[dict[str, Any]]: ...

    def campaign_budget_totals(self, campaign_id: str) -> dict[str, Any]: ...

    def engagements(self, engagement_type: str, properties: Iterable[str] | None = None,
                    **options: Any) -> Iterator[dict[str, Any]]: ...

    def property_definitions(self, object_type: str) -> list[dict[str, Any]]: ...

    def property_definition(self, object_type: str, name: str, *, archived: bool = False) -> dict[str, Any]: ...

    def account_details(self) -> dict[str, Any]: ...

    def batch_update(self, object_type: str,
                     inputs: Sequence[tuple[str, dict[str, str | None]]]) -> list[WriteOutcome]: ...

    def batch_upsert(self, object_type: str, inputs: Sequence[tuple[str, dict[str, str | None]]],
                     id_property: str) -> list[WriteOutcome]: ...

    def ensure_property_group(self, object_type: str, name: str, label: str) -> EnsureReport: ...

    def ensure_properties(self, object_type: str, definitions: Sequence[dict[str, Any]], *,
                          create: bool = True) -> EnsureReport: ...

    def restore_property(self, object_type: str, name: str) -> dict[str, Any]: ...

    def ensure_schema(self, schema: dict[str, Any], *, create: bool = True) -> tuple[dict[str, Any], EnsureReport]: ...
