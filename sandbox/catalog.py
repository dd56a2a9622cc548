"""HubSpot's default CRM property definitions and property groups.

The sandbox serves these from `GET /crm/v3/properties/{objectType}` and `.../groups`, and uses
`modificationMetadata.readOnlyValue` to reject API writes to values HubSpot computes itself.
The catalog is a compact table expanded into full Property dicts on every call, because callers
mutate what they get (a portal can replace or extend definitions).

Per-stage properties (dates, times in stage) are not in the table: their names depend on the portal's lifecycle
options and deal pipeline stages, so the server builds them with `lifecycle_stage_properties`
and `deal_stage_properties`. The standard types the worker does not sync (tickets, products, ...) have their
rows in `standard_objects`.
"""

from __future__ import annotations

from .standard_objects import STANDARD_BY_NAME, STANDARD_TYPES

OBJECT_TYPES: tuple[str, ...] = ("contacts", "companies", "deals", "calls", "emails", "meetings", "tasks", "notes")
STANDARD_OBJECT_TYPES: tuple[str, ...] = tuple(t.name for t in STANDARD_TYPES)
ALL_OBJECT_TYPES: tuple[str, ...] = OBJECT_TYPES + STANDARD_OBJECT_TYPES

# Fixed timestamps, so generated portals and API responses are reproducible.
_CREATED_AT = "2019-08-06T02:41:08.029Z"
_UPDATED_AT = "2023-05-10T15:21:33.371Z"

# Shorthand used in the tables -> (type, fieldType).
_KINDS = {
    "text": ("string", "text"),
    "textarea": ("string", "textarea"),
    "html": ("string", "html"),
    "phone": ("string", "phonenumber"),
    "number": ("number", "number"),
    "datetime": ("datetime", "date"),
    "select": ("enumeration", "select"),
    "radio": ("enumeration", "radio"),
    "checkbox": ("enumeration", "checkbox"),
    "bool": ("bool", "booleancheckbox"),
    "owner": ("enumeration", "select"),
}

