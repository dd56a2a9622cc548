"""``smarketing status``: what the mirror says about the worker, for a person checking on it."""

from __future__ import annotations

from datetime import UTC, datetime

from ..ingest import STREAM_FEATURES
from ..storage import Mirror, feature_state
from ..writeback import DASHBOARDS, task_figures

FEATURES = (*STREAM_FEATURES, DASHBOARDS)  # what a portal may lack (its HubSpot tier), in the order they go


def report(mirror: Mirror, dead_examples: int = 5) -> str:
    db = mirror.db
    lines = [f"mirror of portal {mirror.meta('portal_id') or '(not synced yet)'} ({mirror.path})", "", "streams:"]
    for stream, phase, cursor, last_full, status, error in db.execute(
            "SELECT stream, phase, cursor_ms, last_full_sync, status, error FROM sync_state "
            "ORDER BY stream"):
        since = datetime.fromtimestamp(cursor / 1000, UTC).strftime("%Y-%m-%d %H:%M") if cursor else "-"
        lines.append(f"  {stream:<10} {status or '-':<8} {phase:<12} changes read up to {since} UTC, "
                     f"last full {last_full or 'never'}" + (f"  error: {error}" if error else ""))
    lines += ["", "last runs:"]
    for started, finished, mode, status, requests, quarantined, error in db.execute(
            "SELECT started_at, finished_at, mode, status, requests, quarantined, error FROM sync_runs "
            "ORDER BY id DESC LIMIT 5"):
        until = finished or ("(killed before it finished)" if status == "interrupted" else "(running)")
        lines.append(f"  {started} to {until}  {mode:<11} {status:<11} "
                     f"{requests or 0} requests, {quarantined or 0} quarantined" + (f"  {error}" if error else ""))
    guards = mirror.deletion_guards()
    lines += ["", "deletion guards: " + (f"{len(guards)} tripped, nothing is pushed until they clear" if guards
                                          else "none tripped")]
    lines += [f"  {g.message} (since {g.tripped_at}, {g.trips} full read{'s' * (g.trips > 1)} in a row)"
              for g in guards]
    quarantine = db.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    outbox = dict(db.execute("SELECT state, count(*) FROM writeback_outbox GROUP BY state").fetchall())
    backlog = db.execute("SELECT count(*) FROM writeback_outbox WHERE state = 'pending' "
                         "AND (confirmed = 0 OR written IS NOT wanted)").fetchone()[0]
    lines += ["", f"quarantine: {quarantine} records (SELECT * FROM quarantine)",
              f"outbox: {backlog} values waiting, {outbox.get('ok', 0)} written, {outbox.get('dead', 0)} dead, "
              f"{outbox.get('blocked', 0)} blocked"]
    for object_type, prop, held, reason in db.execute(
            "SELECT object_type, property, count(*), max(last_error) FROM writeback_outbox WHERE state = 'blocked' "
            "GROUP BY object_type, property ORDER BY object_type, property"):
        lines.append(f"  not written: {prop} of {object_type}, {held} values held: {reason}")
    for object_type, object_id, prop, error in db.execute(
            "SELECT object_type, object_id, property, last_error FROM writeback_outbox WHERE state = 'dead' "
            "ORDER BY updated_at DESC LIMIT ?", [dead_examples]):
        lines.append(f"  dead: {object_type} {object_id} {prop}: {error}")
    lines += [""] + [f"{feature.label}: {feature_state(mirror, feature).describe()}" for feature in FEATURES]
    lines += _task_lines(mirror)
    return "\n".join(lines)


def _task_lines(mirror: Mirror) -> list[str]:
    """SLA follow-up tasks per rep, once the feature has been on (SMARKETING_SLA_TASKS)."""
    figures = task_figures(mirror, datetime.now(UTC))
    if figures.since is None and not figures.by_rep:
        return ["", "SLA follow-up tasks: never on (SMARKETING_SLA_TASKS=on creates them)"]
    skipped = ", ".join(f"{reason.replace('_', ' ')}: {n}" for reason, n in figures.skipped.items()) or "none"
    lines = ["", f"SLA follow-up tasks (on since {figures.since or '-'}); hand-offs with no task: {skipped}"]
    for owner, counts in figures.by_rep.items():
        lines.append(f"  rep {owner if owner is not None else '(none)'}: " + ", ".join(
            f"{counts[name]} {label}" for name, label in _TASK_LABELS if counts[name] or name == "created"))
    return lines


_TASK_LABELS = (("created", "created"), ("open", "open"), ("overdue", "of them overdue"),
                ("in_time", "completed in time"), ("late", "completed late"), ("closed", "closed with a note"),
                ("by_rep", "completed by the rep"), ("deleted", "deleted by the rep"), ("pending", "being created"),
                ("dead", "refused"))
