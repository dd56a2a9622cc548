"""The web dashboard over the mirror: the KPIs as pages people read, server-rendered, no script.

Owns the ``kpi_results`` rows (``results``: the worker stores its cycle's results, the pages read them), the
read-only view of the mirror with its in-memory cache (``data``), the pages (``pages_*``, ``view``, ``numbers``),
SVG charts (``charts``), rendering (``app``) and HTTP with auth (``server``). Imports ``kpi``'s public names,
``sync.storage`` and ``sync.app.report``; never the connector: no page talks to HubSpot.
"""

from .app import Dashboard
from .data import Data
from .server import DashboardServer, answer

__all__ = ["Dashboard", "DashboardServer", "Data", "answer"]
