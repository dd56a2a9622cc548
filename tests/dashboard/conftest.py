"""One mirror of the built-in portal (plus a contact named like a script), its dashboard and one headless chromium
for the whole module: the browser tests stay quick."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bench.dashboard_screens import browser_found, chromium
from sandbox import SandboxServer, build_portal
from sync.app.dashboard import Dashboard, DashboardServer, Data
from sync.app.dashboard.results import store_cycle
from sync.app.settings import Settings, load_settings
from sync.app.wiring import kpi_config
from sync.storage import Mirror
from tests.conftest import Api
from tests.sync.helpers import run_sync

SCRIPT_NAME = "<script>alert(1)</script>"
DEFAULT_PORTAL = Path(__file__).resolve().parents[2] / "sandbox" / "default_portal"
ENV = {"SMARKETING_STAGE_MAP": "1047290193=lead", "SMARKETING_SOURCE_GOALS": "ORGANIC_SEARCH=6,PAID_SEARCH=4",
       "SMARKETING_MONTHLY_GOAL": "12000"}


@dataclass
class Site:
    url: str
    path: Path
    settings: Settings
    portal_id: str
    this_month: str  # the month the script-named contact became a lead in


LEAD_AT: list[str] = []


def _with_script_contact(folder: Path) -> Path:
    """The built-in portal, plus a copy of its latest new lead named ``<script>alert(1)</script>``."""
    shutil.copytree(DEFAULT_PORTAL, folder)
    contacts = json.loads((folder / "contacts.json").read_text())
    latest = max((c for c in contacts if c["properties"].get("lifecyclestage") == "lead"),
                 key=lambda c: c["properties"]["hs_v2_date_entered_lead"])
    copy = json.loads(json.dumps(latest))
    copy["id"] = "9999"
    copy["properties"] |= {"firstname": SCRIPT_NAME, "lastname": "", "email": "script@example.com"}
    LEAD_AT[:] = [copy["properties"]["hs_v2_date_entered_lead"]]
    (folder / "contacts.json").write_text(json.dumps([*contacts, copy]))
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("dashboard")
    path = folder / "mirror.db"
    with SandboxServer(build_portal(_with_script_contact(folder / "portal"))) as sandbox:
        api = Api(sandbox)
        with Mirror(path) as mirror:
            run_sync(api, mirror)
            settings = load_settings(db=path, stage_map=ENV["SMARKETING_STAGE_MAP"],
                                     source_goals=ENV["SMARKETING_SOURCE_GOALS"], monthly_goal=ENV[
                                         "SMARKETING_MONTHLY_GOAL"])
            store_cycle(mirror, kpi_config(settings, mirror), datetime.now(UTC))
            portal_id = str(mirror.meta("portal_id"))
            zone = mirror.meta("time_zone") or "UTC"
    lead_at = datetime.fromisoformat(LEAD_AT[0].replace("Z", "+00:00"))
    this_month = lead_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m")
    read_only = Mirror.read_only(path)
    data = Data(read_only, lambda: kpi_config(settings, read_only), source_goals=settings.source_goals,
                app_url=settings.hubspot_app_url)
    server = DashboardServer(Dashboard(data), port=0).start()
    try:
        yield Site(server.url.rstrip("/"), path, settings, portal_id, this_month)
    finally:
        server.stop()
        read_only.close()


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    if not browser_found():
        if os.environ.get("CI"):
            pytest.fail("CI is set but /usr/bin/chromium or /usr/bin/chromedriver is missing")
        pytest.skip("no chromium and chromedriver here (CI unset)")
    browser = chromium()
    try:
        yield browser
    finally:
        browser.quit()
