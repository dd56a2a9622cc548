"""A loopback HTTP proxy in front of a sandbox, for chaos tests that need the CRM to misbehave in one precise way.

Every request is forwarded as it is, unless a rule answers it instead: an empty list page, a truncated list, an
error body that echoes the request's Authorization header, and so on. The worker talks to the proxy as to HubSpot
(``SMARKETING_HUBSPOT_BASE_URL``), so what is tested is the real client against a real answer, not a mock.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests


@dataclass
class Request:
    method: str
    path: str  # without the query
    query: dict[str, str]  # the last value of each parameter
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int
    body: Any  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


Rule = Callable[[Request], "Reply | None"]


class LoopbackProxy:
    """``with LoopbackProxy(sandbox_url) as proxy: proxy.rules.append(rule); ... proxy.url``."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.rules: list[Rule] = []
        self.answered: list[Request] = []  # requests a rule answered
        self._session = requests.Session()
        self._lock = threading.Lock()
        handler = type("ProxyHandler", (_Handler,), {"proxy": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LoopbackProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def handle(self, request: Request) -> Reply:
        for rule in list(self.rules):
            reply = rule(request)
            if reply is not None:
                with self._lock:
                    self.answered.append(request)
                return reply
        return self.forward(request)

    def forward(self, request: Request) -> Reply:
        """The sandbox's own answer to ``request`` (a rule may call it to change a real answer)."""
        with self._lock:  # one forwarded call at a time: the session is not thread-safe
            answer = self._session.request(
                request.method, self.target + request.path, params=request.query or None, data=request.body or None,
                headers={k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")},
                timeout=60)
        headers = {k: v for k, v in answer.headers.items()
                   if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")}
        return Reply(answer.status_code, answer.content, headers)


class _Handler(BaseHTTPRequestHandler):
    proxy: LoopbackProxy
    protocol_version = "HTTP/1.1"

    def _any(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                          dict(self.headers.items()), self.rfile.read(length) if length else b"")
        reply = self.proxy.handle(request)
        payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if not any(k.lower() == "content-type" for k in reply.headers):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass


def empty_list(object_type: str) -> Rule:
    """A rule: the live list of ``object_type`` answers 200 with no results and no paging, as a glitch would."""
    def rule(request: Request) -> Reply | None:
        if _live_list(request, object_type):
            return Reply(200, {"results": []})
        return None
    return rule


def _live_list(request: Request, object_type: str) -> bool:
    return (request.method == "GET" and request.path.rstrip("/").endswith(f"/objects/{object_type}")
            and request.query.get("archived", "false") == "false")


def truncated_list(proxy: LoopbackProxy, object_type: str, pages: int) -> Rule:
    """A rule: the live list of ``object_type`` ends after ``pages`` pages, its last one forwarded without ``paging``,
    as a proxy that drops part of an answer would. A request without ``after`` starts the count again."""
    served = 0
    lock = threading.Lock()

    def rule(request: Request) -> Reply | None:
        nonlocal served
        if not _live_list(request, object_type):
            return None
        with lock:
            served = 1 if "after" not in request.query else served + 1
            page = served
        if page > pages:
            return Reply(200, {"results": []})
        reply = proxy.forward(request)
        if page == pages and reply.status == 200:
            body = json.loads(reply.body)
            body.pop("paging", None)
            return Reply(200, body, {k: v for k, v in reply.headers.items() if k.lower() != "content-type"})
        return reply
    return rule


def empty_owners() -> Rule:
    """A rule: the owners list answers 200 with no results and no paging."""
    def rule(request: Request) -> Reply | None:
        if request.method == "GET" and request.path.rstrip("/").endswith("/owners"):
            return Reply(200, {"results": []})
        return None
    return rule


def _credential(request: Request) -> tuple[str, str]:
    """The request's Authorization header, and the token in it."""
    header = next((v for k, v in request.headers.items() if k.lower() == "authorization"), "")
    return header, header.split(" ", 1)[-1]


def echo_authorization(method: str, path_end: str, status: int = 400) -> Rule:
    """A rule: requests whose path ends with ``path_end`` get an error answer that echoes their Authorization
    header and their bare token, in the message and in the context, as some CRMs and gateways do."""
    def rule(request: Request) -> Reply | None:
        if request.method != method or not request.path.endswith(path_end):
            return None
        header, token = _credential(request)
        return Reply(status, {"status": "error", "category": "VALIDATION_ERROR", "correlationId": "echo-1",
                              "message": f"Request rejected for credentials {token}: header Authorization: {header}",
                              "context": {"authorization": [header], "token": [token]}})
    return rule


def echo_authorization_in_batch(object_type: str) -> Rule:
    """A rule: a batch update of ``object_type`` answers 207 with a per-input error for every input, each echoing
    the request's token (bare and as its Authorization header) in its message and context."""
    def rule(request: Request) -> Reply | None:
        if request.method != "POST" or not request.path.endswith(f"/objects/{object_type}/batch/update"):
            return None
        header, token = _credential(request)
        errors = [{"status": "error", "category": "VALIDATION_ERROR",
                   "message": f"Property values were not valid for the token {token} ({header})",
                   "context": {"ids": [str(item["id"])], "token": [token]}} for item in request.json()["inputs"]]
        return Reply(207, {"status": "COMPLETE", "results": [], "errors": errors, "numErrors": len(errors)})
    return rule


def echo_token_in_a_record(proxy: LoopbackProxy, object_type: str) -> Rule:
    """A rule: each page of the live list of ``object_type`` is the sandbox's, plus one record that cannot be typed
    whose bad date and email are the request's token (so its quarantine reason and payload would hold it)."""
    def rule(request: Request) -> Reply | None:
        if (request.method != "GET" or not request.path.endswith(f"/objects/{object_type}")
                or request.query.get("archived", "false") != "false"):
            return None
        reply = proxy.forward(request)
        body = json.loads(reply.body)
        _, token = _credential(request)
        body["results"].append({"id": "987654321", "properties": {"createdate": token, "email": f"{token}@x.test"},
                                "createdAt": token, "updatedAt": token, "archived": False})
        return Reply(200, body)
    return rule


def answer(method: str, path_end: str, body: Any, status: int = 200) -> Rule:
    """A rule: every ``method`` request whose path ends with ``path_end`` gets ``body`` (JSON) as its answer."""
    def rule(request: Request) -> Reply | None:
        return Reply(status, body) if request.method == method and request.path.endswith(path_end) else None
    return rule


def rewrite(proxy: LoopbackProxy, method: str, path_end: str, change: Callable[[Any], None]) -> Rule:
    """A rule: the sandbox's own answer to matching requests, with ``change`` applied to its JSON (in place)."""
    def rule(request: Request) -> Reply | None:
        if request.method != method or not request.path.endswith(path_end):
            return None
        reply = proxy.forward(request)
        body = json.loads(reply.body)
        change(body)
        return Reply(reply.status, body)
    return rule
