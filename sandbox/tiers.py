"""HubSpot's subscription tiers, as far as the API shows them (API notes, sections 1a and 14).

A portal has a tier for its Sales and CRM features (custom object schemas need Enterprise; the API limits
follow it) and one for Marketing Hub, which can differ (Sales Enterprise with Marketing Starter is common):
the Campaigns API needs Marketing Professional. Below a tier, HubSpot refuses the call with a 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ApiError

TIERS = ("free", "starter", "professional", "enterprise")
# per tier: (requests per 10 s, requests a day) of a private app or service key
LIMITS = {"free": (100, 250_000), "starter": (100, 250_000), "professional": (190, 650_000),
          "enterprise": (190, 1_000_000)}
CAMPAIGNS_PATH = "/marketing/v3/campaigns"  # dated paths are canonicalised to it before routing
CAMPAIGNS_SCOPE = "marketing.campaigns.read"


@dataclass(frozen=True)
class Tiers:
    """The portal's tier and its Marketing Hub tier (None: the same)."""

    portal: str = "enterprise"
    marketing: str | None = None

    def __post_init__(self) -> None:
        for tier in (self.portal, self.marketing):
            if tier is not None and tier not in TIERS:
                raise ValueError(f"unknown HubSpot tier {tier!r}; tiers are {', '.join(TIERS)}")

    @property
    def marketing_tier(self) -> str:
        return self.marketing or self.portal

    @property
    def custom_objects(self) -> bool:
        return _at_least(self.portal, "enterprise")

    @property
    def campaigns(self) -> bool:
        return _at_least(self.marketing_tier, "professional")

    @property
    def limits(self) -> tuple[int, int]:
        """(requests per 10 s, requests a day) HubSpot grants this portal."""
        return LIMITS[self.portal]

    def __str__(self) -> str:
        if self.marketing_tier == self.portal:
            return self.portal
        return f"{self.portal}, Marketing Hub {self.marketing_tier}"

    def check(self, template: str) -> None:
        """Refuse a call to a route this portal's tier does not include."""
        if template.startswith(CAMPAIGNS_PATH) and not self.campaigns:
            raise missing_scopes(CAMPAIGNS_SCOPE)


def _at_least(tier: str, minimum: str) -> bool:
    return TIERS.index(tier) >= TIERS.index(minimum)


def missing_scopes(*scopes: str) -> ApiError:
    """HubSpot's 403 for a call the app (or, for a tier-gated scope, the portal) lacks scopes for (notes, §2).

    HubSpot does not document the refusal of a call above the portal's tier (§1a); tier-gated scopes are what
    such a portal lacks, so the sandbox answers this shape.
    """
    return ApiError(403, "MISSING_SCOPES",
                    "This app hasn't been granted all required scopes to make this call. Read more about required "
                    "scopes here: https://developers.hubspot.com/scopes.",
                    errors=[{"message": "One or more of the following scopes are required.",
                             "context": {"requiredScopes": list(scopes)}}],
                    links={"scopes": "https://developers.hubspot.com/scopes"})
