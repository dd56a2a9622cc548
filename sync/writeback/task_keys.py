"""The key an SLA follow-up task carries, so the worker can recognise its own task in the CRM.

Whether HubSpot takes custom properties on tasks is not confirmed by any source we have (API notes §13 lists
only HubSpot's own task properties), so the key rides in the body, which every portal has: its last line.
The body (``hs_task_body``) is an HTML field: lines are joined with ``<br>``, and the text is escaped.
"""

from __future__ import annotations

import html
import re
from typing import Any

MARK = "smarketing-sync key: "
BREAK = "<br>"
_LINE = re.compile(r"^smarketing-sync key: (\S+)\s*$", re.MULTILINE)


def with_key(text: str, key: str) -> str:
    """The task body: ``text``'s lines as HTML, then the key on its own last line."""
    return BREAK.join(html.escape(line) for line in text.splitlines()) + f"{BREAK}{BREAK}{MARK}{key}"


def with_note(body: str, note: str) -> str:
    """A body with a closing note after it (the key stays findable: the last key line counts)."""
    return f"{body}{BREAK}{BREAK}{html.escape(note)}"


def key_of(record: dict[str, Any]) -> str | None:
    """The key in a task record's body (``hs_task_body``), or None for a task that is not the worker's.

    HubSpot stores the body as HTML and may wrap lines in tags, so tags are dropped before looking.
    """
    body = str((record.get("properties") or {}).get("hs_task_body") or "")
    found = _LINE.findall(re.sub(r"<[^>]+>", "\n", body))
    return found[-1] if found else None
