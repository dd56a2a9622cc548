"""The worker: the only package that wires the connector, the mirror and the KPIs together.

Its rooms, each a sub-package that says what it owns and what it may import:

- ``storage``: the SQLite mirror, its schema and migrations, the writer lock;
- ``ingest``: reading the CRM into the mirror (stream descriptions, mapping, the sync job);
- ``writeback``: the outbox that writes the worker's values and KPI records into the CRM;
- ``app``: the application shell (CLI, worker, scheduler, health, logs, settings, demo, status).

Data flows one way: CRM -> connector -> ingest -> storage -> kpi -> writeback -> connector -> CRM.
``errors`` (the worker's error tree) and ``secrets`` (redaction) serve every room.
"""
