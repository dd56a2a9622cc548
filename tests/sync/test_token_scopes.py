"""The README's token scopes are exactly the ones the worker's calls need: none missing, none never used.

Every request a sync (full, then incremental) and a push make against the built-in sandbox portal is mapped
to the scope HubSpot's OpenAPI specs require for that operation (per-operation ``security``); a call the table
does not know fails the test, so a new kind of call has to be documented with its scope.
"""

from __future__ import annotations

import re
from typing import Any

from click.testing import CliRunner

from sandbox import build_portal
from sync.app.cli import cli
from tests.conftest import REPO
from tests.processes import worker_env

READ = {"contacts": "crm.objects.contacts.read", "companies": "crm.objects.companies.read",
        "deals": "crm.objects.deals.read", "calls": "crm.objects.contacts.read",
        "emails": "crm.objects.contacts.read", "meetings": "crm.objects.contacts.read",
        "tasks": "crm.objects.contacts.read"}  # HubSpot reads engagements with the contacts scope

# (method, path pattern) -> the scope that operation needs, or None when it needs none beyond a valid token.
SCOPES: list[tuple[str, str, Any]] = [
    ("GET", r"/crm/v3/objects/(?P<t>\w+)", READ),
    ("POST", r"/crm/v3/objects/(?P<t>\w+)/(search|batch/read)", READ),
    ("POST", r"/crm/v3/objects/contacts/batch/update", "crm.objects.contacts.write"),
    ("POST", r"/crm/v3/objects/deals/batch/update", "crm.objects.deals.write"),
    ("POST", r"/crm/v3/objects/tasks/batch/(create|update)", "crm.objects.contacts.write"),  # SLA tasks (§13)
    ("POST", r"/crm/v4/associations/(?P<t>\w+)/\w+/batch/read", READ),
    ("GET", r"/crm/v3/owners", "crm.objects.owners.read"),
    ("GET", r"/crm/v3/pipelines/deals", "crm.objects.deals.read"),
    ("GET", r"/crm/v3/properties/(?P<t>contacts|deals)(/.*)?", "crm.schemas.{t}.read"),
    ("POST", r"/crm/v3/properties/(?P<t>contacts|deals)(/groups)?", "crm.schemas.{t}.write"),
    ("GET", r"/crm-object-schemas/v3/schemas", "crm.schemas.custom.read"),
    ("POST", r"/crm-object-schemas/v3/schemas", "crm.schemas.custom.write"),
    ("POST", r"/crm/v3/objects/2-\d+/batch/upsert", "crm.objects.custom.write"),
    ("GET", r"/account-info/v3/details", None),
    ("GET", r"/marketing/v3/campaigns(/[\w-]+/budget/totals)?", "marketing.campaigns.read"),
]


def scope_of(method: str, path: str) -> str | None:
    for want_method, pattern, scope in SCOPES:
        found = re.fullmatch(pattern, path)
        if method == want_method and found:
            if isinstance(scope, dict):
                return scope[found["t"]]
            return scope.format(**found.groupdict()) if scope else None
    raise AssertionError(f"{method} {path}: no scope known for this call; add it here and to the README")


def readme_scopes() -> set[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Connecting to HubSpot"):]
    section = section[:section.index("\n## ", 1)]
    return set(re.findall(r"^\| `([a-z_]+(?:\.[a-z_]+)+)` \|", section, flags=re.MULTILINE))


def test_the_readme_lists_exactly_the_scopes_the_worker_uses(serve, tmp_path):
    api = serve(build_portal())
    calls: set[tuple[str, str]] = set()
    handle = api.server.app.handle

    def recording(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        calls.add((method, path.rstrip("/")))
        return handle(method, path, *args, **kwargs)

    api.server.app.handle = recording
    env = worker_env(api.url, tmp_path / "m.db", token=api.server.token)
    for command in (["sync"], ["sync"], ["push"]):
        result = CliRunner().invoke(cli, command, env=env)
        assert result.exit_code == 0, result.output
    needed = {scope_of(method, path) for method, path in calls} - {None}
    assert readme_scopes() == needed
    assert {"marketing.campaigns.revenue.read", "crm.objects.custom.read"}.isdisjoint(needed)


def test_the_readme_shows_no_private_app_token():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "pat-" not in text
    assert "Service Key" in text and "Development > Keys >" in text
