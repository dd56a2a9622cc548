"""Reading the CRM into the mirror: what each stream reads, how its records map to rows, the sync job.

A new object stream is one entry in ``streams.OBJECT_STREAMS`` plus its mapping function in ``mapping``.
May import ``connector``, ``sync.storage``, ``sync.errors`` and ``sync.secrets``; never ``kpi`` or the other rooms.
"""

from .job import ALL_STREAMS, REFERENCE_STREAMS, Progress, SyncJob, SyncOptions, SyncResult
from .reference import CAMPAIGNS, STREAM_FEATURES
from .streams import OBJECT_STREAMS, ObjectStream

__all__ = ["ALL_STREAMS", "CAMPAIGNS", "OBJECT_STREAMS", "REFERENCE_STREAMS", "STREAM_FEATURES", "ObjectStream",
           "Progress", "SyncJob", "SyncOptions", "SyncResult"]
