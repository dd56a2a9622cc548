"""The mirror's schema, as numbered forward migrations recorded in ``PRAGMA user_version``.

A newer worker opens an older mirror and applies only the migrations it lacks, each in its own
transaction; a mirror newer than the worker is refused rather than guessed at. Columns that hold a
CRM property keep the property's name. Ids of CRM records are integers, timestamps UTC ISO-8601 text
(``2026-03-05T14:02:11.000Z``, so text order is time order), flags 0/1, amounts REAL with an exact INTEGER
twin in micros (millionths of the currency unit, ``<amount>_micros``): sum the twin, SQL's SUM over REAL is a float.

The funnel tables are the KPIs' derived rows (``kpi.refresh`` fills them); their triggers queue every contact
whose row or stage evidence changes, so a refresh rebuilds only those. Every table is created here and
nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from ..errors import MirrorTooNew
from .ddl import FUNNEL, INITIAL, statements


def _initial(db: Database) -> None:
    for statement in statements(INITIAL):
        db.execute(statement)


def _history_pending(db: Database) -> None:
    """Contacts waiting for their lifecycle history, fetched 50 at a time across pages instead of per page."""
    db.execute("CREATE TABLE history_pending (contact_id INTEGER PRIMARY KEY)")


def _writeback_outbox(db: Database) -> None:
    """What the worker wants in the CRM and what it last confirmed written, per (object, id, property)."""
    db.execute("""CREATE TABLE writeback_outbox (
        object_type TEXT NOT NULL,        -- contacts | deals
        object_id TEXT NOT NULL,
        property TEXT NOT NULL,           -- the worker's own property (its prefix)
        wanted TEXT,                      -- NULL clears the value
        written TEXT,                     -- the value last confirmed written
        confirmed INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL,              -- pending | ok | dead
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (object_type, object_id, property))""")
    db.execute("CREATE INDEX writeback_outbox_state ON writeback_outbox (state)")


def _funnel(db: Database) -> None:
    """The funnel tables and the triggers that queue changed contacts for a rebuild.

    Mirrors of version 3 may hold them already, made by the KPI code of that version on its first run:
    hence ``IF NOT EXISTS``; the triggers of its first form (``INSERT OR IGNORE``, which an outer upsert's
    conflict policy overrides) are replaced by ``ON CONFLICT DO NOTHING`` ones. Nothing is queued here:
    a mirror without a funnel fingerprint rebuilds every contact on its first refresh.
    """
    for statement in statements(FUNNEL):
        db.execute(statement)


def _writeback_properties(db: Database) -> None:
    """The CRM properties the worker created: its own whatever their definition says later.

    The outbox's ``state`` also takes ``blocked`` from this version on (a value, no DDL): values held back
    for a property under the prefix that is not the worker's, with the reason in ``last_error``.
    """
    db.execute("""CREATE TABLE writeback_properties (
        object_type TEXT NOT NULL,        -- contacts | deals
        name TEXT NOT NULL,               -- the property's name, prefix included
        PRIMARY KEY (object_type, name))""")


def _deletion_guards(db: Database) -> None:
    """The deletion guard: deletions a full read held back, and the CRM's live count a full read started with.

    ``full_live_count`` is kept with the rest of a full read's state, so a read resumed by another process
    still compares what it stored with the count taken when it began.
    """
    db.execute("""CREATE TABLE deletion_guards (
        stream TEXT PRIMARY KEY,          -- an object stream, or a reference table (pipeline_stages apart)
        would_delete INTEGER NOT NULL,    -- mirrored records the read did not see
        seen INTEGER NOT NULL,            -- live records the read stored (reference tables: listed)
        expected INTEGER NOT NULL,        -- what it had to see: the CRM's count (reference tables: rows mirrored)
        keys_digest TEXT NOT NULL,        -- sha256 of the keys that would go; an equal second drop agrees
        tripped_at TEXT NOT NULL,
        trips INTEGER NOT NULL,           -- full reads in a row that tripped it
        message TEXT NOT NULL)""")
    db.execute("ALTER TABLE sync_state ADD COLUMN full_live_count INTEGER")


def _sla_tasks(db: Database) -> None:
    """The outbox of creates: SLA follow-up tasks (issue 18), one row per hand-off task, ever.

    HubSpot has no idempotent create for tasks, so a task's key is recorded (``new``) before its create is sent,
    and ``sent_at`` is committed before the call: a create whose answer was never recorded (``sent``) is resolved
    by a lookup, never by sending it again. A key, once here, is never created twice.
    """
    db.execute("""CREATE TABLE task_outbox (
        key TEXT PRIMARY KEY,             -- kind:contact:start, also carried in the task's body
        kind TEXT NOT NULL,               -- first_followup | attempts
        contact_id INTEGER NOT NULL,
        owner_id INTEGER,                 -- the task's owner, as last sent
        due_at TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL,              -- new | sent | open | done | closed | rep_done | rep_deleted | dead
        task_id TEXT,                     -- the CRM's id, once known
        sent_at TEXT,                     -- when the create was last sent (wall clock)
        attempts INTEGER NOT NULL DEFAULT 0,
        done TEXT,                        -- why the worker completed it: followed_up, disqualified, merged, ...
        done_at TEXT,                     -- when the work was done: in time when not after due_at
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""")
    db.execute("CREATE INDEX task_outbox_state ON task_outbox (state)")
    db.execute("CREATE INDEX task_outbox_contact ON task_outbox (contact_id)")


def _kpi_results(db: Database) -> None:
    """The KPI results the worker computed in its last cycle, which the dashboard reads instead of computing.

    One row per KPI, period, segment and mode; ``result`` is the whole result as JSON with exact numbers as text.
    ``selection`` is the computation it came from (``all``, or ``by=source`` ...); a row of kpi ``*`` marks a
    selection stored whole, even when it had no result.
    """
    db.execute("""CREATE TABLE kpi_results (
        kpi TEXT NOT NULL,
        period TEXT NOT NULL,             -- 2026-03, 2026-Q1, ...
        segment TEXT NOT NULL,            -- all, or DIMENSION=VALUE (day=..., owner=...,type=... for some KPIs)
        mode TEXT NOT NULL,               -- default (implied pass-through) | strict
        selection TEXT NOT NULL,          -- all | by=source | by=campaign | by=owner | by=pipeline
        result TEXT NOT NULL,             -- JSON of the KPI result, exact numbers as text
        computed_at TEXT NOT NULL,
        PRIMARY KEY (kpi, period, segment, mode))""")
    db.execute("CREATE INDEX kpi_results_selection ON kpi_results (period, mode, selection)")


MONEY_COLUMNS = {"deals": ("amount", "amount_in_home_currency", "amount_home"),
                 "campaigns": ("budget_total", "spend_total"), "campaign_spend": ("amount",)}
MICROS = 1_000_000  # the twin's unit: a millionth, finer than any currency's minor unit (ISO 4217 has 0 to 4 places)
MAX_MICROS_AMOUNT = 9_000_000_000_000  # beyond it a twin would overflow SQLite's INTEGER: ingest refuses the record
# from the REAL, for rows written without their twin: exact for amounts below 10^9 with up to 6 decimal places
_FROM_REAL = f"CASE WHEN abs({{v}}) < {MAX_MICROS_AMOUNT} THEN CAST(round({{v}} * {MICROS}) AS INTEGER) END"


def _money_minor_units(db: Database) -> None:
    """Every amount gets an INTEGER twin in micros, so the KPIs sum money exactly in SQL.

    Ingest fills the twin from HubSpot's decimal string; this migration backfills it from the REAL, and triggers
    do the same for a row written or changed without it (an older writer, a hand-made mirror).
    """
    for table, columns in MONEY_COLUMNS.items():
        for c in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {c}_micros INTEGER")
            db.execute(f"UPDATE {table} SET {c}_micros = {_FROM_REAL.format(v=c)}")
            twin = _FROM_REAL.format(v="NEW." + c)
            fill = f"BEGIN UPDATE {table} SET {c}_micros = {twin} WHERE rowid = NEW.rowid; END"
            unfilled = f"NEW.{c} IS NOT NULL AND NEW.{c}_micros IS NULL"
            db.execute(f"CREATE TRIGGER {table}_{c}_micros_inserted AFTER INSERT ON {table} WHEN {unfilled} {fill}")
            db.execute(f"CREATE TRIGGER {table}_{c}_micros_updated AFTER UPDATE OF {c} ON {table} "
                       f"WHEN NEW.{c} IS NOT OLD.{c} AND NEW.{c}_micros IS OLD.{c}_micros OR {unfilled} {fill}")


# the tables the KPIs and the write-back's wanted values read: a change to any of them is a reason to recompute;
# of these three, only a change to the columns they read (not the JSON of every property, a modification date...),
# so a sync that reads the worker's own writes back is no reason
COUNTED_TABLES = ("contacts", "contact_stage_history", "deals", "deal_contacts", "engagements", "engagement_contacts",
                  "owners", "pipelines", "pipeline_stages", "lifecycle_stages", "campaigns")
COUNTED_COLUMNS = {
    "contacts": ("id", "email", "lifecyclestage", "hs_lead_status", "hubspot_owner_id", "hubspot_owner_assigneddate",
                 "hs_analytics_source", "hs_analytics_first_touch_converting_campaign", "company_id", "createdate",
                 "archived", "merged_into"),
    "deals": ("id", "pipeline", "dealstage", "amount", "deal_currency_code", "amount_in_home_currency", "amount_home",
              "amount_micros", "amount_in_home_currency_micros", "amount_home_micros", "closedate", "createdate",
              "hs_is_closed", "hs_is_closed_won", "dealtype", "hubspot_owner_id", "company_id", "archived"),
    "engagements": ("id", "type", "hs_timestamp", "hubspot_owner_id", "contact_id", "direction", "archived"),
}


def _change_counters(db: Database) -> None:
    """Per table, how many rows were ever inserted, updated or deleted: the cheap half of the KPI fingerprint.

    The worker compares them (with its settings and the clock's next trigger) to what its last plan saw; equal,
    it recomputes nothing. Triggers count every writer, so none can change the KPIs' inputs unseen.
    """
    db.execute("CREATE TABLE mirror_changes (tbl TEXT PRIMARY KEY, changes INTEGER NOT NULL DEFAULT 0)")
    for table in COUNTED_TABLES:
        db.execute("INSERT INTO mirror_changes (tbl) VALUES (?)", [table])
        read = COUNTED_COLUMNS.get(table)
        for event in ("INSERT", "UPDATE", "DELETE"):
            when = (f" WHEN ({', '.join(f'OLD.{c}' for c in read)}) IS NOT ({', '.join(f'NEW.{c}' for c in read)})"
                    if read and event == "UPDATE" else "")
            db.execute(f"CREATE TRIGGER {table}_counted_{event.lower()} AFTER {event} ON {table}{when} BEGIN "
                       f"UPDATE mirror_changes SET changes = changes + 1 WHERE tbl = '{table}'; END")


def _contacts_company_index(db: Database) -> None:
    """The contacts of a company, found without reading every contact's row (the customer KPIs ask per unit)."""
    db.execute("CREATE INDEX contacts_company ON contacts (company_id)")


MIGRATIONS: list[Callable[[Database], None]] = [_initial, _history_pending, _writeback_outbox, _funnel,
                                                _writeback_properties, _deletion_guards, _sla_tasks, _kpi_results,
                                                _money_minor_units, _change_counters, _contacts_company_index]
VERSION = len(MIGRATIONS)


def migrate(db: Database) -> int:
    """Apply the missing migrations, each with its version in one transaction; the version reached."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current > VERSION:
        raise MirrorTooNew(f"the mirror has schema version {current}, newer than this worker's {VERSION}; "
                           "upgrade smarketing-sync")
    for version, step in enumerate(MIGRATIONS[current:], start=current + 1):
        with db.atomic():
            step(db)
            db.execute(f"PRAGMA user_version = {version}")
    return VERSION
