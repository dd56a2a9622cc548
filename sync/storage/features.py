"""Optional features: what a portal may lack (its HubSpot tier) without any run failing.

A feature's description (:class:`Feature`) belongs to whoever reads or writes it (a reference stream, the
dashboard records); its state is the mirror's, in ``meta``: ``<name>`` holds ``on`` or ``off: <reason>``, and
``<name>_refused_at`` when HubSpot last refused it. A feature that is off is tried again at the next full
reconcile, as a portal can be upgraded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .mirror import Mirror, utc_now

RETRY = "tried again at the next full reconcile"


@dataclass(frozen=True)
class Feature:
    name: str  # its key in meta
    label: str  # what a person calls it
    needs: str  # what HubSpot requires for it
    untried: str  # its state before it was ever tried
    also_off: str = ""  # what else is off with it, where its label does not say


@dataclass(frozen=True)
class FeatureState:
    feature: Feature
    available: bool | None  # None: not tried yet
    reason: str | None  # why it is off
    refused_at: str | None

    def retry_due(self, *, full: bool, hours: float | None = None, now: datetime | None = None) -> bool:
        """True unless it is off and neither a full reconcile (``full``) nor ``hours`` since the refusal came."""
        if self.available is not False or full or self.refused_at is None:
            return True
        if hours is None:
            return False
        refused = datetime.fromisoformat(self.refused_at.replace("Z", "+00:00"))
        return (now or datetime.now(UTC)) - refused >= timedelta(hours=hours)

    def describe(self) -> str:
        """One line for a person: on, off with the reason and when it is tried again, or not tried yet."""
        if self.available is None:
            return self.feature.untried
        if self.available:
            return "on"
        also = f"; {self.feature.also_off}" if self.feature.also_off else ""
        since = f" (since {self.refused_at})" if self.refused_at else ""
        return f"off: {self.reason}{since}{also}; {RETRY}"


def feature_state(mirror: Mirror, feature: Feature) -> FeatureState:
    value = mirror.meta(feature.name)
    if value is None:
        return FeatureState(feature, None, None, None)
    off = value.startswith("off")
    reason = (value.removeprefix("off").lstrip(": ") or None) if off else None
    return FeatureState(feature, not off, reason, mirror.meta(f"{feature.name}_refused_at") if off else None)


def refuse_feature(mirror: Mirror, feature: Feature, reason: str) -> None:
    """HubSpot refused the feature: off, with the reason (redacted by the caller) and the time."""
    mirror.set_meta(**{feature.name: f"off: {reason}", f"{feature.name}_refused_at": utc_now()})


def grant_feature(mirror: Mirror, feature: Feature) -> None:
    """HubSpot served the feature: on."""
    mirror.set_meta(**{feature.name: "on", f"{feature.name}_refused_at": None})
