"""HubSpot tasks: batch create with the contact association, update, and the two ways to find one again.

HubSpot has no idempotent create for tasks (API notes §13): a create re-sent makes a second task. So a create
is never retried where it may have been applied (``HubSpotClient.call(creates=True)``), and a caller whose
create's outcome is unknown looks instead: through the contact's task associations (made with the task, in the
same call), or through a search on the due date once the search index has caught up (``search_lag``).
What a task carries to be recognised (a key in its body) is the caller's business: this module only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import shaped
from .hubspot_writes import WriteOutcome, _Input, _write
from .limits import SEARCH_LIMIT

if TYPE_CHECKING:
    from .hubspot import HubSpotClient

TASK_TO_CONTACT = 204  # HUBSPOT_DEFINED association type (API notes §9); contact -> task is 203
TASK_PROPERTIES = ("hs_timestamp", "hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_priority",
                   "hs_task_type", "hubspot_owner_id")


@dataclass(frozen=True)
class NewTask:
    key: str  # the caller's key: sent as the input's objectWriteTraceId, and the key of its outcome
    contact_id: str
    properties: dict[str, str]


def create_tasks(client: HubSpotClient, tasks: Sequence[NewTask],
                 key_of: Callable[[dict[str, Any]], str | None]) -> list[WriteOutcome]:
    """Create tasks, each associated with its contact, 100 a call; one outcome per input, in input order.

    A result is matched by its trace id, else by ``key_of(result)`` (the key the task carries). An input with
    neither a result nor an error has an unknown outcome (``category`` None): it may exist, so look before
    sending it again. A call that failed in transit raises, every outcome unknown.
    """
    prepared = [_Input(t.key, {"properties": t.properties, "objectWriteTraceId": t.key, "associations": [
        {"to": {"id": t.contact_id},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": TASK_TO_CONTACT}]}]})
        for t in tasks]
    return _write(client, "tasks", "create", prepared, key_of)


def update_tasks(client: HubSpotClient, inputs: Sequence[tuple[str, dict[str, str | None]]]) -> list[WriteOutcome]:
    """Change tasks by id (owner, status, body); an update is idempotent, so retried as any other."""
    return client.batch_update("tasks", inputs)


def tasks_of_contacts(client: HubSpotClient, contact_ids: Iterable[str],
                      properties: Iterable[str] = TASK_PROPERTIES) -> dict[str, list[dict[str, Any]]]:
    """Contact id -> the live tasks associated with it, read with ``properties``."""
    asked = [str(i) for i in contact_ids]
    linked = client.associations("contacts", "tasks", asked)
    task_ids = {str(link.get("toObjectId")): contact for contact, links in linked.items() for link in links}
    found: dict[str, list[dict[str, Any]]] = {contact: [] for contact in asked}
    if task_ids:
        for record in client.batch_read("tasks", list(task_ids), list(properties)).records:
            found.setdefault(task_ids[str(record.get("id"))], []).append(record)
    return found


def tasks_due_at(client: HubSpotClient, due: str, properties: Iterable[str] = TASK_PROPERTIES
                 ) -> list[dict[str, Any]]:
    """Every task due at the instant ``due`` (GTE and LTE on it: EQ on a datetime is not documented, §1a).

    Search sees a write only once its index caught up: a caller trusts an empty answer only for a create
    sent at least the search lag before the search.
    """
    body: dict[str, Any] = {"filterGroups": [{"filters": [
        {"propertyName": "hs_timestamp", "operator": "GTE", "value": due},
        {"propertyName": "hs_timestamp", "operator": "LTE", "value": due}]}],
        "properties": list(properties), "limit": SEARCH_LIMIT, "sorts": [
        {"propertyName": "hs_object_id", "direction": "ASCENDING"}]}
    found: list[dict[str, Any]] = []
    while True:
        answer = client.search("tasks", body)
        found += shaped(answer, "objects.search", ("results",)).get("results") or []
        after = ((answer.get("paging") or {}).get("next") or {}).get("after")
        if after is None or len(found) >= 10_000:  # search pages no further than 10,000 results
            return found
        body["after"] = str(after)
