"""The sandbox's HubSpot tiers: what a portal below a tier is refused, and the API limits each tier reports.

Schemas go through HubSpot's official SDK with its validation on (as in test_sdk_conformance); the SDK has no
campaigns module, so the Campaigns API is called over plain HTTP.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm import schemas as sdk_schemas

from sandbox import DEFAULT_TOKEN, SandboxConfig, build_portal
from sandbox.tiers import TIERS, Tiers
from sync.app.cli import TIERS as CLI_TIERS

CAMPAIGN = "3f6d2a9e-8b1c-4e57-9a0d-5c2b7e41f8a3"  # one of the built-in portal's
CAMPAIGN_PATHS = ("/marketing/v3/campaigns", f"/marketing/v3/campaigns/{CAMPAIGN}",
                  f"/marketing/v3/campaigns/{CAMPAIGN}/budget/totals", "/marketing/campaigns/2026-03",
                  f"/marketing/campaigns/2026-03/{CAMPAIGN}/budget/totals")
# tier -> (requests per 10 s, a day): API notes, section 14
LIMITS = {"free": (100, 250_000), "starter": (100, 250_000), "professional": (190, 650_000),
          "enterprise": (190, 1_000_000)}


def strict(model: type, **fields: Any) -> Any:
    package = model.__module__.split(".models.")[0]
    config = importlib.import_module(f"{package}.configuration").Configuration()
    config.client_side_validation = True
    return model(**fields, local_vars_configuration=config)


def schema_egg() -> Any:
    return strict(
        sdk_schemas.ObjectSchemaEgg, name="tier_probe",
        labels=strict(sdk_schemas.ObjectTypeDefinitionLabels, singular="Probe", plural="Probes"),
        primary_display_property="probe_key", required_properties=["probe_key"], searchable_properties=[],
        secondary_display_properties=[], associated_objects=[],
        properties=[strict(sdk_schemas.ObjectTypePropertyCreate, name="probe_key", label="Probe key", type="string",
                           field_type="text", has_unique_value=True)])


def create_schema(api: Any) -> int:
    """The SDK's schema create against the sandbox: 201, or the status of the ApiException it raised."""
    client = HubSpot(access_token=api.server.token, host=api.url, client_side_validation=True)
    try:
        created = client.crm.schemas.core_api.create(object_schema_egg=schema_egg())
    except sdk_schemas.ApiException as e:
        body = json.loads(e.body)
        assert body["category"] and body["correlationId"] and body["message"]  # HubSpot's error envelope
        assert client.crm.schemas.core_api.get_all().results == []  # nothing half-made
        return int(e.status)
    assert isinstance(created, sdk_schemas.ObjectSchema) and created.object_type_id.startswith("2-")
    return 201


@pytest.mark.parametrize(("config", "campaigns", "schemas"), [
    ({"tier": "free"}, 403, 403), ({"tier": "starter"}, 403, 403), ({"tier": "professional"}, 200, 403),
    ({"tier": "enterprise"}, 200, 201), ({"tier": "enterprise", "marketing_tier": "starter"}, 403, 201),
    ({"tier": "starter", "marketing_tier": "enterprise"}, 200, 403), ({}, 200, 201),
    ({"custom_objects": False}, 200, 403),  # the old switch: a portal below Enterprise
], ids=["free", "starter", "professional", "enterprise", "sales enterprise, marketing starter",
        "sales starter, marketing enterprise", "default", "no custom objects"])
def test_each_tier_refuses_what_it_lacks(serve, config, campaigns, schemas):
    api = serve(build_portal(), **config)
    assert {path: api("GET", path).status_code for path in CAMPAIGN_PATHS} == dict.fromkeys(CAMPAIGN_PATHS, campaigns)
    assert create_schema(api) == schemas
    assert api("GET", "/crm/v3/objects/contacts").status_code == 200  # the CRM itself answers on every tier


def test_a_refused_campaigns_call_answers_hubspots_missing_scopes_body(serve):
    reply = serve(build_portal(), tier="starter")("GET", "/marketing/v3/campaigns")
    body = reply.json()
    assert reply.status_code == 403 and body["category"] == "MISSING_SCOPES" and body["status"] == "error"
    assert body["errors"] == [{"message": "One or more of the following scopes are required.",
                               "context": {"requiredScopes": ["marketing.campaigns.read"]}}]
    assert body["message"].startswith("This app hasn't been granted all required scopes")
    assert body["links"] == {"scopes": "https://developers.hubspot.com/scopes"} and body["correlationId"]


