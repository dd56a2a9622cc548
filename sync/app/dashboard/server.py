"""The dashboard over HTTP: basic auth in constant time, GET only, security headers; standalone or inside run's
health server (``/healthz`` and ``/metrics`` stay open there)."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .app import Dashboard, Response, query_of

log = logging.getLogger("smarketing.dashboard")
CSP = "default-src 'self'; script-src 'none'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; " \
      "form-action 'self'; base-uri 'none'"
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "X-Frame-Options": "DENY", "Cache-Control": "no-store"}
REALM = 'Basic realm="smarketing dashboard", charset="UTF-8"'


def authorised(header: str | None, password: str | None) -> bool:
    """Basic auth with any user name and the password, compared in constant time; no password: open (local)."""
    if password is None:
        return True
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        _, _, given = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(given.encode(), password.encode())


def send(handler: BaseHTTPRequestHandler, response: Response, head: bool = False) -> None:
    handler.send_response(response.status)
    for name, value in {**HEADERS, "Content-Type": response.content_type, **response.headers}.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(response.body)))
    handler.end_headers()
    if not head:
        handler.wfile.write(response.body)


def answer(handler: BaseHTTPRequestHandler, dashboard: Dashboard, password: str | None) -> None:
    """One request to the dashboard: 405 for anything but GET and HEAD, 401 without the password."""
    if handler.command not in ("GET", "HEAD"):
        send(handler, Response(HTTPStatus.METHOD_NOT_ALLOWED, b"only GET\n", "text/plain; charset=utf-8",
                               {"Allow": "GET, HEAD"}))
        return
    if not authorised(handler.headers.get("Authorization"), password):
        send(handler, Response(HTTPStatus.UNAUTHORIZED, b"the dashboard needs its password (any user name)\n",
                               "text/plain; charset=utf-8", {"WWW-Authenticate": REALM}))
        return
    path, query = query_of(handler.path)
    send(handler, dashboard.respond(path, query), head=handler.command == "HEAD")


class _Handler(BaseHTTPRequestHandler):
    dashboard: Dashboard
    password: str | None = None

    def _any(self) -> None:
        answer(self, self.dashboard, self.password)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _any

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)


class DashboardServer:
    """``smarketing dashboard``: the dashboard alone, served from a daemon thread; ``port=0`` picks a free port."""

    def __init__(self, dashboard: Dashboard, port: int = 8050, host: str = "127.0.0.1",
                 password: str | None = None) -> None:
        handler = type("DashboardHandler", (_Handler,), {"dashboard": dashboard, "password": password})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        host = self._server.server_address[0]
        return f"http://{host if isinstance(host, str) else host.decode()}:{self.port}/"

    def start(self) -> DashboardServer:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), daemon=True,
                                        name="smarketing-dashboard")
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(0.1)

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
