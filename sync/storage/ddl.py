"""The DDL of the mirror's first schema version and of its funnel tables, as scripts, and how to run a script
inside a migration's transaction. :mod:`.schema` applies them (versions 1 and 4); nothing else creates tables.
"""

from __future__ import annotations

import sqlite3

INITIAL = """
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


FUNNEL = """
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


def statements(script: str) -> list[str]:
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
