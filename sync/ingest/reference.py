"""Reference streams: the account, lifecycle stages, owners, pipelines and campaigns.

They are small, so every run reads them whole and replaces their tables in one transaction, leaving
unchanged rows as they are. The account is always read (or passed in by the caller who read it): the portal
guard needs its id.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from connector import CRMClient

from ..storage import Mirror
from .mapping import BadRecord, campaign_rows, owner_row, pipeline_rows, text, timestamp

REFERENCE_STREAMS = ("account", "lifecycle_stages", "owners", "pipelines", "campaigns")
# Every campaign property the mirror (``campaign_rows``) and the change check read: HubSpot returns none unnamed.
CAMPAIGN_PROPERTIES = ("hs_name", "hs_start_date", "hs_end_date", "hs_campaign_status", "hs_currency_code",
                       "hs_budget_items_sum_amount", "hs_spend_items_sum_amount")


class ReferenceReader:
    def __init__(self, client: CRMClient, mirror: Mirror, records: Counter[str], *, full: bool = False,
                 account: dict[str, Any] | None = None) -> None:
        self.client, self.mirror, self.records, self.full = client, mirror, records, full
        self.account = account  # the account details already read by the caller: not read twice

    def read(self, streams: Iterable[str]) -> None:
        wanted = set(streams)
        account = self.account if self.account is not None else self.client.account_details()
        self.mirror.check_portal(str(account.get("portalId")))
        with self.mirror.db.atomic():
            self.mirror.set_meta(time_zone=account.get("timeZone"), currency=account.get("companyCurrency"),
                                 additional_currencies=json.dumps(account.get("additionalCurrencies") or []))
        self.records["account"] = 1
        if "lifecycle_stages" in wanted:
            options = self.client.property_definition("contacts", "lifecyclestage")["options"]
            self._replace_table("lifecycle_stages", "value", [
                {"value": o["value"], "label": o.get("label"), "display_order": o.get("displayOrder"),
                 "hidden": int(bool(o.get("hidden")))} for o in options])
        if "owners" in wanted:
            self._replace_table("owners", "id", self._typed("owners", self.client.owners(), owner_row))
        if "pipelines" in wanted:
            pipelines, stages = [], []
            for pipeline in self.client.pipelines("deals"):
                row, rows = pipeline_rows(pipeline, "deals")
                pipelines.append(row)
                stages += rows
            with self.mirror.db.atomic():
                self._replace_table("pipelines", ("object_type", "id"), pipelines)
                self._replace_table("pipeline_stages", ("pipeline_id", "id"), stages, count=False)
        if "campaigns" in wanted:
            self._campaigns()

    def _typed(self, stream: str, items: Iterable[dict[str, Any]], to_row: Callable[[Any], dict[str, Any]]
               ) -> list[dict[str, Any]]:
        rows = []
        for item in items:
            try:
                rows.append(to_row(item))
            except BadRecord as e:
                self.mirror.quarantine(stream, item, str(e))
        return rows

    def _replace_table(self, table: str, pk: str | tuple[str, ...], rows: list[dict[str, Any]],
                       count: bool = True) -> None:
        """A small table replaced whole, in one transaction; unchanged rows are left as they are."""
        db = self.mirror.db
        keys = (pk,) if isinstance(pk, str) else pk
        with db.atomic():
            existing = {tuple(r) for r in db.execute(f"SELECT {', '.join(keys)} FROM {table}").fetchall()}
            wanted = {tuple(row[k] for k in keys) for row in rows}
            for gone in existing - wanted:
                db.execute(f"DELETE FROM {table} WHERE {' AND '.join(f'{k} = ?' for k in keys)}", list(gone))
            if rows:
                self.mirror.upsert(table, rows, keys)
        if count:
            self.records[table] += len(rows)

    def _campaigns(self) -> None:
        """Budget totals cost a request per campaign: fetched only for campaigns whose totals or update moved."""
        db = self.mirror.db
        known = {r[0]: r[1:] for r in db.execute("SELECT id, updated_at, properties FROM campaigns").fetchall()}
        rows, items, refreshed = [], [], set()
        for campaign in self.client.campaigns(CAMPAIGN_PROPERTIES):
            previous = known.get(campaign.get("id"))
            if previous is None or _campaign_changed(campaign, previous) or self.full:
                campaign = {**campaign, "budgetTotals": self.client.campaign_budget_totals(campaign["id"])}
                refreshed.add(campaign["id"])
            else:
                totals = db.execute("SELECT budget_total, spend_total, currency FROM campaigns WHERE id = ?",
                                    [campaign["id"]]).fetchone()
                campaign = {**campaign, "budgetTotals": {"budgetTotal": totals[0], "spendTotal": totals[1],
                                                         "currencyCode": totals[2]}}
            try:
                row, spend = campaign_rows(campaign)
            except BadRecord as e:
                self.mirror.quarantine("campaigns", campaign, str(e))
                continue
            rows.append(row)
            if campaign["id"] in refreshed:
                items += spend
        with db.atomic():
            self._replace_table("campaigns", "id", rows)
            for campaign_id in refreshed:
                db.execute("DELETE FROM campaign_spend WHERE campaign_id = ?", [campaign_id])
            db.execute("DELETE FROM campaign_spend WHERE campaign_id NOT IN (SELECT id FROM campaigns)")
            if items:
                self.mirror.upsert("campaign_spend", items, ("campaign_id", "kind", "item_id"))


def _campaign_changed(campaign: dict[str, Any], previous: tuple[str | None, str]) -> bool:
    """A new update time, or new budget or spend sums (HubSpot's read-only totals), mean new budget totals."""
    updated_at, stored = previous
    props, old = campaign.get("properties") or {}, json.loads(stored) if stored else {}
    totals = ("hs_budget_items_sum_amount", "hs_spend_items_sum_amount")
    try:
        moved = timestamp(campaign.get("updatedAt"), "updatedAt") != updated_at
    except BadRecord:
        moved = True
    return moved or any(text(props.get(k)) != text(old.get(k)) for k in totals)  # "" and null alike
