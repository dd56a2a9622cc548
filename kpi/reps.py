"""Active sales reps (definitions F1), shared by the SLA and the planning KPIs."""

from __future__ import annotations

from .context import KpiContext


def active_reps(ctx: KpiContext) -> int:
    """Owners of type PERSON, not archived, in the configured team (by id or name), else owning a contact."""
    team = ctx.config.rep_team
    member = ("EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(o.teams) THEN o.teams END) t "
              "WHERE CAST(json_extract(t.value, '$.id') AS TEXT) = :team OR json_extract(t.value, '$.name') = :team)"
              if team is not None else
              "EXISTS (SELECT 1 FROM contact_funnel cf WHERE cf.owner_id = o.id)")
    sql = f"SELECT COUNT(*) AS n FROM owners o WHERE o.type = 'PERSON' AND o.archived = 0 AND {member}"
    return ctx.rows(sql, {"team": team})[0]["n"]
