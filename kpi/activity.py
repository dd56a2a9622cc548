"""Activity dashboards (definitions §2.H): new opportunities by source or campaign, and sales activity depth.

An outbound touch is what F2 counts as a follow-up: a call with direction OUTBOUND, an email with direction
EMAIL (sent by a rep), or a meeting. Incoming emails, notes and tasks never count.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .context import KpiContext, segment
from .deals import deal_facts
from .money import from_micros
from .registry import KpiSpec
from .result import KpiResult, count

TYPES = ("call", "email", "meeting")
_OUTBOUND = """e.archived = 0 AND (e.type = 'call' AND e.direction = 'OUTBOUND'
                                  OR e.type = 'email' AND e.direction = 'EMAIL' OR e.type = 'meeting')"""


def new_opportunities(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """H3/H4: new-business deals created in P, by the attribution contact's source or campaign, with Σ known amount.

    A deal without a known amount still counts; ``details.amount_excluded`` says how many were left out of the sum.
    """
    column = {"source": "source", "campaign": "COALESCE(campaign, 'UNKNOWN')"}.get(by or "", "NULL")
    found: dict[object, tuple[int, Decimal, Counter[str]]] = {} if by else {None: (0, Decimal(0), Counter())}
    for r in ctx.rows(f"""SELECT {column} AS k, COUNT(*) AS n, SUM(amount_micros) AS micros,
                                 CASE WHEN amount_micros IS NULL THEN COALESCE(amount_excluded, 'no_amount') END
                                     AS left_out
                          FROM {deal_facts(ctx)}
                          WHERE kind = 'new_business' AND createdate >= :p0 AND createdate < :p1
                            AND createdate < :as_of
                          GROUP BY k, left_out ORDER BY k"""):
        n, total, excluded = found.get(r["k"], (0, Decimal(0), Counter()))
        if r["left_out"] is not None:
            excluded[r["left_out"]] += r["n"]
        else:
            total += from_micros(r["micros"])
        found[r["k"]] = (n + r["n"], total, excluded)
    return [count("new_opportunities", ctx.label, segment(by, k), n, ctx.as_of_iso, amount=total,
                  amount_excluded=dict(excluded))
            for k, (n, total, excluded) in found.items()]


def sales_activity(ctx: KpiContext, by: str | None) -> list[KpiResult]:
    """H2: per owner, outbound calls, emails and meetings in P, and how deeply the owner's MQL hand-offs were worked.

    Always per owner (``by`` is not used). Records ``owner=<id>,type=<call|email|meeting>`` count the owner's
    touches in P; ``owner=<id>,type=all`` counts them all and carries, for the owner's hand-offs in P, the
    average touches in the SLA window and the share with at least ``sla_attempts`` of them.
    """
    touches: dict[object, Counter[str]] = {}
    for r in ctx.rows(f"""SELECT e.hubspot_owner_id AS owner, e.type, COUNT(*) AS n FROM engagements e
                          WHERE {_OUTBOUND} AND e.hs_timestamp >= :p0 AND e.hs_timestamp < :p1
                            AND e.hs_timestamp < :as_of
                          GROUP BY owner, e.type"""):
        touches.setdefault(r["owner"], Counter())[r["type"]] = r["n"]
    handoffs = {r["owner"]: r for r in _handoffs(ctx)}
    results = []
    for owner in sorted(touches.keys() | handoffs.keys(), key=lambda o: (o is None, o or 0)):
        prefix = segment("owner", owner)
        done = touches.get(owner, Counter())
        results += [count("sales_activity", ctx.label, f"{prefix},type={kind}", done[kind], ctx.as_of_iso)
                    for kind in TYPES]
        h = handoffs.get(owner, {"handoffs": 0, "touches": 0, "reached": 0, "immature": 0})
        details = {"handoffs": h["handoffs"], "handoff_touches": h["touches"],
                   "avg_touches_per_handoff": Fraction(h["touches"], h["handoffs"]) if h["handoffs"] else None,
                   "handoffs_reaching_attempts": h["reached"],
                   "attempts_share": Fraction(h["reached"], h["handoffs"]) if h["handoffs"] else None}
        if h["immature"]:
            details["immature"] = True
        results.append(KpiResult("sales_activity", ctx.label, f"{prefix},type=all", sum(done.values()), None, None,
                                 ctx.as_of_iso, details=details))
    return results


def _handoffs(ctx: KpiContext) -> list[dict[str, Any]]:
    """Per current contact owner: MQL hand-offs in P (raw mql entries, as in A2) and their touches in the window.

    The window starts as F3's does, at max(hand-off, owner assignment), and runs ``sla_window_days``; touches by
    anyone count, up to as_of. Hand-offs whose window ends after as_of are immature: their touches may still grow.
    """
    return ctx.rows(f"""
        WITH handoff AS (
            SELECT cf.contact_id, cf.owner_id, MAX(f.raw_at, COALESCE(cf.owner_assigned_at, f.raw_at)) AS start
            FROM funnel f JOIN contact_funnel cf ON cf.contact_id = f.contact_id
            WHERE f.stage = 'mql' AND f.raw_at >= :p0 AND f.raw_at < :p1 AND f.raw_at < :as_of
        ), windowed AS (
            SELECT h.contact_id, h.owner_id, strftime('%Y-%m-%dT%H:%M:%fZ', h.start, :window) AS finish,
                   (SELECT COUNT(*) FROM engagement_contacts ec
                    JOIN engagements e ON e.type = ec.type AND e.id = ec.engagement_id
                    WHERE ec.contact_id = h.contact_id AND {_OUTBOUND} AND e.hs_timestamp >= h.start
                      AND e.hs_timestamp <= strftime('%Y-%m-%dT%H:%M:%fZ', h.start, :window)
                      AND e.hs_timestamp < :as_of) AS touches
            FROM handoff h
        )
        SELECT owner_id AS owner, COUNT(*) AS handoffs, SUM(touches) AS touches,
               SUM(touches >= :attempts) AS reached, SUM(finish > :as_of) AS immature
        FROM windowed GROUP BY owner_id""",
        {"window": f"+{ctx.config.sla_window_days} days", "attempts": ctx.config.sla_attempts})


KPIS = [
    KpiSpec("new_opportunities", "activity", new_opportunities, ("source", "campaign"), "New opportunities"),
    KpiSpec("sales_activity", "activity", sales_activity, (), "Sales activity depth"),
]
