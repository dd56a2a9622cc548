"""A HubSpot CRM client over one ``requests.Session``: auth, paging and errors.

It takes its token and base URL as arguments and knows nothing of settings, the mirror or KPIs.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import requests

from .errors import error_for

DEFAULT_BASE_URL = "https://api.hubapi.com"
PAGE_LIMIT = 100


def _user_agent() -> str:
    try:
        return f"smarketing-sync/{version('smarketing-sync')}"
    except PackageNotFoundError:
        return "smarketing-sync/dev"


class HubSpotClient:
    def __init__(self, token: str, base_url: str = DEFAULT_BASE_URL, *,
                 session: requests.Session | None = None, timeout: tuple[float, float] = (5.0, 30.0)) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = session or requests.Session()
        self._session.headers.update({"Authorization": f"Bearer {token}", "User-Agent": _user_agent(),
                                      "Accept": "application/json"})

    def __repr__(self) -> str:
        return f"HubSpotClient(base_url={self.base_url!r})"

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None) -> Any:
        response = self._session.request(method, self.base_url + path, params=params, json=json,
                                         timeout=self.timeout)
        body = response.json() if response.content else None
        if response.status_code >= 400:
            raise error_for(response.status_code, body)
        return body

    def paged(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every result of a list endpoint, page by page, following ``paging.next.after``."""
        params = dict(params or {})
        seen: set[str] = set()
        while True:
            body = self.request("GET", path, params=params)
            yield from body.get("results", [])
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if after is None:
                return
            if after in seen:
                raise RuntimeError(f"{path}: the API returned the paging cursor {after!r} twice")
            seen.add(after)
            params["after"] = after

    def objects(self, object_type: str, properties: list[str] | None = None, *,
                archived: bool = False) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"limit": PAGE_LIMIT, "archived": str(archived).lower()}
        if properties:
            params["properties"] = ",".join(properties)
        return self.paged(f"/crm/v3/objects/{object_type}", params)

    def property_definition(self, object_type: str, name: str) -> dict[str, Any]:
        return self.request("GET", f"/crm/v3/properties/{object_type}/{name}")

    def account_details(self) -> dict[str, Any]:
        return self.request("GET", "/account-info/v3/details")

    def owners(self) -> Iterator[dict[str, Any]]:
        return self.paged("/crm/v3/owners", {"limit": PAGE_LIMIT})

    def deal_pipelines(self) -> list[dict[str, Any]]:
        return self.request("GET", "/crm/v3/pipelines/deals")["results"]

    def campaigns(self) -> Iterator[dict[str, Any]]:
        return self.paged("/marketing/v3/campaigns", {"limit": PAGE_LIMIT})

    def campaign_budget_totals(self, campaign_id: str) -> dict[str, Any]:
        return self.request("GET", f"/marketing/v3/campaigns/{campaign_id}/budget/totals")
