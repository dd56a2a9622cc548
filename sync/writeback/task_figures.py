"""What the SLA follow-up tasks did, per rep: for ``smarketing status``, ``/metrics`` and the dashboard's SLA page.

Read from the task outbox only (no CRM call). A task is completed *in time* when the work it asked for (the first
follow-up, or the attempts) was done by its due date, *late* when after it. ``closed`` tasks were completed by the
worker with a note (disqualified, qualified, merged, deleted); ``by_rep`` ones the rep completed by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kpi import iso

from ..storage import Mirror
from .tasks import SINCE, SKIPPED

COUNTS = ("created", "open", "overdue", "in_time", "late", "closed", "by_rep", "deleted", "pending", "dead")


@dataclass
class TaskFigures:
    by_rep: dict[int | None, dict[str, int]] = field(default_factory=dict)  # owner id -> count name -> n
    skipped: dict[str, int] = field(default_factory=dict)  # no_owner / archived_owner: hand-offs with no task
    since: str | None = None  # when the feature was first on; None: never

    def total(self, name: str) -> int:
        return sum(counts[name] for counts in self.by_rep.values())


_FIGURES = """
SELECT owner_id,
       count(task_id) AS created,
       sum(state = 'open') AS open,
       sum(state = 'open' AND due_at < :now) AS overdue,
       sum(state = 'done' AND done_at <= due_at) AS in_time,
       sum(state = 'done' AND done_at > due_at) AS late,
       sum(state = 'closed') AS closed,
       sum(state = 'rep_done') AS by_rep,
       sum(state = 'rep_deleted') AS deleted,
       sum(state IN ('new', 'sent')) AS pending,
       sum(state = 'dead') AS dead
FROM task_outbox GROUP BY owner_id ORDER BY owner_id IS NULL, owner_id
"""


def task_figures(mirror: Mirror, now: datetime) -> TaskFigures:
    """Counts per rep (owner id as last sent), and the hand-offs that got no task as of the last push."""
    figures = TaskFigures(since=mirror.meta(SINCE))
    cursor = mirror.db.execute(_FIGURES, {"now": iso(now)})
    names = [d[0] for d in cursor.description]
    for row in cursor.fetchall():
        values: dict[str, Any] = dict(zip(names, row, strict=True))
        figures.by_rep[values.pop("owner_id")] = {name: int(values[name] or 0) for name in COUNTS}
    figures.skipped = json.loads(mirror.meta(SKIPPED) or "{}")
    return figures
