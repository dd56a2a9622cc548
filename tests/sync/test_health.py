"""The health endpoint follows the last successful run; the metrics endpoint speaks Prometheus."""

from __future__ import annotations

import json
from http.client import HTTPConnection

import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from sync.app.health import Health, HealthServer

T0 = 1_780_000_000.0  # 2026-05-28T20:26:40Z


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def health(clock):
    return Health(max_age=3600, clock=clock)


@pytest.fixture
def server(health):
    with HealthServer(health, port=0, host="127.0.0.1") as server:
        yield server


def get(server: HealthServer, path: str) -> tuple[int, str | None, str]:
    conn = HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), response.read().decode()
    finally:
        conn.close()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_unhealthy_before_any_run(server):
    status, content_type, body = get(server, "/healthz")
    assert status == 503 and content_type == "application/json"
    assert json.loads(body)["reason"] == "no successful run yet"


def test_healthy_after_a_successful_run(server, health, clock):
    health.run_succeeded({"contacts": 5}, requests=3, rate_limited=0, outbox_backlog=0, quarantined=0)
    clock.now += 60
    status, _, body = get(server, "/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "max_age_seconds": 3600, "last_success": "2026-05-28T20:26:40Z",
                                "age_seconds": 60.0}


def test_unhealthy_once_the_last_success_is_too_old_with_the_last_failure(server, health, clock):
    health.run_succeeded({}, requests=0, rate_limited=0, outbox_backlog=0, quarantined=0)
    clock.now += 30 * 60
    health.run_failed("AuthError: 401 for Bearer pat-na1-0a1b2c3d-4e5f-6789")
    clock.now += 42 * 60
    status, _, body = get(server, "/healthz")
    assert status == 503
    reason = json.loads(body)["reason"]
    assert reason == ("last successful run 72 min ago (at 2026-05-28T20:26:40Z); "
                      "last failure: AuthError: 401 for Bearer [secure]")


def test_a_later_success_clears_the_failure(health, clock):
    health.run_failed("boom")
    clock.now += 10
    health.run_succeeded({}, requests=0, rate_limited=0, outbox_backlog=0, quarantined=0)
    code, body = health.status()
    assert code == 200 and "last_failure" not in body


def test_failures_alone_stay_unhealthy(health):
    health.run_failed("PortalMismatch: mirror belongs to portal 1")
    code, body = health.status()
    assert code == 503
    assert body["reason"] == "no successful run yet; last failure: PortalMismatch: mirror belongs to portal 1"


def test_metrics_in_prometheus_text_format(server, health, clock):
    health.run_succeeded({"contacts": 5, "deals": 2}, requests=7, rate_limited=1, outbox_backlog=40, quarantined=3)
    clock.now += 100
    health.run_succeeded({"contacts": 1}, requests=2, rate_limited=0, outbox_backlog=0, quarantined=2)
    health.run_failed("boom")
    status, content_type, body = get(server, "/metrics")
    assert status == 200 and content_type is not None and content_type.startswith("text/plain")
    values = samples(body)
    assert values[("smarketing_runs_total", ())] == 3
    assert values[("smarketing_run_failures_total", ())] == 1
    assert values[("smarketing_records_total", (("stream", "contacts"),))] == 6
    assert values[("smarketing_records_total", (("stream", "deals"),))] == 2
    assert values[("smarketing_api_requests_total", ())] == 9
    assert values[("smarketing_api_rate_limited_total", ())] == 1
    assert values[("smarketing_outbox_backlog", ())] == 0
    assert values[("smarketing_quarantined_records", ())] == 2
    assert values[("smarketing_last_success_timestamp_seconds", ())] == T0 + 100


def test_each_health_has_its_own_registry(health, clock):
    other = Health(max_age=60, clock=clock)
    other.run_failed("x")
    assert samples(generate_latest(health.registry).decode())[("smarketing_runs_total", ())] == 0
    assert samples(generate_latest(other.registry).decode())[("smarketing_runs_total", ())] == 1
    assert "smarketing_runs_total" not in generate_latest(REGISTRY).decode()


def test_unknown_path_is_404(server):
    status, _, _ = get(server, "/nope")
    assert status == 404


def test_stop_is_safe_before_start_and_twice(health):
    server = HealthServer(health, port=0, host="127.0.0.1")
    server.stop()
    server.stop()
