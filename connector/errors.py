"""Errors of the CRM client. Every one carries what HubSpot said, and never the token.

    CRMError                 any failure talking to the CRM
     ├── TransportError      no answer: DNS lookup failed, connection refused or dropped, timeout, TLS;
     │                       ``cause`` says which, naming only the host and port
     ├── MalformedAnswer     a 2xx answer that is not JSON, or not in HubSpot's shape (a list where an object
     │                       belongs, results that are not a list of objects): nothing of it is used
     ├── BadRequest          400 (and other 4xx not below)
     ├── AuthError           401: token missing, wrong or expired
     │    └── MissingScopes  403 with category MISSING_SCOPES: names the scopes the token lacks
     ├── NotFound            404
     ├── Conflict            409
     ├── RateLimited         429 past the 10-second or per-second budget
     │    └── DailyLimitReached  the day's quota is spent (HubSpot's 429 DAILY), or our reserve is reached
     └── ServerError         5xx, 423 (locked), 477 (migration in progress), 524

Retriable are TransportError, RateLimited (but not DailyLimitReached) and ServerError; the others
say that sending the same request again cannot help.

An answer can echo the request's Authorization header back (some CRMs and gateways do, in an error's
message or context): :func:`scrub` takes the client's token and any ``Bearer ...`` credential out of a
body before an error is built from it.
"""

from __future__ import annotations

import errno
import http.client
import re
import socket
import ssl
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions


