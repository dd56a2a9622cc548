"""Portals for the SLA task tests: MQL hand-offs at chosen instants, added to a small portal of two reps or to
the built-in portal (whose own hand-offs are long past the instants the tests pin)."""

from __future__ import annotations

from typing import Any

from sandbox.server import DEFAULT_PORTAL_DIR, read_fixture_dir
from tests.conftest import T0, mini_portal_data


def handoff(i: int, at: str, owner: str | None = "9001", **props: str) -> dict[str, Any]:
    """Contact ``i``, an MQL since ``at``, owned (and assigned) since then."""
    properties = {"email": f"lead{i}@example.com", "firstname": f"Ana{i}", "lastname": "Pérez",
                  "lifecyclestage": "marketingqualifiedlead", "hs_analytics_source": "ORGANIC_SEARCH",
                  "hs_v2_date_entered_lead": T0, "hs_v2_date_entered_marketingqualifiedlead": at, **props}
    if owner:
        properties.update(hubspot_owner_id=owner, hubspot_owner_assigneddate=at)
    return {"id": str(i), "properties": properties, "createdAt": T0, "updatedAt": at, "archived": False}


def task_portal(handoffs: list[dict[str, Any]]) -> dict[str, Any]:
    data = mini_portal_data(3)
    data["owners"]["results"].append({**data["owners"]["results"][0], "id": "9002", "email": "bo@example.com",
                                      "firstName": "Bo", "lastName": "Rep", "userId": 2,
                                      "userIdIncludingInactive": 2})
    data["contacts"] += handoffs
    return data


def built_in_task_portal(handoffs: list[dict[str, Any]]) -> dict[str, Any]:
    """The built-in portal (reps 9001, 9002, 9003) and ``handoffs`` (ids below its own, which start at 101)."""
    data = read_fixture_dir(DEFAULT_PORTAL_DIR)
    data["contacts"] += handoffs
    return data
