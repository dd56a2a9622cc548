"""The default property catalog must be what HubSpot's own SDK accepts, and cover the portal brief."""

import json
from types import SimpleNamespace

import pytest
from hubspot.crm.properties import ApiClient, Configuration
from hubspot.crm.properties.models import ModelProperty, PropertyGroup

from sandbox import catalog

# Every property /tmp/brief/portal-format.md names, per object type, except the per-stage ones.
BRIEF_PROPERTIES = {
    "contacts": """email firstname lastname company jobtitle phone city country lifecyclestage hs_lead_status
        hubspot_owner_id hubspot_owner_assigneddate hs_analytics_source hs_analytics_source_data_1
        hs_analytics_source_data_2 hs_latest_source hs_analytics_first_touch_converting_campaign
        hs_analytics_last_touch_converting_campaign hs_merged_object_ids hs_additional_emails
        hs_sa_first_engagement_date notes_last_contacted num_contacted_notes createdate lastmodifieddate
        hs_object_id""",
    "companies": """name domain industry city country numberofemployees annualrevenue lifecyclestage
        hubspot_owner_id createdate hs_lastmodifieddate hs_object_id""",
    "deals": """dealname amount amount_in_home_currency deal_currency_code dealstage pipeline closedate dealtype
        closed_lost_reason hubspot_owner_id hs_is_closed hs_is_closed_won hs_deal_stage_probability
        hs_analytics_source createdate hs_lastmodifieddate hs_object_id""",
    "calls": """hs_timestamp hs_call_title hs_call_body hs_call_direction hs_call_status hs_call_disposition
        hs_call_duration hubspot_owner_id hs_createdate hs_lastmodifieddate hs_object_id""",
    "emails": """hs_timestamp hs_email_subject hs_email_text hs_email_direction hs_email_status hubspot_owner_id
        hs_createdate hs_lastmodifieddate hs_object_id""",
    "meetings": """hs_timestamp hs_meeting_title hs_meeting_body hs_meeting_start_time hs_meeting_end_time
        hs_meeting_outcome hubspot_owner_id hs_createdate hs_lastmodifieddate hs_object_id""",
    "tasks": """hs_timestamp hs_task_subject hs_task_body hs_task_status hs_task_type hs_task_priority
        hubspot_owner_id hs_createdate hs_lastmodifieddate hs_object_id""",
    "notes": "hs_timestamp hs_note_body hubspot_owner_id hs_createdate hs_lastmodifieddate hs_object_id",
}

# Enumeration values the brief lists; the catalog must offer exactly these.
BRIEF_OPTIONS = {
    ("contacts", "lifecyclestage"): """subscriber lead marketingqualifiedlead salesqualifiedlead opportunity
        customer evangelist other""",
    ("contacts", "hs_lead_status"): """NEW OPEN IN_PROGRESS OPEN_DEAL UNQUALIFIED ATTEMPTED_TO_CONTACT CONNECTED
        BAD_TIMING""",
    ("contacts", "hs_analytics_source"): """ORGANIC_SEARCH PAID_SEARCH EMAIL_MARKETING SOCIAL_MEDIA REFERRALS
        OTHER_CAMPAIGNS DIRECT_TRAFFIC OFFLINE PAID_SOCIAL""",
    ("deals", "deal_currency_code"): "USD EUR GBP",
    ("deals", "dealtype"): "newbusiness existingbusiness",
    ("calls", "hs_call_direction"): "INBOUND OUTBOUND",
    ("calls", "hs_call_status"): """COMPLETED NO_ANSWER BUSY FAILED CANCELED IN_PROGRESS QUEUED RINGING CONNECTING
        CALLING_CRM_USER""",
    ("emails", "hs_email_direction"): "EMAIL INCOMING_EMAIL FORWARDED_EMAIL",
    ("emails", "hs_email_status"): "SENT BOUNCED FAILED SCHEDULED SENDING",
    ("meetings", "hs_meeting_outcome"): "SCHEDULED COMPLETED RESCHEDULED NO_SHOW CANCELED",
    ("tasks", "hs_task_status"): "NOT_STARTED IN_PROGRESS WAITING COMPLETED DEFERRED",
    ("tasks", "hs_task_type"): "CALL EMAIL TODO",
    ("tasks", "hs_task_priority"): "NONE LOW MEDIUM HIGH",
}

