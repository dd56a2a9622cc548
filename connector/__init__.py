"""The CRM client: HTTP, auth, paging, search windows, batches, rate limits, retries.

Knows nothing of SQLite or KPIs; the worker passes it its token, base URL and API version.
"""

from .base import CRMClient
from .errors import (
    AuthError,
    BadRequest,
    Conflict,
    CRMError,
    DailyLimitReached,
    MalformedAnswer,
    MissingScopes,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    is_refusal,
)
from .hubspot import DEFAULT_BASE_URL, ApiResponse, BatchRead, HubSpotClient, Page
from .hubspot_search import SearchPage
from .hubspot_tasks import TASK_TO_CONTACT, NewTask
from .hubspot_writes import EnsureReport, WriteOutcome
from .paths import ACCEPTED_FORM as API_VERSION_FORM
from .paths import Paths, valid_api_version
from .read_ahead import read_ahead
from .retrying import RetryPolicy
from .stats import ClientStats

__all__ = ["API_VERSION_FORM", "DEFAULT_BASE_URL", "TASK_TO_CONTACT", "ApiResponse", "AuthError", "BadRequest",
           "BatchRead", "ClientStats", "Conflict", "CRMClient", "CRMError", "DailyLimitReached", "EnsureReport",
           "HubSpotClient", "is_refusal", "MalformedAnswer", "MissingScopes", "NewTask", "NotFound", "Page", "Paths",
           "RateLimited", "read_ahead", "RetryPolicy", "SearchPage", "ServerError", "TransportError",
           "valid_api_version", "WriteOutcome"]
