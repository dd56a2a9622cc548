"""Errors of the CRM client. Every one carries what HubSpot said, and never the token.

    CRMError                 any failure talking to the CRM
     ├── TransportError      no answer: connection refused or dropped, timeout
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
"""

from __future__ import annotations

from typing import Any


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


def error_for(status: int, body: Any, headers: Any, endpoint: str) -> CRMError:
    """The one place an HTTP error answer is sorted into an error class."""
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


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
