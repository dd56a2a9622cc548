"""Tasks as HubSpot has them, checked with HubSpot's official SDK (``crm.objects.tasks``, validation on).

The SLA follow-up tasks (issue 18) are created by batch with an inline task->contact association (type 204),
read back, moved and completed by batch update, found by search once the index caught up, and refused
without ``hs_timestamp`` (the due date, required: API notes §13).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.objects import tasks as sdk_tasks

from tests.conftest import mini_portal_data
from tests.sandbox.test_sdk_conformance import error_body, sdk, strict

DUE = "2026-01-06T13:00:00.000Z"


def task_input(contact_id: str, key: str, **props: str) -> Any:
    association = strict(sdk_tasks.PublicAssociationsForObject, to=strict(sdk_tasks.PublicObjectId, id=contact_id),
                         types=[strict(sdk_tasks.AssociationSpec, association_category="HUBSPOT_DEFINED",
                                       association_type_id=204)])
    properties = {"hs_timestamp": DUE, "hs_task_subject": f"First follow-up due 14:00: {key}",
                  "hs_task_body": f"smarketing key: {key}", "hs_task_status": "NOT_STARTED",
                  "hs_task_priority": "HIGH", "hs_task_type": "CALL", "hubspot_owner_id": "9001", **props}
    return strict(sdk_tasks.SimplePublicObjectBatchInputForCreate, properties=properties, associations=[association],
                  object_write_trace_id=key)


def batch_create(client: HubSpot, inputs: list[Any]) -> Any:
    body = strict(sdk_tasks.BatchInputSimplePublicObjectBatchInputForCreate, inputs=inputs)
    return client.crm.objects.tasks.batch_api.create(batch_input_simple_public_object_batch_input_for_create=body)


@pytest.fixture
def portal(serve: Any) -> Any:
    return serve(mini_portal_data(5), search_lag=0.3)


def test_tasks_are_created_by_batch_with_their_contact_and_read_back(portal: Any) -> None:
    client = sdk(portal.url, portal.server.token)
    answer = batch_create(client, [task_input("1", "a"), task_input("2", "b")])
    assert answer.status == "COMPLETE" and len(answer.results) == 2
    by_key = {r.properties["hs_task_body"]: r for r in answer.results}
    task = client.crm.objects.tasks.basic_api.get_by_id(
        by_key["smarketing key: a"].id, properties=["hs_task_status", "hs_task_priority", "hs_task_type",
                                                     "hubspot_owner_id", "hs_timestamp"], associations=["contacts"])
    assert task.properties["hs_task_status"] == "NOT_STARTED" and task.properties["hs_task_priority"] == "HIGH"
    assert task.properties["hs_task_type"] == "CALL" and task.properties["hubspot_owner_id"] == "9001"
    assert task.properties["hs_timestamp"] == DUE
    assert [a.id for a in task.associations["contacts"].results] == ["1"]
    linked = portal("GET", "/crm/v4/objects/contacts/1/associations/tasks").json()["results"]
    assert [(str(r["toObjectId"]), [t["typeId"] for t in r["associationTypes"]]) for r in linked] == \
        [(by_key["smarketing key: a"].id, [203])]


def test_a_task_without_its_due_date_is_refused(portal: Any) -> None:
    client = sdk(portal.url, portal.server.token)
    with pytest.raises(sdk_tasks.ApiException) as refused:
        client.crm.objects.tasks.basic_api.create(strict(sdk_tasks.SimplePublicObjectInputForCreate, properties={
            "hs_task_subject": "no due date"}, associations=[]))
    assert refused.value.status == 400
    assert "hs_timestamp" in error_body(refused.value)["message"]
    answer = batch_create(client, [task_input("1", "a", hs_timestamp=""), task_input("2", "b")])  # traced inputs
    assert [r.properties["hs_task_body"] for r in answer.results] == ["smarketing key: b"]
    assert answer.errors[0].context == {"objectWriteTraceId": ["a"]}
    assert len(portal.server.app.portal.stores["tasks"].records) == 1


def test_tasks_move_and_complete_by_batch_update(portal: Any) -> None:
    client = sdk(portal.url, portal.server.token)
    created = batch_create(client, [task_input("1", "a")]).results[0]
    update = strict(sdk_tasks.SimplePublicObjectBatchInput, id=created.id,
                    properties={"hs_task_status": "COMPLETED", "hubspot_owner_id": "9001"})
    answer = client.crm.objects.tasks.batch_api.update(
        batch_input_simple_public_object_batch_input=strict(sdk_tasks.BatchInputSimplePublicObjectBatchInput,
                                                            inputs=[update]))
    assert answer.results[0].properties["hs_task_status"] == "COMPLETED"
    with pytest.raises(sdk_tasks.ApiException) as refused:  # not an option of hs_task_status
        client.crm.objects.tasks.basic_api.update(created.id, strict(
            sdk_tasks.SimplePublicObjectInput, properties={"hs_task_status": "DONE"}))
    assert refused.value.status == 400


def test_search_finds_a_task_by_its_due_date_only_after_the_index_lag(portal: Any) -> None:
    client = sdk(portal.url, portal.server.token)
    batch_create(client, [task_input("1", "a")])
    request = strict(sdk_tasks.PublicObjectSearchRequest, filter_groups=[strict(sdk_tasks.FilterGroup, filters=[
        strict(sdk_tasks.Filter, property_name="hs_timestamp", operator="GTE", value=DUE),
        strict(sdk_tasks.Filter, property_name="hs_timestamp", operator="LTE", value=DUE)])],
        properties=["hs_task_body"], sorts=[], limit=10, after=None)
    assert client.crm.objects.tasks.search_api.do_search(public_object_search_request=request).total == 0
    time.sleep(0.35)
    found = client.crm.objects.tasks.search_api.do_search(public_object_search_request=request)
    assert [r.properties["hs_task_body"] for r in found.results] == ["smarketing key: a"]


def test_write_requests_are_counted_by_route_and_object_type(portal: Any) -> None:
    client = sdk(portal.url, portal.server.token)
    batch_create(client, [task_input("1", "a")])
    routes = portal.stats()["requests_by_typed_route"]
    assert routes == {"POST /crm/v3/objects/tasks/batch/create": 1}


def test_a_slow_create_is_applied_before_its_answer_leaves(serve: Any) -> None:
    api = serve(mini_portal_data(3), slow_creates=0.5)
    client = sdk(api.url, api.server.token)
    started = time.monotonic()
    batch_create(client, [task_input("1", "a")])
    assert time.monotonic() - started >= 0.5
    assert len(api.server.app.portal.stores["tasks"].records) == 1
