"""The one place configuration is read: ``SMARKETING_*`` environment variables and an optional ``.env``.

Problems are reported all at once, one line per variable naming it, what was wrong and what is
accepted; the token's value never appears in a message or a repr. Every numeric setting has a lower and
an upper bound, so ``inf``, ``nan`` and absurd values (``1e300``) are refused with the range accepted
rather than overflowing a timer or a sum later.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from annotated_types import Ge, Gt, Le
from apscheduler.triggers.cron import CronTrigger
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from connector import API_VERSION_FORM, valid_api_version

from ..errors import SettingsError
from ..ingest import ALL_STREAMS

ENV_PREFIX = "SMARKETING_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_MONEY = Decimal(10**15)  # an amount of money in the portal's currency (yen included)


def _base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL such as https://api.hubapi.com")
    return value.rstrip("/")


def _log_level(value: str) -> str:
    if value.upper() not in LOG_LEVELS:
        raise ValueError("is not a log level")
    return value.upper()


def _api_version(value: str) -> str:
    if not valid_api_version(value):
        raise ValueError(f"is not a HubSpot API version; use {API_VERSION_FORM}")
    return value


def _fraction(value: object) -> float:
    """A share given as 0.2 or as 20%; -1 when it is not a number."""
    text = str(value).strip()
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return -1.0


def _share(value: object) -> float:
    share = _fraction(value)
    if not 0 <= share < 1:
        raise ValueError("is not a share of the daily limit from 0 to under 1; use a fraction such as 0.2 or a "
                         "percentage such as 20%")
    return share


def _delete_share(value: object) -> float:
    share = _fraction(value)
    if not 0 <= share <= 1:
        raise ValueError("is not a share of a table's rows; use a fraction from 0 to 1 such as 0.1, or a percentage "
                         "such as 10%")
    return share


def _names(value: object) -> tuple[str, ...]:
    """A comma-separated list, as environment variables carry lists."""
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def _streams(value: tuple[str, ...]) -> tuple[str, ...]:
    if value in ((), ("all",)):
        return ALL_STREAMS
    unknown = [name for name in value if name not in ALL_STREAMS]
    if unknown:
        raise ValueError(f"names unknown streams {', '.join(unknown)}; use all or some of {', '.join(ALL_STREAMS)}")
    return value


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CANONICAL = ("subscriber", "lead", "mql", "sql", "opportunity", "customer", "evangelist", "other")


def _time_zone(value: str | None) -> str | None:
    if value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a time zone; use an IANA name such as Europe/Berlin") from None
    return value or None


def _weekdays(value: object) -> object:
    """``mon-fri`` or ``mon,tue,thu``."""
    if not isinstance(value, str):
        return value
    days: set[int] = set()
    for part in value.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in _DAYS or (last and last not in _DAYS):
            raise ValueError("is not a list of weekdays; use mon-fri or mon,tue,wed")
        a, b = _DAYS.index(first), _DAYS.index(last or first)
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)


def _hours(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise ValueError("is not a span of hours; use 09:00-17:00") from None
    if end <= start:
        raise ValueError("must end after it starts, as in 09:00-17:00")
    return start, end


def _dates(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return frozenset(date.fromisoformat(v) for v in _names(value))
    except ValueError:
        raise ValueError("is not a list of dates; use 2026-12-24,2026-12-25") from None


def _stage_map(value: object) -> object:
    if not isinstance(value, str):
        return value
    mapping = {}
    for item in _names(value):
        portal, _, canonical = item.partition("=")
        if not portal.strip() or canonical.strip() not in _CANONICAL:
            raise ValueError("maps portal values to stages; use 1047290193=lead with a stage of "
                             + ", ".join(_CANONICAL))
        mapping[portal.strip()] = canonical.strip()
    return mapping


def _prefix(value: str) -> str:
    if not value or not value.replace("_", "a").isalnum() or not value.islower():
        raise ValueError("is not a property prefix; use lower-case letters, digits and _, such as smk_")
    return value


def _host(value: str) -> str:
    """An address to listen on: an IP address or a host name, without a port or a scheme."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})", value or ""):
            raise ValueError("is not an address to listen on; use 127.0.0.1, 0.0.0.0 or a host name") from None
    return value


def _cron(value: str | None) -> str | None:
    if value:
        try:
            CronTrigger.from_crontab(value)
        except ValueError:
            raise ValueError("is not a crontab line; use five fields such as 0 3 * * *") from None
    return value or None


def _token(value: SecretStr | None) -> SecretStr | None:
    if value is not None and (not value.get_secret_value() or any(c.isspace() for c in value.get_secret_value())):
        raise ValueError("must be a non-empty token without spaces (a private-app token or service key)")
    return value


