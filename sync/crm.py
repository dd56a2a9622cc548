"""The CRM client the worker uses, built from settings: the one place settings reach the connector."""

from __future__ import annotations

from connector import HubSpotClient

from .settings import Settings, require_token


def client_from_settings(settings: Settings, *, time_zone: str = "UTC") -> HubSpotClient:
    return HubSpotClient(require_token(settings), settings.hubspot_base_url,
                         api_version=settings.hubspot_api_version,
                         timeout=(min(5.0, settings.http_timeout_seconds), settings.http_timeout_seconds),
                         daily_reserve=settings.daily_quota_reserve, time_zone=time_zone)
