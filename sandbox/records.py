"""A CRM record as the sandbox keeps it, and the HubSpot timestamp format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_from_ms(ms: int) -> str:
    """HubSpot's timestamp text: UTC, milliseconds, ``Z``."""
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def ms_from_text(text: str) -> int | None:
    """Epoch milliseconds from an ISO datetime, a date, or an epoch-ms string; None if unparsable."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int((dt - _EPOCH).total_seconds() * 1000)


@dataclass(slots=True)
class Record:
    id: str
    properties: dict[str, str | None]
    created_at: str
    updated_at: str
    archived: bool = False
    archived_at: str | None = None
    # property -> [{"value", "timestamp", "sourceType", ...}], newest first; only where known.
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # to type -> {to id -> {association type ids}}
    associations: dict[str, dict[str, frozenset[int]]] = field(default_factory=dict)
    # clock time of the last API write: search does not see the record until the lag has passed.
    written_at: float = 0.0

    def history_of(self, name: str) -> list[dict[str, Any]]:
        """Stored history, or one entry for the current value, as HubSpot has history for every value."""
        if name in self.history:
            return self.history[name]
        value = self.properties.get(name)
        if value is None:
            return []
        return [{"value": value, "timestamp": self.created_at, "sourceType": "CRM_UI"}]
