"""The mirror's storage: opening a mirror, its schema as numbered migrations, and the one-writer lock.

Owns every table of the mirror, the funnel tables the KPIs derive included. May import ``sync.errors``
and ``sync.secrets`` only: no connector, no KPIs, no other room.
"""

from .lock import worker_lock, writer_lock
from .mirror import DeletionGuard, Mirror, iso, utc_now
from .schema import VERSION, migrate

__all__ = ["VERSION", "DeletionGuard", "Mirror", "iso", "migrate", "utc_now", "worker_lock", "writer_lock"]