class CRMError(Exception):
    def __init__(self, message: str, *, status: int | None = None, category: str | None = None,
                 correlation_id: str | None = None, endpoint: str | None = None,
                 body: Any = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.category = category
        self.correlation_id = correlation_id
        self.endpoint = endpoint
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f" ({self.endpoint})" if self.endpoint else ""
        status = f"HTTP {self.status} " if self.status else ""
        category = f"{self.category}: " if self.category else ""
        return f"{status}{category}{self.message}{where}"


class TransportError(CRMError):
    """No answer came; ``cause`` says why in a few words (see :func:`transport_cause`)."""

    def __init__(self, message: str, *, cause: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.cause: str = cause or message


class MalformedAnswer(CRMError):
    pass


class BadRequest(CRMError):
    pass


class AuthError(CRMError):
    pass


class MissingScopes(AuthError):
    @property
    def scopes(self) -> list[str]:
        """The scopes HubSpot says the call needs (``errors[].context.requiredScopes``)."""
        errors = self.body.get("errors", []) if isinstance(self.body, dict) else []
        return [s for e in errors for s in (e.get("context") or {}).get("requiredScopes", [])]


class NotFound(CRMError):
    pass


class Conflict(CRMError):
    pass


class RateLimited(CRMError):
    @property
    def policy(self) -> str | None:
        return self.body.get("policyName") if isinstance(self.body, dict) else None


class DailyLimitReached(RateLimited):
    pass


class ServerError(CRMError):
    pass


RETRIABLE_STATUSES = frozenset({423, 429, 477, 500, 502, 503, 504, 524})
REDACTED = "[secure]"
MIN_SECRET = 8  # no credential is shorter; replacing a shorter "token" everywhere would garble every message
_BEARER = re.compile(r"\b(Bearer\s+)(?!\[secure\])[^\s\"',;]+", re.IGNORECASE)


def scrub(value: Any, secrets: Sequence[str] = ()) -> Any:
    """``value`` with each of ``secrets`` and any ``Bearer ...`` credential replaced by ``[secure]``: a text, or
    a JSON answer walked through (keys included)."""
    if isinstance(value, str):
        for secret in sorted((s for s in secrets if len(s) >= MIN_SECRET), key=len, reverse=True):
            value = value.replace(secret, REDACTED)
        return _BEARER.sub(r"\1" + REDACTED, value)
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    return value


def shaped(body: Any, endpoint: str, lists: Sequence[str] = ("results",),
           objects: Sequence[str] = ()) -> dict[str, Any]:
    """``body`` when it is an object whose ``lists`` (where present) are lists of objects and whose ``objects`` (where
    present) are objects; otherwise :class:`MalformedAnswer`, naming the first thing out of shape."""
    problem = _shape_problem(body, lists, objects)
    if problem:
        raise MalformedAnswer(f"the CRM's answer is not in HubSpot's shape: {problem}", endpoint=endpoint)
    return body


def _shape_problem(body: Any, lists: Sequence[str], objects: Sequence[str]) -> str | None:
    if not isinstance(body, dict):
        return f"the answer is {_kind(body)}, not an object"
    for key in lists:
        items = body.get(key)
        if items is not None and not isinstance(items, list):
            return f'"{key}" is {_kind(items)}, not a list'
        for n, item in enumerate(items or []):
            if not isinstance(item, dict):
                return f"{key}[{n}] is {_kind(item)}, not an object"
    for key in objects:
        if body.get(key) is not None and not isinstance(body[key], dict):
            return f'"{key}" is {_kind(body[key])}, not an object'
    return None


def _kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "true or false", type(None): "null"}
    return kinds.get(type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def error_for(status: int, body: Any, headers: Any, endpoint: str, secrets: Sequence[str] = ()) -> CRMError:
    """The one place an HTTP error answer is sorted into an error class; ``secrets`` (the token) never reach it."""
    body = scrub(body, secrets)
    info = body if isinstance(body, dict) else {}
    message = str(info.get("message") or (body if isinstance(body, str) else "")).strip()[:500] or "no message"
    retry_after = _seconds(headers.get("Retry-After")) if headers is not None else None
    kwargs = {"status": status, "category": info.get("category") or info.get("errorType"),
              "correlation_id": info.get("correlationId"), "endpoint": endpoint, "body": body,
              "retry_after": retry_after}
    if status == 401:
        return AuthError(message, **kwargs)
    if status == 403:
        if info.get("category") == "MISSING_SCOPES":
            return MissingScopes(message, **kwargs)
        return AuthError(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 409:
        return Conflict(message, **kwargs)
    if status == 429:
        if info.get("policyName") == "DAILY":
            return DailyLimitReached(message, **kwargs)
        return RateLimited(message, **kwargs)
    if status in RETRIABLE_STATUSES or status >= 500:
        return ServerError(message, **kwargs)
    return BadRequest(message, **kwargs)


def is_retriable(error: BaseException) -> bool:
    if isinstance(error, DailyLimitReached):
        return False
    return isinstance(error, TransportError | RateLimited | ServerError)


# 4xx answers that say something else than "this portal does not offer it": a bad request, a bad token, a
# conflict, a locked record, a rate limit
NOT_REFUSALS = frozenset({400, 401, 409, 423, 429})


def is_refusal(error: BaseException) -> bool:
    """HubSpot refusing a call this portal does not offer (its tier, the token's scopes): a 403, or another 4xx
    but those of :data:`NOT_REFUSALS`, and none a retry could help (477). HubSpot does not document how it refuses
    a call above a portal's tier (API notes, section 1a), so a plain 403 counts as much as MISSING_SCOPES."""
    status = error.status if isinstance(error, CRMError) else None
    return (status is not None and 400 <= status < 500 and status not in NOT_REFUSALS
            and not is_retriable(error))


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


# -- why no answer came ----------------------------------------------------------------------------

_DROPPED = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, http.client.IncompleteRead,
            urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError)


def transport_cause(error: BaseException, url: str, timeout: float | tuple[float, float] | None = None) -> str:
    """Why a request got no answer, in a few words: DNS, refused, TLS, connect or read timeout, dropped.

    Sorted by the exceptions in ``error``'s chain (causes, contexts, and the errors urllib3 keeps in ``args``
    and ``reason``), never by their text: that holds the URL with its query. Only the host and port of ``url``
    are named.
    """
    chain = _chain(error)
    host, where = _host_and_port(url)
    if any(isinstance(e, socket.gaierror | urllib3.exceptions.NameResolutionError) for e in chain):
        return f"cannot resolve the host {host} (DNS lookup failed)"
    if any(_refused(e) for e in chain):
        return f"connection refused by {where}"
    tls = [e for e in chain if isinstance(e, ssl.SSLError | urllib3.exceptions.SSLError | requests.exceptions.SSLError)]
    if tls:
        return f"TLS handshake failed: {_tls_detail(tls)}"
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    if any(isinstance(e, requests.exceptions.ConnectTimeout) or _connect_timeout(e) for e in chain):
        return f"no answer within {_seconds_text(connect)} (connect timeout)"
    if any(_read_timeout(e) for e in chain):
        return f"no answer within {_seconds_text(read)} (read timeout)"
    if any(isinstance(e, _DROPPED) for e in chain):
        return "the connection was dropped"
    return f"no answer: {type(error).__name__}"


def _chain(error: BaseException, limit: int = 32) -> list[BaseException]:
    """``error`` and every exception it links to, outermost first, each once."""
    found: list[BaseException] = []
    todo = [error]
    while todo and len(found) < limit:
        current = todo.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        linked = [current.__cause__, current.__context__, *current.args]
        if isinstance(current, urllib3.exceptions.HTTPError):  # MaxRetryError.reason: what the last try met
            linked.append(getattr(current, "reason", None))
        todo += [e for e in linked if isinstance(e, BaseException)]
    return found


def _refused(error: BaseException) -> bool:
    if isinstance(error, ConnectionRefusedError):
        return True
    if isinstance(error, OSError) and error.errno == errno.ECONNREFUSED:
        return True
    # urllib3 keeps only the text of the OSError when the chain was lost (e.g. pickled): "[Errno 111] ..."
    return (isinstance(error, urllib3.exceptions.NewConnectionError)
            and f"[Errno {errno.ECONNREFUSED}]" in str(error.args[0] if error.args else ""))


def _connect_timeout(error: BaseException) -> bool:
    # NewConnectionError (refused, DNS...) subclasses ConnectTimeoutError in urllib3 without being a timeout
    return (isinstance(error, urllib3.exceptions.ConnectTimeoutError)
            and not isinstance(error, urllib3.exceptions.NewConnectionError))


def _read_timeout(error: BaseException) -> bool:
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return False
    return isinstance(error, requests.exceptions.Timeout | urllib3.exceptions.TimeoutError | TimeoutError)


def _tls_detail(errors: Sequence[BaseException]) -> str:
    """The innermost TLS error's reason, e.g. ``certificate verify failed: self-signed certificate``."""
    inner = next((e for e in reversed(errors) if isinstance(e, ssl.SSLError)), None)
    if isinstance(inner, ssl.SSLCertVerificationError) and inner.verify_message:
        return f"certificate verify failed: {inner.verify_message}"[:200]
    if inner is not None and inner.reason:
        return str(inner.reason).lower().replace("_", " ")[:200]
    return type(errors[-1]).__name__


def _host_and_port(url: str) -> tuple[str, str]:
    """(host, host:port) of a URL, nothing else of it (no user, path or query)."""
    parts = urlsplit(url)
    host = parts.hostname or "the CRM"
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or {"https": 443, "http": 80}.get(parts.scheme)
    shown = f"[{host}]" if ":" in host else host
    return host, f"{shown}:{port}" if port else shown


def _seconds_text(seconds: float | None) -> str:
    return "the time allowed" if seconds is None else f"{seconds:g} s"
