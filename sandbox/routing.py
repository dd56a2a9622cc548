"""Route templates, the request a handler sees, and HubSpot's date-versioned path aliases."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .errors import bad_request

# HubSpot's date-versioned paths (/crm/objects/2026-03/...) serve the same shapes as the numbered
# ones; v3 and v4 are retired in 2027 (API notes, section 1).
_DATED = re.compile(
    r"^/(crm|marketing)/(objects|properties|pipelines|owners|associations|campaigns)/(\d{4}-\d{2})(?=/|$)")
_NUMBERED = {"associations": "v4"}
# HubSpot's legacy v1/v2 APIs (/contacts/v1/..., /properties/v2/..., /email/public/v1/...) are out of scope.
_LEGACY = re.compile(r"^/[\w-]+(?:/public)?/v[12](?:/|$)")
LEGACY_MESSAGE = "the sandbox serves only the CRM v3/v4 and dated APIs"


def legacy_api(path: str) -> bool:
    """Whether a path is one of HubSpot's legacy v1/v2 APIs, which the sandbox answers with a 404 saying so."""
    return bool(_LEGACY.match(path))


def canonical_path(path: str) -> tuple[str, str | None, str | None]:
    """(path in its numbered form, numbered prefix, dated prefix) for a dated path; else (path, None, None)."""
    match = _DATED.match(path)
    if not match:
        return path, None, None
    area, family, _ = match.groups()
    numbered = f"/{area}/{_NUMBERED.get(family, 'v3')}/{family}"
    return numbered + path[match.end():], numbered, match.group(0)


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
