"""The CRM search endpoint's query language: validation, filters, sorts and HubSpot's limits.

Semantics follow the API notes, section 4: filters in a group are ANDed, groups are ORed; at most
5 groups, 6 filters per group and 18 in all; one sort, given as an object or as ``"-name"``;
at most 200 results a page, and no page past the 10,000th result. A top-level ``filters`` list, which
HubSpot's search guide and other integrations send instead of groups, is ANDed like one group (§1a). EQ on a
datetime is refused: HubSpot does not document it at millisecond precision (section 1a), so a client must
not rely on it; GTE and LTE on the same instant is the documented way.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from .associations import SINGULAR
from .errors import bad_request
from .records import Record, ms_from_text

MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18
MAX_LIMIT, MAX_RESULTS, MAX_QUERY_CHARS = 200, 10_000, 3_000
OPERATORS = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
             "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}

Predicate = Callable[[Record], bool]
_PLURAL = {singular: plural for plural, singular in SINGULAR.items()}


def _typed(kind: str, text: str | None) -> Any:
    """A property value converted for comparison by its property type; None when it has none."""
    if text is None or text == "":
        return None
    if kind == "number":
        try:
            return Decimal(text)
        except InvalidOperation:
            return None
    if kind in ("datetime", "date"):
        return ms_from_text(text)
    if kind == "enumeration":
        return text  # enumerations compare case-sensitively
    return text.lower()


def _filter(f: dict[str, Any], types: dict[str, str]) -> Predicate:
    name, op = f.get("propertyName"), f.get("operator")
    if not isinstance(name, str) or op not in OPERATORS:
        raise bad_request(f"Invalid filter: operator {op!r} on property {name!r}. "
                          f"Operators: {', '.join(sorted(OPERATORS))}")
    if name.startswith("associations."):
        return _association_filter(name.split(".", 1)[1], op, f)
    if name not in types:
        raise bad_request(f"There was a problem with the request: property {name!r} does not exist.")
    kind = types[name]
    if op == "EQ" and kind == "datetime":
        raise bad_request(f"Filter on {name!r}: EQ on a datetime is not documented by HubSpot, so this sandbox "
                          "refuses it; use GTE and LTE on the same instant.")

    def value(key: str = "value") -> Any:
        raw = f.get(key)
        if raw is None:
            raise bad_request(f"Filter on {name!r} with operator {op} needs {key!r}.")
        typed = _typed(kind, str(raw).lower() if isinstance(raw, bool) else str(raw))
        if typed is None:
            raise bad_request(f"Filter on {name!r}: {raw!r} is not a valid {kind} value.")
        return typed

    def get(r: Record) -> Any:
        return _typed(kind, r.properties.get(name))

    if op == "HAS_PROPERTY":
        return lambda r: get(r) is not None
    if op == "NOT_HAS_PROPERTY":
        return lambda r: get(r) is None
    if op in ("IN", "NOT_IN"):
        raw_values = f.get("values")
        if not isinstance(raw_values, list) or not raw_values:
            raise bad_request(f"Filter on {name!r} with operator {op} needs a non-empty 'values' list.")
        # String values given to IN must already be lower case, as HubSpot documents: compare as sent.
        wanted = {str(v) if kind in ("string", "phone_number") else _typed(kind, str(v)) for v in raw_values}
        if op == "IN":
            return lambda r: get(r) in wanted
        return lambda r: get(r) not in wanted
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(f.get("value", "")).lower()

        def contains(r: Record) -> bool:
            text = (r.properties.get(name) or "").lower()
            return fnmatch.fnmatchcase(text, pattern) or any(
                fnmatch.fnmatchcase(token, pattern) for token in text.split())
        return contains if op == "CONTAINS_TOKEN" else (lambda r: not contains(r))
    if op == "BETWEEN":
        low, high = value(), value("highValue")
        return lambda r: (v := get(r)) is not None and low <= v <= high
    target = value()
    compare = {
        "EQ": lambda v: v == target, "NEQ": lambda v: v != target,
        "LT": lambda v: v < target, "LTE": lambda v: v <= target,
        "GT": lambda v: v > target, "GTE": lambda v: v >= target,
    }[op]
    if op == "NEQ":
        return lambda r: (v := get(r)) is None or compare(v)
    return lambda r: (v := get(r)) is not None and compare(v)


def _association_filter(to_type: str, op: str, f: dict[str, Any]) -> Predicate:
    plural = _PLURAL.get(to_type, to_type)  # HubSpot's guide names the type singular: associations.contact
    if op == "EQ":
        ids = {str(f.get("value"))}
    elif op == "IN":
        ids = {str(v) for v in f.get("values") or []}
    else:
        raise bad_request(f"Association filters support EQ and IN, not {op}.")
    return lambda r: bool(ids & r.associations.get(plural, {}).keys())


def compile_filters(groups: Any, types: dict[str, str], filters: Any = None) -> Predicate:
    """The predicate of a search body's ``filterGroups`` (ORed groups of ANDed filters) or its top-level
    ``filters`` (ANDed, as one group without the per-group cap; issue hubspot-api-nodejs#491 reports more
    filters there than a group takes, so only the total of 18 applies).

    Both at once is refused: no HubSpot source says whether the list is ANDed with the groups, ORed as
    one more group, or ignored, and a guess would answer such a search silently wrong.
    """
    if groups is None:
        groups = []
    if filters is None:
        filters = []
    if not isinstance(filters, list):
        raise bad_request("'filters' must be a list of filters.")
    if filters and groups:
        raise bad_request("Send either 'filterGroups' or a top-level 'filters' list, not both.")
    if not isinstance(groups, list) or len(groups) > MAX_GROUPS:
        raise bad_request(f"Too many filter groups: at most {MAX_GROUPS} are allowed.")
    total = len(filters)
    compiled: list[list[Predicate]] = [[_filter(f, types) for f in filters]] if filters else []
    for group in groups:
        in_group = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(in_group, list) or len(in_group) > MAX_FILTERS_PER_GROUP:
            raise bad_request(f"Each filter group takes a 'filters' list of at most {MAX_FILTERS_PER_GROUP}.")
        total += len(in_group)
        compiled.append([_filter(f, types) for f in in_group])
    if total > MAX_FILTERS:
        raise bad_request(f"Too many filters: at most {MAX_FILTERS} are allowed across all groups.")
    if not compiled:
        return lambda r: True
    return lambda r: any(all(p(r) for p in group) for group in compiled)


def compile_query(query: Any, searchable: Iterable[str]) -> Predicate:
    if not query:
        return lambda r: True
    text = str(query)
    if len(text) > MAX_QUERY_CHARS:
        raise bad_request(f"The query is longer than {MAX_QUERY_CHARS} characters.")
    needle, names = text.lower(), tuple(searchable)
    return lambda r: any(needle in (r.properties.get(n) or "").lower() for n in names)


def sort_key(sorts: Any, types: dict[str, str], default: str) -> tuple[Callable[[Record], Any], bool]:
    """Key function and direction. Records without a value sort last; ties go by id."""
    if sorts in (None, []):
        sorts = [default]
    if not isinstance(sorts, list) or len(sorts) != 1:
        raise bad_request("Only one sort is allowed.")
    sort = sorts[0]
    if isinstance(sort, str):
        name, descending = sort.lstrip("-"), sort.startswith("-")
    elif isinstance(sort, dict) and isinstance(sort.get("propertyName"), str):
        name = sort["propertyName"]
        descending = str(sort.get("direction", "ASCENDING")).upper() == "DESCENDING"
    else:
        raise bad_request(f"Invalid sort: {sort!r}")
    if name not in types:
        raise bad_request(f"There was a problem with the request: cannot sort on unknown property {name!r}.")
    kind = types[name]

    def key(r: Record) -> Any:
        v = _typed(kind, r.properties.get(name))
        return (v is None) != descending, v if v is not None else 0, int(r.id)
    return key, descending


def page_window(after: Any, limit: Any) -> tuple[int, int]:
    try:
        offset = int(after or 0)
        size = int(10 if limit is None else limit)
    except (TypeError, ValueError):
        raise bad_request("'after' and 'limit' must be integers.") from None
    if size < 1 or size > MAX_LIMIT:
        raise bad_request(f"limit must be between 1 and {MAX_LIMIT}, got {size}.")
    if offset < 0 or offset >= MAX_RESULTS:
        raise bad_request(f"Paging past {MAX_RESULTS} results is not supported: after={offset}. "
                          "Narrow the query (for example by a date range) instead.")
    return offset, size
