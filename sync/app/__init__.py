"""The application shell: the ``smarketing`` CLI, the scheduled worker, health and metrics, logs, settings,
the demo and the status report.

The only room that reads settings; ``wiring`` turns them into a CRM client, sync options and the KPI
configuration. May import every other room, ``connector``, ``kpi`` (its public surface) and ``sandbox``.
"""