# Option lists as (value, label), in HubSpot's display order.
_LIFECYCLE = (
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("evangelist", "Evangelist"),
    ("other", "Other"),
)
_LEAD_STATUS = (
    ("NEW", "New"),
    ("OPEN", "Open"),
    ("IN_PROGRESS", "In Progress"),
    ("OPEN_DEAL", "Open Deal"),
    ("UNQUALIFIED", "Unqualified"),
    ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"),
    ("CONNECTED", "Connected"),
    ("BAD_TIMING", "Bad Timing"),
)
_TRAFFIC_SOURCE = (
    ("ORGANIC_SEARCH", "Organic Search"),
    ("PAID_SEARCH", "Paid Search"),
    ("EMAIL_MARKETING", "Email Marketing"),
    ("SOCIAL_MEDIA", "Organic Social"),
    ("REFERRALS", "Referrals"),
    ("OTHER_CAMPAIGNS", "Other Campaigns"),
    ("DIRECT_TRAFFIC", "Direct Traffic"),
    ("OFFLINE", "Offline Sources"),
    ("PAID_SOCIAL", "Paid Social"),
)
_INDUSTRY = (
    ("ACCOUNTING", "Accounting"),
    ("BANKING", "Banking"),
    ("COMPUTER_SOFTWARE", "Computer Software"),
    ("CONSTRUCTION", "Construction"),
    ("EDUCATION_MANAGEMENT", "Education Management"),
    ("FINANCIAL_SERVICES", "Financial Services"),
    ("HOSPITAL_HEALTH_CARE", "Hospital & Health Care"),
    ("INFORMATION_TECHNOLOGY_AND_SERVICES", "Information Technology and Services"),
    ("INSURANCE", "Insurance"),
    ("INTERNET", "Internet"),
    ("LOGISTICS_AND_SUPPLY_CHAIN", "Logistics and Supply Chain"),
    ("MANAGEMENT_CONSULTING", "Management Consulting"),
    ("MARKETING_AND_ADVERTISING", "Marketing and Advertising"),
    ("REAL_ESTATE", "Real Estate"),
    ("RETAIL", "Retail"),
    ("TELECOMMUNICATIONS", "Telecommunications"),
)
_CURRENCY = (("USD", "US Dollar"), ("EUR", "Euro"), ("GBP", "British Pound Sterling"))
_DEAL_TYPE = (("newbusiness", "New Business"), ("existingbusiness", "Existing Business"))
_BOOL = (("true", "True"), ("false", "False"))
_CALL_DIRECTION = (("INBOUND", "Inbound"), ("OUTBOUND", "Outbound"))
_CALL_STATUS = (
    ("COMPLETED", "Completed"),
    ("NO_ANSWER", "No answer"),
    ("BUSY", "Busy"),
    ("FAILED", "Failed"),
    ("CANCELED", "Canceled"),
    ("IN_PROGRESS", "In progress"),
    ("QUEUED", "Queued"),
    ("RINGING", "Ringing"),
    ("CONNECTING", "Connecting"),
    ("CALLING_CRM_USER", "Calling CRM user"),
)
# HubSpot's default call outcomes; the GUIDs are the same in every account.
_CALL_OUTCOME = (
    ("9d9162e7-6cf3-4944-bf63-4dff82258764", "Busy"),
    ("f240bbac-87c9-4f6e-bf70-924b57d47db7", "Connected"),
    ("a4c4c377-d246-4b32-a13b-75a56a4cd0ff", "Left live message"),
    ("b2cf5968-551e-4856-9783-52b3da59a7d0", "Left voicemail"),
    ("73a0d17f-1163-4015-bdd5-ec830791da20", "No answer"),
    ("17b47fee-58de-441e-a44c-c6300d46f273", "Wrong number"),
)
_EMAIL_DIRECTION = (
    ("EMAIL", "Email sent from CRM"),
    ("INCOMING_EMAIL", "Reply from contact"),
    ("FORWARDED_EMAIL", "Forwarded email"),
)
_EMAIL_STATUS = (
    ("SENT", "Sent"),
    ("BOUNCED", "Bounced"),
    ("FAILED", "Failed"),
    ("SCHEDULED", "Scheduled"),
    ("SENDING", "Sending"),
)
_MEETING_OUTCOME = (
    ("SCHEDULED", "Scheduled"),
    ("COMPLETED", "Completed"),
    ("RESCHEDULED", "Rescheduled"),
    ("NO_SHOW", "No show"),
    ("CANCELED", "Canceled"),
)
_TASK_STATUS = (
    ("NOT_STARTED", "Not started"),
    ("IN_PROGRESS", "In progress"),
    ("WAITING", "Waiting"),
    ("COMPLETED", "Completed"),
    ("DEFERRED", "Deferred"),
)
_TASK_TYPE = (("CALL", "Call"), ("EMAIL", "Email"), ("TODO", "To-do"))
_TASK_PRIORITY = (("NONE", "None"), ("LOW", "Low"), ("MEDIUM", "Medium"), ("HIGH", "High"))

_GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "contacts": (
        ("contactinformation", "Contact information"),
        ("emailinformation", "Email information"),
        ("sales_properties", "Sales properties"),
        ("analyticsinformation", "Web analytics history"),
        ("contact_activity", "Contact activity"),
    ),
    "companies": (
        ("companyinformation", "Company information"),
        ("company_activity", "Company activity"),
        ("analyticsinformation", "Web analytics history"),
    ),
    "deals": (
        ("dealinformation", "Deal information"),
        ("deal_activity", "Deal activity"),
        ("analyticsinformation", "Web analytics history"),
    ),
    "calls": (("callinformation", "Call information"),),
    "emails": (("emailinformation", "Email information"),),
    "meetings": (("meetinginformation", "Meeting information"),),
    "tasks": (("taskinformation", "Task information"),),
    "notes": (("noteinformation", "Note information"),),
}


def _engagement(group: str, *specific: tuple) -> tuple[tuple, ...]:
    """Rows every engagement object shares, around its own ones."""
    return (
        ("hs_timestamp", "Activity date", "datetime", group),
        *specific,
        ("hubspot_owner_id", "Activity assigned to", "owner", group),
        ("hs_createdate", "Object create date/time", "datetime", group, "r"),
        ("hs_lastmodifieddate", "Object last modified date/time", "datetime", group, "r"),
        ("hs_object_id", "Record ID", "number", group, "r"),
    )


