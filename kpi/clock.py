"""When the clock alone changes a KPI record or a wanted value: the first such instant from ``now`` on.

Values read the clock only through as_of (``now`` for the periods in progress; a past period's as_of is its end),
and only in these ways, each giving an instant to wait for while the mirror stays as it is:

- an event of the mirror counts once as_of passes it (stage entries, owner assignments, closed deals' closes,
  creations, calls, emails and meetings: a meeting booked ahead is in the future; an open deal's close date is a
  forecast, which no KPI reads until the deal closes, a change of the mirror);
- an SLA hand-off's status moves when as_of passes its deadline, then the end of its window (§2.F);
- an engagement leaves the customers' 90-day engagement window 90 days after it happened (§2.E4);
- days begin (spend is spread by day, sales are charted by day, periods and the SLA lookback roll over at a
  local midnight); a cohort's maturity ends with a period, at a midnight too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .context import KpiContext
from .customers import ENGAGED_DAYS
from .periods import iso, parse_iso
from .sla import Assessment

_EVENTS = """
SELECT MIN(t) FROM (
    SELECT MIN(reached_at) AS t FROM funnel WHERE reached_at >= :now
    UNION ALL SELECT MIN(raw_at) FROM funnel WHERE raw_at >= :now
    UNION ALL SELECT MIN(owner_assigned_at) FROM contact_funnel WHERE owner_assigned_at >= :now
    UNION ALL SELECT MIN(entered_at) FROM contact_stage_history WHERE entered_at >= :now
    UNION ALL SELECT MIN(d.closedate) FROM deals d
        LEFT JOIN pipeline_stages ps ON ps.pipeline_id = d.pipeline AND ps.id = d.dealstage
        WHERE d.closedate >= :now AND COALESCE(d.hs_is_closed, ps.is_closed, 0) = 1  -- an open deal's is a forecast
    UNION ALL SELECT MIN(createdate) FROM deals WHERE createdate >= :now
    UNION ALL SELECT MIN(hs_timestamp) FROM engagements WHERE hs_timestamp >= :now AND {counted})
"""
_COUNTED = "archived = 0 AND type IN ('call', 'email', 'meeting')"  # tasks and archived engagements count nowhere


def next_clock_change(ctx: KpiContext, handoffs: Iterable[Assessment]) -> datetime:
    """The first instant from ``ctx.as_of`` (now) on at which the clock alone may change a value; until then,
    with the mirror and the settings unchanged, every value computed now stays the same."""
    now = ctx.as_of
    zone = ZoneInfo(ctx.config.time_zone)
    local = now.astimezone(zone)
    moments = [datetime.combine(local.date() + timedelta(days=1), time(0), zone)]
    moments += [t for a in handoffs for t in (a.deadline, a.window_end) if t is not None and t >= now]
    found = ctx.db.execute(_EVENTS.format(counted=_COUNTED), {"now": iso(now)}).fetchone()[0]
    if found is not None:
        moments.append(parse_iso(found))
    engaged = ctx.db.execute(f"SELECT MIN(hs_timestamp) FROM engagements WHERE hs_timestamp >= ? AND {_COUNTED}",
                             [iso(now - timedelta(days=ENGAGED_DAYS))]).fetchone()[0]
    if engaged is not None:
        moments.append(parse_iso(engaged) + timedelta(days=ENGAGED_DAYS))
    return min(moments)
