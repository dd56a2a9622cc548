"""Optional features (campaigns, dashboard records) turn off on HubSpot's refusal, whatever its shape: a 403 with
MISSING_SCOPES or without, or another 4xx but 400, 401, 409, 423 and 429. Any other failure keeps today's
handling, and an optional feature that is off is tried again at the next full reconcile."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from connector import (
    AuthError,
    BadRequest,
    Conflict,
    CRMError,
    MissingScopes,
    NotFound,
    RateLimited,
    ServerError,
    is_refusal,
)
from sandbox import build_portal
from sandbox.tiers import Tiers
from sync.app.cli import cli
from sync.writeback.dashboards import OBJECT_NAME
from tests.processes import worker_env
from tests.proxy import LoopbackProxy, answer


def error(status: int, category: str | None = "FORBIDDEN") -> dict[str, Any]:
    return {"status": "error", "message": f"refused with {status}", "correlationId": "c-1",
            **({"category": category} if category else {})}


@pytest.mark.parametrize(("made", "refusal"), [
    (MissingScopes("x", status=403, category="MISSING_SCOPES"), True), (AuthError("x", status=403), True),
    (NotFound("x", status=404), True), (BadRequest("x", status=402), True), (BadRequest("x", status=405), True),
    (BadRequest("x", status=410), True), (BadRequest("x", status=400), False), (AuthError("x", status=401), False),
    (Conflict("x", status=409), False), (ServerError("x", status=423), False), (RateLimited("x", status=429), False),
    (ServerError("x", status=477), False), (ServerError("x", status=500), False), (CRMError("no answer"), False),
    (ValueError("not the CRM's"), False)])
def test_what_counts_as_a_refusal(made, refusal):
    assert is_refusal(made) is refusal


def _invoke(*args: str, env: dict[str, str]) -> Any:
    return CliRunner().invoke(cli, list(args), env=env)


def _meta(db: Path, key: str) -> str | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize(("status", "body"), [
    (403, error(403)), (403, {}), (404, error(404, "OBJECT_NOT_FOUND")), (402, error(402, None))],
    ids=["403 without MISSING_SCOPES", "403 without a body", "404", "402"])
def test_any_refusal_of_campaigns_turns_them_off_and_the_sync_goes_on(serve, tmp_path, status, body):
    api, db = serve(build_portal()), tmp_path / "m.db"
    with LoopbackProxy(api.url) as proxy:
        proxy.rules.append(answer("GET", "/marketing/v3/campaigns", body, status))
        result = _invoke("sync", env=worker_env(proxy.url, db))
    assert result.exit_code == 0, result.output
    assert "campaigns off: not available on this portal" in result.stdout and "contacts 60" in result.stdout
    assert (_meta(db, "campaigns") or "").startswith(f"off: the CRM refused campaigns (HTTP {status} ")


@pytest.mark.parametrize(("status", "code"), [(400, 1), (401, 2), (409, 1)])
def test_a_campaigns_failure_that_is_no_refusal_fails_the_sync_as_before(serve, tmp_path, status, code):
    api, db = serve(build_portal()), tmp_path / "m.db"
    with LoopbackProxy(api.url) as proxy:
        proxy.rules.append(answer("GET", "/marketing/v3/campaigns", error(status, "VALIDATION_ERROR"), status))
        result = _invoke("sync", env=worker_env(proxy.url, db))
    assert result.exit_code == code, result.output
    assert _meta(db, "campaigns") is None


def test_a_token_without_the_contacts_scope_still_exits_2_naming_it(serve, tmp_path):
    """Contacts are no optional feature: their refusal is the run's."""
    api, db = serve(build_portal(), tier="free"), tmp_path / "m.db"
    scopes = {**error(403, "MISSING_SCOPES"), "errors": [
        {"message": "One or more of the following scopes are required.",
         "context": {"requiredScopes": ["crm.objects.contacts.read"]}}]}
    with LoopbackProxy(api.url) as proxy:
        proxy.rules.append(answer("GET", "/crm/v3/objects/contacts", scopes, 403))
        result = _invoke("sync", env=worker_env(proxy.url, db))
    assert result.exit_code == 2, result.output
    assert "crm.objects.contacts.read" in result.output


