"""Reference streams: the account, lifecycle stages, owners, pipelines and campaigns.

They are small, so every run reads them whole and replaces their tables in one transaction, leaving
unchanged rows as they are. A drop of many rows, or of all, waits for a second read asking for the
same drop (the deletion guard, ``deletions``). The account is always read (or passed in by the caller who read
it): the portal guard needs its id.

A reference record that cannot be typed (a stage's probability of "n/a", an owner's userId that is not a number)
goes to quarantine with its reason, in the transaction that replaces its table, like an object record; its last
good row stays, and the sync goes on. Quarantine holds exactly the records of the stream's last read that could
not be typed: a record fixed in the CRM leaves it with the next read.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from connector import CRMClient, CRMError, is_refusal

from ..secrets import redact
from ..storage import MICROS, Feature, Mirror, feature_state, grant_feature, refuse_feature
from .deletions import DeletionGuards
from .mapping import BadRecord, Row, campaign_rows, lifecycle_row, owner_row, pipeline_row, stage_row, text, timestamp

log = logging.getLogger("smarketing.sync")

# The Campaigns API needs Marketing Hub Professional (API notes, section 1a): below it, campaigns are off.
CAMPAIGNS = Feature("campaigns", "campaigns", "Marketing Hub Professional or Enterprise, and the token's "
                    "marketing.campaigns.read scope", "not read yet (smarketing sync reads them)",
                    also_off="campaign spend is unknown, so the KPIs built on it (cost per lead, cost per "
                             "opportunity, CAC, LTV to CAC, marketing ROI) are null")
# Every campaign property the mirror (``campaign_rows``) and the change check read: HubSpot returns none unnamed.
CAMPAIGN_PROPERTIES = ("hs_name", "hs_start_date", "hs_end_date", "hs_campaign_status", "hs_currency_code",
                       "hs_budget_items_sum_amount", "hs_spend_items_sum_amount")


@dataclass
class Typed:
    """The rows of a reference read, and its records that could not be typed."""

    rows: list[Row] = field(default_factory=list)
    bad: dict[str, tuple[Any, str]] = field(default_factory=dict)  # id in quarantine -> (record as received, reason)
    kept: set[tuple[str, ...]] = field(default_factory=set)  # their table keys, as text: their last good rows stay

    def add(self, record: Any, to_row: Callable[[Any], Row], key: tuple[str, ...], quarantine_id: str) -> Row | None:
        try:
            row = to_row(record)
        except BadRecord as e:
            self.refuse(record, str(e), key, quarantine_id)
            return None
        self.rows.append(row)
        return row

    def refuse(self, record: Any, reason: str, key: tuple[str, ...], quarantine_id: str) -> None:
        self.bad[quarantine_id] = (record, reason)
        self.kept.add(key)


class ReferenceReader:
    def __init__(self, client: CRMClient, mirror: Mirror, records: Counter[str], guards: DeletionGuards, *,
                 full: bool = False, account: dict[str, Any] | None = None, retry_hours: float | None = None,
                 named: Iterable[str] = ()) -> None:
        self.client, self.mirror, self.records, self.guards, self.full = client, mirror, records, guards, full
        self.account = account  # the account details already read by the caller: not read twice
        self.retry_hours = retry_hours  # hours after which a stream that is off is tried again, full run or not
        self.named = set(named)  # streams the user asked for by name: one that is off is an error in the log
        self.off: dict[str, str] = {}  # stream -> why it is off, in this run

    def read(self, streams: Iterable[str]) -> None:
        wanted = set(streams)
        account = self.account if self.account is not None else self.client.account_details()
        self.mirror.check_portal(str(account.get("portalId")))
        with self.mirror.db.atomic():
            self.mirror.set_meta(time_zone=account.get("timeZone"), currency=account.get("companyCurrency"),
                                 ui_domain=account.get("uiDomain"),
                                 additional_currencies=json.dumps(account.get("additionalCurrencies") or []))
        self.records["account"] = 1
        for stream in REFERENCES:
            if stream.name not in wanted:
                continue
            if stream.optional is None:
                stream.read(self)
            else:
                self._optional(stream, stream.optional)

    def _optional(self, stream: ReferenceStream, feature: Feature) -> None:
        """A stream a portal may lack: HubSpot's refusal turns it off, with the reason, and the run goes on. Off, it
        is read again at the next full reconcile (a full run, or once a reconcile is due by the hours)."""
        state = feature_state(self.mirror, feature)
        if not state.retry_due(full=self.full, hours=self.retry_hours):
            self._off(stream, state.reason or "refused before", now=False)
            return
        try:
            stream.read(self)
        except CRMError as e:
            if not is_refusal(e):
                raise
            reason = redact(f"the CRM refused {feature.label} ({e}); they need {feature.needs}")
            with self.mirror.db.atomic():
                refuse_feature(self.mirror, feature, reason)
            self._off(stream, reason, now=True)
            return
        if state.available is not True:
            with self.mirror.db.atomic():
                grant_feature(self.mirror, feature)
            if state.available is False:
                log.info("%s are on again: the CRM served them", feature.label)

    def _off(self, stream: ReferenceStream, reason: str, *, now: bool) -> None:
        """Say once per run that a stream is off: an error where the user asked for it by name."""
        self.off[stream.name] = reason
        if stream.name in self.named:
            log.error("%s, asked for in SMARKETING_STREAMS, are off: %s", stream.name, reason)
        elif now:
            log.warning("%s are off: %s; the other streams sync on", stream.name, reason)
        else:
            log.info("%s are off: %s", stream.name, reason)

    def _lifecycle_stages(self) -> None:
        options = self.client.property_definition("contacts", "lifecyclestage").get("options") or []
        self._typed_table("lifecycle_stages", "value", options, lifecycle_row)

    def _owners(self) -> None:
        self._typed_table("owners", "id", self.client.owners(), owner_row)

    def _typed_table(self, table: str, key: str, records: Iterable[Any], to_row: Callable[[Any], Row]) -> None:
        """A table of one record per row, keyed by the record's ``key``: each typed on its own, bad ones kept aside."""
        typed = Typed()
        for record in records:
            record_id = _text_id(record, key)
            typed.add(record, to_row, (record_id,), record_id)
        with self.mirror.db.atomic():
            self._replace_table(table, key, typed.rows, kept=typed.kept)
            self._quarantine(table, typed)

    def _pipelines(self) -> None:
        """Pipelines and their stages, each typed on its own: a bad stage leaves its pipeline and the other stages
        (in quarantine as ``pipeline/stage``); a bad pipeline keeps its last good row and stages."""
        pipelines, stages = Typed(), Typed()
        for pipeline in self.client.pipelines("deals"):
            pipeline_id = _text_id(pipeline, "id")
            if pipelines.add(pipeline, partial(pipeline_row, object_type="deals"), ("deals", pipeline_id),
                             pipeline_id) is None:
                continue
            for stage in pipeline.get("stages") or []:
                stage_id = _text_id(stage, "id")
                stages.add(stage, partial(stage_row, pipeline_id), (pipeline_id, stage_id),
                           f"{pipeline_id}/{stage_id}")
        db = self.mirror.db
        refused = {pipeline_id for _, pipeline_id in pipelines.kept}
        stages.kept |= {(p, str(s)) for p, s in db.execute("SELECT pipeline_id, id FROM pipeline_stages")
                        if p in refused}
        with db.atomic():
            self._replace_table("pipelines", ("object_type", "id"), pipelines.rows, kept=pipelines.kept)
            self._replace_table("pipeline_stages", ("pipeline_id", "id"), stages.rows, count=False, kept=stages.kept)
            self._quarantine("pipelines", pipelines)
            self._quarantine("pipeline_stages", stages)

    def _quarantine(self, stream: str, typed: Typed) -> None:
        """The stream's quarantine: the records of this read that could not be typed, and no others."""
        ids = list(typed.bad)
        self.mirror.db.execute(f"DELETE FROM quarantine WHERE stream = ? AND record_id NOT IN "
                               f"({','.join('?' * len(ids))})", [stream, *ids])
        for record_id, (record, reason) in typed.bad.items():
            self.mirror.quarantine(stream, record, reason, record_id)

    def _replace_table(self, table: str, pk: str | tuple[str, ...], rows: list[dict[str, Any]],
                       count: bool = True, kept: set[tuple[str, ...]] | None = None) -> None:
        """A small table replaced whole, in one transaction; unchanged rows are left as they are, and so are the
        rows whose keys (as text) are ``kept`` (their records are in quarantine). Rows the list lacks are dropped
        unless the deletion guard holds the drop back."""
        db = self.mirror.db
        keys = (pk,) if isinstance(pk, str) else pk
        with db.atomic():
            existing = {tuple(r) for r in db.execute(f"SELECT {', '.join(keys)} FROM {table}").fetchall()}
            wanted = {tuple(row[k] for k in keys) for row in rows}
            gone = {key for key in existing - wanted if tuple(str(k) for k in key) not in (kept or set())}
            if self.guards.settle(table, self.guards.check_table(table, existing, gone, len(rows))) is not None:
                gone = set()
            for key in gone:
                db.execute(f"DELETE FROM {table} WHERE {' AND '.join(f'{k} = ?' for k in keys)}", list(key))
            if rows:
                self.mirror.upsert(table, rows, keys)
        if count:
            self.records[table] += len(rows)

    def _campaigns(self) -> None:
        """Budget totals cost a request per campaign: fetched only for campaigns whose totals or update moved."""
        db = self.mirror.db
        known = {r[0]: r[1:] for r in db.execute("SELECT id, updated_at, properties FROM campaigns").fetchall()}
        typed, items, refreshed = Typed(), [], set()
        for campaign in self.client.campaigns(CAMPAIGN_PROPERTIES):
            campaign_id = _text_id(campaign, "id")
            if not isinstance(campaign.get("id"), str) or not campaign_id:
                typed.refuse(campaign, "the campaign has no id", (campaign_id,), campaign_id)
                continue
            previous = known.get(campaign["id"])
            if previous is None or _campaign_changed(campaign, previous) or self.full:
                campaign = {**campaign, "budgetTotals": self.client.campaign_budget_totals(campaign["id"])}
                refreshed.add(campaign["id"])
            else:
                totals = db.execute("SELECT budget_total_micros, spend_total_micros, currency FROM campaigns "
                                    "WHERE id = ?", [campaign["id"]]).fetchone()
                campaign = {**campaign, "budgetTotals": {"budgetTotal": _from_micros(totals[0]),
                                                         "spendTotal": _from_micros(totals[1]),
                                                         "currencyCode": totals[2]}}
            try:
                row, spend = campaign_rows(campaign)
            except BadRecord as e:
                typed.refuse(campaign, str(e), (campaign_id,), campaign_id)
                continue
            typed.rows.append(row)
            if campaign["id"] in refreshed:
                items += spend
        with db.atomic():
            self._replace_table("campaigns", "id", typed.rows, kept=typed.kept)
            self._quarantine("campaigns", typed)
            refreshed -= set(typed.bad)  # a campaign in quarantine keeps its last good spend
            for campaign_id in refreshed:
                db.execute("DELETE FROM campaign_spend WHERE campaign_id = ?", [campaign_id])
            db.execute("DELETE FROM campaign_spend WHERE campaign_id NOT IN (SELECT id FROM campaigns)")
            if items:
                self.mirror.upsert("campaign_spend", items, ("campaign_id", "kind", "item_id"))


