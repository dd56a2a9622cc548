"""The CRM client: HTTP, auth, paging and errors. Knows nothing of SQLite or KPIs."""

from .errors import ApiError, AuthError, ConnectorError, FatalApiError, RetriableApiError
from .hubspot import DEFAULT_BASE_URL, HubSpotClient

__all__ = ["DEFAULT_BASE_URL", "ApiError", "AuthError", "ConnectorError", "FatalApiError", "HubSpotClient",
           "RetriableApiError"]
