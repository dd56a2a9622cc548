"""``smarketing demo``: the built-in sandbox portal, read through the CRM API the way the worker reads HubSpot.

Later issues extend it to the whole cycle (sync, funnel, KPIs, write-back); for now it shows what the
portal serves, every figure obtained through the connector over HTTP.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from connector import HubSpotClient
from sandbox import SandboxServer, build_portal

ENGAGEMENT_TYPES = ("calls", "emails", "meetings", "tasks")


@dataclass
class PortalSummary:
    account: dict[str, Any]
    owners: list[str]
    pipelines: list[tuple[str, int]]
    campaigns: list[tuple[str, float, float, str]]
    lifecycle: list[tuple[str, int]]
    contacts_archived: int
    companies: int
    deals: Counter[str]
    engagements: dict[str, int] = field(default_factory=dict)
    requests: int = 0


def read_portal(client: HubSpotClient) -> PortalSummary:
    contacts = list(client.objects("contacts", ["lifecyclestage"]))
    deals = list(client.objects("deals", ["hs_is_closed", "hs_is_closed_won"]))
    campaigns = [(c["properties"].get("hs_name") or c["id"], c["budgetTotals"]["budgetTotal"],
                  c["budgetTotals"]["spendTotal"], c["budgetTotals"].get("currencyCode") or "")
                 for c in client.campaigns()]
    return PortalSummary(
        account=client.account_details(),
        owners=[f"{o.get('firstName', '')} {o.get('lastName', '')}".strip() or o["email"] for o in client.owners()],
        pipelines=[(p["label"], len(p["stages"])) for p in client.pipelines("deals")],
        campaigns=campaigns,
        lifecycle=_by_stage(contacts, client.property_definition("contacts", "lifecyclestage")["options"]),
        contacts_archived=sum(1 for _ in client.objects("contacts", archived=True)),
        companies=sum(1 for _ in client.objects("companies")),
        deals=Counter(_deal_state(d["properties"]) for d in deals),
        engagements={t: sum(1 for _ in client.objects(t)) for t in ENGAGEMENT_TYPES},
    )


def _by_stage(contacts: list[dict[str, Any]], options: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Contacts per lifecycle stage, in the portal's stage order and by label (custom stages have numeric ids)."""
    counts = Counter(c["properties"].get("lifecyclestage") or "" for c in contacts)
    ranked = sorted(options, key=lambda o: o["displayOrder"])
    named = [(o["label"], counts.pop(o["value"])) for o in ranked if o["value"] in counts]
    return named + [(value or "(none)", n) for value, n in sorted(counts.items())]


def _deal_state(props: dict[str, Any]) -> str:
    if props.get("hs_is_closed_won") == "true":
        return "won"
    return "lost" if props.get("hs_is_closed") == "true" else "open"


def format_summary(s: PortalSummary, url: str) -> str:
    a = s.account
    lines = [
        f"Sandbox portal {a.get('portalId')} at {url} (time zone {a.get('timeZone')}, currency "
        f"{a.get('companyCurrency')}), read through the CRM API in {s.requests} requests:",
        f"  contacts   {sum(n for _, n in s.lifecycle)} live, {s.contacts_archived} archived; by lifecycle stage: "
        + ", ".join(f"{stage} {n}" for stage, n in s.lifecycle),
        f"  companies  {s.companies}",
        f"  deals      {sum(s.deals.values())}: " + ", ".join(f"{n} {state}" for state, n in sorted(s.deals.items()))
        + "; pipelines: " + ", ".join(f"{label} ({n} stages)" for label, n in s.pipelines),
        "  activity   " + ", ".join(f"{n} {t}" for t, n in s.engagements.items()),
        f"  owners     {', '.join(s.owners)}",
        "  campaigns",
    ]
    lines += [f"    {name}: budget {budget:,.0f} {cur}, spent {spend:,.0f}" for name, budget, spend, cur in s.campaigns]
    return "\n".join(lines)


def run_demo() -> str:
    """Start the default sandbox in-process, read it through the API, and describe it."""
    with SandboxServer(build_portal()) as sandbox:
        summary = read_portal(HubSpotClient(sandbox.token, sandbox.url))
        summary.requests = sandbox.app.stats.snapshot()["requests_total"]
        return format_summary(summary, sandbox.url)
