"""What a client did, for the run summary: requests by endpoint, retries, 429s, bytes, time spent pacing."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ClientStats:
    requests: Counter[str] = field(default_factory=Counter)  # endpoint -> requests sent (retries included)
    statuses: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0  # 429 answers received
    transport_errors: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, endpoint: str, status: int | None, sent: int, received: int) -> None:
        with self._lock:
            self.requests[endpoint] += 1
            self.bytes_sent += sent
            self.bytes_received += received
            if status is None:
                self.transport_errors += 1
                return
            self.statuses[status] += 1
            if status == 429:
                self.rate_limited += 1

    def retried(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": self.total_requests, "requests_by_endpoint": dict(self.requests),
                    "statuses": {str(k): v for k, v in self.statuses.items()}, "retries": self.retries,
                    "rate_limited": self.rate_limited, "transport_errors": self.transport_errors,
                    "bytes_sent": self.bytes_sent, "bytes_received": self.bytes_received}