# Rows: (name, label, kind, groupName, flags="", options=()).
# Flags: r = readOnlyValue (API writes rejected), c = calculated, f = formField.
_PROPERTIES: dict[str, tuple[tuple, ...]] = {
    "contacts": (
        ("email", "Email", "text", "contactinformation", "f"),
        ("firstname", "First Name", "text", "contactinformation", "f"),
        ("lastname", "Last Name", "text", "contactinformation", "f"),
        ("company", "Company Name", "text", "contactinformation", "f"),
        ("jobtitle", "Job Title", "text", "contactinformation", "f"),
        ("phone", "Phone Number", "phone", "contactinformation", "f"),
        ("city", "City", "text", "contactinformation", "f"),
        ("country", "Country/Region", "text", "contactinformation", "f"),
        ("lifecyclestage", "Lifecycle Stage", "radio", "contactinformation", "f", _LIFECYCLE),
        ("hs_lead_status", "Lead Status", "radio", "sales_properties", "f", _LEAD_STATUS),
        ("hubspot_owner_id", "Contact owner", "owner", "sales_properties"),
        ("hubspot_owner_assigneddate", "Owner assigned date", "datetime", "sales_properties"),
        ("hs_sa_first_engagement_date", "Date of first engagement", "datetime", "sales_properties", "r"),
        ("hs_time_to_first_engagement", "Lead response time", "number", "sales_properties", "rc"),
        ("hs_analytics_source", "Original Traffic Source", "select", "analyticsinformation", "r", _TRAFFIC_SOURCE),
        ("hs_analytics_source_data_1", "Original Traffic Source Drill-Down 1", "text", "analyticsinformation", "r"),
        ("hs_analytics_source_data_2", "Original Traffic Source Drill-Down 2", "text", "analyticsinformation", "r"),
        ("hs_latest_source", "Latest Traffic Source", "select", "analyticsinformation", "r", _TRAFFIC_SOURCE),
        ("hs_latest_source_data_1", "Latest Traffic Source Drill-Down 1", "text", "analyticsinformation", "r"),
        ("hs_latest_source_data_2", "Latest Traffic Source Drill-Down 2", "text", "analyticsinformation", "r"),
        ("hs_latest_source_timestamp", "Latest Traffic Source Date", "datetime", "analyticsinformation", "r"),
        (
            "hs_analytics_first_touch_converting_campaign",
            "First Touch Converting Campaign",
            "text",
            "analyticsinformation",
            "r",
        ),
        (
            "hs_analytics_last_touch_converting_campaign",
            "Last Touch Converting Campaign",
            "text",
            "analyticsinformation",
            "r",
        ),
        ("notes_last_contacted", "Last Contacted", "datetime", "contact_activity", "r"),
        ("notes_last_updated", "Last Activity Date", "datetime", "contact_activity", "r"),
        ("num_contacted_notes", "Number of times contacted", "number", "contact_activity", "r"),
        ("num_notes", "Number of Sales Activities", "number", "contact_activity", "r"),
        ("hs_merged_object_ids", "Merged Contact IDs", "checkbox", "contactinformation", "r"),
        ("hs_additional_emails", "Additional email addresses", "select", "contactinformation", "rc"),
        ("createdate", "Create Date", "datetime", "contactinformation"),
        ("lastmodifieddate", "Last Modified Date", "datetime", "contactinformation", "r"),
        ("hs_object_id", "Record ID", "number", "contactinformation", "r"),
    ),
    "companies": (
        ("name", "Company name", "text", "companyinformation", "f"),
        ("domain", "Company Domain Name", "text", "companyinformation", "f"),
        ("industry", "Industry", "select", "companyinformation", "f", _INDUSTRY),
        ("city", "City", "text", "companyinformation", "f"),
        ("country", "Country/Region", "text", "companyinformation", "f"),
        ("numberofemployees", "Number of Employees", "number", "companyinformation", "f"),
        ("annualrevenue", "Annual Revenue", "number", "companyinformation", "f"),
        ("lifecyclestage", "Lifecycle Stage", "radio", "companyinformation", "", _LIFECYCLE),
        ("hubspot_owner_id", "Company owner", "owner", "companyinformation"),
        ("createdate", "Create Date", "datetime", "companyinformation"),
        ("hs_lastmodifieddate", "Last Modified Date", "datetime", "companyinformation", "r"),
        ("hs_object_id", "Record ID", "number", "companyinformation", "r"),
    ),
    "deals": (
        ("dealname", "Deal Name", "text", "dealinformation"),
        ("amount", "Amount", "number", "dealinformation"),
        ("amount_in_home_currency", "Amount in company currency", "number", "dealinformation", "rc"),
        ("deal_currency_code", "Currency", "select", "dealinformation", "", _CURRENCY),
        ("dealstage", "Deal Stage", "radio", "dealinformation"),
        ("pipeline", "Pipeline", "select", "dealinformation"),
        ("closedate", "Close Date", "datetime", "dealinformation"),
        ("dealtype", "Deal Type", "radio", "dealinformation", "", _DEAL_TYPE),
        ("closed_lost_reason", "Closed Lost Reason", "textarea", "dealinformation"),
        ("closed_won_reason", "Closed Won Reason", "textarea", "dealinformation"),
        ("hubspot_owner_id", "Deal owner", "owner", "dealinformation"),
        ("hs_is_closed", "Is Deal Closed?", "bool", "dealinformation", "rc", _BOOL),
        ("hs_is_closed_won", "Is Closed Won", "bool", "dealinformation", "rc", _BOOL),
        ("hs_deal_stage_probability", "Deal probability", "number", "dealinformation"),
        ("hs_analytics_source", "Original Traffic Source", "select", "analyticsinformation", "rc", _TRAFFIC_SOURCE),
        ("notes_last_contacted", "Last Contacted", "datetime", "deal_activity", "r"),
        ("createdate", "Create Date", "datetime", "dealinformation"),
        ("hs_lastmodifieddate", "Last Modified Date", "datetime", "dealinformation", "r"),
        ("hs_object_id", "Record ID", "number", "dealinformation", "r"),
    ),
    "calls": _engagement(
        "callinformation",
        ("hs_call_title", "Call Title", "text", "callinformation"),
        ("hs_call_body", "Call notes", "html", "callinformation"),
        ("hs_call_direction", "Call direction", "select", "callinformation", "", _CALL_DIRECTION),
        ("hs_call_status", "Call status", "select", "callinformation", "", _CALL_STATUS),
        ("hs_call_disposition", "Call outcome", "select", "callinformation", "", _CALL_OUTCOME),
        ("hs_call_duration", "Call duration", "number", "callinformation"),
    ),
    "emails": _engagement(
        "emailinformation",
        ("hs_email_subject", "Email subject", "text", "emailinformation"),
        ("hs_email_text", "Email text", "textarea", "emailinformation"),
        ("hs_email_html", "Email body", "html", "emailinformation"),
        ("hs_email_direction", "Email direction", "select", "emailinformation", "", _EMAIL_DIRECTION),
        ("hs_email_status", "Email send status", "select", "emailinformation", "", _EMAIL_STATUS),
    ),
    "meetings": _engagement(
        "meetinginformation",
        ("hs_meeting_title", "Meeting name", "text", "meetinginformation"),
        ("hs_meeting_body", "Meeting description", "html", "meetinginformation"),
        ("hs_meeting_start_time", "Start Time", "datetime", "meetinginformation"),
        ("hs_meeting_end_time", "End Time", "datetime", "meetinginformation"),
        ("hs_meeting_outcome", "Meeting outcome", "select", "meetinginformation", "", _MEETING_OUTCOME),
    ),
    "tasks": _engagement(
        "taskinformation",
        ("hs_task_subject", "Task Title", "text", "taskinformation"),
        ("hs_task_body", "Notes", "html", "taskinformation"),
        ("hs_task_status", "Task Status", "select", "taskinformation", "", _TASK_STATUS),
        ("hs_task_type", "Task Type", "select", "taskinformation", "", _TASK_TYPE),
        ("hs_task_priority", "Priority", "select", "taskinformation", "", _TASK_PRIORITY),
    ),
    "notes": _engagement(
        "noteinformation",
        ("hs_note_body", "Note body", "html", "noteinformation"),
    ),
}

