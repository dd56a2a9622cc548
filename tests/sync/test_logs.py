"""Log lines: JSON with the run id and extra fields, plain text on request, secrets never written."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from sync import secrets
from sync.app.logs import configure_logging, current_run_id, run_context
from sync.secrets import redact, register_secret

TOKEN = "pat-na1-0a1b2c3d-4e5f-6789-abcd-ef0123456789"


@pytest.fixture
def out():
    """Logging configured into a buffer; the root logger restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging("DEBUG", "json", stream=buffer)
    yield buffer
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_each_record_is_one_json_object_with_the_core_keys(out):
    logging.getLogger("smarketing.test").info("synced %d records", 12)
    logging.getLogger("some_library").warning("retrying")
    first, second = lines(out)
    assert first["event"] == "synced 12 records"
    assert first["level"] == "INFO" and first["logger"] == "smarketing.test"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["ts"])
    assert first["run_id"] is None
    assert second["logger"] == "some_library" and second["level"] == "WARNING"


def test_run_id_is_set_inside_run_context_only(out):
    log = logging.getLogger("smarketing.test")
    with run_context("run-7") as run_id:
        assert run_id == current_run_id() == "run-7"
        log.info("inside")
    log.info("outside")
    inside, outside = lines(out)
    assert inside["run_id"] == "run-7"
    assert outside["run_id"] is None
    assert current_run_id() is None


def test_extra_fields_become_top_level_keys(out):
    logging.getLogger("smarketing.test").info("sync done", extra={"stream": "contacts", "records": 3,
                                                                  "event": "clash", "detail": {"pages": [1, 2]}})
    (line,) = lines(out)
    assert line["stream"] == "contacts" and line["records"] == 3
    assert line["detail"] == {"pages": [1, 2]}
    assert line["event"] == "sync done" and line["extra_event"] == "clash"


def test_registered_secrets_and_token_shapes_are_redacted_everywhere(out):
    register_secret("s3rvice-key-value")
    log = logging.getLogger("some_library.client")  # a logger that never heard of the token
    log.debug("headers: %s", {"Authorization": f"Bearer {TOKEN}"})
    log.info("key s3rvice-key-value and bare %s", TOKEN, extra={"auth": f"Bearer {TOKEN}",
                                                               "nested": {"key": ["s3rvice-key-value"]},
                                                               "obj": ValueError(f"bad token {TOKEN}")})
    try:
        raise RuntimeError("boom with s3rvice-key-value")
    except RuntimeError:
        log.exception("failed")
    text = out.getvalue()
    assert TOKEN not in text and "s3rvice-key-value" not in text
    first, second, third = lines(out)
    assert first["event"] == "headers: {'Authorization': 'Bearer [secure]'}"
    assert second["event"] == "key [secure] and bare [secure]"
    assert second["auth"] == "Bearer [secure]"
    assert second["nested"] == {"key": ["[secure]"]}
    assert second["obj"] == "bad token [secure]"
    assert "RuntimeError: boom with [secure]" in third["exc"]


def test_redact_leaves_ordinary_text_alone():
    assert redact("synced 12 contacts; compat-mode on") == "synced 12 contacts; compat-mode on"
    assert redact("GET /crm/v3?hapikey=abc123&limit=10") == "GET /crm/v3?hapikey=[secure]&limit=10"


def test_empty_secrets_are_ignored():
    register_secret("")
    register_secret(None)
    assert redact("nothing to hide") == "nothing to hide"


def test_text_format(out):
    buffer = io.StringIO()
    configure_logging("INFO", "text", stream=buffer)
    log = logging.getLogger("smarketing.test")
    with run_context("run-9"):
        log.info("pushed %d values", 4, extra={"batches": 1})
    log.debug("not shown at INFO")
    log.warning("token %s", TOKEN)
    first, second = buffer.getvalue().splitlines()
    assert re.fullmatch(r"\S+Z INFO smarketing\.test \[run-9\] pushed 4 values batches=1", first)
    assert second.endswith("WARNING smarketing.test token [secure]")
    assert out.getvalue() == ""  # the json handler was replaced, not kept


def test_reconfiguring_does_not_duplicate_handlers(out):
    buffer = io.StringIO()
    configure_logging("INFO", "json", stream=buffer)
    configure_logging("INFO", "json", stream=buffer)
    logging.getLogger("smarketing.test").info("once")
    assert len(lines(buffer)) == 1
    assert sum(getattr(h, "_smarketing", False) for h in logging.getLogger().handlers) == 1


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="json or text"):
        configure_logging("INFO", "xml")


@pytest.fixture(autouse=True)
def _forget_secrets():
    yield
    secrets._secrets.clear()
    secrets._secrets_re = None
