"""Why no answer came: a DNS failure, a refused port, timeouts, TLS and a dropped connection read differently.

The DNS failure and the refused port are real (a host under the reserved ``.invalid`` TLD, a loopback port
nothing listens on); the rest is raised by `responses`, as requests and urllib3 raise it.
"""

from __future__ import annotations

import socket

import pytest
import requests
import responses
import urllib3
import urllib3.connection
import urllib3.exceptions

from connector import HubSpotClient, RetryPolicy, TransportError

TOKEN = "pat-na1-11111111-2222-secret"
SECRET_QUERY = "after=cursor-that-must-not-show"
BASE = "https://api.hubapi.com"
ACCOUNT = f"{BASE}/account-info/v3/details"


def free_port() -> int:
    """A loopback port that was free a moment ago and has nothing listening now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def no_answer(base_url: str, timeout: tuple[float, float] = (5.0, 30.0)) -> TransportError:
    """The TransportError of one GET (one attempt, no retry) with a query that must never be shown."""
    session = requests.Session()
    client = HubSpotClient(TOKEN, base_url, session=session, retry=RetryPolicy(attempts=1), timeout=timeout,
                           sleep=lambda _: None)
    try:
        with pytest.raises(TransportError) as caught:
            client.call("GET", "/account-info/v3/details", endpoint="account.details",
                        params=dict([SECRET_QUERY.split("=")]))
    finally:
        session.close()
    return caught.value


def real_failure(kind: str) -> tuple[TransportError, str]:
    """(the error, the cause it must give) for a real DNS failure or a real refused connection."""
    if kind == "dns":
        return (no_answer("http://no-such-host.invalid"),
                "cannot resolve the host no-such-host.invalid (DNS lookup failed)")
    port = free_port()
    return no_answer(f"http://127.0.0.1:{port}"), f"connection refused by 127.0.0.1:{port}"


def assert_redacted(error: TransportError) -> None:
    shown = f"{error} {error.cause} {error!r}"
    assert TOKEN not in shown and "Bearer" not in shown
    assert "cursor-that-must-not-show" not in shown and "/account-info" not in shown
    assert error.__cause__ is None and error.__suppress_context__  # raised from None: no chain to leak


@pytest.mark.parametrize("kind", ["dns", "refused"])
def test_a_real_failure_names_its_cause(kind: str) -> None:
    error, expected = real_failure(kind)
    assert error.cause == expected
    assert str(error) == f"no answer: {expected} (account.details)"
    assert_redacted(error)


def test_a_dns_failure_and_a_refused_port_read_differently() -> None:
    dns, _ = real_failure("dns")
    refused, _ = real_failure("refused")
    assert str(dns) != str(refused) and dns.cause != refused.cause
    assert "DNS lookup failed" in str(dns) and "refused" not in str(dns)
    assert "connection refused by 127.0.0.1:" in str(refused) and "DNS" not in str(refused)


def _wrapped(reason: Exception) -> requests.ConnectionError:
    """As requests raises a connection failure: around urllib3's MaxRetryError, whose reason is the failure."""
    pool = urllib3.HTTPSConnectionPool("api.hubapi.com")
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(pool, f"/x?{SECRET_QUERY}", reason))


def _refused_without_chain() -> requests.ConnectionError:
    """What urllib3 keeps of a refused connection when the OSError itself is gone (say, pickled): its text."""
    conn = urllib3.connection.HTTPSConnection("api.hubapi.com")
    return _wrapped(urllib3.exceptions.NewConnectionError(
        conn, "Failed to establish a new connection: [Errno 111] Connection refused"))


def _dns_failure_of(host: str) -> requests.ConnectionError:
    conn = urllib3.connection.HTTPSConnection(host)
    return _wrapped(urllib3.exceptions.NameResolutionError(host, conn, socket.gaierror(-2, "Name not known")))


@pytest.mark.parametrize(("raised", "timeout", "cause"), [
    (requests.ConnectTimeout(), (5.0, 30.0), "no answer within 5 s (connect timeout)"),
    (requests.ReadTimeout(), (5.0, 30.0), "no answer within 30 s (read timeout)"),
    (requests.ReadTimeout(), (2.5, 12.5), "no answer within 12.5 s (read timeout)"),
    (_wrapped(urllib3.exceptions.ConnectTimeoutError("timed out")), (3.0, 30.0),
     "no answer within 3 s (connect timeout)"),
    (requests.exceptions.SSLError(f"HTTPSConnectionPool: Max retries exceeded with url: /x?{SECRET_QUERY}"),
     (5.0, 30.0), "TLS handshake failed: SSLError"),
    (requests.exceptions.ChunkedEncodingError(), (5.0, 30.0), "the connection was dropped"),
    (requests.ConnectionError(urllib3.exceptions.ProtocolError(
        "Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))),
     (5.0, 30.0), "the connection was dropped"),
    (_dns_failure_of("elsewhere.example"), (5.0, 30.0),
     "cannot resolve the host api.hubapi.com (DNS lookup failed)"),  # named after the URL asked for
    (_refused_without_chain(), (5.0, 30.0), "connection refused by api.hubapi.com:443"),
    (requests.ConnectionError(f"failed with Bearer {TOKEN}"), (5.0, 30.0), "no answer: ConnectionError"),
])
@responses.activate
def test_each_cause_reads_as_itself(raised: requests.RequestException, timeout: tuple[float, float],
                                    cause: str) -> None:
    responses.get(ACCOUNT, body=raised)
    error = no_answer(BASE, timeout=timeout)
    assert error.cause == cause
    message = cause if cause.startswith("no answer") else f"no answer: {cause}"
    assert str(error) == f"{message} (account.details)"
    assert_redacted(error)
