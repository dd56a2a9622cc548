"""The sandbox as a function from request to reply: auth, faults, rate limits, routing and statistics.

Kept apart from the socket server so the request path can be reasoned about (and profiled) alone.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import api_associations, api_meta, api_objects
from .errors import ApiError, correlation_id, resource_not_found, unauthorized
from .limits import UNTHROTTLED, FaultInjector, RateLimiter, injected_error
from .modified_index import ModifiedIndex
from .portal import Portal
from .routing import LEGACY_MESSAGE, Call, Reply, Router, canonical_path, legacy_api
from .tiers import Tiers

DEFAULT_TOKEN = "sandbox-token"


@dataclass
class SandboxConfig:
    token: str = DEFAULT_TOKEN
    rate_limit: int | None = None
    fault_rate: float = 0.0
    batch_fault_rate: float = 0.0
    fault_seed: int = 0
    slow_seconds: float = 2.0
    search_lag: float = 0.0
    slow_creates: float = 0.0  # seconds a create's answer waits, the create already applied (kill tests)
    tier: str | None = None  # the portal's: custom objects, API limits; None: enterprise, unthrottled headers
    marketing_tier: str | None = None  # Marketing Hub's, where it differs: campaigns
    custom_objects: bool = True  # False: an alias of a portal below Enterprise

    def __post_init__(self) -> None:
        self.tiers()  # an unknown tier is refused here, not at the first request

    def tiers(self) -> Tiers:
        """The portal's tiers; without custom objects an Enterprise portal counts as Professional."""
        tier = self.tier or "enterprise"
        return Tiers("professional" if not self.custom_objects and tier == "enterprise" else tier, self.marketing_tier)