class Settings(BaseSettings):
    """Every option of the worker. Field names map to ``SMARKETING_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore", validate_default=True)

    hubspot_token: Annotated[SecretStr | None, AfterValidator(_token)] = Field(
        default=None, description="HubSpot private-app token or service key (secret).")
    hubspot_base_url: Annotated[str, AfterValidator(_base_url)] = Field(
        default="https://api.hubapi.com", description="Base URL of the CRM API (HubSpot or a sandbox).")
    db: Path = Field(default=Path("smarketing.db"), description="Path of the SQLite mirror.")

    hubspot_api_version: Annotated[str, AfterValidator(_api_version)] = Field(
        default="v3", description="HubSpot API version: v3, or a date version YYYY-03 or YYYY-09 from 2025-09 on "
                                  "(optionally -beta), such as 2026-03.")
    search_lag_seconds: float = Field(default=30.0, ge=0, le=3600,
                                      description="How far behind writes the search index may be.")
    search_per_second: int = Field(default=4, ge=1, le=1000,
                                   description="Searches a second the worker allows itself (HubSpot: 5 per account).")
    daily_quota_reserve: Annotated[float, BeforeValidator(_share)] = Field(
        default=0.2, description="Share of the portal's daily API quota left to other integrations.")
    http_timeout_seconds: float = Field(default=30.0, gt=0, le=600, description="Read timeout of one API call.")
    http_retry_attempts: int = Field(default=6, ge=1, le=20,
                                     description="Tries of one API call that fails in a way retrying can help.")
    http_retry_max_seconds: float = Field(default=300.0, gt=0, le=3600,
                                          description="Longest time one API call may spend retrying.")
    streams: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_names), AfterValidator(_streams)] = Field(
        default=("all",), description="Streams to sync, comma-separated, or all.")
    contact_properties: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_names)] = Field(
        default=(), description="Contact properties to mirror beyond the defaults, comma-separated.")
    deal_properties: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_names)] = Field(
        default=(), description="Deal properties to mirror beyond the defaults, comma-separated.")
    sync_overlap_seconds: float = Field(default=120.0, ge=0, le=86400,
                                        description="How far back of its cursor an incremental read starts.")
    full_reconcile_hours: float = Field(default=24.0, gt=0, le=8760,
                                        description="Hours between full reads that catch permanent deletions.")
    max_delete_share: Annotated[float, BeforeValidator(_delete_share)] = Field(
        default=0.1, description="Share of a reference table's rows one read may drop without a second agreeing.")
    timezone: Annotated[str | None, AfterValidator(_time_zone)] = Field(
        default=None, description="Time zone of periods and the SLA clock; default: the portal's.")
    stage_map: Annotated[dict[str, str], NoDecode, BeforeValidator(_stage_map)] = Field(
        default_factory=dict, description="Portal lifecycle values to canonical stages, e.g. 1047290193=lead.")
    working_days: Annotated[frozenset[int], NoDecode, BeforeValidator(_weekdays)] = Field(
        default=frozenset(range(5)), description="Days the SLA clock runs.")
    working_hours: Annotated[tuple[time, time], NoDecode, BeforeValidator(_hours)] = Field(
        default=(time(9, 0), time(17, 0)), description="Hours the SLA clock runs.")
    holidays: Annotated[frozenset[date], NoDecode, BeforeValidator(_dates)] = Field(
        default=frozenset(), description="Days the SLA clock stops, comma-separated dates.")
    sla_first_followup_hours: Decimal = Field(default=Decimal(8), gt=0, le=1000,
                                              description="Working hours to the first follow-up of an MQL.")
    sla_attempts: int = Field(default=5, ge=1, le=100,
                              description="Follow-up attempts an MQL is owed within the window.")
    sla_window_days: int = Field(default=14, ge=1, le=365, description="Days of the attempts window.")
    mqls_per_rep_per_month: int = Field(default=100, ge=1, le=1_000_000,
                                        description="Marketing's hand-off target per rep.")
    disqualified_lead_statuses: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_names)] = Field(
        default=("UNQUALIFIED",), description="Lead status values that mean sales rejected the lead.")
    sales_cost_per_month: Decimal = Field(default=Decimal(0), ge=0, le=MAX_MONEY,
                                          description="Sales cost per month, for CAC.")
    gross_margin: Decimal = Field(default=Decimal(1), gt=0, le=1, description="Gross margin, for predictive CLV.")
    monthly_goal: Decimal | None = Field(default=None, gt=0, le=MAX_MONEY, description="Revenue goal per month.")
    quota: Decimal | None = Field(default=None, gt=0, le=MAX_MONEY,
                                  description="Revenue to plan for, for the reverse funnel.")
    planning_window_months: int = Field(default=6, ge=1, le=36,
                                        description="Full months of history the planning rates come from.")
    pipelines: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_names)] = Field(
        default=(), description="Deal pipelines in scope, comma-separated; default all.")
    internal_domains: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_names)] = Field(
        default=(), description="Email domains of contacts left out of the KPIs.")
    maturity_days: int | None = Field(default=None, ge=1, le=3650, description="Cohort maturity window W in days.")
    customer_unit: Literal["company", "contact"] = Field(default="company", description="What one customer is.")
    rep_team: str | None = Field(default=None, description="The owners' team that counts as sales reps.")
    writeback: Literal["on", "dry-run", "off"] = Field(default="on", description="Write results into the CRM.")
    property_prefix: Annotated[str, AfterValidator(_prefix)] = Field(
        default="smk_", description="Prefix of the worker's own CRM properties.")
    property_group: str = Field(default="smarketing", min_length=1, description="CRM property group of them.")
    sla_tasks: Literal["on", "off"] = Field(
        default="off", description="Create SLA follow-up tasks in the reps' HubSpot queues (on/off).")
    sla_task_lead_hours: Decimal = Field(default=Decimal(2), ge=0, le=1000,
                                         description="Working hours before the SLA deadline a follow-up task "
                                                     "appears.")
    sla_tasks_per_rep_per_cycle: int = Field(default=20, ge=1, le=1000,
                                             description="New follow-up tasks per rep in one cycle, at most.")
    writeback_max_attempts: int = Field(default=5, ge=1, le=100, description="Tries before a failed write is parked.")
    unarchive_properties: bool = Field(
        default=False, description="Restore the worker's own CRM properties found archived (on/off).")
    sync_interval_minutes: float = Field(default=15.0, gt=0, le=10080, description="Minutes between two cycles of run.")
    sync_cron: Annotated[str | None, AfterValidator(_cron)] = Field(
        default=None, description="Crontab line for the cycles instead of the interval.")
    full_reconcile_cron: Annotated[str, AfterValidator(_cron)] = Field(
        default="0 3 * * *", description="Crontab line of the daily full reconcile (portal time zone).")
    log_format: Literal["json", "text"] = Field(default="json", description="Log lines as JSON objects or text.")
    http_port: int | None = Field(default=None, ge=0, le=65535, description="Port of /healthz and /metrics.")
    http_host: Annotated[str, AfterValidator(_host)] = Field(
        default="127.0.0.1", description="Address /healthz and /metrics listen on (0.0.0.0: every interface).")
    health_max_age_minutes: float = Field(default=60.0, gt=0, le=43200,
                                          description="/healthz fails when the last good run is older.")
    log_level: Annotated[str, AfterValidator(_log_level)] = Field(default="INFO", description="Log level.")


_ACCEPTED = {"log_level": "use one of " + ", ".join(LOG_LEVELS), "unarchive_properties": "use on or off",
             "sla_tasks": "use on or off"}
_SECRET_FIELDS = {"hubspot_token"}


def number_kinds(annotation: object) -> set[object]:
    """The number types of a setting that holds a number (or nothing); empty for any other setting."""
    kinds = set(get_args(annotation)) if get_origin(annotation) in (Union, UnionType) else {annotation}
    kinds -= {type(None)}
    return kinds if kinds and kinds <= {int, float, Decimal} else set()


def numeric_range(field: str) -> str | None:
    """What a numeric setting accepts, such as "a whole number from 1 to 20"; None for other settings."""
    info = Settings.model_fields.get(field)
    if info is None:
        return None
    kinds = number_kinds(info.annotation)
    le = next((m.le for m in info.metadata if isinstance(m, Le)), None)
    if not kinds or le is None:
        return None
    ge = next((m.ge for m in info.metadata if isinstance(m, Ge)), None)
    gt = next((m.gt for m in info.metadata if isinstance(m, Gt)), None)
    low = f"from {_shown(ge)}" if ge is not None else f"above {_shown(gt)}, up"
    return f"{'a whole number' if kinds == {int} else 'a number'} {low} to {_shown(le)}"


def _shown(value: object) -> str:
    return f"{int(value):,}" if isinstance(value, int | float | Decimal) and value == int(value) else str(value)


def _problem(error: dict[str, object]) -> str:
    """One line: the variable, what was wrong (never a secret's value) and what is accepted."""
    loc = error.get("loc") or ("?",)
    field = str(loc[0])  # type: ignore[index]
    reason = str(error["msg"]).removeprefix("Value error, ")
    accepted = numeric_range(field)
    if accepted:
        reason = f"is not {accepted}"
    if field in _ACCEPTED:
        reason = "is not valid; " + _ACCEPTED[field]
    if field not in _SECRET_FIELDS and "input" in error:
        reason = f"{error['input']!r} {reason[:1].lower()}{reason[1:]}"
    return f"{ENV_PREFIX}{field.upper()}: {reason}"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, or :class:`SettingsError` naming every bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        raise SettingsError([_problem(dict(err)) for err in e.errors(include_url=False)]) from None


def require_token(settings: Settings) -> str:
    """The token's value for a command that must talk to a CRM."""
    if settings.hubspot_token is None:
        raise SettingsError([f"{ENV_PREFIX}HUBSPOT_TOKEN: not set; this command talks to the CRM and needs "
                             "a HubSpot private-app token or service key"])
    return settings.hubspot_token.get_secret_value()
