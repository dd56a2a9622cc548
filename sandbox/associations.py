"""HubSpot's default association types: names, numeric type ids and their reverse direction.

Type ids depend on direction (contact->deal is 4, deal->contact is 3); the table comes from the API
notes, section 9, and for the standard types beyond the worker's (tickets, line items, quotes, ...) from
HubSpot's association type table as its SDK's ``AssociationType`` carries it. A pair is listed only where
both directions are known. Inline v3 associations name a type (``deal_to_contact``); v4 answers its numeric id.
The names are HubSpot's, built from its internal object names: meetings are ``meeting_event``
(``contact_to_meeting_event``, section 1a). Portal files may also use the short form (``contact_to_meeting``).
"""

from __future__ import annotations

from .standard_objects import STANDARD_TYPES

SINGULAR = {
    "contacts": "contact", "companies": "company", "deals": "deal", "calls": "call",
    "emails": "email", "meetings": "meeting", "notes": "note", "tasks": "task",
    **{t.name: t.singular for t in STANDARD_TYPES},
}

# HubSpot's internal object name where it differs from the singular, as association type names use it.
_INTERNAL = {"meetings": "meeting_event"}

# (from type, to type, label) -> (type id, reverse type id). Label "" is the primary/default pair,
# "unlabeled" the plain association HubSpot lists next to a primary one.
_PAIRS: list[tuple[str, str, str, int, int]] = [
    ("contacts", "companies", "", 1, 2),
    ("contacts", "companies", "unlabeled", 279, 280),
    ("deals", "contacts", "", 3, 4),
    ("deals", "companies", "", 5, 6),
    ("deals", "companies", "unlabeled", 341, 342),
    ("calls", "contacts", "", 194, 193),
    ("emails", "contacts", "", 198, 197),
    ("meetings", "contacts", "", 200, 199),
    ("notes", "contacts", "", 202, 201),
    ("tasks", "contacts", "", 204, 203),
    ("calls", "deals", "", 206, 205),
    ("emails", "deals", "", 210, 209),
    ("meetings", "deals", "", 212, 211),
    ("notes", "deals", "", 214, 213),
    ("tasks", "deals", "", 216, 215),
    ("calls", "companies", "", 182, 181),
    ("emails", "companies", "", 186, 185),
    ("meetings", "companies", "", 188, 187),
    ("notes", "companies", "", 190, 189),
    ("tasks", "companies", "", 192, 191),
    # Standard types the worker does not sync.
    ("tickets", "contacts", "", 16, 15),
    ("tickets", "companies", "", 26, 25),
    ("tickets", "companies", "unlabeled", 339, 340),
    ("deals", "tickets", "", 27, 28),
    ("calls", "tickets", "", 220, 219),
    ("emails", "tickets", "", 224, 223),
    ("meetings", "tickets", "", 226, 225),
    ("notes", "tickets", "", 228, 227),
    ("tasks", "tickets", "", 230, 229),
    ("deals", "line_items", "", 19, 20),
    ("deals", "quotes", "", 63, 64),
    ("quotes", "line_items", "", 67, 68),
    ("quotes", "contacts", "", 69, 70),
    ("quotes", "companies", "", 71, 72),
    ("tasks", "quotes", "", 218, 217),
    ("leads", "contacts", "", 608, 609),
    ("leads", "companies", "", 610, 611),
    ("leads", "deals", "", 1037, 1038),
    ("communications", "contacts", "", 81, 82),
    ("communications", "tickets", "", 83, 84),
    ("communications", "deals", "", 85, 86),
    ("communications", "companies", "", 87, 88),
    ("postal_mail", "contacts", "", 453, 454),
    ("postal_mail", "tickets", "", 455, 456),
    ("postal_mail", "deals", "", 457, 458),
    ("postal_mail", "companies", "", 459, 460),
    ("feedback_submissions", "contacts", "", 98, 97),
    ("feedback_submissions", "tickets", "", 100, 99),
]

# The one type a "default" (unlabelled) association gets, per direction.
_DEFAULT_LABEL = {("contacts", "companies"): "unlabeled", ("companies", "contacts"): "unlabeled",
                  ("deals", "companies"): "unlabeled", ("companies", "deals"): "unlabeled",
                  ("tickets", "companies"): "unlabeled", ("companies", "tickets"): "unlabeled"}

TYPE_IDS: dict[str, int] = {}  # every name a type is known by, HubSpot's and the short form
TYPE_NAMES: dict[int, str] = {}  # the name HubSpot answers
REVERSE: dict[int, int] = {}
ENDS: dict[int, tuple[str, str]] = {}


def _name(src: str, dst: str, label: str, names: dict[str, str]) -> str:
    return f"{names.get(src, SINGULAR[src])}_to_{names.get(dst, SINGULAR[dst])}" + (f"_{label}" if label else "")


def _register(src: str, dst: str, label: str, type_id: int) -> None:
    name = _name(src, dst, label, _INTERNAL)
    TYPE_IDS[name] = TYPE_IDS[_name(src, dst, label, {})] = type_id
    TYPE_NAMES[type_id] = name
    ENDS[type_id] = (src, dst)


for _src, _dst, _label, _forward, _backward in _PAIRS:
    _register(_src, _dst, _label, _forward)
    _register(_dst, _src, _label, _backward)
    REVERSE[_forward], REVERSE[_backward] = _backward, _forward


def default_type(src: str, dst: str) -> int:
    """The type id HubSpot gives an association created without a label."""
    name = _name(src, dst, _DEFAULT_LABEL.get((src, dst), ""), {})  # a KeyError for a type without defaults
    if name not in TYPE_IDS:
        raise KeyError(f"no association between {src} and {dst}")
    return TYPE_IDS[name]

