"""The sandbox's socket layer: a request whose client went away before its body arrived is not served."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit


def test_a_request_cut_short_by_its_client_is_neither_answered_nor_counted(serve):
    api = serve()
    host, port = urlsplit(api.url).hostname, urlsplit(api.url).port
    assert host is not None and port is not None
    body = b'{"inputs": [{"id": "1", "properties": {"firstname": "Cut"}}]}'
    with socket.create_connection((host, port)) as conn:  # the client is killed after its headers, before its body
        conn.sendall(b"POST /crm/v3/objects/contacts/batch/update HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + api.server.token.encode() + b"\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode())
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline and api.stats()["requests_total"] == 0:
        time.sleep(0.05)  # give the server a moment: a counted request would show up here
    assert api.stats()["requests_total"] == 0
    assert api("GET", "/crm/v3/objects/contacts/1").json()["properties"]["firstname"] == "First1"
