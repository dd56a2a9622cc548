"""Logging for the worker: one JSON object per line (or plain text), tagged with the run, secrets redacted.

Redaction sits on the handler this module installs on the root logger, so it covers every record that
reaches it, including those of libraries (urllib3, requests) that never heard of the token: the message,
its arguments, ``extra`` fields, exception and stack text; what counts as a secret is ``sync.secrets``'.
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from ..secrets import redact

CORE_KEYS = ("ts", "level", "event", "logger", "run_id")

_run_id: ContextVar[str | None] = ContextVar("smarketing_run_id", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime",
                                                                                     "taskName", "run_id"}


def _redact_value(value: Any) -> Any:
    """Strings redacted, containers walked; other objects become their redacted ``str`` so no repr leaks."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)): _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(v) for v in value]
    return redact(str(value))


def new_run_id() -> str:
    """A short random id for one run."""
    return uuid.uuid4().hex[:12]


def current_run_id() -> str | None:
    return _run_id.get()


@contextmanager
def run_context(run_id: str) -> Iterator[str]:
    """Tag every log line emitted inside the block (in this thread or task) with ``run_id``."""
    token = _run_id.set(run_id)
    try:
        yield run_id
    finally:
        _run_id.reset(token)


class RedactingFilter(logging.Filter):
    """Rewrites the record in place: later handlers and formatters only ever see redacted text."""

    _exc_formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is rather than let handleError print args
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact(message), ()
        for key in _extra_keys(record):
            setattr(record, key, _redact_value(record.__dict__[key]))
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exc_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        if not hasattr(record, "run_id"):
            record.run_id = _run_id.get()
        return True


def _extra_keys(record: logging.LogRecord) -> list[str]:
    return [key for key in record.__dict__ if key not in _RECORD_ATTRS and not key.startswith("_")]


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line; ``extra`` fields become top-level keys (renamed ``extra_<key>`` on a clash)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"ts": _timestamp(record), "level": record.levelname, "event": record.getMessage(),
                                "logger": record.name, "run_id": getattr(record, "run_id", None)}
        for key in _extra_keys(record):
            line[f"extra_{key}" if key in CORE_KEYS else key] = record.__dict__[key]
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return redact(json.dumps(line, default=lambda o: redact(str(o)), ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """``ts LEVEL logger [run] message key=value ...`` for a human at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        run_id = getattr(record, "run_id", None)
        parts = [_timestamp(record), record.levelname, record.name] + ([f"[{run_id}]"] if run_id else [])
        parts.append(record.getMessage())
        parts += [f"{key}={record.__dict__[key]}" for key in _extra_keys(record)]
        text = " ".join(parts)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + record.stack_info
        return redact(text)


_FORMATTERS = {"json": JsonFormatter, "text": TextFormatter}


def configure_logging(level: str = "INFO", fmt: str = "json", stream: TextIO | None = None) -> None:
    """Send all logging to ``stream`` (default: the current ``sys.stdout``) through one redacting handler.

    Calling it again replaces the handler it installed before; handlers installed by others are left alone.
    """
    if fmt not in _FORMATTERS:
        raise ValueError(f"unknown log format {fmt!r}; use json or text")
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_smarketing", False)]:
        root.removeHandler(handler)
        handler.close()
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler._smarketing = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter())
    handler.setFormatter(_FORMATTERS[fmt]())
    root.addHandler(handler)
    root.setLevel(level.upper())
