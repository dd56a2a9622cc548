"""The HubSpot CRM client: one ``requests.Session``, paced, retried, counted.

It takes its token, base URL and API version as arguments and knows nothing of settings, the mirror
or KPIs. Reads are generators that hold one page at a time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import requests

from . import hubspot_search, hubspot_tasks, hubspot_writes
from .errors import CRMError, MalformedAnswer, TransportError, error_for, is_retriable, scrub, shaped, transport_cause
from .limits import ASSOCIATION_BATCH_LIMIT, BATCH_LIMIT, HISTORY_BATCH_LIMIT, HISTORY_PAGE_LIMIT, PAGE_LIMIT, chunks
from .pacing import Pacer
from .paths import Paths
from .retrying import RetryPolicy, never_applied, retrying
from .stats import ClientStats

DEFAULT_BASE_URL = "https://api.hubapi.com"
ENGAGEMENT_TYPES = ("calls", "emails", "meetings", "tasks")


def _user_agent() -> str:
    try:
        return f"smarketing-sync/{version('smarketing-sync')}"
    except PackageNotFoundError:
        return "smarketing-sync/dev"


@dataclass
class ApiResponse:
    status: int
    body: Any
    headers: Any


@dataclass
class Page:
    """One page of a list: its records, and the cursor that reads the next one (None after the last)."""

    records: list[dict[str, Any]]
    next_after: str | None


@dataclass
class BatchRead:
    records: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _next_after(body: dict[str, Any], endpoint: str) -> str | None:
    """The cursor of a list's next page (``paging.next.after``), None after the last page."""
    paging = shaped(body.get("paging") or {}, endpoint, lists=(), objects=("next",))
    after = (paging.get("next") or {}).get("after")
    if after is None or (isinstance(after, str | int) and not isinstance(after, bool)):
        return None if after is None else str(after)
    raise MalformedAnswer(f"the CRM's answer is not in HubSpot's shape: the paging cursor is {after!r}",
                          endpoint=endpoint)


