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

import sqlite3
from collections.abc import Callable

from sqlite_utils import Database

from ..errors import MirrorTooNew

_INITIAL = """
CREATE TABLE meta (                      -- facts about the mirrored portal
    key TEXT PRIMARY KEY,                -- portal_id, time_zone, currency, ...
    value TEXT
);
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    email TEXT,
    firstname TEXT,
    lastname TEXT,
    lifecyclestage TEXT,                 -- the portal's value: a stage name or a custom stage's numeric id
    hs_lead_status TEXT,
    hubspot_owner_id INTEGER,
    hubspot_owner_assigneddate TEXT,
    hs_analytics_source TEXT,            -- first-touch (original) source
    hs_analytics_source_data_1 TEXT,
    hs_analytics_source_data_2 TEXT,
    hs_analytics_first_touch_converting_campaign TEXT,
    hs_analytics_last_touch_converting_campaign TEXT,
    hs_merged_object_ids TEXT,           -- ids merged into this contact, ';'-separated
    company_id INTEGER,                  -- primary company
    createdate TEXT,
    lastmodifieddate TEXT,
    archived INTEGER NOT NULL DEFAULT 0,
    archived_at TEXT,
    merged_into INTEGER,                 -- the surviving contact, when this one was merged away
    properties TEXT NOT NULL,            -- every property HubSpot sent, as JSON
    full_pass INTEGER NOT NULL DEFAULT 0 -- the last full read that saw the record (deletes are the unseen)
);
CREATE INDEX contacts_lifecyclestage ON contacts (lifecyclestage);
CREATE INDEX contacts_owner ON contacts (hubspot_owner_id);
CREATE INDEX contacts_source ON contacts (hs_analytics_source);
CREATE INDEX contacts_campaign ON contacts (hs_analytics_first_touch_converting_campaign);
CREATE INDEX contacts_email ON contacts (email);
CREATE INDEX contacts_merged_into ON contacts (merged_into);

CREATE TABLE contact_stage_history (
    contact_id INTEGER NOT NULL,
    stage TEXT NOT NULL,                 -- the portal's lifecycle stage value
    entered_at TEXT NOT NULL,
    evidence TEXT NOT NULL,              -- history | hs_v2_date_entered | hs_lifecyclestage_date | hs_date_entered
    PRIMARY KEY (contact_id, stage, entered_at, evidence)
);
CREATE INDEX contact_stage_history_stage ON contact_stage_history (stage, entered_at);

CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    name TEXT,
    domain TEXT,
    industry TEXT,
    lifecyclestage TEXT,
    hubspot_owner_id INTEGER,
    numberofemployees REAL,
    annualrevenue REAL,
    createdate TEXT,
    hs_lastmodifieddate TEXT,
    archived INTEGER NOT NULL DEFAULT 0,
    archived_at TEXT,
    properties TEXT NOT NULL,
    full_pass INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE deals (
    id INTEGER PRIMARY KEY,
    dealname TEXT,
    pipeline TEXT,
    dealstage TEXT,
    amount REAL,                         -- in the deal's currency; NULL when HubSpot has none
    deal_currency_code TEXT,
    amount_in_home_currency REAL,        -- as HubSpot computed it, where it did
    amount_home REAL,                    -- in the portal's currency: amount_in_home_currency, or amount when the
                                         -- deal is in the portal's currency; NULL when it cannot be known
    closedate TEXT,
    createdate TEXT,
    hs_lastmodifieddate TEXT,
    hs_is_closed INTEGER,
    hs_is_closed_won INTEGER,
    dealtype TEXT,
    hubspot_owner_id INTEGER,
    hs_analytics_source TEXT,
    company_id INTEGER,                  -- primary company
    archived INTEGER NOT NULL DEFAULT 0,
    archived_at TEXT,
    properties TEXT NOT NULL,
    full_pass INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deals_pipeline_stage ON deals (pipeline, dealstage);
CREATE INDEX deals_closedate ON deals (closedate);
CREATE INDEX deals_owner ON deals (hubspot_owner_id);

CREATE TABLE deal_contacts (
    deal_id INTEGER NOT NULL,
    contact_id INTEGER NOT NULL,
    PRIMARY KEY (deal_id, contact_id)
);
CREATE INDEX deal_contacts_contact ON deal_contacts (contact_id);

CREATE TABLE engagements (               -- calls, emails, meetings and tasks
    id INTEGER NOT NULL,
    type TEXT NOT NULL,                  -- call | email | meeting | task
    hs_timestamp TEXT,                   -- when it happened (a task's due date)
    hubspot_owner_id INTEGER,
    contact_id INTEGER,                  -- the first associated contact; all are in engagement_contacts
    direction TEXT,                      -- calls INBOUND/OUTBOUND, emails EMAIL/INCOMING_EMAIL/...
    outcome TEXT,                        -- call/email/task status, meeting outcome
    title TEXT,
    createdate TEXT,
    hs_lastmodifieddate TEXT,
    archived INTEGER NOT NULL DEFAULT 0,
    archived_at TEXT,
    properties TEXT NOT NULL,
    full_pass INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (type, id)
);
CREATE INDEX engagements_contact_time ON engagements (contact_id, hs_timestamp);
CREATE INDEX engagements_owner_time ON engagements (hubspot_owner_id, hs_timestamp);

CREATE TABLE engagement_contacts (
    type TEXT NOT NULL,
    engagement_id INTEGER NOT NULL,
    contact_id INTEGER NOT NULL,
    PRIMARY KEY (type, engagement_id, contact_id)
);
CREATE INDEX engagement_contacts_contact ON engagement_contacts (contact_id);

CREATE TABLE owners (
    id INTEGER PRIMARY KEY,
    email TEXT,
    first_name TEXT,
    last_name TEXT,
    user_id INTEGER,
    type TEXT,                           -- PERSON | QUEUE
    archived INTEGER NOT NULL DEFAULT 0,
    teams TEXT                           -- JSON list of {id, name, primary}
);

CREATE TABLE pipelines (
    id TEXT NOT NULL,
    object_type TEXT NOT NULL,
    label TEXT,
    display_order INTEGER,
    archived INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (object_type, id)
);

CREATE TABLE pipeline_stages (
    pipeline_id TEXT NOT NULL,
    id TEXT NOT NULL,
    label TEXT,
    display_order INTEGER,
    probability REAL,
    is_closed INTEGER,
    is_won INTEGER,                      -- closed with probability 1.0
    archived INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (pipeline_id, id)
);

CREATE TABLE lifecycle_stages (          -- the options of the contacts' lifecyclestage property
    value TEXT PRIMARY KEY,              -- a stage name, or a custom stage's numeric id
    label TEXT,
    display_order INTEGER,
    hidden INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    name TEXT,
    start_date TEXT,                     -- YYYY-MM-DD
    end_date TEXT,
    status TEXT,
    currency TEXT,
    budget_total REAL,
    spend_total REAL,
    created_at TEXT,
    updated_at TEXT,
    properties TEXT NOT NULL
);

CREATE TABLE campaign_spend (            -- budget and spend items of each campaign
    campaign_id TEXT NOT NULL,
    kind TEXT NOT NULL,                  -- budget | spend
    item_id TEXT NOT NULL,
    name TEXT,
    amount REAL,
    description TEXT,
    PRIMARY KEY (campaign_id, kind, item_id)
);

CREATE TABLE sync_state (                -- one row per stream
    stream TEXT PRIMARY KEY,
    phase TEXT NOT NULL DEFAULT 'new',   -- new | full | full_archived | incremental
    cursor_ms INTEGER,                   -- every change before it is mirrored (incremental reads start here)
    full_after TEXT,                     -- paging cursor of a full read in progress
    full_started_ms INTEGER,             -- where incremental reads start once the full read is done
    full_pass INTEGER NOT NULL DEFAULT 0,
    last_full_sync TEXT,
    last_sync TEXT,
    status TEXT,                         -- ok | failed | running
    error TEXT
);

CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    mode TEXT NOT NULL,                  -- incremental | full
    status TEXT NOT NULL,                -- running | ok | failed | stopped | interrupted (killed while running)
    records TEXT,                        -- JSON: stream -> records written
    requests INTEGER,
    retries INTEGER,
    rate_limited INTEGER,
    quarantined INTEGER,
    error TEXT
);

CREATE TABLE quarantine (                -- records that could not be stored, kept with why
    stream TEXT NOT NULL,
    record_id TEXT NOT NULL,             -- as HubSpot sent it ('' when it had none)
    reason TEXT NOT NULL,
    payload TEXT NOT NULL,               -- the record as received, JSON
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (stream, record_id)
);
"""


