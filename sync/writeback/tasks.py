"""SLA follow-up tasks in the reps' HubSpot queues (issue 18): created once, then following the work.

Each push (with ``SMARKETING_SLA_TASKS=on``) does four things, in this order:

1. **Resolve** creates whose outcome was never recorded (a kill, a timeout): the task is looked for among its
   contact's task associations, then, once the search lag has passed since the send, by a search on its due
   date. Found: recorded. Proven absent: sent again. Neither yet: left for a later push. Never blindly re-sent.
2. **Follow the work** of open tasks: completed when the follow-up is logged (or the attempts made), moved to the
   contact's new owner, completed with a note when the lead is disqualified or qualified, or the contact merged or
   deleted. A task the rep completed or deleted (as the mirror shows it) is left alone, for good.
3. **Plan** the new ones (:func:`kpi.sla_tasks`): at most ``per_rep`` a rep a push, the most urgent first.
4. **Send**: creates 100 a call, each key recorded as ``new`` before and ``sent`` (committed) just before its
   call; then the updates. Turning the feature off leaves every task as it is.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from connector import CRMClient, CRMError, NewTask, WriteOutcome
from kpi import FIRST, HandoffTask, KpiConfig, TaskPlan, iso, parse_iso, sla_tasks

from ..secrets import redact
from ..storage import Mirror, utc_now
from .task_keys import key_of, with_key, with_note

log = logging.getLogger("smarketing.writeback")

BATCH = 100
SINCE = "sla_tasks_since"  # meta: when the feature was first on (hand-offs before it get tasks only in their window)
SKIPPED = "sla_tasks_skipped"  # meta: JSON of hand-offs with no task, by reason, as of the last push
NOTES = {"disqualified": "the lead was disqualified", "qualified": "the lead was qualified",
         "merged": "the contact was merged into another", "deleted": "the contact was deleted"}


@dataclass(frozen=True)
class TaskOptions:
    lead_hours: Decimal = Decimal(2)
    per_rep: int = 20
    search_lag_seconds: float = 30.0
    max_attempts: int = 5


@dataclass
class TaskResult:
    would_create: list[HandoffTask] = field(default_factory=list)  # a dry run: what the push would create
    created: int = 0
    updated: int = 0  # moved or completed
    resolved: int = 0  # unrecorded creates found in the CRM
    unresolved: int = 0  # unrecorded creates not found yet, left for a later push
    failed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # no_owner / archived_owner: hand-offs with no task


class TaskPusher:
    def __init__(self, client: CRMClient, mirror: Mirror, config: KpiConfig, options: TaskOptions, *,
                 now: datetime, should_stop: Callable[[], bool] = lambda: False,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.client, self.mirror, self.config, self.options = client, mirror, config, options
        self.now, self.should_stop, self.wall_clock = now, should_stop, wall_clock

    @property
    def db(self) -> Any:
        return self.mirror.db

    def push(self, *, dry_run: bool = False) -> TaskResult:
        result = TaskResult()
        since_text = self.mirror.meta(SINCE)
        if since_text is None and not dry_run:
            since_text = iso(self.now)
            self.mirror.set_meta(**{SINCE: since_text})
        since = parse_iso(since_text) if since_text else self.now
        plan = sla_tasks(self.db, self.config, self.now, lead_hours=self.options.lead_hours)
        result.skipped = Counter(t.skip for t in plan.tasks if t.skip and t.kind == FIRST and t.done is None
                                 and t.wanted_from <= self.now <= plan.window_ends[t.contact_id])
        fresh = self._fresh(plan, since)
        if dry_run:
            result.would_create = fresh
            return result
        self.mirror.set_meta(**{SKIPPED: _json(result.skipped)})
        self._resolve(result)
        updates = self._follow(plan)
        self._record_new(fresh)
        self._send_creates(result)
        self._send_updates(updates, result)
        return result

    # -- planning --------------------------------------------------------------------------------

    def _fresh(self, plan: TaskPlan, since: datetime) -> list[HandoffTask]:
        """Tasks to create this push: wanted, never recorded, at most ``per_rep`` a rep, most urgent first."""
        known = {row[0] for row in self.db.execute("SELECT key FROM task_outbox")}
        per_rep: Counter[int | None] = Counter(row[0] for row in self.db.execute(
            "SELECT owner_id FROM task_outbox WHERE state = 'new'"))
        chosen = []
        for task in sorted(plan.to_create(self.now, since), key=lambda t: (t.due_at, t.key)):
            if task.key in known or per_rep[task.owner_id] >= self.options.per_rep:
                continue
            per_rep[task.owner_id] += 1
            chosen.append(task)
        return chosen

    def _record_new(self, fresh: list[HandoffTask]) -> None:
        now = utc_now()
        with self.db.atomic():
            self.db.conn.executemany(
                "INSERT INTO task_outbox (key, kind, contact_id, owner_id, due_at, subject, body, state, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'new', ?, ?) ON CONFLICT DO NOTHING",
                [(t.key, t.kind, t.contact_id, t.owner_id, iso(t.due_at), t.subject, with_key(t.body, t.key), now, now)
                 for t in fresh])

    # -- following the work ------------------------------------------------------------------------

    def _follow(self, plan: TaskPlan) -> list[tuple[str, str, dict[str, str | None], dict[str, Any]]]:
        """(key, task id, properties to send, outbox columns once written) for every open task that changed.

        The rep's own hand is read from the mirror first: a task it shows completed or deleted is theirs now.
        """
        tasks = {t.key: t for t in plan.tasks}
        updates = []
        rows = self.db.execute(
            "SELECT o.key, o.task_id, o.owner_id, o.body, o.contact_id, e.archived, e.outcome, c.id, c.archived, "
            "c.merged_into FROM task_outbox o "
            "LEFT JOIN engagements e ON e.type = 'task' AND e.id = CAST(o.task_id AS INTEGER) "
            "LEFT JOIN contacts c ON c.id = o.contact_id WHERE o.state = 'open'").fetchall()
        for key, task_id, owner, body, _, task_archived, status, contact, contact_archived, merged in rows:
            if task_archived or status == "COMPLETED":
                self._set(key, state="rep_deleted" if task_archived else "rep_done")
                continue
            gone = "merged" if merged else "deleted" if contact is None or contact_archived else None
            wanted = tasks.get(key)
            why = gone or (wanted.done if wanted is not None else None)
            if why is not None:
                note = NOTES.get(why)
                done_at = wanted.done_at if wanted is not None and wanted.done_at else self.now
                props: dict[str, str | None] = {"hs_task_status": "COMPLETED"}
                if note:
                    props["hs_task_body"] = with_note(body, f"Closed by smarketing-sync: {note}.")
                columns = {"state": "closed" if note else "done", "done": why, "done_at": iso(done_at),
                           "body": props.get("hs_task_body", body)}
                updates.append((key, task_id, props, columns))
            elif wanted is not None and wanted.owner_id is not None and wanted.skip is None \
                    and wanted.owner_id != owner:
                updates.append((key, task_id, {"hubspot_owner_id": str(wanted.owner_id)},
                                {"owner_id": wanted.owner_id}))
        return updates

    def _send_updates(self, updates: list[tuple[str, str, dict[str, str | None], dict[str, Any]]],
                      result: TaskResult) -> None:
        for start in range(0, len(updates), BATCH):
            if self.should_stop():
                return
            chunk = updates[start:start + BATCH]
            outcomes = self.client.update_tasks([(task_id, props) for _, task_id, props, _ in chunk])
            with self.db.atomic():
                for (key, _, _, columns), outcome in zip(chunk, outcomes, strict=True):
                    if outcome.ok:
                        self._set(key, **columns)
                        result.updated += 1
                    elif outcome.category == "OBJECT_NOT_FOUND":  # deleted by hand since the last sync
                        self._set(key, state="rep_deleted")
                    else:
                        result.failed += 1
                        self._set(key, last_error=_error(outcome))

    # -- creating ----------------------------------------------------------------------------------

    def _send_creates(self, result: TaskResult) -> None:
        while not self.should_stop():
            rows = self.db.execute("SELECT key, contact_id, owner_id, due_at, subject, body FROM task_outbox "
                                   "WHERE state = 'new' ORDER BY due_at, key LIMIT ?", [BATCH]).fetchall()
            if not rows:
                return
            keys = [row[0] for row in rows]
            with self.db.atomic():  # committed before the call: a kill from here on leaves 'sent', looked up later
                self._mark_sent(keys)
            tasks = [NewTask(key, str(contact), {
                "hs_timestamp": due, "hs_task_subject": subject, "hs_task_body": body, "hs_task_status": "NOT_STARTED",
                "hs_task_priority": "HIGH", "hs_task_type": "CALL", "hubspot_owner_id": str(owner)})
                for key, contact, owner, due, subject, body in rows]
            try:
                outcomes = self.client.create_tasks(tasks, key_of)
            except CRMError as e:  # it may have been applied: looked up by the next push, never re-sent blindly
                log.warning("creating %d SLA tasks: no answer to trust (%s); the next push looks them up",
                            len(tasks), redact(str(e)))
                result.unresolved += len(tasks)
                return
            with self.db.atomic():
                for outcome in outcomes:
                    self._created(outcome, result)

    def _mark_sent(self, keys: list[str]) -> None:
        marks = ",".join("?" * len(keys))
        self.db.execute(f"UPDATE task_outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, "
                        f"updated_at = ? WHERE key IN ({marks})", [iso(self.wall_clock()), utc_now(), *keys])

    def _created(self, outcome: WriteOutcome, result: TaskResult) -> None:
        if outcome.ok:
            self._set(outcome.key, state="open", task_id=outcome.record_id, last_error=None)
            result.created += 1
        elif outcome.category is None:  # neither result nor error: it may exist
            result.unresolved += 1
        else:  # refused: surely not created
            result.failed += 1
            attempts = self.db.execute("SELECT attempts FROM task_outbox WHERE key = ?", [outcome.key]).fetchone()[0]
            self._set(outcome.key, state="dead" if attempts >= self.options.max_attempts else "new",
                      last_error=_error(outcome))

    # -- resolving unrecorded creates --------------------------------------------------------------

    def _resolve(self, result: TaskResult) -> None:
        rows = self.db.execute("SELECT key, contact_id, due_at, sent_at FROM task_outbox WHERE state = 'sent'"
                               ).fetchall()
        if not rows:
            return
        wanted = {key for key, *_ in rows}
        found: dict[str, str] = {}
        for tasks in self.client.tasks_of_contacts(sorted({str(c) for _, c, _, _ in rows})).values():
            found.update({k: str(t["id"]) for t in tasks if (k := key_of(t)) is not None and k in wanted})
        wall = self.wall_clock()
        settled = [(key, due) for key, _, due, sent in rows if key not in found
                   and parse_iso(sent) + timedelta(seconds=self.options.search_lag_seconds) <= wall]
        for due in sorted({due for _, due in settled}):
            found.update({k: str(t["id"]) for t in self.client.tasks_due_at(due)
                          if (k := key_of(t)) is not None and k in wanted})
        with self.db.atomic():
            for key, *_ in rows:
                if key in found:
                    self._set(key, state="open", task_id=found[key])
                    result.resolved += 1
                elif key in dict(settled):  # not there, though the index has caught up since the send
                    self._set(key, state="new")
                else:
                    result.unresolved += 1
        if found or settled:
            log.info("SLA tasks with no recorded outcome: %d found in the CRM, %d proven absent (sent again)",
                     len(found), len([k for k, _ in settled if k not in found]))

    def _set(self, key: str, **columns: Any) -> None:
        columns["updated_at"] = utc_now()
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self.db.execute(f"UPDATE task_outbox SET {assignments} WHERE key = ?", [*columns.values(), key])


def _error(outcome: WriteOutcome) -> str:
    return redact(f"{outcome.category}: {outcome.message}")


def _json(counts: Counter[str]) -> str:
    return json.dumps(dict(sorted(counts.items())))