_DEFAULT_RETURNED: dict[str, tuple[str, ...]] = {
    "contacts": ("firstname", "lastname", "email"),
    "companies": ("name", "domain"),
    "deals": ("dealname", "amount", "closedate", "pipeline", "dealstage"),
    "calls": ("hs_timestamp", "hs_call_title", "hs_call_direction", "hs_call_status"),
    "emails": ("hs_timestamp", "hs_email_subject", "hs_email_direction", "hs_email_status"),
    "meetings": ("hs_timestamp", "hs_meeting_title", "hs_meeting_outcome"),
    "tasks": ("hs_timestamp", "hs_task_subject", "hs_task_status"),
    "notes": ("hs_timestamp", "hs_note_body"),
}

for _standard in STANDARD_TYPES:
    _GROUPS[_standard.name] = (_standard.group,)
    _PROPERTIES[_standard.name] = _standard.rows
    _DEFAULT_RETURNED[_standard.name] = _standard.returned


def _property(
    name: str,
    label: str,
    kind: str,
    group: str,
    flags: str = "",
    options: tuple[tuple[str, str], ...] = (),
    *,
    display_order: int = -1,
    description: str = "",
) -> dict:
    """Expand one table row into a fresh Property dict shaped like HubSpot's response."""
    type_, field_type = _KINDS[kind]
    prop = {
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type,
        "description": description,
        "groupName": group,
        "options": [
            {"label": opt_label, "value": value, "displayOrder": i, "hidden": False, "description": ""}
            for i, (value, opt_label) in enumerate(options)
        ],
        "displayOrder": display_order,
        "calculated": "c" in flags,
        "externalOptions": kind == "owner",
        "hasUniqueValue": False,
        "hidden": False,
        "hubspotDefined": True,
        "formField": "f" in flags,
        "createdAt": _CREATED_AT,
        "updatedAt": _UPDATED_AT,
        "archived": False,
        "modificationMetadata": {"archivable": False, "readOnlyDefinition": True, "readOnlyValue": "r" in flags},
    }
    if kind == "owner":
        prop["referencedObjectType"] = "OWNER"
    return prop