VALID_FIELD_TYPES = {
    "string": {"text", "textarea", "html", "phonenumber", "file"},
    "number": {"number", "calculation_equation"},
    "date": {"date"},
    "datetime": {"date"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox"},
    "bool": {"booleancheckbox", "calculation_equation"},
    "phone_number": {"phonenumber"},
}

LIFECYCLE_STAGES = (*BRIEF_OPTIONS[("contacts", "lifecyclestage")].split(), "1047290193")
DEAL_STAGES = ("appointmentscheduled", "closedwon", "closedlost", "12345679")


def _stage_properties():
    for stage in LIFECYCLE_STAGES:
        for prop in catalog.lifecycle_stage_properties(stage, stage.title()):
            yield "contacts", prop
    for stage in DEAL_STAGES:
        for prop in catalog.deal_stage_properties(stage, f"{stage} (Sales Pipeline)"):
            yield "deals", prop


def _all_properties():
    for object_type in catalog.OBJECT_TYPES:
        for prop in catalog.default_properties(object_type):
            yield object_type, prop
    yield from _stage_properties()


ALL = [pytest.param(t, p, id=f"{t}.{p['name']}") for t, p in _all_properties()]


@pytest.fixture(scope="module")
def sdk():
    """The SDK's own response deserialiser, with the required-field checks switched on."""
    config = Configuration()
    config.client_side_validation = True
    with ApiClient(configuration=config) as client:
        yield lambda payload, model: client.deserialize(SimpleNamespace(data=json.dumps(payload)), model)


@pytest.mark.parametrize(("object_type", "prop"), ALL)
def test_property_deserialises_into_sdk_model(sdk, object_type, prop):
    model = sdk(prop, "ModelProperty")
    assert isinstance(model, ModelProperty)
    assert model.name == prop["name"]
    assert model.modification_metadata.read_only_value is prop["modificationMetadata"]["readOnlyValue"]


def test_sdk_rejects_a_property_missing_a_required_field(sdk):
    prop = catalog.default_properties("contacts")[0]
    del prop["groupName"]
    with pytest.raises(ValueError, match="group_name"):
        sdk(prop, "ModelProperty")


@pytest.mark.parametrize("object_type", catalog.OBJECT_TYPES)
def test_groups_deserialise_and_cover_every_property(sdk, object_type):
    groups = catalog.default_groups(object_type)
    assert all(isinstance(sdk(group, "PropertyGroup"), PropertyGroup) for group in groups)
    names = {group["name"] for group in groups}
    assert len(names) == len(groups)
    props = catalog.default_properties(object_type) + [p for t, p in _stage_properties() if t == object_type]
    assert {p["groupName"] for p in props} <= names


@pytest.mark.parametrize("object_type", catalog.OBJECT_TYPES)
def test_names_unique_and_brief_properties_present(object_type):
    names = [p["name"] for p in catalog.default_properties(object_type)]
    assert len(names) == len(set(names))
    assert set(BRIEF_PROPERTIES[object_type].split()) <= set(names)


def test_stage_helpers_cover_every_stage_without_clashing():
    contacts = [p["name"] for t, p in _stage_properties() if t == "contacts"]
    deals = [p["name"] for t, p in _stage_properties() if t == "deals"]
    for stage in LIFECYCLE_STAGES:
        expected = {f"hs_lifecyclestage_{stage}_date", f"hs_v2_date_entered_{stage}", f"hs_v2_date_exited_{stage}",
                    f"hs_date_entered_{stage}", f"hs_v2_cumulative_time_in_{stage}", f"hs_v2_latest_time_in_{stage}"}
        assert expected <= set(contacts)
    for stage in DEAL_STAGES:
        assert {f"hs_v2_date_entered_{stage}", f"hs_v2_date_exited_{stage}"} <= set(deals)
    assert len(contacts) == len(set(contacts)) == 6 * len(LIFECYCLE_STAGES)
    assert len(deals) == len(set(deals)) == 2 * len(DEAL_STAGES)
    assert not set(contacts) & {p["name"] for p in catalog.default_properties("contacts")}
    assert not set(deals) & {p["name"] for p in catalog.default_properties("deals")}
    assert all(p["modificationMetadata"]["readOnlyValue"] for _, p in _stage_properties())


def test_lifecycle_stage_labels_follow_hubspot():
    entered = catalog.lifecycle_stage_properties("marketingqualifiedlead", "Marketing Qualified Lead")[1]
    assert entered["label"] == 'Date entered "Marketing Qualified Lead (Lifecycle Stage Pipeline)"'


def test_times_in_a_lifecycle_stage_are_read_only_numbers():
    by_name = {p["name"]: p for p in catalog.lifecycle_stage_properties("1047290193", "Product Qualified Lead")}
    for name in ("hs_v2_cumulative_time_in_1047290193", "hs_v2_latest_time_in_1047290193"):
        assert (by_name[name]["type"], by_name[name]["fieldType"]) == ("number", "number")
        assert by_name[name]["modificationMetadata"]["readOnlyValue"] is True
    assert by_name["hs_date_entered_1047290193"]["type"] == "datetime"


@pytest.mark.parametrize(("object_type", "prop"), ALL)
def test_type_and_field_type_are_a_valid_pair(object_type, prop):
    assert prop["fieldType"] in VALID_FIELD_TYPES[prop["type"]]
    if prop["type"] == "bool":
        assert [o["value"] for o in prop["options"]] == ["true", "false"]
    if prop["type"] not in ("enumeration", "bool"):
        assert prop["options"] == []
    assert [o["displayOrder"] for o in prop["options"]] == list(range(len(prop["options"])))


@pytest.mark.parametrize(("key", "values"), BRIEF_OPTIONS.items(), ids=[".".join(k) for k in BRIEF_OPTIONS])
def test_enumerations_offer_the_brief_values(key, values):
    object_type, name = key
    prop = next(p for p in catalog.default_properties(object_type) if p["name"] == name)
    assert [o["value"] for o in prop["options"]] == values.split()


def test_lifecycle_options_in_hubspot_order():
    prop = next(p for p in catalog.default_properties("contacts") if p["name"] == "lifecyclestage")
    assert [(o["label"], o["displayOrder"]) for o in prop["options"]] == [
        ("Subscriber", 0),
        ("Lead", 1),
        ("Marketing Qualified Lead", 2),
        ("Sales Qualified Lead", 3),
        ("Opportunity", 4),
        ("Customer", 5),
        ("Evangelist", 6),
        ("Other", 7),
    ]


def test_server_filled_enumerations_start_empty():
    deals = {p["name"]: p for p in catalog.default_properties("deals")}
    assert deals["dealstage"]["options"] == deals["pipeline"]["options"] == []
    for object_type in catalog.OBJECT_TYPES:
        owner = next(p for p in catalog.default_properties(object_type) if p["name"] == "hubspot_owner_id")
        assert owner["referencedObjectType"] == "OWNER"
        assert (owner["type"], owner["options"]) == ("enumeration", [])


@pytest.mark.parametrize(
    ("object_type", "name", "read_only"),
    [
        ("contacts", "hs_object_id", True),
        ("contacts", "lastmodifieddate", True),
        ("contacts", "hs_analytics_source", True),
        ("contacts", "hs_merged_object_ids", True),
        ("contacts", "email", False),
        ("contacts", "lifecyclestage", False),
        ("contacts", "createdate", False),
        ("contacts", "hubspot_owner_assigneddate", False),
        ("deals", "hs_is_closed_won", True),
        ("deals", "amount_in_home_currency", True),
        ("deals", "hs_deal_stage_probability", False),
        ("deals", "dealstage", False),
        ("calls", "hs_createdate", True),
        ("calls", "hs_timestamp", False),
    ],
)
def test_read_only_values(object_type, name, read_only):
    prop = next(p for p in catalog.default_properties(object_type) if p["name"] == name)
    assert prop["modificationMetadata"]["readOnlyValue"] is read_only


def test_default_properties_returns_fresh_copies():
    first = catalog.default_properties("contacts")
    first[0]["label"] = "changed"
    next(p for p in first if p["name"] == "lifecyclestage")["options"].append({"value": "x"})
    first[0]["modificationMetadata"]["readOnlyValue"] = True
    second = catalog.default_properties("contacts")
    assert second[0]["label"] != "changed"
    assert not second[0]["modificationMetadata"]["readOnlyValue"]
    assert len(next(p for p in second if p["name"] == "lifecyclestage")["options"]) == 8


def test_returned_property_sets():
    assert catalog.always_returned("contacts") == ("hs_object_id", "createdate", "lastmodifieddate")
    assert catalog.always_returned("deals") == ("hs_object_id", "createdate", "hs_lastmodifieddate")
    # Tickets are served now and use createdate, as HubSpot's search guide lists; other types hs_createdate.
    assert catalog.always_returned("tickets") == ("hs_object_id", "createdate", "hs_lastmodifieddate")
    assert catalog.always_returned("quotes") == ("hs_object_id", "hs_createdate", "hs_lastmodifieddate")
    assert catalog.always_returned("p24680135_widget") == ("hs_object_id", "hs_createdate", "hs_lastmodifieddate")
    assert catalog.default_returned("contacts") == ("firstname", "lastname", "email")
    assert catalog.default_returned("deals") == ("dealname", "amount", "closedate", "pipeline", "dealstage")
    for object_type in catalog.OBJECT_TYPES:
        names = {p["name"] for p in catalog.default_properties(object_type)}
        assert set(catalog.always_returned(object_type)) <= names
        assert set(catalog.default_returned(object_type)) <= names


@pytest.mark.parametrize("func", [catalog.default_groups, catalog.default_properties, catalog.default_returned])
def test_unknown_object_type_is_a_key_error(func):
    with pytest.raises(KeyError):
        func("widgets")
