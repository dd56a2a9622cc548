"""Route templates, the request a handler sees, and HubSpot's date-versioned path aliases."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .errors import bad_request

# HubSpot's date-versioned paths (/crm/objects/2026-03/...) serve the same shapes as the numbered
# ones; v3 and v4 are retired in 2027 (API notes, sections 1 and 1a). Only the versions HubSpot has
# are served: another date is a 404, as it is there.
VERSIONS = ("2025-09", "2026-03", "2026-09", "2026-09-beta")
_DATED = re.compile(r"^/(?:(?P<area>crm|marketing)/(?P<family>objects|properties|pipelines|owners|associations|"
                    r"campaigns)|(?P<api>crm-object-schemas|account-info))/(?P<version>\d{4}-\d{2}(?:-beta)?)(?=/|$)")
_NUMBERED = {"associations": "v4"}
# HubSpot's legacy v1/v2 APIs (/contacts/v1/..., /properties/v2/..., /email/public/v1/...) are out of scope.
_LEGACY = re.compile(r"^/[\w-]+(?:/public)?/v[12](?:/|$)")
LEGACY_MESSAGE = "the sandbox serves only the CRM v3/v4 and dated APIs"


def legacy_api(path: str) -> bool:
    """Whether a path is one of HubSpot's legacy v1/v2 APIs, which the sandbox answers with a 404 saying so."""
    return bool(_LEGACY.match(path))
# The per-record associations v4 routes live under the dated objects family: /crm/objects/2026-03/{t}/{id}/associations
_RECORD_ASSOCIATIONS = re.compile(r"^/[^/]+/[^/]+/associations(?=/|$)")
# Fields a schema-create body (ObjectSchemaEgg) needs beyond v3's five, by version (HubSpot's specs).
_SCHEMA_EXTRAS = ("allowsSensitiveProperties", "searchableProperties", "secondaryDisplayProperties")
SCHEMA_FIELDS = {"v3": (), "2025-09": _SCHEMA_EXTRAS, "2026-03": (*_SCHEMA_EXTRAS, "shouldCreateSameObjectAssociation"),
                 "2026-09": _SCHEMA_EXTRAS, "2026-09-beta": _SCHEMA_EXTRAS}


def canonical_path(path: str) -> tuple[str, str | None, str | None]:
    """(path in its numbered form, numbered prefix, dated prefix) for a dated path; else (path, None, None)."""
    match = _DATED.match(path)
    if not match or match["version"] not in VERSIONS:
        return path, None, None
    rest = path[match.end():]
    if match["api"]:
        numbered = f"/{match['api']}/v3"
    else:
        family = match["family"]
        version = "v4" if family == "objects" and _RECORD_ASSOCIATIONS.match(rest) else _NUMBERED.get(family, "v3")
        numbered = f"/{match['area']}/{version}/{family}"
    return numbered + rest, numbered, match.group(0)


def api_version(path: str) -> str:
    """The API version a request path names: one of VERSIONS, or ``v3`` for the numbered paths."""
    match = _DATED.match(path)
    return match["version"] if match and match["version"] in VERSIONS else "v3"


@dataclass
class Call:
    """What a handler gets: path parameters, query, parsed JSON body, and where the client reached us."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    base_url: str
    extra: dict[str, Any] = field(default_factory=dict)

    def object_body(self, *, optional: bool = False) -> dict[str, Any]:
        """The JSON body, which must be an object (or absent, where ``optional``)."""
        if self.body is None and optional:
            return {}
        if not isinstance(self.body, dict):
            raise bad_request("The request body must be a JSON object.")
        return self.body

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return (self.arg(name) or "false").lower() == "true"

    def csv(self, name: str) -> list[str] | None:
        """A comma-separated list parameter, which clients also repeat (``?properties=a&properties=b``)."""
        if name not in self.query:
            return None
        return [item for value in self.query[name] for item in value.split(",") if item]

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name)
        try:
            return default if value in (None, "") else int(value)
        except ValueError:
            raise bad_request(f"{name} must be an integer, got {value!r}") from None

    def next_link(self, after: str) -> str:
        query = {k: v for k, v in self.query.items() if k != "after"}
        pairs = [(k, item) for k, values in query.items() for item in values] + [("after", after)]
        return f"{self.base_url}{self.path}?{urlencode(pairs)}"


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Any, Call], Reply]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    write: bool = False
    search: bool = False
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        self.pattern = re.compile(f"^{regex}$")


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, write: bool = False,
            search: bool = False) -> None:
        self.routes.append(Route(method, template, handler, write, search))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method == method:
                found = route.pattern.match(path)
                if found:
                    return route, found.groupdict()
        return None

    def allowed(self, path: str) -> bool:
        return any(route.pattern.match(path) for route in self.routes)