def _from_micros(micros: int | None) -> str | None:
    """A stored amount's exact decimal text, as HubSpot would send it again."""
    return None if micros is None else str(Decimal(micros) / MICROS)


def _text_id(record: Any, name: str) -> str:
    """A reference record's key as text ("" when it has none), for quarantine and for keeping its last good row."""
    value = record.get(name) if isinstance(record, dict) else None
    return "" if value is None else str(value)[:200]


def _campaign_changed(campaign: dict[str, Any], previous: tuple[str | None, str]) -> bool:
    """A new update time, or new budget or spend sums (HubSpot's read-only totals), mean new budget totals."""
    updated_at, stored = previous
    props, old = campaign.get("properties") or {}, json.loads(stored) if stored else {}
    props = props if isinstance(props, dict) else {}
    totals = ("hs_budget_items_sum_amount", "hs_spend_items_sum_amount")
    try:
        moved = timestamp(campaign.get("updatedAt"), "updatedAt") != updated_at
    except BadRecord:
        moved = True
    return moved or any(text(props.get(k)) != text(old.get(k)) for k in totals)  # "" and null alike


@dataclass(frozen=True)
class ReferenceStream:
    """A reference stream: how it is read, and whether a portal may lack it (``optional``, the feature it is)."""

    name: str
    read: Callable[[ReferenceReader], None]
    optional: Feature | None = None


REFERENCES = (ReferenceStream("lifecycle_stages", ReferenceReader._lifecycle_stages),
              ReferenceStream("owners", ReferenceReader._owners),
              ReferenceStream("pipelines", ReferenceReader._pipelines),
              ReferenceStream("campaigns", ReferenceReader._campaigns, optional=CAMPAIGNS))
REFERENCE_STREAMS = ("account", *(stream.name for stream in REFERENCES))
STREAM_FEATURES = tuple(stream.optional for stream in REFERENCES if stream.optional is not None)
