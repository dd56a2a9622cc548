"""Shared fixtures: a clean environment for every test, sandbox portals on loopback, and the chaos suite's scale.

``pytest --long`` runs the chaos suite (tests/chaos/) in its full form: larger portals, more kills, more
hypothesis examples. Without it the suite runs its short form, which CI runs on every change.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import settings

from connector import pacing
from sandbox import Portal, SandboxConfig, SandboxServer, build_portal, load_portal

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
T0 = "2026-01-05T09:00:00.000Z"

# Hypothesis examples a bad-data property of the chaos suite tries: short form, and full form (--long).
CHAOS_EXAMPLES = {False: 40, True: 1_000}
settings.register_profile("chaos", max_examples=CHAOS_EXAMPLES[False], deadline=None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", default=False,
                     help="run the chaos suite (tests/chaos) in its full form: larger portals, more kills and "
                          "hypothesis examples")


# Modules whose tests are all fast and need no sandbox process: the quick set, which CI also runs against the
# declared minimum version of every dependency (pytest -m quick).
QUICK = {"test_architecture.py", "connector/test_hubspot_client.py", "connector/test_read_ahead.py",
         "connector/test_transport_errors.py", "connector/test_batch_writes.py", "connector/test_ensure.py",
         "kpi/test_activity.py", "kpi/test_conversion.py", "kpi/test_costs.py", "kpi/test_customers.py",
         "kpi/test_funnel.py", "kpi/test_planning.py", "kpi/test_sales.py", "kpi/test_sla.py", "kpi/test_volume.py",
         "kpi/test_wanted.py", "kpi/test_worktime.py", "sync/test_mapping.py", "sync/test_mirror.py",
         "sync/test_settings.py", "sync/test_logs.py", "sync/test_migrations.py", "sandbox/test_catalog.py",
         "sandbox/test_loader.py", "sandbox/test_generate.py"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.relative_to(REPO / "tests").as_posix() in QUICK:
            item.add_marker(pytest.mark.quick)


def pytest_configure(config: pytest.Config) -> None:
    """The chaos profile is read when the test modules are imported, after this: --long takes effect there."""
    settings.register_profile("chaos", max_examples=CHAOS_EXAMPLES[config.getoption("--long")], deadline=None)


@pytest.fixture(scope="session")
def long_run(request: pytest.FixtureRequest) -> bool:
    """True under ``pytest --long``: a chaos test then runs in its full form."""
    return bool(request.config.getoption("--long"))


DEFAULT_SEARCHES_PER_SECOND = pacing.SEARCH_PER_SECOND
# Searches a second a test's client allows itself. HubSpot's limit (paced to 4 by default) is for a real portal; the
# sandbox enforces one only under a rate limit, and those tests restore the default (see ``hubspot_search_pace``).
TEST_SEARCHES_PER_SECOND = 1000


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SMARKETING_* variable or .env file from the developer's shell leaks into a test; searches are not paced."""
    for name in list(os.environ):
        if name.startswith("SMARKETING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SMARKETING_SEARCH_PER_SECOND", str(TEST_SEARCHES_PER_SECOND))
    monkeypatch.setattr(pacing, "SEARCH_PER_SECOND", TEST_SEARCHES_PER_SECOND)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def hubspot_search_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    """HubSpot's own search pacing, for tests against a sandbox that enforces the 5 a second."""
    monkeypatch.delenv("SMARKETING_SEARCH_PER_SECOND")
    monkeypatch.setattr(pacing, "SEARCH_PER_SECOND", DEFAULT_SEARCHES_PER_SECOND)


def contact(i: int, **props: str | None) -> dict[str, Any]:
    base = {"email": f"person{i}@example.com", "firstname": f"First{i}", "lastname": f"Last{i}",
            "lifecyclestage": "lead"}
    return {"id": str(i), "properties": {**base, **props}, "createdAt": T0, "updatedAt": T0, "archived": False}


def mini_portal_data(n_contacts: int = 25) -> dict[str, Any]:
    """A small portal built in code, for tests that need exact control over every record."""
    stage = lambda sid, label, order, closed, p: {  # noqa: E731
        "id": sid, "label": label, "displayOrder": order, "archived": False, "createdAt": T0, "updatedAt": T0,
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT", "metadata": {"isClosed": closed, "probability": p}}
    return {
        "account": {"portalId": 111, "timeZone": "Europe/Berlin", "companyCurrency": "EUR"},
        "owners": {"results": [{"id": "9001", "email": "rep@example.com", "firstName": "Rita", "lastName": "Rep",
                                "userId": 1, "userIdIncludingInactive": 1, "type": "PERSON", "createdAt": T0,
                                "updatedAt": T0, "archived": False, "teams": []}]},
        "pipelines": {"results": [{"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": False,
                                   "createdAt": T0, "updatedAt": T0, "stages": [
                                       stage("appointmentscheduled", "Appointment Scheduled", 0, "false", "0.2"),
                                       stage("closedwon", "Closed Won", 1, "true", "1.0"),
                                       stage("closedlost", "Closed Lost", 2, "true", "0.0")]}]},
        "contacts": [contact(i) for i in range(1, n_contacts + 1)],
        "deals": [{"id": "1", "properties": {"dealname": "First deal", "pipeline": "default",
                                             "dealstage": "appointmentscheduled", "amount": "1500.00"},
                   "createdAt": T0, "updatedAt": T0, "archived": False,
                   "associations": {"contacts": {"results": [{"id": "3", "type": "deal_to_contact"}]}}}],
    }


class Api:
    """A thin authenticated client for driving a sandbox in tests."""

    def __init__(self, server: SandboxServer, token: str | None = None) -> None:
        self.server, self.url = server, server.url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token or server.token}"

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=10, **kwargs)

    def stats(self) -> dict[str, Any]:
        return requests.get(self.url + "/_sandbox/stats", timeout=10).json()


@pytest.fixture
def serve() -> Iterator[Any]:
    """Start sandboxes on free ports; each is stopped after the test."""
    servers: list[SandboxServer] = []

    def start(portal: Portal | dict[str, Any] | None = None, **config: Any) -> Api:
        if portal is None:
            portal = mini_portal_data()
        if isinstance(portal, dict):
            portal = load_portal(portal)
        server = SandboxServer(portal, SandboxConfig(**config)).start()
        servers.append(server)
        return Api(server)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sandbox_process() -> Iterator[Any]:
    """Start ``smarketing sandbox OPTIONS`` processes; returns (process, URL); each is stopped after the test."""
    from tests.processes import start_sandbox, stop

    started: list[Any] = []

    def start(*options: str, **kwargs: Any) -> tuple[Any, str]:
        process, url = start_sandbox(*options, **kwargs)
        started.append(process)
        return process, url

    yield start
    for process in started:
        stop(process)


@pytest.fixture(scope="session")
def default_sandbox() -> Iterator[SandboxServer]:
    """The built-in default portal, shared read-only by the tests that only read."""
    with SandboxServer(build_portal()) as server:
        yield server
