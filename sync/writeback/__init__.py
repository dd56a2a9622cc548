"""Writing back: the worker's per-record values and KPI dashboard records, sent through a durable, diffed outbox.

May import ``connector``, ``kpi`` (its public surface only), ``sync.storage``, ``sync.errors`` and
``sync.secrets``; never ``sync.ingest`` or ``sync.app``.
"""

from .dashboards import FEATURE as DASHBOARDS
from .fingerprint import fingerprint as inputs_fingerprint
from .fingerprint import remember, still_valid
from .outbox import Pusher, PushResult
from .properties import definitions
from .task_figures import TaskFigures, task_figures
from .tasks import TaskOptions, TaskResult

__all__ = ["DASHBOARDS", "PushResult", "Pusher", "TaskFigures", "TaskOptions", "TaskResult", "definitions",
           "inputs_fingerprint", "remember", "still_valid", "task_figures"]
