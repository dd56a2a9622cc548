"""Every HubSpot path the client uses, for the numbered (``v3``) or a date-versioned API (``2026-03``).

HubSpot retires v1-v3 in September 2027 and v4 in March 2027; the date-versioned paths serve the same
shapes (API notes, sections 1 and 1a), so switching is one setting and this one module. Date versions
come twice a year, ``YYYY-03`` and ``YYYY-09``, from 2025-09 on, each also as ``-beta``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("smarketing.connector")

_DATE_VERSION = re.compile(r"^(\d{4})-(03|09)(-beta)?$")
FIRST_DATE_VERSION = "2025-09"
NEWEST_KNOWN_VERSION = "2026-09"
ACCEPTED_FORM = ("v3, or a date version YYYY-03 or YYYY-09 from 2025-09 on, optionally ending in -beta "
                 "(such as 2026-03)")

# What a schema-create body (ObjectSchemaEgg) may not carry, by date version: HubSpot's specs for 2025-09 and
# 2026-09 have no shouldCreateSameObjectAssociation (2026-03 requires it; v3 takes it as optional).
_SCHEMA_FIELDS_LEFT_OUT = {"2025-09": ("shouldCreateSameObjectAssociation",),
                           "2026-09": ("shouldCreateSameObjectAssociation",)}
_warned: set[str] = set()  # versions newer than NEWEST_KNOWN_VERSION already warned about, once a process


def _date(version: str) -> str | None:
    """``YYYY-MM`` of a valid date version (beta or not), else None."""
    match = _DATE_VERSION.match(version)
    return f"{match.group(1)}-{match.group(2)}" if match else None


def valid_api_version(version: str) -> bool:
    date = _date(version)
    return version == "v3" or (date is not None and date >= FIRST_DATE_VERSION)


def newer_than_known(version: str) -> bool:
    """True for a date version after the newest this project knows, whose paths are assumed to follow the pattern."""
    date = _date(version)
    return date is not None and date > NEWEST_KNOWN_VERSION


@dataclass(frozen=True)
class Paths:
    version: str = "v3"

    def __post_init__(self) -> None:
        if not valid_api_version(self.version):
            raise ValueError(f"API version must be {ACCEPTED_FORM}, not {self.version!r}")
        if newer_than_known(self.version) and self.version not in _warned:
            _warned.add(self.version)
            log.warning("HubSpot API version %s is newer than the newest this worker knows (%s); its paths and "
                        "bodies are assumed to be those of %s", self.version, NEWEST_KNOWN_VERSION,
                        NEWEST_KNOWN_VERSION)

    @property
    def dated(self) -> bool:
        return self.version != "v3"

    def _crm(self, family: str, numbered: str = "v3") -> str:
        if not self.dated:
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
        return f"/crm-object-schemas/{self.version}/schemas"

    def schema(self, object_type: str) -> str:
        return f"{self.schemas()}/{object_type}"

    def schema_body(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A schema-create body as this version takes it: the fields its ObjectSchemaEgg does not have left out."""
        date = _date(self.version)
        if date is None:
            return schema
        left_out = _SCHEMA_FIELDS_LEFT_OUT.get(min(date, NEWEST_KNOWN_VERSION), ())
        return {key: value for key, value in schema.items() if key not in left_out}

    def campaigns(self) -> str:
        return "/marketing/v3/campaigns" if not self.dated else f"/marketing/campaigns/{self.version}"

    def campaign_budget_totals(self, campaign_id: str) -> str:
        return f"{self.campaigns()}/{campaign_id}/budget/totals"

    def account_details(self) -> str:
        return f"/account-info/{self.version}/details"
