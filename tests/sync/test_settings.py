"""Settings: one class, SMARKETING_* variables, clear errors naming the variable, the token never shown."""

from __future__ import annotations

import pytest

from sync.app.settings import Settings, load_settings, require_token
from sync.errors import SettingsError

TOKEN = "pat-na1-0f3c9a7e-secret-value"


def test_defaults():
    s = load_settings()
    assert (s.hubspot_base_url, str(s.db), s.log_level, s.hubspot_token) == (
        "https://api.hubapi.com", "smarketing.db", "INFO", None)


def test_values_come_from_the_environment_and_a_dotenv_file(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("SMARKETING_LOG_LEVEL=debug\nSMARKETING_DB=/data/m.db\n")
    monkeypatch.setenv("SMARKETING_HUBSPOT_BASE_URL", "http://127.0.0.1:8765/")
    s = load_settings()
    assert (s.log_level, str(s.db), s.hubspot_base_url) == ("DEBUG", "/data/m.db", "http://127.0.0.1:8765")


@pytest.mark.parametrize("name, value, expected", [
    ("SMARKETING_LOG_LEVEL", "loud",
     "SMARKETING_LOG_LEVEL: 'loud' is not valid; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("SMARKETING_HUBSPOT_BASE_URL", "api.hubapi.com",
     "SMARKETING_HUBSPOT_BASE_URL: 'api.hubapi.com' must be an http(s) URL such as https://api.hubapi.com"),
], ids=["log-level", "base-url"])
def test_a_bad_value_gives_one_line_naming_the_variable(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.lines == [expected]


def test_all_problems_are_reported_together(monkeypatch):
    monkeypatch.setenv("SMARKETING_LOG_LEVEL", "loud")
    monkeypatch.setenv("SMARKETING_HUBSPOT_BASE_URL", "ftp://x")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert [line.split(":")[0] for line in caught.value.lines] == [
        "SMARKETING_HUBSPOT_BASE_URL", "SMARKETING_LOG_LEVEL"]


def test_the_token_never_appears_in_a_repr_or_an_error(monkeypatch):
    monkeypatch.setenv("SMARKETING_HUBSPOT_TOKEN", TOKEN)
    s = load_settings()
    assert TOKEN not in repr(s) and TOKEN not in str(s) and TOKEN not in str(s.model_dump())
    assert require_token(s) == TOKEN
    monkeypatch.setenv("SMARKETING_HUBSPOT_TOKEN", TOKEN + " with spaces")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.lines[0].startswith("SMARKETING_HUBSPOT_TOKEN: ")
    assert "secret-value" not in str(caught.value)


def test_require_token_names_the_variable_when_missing():
    with pytest.raises(SettingsError) as caught:
        require_token(load_settings())
    assert caught.value.lines[0].startswith("SMARKETING_HUBSPOT_TOKEN: not set")


@pytest.mark.parametrize("value, on", [("on", True), ("off", False), ("ON", True)])
def test_restoring_archived_properties_is_off_unless_switched_on(monkeypatch, value, on):
    assert load_settings().unarchive_properties is False
    monkeypatch.setenv("SMARKETING_UNARCHIVE_PROPERTIES", value)
    assert load_settings().unarchive_properties is on


def test_a_bad_unarchive_switch_names_the_variable(monkeypatch):
    monkeypatch.setenv("SMARKETING_UNARCHIVE_PROPERTIES", "maybe")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.lines == ["SMARKETING_UNARCHIVE_PROPERTIES: 'maybe' is not valid; use on or off"]


def test_every_setting_is_documented_in_the_readme():
    from tests.conftest import REPO
    readme = (REPO / "README.md").read_text()
    for field in Settings.model_fields:
        assert f"`SMARKETING_{field.upper()}`" in readme


@pytest.mark.parametrize("value, share", [("0.2", 0.2), ("15%", 0.15), ("0", 0.0)])
def test_the_daily_reserve_takes_a_fraction_or_a_percentage(monkeypatch, value, share):
    monkeypatch.setenv("SMARKETING_DAILY_QUOTA_RESERVE", value)
    assert load_settings().daily_quota_reserve == pytest.approx(share)


@pytest.mark.parametrize("name, value", [("SMARKETING_DAILY_QUOTA_RESERVE", "150"),
                                         ("SMARKETING_HUBSPOT_API_VERSION", "v2"),
                                         ("SMARKETING_SEARCH_LAG_SECONDS", "-1"),
                                         ("SMARKETING_HTTP_TIMEOUT_SECONDS", "0")])
def test_connector_settings_are_checked(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.lines[0].startswith(f"{name}: '{value}' ")


def test_the_client_is_built_from_settings(monkeypatch):
    from sync.app.wiring import client_from_settings
    with pytest.raises(SettingsError, match="SMARKETING_HUBSPOT_TOKEN"):
        client_from_settings(load_settings())
    monkeypatch.setenv("SMARKETING_HUBSPOT_TOKEN", TOKEN)
    monkeypatch.setenv("SMARKETING_HUBSPOT_API_VERSION", "2026-03")
    monkeypatch.setenv("SMARKETING_HTTP_TIMEOUT_SECONDS", "12")
    monkeypatch.setenv("SMARKETING_SEARCH_PER_SECOND", "2")
    client = client_from_settings(load_settings(), time_zone="Europe/Berlin")
    assert client.paths.objects("contacts") == "/crm/objects/2026-03/contacts"
    assert client.timeout == (5.0, 12.0) and client.pacer.daily_reserve == 0.2
    assert client.pacer.search_per_second == 2
    assert TOKEN not in repr(client)


VERSION_LINE = ("SMARKETING_HUBSPOT_API_VERSION: {value!r} is not a HubSpot API version; use v3, or a date version "
                "YYYY-03 or YYYY-09 from 2025-09 on, optionally ending in -beta (such as 2026-03)")


@pytest.mark.parametrize("value", ["v3", "2025-09", "2026-03", "2026-09", "2026-09-beta", "2027-03", "2030-09-beta"])
def test_the_api_version_is_v3_or_a_hubspot_date_version(monkeypatch, value):
    monkeypatch.setenv("SMARKETING_HUBSPOT_API_VERSION", value)
    assert load_settings().hubspot_api_version == value


@pytest.mark.parametrize("value", ["v2", "v4", "2025-03", "2024-09", "2026-04", "2026-3", "2026-03-alpha",
                                   "2026-03beta", "26-03", "latest", ""])
def test_another_api_version_is_one_line_naming_the_accepted_form(monkeypatch, value):
    monkeypatch.setenv("SMARKETING_HUBSPOT_API_VERSION", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.lines == [VERSION_LINE.format(value=value)]


def test_a_bad_api_version_exits_2_with_that_line_and_no_traceback():
    from click.testing import CliRunner

    from sync.app.cli import cli
    result = CliRunner().invoke(cli, ["status"], env={"SMARKETING_HUBSPOT_API_VERSION": "2026-04"})
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [VERSION_LINE.format(value="2026-04")]


def test_a_version_newer_than_the_newest_known_is_warned_about_once(monkeypatch, caplog):
    from sync.app.wiring import client_from_settings
    monkeypatch.setenv("SMARKETING_HUBSPOT_TOKEN", TOKEN)
    monkeypatch.setenv("SMARKETING_HUBSPOT_API_VERSION", "2029-09")  # no other test uses it: the first warning is ours
    with caplog.at_level("WARNING", logger="smarketing.connector"):
        for _ in range(3):  # a worker builds a client every cycle
            client = client_from_settings(load_settings())
    warnings = [r.getMessage() for r in caplog.records if "newer than the newest" in r.getMessage()]
    assert warnings == ["HubSpot API version 2029-09 is newer than the newest this worker knows (2026-09); its paths "
                        "and bodies are assumed to be those of 2026-09"]
    assert client.paths.objects("contacts") == "/crm/objects/2029-09/contacts"
    caplog.clear()
    monkeypatch.setenv("SMARKETING_HUBSPOT_API_VERSION", "2026-09-beta")
    with caplog.at_level("WARNING", logger="smarketing.connector"):
        client_from_settings(load_settings())
    assert not [r for r in caplog.records if "newer than the newest" in r.getMessage()]
