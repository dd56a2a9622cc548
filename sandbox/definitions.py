"""What HubSpot requires of property, option, group and custom object schema bodies (API notes §1a, §6, §7).

Required fields are those of the spec's ``PropertyCreate``, ``OptionInput``, ``PropertyGroupCreate``,
``ObjectSchemaEgg`` and ``ObjectTypePropertyCreate`` (HubSpot's SDK models carry the same); the ``type`` and
``fieldType`` pairs are those of HubSpot's properties guide. A body that breaks any rule is a 400
``VALIDATION_ERROR`` listing every problem in ``errors[]`` (field path in ``in``), as HubSpot's ``Error`` shape has it.
"""

from __future__ import annotations

from typing import Any

from .errors import invalid_input

FIELD_TYPES_OF = {  # type -> the fieldTypes HubSpot accepts with it
    "string": {"text", "textarea", "html", "phonenumber", "file", "calculation_equation"},
    "number": {"number", "calculation_equation"},
    "date": {"date"},
    "datetime": {"date"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox", "calculation_equation"},
    "bool": {"booleancheckbox", "calculation_equation"},
    "phone_number": {"phonenumber"},
}
PROPERTY_TYPES = set(FIELD_TYPES_OF)
FIELD_TYPES = set().union(*FIELD_TYPES_OF.values())
PROPERTY_REQUIRED = ("name", "label", "type", "fieldType", "groupName")
SCHEMA_PROPERTY_REQUIRED = ("name", "label", "type", "fieldType")
OPTION_REQUIRED = ("label", "value", "hidden")
SCHEMA_OPTION_REQUIRED = ("label", "value", "displayOrder", "hidden")
SCHEMA_REQUIRED = ("name", "labels", "properties", "requiredProperties", "associatedObjects")

Problem = tuple[str, str]  # (where, what is wrong)


def check_property(body: dict[str, Any], *, partial: bool = False, current: dict[str, Any] | None = None) -> None:
    """A property create (or, ``partial``, an update of ``current``) body HubSpot would accept, or a 400."""
    _raise(_property_problems(body, "", PROPERTY_REQUIRED, OPTION_REQUIRED, partial=partial, current=current))


def check_group(body: dict[str, Any]) -> None:
    problems = _missing(body, ("name", "label"), "", str)
    if "displayOrder" in body and not _is_int(body["displayOrder"]):
        problems.append(("displayOrder", "must be an integer"))
    _raise(problems)


def check_schema(body: dict[str, Any]) -> None:
    """An ``ObjectSchemaEgg``: its required fields, and each of its properties as ``ObjectTypePropertyCreate``."""
    problems = _missing(body, SCHEMA_REQUIRED, "", None)
    labels = body.get("labels")
    if "labels" in body and not (isinstance(labels, dict) and all(isinstance(labels.get(k), str) and labels[k]
                                                                  for k in ("singular", "plural"))):
        problems.append(("labels", "must have a singular and a plural label"))
    for key in ("properties", "requiredProperties", "associatedObjects"):
        if key in body and not isinstance(body[key], list):
            problems.append((key, "must be a list"))
    properties: list[Any] = body["properties"] if isinstance(body.get("properties"), list) else []
    for n, prop in enumerate(properties):
        if not isinstance(prop, dict):
            problems.append((f"properties[{n}]", "must be an object"))
            continue
        problems += _property_problems(prop, f"properties[{n}].", SCHEMA_PROPERTY_REQUIRED, SCHEMA_OPTION_REQUIRED)
    _raise(problems)


def _property_problems(body: dict[str, Any], at: str, required: tuple[str, ...], option_required: tuple[str, ...],
                       *, partial: bool = False, current: dict[str, Any] | None = None) -> list[Problem]:
    problems = [] if partial else _missing(body, required, at, str)
    kind = body.get("type", (current or {}).get("type"))
    field_type = body.get("fieldType", (current or {}).get("fieldType"))
    if "type" in body and (not isinstance(kind, str) or kind not in PROPERTY_TYPES):
        problems.append((f"{at}type", f"{kind!r} is not one of {', '.join(sorted(PROPERTY_TYPES))}"))
    elif "fieldType" in body and (not isinstance(field_type, str) or field_type not in FIELD_TYPES):
        problems.append((f"{at}fieldType", f"{field_type!r} is not one of {', '.join(sorted(FIELD_TYPES))}"))
    elif isinstance(kind, str) and isinstance(field_type, str) and field_type not in FIELD_TYPES_OF[kind]:
        problems.append((f"{at}fieldType", f"{field_type!r} is not valid for type {kind!r}; use one of "
                                           f"{', '.join(sorted(FIELD_TYPES_OF[kind]))}"))
    options = body.get("options", (current or {}).get("options") if partial else None) or []
    if not isinstance(options, list):
        return [*problems, (f"{at}options", "must be a list")]
    if "options" in body:
        for n, option in enumerate(options):
            if not isinstance(option, dict):
                problems.append((f"{at}options[{n}]", "must be an object"))
                continue
            problems += [(f"{at}options[{n}].{key}", "is required") for key in option_required if key not in option]
            if "hidden" in option and not isinstance(option["hidden"], bool):
                problems.append((f"{at}options[{n}].hidden", "must be true or false"))
            if "displayOrder" in option and not _is_int(option["displayOrder"]):
                problems.append((f"{at}options[{n}].displayOrder", "must be an integer"))
    if kind == "enumeration" and not options:
        problems.append((f"{at}options", "an enumeration property needs options"))
    if kind == "bool" and sorted(str(o.get("value")) for o in options if isinstance(o, dict)) != ["false", "true"]:
        problems.append((f"{at}options", "a bool property needs exactly two options, true and false"))
    return problems


def _missing(body: dict[str, Any], required: tuple[str, ...], at: str, kind: type | None) -> list[Problem]:
    problems = []
    for key in required:
        if key not in body or body[key] is None or body[key] == "":
            problems.append((f"{at}{key}", "is required"))
        elif kind is not None and not isinstance(body[key], kind):
            problems.append((f"{at}{key}", f"must be a {kind.__name__}"))
    return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise invalid_input(problems)
