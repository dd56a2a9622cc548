"""Every HubSpot path the client uses, for the numbered (``v3``) or a date-versioned API (``2026-03``).

HubSpot retires v1-v3 in September 2027 and v4 in March 2027; the date-versioned paths serve the same
shapes (API notes, section 1), so switching is one setting and this one module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DATE_VERSION = re.compile(r"^\d{4}-\d{2}$")


def valid_api_version(version: str) -> bool:
    return version == "v3" or bool(_DATE_VERSION.match(version))


@dataclass(frozen=True)
class Paths:
    version: str = "v3"

    def __post_init__(self) -> None:
        if not valid_api_version(self.version):
            raise ValueError(f"API version must be v3 or a date version such as 2026-03, not {self.version!r}")

    def _crm(self, family: str, numbered: str = "v3") -> str:
        if self.version == "v3":
            return f"/crm/{numbered}/{family}"
        return f"/crm/{family}/{self.version}"

    def objects(self, object_type: str) -> str:
        return f"{self._crm('objects')}/{object_type}"

    def object(self, object_type: str, object_id: str) -> str:
        return f"{self.objects(object_type)}/{object_id}"

    def search(self, object_type: str) -> str:
        return f"{self.objects(object_type)}/search"

    def batch(self, object_type: str, operation: str) -> str:
        return f"{self.objects(object_type)}/batch/{operation}"

    def properties(self, object_type: str) -> str:
        return f"{self._crm('properties')}/{object_type}"

    def property(self, object_type: str, name: str) -> str:
        return f"{self.properties(object_type)}/{name}"

    def property_groups(self, object_type: str) -> str:
        return f"{self.properties(object_type)}/groups"

    def property_group(self, object_type: str, name: str) -> str:
        return f"{self.property_groups(object_type)}/{name}"

    def pipelines(self, object_type: str) -> str:
        return f"{self._crm('pipelines')}/{object_type}"

    def owners(self) -> str:
        return self._crm("owners")

    def associations_batch_read(self, from_type: str, to_type: str) -> str:
        return f"{self._crm('associations', 'v4')}/{from_type}/{to_type}/batch/read"

    def schemas(self) -> str:
        return "/crm-object-schemas/v3/schemas"

    def schema(self, object_type: str) -> str:
        return f"{self.schemas()}/{object_type}"

    def campaigns(self) -> str:
        return "/marketing/v3/campaigns" if self.version == "v3" else f"/marketing/campaigns/{self.version}"

    def campaign_budget_totals(self, campaign_id: str) -> str:
        return f"{self.campaigns()}/{campaign_id}/budget/totals"

    def account_details(self) -> str:
        return "/account-info/v3/details"
