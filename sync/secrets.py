"""Secrets never leave the process: the token (and anything shaped like a credential) is replaced by ``[secure]``
in every text the worker logs, prints, stores or serves.

Known-shaped tokens (``Bearer ...``, ``pat-...``) are caught by pattern, anything else by :func:`register_secret`.
"""

from __future__ import annotations

import re
import threading

REDACTED = "[secure]"
MIN_SECRET = 8

# Shapes of credentials worth catching even when nobody registered them.
_PATTERNS = (
    (re.compile(r"\b(Bearer\s+)(?!\[secure\])[^\s\"',;]+", re.IGNORECASE), r"\1" + REDACTED),
    (re.compile(r"\bpat-[\w-]{6,}"), REDACTED),  # HubSpot private-app tokens: pat-na1-...
    (re.compile(r"\b((?:hapikey|access_token|refresh_token|client_secret)=)[^&\s\"']+", re.IGNORECASE),
     r"\1" + REDACTED),
)
_secrets: set[str] = set()
_secrets_re: re.Pattern[str] | None = None
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Redact ``value`` wherever it shows up from now on. Values shorter than ``MIN_SECRET`` are ignored: no
    credential is that short, and replacing, say, every ``x`` would garble every line the worker prints."""
    global _secrets_re
    if not value or len(value.strip()) < MIN_SECRET:
        return
    with _secrets_lock:
        _secrets.add(value)
        # longest first, so a secret that contains another is replaced whole
        _secrets_re = re.compile("|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True)))


def redact(text: str) -> str:
    """``text`` with registered secrets and token-shaped strings replaced by ``[secure]``."""
    pattern = _secrets_re
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    for regex, replacement in _PATTERNS:
        text = regex.sub(replacement, text)
    return text
