"""Small hand-built mirrors for KPI tests: rows as the sync writes them, in a few readable calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kpi import KpiConfig, Period
from kpi.context import KpiContext
from kpi.funnel import refresh
from kpi.periods import parse_iso
from sync.storage import Mirror

STAGES = [("subscriber", "Subscriber"), ("lead", "Lead"), ("marketingqualifiedlead", "Marketing Qualified Lead"),
          ("salesqualifiedlead", "Sales Qualified Lead"), ("opportunity", "Opportunity"), ("customer", "Customer"),
          ("evangelist", "Evangelist"), ("other", "Other")]


class MirrorBuilder:
    """``b.contact(1, lead="2026-03-02T10:00:00Z", marketingqualifiedlead="...")`` and so on."""

    def __init__(self, path: Any) -> None:
        self.mirror = Mirror(path)
        self.db = self.mirror.db
        self.mirror.set_meta(portal_id="1", time_zone="UTC", currency="USD")
        self.db.table("lifecycle_stages").insert_all(
            [{"value": v, "label": label, "display_order": i, "hidden": 0} for i, (v, label) in enumerate(STAGES)])
        self.db.table("pipelines").insert({"id": "default", "object_type": "deals", "label": "Sales",
                                           "display_order": 0, "archived": 0})
        self.db.table("pipeline_stages").insert_all([
            {"pipeline_id": "default", "id": "open", "label": "Open", "display_order": 0, "probability": 0.5,
             "is_closed": 0, "is_won": 0, "archived": 0},
            {"pipeline_id": "default", "id": "closedwon", "label": "Won", "display_order": 1, "probability": 1.0,
             "is_closed": 1, "is_won": 1, "archived": 0},
            {"pipeline_id": "default", "id": "closedlost", "label": "Lost", "display_order": 2, "probability": 0.0,
             "is_closed": 1, "is_won": 0, "archived": 0}])

    def owner(self, owner_id: int, **fields: Any) -> None:
        self.db.table("owners").insert({"id": owner_id, "email": f"rep{owner_id}@example.com", "first_name": "Rep",
                                        "last_name": str(owner_id), "type": "PERSON", "archived": 0, "teams": "[]",
                                        **fields})

    def contact(self, contact_id: int, *, stage: str | None = None, source: str | None = None,
                campaign: str | None = None, owner: int | None = None, assigned: str | None = None,
                lead_status: str | None = None, email: str | None = None, archived: int = 0,
                merged_into: int | None = None, history: dict[str, str] | None = None, **entries: str) -> None:
        """``entries``: portal stage value -> entry time (``hs_v2_date_entered`` evidence);
        ``history``: the same as lifecycle history evidence. ``stage`` defaults to the latest entry."""
        all_entries = {**entries, **(history or {})}
        current = stage or (max(all_entries, key=all_entries.__getitem__) if all_entries else None)
        self.db.table("contacts").insert({
            "id": contact_id, "email": email or f"c{contact_id}@example.com", "lifecyclestage": current,
            "hs_analytics_source": source, "hs_analytics_first_touch_converting_campaign": campaign,
            "hubspot_owner_id": owner, "hubspot_owner_assigneddate": assigned, "hs_lead_status": lead_status,
            "createdate": min(all_entries.values()) if all_entries else None, "archived": archived,
            "merged_into": merged_into, "properties": "{}"})
        rows = [{"contact_id": contact_id, "stage": s, "entered_at": at, "evidence": "hs_v2_date_entered"}
                for s, at in entries.items()]
        rows += [{"contact_id": contact_id, "stage": s, "entered_at": at, "evidence": "history"}
                 for s, at in (history or {}).items()]
        if rows:
            self.db.table("contact_stage_history").insert_all(rows)

    def company(self, company_id: int, **fields: Any) -> None:
        self.db.table("companies").insert({"id": company_id, "name": f"Company {company_id}", "archived": 0,
                                           "properties": "{}", **fields})

    def deal(self, deal_id: int, *, contacts: tuple[int, ...] = (), stage: str = "open", amount: float | None = None,
             currency: str | None = "USD", home: float | None = None, created: str = "2026-01-01T00:00:00.000Z",
             closed: str | None = None, owner: int | None = None, company: int | None = None,
             dealtype: str | None = None, pipeline: str = "default", archived: int = 0) -> None:
        amount_home = home if home is not None else (amount if currency in (None, "USD") else None)
        won, is_closed = int(stage == "closedwon"), int(stage in ("closedwon", "closedlost"))
        self.db.table("deals").insert({
            "id": deal_id, "dealname": f"Deal {deal_id}", "pipeline": pipeline, "dealstage": stage, "amount": amount,
            "deal_currency_code": currency, "amount_in_home_currency": home, "amount_home": amount_home,
            "closedate": closed, "createdate": created, "hs_is_closed": is_closed, "hs_is_closed_won": won,
            "dealtype": dealtype, "hubspot_owner_id": owner, "company_id": company, "archived": archived,
            "properties": "{}"})
        self.db.table("deal_contacts").insert_all([{"deal_id": deal_id, "contact_id": c} for c in contacts])

    def engagement(self, engagement_id: int, kind: str, at: str, *, contact: int | None = None,
                   owner: int | None = None, direction: str | None = None, outcome: str | None = None) -> None:
        self.db.table("engagements").insert({"id": engagement_id, "type": kind, "hs_timestamp": at,
                                             "hubspot_owner_id": owner, "contact_id": contact, "direction": direction,
                                             "outcome": outcome, "archived": 0, "properties": "{}"})
        if contact is not None:
            self.db.table("engagement_contacts").insert({"type": kind, "engagement_id": engagement_id,
                                                         "contact_id": contact})

    def campaign(self, campaign_id: str, *, spend: float, start: str | None, end: str | None,
                 created: str = "2026-01-01T00:00:00.000Z", currency: str = "USD") -> None:
        self.db.table("campaigns").insert({"id": campaign_id, "name": campaign_id, "start_date": start,
                                           "end_date": end, "currency": currency, "budget_total": spend,
                                           "spend_total": spend, "created_at": created, "updated_at": created,
                                           "properties": "{}"})

    def context(self, period: str, *, as_of: str | None = None, strict: bool = False,
                config: KpiConfig | None = None) -> KpiContext:
        config = config or KpiConfig(currency="USD")
        refresh(self.db, config)
        p = Period.parse(period, config.time_zone)
        moment: datetime = parse_iso(as_of) if as_of else p.end_utc
        return KpiContext(self.db, config, p, moment, strict)