class HubSpotClient:
    """A HubSpot CRM client.

    :param token: private-app token or service key; sent as a bearer token, never shown.
    :param base_url: ``https://api.hubapi.com``, or a sandbox's URL.
    :param api_version: ``v3`` or a date version such as ``2026-03``.
    :param timeout: (connect, read) seconds.
    :param daily_reserve: share of the daily quota left untouched for the portal's other integrations.
    :param time_zone: the account's time zone, for when the daily quota resets.
    :param search_per_second: searches a second the client allows itself (HubSpot allows 5 per account).
    :param sleep: how to wait (a fake in tests, so no test sleeps).
    """

    def __init__(self, token: str, base_url: str = DEFAULT_BASE_URL, *, api_version: str = "v3",
                 timeout: tuple[float, float] = (5.0, 30.0), session: requests.Session | None = None,
                 retry: RetryPolicy | None = None, daily_reserve: float = 0.2, time_zone: str = "UTC",
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 search_per_second: int | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.paths = Paths(api_version)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.stats = ClientStats()
        self.pacer = Pacer(daily_reserve=daily_reserve, time_zone=time_zone, clock=clock, sleep=sleep,
                           search_per_second=search_per_second)
        self._sleep = sleep
        self._session = session or requests.Session()
        self._transport = threading.Lock()  # one request at a time, also with a page read ahead in a thread
        self._secrets = (token,)  # taken out of any answer an error or a failed input is built from
        self._session.headers.update({"Authorization": f"Bearer {token}", "User-Agent": _user_agent(),
                                      "Accept": "application/json"})

    def __repr__(self) -> str:
        return f"HubSpotClient(base_url={self.base_url!r}, api_version={self.paths.version!r})"

    # -- transport ----------------------------------------------------------------------------

    def call(self, method: str, path: str, *, endpoint: str, params: dict[str, Any] | None = None,
             json: Any = None, search: bool = False, creates: bool = False) -> ApiResponse:
        """One API call, paced and retried; a typed :class:`CRMError` once retrying cannot help.

        A call that ``creates`` records is retried only where it was surely not applied (``never_applied``).
        """
        policy = retrying(self.retry, self._sleep, endpoint, lambda _: self.stats.retried(),
                          never_applied if creates else is_retriable)
        return policy(self._send, method, path, endpoint, params, json, search)

    def _send(self, method: str, path: str, endpoint: str, params: dict[str, Any] | None, json: Any,
              search: bool) -> ApiResponse:
        self.pacer.acquire(search)
        url = self.base_url + path
        try:
            with self._transport:
                response = self._session.request(method, url, params=params, json=json, timeout=self.timeout)
        except requests.RequestException as e:
            self.stats.record(endpoint, None, 0, 0)
            cause = transport_cause(e, url, self.timeout)  # names host and port only, never the query or headers
            message = cause if cause.startswith("no answer") else f"no answer: {cause}"
            raise TransportError(message, cause=cause, endpoint=endpoint) from None
        sent = len(response.request.body or b"") if response.request is not None else 0
        self.stats.record(endpoint, response.status_code, sent, len(response.content))
        self.pacer.observe(response.headers)
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = scrub(response.text, self._secrets)[:500]  # scrubbed before the cut, which could halve a token
            if response.status_code < 400:
                raise MalformedAnswer("the answer was not JSON", status=response.status_code,
                                      endpoint=endpoint) from None
        if response.status_code >= 400:
            raise error_for(response.status_code, body, response.headers, endpoint, self._secrets)
        if isinstance(body, dict) and body.get("errors"):  # a batch's per-input errors (207): failed outcomes
            body = scrub(body, self._secrets)
        return ApiResponse(response.status_code, body, response.headers)

    def get(self, path: str, endpoint: str, params: dict[str, Any] | None = None) -> Any:
        return self.call("GET", path, endpoint=endpoint, params=params).body

    # -- reading ------------------------------------------------------------------------------

    def pages(self, path: str, endpoint: str, params: dict[str, Any] | None = None,
              after: str | None = None) -> Iterator[Page]:
        """Pages of a list endpoint from ``after``, following ``paging.next.after`` until it is absent."""
        params = dict(params or {})
        seen: set[str] = set()
        while True:
            if after is not None:
                params["after"] = after
            body = shaped(self.get(path, endpoint, params), endpoint, objects=("paging",))
            after = _next_after(body, endpoint)
            yield Page(body.get("results") or [], after)
            if after is None:
                return
            if after in seen:
                raise CRMError(f"the API returned the paging cursor {after!r} twice", endpoint=endpoint)
            seen.add(after)

    def object_pages(self, object_type: str, properties: Iterable[str] | None = None, *,
                     history: Iterable[str] | None = None, associations: Iterable[str] | None = None,
                     archived: bool = False, after: str | None = None) -> Iterator[Page]:
        history = list(history or [])
        params: dict[str, Any] = {"limit": HISTORY_PAGE_LIMIT if history else PAGE_LIMIT,
                                  "archived": "true" if archived else "false"}
        for name, values in (("properties", properties), ("propertiesWithHistory", history),
                             ("associations", associations)):
            if values:
                params[name] = ",".join(values)
        return self.pages(self.paths.objects(object_type), "objects.list", params, after)

    def objects(self, object_type: str, properties: Iterable[str] | None = None, **options: Any
                ) -> Iterator[dict[str, Any]]:
        """Every record of a type, streamed page by page."""
        for page in self.object_pages(object_type, properties, **options):
            yield from page.records

    def modified_pages(self, object_type: str, since_ms: int, until_ms: int, properties: Iterable[str]
                       ) -> Iterator[hubspot_search.SearchPage]:
        """Records modified in [since_ms, until_ms], each exactly once, through search (see hubspot_search)."""
        return hubspot_search.modified_pages(self, object_type, since_ms, until_ms, list(properties))

    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """One search request (search has its own per-second budget)."""
        return shaped(self.call("POST", self.paths.search(object_type), endpoint="objects.search", json=body,
                                search=True).body, "objects.search")

    def live_count(self, object_type: str) -> int:
        """How many live records of the type there are: one search request, for its ``total``."""
        answer = self.search(object_type, {"filterGroups": [], "properties": ["hs_object_id"], "limit": 1})
        total = answer.get("total")
        if not isinstance(total, int):
            raise CRMError("the search answer had no total", endpoint="objects.search")
        return total

    def batch_read(self, object_type: str, ids: Iterable[str], properties: Iterable[str] | None = None, *,
                   history: Iterable[str] | None = None, id_property: str | None = None) -> BatchRead:
        """Records by id, 100 a call (50 with history); ids HubSpot does not know come back as ``missing``."""
        history, result = list(history or []), BatchRead()
        for chunk in chunks(list(ids), HISTORY_BATCH_LIMIT if history else BATCH_LIMIT):
            body: dict[str, Any] = {"inputs": [{"id": i} for i in chunk], "properties": list(properties or []),
                                    "propertiesWithHistory": history}
            if id_property:
                body["idProperty"] = id_property
            answer = shaped(self.call("POST", self.paths.batch(object_type, "read"), endpoint="objects.batch_read",
                                      json=body).body, "objects.batch_read", ("results", "errors"))
            result.records += answer.get("results", [])
            result.missing += [i for e in answer.get("errors", []) for i in (e.get("context") or {}).get("ids", [])]
        return result

    def associations(self, from_type: str, to_type: str, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Every associated id per record, through associations v4 batch read (1000 ids a call).

        An answer holds a limited number of links a record; a record with more carries its own
        ``paging.next.after``, which a later call sends beside its id until its links are all read.
        """
        linked: dict[str, list[dict[str, Any]]] = {}
        todo: list[dict[str, str]] = [{"id": i} for i in dict.fromkeys(str(i) for i in ids)]
        cursors: set[tuple[str, str]] = set()
        while todo:
            chunk, todo = todo[:ASSOCIATION_BATCH_LIMIT], todo[ASSOCIATION_BATCH_LIMIT:]
            answer = shaped(self.call("POST", self.paths.associations_batch_read(from_type, to_type),
                                      endpoint="associations.batch_read", json={"inputs": chunk}).body,
                            "associations.batch_read")
            for result in answer.get("results", []):
                record_id = str(result["from"]["id"])
                linked.setdefault(record_id, []).extend(result.get("to", []))
                after = ((result.get("paging") or {}).get("next") or {}).get("after")
                if after is not None:
                    if (record_id, after) in cursors:
                        raise CRMError(f"the API returned the paging cursor {after!r} of {from_type} {record_id} "
                                       "twice", endpoint="associations.batch_read")
                    cursors.add((record_id, after))
                    todo.append({"id": record_id, "after": str(after)})
        return linked

    def pipelines(self, object_type: str = "deals") -> list[dict[str, Any]]:
        return shaped(self.get(self.paths.pipelines(object_type), "pipelines.list"),
                      "pipelines.list").get("results") or []

    def owners(self, archived: bool = False) -> Iterator[dict[str, Any]]:
        params = {"limit": PAGE_LIMIT, "archived": "true" if archived else "false"}
        for page in self.pages(self.paths.owners(), "owners.list", params):
            yield from page.records

    def campaigns(self, properties: Iterable[str] = ()) -> Iterator[dict[str, Any]]:
        """Marketing campaigns with the named properties (their budget and spend: :meth:`campaign_budget_totals`).

        HubSpot answers an empty ``properties`` map for every campaign unless the properties are named.
        """
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        names = list(properties)
        if names:
            params["properties"] = ",".join(names)
        for page in self.pages(self.paths.campaigns(), "campaigns.list", params):
            yield from page.records

    def campaign_budget_totals(self, campaign_id: str) -> dict[str, Any]:
        """Budget and spend items with their totals and currency (amounts are JSON numbers here)."""
        return shaped(self.get(self.paths.campaign_budget_totals(campaign_id), "campaigns.budget_totals"),
                      "campaigns.budget_totals", ())

    def engagements(self, engagement_type: str, properties: Iterable[str] | None = None, **options: Any
                    ) -> Iterator[dict[str, Any]]:
        """Calls, emails, meetings or tasks, with the contacts and deals they are associated with."""
        if engagement_type not in ENGAGEMENT_TYPES:
            raise ValueError(f"engagement type must be one of {ENGAGEMENT_TYPES}")
        return self.objects(engagement_type, properties, associations=["contacts", "deals"], **options)

    def property_definitions(self, object_type: str) -> list[dict[str, Any]]:
        return shaped(self.get(self.paths.properties(object_type), "properties.list"),
                      "properties.list").get("results") or []

    def property_definition(self, object_type: str, name: str, *, archived: bool = False) -> dict[str, Any]:
        """One property; ``archived=True`` reads an archived one, which a plain read does not find."""
        params = {"archived": "true"} if archived else None
        return shaped(self.get(self.paths.property(object_type, name), "properties.read", params), "properties.read",
                      ("options",))

    def account_details(self) -> dict[str, Any]:
        return shaped(self.get(self.paths.account_details(), "account.details"), "account.details", ())

    # -- writing ------------------------------------------------------------------------------

    def batch_update(self, object_type: str, inputs: Sequence[tuple[str, dict[str, str | None]]]
                     ) -> list[hubspot_writes.WriteOutcome]:
        """Set properties by object id; one outcome per input, in input order (see hubspot_writes)."""
        return hubspot_writes.batch_update(self, object_type, inputs)

    def batch_upsert(self, object_type: str, inputs: Sequence[tuple[str, dict[str, str | None]]],
                     id_property: str) -> list[hubspot_writes.WriteOutcome]:
        """Create or update by a unique property's value; one outcome per input, in input order."""
        return hubspot_writes.batch_upsert(self, object_type, inputs, id_property)

    def create_tasks(self, tasks: Sequence[hubspot_tasks.NewTask],
                     key_of: Callable[[dict[str, Any]], str | None]) -> list[hubspot_writes.WriteOutcome]:
        """Tasks with their contact, 100 a call, never re-sent where one may exist (see hubspot_tasks)."""
        return hubspot_tasks.create_tasks(self, tasks, key_of)

    def update_tasks(self, inputs: Sequence[tuple[str, dict[str, str | None]]]) -> list[hubspot_writes.WriteOutcome]:
        return hubspot_tasks.update_tasks(self, inputs)

    def tasks_of_contacts(self, contact_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        return hubspot_tasks.tasks_of_contacts(self, contact_ids)

    def tasks_due_at(self, due: str) -> list[dict[str, Any]]:
        return hubspot_tasks.tasks_due_at(self, due)

    def ensure_property_group(self, object_type: str, name: str, label: str) -> hubspot_writes.EnsureReport:
        return hubspot_writes.ensure_property_group(self, object_type, name, label)

    def ensure_properties(self, object_type: str, definitions: Sequence[dict[str, Any]], *, create: bool = True
                          ) -> hubspot_writes.EnsureReport:
        return hubspot_writes.ensure_properties(self, object_type, definitions, create=create)

    def restore_property(self, object_type: str, name: str) -> dict[str, Any]:
        return hubspot_writes.restore_property(self, object_type, name)

    def ensure_schema(self, schema: dict[str, Any], *, create: bool = True
                      ) -> tuple[dict[str, Any], hubspot_writes.EnsureReport]:
        return hubspot_writes.ensure_schema(self, schema, create=create)
