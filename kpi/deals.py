"""Deal facts shared by every deal KPI (definitions §1.8), built once per context as a temporary table.

``deal_facts``: one row per live deal in scope, with its closed/won state (the flags, else the stage's
metadata), its amount in the portal's currency (``amount_micros`` to sum: :mod:`kpi.money`) or why it
has none, its attribution contact (of the deal's contacts, the one with the earliest stage entry; ties
to the smallest id) with that contact's source and first-touch campaign, its customer unit (primary
company, else the attribution contact) and whether it is new business or expansion.
"""

from __future__ import annotations

from .context import KpiContext
from .shared import shared

_BUILD = """
CREATE TEMP TABLE deal_facts AS
WITH attribution AS (
    SELECT dc.deal_id, cf.contact_id, cf.source, cf.campaign,
           ROW_NUMBER() OVER (PARTITION BY dc.deal_id
                              ORDER BY cf.first_entry_at IS NULL, cf.first_entry_at, cf.contact_id) AS rn
    FROM deal_contacts dc JOIN contact_funnel cf ON cf.contact_id = dc.contact_id
)
SELECT d.id AS deal_id, d.pipeline, d.hubspot_owner_id AS owner_id, d.createdate, d.closedate,
       COALESCE(d.hs_is_closed, ps.is_closed, 0) AS closed,
       COALESCE(d.hs_is_closed_won, ps.is_won, 0) AS won,
       d.amount_home AS amount, d.amount_home_micros AS amount_micros,
       CASE WHEN d.amount IS NULL AND d.amount_in_home_currency IS NULL THEN 'no_amount'
            WHEN d.amount_home IS NULL THEN 'currency' END AS amount_excluded,
       d.dealtype, a.contact_id AS attribution_contact, COALESCE(a.source, 'UNKNOWN') AS source, a.campaign,
       CASE WHEN :by_contact = 0 AND d.company_id IS NOT NULL THEN 'company:' || d.company_id
            WHEN a.contact_id IS NOT NULL THEN 'contact:' || a.contact_id
            ELSE 'deal:' || d.id END AS unit,
       'new_business' AS kind
FROM deals d
LEFT JOIN pipeline_stages ps ON ps.pipeline_id = d.pipeline AND ps.id = d.dealstage
LEFT JOIN attribution a ON a.deal_id = d.id AND a.rn = 1
WHERE d.archived = 0
"""


def deal_facts(ctx: KpiContext) -> str:
    """Build ``temp.deal_facts`` once while the database and the settings it reads stay the same; its name."""
    def build() -> str:
        db = ctx.db
        db.execute("DROP TABLE IF EXISTS temp.deal_facts")
        db.execute(_BUILD, {"by_contact": int(ctx.config.customer_unit == "contact")})
        if ctx.config.pipelines:
            marks = ",".join("?" * len(ctx.config.pipelines))
            db.execute(f"DELETE FROM temp.deal_facts WHERE pipeline NOT IN ({marks})", sorted(ctx.config.pipelines))
        db.execute("CREATE INDEX temp.deal_facts_close ON deal_facts (closedate)")
        db.execute("CREATE INDEX temp.deal_facts_unit ON deal_facts (unit, won, closedate)")  # before the lookup
        db.execute("""UPDATE temp.deal_facts SET kind = 'expansion'
                      WHERE dealtype = 'existingbusiness'
                         OR EXISTS (SELECT 1 FROM temp.deal_facts w WHERE w.unit = deal_facts.unit AND w.won = 1
                                    AND w.closedate IS NOT NULL AND w.closedate < deal_facts.createdate)""")
        return "deal_facts"
    settings = (ctx.config.customer_unit, tuple(sorted(ctx.config.pipelines)))
    return shared(ctx.db, ("deal_facts", settings), build)