def default_groups(object_type: str) -> list[dict]:
    """PropertyGroup dicts for one object type; KeyError if the type is unknown."""
    return [
        {"name": name, "label": label, "displayOrder": i, "archived": False}
        for i, (name, label) in enumerate(_GROUPS[object_type])
    ]


def default_properties(object_type: str) -> list[dict]:
    """HubSpot's default properties for one object type, as new dicts on every call."""
    return [_property(*row, display_order=i) for i, row in enumerate(_PROPERTIES[object_type])]


def lifecycle_stage_properties(stage_id: str, label: str) -> list[dict]:
    """Contact properties HubSpot keeps for one lifecycle stage (custom stages use their numeric id): the entry
    dates, the exit date and the times in the stage."""
    where = f"'{label}' stage, 'Lifecycle Stage Pipeline' pipeline"
    return [
        _property(
            f"hs_lifecyclestage_{stage_id}_date",
            f"Became a {label} Date",
            "datetime",
            "contactinformation",
            "r",
            description=f"The date and time when the contact became a {label}.",
        ),
        _property(
            f"hs_v2_date_entered_{stage_id}",
            f'Date entered "{label} (Lifecycle Stage Pipeline)"',
            "datetime",
            "contactinformation",
            "r",
            description=f"The date and time when the contact entered the {where}",
        ),
        _property(
            f"hs_v2_date_exited_{stage_id}",
            f'Date exited "{label} (Lifecycle Stage Pipeline)"',
            "datetime",
            "contactinformation",
            "r",
            description=f"The date and time when the contact exited the {where}",
        ),
        # The older entry date (API notes §10); its label here is modelled, not taken from a portal export.
        _property(
            f"hs_date_entered_{stage_id}",
            f"Date entered {label}",
            "datetime",
            "contactinformation",
            "r",
            description=f"The date and time when the contact entered the {label} stage",
        ),
        *(_property(
            f"hs_v2_{kind}_time_in_{stage_id}",
            f'{kind.title()} time in "{label} (Lifecycle Stage Pipeline)"',
            "number",
            "contactinformation",
            "r",
            description=f"The {what} in milliseconds the contact spent in the {where}",
        ) for kind, what in (("cumulative", "total time"), ("latest", "time since its latest entry"))),
    ]


def deal_stage_properties(stage_id: str, label: str) -> list[dict]:
    """Deal date properties HubSpot keeps for one pipeline stage.

    HubSpot labels them with the pipeline too, so pass e.g. "Contract Sent (Sales Pipeline)".
    """
    return [
        _property(
            f"hs_v2_date_{edge}_{stage_id}",
            f'Date {edge} "{label}"',
            "datetime",
            "dealinformation",
            "r",
            description=f"The date and time when the deal {edge} the stage {label}",
        )
        for edge in ("entered", "exited")
    ]


def always_returned(object_type: str) -> tuple[str, ...]:
    """Properties every read returns whatever `properties=` asks for; engagements' set for any other type."""
    if object_type == "contacts":
        return ("hs_object_id", "createdate", "lastmodifieddate")
    standard = STANDARD_BY_NAME.get(object_type)
    if object_type in ("companies", "deals") or (standard and standard.created == "createdate"):
        return ("hs_object_id", "createdate", "hs_lastmodifieddate")
    return ("hs_object_id", "hs_createdate", "hs_lastmodifieddate")


def default_returned(object_type: str) -> tuple[str, ...]:
    """Properties a list/read returns when it names none (besides `always_returned`); KeyError if unknown."""
    return _DEFAULT_RETURNED[object_type]
