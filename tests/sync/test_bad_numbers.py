"""Numeric settings refuse ``inf``, ``nan`` and absurd values with one line naming the range they accept.

Unbounded, ``SMARKETING_SYNC_INTERVAL_MINUTES=1e300`` overflowed the scheduler's timer and ``inf`` seconds of
search lag put the cursor at minus infinity; every numeric setting now has both bounds.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from sync.app.settings import Settings, load_settings, number_kinds, numeric_range
from sync.errors import SettingsError
from tests.conftest import REPO

NUMERIC = [name for name in Settings.model_fields if numeric_range(name)]
BAD = ("inf", "nan", "1e300")

# (variable, its range as the line names it): one of each kind: seconds, a count, money, a timer
SHOWN = [("SMARKETING_SEARCH_LAG_SECONDS", "a number from 0 to 3,600"),
         ("SMARKETING_HTTP_RETRY_ATTEMPTS", "a whole number from 1 to 20"),
         ("SMARKETING_QUOTA", "a number above 0, up to 1,000,000,000,000,000"),
         ("SMARKETING_SYNC_INTERVAL_MINUTES", "a number above 0, up to 10,080")]


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("name, accepted", SHOWN, ids=[n for n, _ in SHOWN])
def test_a_bad_number_is_one_line_naming_the_range_and_exit_2(tmp_path, name, accepted, value):
    db = tmp_path / "m.db"
    env = {"PATH": "/usr/bin:/bin", "SMARKETING_DB": str(db), "SMARKETING_HUBSPOT_TOKEN": "pat-na1-x", name: value}
    done = subprocess.run([sys.executable, "-m", "sync", "sync"], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env=env)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"{name}: '{value}' is not {accepted}\n")
    assert not db.exists(), "a command with a bad setting touches nothing"


def test_every_numeric_setting_has_an_upper_bound():
    """The shares (the daily reserve, the delete share) are checked on their own; every other number has a range."""
    numbers = [name for name, info in Settings.model_fields.items() if number_kinds(info.annotation)]
    assert sorted(set(numbers) - set(NUMERIC)) == ["daily_quota_reserve", "max_delete_share"]


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("field", NUMERIC)
def test_every_numeric_setting_refuses_non_finite_and_absurd_values(monkeypatch, field, value):
    monkeypatch.setenv(f"SMARKETING_{field.upper()}", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.lines == [f"SMARKETING_{field.upper()}: '{value}' is not {numeric_range(field)}"]


SHARES = {"DAILY_QUOTA_RESERVE": "a share of the daily limit from 0 to under 1; use a fraction such as 0.2 or a "
                                 "percentage such as 20%",
          "MAX_DELETE_SHARE": "a share of a table's rows; use a fraction from 0 to 1 such as 0.1, or a percentage "
                              "such as 10%"}


@pytest.mark.parametrize("value", [*BAD, "1.5", "-0.1", "ten"])
@pytest.mark.parametrize("share", SHARES)
def test_a_share_setting_refuses_them_too_naming_the_variable(monkeypatch, share, value):
    monkeypatch.setenv(f"SMARKETING_{share}", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.lines == [f"SMARKETING_{share}: {value!r} is not {SHARES[share]}"]


def test_the_defaults_and_the_bounds_themselves_are_accepted(monkeypatch):
    monkeypatch.setenv("SMARKETING_SYNC_INTERVAL_MINUTES", "10080")
    monkeypatch.setenv("SMARKETING_SEARCH_LAG_SECONDS", "0")
    settings = load_settings()
    assert (settings.sync_interval_minutes, settings.search_lag_seconds, settings.http_retry_attempts) == (
        10080, 0, 6)
