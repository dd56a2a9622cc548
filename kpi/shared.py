"""Results shared by every KPI context over one database while nothing in it changes.

The worker's plan computes 32 KPI sets (4 periods, their previous ones, 4 dimensions) and the bench 12; each
context rebuilt the same deal facts and asked the same customer questions. A result is kept with the database's
write stamp (this connection's change count and SQLite's ``data_version``, which moves on another connection's
commit): any write in between drops them all. A build that writes (a temporary table) keeps only itself.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any
from weakref import WeakKeyDictionary

_STORES: WeakKeyDictionary[Any, tuple[tuple[int, int], dict[Hashable, Any]]] = WeakKeyDictionary()


def stamp(db: Any) -> tuple[int, int]:
    """What moves on any write to the database: by this connection (temporary tables included) or another."""
    return db.conn.total_changes, db.execute("PRAGMA data_version").fetchone()[0]


def shared(db: Any, key: Hashable, build: Callable[[], Any]) -> Any:
    """``build()`` once while the database stays as it is; ``key`` must name every input besides the database."""
    current = stamp(db)
    known, values = _STORES.get(db, (None, {}))
    if known != current:
        values = {}
    if key not in values:
        value = build()
        after = stamp(db)
        if after != current:  # the build wrote: what was kept may have read what it replaced
            values = {}
        values[key] = value
        current = after
    _STORES[db] = (current, values)
    return values[key]