@pytest.mark.parametrize("tier", TIERS)
def test_the_headers_report_the_tiers_limits_without_enforcing_them(serve, tier):
    api = serve(build_portal(), tier=tier)
    budget, daily = LIMITS[tier]
    replies = [api("GET", "/crm/v3/owners") for _ in range(budget + 5)]  # past the tier's budget: still served
    assert {r.status_code for r in replies} == {200}
    headers = replies[0].headers
    assert (headers["X-HubSpot-RateLimit-Max"], headers["X-HubSpot-RateLimit-Daily"]) == (str(budget), str(daily))
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert int(headers["X-HubSpot-RateLimit-Daily-Remaining"]) < daily


@pytest.mark.parametrize("config", [{}, {"custom_objects": False}, {"marketing_tier": "starter"}],
                         ids=["default", "no custom objects", "only a marketing tier"])
def test_without_a_tier_named_the_headers_never_slow_a_client_down(serve, config):
    """Tests and benchmarks run against an unthrottled sandbox: the client paces to -Max, so it is left high."""
    headers = serve(build_portal(), **config)("GET", "/crm/v3/owners").headers
    assert (headers["X-HubSpot-RateLimit-Max"], headers["X-HubSpot-RateLimit-Daily"]) == ("1000000", "1000000")


def test_rate_limit_overrides_the_tiers_budget_and_enforces_it(serve):
    api = serve(build_portal(), tier="professional", rate_limit=3)
    statuses = [api("GET", "/crm/v3/owners").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    headers = api("GET", "/crm/v3/owners").headers
    assert (headers["X-HubSpot-RateLimit-Max"], headers["X-HubSpot-RateLimit-Daily"]) == ("3", "650000")


def test_a_running_portal_can_be_upgraded(serve):
    api = serve(build_portal(), tier="starter")
    assert api("GET", "/marketing/v3/campaigns").status_code == 403
    assert api("GET", "/crm/v3/owners").headers["X-HubSpot-RateLimit-Max"] == "100"
    api.server.app.tiers = Tiers("enterprise")
    assert api("GET", "/marketing/v3/campaigns").status_code == 200
    assert api("GET", "/crm/v3/owners").headers["X-HubSpot-RateLimit-Max"] == "190"
    assert create_schema(api) == 201


def test_an_unknown_tier_is_refused_when_configured():
    with pytest.raises(ValueError, match="unknown HubSpot tier 'gold'"):
        SandboxConfig(tier="gold")
    assert CLI_TIERS == TIERS  # the CLI's choices, which it names without importing the sandbox


def test_the_sandbox_command_serves_the_tiers_it_is_given_to_fixture_and_generated_portals(sandbox_process):
    _, url = sandbox_process("--fixtures", "fixtures/tiny", "--tier", "enterprise", "--marketing-tier", "starter")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {DEFAULT_TOKEN}"
    assert session.get(f"{url}/marketing/v3/campaigns", timeout=10).status_code == 403
    owners = session.get(f"{url}/crm/v3/owners", timeout=10)
    assert (owners.headers["X-HubSpot-RateLimit-Max"], owners.headers["X-HubSpot-RateLimit-Daily"]) == (
        "190", "1000000")
    _, url = sandbox_process("--contacts", "100", "--no-custom-objects")
    created = session.post(f"{url}/crm/v3/schemas", timeout=10, json={
        "name": "x", "labels": {"singular": "X", "plural": "Xs"}, "properties": [], "requiredProperties": [],
        "associatedObjects": []})
    assert created.status_code == 403
    assert session.get(f"{url}/marketing/v3/campaigns", timeout=10).status_code == 200


def test_no_custom_objects_and_tier_enterprise_exclude_each_other():
    from click.testing import CliRunner

    from sync.app.cli import cli
    result = CliRunner().invoke(cli, ["sandbox", "--tier", "enterprise", "--no-custom-objects"])
    assert result.exit_code == 2 and "--no-custom-objects is a portal below Enterprise" in result.output
