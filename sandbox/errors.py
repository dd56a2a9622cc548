"""HubSpot's error envelope, as the sandbox answers it.

Every error body carries ``status: "error"``, ``message``, ``correlationId`` and ``category``
(the fields HubSpot's SDK requires), in the shapes recorded in the API notes (section 2).
"""

from __future__ import annotations

import json
import uuid
from typing import Any


def correlation_id() -> str:
    return str(uuid.uuid4())


class ApiError(Exception):
    """An error answer: raised anywhere in a handler, turned into an HTTP response by the server."""

    def __init__(self, status: int, category: str, message: str, *,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.body: dict[str, Any] = {
            "status": "error",
            "message": message,
            "correlationId": correlation_id(),
            "category": category,
            **extra,
        }


def unauthorized() -> ApiError:
    return ApiError(
        401, "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
        "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        headers={"X-HubSpot-Auth-Failure": "401 Unauthorized"},
    )


def not_found(object_id: str) -> ApiError:
    return ApiError(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.",
                    context={"id": [object_id]})


def resource_not_found(message: str) -> ApiError:
    return ApiError(404, "OBJECT_NOT_FOUND", message)


def bad_request(message: str, **extra: Any) -> ApiError:
    return ApiError(400, "VALIDATION_ERROR", message, **extra)


def invalid_properties(problems: list[dict[str, Any]]) -> ApiError:
    """HubSpot embeds the per-property problems as a JSON array inside the message string."""
    return bad_request("Property values were not valid: " + json.dumps(problems, separators=(",", ":")))


def invalid_input(problems: list[tuple[str, str]]) -> ApiError:
    """A body that breaks the spec: every (field path, problem) in the message and in ``errors[]``."""
    return bad_request("Invalid input: " + "; ".join(f"{where} {what}" for where, what in problems),
                       errors=[{"message": f"{where} {what}", "in": where, "code": "INVALID_INPUT"}
                               for where, what in problems])


def property_problem(name: str, error: str, message: str) -> dict[str, Any]:
    return {"isValid": False, "message": message, "error": error, "name": name,
            "localizedErrorMessage": message}


def conflict(message: str, category: str = "CONFLICT") -> ApiError:
    return ApiError(409, category, message)


def forbidden(message: str, category: str) -> ApiError:
    return ApiError(403, category, message)


def rate_limited(policy: str, message: str, retry_after: int | None = None) -> ApiError:
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    error = ApiError(429, "RATE_LIMITS", message, headers=headers)
    # HubSpot's 429 bodies carry errorType and policyName instead of a category.
    del error.body["category"]
    error.body.update(errorType="RATE_LIMIT", policyName=policy)
    return error


def batch_error(category: str, message: str, ids: list[str], status: str = "error") -> dict[str, Any]:
    """One entry of a 207 answer's ``errors[]``: the SDK's StandardError requires every key here."""
    return {"status": status, "category": category, "message": message,
            "context": {"ids": ids}, "errors": [], "links": {}}