@pytest.mark.parametrize("status", [403, 404, 402])
def test_any_refusal_of_the_kpi_object_turns_dashboard_records_off_and_the_push_goes_on(serve, tmp_path, status):
    api, db = serve(build_portal()), tmp_path / "m.db"
    with LoopbackProxy(api.url) as proxy:
        env = worker_env(proxy.url, db)
        assert _invoke("sync", env=env).exit_code == 0
        proxy.rules.append(answer("POST", "/crm-object-schemas/v3/schemas", error(status, None), status))
        result = _invoke("push", env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("pushed 83 records") and "dashboard records off" in result.stdout
    assert (_meta(db, "dashboards") or "").startswith(f"off: the CRM refused the smarketing_kpi custom object "
                                                      f"(HTTP {status} ")


def test_a_bad_token_on_the_kpi_object_is_the_tokens_failure_not_a_refusal(serve, tmp_path):
    api, db = serve(build_portal()), tmp_path / "m.db"
    with LoopbackProxy(api.url) as proxy:
        env = worker_env(proxy.url, db)
        assert _invoke("sync", env=env).exit_code == 0
        proxy.rules.append(answer("POST", "/crm-object-schemas/v3/schemas", error(401, "INVALID_AUTHENTICATION"), 401))
        result = _invoke("push", env=env)
    assert result.exit_code == 2, result.output
    assert _meta(db, "dashboards") is None


def test_dashboard_records_refused_when_upserted_are_off_and_the_values_still_go(serve, tmp_path):
    api, db = serve(build_portal()), tmp_path / "m.db"
    with LoopbackProxy(api.url) as proxy:
        env = worker_env(proxy.url, db)
        assert _invoke("sync", env=env).exit_code == 0
        proxy.rules.append(answer("POST", "/batch/upsert", error(403), 403))
        result = _invoke("push", env=env)
        upserts = [r for r in proxy.answered if r.path.endswith("/batch/upsert")]
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("pushed 83 records") and "dashboard records off" in result.stdout
    assert len(upserts) == 1  # the first refusal stops the others
    assert (_meta(db, "dashboards") or "").startswith("off: the CRM refused the smarketing_kpi records (HTTP 403 ")


def test_dashboard_records_come_back_at_the_next_full_reconcile_after_an_upgrade(serve, tmp_path):
    api, db = serve(build_portal(), tier="professional"), tmp_path / "m.db"
    env = worker_env(api.url, db)
    assert _invoke("sync", env=env).exit_code == 0
    assert "dashboard records off" in _invoke("push", env=env).stdout
    api.server.app.tiers = Tiers("enterprise")
    api("POST", "/_sandbox/stats/reset")
    again = _invoke("push", env=env)  # no full read since the refusal: not asked again
    assert again.exit_code == 0 and "dashboard records off" in again.stdout
    assert not [r for r in api.stats()["requests_by_route"] if "schemas" in r]
    assert _invoke("sync", "--full", env=env).exit_code == 0
    upgraded = _invoke("push", env=env)
    assert upgraded.exit_code == 0 and "dashboard records off" not in upgraded.stdout, upgraded.output
    assert _meta(db, "dashboards") == "on"
    records = api("GET", f"/crm/v3/objects/{OBJECT_NAME}", params={"limit": 1}).json()["results"]
    assert records


def test_a_feature_that_is_off_is_tried_again_at_a_full_reconcile_or_once_one_is_due():
    from datetime import UTC, datetime, timedelta

    from sync.ingest import CAMPAIGNS
    from sync.storage import FeatureState

    off = FeatureState(CAMPAIGNS, False, "refused", "2026-03-01T00:00:00.000Z")
    at = datetime(2026, 3, 1, 23, tzinfo=UTC)
    assert not off.retry_due(full=False, hours=24, now=at)
    assert off.retry_due(full=True, hours=24, now=at)
    assert off.retry_due(full=False, hours=24, now=at + timedelta(hours=1))
    assert not off.retry_due(full=False)  # without hours, only a full reconcile (a push: a full read since)
    assert FeatureState(CAMPAIGNS, True, None, None).retry_due(full=False)
    assert FeatureState(CAMPAIGNS, None, None, None).retry_due(full=False)  # never tried
    assert FeatureState(CAMPAIGNS, False, "refused", None).retry_due(full=False)  # an older mirror kept no time
