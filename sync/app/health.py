"""``/healthz`` and ``/metrics`` for the long-running worker, from a tiny stdlib HTTP server.

Health means "a run succeeded recently", not "the process is up": a worker that keeps failing (expired
token, portal mismatch) or whose scheduler stalled reports 503 with the reason, so an orchestrator or an
alert can act. Metrics live on the server's own registry, so several instances (tests) never collide and
nothing from the global default registry leaks in.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.exposition import choose_encoder

from ..errors import PortInUse
from ..secrets import redact

log = logging.getLogger("smarketing.health")

MAX_REASON = 500  # characters of a failure reason kept; exception texts can be long
POLL_SECONDS = 0.1  # how soon stop() is noticed


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _ago(seconds: float) -> str:
    return f"{int(seconds)} s ago" if seconds < 60 else f"{int(seconds // 60)} min ago"


class Health:
    """What the worker last did, and the metrics about it. Every method is safe to call from any thread."""

    def __init__(self, max_age: float, clock: Callable[[], float] = time.time) -> None:
        self.max_age, self.clock = max_age, clock
        self._lock = threading.Lock()
        self._last_success: float | None = None
        self._last_failure: tuple[float, str] | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.runs = Counter("smarketing_runs_total", "Runs finished, failed ones included.", registry=r)
        self.failures = Counter("smarketing_run_failures_total", "Runs that failed.", registry=r)
        self.records = Counter("smarketing_records_total", "Records synced, by stream.", ["stream"], registry=r)
        self.requests = Counter("smarketing_api_requests_total", "CRM API requests sent.", registry=r)
        self.rate_limited = Counter("smarketing_api_rate_limited_total", "CRM API 429 answers.", registry=r)
        self.outbox_backlog = Gauge("smarketing_outbox_backlog", "Write-back values not yet confirmed in the CRM.",
                                    registry=r)
        self.last_success = Gauge("smarketing_last_success_timestamp_seconds",
                                  "Unix time the last successful run finished.", registry=r)
        self.quarantined = Gauge("smarketing_quarantined_records", "Records held in quarantine.", registry=r)
        self.features = Gauge("smarketing_feature_available",
                              "1 when the portal serves an optional feature, 0 when it refused it (its tier).",
                              ["feature"], registry=r)
        self.tasks = Gauge("smarketing_sla_tasks", "SLA follow-up tasks by rep (owner id) and state: created, open, "
                           "overdue, in_time, late, closed, by_rep, deleted, pending, dead.", ["rep", "state"],
                           registry=r)

    def run_succeeded(self, records: Mapping[str, int], requests: int, rate_limited: int, outbox_backlog: int,
                      quarantined: int, at: float | None = None, features: Mapping[str, bool] | None = None,
                      tasks: Mapping[int | None, Mapping[str, int]] | None = None) -> None:
        """Counts are this run's (added to the counters); backlog, quarantine and features are current states."""
        at = self.clock() if at is None else at
        with self._lock:
            self.runs.inc()
            for stream, count in records.items():
                self.records.labels(stream=stream).inc(count)
            self.requests.inc(requests)
            self.rate_limited.inc(rate_limited)
            self.outbox_backlog.set(outbox_backlog)
            self.quarantined.set(quarantined)
            for feature, available in (features or {}).items():
                self.features.labels(feature=feature).set(int(available))
            for rep, counts in (tasks or {}).items():
                for state, n in counts.items():
                    self.tasks.labels(rep="none" if rep is None else str(rep), state=state).set(n)
            self.last_success.set(at)
            self._last_success = at if self._last_success is None else max(self._last_success, at)

    def run_failed(self, reason: str, at: float | None = None) -> None:
        """``reason`` is served on an unauthenticated port: it is redacted and cut short."""
        at = self.clock() if at is None else at
        with self._lock:
            self.runs.inc()
            self.failures.inc()
            self._last_failure = (at, redact(str(reason))[:MAX_REASON])

    def status(self) -> tuple[int, dict[str, Any]]:
        """The ``/healthz`` answer: HTTP status and JSON body."""
        now = self.clock()
        with self._lock:
            success, failure = self._last_success, self._last_failure
        body: dict[str, Any] = {"max_age_seconds": self.max_age}
        if success is not None:
            body |= {"last_success": _iso(success), "age_seconds": round(now - success, 3)}
        recent_failure = failure if failure and (success is None or failure[0] > success) else None
        if recent_failure:
            body |= {"last_failure": _iso(recent_failure[0]), "last_failure_reason": recent_failure[1]}
        if success is not None and now - success < self.max_age:
            return HTTPStatus.OK, {"status": "ok", **body}
        if success is None:
            reason = "no successful run yet"
        else:
            reason = f"last successful run {_ago(now - success)} (at {_iso(success)})"
        if recent_failure:
            reason += f"; last failure: {recent_failure[1]}"
        return HTTPStatus.SERVICE_UNAVAILABLE, {"status": "unhealthy", "reason": reason, **body}


@contextmanager
def listening(host: str, port: int) -> Iterator[None]:
    """Binding a server: an address that is taken or refused is a :class:`PortInUse`, not a traceback."""
    try:
        yield
    except OSError as e:
        raise PortInUse(f"cannot listen on {host}:{port}: {e.strerror}") from None


class _Handler(BaseHTTPRequestHandler):
    health: Health  # set on the per-server subclass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            code, body = self.health.status()
            self._send(code, json.dumps(body).encode(), "application/json")
        elif path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            self._send(HTTPStatus.OK, encoder(self.health.registry), content_type)
        else:
            self._send(HTTPStatus.NOT_FOUND, b'{"status": "not found"}', "application/json")

    def _send(self, code: int, payload: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Probes hit every few seconds: keep them out of the worker's log unless debugging."""
        log.debug("http %s", format % args)


class HealthServer:
    """``/healthz`` and ``/metrics`` served from a daemon thread; ``port=0`` picks a free port."""

    def __init__(self, health: Health, port: int = 0, host: str = "127.0.0.1") -> None:
        self.health = health
        handler = type("HealthHandler", (_Handler,), {"health": health})
        with listening(host, port):
            self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> HealthServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,),
                                            name="smarketing-health", daemon=True)
            self._thread.start()
            log.info("serving /healthz and /metrics on %s:%d", self._server.server_address[0], self.port)
        return self

    def stop(self) -> None:
        """Stop serving and free the port; safe to call twice or before :meth:`start`."""
        if self._thread is not None:
            self._server.shutdown()  # only when serve_forever runs: otherwise it would wait forever
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> HealthServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