def _initial(db: Database) -> None:
    for statement in _statements(_INITIAL):
        db.execute(statement)


def _statements(script: str) -> list[str]:
    """The statements of a script, one by one: ``executescript`` would commit the migration's transaction.

    A ``;`` ends a statement only where SQLite says the statement is complete (not inside a trigger's body).
    """
    statements, pending = [], ""
    for piece in "\n".join(line.split("--", 1)[0] for line in script.splitlines()).split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    if pending.strip(" \n;"):
        raise ValueError(f"incomplete statement in the schema: {pending.strip()[:80]}")
    return statements


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


_FUNNEL = """
CREATE TABLE IF NOT EXISTS funnel (
    contact_id INTEGER NOT NULL,
    stage TEXT NOT NULL,          -- canonical: subscriber lead mql sql opportunity customer evangelist
    reached_at TEXT,              -- default mode (implied pass-through); NULL when not reached in that mode
    raw_at TEXT,                  -- earliest recorded entry; strict mode counts only these
    implied INTEGER NOT NULL,     -- 1 when reached only by pass-through
    PRIMARY KEY (contact_id, stage)
);
CREATE INDEX IF NOT EXISTS funnel_stage_reached ON funnel (stage, reached_at);
CREATE INDEX IF NOT EXISTS funnel_stage_raw ON funnel (stage, raw_at);
CREATE TABLE IF NOT EXISTS contact_funnel (   -- one row per contact in the KPI population
    contact_id INTEGER PRIMARY KEY,
    current_stage TEXT NOT NULL,  -- canonical stage of the current lifecycle value (other when unmapped)
    current_value TEXT,           -- the portal's value
    entered_current_at TEXT,      -- latest entry into the current value: time in stage runs from here
    source TEXT NOT NULL,         -- hs_analytics_source, UNKNOWN when empty
    campaign TEXT,                -- first-touch converting campaign
    owner_id INTEGER,
    owner_assigned_at TEXT,
    lead_status TEXT,
    first_entry_at TEXT           -- earliest evidence of any stage, for deal attribution
);
CREATE INDEX IF NOT EXISTS contact_funnel_stage ON contact_funnel (current_stage);
CREATE TABLE IF NOT EXISTS funnel_pending (contact_id INTEGER PRIMARY KEY);
DROP TRIGGER IF EXISTS funnel_contact_written;
DROP TRIGGER IF EXISTS funnel_contact_changed;
DROP TRIGGER IF EXISTS funnel_contact_deleted;
DROP TRIGGER IF EXISTS funnel_evidence_written;
DROP TRIGGER IF EXISTS funnel_evidence_deleted;
CREATE TRIGGER IF NOT EXISTS funnel_contact_written_v2 AFTER INSERT ON contacts
    BEGIN INSERT INTO funnel_pending VALUES (NEW.id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS funnel_contact_changed_v2 AFTER UPDATE ON contacts
    BEGIN INSERT INTO funnel_pending VALUES (NEW.id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS funnel_contact_deleted_v2 AFTER DELETE ON contacts
    BEGIN INSERT INTO funnel_pending VALUES (OLD.id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS funnel_evidence_written_v2 AFTER INSERT ON contact_stage_history
    BEGIN INSERT INTO funnel_pending VALUES (NEW.contact_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS funnel_evidence_deleted_v2 AFTER DELETE ON contact_stage_history
    BEGIN INSERT INTO funnel_pending VALUES (OLD.contact_id) ON CONFLICT DO NOTHING; END
"""


def _funnel(db: Database) -> None:
    """The funnel tables and the triggers that queue changed contacts for a rebuild.

    Mirrors of version 3 may hold them already, made by the KPI code of that version on its first run:
    hence ``IF NOT EXISTS``; the triggers of its first form (``INSERT OR IGNORE``, which an outer upsert's
    conflict policy overrides) are replaced by ``ON CONFLICT DO NOTHING`` ones. Nothing is queued here:
    a mirror without a funnel fingerprint rebuilds every contact on its first refresh.
    """
    for statement in _statements(_FUNNEL):
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
                                                _writeback_properties, _deletion_guards, _sla_tasks,
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
