"""The mirror's storage: opening a mirror, its schema as numbered migrations, and the one-writer lock.

Owns every table of the mirror, the funnel tables the KPIs derive included. May import ``sync.errors``
and ``sync.secrets`` only: no connector, no KPIs, no other room.
"""

from .features import Feature, FeatureState, feature_state, grant_feature, refuse_feature
from .lock import worker_lock, writer_lock
from .mirror import DeletionGuard, Mirror, iso, utc_now
from .schema import MAX_MICROS_AMOUNT, MICROS, VERSION, migrate

__all__ = ["MAX_MICROS_AMOUNT", "MICROS", "VERSION", "DeletionGuard",
           "Feature", "FeatureState", "Mirror", "feature_state", "grant_feature", "iso",
           "migrate", "refuse_feature", "utc_now", "worker_lock", "writer_lock"]