class Stats:
    """Counters behind ``GET /_sandbox/stats``; admin calls are not counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.by_status: Counter[str] = Counter()
            self.by_route: Counter[str] = Counter()
            self.by_object_type: Counter[str] = Counter()
            self.by_typed_route: Counter[str] = Counter()  # the route with its object type: POST .../tasks/batch/create
            self.faults = 0
            self.rate_limited = 0

    def record(self, route: str, status: int, object_type: str | None) -> None:
        with self._lock:
            self.by_status[str(status)] += 1
            self.by_route[route] += 1
            if object_type:
                self.by_object_type[object_type] += 1
                self.by_typed_route[route.replace("{objectType}", object_type)] += 1

    def fault(self) -> None:
        with self._lock:
            self.faults += 1

    def limited(self) -> None:
        with self._lock:
            self.rate_limited += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"requests_total": sum(self.by_status.values()), "requests_by_status": dict(self.by_status),
                    "requests_by_route": dict(self.by_route),
                    "requests_by_object_type": dict(self.by_object_type),
                    "requests_by_typed_route": dict(self.by_typed_route), "faults_injected": self.faults,
                    "rate_limited": self.rate_limited}


class SearchCache:
    """The matching ids of recent searches, so paging through one query does not rescan the portal.

    Cleared on every write; unused while search lag is on, as visibility then changes with time.
    """

    def __init__(self, enabled: bool, size: int = 16) -> None:
        self.enabled, self.size = enabled, size
        self._entries: OrderedDict[Any, list[str]] = OrderedDict()

    def get_or_compute(self, key: Any, compute: Callable[[], list[str]]) -> list[str]:
        if not self.enabled:
            return compute()
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        value = self._entries[key] = compute()
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()


@dataclass
class Outcome:
    """What the socket layer should do: answer ``reply``, first wait ``delay`` seconds, or drop."""

    reply: Reply | None
    delay: float = 0.0


class SandboxApp:
    def __init__(self, portal: Portal, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.portal = portal
        self.search_lag = self.config.search_lag
        self.limiter = RateLimiter(self.config.rate_limit, portal.account.get("timeZone", "UTC"))
        self.tiers = self.config.tiers()
        if self.config.tier is None:  # no tier named: headers that never slow a client down (tests, benchmarks)
            self.limiter.limits = UNTHROTTLED
        self.faults = FaultInjector(self.config.fault_rate, self.config.batch_fault_rate,
                                    self.config.fault_seed, self.config.slow_seconds)
        self.stats = Stats()
        self.search_cache = SearchCache(enabled=not self.search_lag)
        self.modified_index = ModifiedIndex()
        self.router = Router()
        for module in (api_objects, api_meta, api_associations):
            module.register(self.router)

    @property
    def tiers(self) -> Tiers:
        return self._tiers

    @tiers.setter
    def tiers(self, tiers: Tiers) -> None:
        """The portal's tiers; settable on a running sandbox, as a portal can be upgraded."""
        self._tiers = tiers
        self.portal.custom_objects_allowed = tiers.custom_objects
        self.limiter.limits = tiers.limits

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any,
               headers: dict[str, str], base_url: str) -> Outcome:
        if len(path) > 1:
            path = path.rstrip("/")
        if path.startswith("/_sandbox/"):
            return Outcome(self._admin(method, path))
        canonical, numbered, dated = canonical_path(path)
        found = self.router.match(method, canonical)
        route = f"{method} {found[0].template if found else '(unknown)'}"
        if found and numbered and dated:  # numbered is set whenever dated is
            route = route.replace(numbered, dated, 1)
        outcome = self._serve(found, method, canonical, path, query, body, headers, base_url)
        reply = outcome.reply
        self.stats.record(route, reply.status if reply else 0, found[1].get("objectType") if found else None)
        if reply is not None:
            reply.headers.setdefault("X-HubSpot-Correlation-Id", correlation_id())
        return outcome

    def _serve(self, found: Any, method: str, canonical: str, path: str, query: dict[str, list[str]],
               body: Any, headers: dict[str, str], base_url: str) -> Outcome:
        try:
            if headers.get("authorization", "") != f"Bearer {self.config.token}":
                raise unauthorized()
            if found is None and legacy_api(path):
                raise resource_not_found(f"{method} {path} is a legacy HubSpot API: {LEGACY_MESSAGE}.")
            if found is None:
                raise resource_not_found(f"No route for {method} {path}")
            route, params = found
            fault = self.faults.draw()
            if fault == "drop":
                self.stats.fault()
                return Outcome(None)
            if fault and fault != "slow":
                self.stats.fault()
                raise injected_error(fault)
            try:
                limit_headers = self.limiter.admit(route.search)
            except ApiError:
                self.stats.limited()
                raise
            self.tiers.check(route.template)
            call = Call(method, path, params, query, body, base_url)
            with self.portal.lock:
                try:
                    reply = route.handler(self, call)
                finally:
                    if route.write:
                        self.search_cache.clear()
            reply.headers.update(limit_headers)
            if self.config.slow_creates and route.write and reply.status == 201:
                return Outcome(reply, delay=self.config.slow_creates)  # applied, the answer not yet sent
            if fault == "slow":
                self.stats.fault()
                return Outcome(reply, delay=self.config.slow_seconds)
            return Outcome(reply)
        except ApiError as e:
            return Outcome(Reply(e.status, e.body, dict(e.headers)))

    def _stats(self) -> dict[str, Any]:
        return {**self.stats.snapshot(), "busiest_ten_seconds": self.limiter.busiest_window}

    def _admin(self, method: str, path: str) -> Reply:
        if method == "GET" and path == "/_sandbox/stats":
            return Reply(200, self._stats())
        if method == "POST" and path == "/_sandbox/stats/reset":
            self.stats.reset()
            self.limiter.busiest_window = 0
            return Reply(200, self._stats())
        return Reply(404, {"status": "error", "message": f"No admin route {method} {path}",
                           "category": "OBJECT_NOT_FOUND", "correlationId": correlation_id()})
