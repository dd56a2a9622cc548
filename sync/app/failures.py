"""The one place an error becomes an exit status and a line for the person at the terminal.

Settings, the token and a SMARKETING_DB where no mirror can be (exit 2): the variable to fix. Other known
errors, the worker's own tree (``sync.errors``) and the CRM's (``connector.errors``) (exit 1): one line
with what to do. Anything else is a bug: one line naming it and where its traceback was written, or the
traceback itself under ``SMARKETING_LOG_LEVEL=DEBUG``. No traceback reaches a user otherwise, and no line
carries the token.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from connector import AuthError, CRMError, MalformedAnswer, MissingScopes, TransportError

from ..errors import BadMirrorPath, SettingsError, SmarketingError
from ..secrets import redact

TOKEN = "SMARKETING_HUBSPOT_TOKEN"
DB = "SMARKETING_DB"
BASE_URL = "SMARKETING_HUBSPOT_BASE_URL"


def explain(error: BaseException, *, command: str = "", debug: bool = False) -> tuple[int, list[str]]:
    """(exit status, lines to print on stderr) for an error that ended a command; no line carries a secret, even
    where the CRM's answer echoed the token."""
    code, lines = _explained(error, command, debug)
    return code, [redact(line) for line in lines]


def _explained(error: BaseException, command: str, debug: bool) -> tuple[int, list[str]]:
    if isinstance(error, SettingsError):
        return 2, error.lines
    if isinstance(error, MissingScopes):
        return 2, [f"{TOKEN}: the token lacks the scopes {', '.join(error.scopes) or '(unnamed)'}"]
    if isinstance(error, AuthError):
        return 2, [f"{TOKEN}: the CRM refused the token ({error})"]
    if isinstance(error, TransportError):
        return 1, [f"Error: cannot reach the CRM: {error}; check SMARKETING_HUBSPOT_BASE_URL and the network"]
    if isinstance(error, MalformedAnswer):
        return 1, [f"Error: {error}; nothing of it was stored: if it lasts, check {BASE_URL} and any proxy "
                   "between the worker and the CRM"]
    if isinstance(error, BadMirrorPath):  # a setting to fix, named like the other bad settings
        return 2, [f"{DB}: {error}" + (f"; {error.hint}" if error.hint else "")]
    if isinstance(error, SmarketingError):
        return 1, [f"Error: {error}" + (f"; {error.hint}" if error.hint else "")]
    if isinstance(error, CRMError) or _portal_load_error(error):
        return 1, [f"Error: {error}"]
    return 1, _unexpected(error, command, debug)


def _portal_load_error(error: BaseException) -> bool:
    """A sandbox portal file that does not load. Checked without importing the sandbox, which every other command
    would then pay for at start-up: an error of it can only exist once it was imported."""
    loader = sys.modules.get("sandbox.loader")
    return loader is not None and isinstance(error, loader.PortalLoadError)


def _unexpected(error: BaseException, command: str, debug: bool) -> list[str]:
    where = f" in smarketing {command}" if command else ""
    text = redact(str(error))
    head = f"Error: unexpected {type(error).__name__}{where}" + (f": {text[:200]}" if text else "")
    trace = redact("".join(traceback.format_exception(error)))
    if debug:
        return [trace.rstrip(), head]
    saved = _save(trace)
    place = f"the traceback is in {saved}, or" if saved else "to see the traceback,"
    return [f"{head} ({place} run again with SMARKETING_LOG_LEVEL=DEBUG)"]


def _save(trace: str) -> Path | None:
    """The traceback in a file of its own, for a bug report; None when no file can be written."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(tempfile.gettempdir()) / f"smarketing-error-{stamp}-{os.getpid()}.log"
    try:
        path.write_text(trace, encoding="utf-8")
    except OSError:
        return None
    return path
