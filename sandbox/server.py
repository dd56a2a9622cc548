"""The sandbox's HTTP server: stdlib, threaded, HTTP/1.1 keep-alive, usable in-process or as a process."""

from __future__ import annotations

import gc
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .app import SandboxApp, SandboxConfig
from .bulk import paused_gc
from .errors import bad_request
from .generate import generate
from .loader import DEFAULT_PORTAL_DIR, load_generated, load_portal, read_fixture_dir
from .portal import Portal


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment: written apart, Nagle plus delayed ACK cost 40 ms a request.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16
    server: _Server

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if len(raw) < length:  # the client went away mid-request (killed): nothing to answer, nothing done
            self.close_connection = True
            return
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = _INVALID_JSON
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        headers = {"authorization": self.headers.get("Authorization", "")}
        if body is _INVALID_JSON:
            error = bad_request("Invalid input JSON: the request body could not be parsed.")
            self._send(error.status, error.body, error.headers)
            return
        outcome = self.server.app.handle(self.command, unquote(url.path), parse_qs(url.query, keep_blank_values=True),
                                         body, headers, f"http://{host}")
        if outcome.reply is None:  # an injected dropped connection
            self.close_connection = True
            return
        if outcome.delay:
            time.sleep(outcome.delay)
        reply = outcome.reply
        self._send(reply.status, reply.body, reply.headers)

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        payload = b"" if status == 204 or body is None else json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        if payload:
            self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Access logs stay off: a benchmark serves thousands of pages a second."""


_INVALID_JSON = object()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    server_address: tuple[str, int]  # AF_INET, bound: getsockname() gives (host as str, port)

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        super().__init__(address, _Handler)


class SandboxServer:
    """A running sandbox portal.

    In tests: ``with SandboxServer(portal) as sandbox: client(sandbox.url)``; port 0 picks a free port.
    """

    def __init__(self, portal: Portal, config: SandboxConfig | None = None, *,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = SandboxApp(portal, config)
        self._server = _Server((host, port), self.app)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def token(self) -> str:
        return self.app.config.token

    def start(self) -> SandboxServer:
        # A short poll interval lets stop() return at once; in-process servers come and go per test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop a server started with :meth:`start`."""
        self._server.shutdown()
        self.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def close(self) -> None:
        self._server.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_portal(fixtures: str | Path | None = None, *, contacts: int | None = None,
                 deals: int | None = None, seed: int = 1) -> Portal:
    """The default portal, a fixtures folder, or a generated portal of any size."""
    with paused_gc():  # one pause over generation and load: a collection between them would scan it all
        if contacts is not None or deals is not None:
            contacts = 1000 if contacts is None else contacts
            portal = load_generated(generate(contacts, contacts // 5 if deals is None else deals, seed))
        else:
            portal = load_portal(read_fixture_dir(fixtures or DEFAULT_PORTAL_DIR))
        gc.freeze()  # the portal lives as long as the process: later collections need not scan it
    return portal
