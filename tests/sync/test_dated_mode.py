"""The worker with SMARKETING_HUBSPOT_API_VERSION=2026-03: sync and push touch only dated paths, and the KPI
schema is created with the body 2026-03 requires (the sandbox refuses it without its four more fields)."""

from __future__ import annotations

from click.testing import CliRunner

from sandbox import build_portal
from sync.app.cli import cli
from sync.storage import Mirror
from tests.processes import worker_env
from tests.sync.helpers import assert_mirror_equals_portal


def test_a_sync_and_a_push_in_dated_mode_touch_no_numbered_path(serve, tmp_path):
    api = serve(build_portal())
    env = worker_env(api.url, tmp_path / "m.db", token=api.server.token, HUBSPOT_API_VERSION="2026-03")
    for command in ("sync", "sync", "push"):  # a full read, an incremental one (search), then a push
        result = CliRunner().invoke(cli, [command], env=env)
        assert result.exit_code == 0, result.output
        if command == "sync":
            with Mirror(tmp_path / "m.db") as mirror:
                assert_mirror_equals_portal(mirror, api.server.app.portal)
            assert api("PATCH", "/crm/objects/2026-03/deals/301", json={"properties": {"dealname": "Renamed"}}
                       ).status_code == 200
    routes = api.stats()["requests_by_route"]
    assert not [r for r in routes if "/v3/" in r or "/v4/" in r], routes
    for route in ("GET /crm/objects/2026-03/{objectType}", "POST /crm/objects/2026-03/{objectType}/search",
                  "GET /account-info/2026-03/details", "GET /crm-object-schemas/2026-03/schemas",
                  "POST /crm-object-schemas/2026-03/schemas", "POST /crm/objects/2026-03/{objectType}/batch/upsert",
                  "POST /crm/objects/2026-03/{objectType}/batch/update", "GET /marketing/campaigns/2026-03"):
        assert routes.get(route), route
    assert api.stats()["requests_by_status"].get("400") is None
    schema = api.server.app.portal.schemas["smarketing_kpi"]
    assert schema["allowsSensitiveProperties"] is False
    assert schema["searchableProperties"] == ["kpi_key", "kpi", "period", "segment"]
    assert schema["secondaryDisplayProperties"] == ["value", "as_of"]
    with Mirror(tmp_path / "m.db") as mirror:
        assert mirror.meta("dashboards") == "on"
