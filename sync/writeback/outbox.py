"""``smarketing push``: the worker's values written into the CRM, diffed through a durable outbox.

The outbox (``writeback_outbox``) holds, for every (object, id, property), the value wanted and the
value last confirmed written. A push brings the wanted values up to date from the mirror, sends only
what differs (100 inputs a call), and records every input's outcome in the same transaction as its
batch: a push killed mid-way re-sends at most the batch in flight, a second push with nothing changed
sends nothing. Failed inputs are retried on later pushes with a growing delay, then parked as dead.
Only the worker's own properties are ever sent (``ownership``): the values of a property under the prefix
that is not the worker's stay in the outbox as ``blocked``, with the reason, until it is fixed.

``next_inputs`` is the one answer to "what does the next push send": the dry run shows it, the push sends it.
An empty value is kept as NULL (``""`` alike) and sent as ``""``: HubSpot ignores a JSON null (API notes §1a).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from connector import CRMClient, CRMError, WriteOutcome, is_refusal
from kpi import CONTACT_FIELDS, DEAL_FIELDS, KpiConfig, iso, writeback_values

from ..errors import PropertyNotOwned, StopRequested
from ..secrets import redact
from ..storage import Mirror, feature_state, grant_feature, refuse_feature, utc_now
from . import dashboards, fingerprint
from .ownership import Ownership, check_properties
from .tasks import TaskOptions, TaskPusher, TaskResult

log = logging.getLogger("smarketing.writeback")

BATCH = 100
CLEAR = ""  # what clears a value in HubSpot


def _empty_as_null(value: str | None) -> str | None:
    return None if value == CLEAR else value
Inputs = dict[str, list[tuple[str, dict[str, str | None]]]]  # object type -> [(record id or kpi_key, properties)]


@dataclass
class PushResult:
    inputs: Inputs = field(default_factory=dict)  # what this push sends (a dry run: what the next push would send)
    records: Counter[str] = field(default_factory=Counter)  # object type -> records in the inputs
    wanted: Counter[str] = field(default_factory=Counter)  # object type -> values in the inputs
    blocked: dict[tuple[str, str], str] = field(default_factory=dict)  # (object type, property) -> reason
    held: Counter[tuple[str, str]] = field(default_factory=Counter)  # (object type, property) -> values held back
    dashboards: bool = True  # whether dashboard records go (or, in a dry run, would go)
    assumed: list[str] = field(default_factory=list)  # what a dry run could not learn by reading, and assumed
    sent: int = 0  # inputs sent
    written: int = 0
    failed: int = 0
    dead: int = 0
    dropped: int = 0  # records gone from the CRM
    kpi_records: int = 0  # dashboard records computed
    replanned: bool = True  # False: nothing the wanted values are computed from moved, so none was recomputed
    batches: int = 0
    schema_differences: list[tuple[str, str, object, object]] = field(default_factory=list)
    examples: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)  # property -> (id, value)
    tasks: TaskResult | None = None  # SLA follow-up tasks; None when off


class Pusher:
    def __init__(self, client: CRMClient, mirror: Mirror, config: KpiConfig, *, prefix: str = "smk_",
                 group: str = "smarketing", max_attempts: int = 5, now: datetime | None = None,
                 dashboards: bool = True, should_stop: Callable[[], bool] = lambda: False,
                 unarchive_properties: bool = False, tasks: TaskOptions | None = None) -> None:
        self.client, self.mirror, self.config = client, mirror, config
        self.prefix, self.group, self.max_attempts = prefix, group, max_attempts
        self.now = now or datetime.now(UTC)
        self.dashboards = dashboards
        self.unarchive_properties = unarchive_properties  # restore the worker's own archived properties
        self.should_stop = should_stop  # checked between KPI computations and batches: only the one in flight ends
        self.ownership: Ownership | None = None  # proven by ensure_schema, before anything is sent
        self.tasks = tasks  # SLA follow-up tasks: None when SMARKETING_SLA_TASKS is off

    # -- wanted values -----------------------------------------------------------------------------

    def plan(self, result: PushResult | None = None) -> None:
        """Bring the outbox's wanted values up to date from the mirror (funnel and KPIs refreshed first); when
        nothing they are computed from moved since the last plan (``fingerprint``), only the holds are renewed."""
        db = self.mirror.db
        current = fingerprint.fingerprint(self.mirror, self.config, self.prefix, self.dashboards)
        if fingerprint.still_valid(self.mirror, current, self.now):
            log.info("nothing the wanted values and KPI records are computed from has changed: nothing recomputed")
            if result is not None:
                result.replanned = False
            if self.ownership is not None:
                with db.atomic():
                    self._hold(self.ownership.blocked)
            return
        wanted = writeback_values(db, self.config, self.now, self.should_stop)
        if self.should_stop():  # the funnel refresh stopped early: the wanted values would be incomplete
            raise StopRequested
        kpi_rows = [(dashboards.OBJECT_NAME, key, name, _empty_as_null(props.get(name)))
                    for key, props in dashboards.records(db, self.config, self.now, self.should_stop)
                    for name in dashboards.FIELDS] if self.dashboards else []
        if result is not None:
            result.kpi_records = len(kpi_rows) // len(dashboards.FIELDS)
        with db.atomic():
            db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (object_type TEXT, object_id TEXT, property TEXT, "
                       "value TEXT, PRIMARY KEY (object_type, object_id, property))")
            db.execute("DELETE FROM temp.wanted")
            for object_type, values, fields in (("contacts", wanted.contacts, CONTACT_FIELDS),
                                                ("deals", wanted.deals, DEAL_FIELDS)):
                db.conn.executemany("INSERT INTO temp.wanted VALUES (?, ?, ?, ?)",
                                    self._rows(object_type, values, fields))
            db.conn.executemany("INSERT INTO temp.wanted VALUES (?, ?, ?, ?)", kpi_rows)
            gone = db.execute("SELECT count(DISTINCT object_type || ':' || object_id) FROM writeback_outbox o "
                              "WHERE NOT EXISTS (SELECT 1 FROM temp.wanted w WHERE w.object_type = o.object_type "
                              "AND w.object_id = o.object_id AND w.property = o.property)").fetchone()[0]
            if gone:
                log.info("dropping %d records from the outbox: deleted, merged or archived in the CRM", gone)
            db.execute("DELETE FROM writeback_outbox WHERE NOT EXISTS (SELECT 1 FROM temp.wanted w WHERE "
                       "w.object_type = writeback_outbox.object_type AND w.object_id = writeback_outbox.object_id "
                       "AND w.property = writeback_outbox.property)")
            db.execute("""INSERT INTO writeback_outbox (object_type, object_id, property, wanted, state, attempts,
                                                          updated_at)
                          SELECT object_type, object_id, property, value, 'pending', 0, :now FROM temp.wanted w
                          WHERE true
                          ON CONFLICT (object_type, object_id, property) DO UPDATE SET
                              wanted = excluded.wanted, updated_at = excluded.updated_at,
                              state = CASE WHEN excluded.property = 'as_of' THEN state ELSE 'pending' END,
                              attempts = CASE WHEN excluded.property = 'as_of' THEN attempts ELSE 0 END,
                              last_error = NULL, next_attempt_at = NULL
                          WHERE writeback_outbox.wanted IS NOT excluded.wanted""", {"now": utc_now()})
            if self.ownership is not None:
                self._hold(self.ownership.blocked)
            fingerprint.remember(self.mirror, current, wanted.next_clock_change())

    def _hold(self, blocked: dict[tuple[str, str], str]) -> None:
        """Values of a property that is not the worker's are held as ``blocked``; once it is fixed, pending again."""
        db = self.mirror.db
        db.execute("UPDATE writeback_outbox SET state = 'pending', attempts = 0, last_error = NULL, "
                   "next_attempt_at = NULL WHERE state = 'blocked'")
        for (object_type, prop), reason in blocked.items():
            db.execute("UPDATE writeback_outbox SET state = 'blocked', last_error = ?, next_attempt_at = NULL "
                       "WHERE object_type = ? AND property = ?", [reason, object_type, prop])

    def _rows(self, object_type: str, values: Iterator[tuple[object, dict[str, str | None]]],
              fields: tuple[str, ...]) -> Iterator[tuple[str, str, str, str | None]]:
        for object_id, wanted in values:
            for name in fields:
                yield object_type, str(object_id), f"{self.prefix}{name}", _empty_as_null(wanted.get(name))

    def pending(self) -> list[tuple[str, str, str, str | None]]:
        """(object type, id, property, value) that differ from what the CRM was last confirmed to hold.

        A moved ``as_of`` stays ``ok`` and comes along only with a real change of its record; blocked values
        are held back.
        """
        return self.mirror.db.execute(
            "SELECT object_type, object_id, property, wanted FROM writeback_outbox "
            "WHERE (state = 'pending' OR (property = 'as_of' AND state = 'ok')) "
            "AND (confirmed = 0 OR written IS NOT wanted) "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
            "ORDER BY object_type, CAST(object_id AS INTEGER), object_id, property", [iso(self.now)]).fetchall()

    def next_inputs(self) -> Inputs:
        """Exactly what the next push sends, per object type in sending order: the pending values by record.

        A record whose only change is ``as_of`` is no reason to write. Blocked values are not pending, and
        dashboard records are planned only while the CRM takes them (``ensure_schema`` decides, before the plan).
        """
        by_record: dict[tuple[str, str], dict[str, str | None]] = defaultdict(dict)
        for object_type, object_id, prop, value in self.pending():
            by_record[(object_type, object_id)][prop] = CLEAR if value is None else value
        inputs: Inputs = {}
        for (object_type, object_id), props in by_record.items():
            if set(props) != {"as_of"}:
                inputs.setdefault(object_type, []).append((object_id, props))
        return {t: inputs[t] for t in ("contacts", "deals", dashboards.OBJECT_NAME) if t in inputs}

    # -- sending -----------------------------------------------------------------------------------

    def ensure_schema(self, result: PushResult, *, create: bool = True) -> None:
        """Read first, create what is missing (``create=False``: read only); decide which properties are ours.

        A property that differs is reported, never changed; one that is not the worker's is held back.
        """
        self.ownership = check_properties(self.client, self.mirror, self.prefix, self.group, create=create,
                                          unarchive=self.unarchive_properties)
        for object_type, prop in self.ownership.restored:  # what the CRM kept while archived is not known: resend
            self.mirror.db.execute("UPDATE writeback_outbox SET confirmed = 0 WHERE object_type = ? AND property = ?",
                                   [object_type, prop])
        result.blocked = dict(self.ownership.blocked)
        result.schema_differences += self.ownership.differing
        if self.dashboards:
            self._ensure_dashboards(result, create)
        result.dashboards = self.dashboards
        held = {prop for _, prop in result.blocked}
        for name, key, want, have in result.schema_differences:
            if name in held:  # said once, below, with what it means
                continue
            log.warning("CRM property %s differs from what the worker wants: %s is %r, not %r; left as it is",
                        name, key, have, want)
        for (object_type, prop), reason in result.blocked.items():
            log.warning("CRM property %s of %s is not written: %s; its values are held in the outbox until it "
                        "is fixed or SMARKETING_PROPERTY_PREFIX changes", prop, object_type, reason)

    def _ensure_dashboards(self, result: PushResult, create: bool) -> None:
        """The KPI custom object: created when missing. A check only reads: a missing one counts as on unless
        the CRM refused it the last time (a push would try again and, most likely, be refused again).

        Custom objects need Enterprise: where HubSpot refuses them (a 403, or another refusal: ``is_refusal``),
        dashboard records are off until the next full reconcile, when they are tried again."""
        state = feature_state(self.mirror, dashboards.FEATURE)
        if not state.retry_due(full=self._reconciled_since(state.refused_at)):
            self.dashboards = False
            return
        try:
            found, report = self.client.ensure_schema(dashboards.schema(), create=create)
        except CRMError as e:
            if not is_refusal(e):
                raise
            self._refused(f"the CRM refused the {dashboards.OBJECT_NAME} custom object ({e})", create)
            return
        result.schema_differences += report.differing
        if not create:
            self.dashboards = bool(found) or state.available is not False
            if not found and self.dashboards:
                result.assumed.append(f"the {dashboards.OBJECT_NAME} custom object does not exist yet: a push "
                                      "creates it, which only an Enterprise portal allows")
            return
        grant_feature(self.mirror, dashboards.FEATURE)
        self.mirror.set_meta(dashboard_object=found.get("objectTypeId"))

    def _refused(self, reason: str, record: bool) -> None:
        """Dashboard records are off (and, unless a dry run, remembered so); contact and deal values still go."""
        if record:
            log.warning("dashboard records are off: %s; contact and deal properties still flow", reason)
            refuse_feature(self.mirror, dashboards.FEATURE, redact(reason))
        self.dashboards = False

    def _reconciled_since(self, at: str | None) -> bool:
        """True when a full read of a stream finished after ``at``: the next full reconcile came."""
        last = self.mirror.db.execute("SELECT max(last_full_sync) FROM sync_state").fetchone()[0]
        return at is None or (last is not None and last > at)

    def push(self, *, dry_run: bool = False) -> PushResult:
        """Send the next inputs; a dry run computes the very same ones, reading the CRM and writing nothing to it."""
        result = PushResult()
        self.ensure_schema(result, create=not dry_run)
        self.plan(result)
        result.inputs = self.next_inputs()
        for object_type, inputs in result.inputs.items():
            result.records[object_type] = len(inputs)
            for object_id, props in inputs:
                result.wanted[object_type] += len(props)
                for prop, value in props.items():
                    examples = result.examples.setdefault(prop, [])
                    if len(examples) < 3:
                        examples.append((object_id, value))
        result.held.update({(t, p): n for t, p, n in self.mirror.db.execute(
            "SELECT object_type, property, count(*) FROM writeback_outbox WHERE state = 'blocked' "
            "GROUP BY object_type, property")})
        if dry_run:
            result.tasks = self._push_tasks(dry_run=True)
            return result
        for object_type, inputs in result.inputs.items():
            for start in range(0, len(inputs), BATCH):
                if self.should_stop():
                    return result
                if object_type == dashboards.OBJECT_NAME and not self.dashboards:  # refused on the way
                    break
                self._send(object_type, inputs[start:start + BATCH], result)
        result.dashboards = self.dashboards
        result.tasks = self._push_tasks(dry_run=False)
        return result

    def _push_tasks(self, *, dry_run: bool) -> TaskResult | None:
        """The SLA follow-up tasks, after the values (the funnel is fresh from the plan); None when off."""
        if self.tasks is None or self.should_stop():
            return None
        return TaskPusher(self.client, self.mirror, self.config, self.tasks, now=self.now,
                          should_stop=self.should_stop).push(dry_run=dry_run)

    def _send(self, object_type: str, inputs: list[tuple[str, dict[str, str | None]]], result: PushResult) -> None:
        if object_type == dashboards.OBJECT_NAME:  # the worker's own object: upserted on its unique key
            object_id = self.mirror.meta("dashboard_object") or object_type
            try:
                outcomes = self.client.batch_upsert(object_id, inputs, "kpi_key")
            except CRMError as e:
                if not is_refusal(e):
                    raise
                self._refused(f"the CRM refused the {dashboards.OBJECT_NAME} records ({e})", record=True)
                return
        else:
            self._only_our_own(object_type, inputs)
            outcomes = self.client.batch_update(object_type, inputs)
        result.batches += 1
        result.sent += len(inputs)
        db, now = self.mirror.db, utc_now()
        with db.atomic():
            for (object_id, props), outcome in zip(inputs, outcomes, strict=True):
                self._record(object_type, object_id, props, outcome, now, result)

    def _only_our_own(self, object_type: str, inputs: list[tuple[str, dict[str, str | None]]]) -> None:
        """The last guard: nothing leaves but properties under the prefix that this push proved the worker's."""
        owned = self.ownership.owned.get(object_type, set()) if self.ownership is not None else set()
        foreign = sorted({p for _, props in inputs for p in props if not p.startswith(self.prefix) or p not in owned})
        if foreign:
            raise PropertyNotOwned(f"refusing to write {object_type} properties the worker does not own: "
                                   f"{', '.join(foreign)}")

    def _record(self, object_type: str, object_id: str, props: dict[str, str | None], outcome: WriteOutcome,
                now: str, result: PushResult) -> None:
        db = self.mirror.db
        keys = [object_type, object_id]
        marks = ",".join("?" * len(props))
        if outcome.ok:
            db.execute(f"UPDATE writeback_outbox SET written = wanted, confirmed = 1, state = 'ok', attempts = 0, "
                       f"last_error = NULL, next_attempt_at = NULL, updated_at = ? WHERE object_type = ? AND "
                       f"object_id = ? AND property IN ({marks})", [now, *keys, *props])
            result.written += 1
            return
        if outcome.category == "OBJECT_NOT_FOUND":
            log.info("%s %s is gone from the CRM (deleted or merged): dropped from the outbox", object_type, object_id)
            db.execute("DELETE FROM writeback_outbox WHERE object_type = ? AND object_id = ?", keys)
            result.dropped += 1
            return
        result.failed += 1
        attempts = db.execute("SELECT max(attempts) FROM writeback_outbox WHERE object_type = ? AND object_id = ?",
                              keys).fetchone()[0] + 1
        dead = attempts >= self.max_attempts
        result.dead += int(dead)
        retry_at = iso(self.now + timedelta(minutes=2 ** attempts))
        db.execute(f"UPDATE writeback_outbox SET attempts = ?, state = ?, last_error = ?, next_attempt_at = ?, "
                   f"updated_at = ? WHERE object_type = ? AND object_id = ? AND property IN ({marks})",
                   [attempts, "dead" if dead else "pending", redact(f"{outcome.category}: {outcome.message}"),
                    None if dead else retry_at, now, *keys, *props])

