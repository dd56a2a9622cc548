"""Errors of the CRM client.

    ConnectorError
     └── ApiError             an HTTP answer the client will not turn into data
          ├── AuthError       401: the token is missing, wrong or expired
          ├── RetriableApiError  429 and 5xx: worth another try later
          └── FatalApiError   any other 4xx: retrying the same call cannot help
"""

from __future__ import annotations

from typing import Any


class ConnectorError(Exception):
    """Root of the connector's errors."""


class ApiError(ConnectorError):
    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.body = body


class AuthError(ApiError):
    pass


class RetriableApiError(ApiError):
    pass


class FatalApiError(ApiError):
    pass


def error_for(status: int, body: Any) -> ApiError:
    """The one place answers are sorted into error classes."""
    message = body.get("message", "") if isinstance(body, dict) else str(body)[:200]
    if status == 401:
        return AuthError(status, message, body)
    if status == 429 or status >= 500:
        return RetriableApiError(status, message, body)
    return FatalApiError(status, message, body)
