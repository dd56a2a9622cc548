"""HubSpot's standard object types the worker does not sync, which every portal has all the same.

Other integrations read them (an extractor lists tickets, asks ``associations=tickets``, reads
``/crm/v3/properties/line_items``), and HubSpot answers those calls on every portal, with empty lists where
there are no records. The sandbox serves them the same way; a portal file can give records.

Facts, not HubSpot's text: names and object type ids come from HubSpot's object type table (the OpenAPI spec
collection gives tickets' 0-5; its object definition pages and HubSpot's own SDKs carry the rest); no public
source found gives deal splits' id, so that type is served by name only. The properties a read returns when it
names none, and the ones a text ``query`` searches, follow HubSpot's search guide. Each type carries a few of
its default properties, not HubSpot's whole catalog; enumeration options are given only where HubSpot
documents them, the others accept any value.
"""

from __future__ import annotations

from dataclasses import dataclass

# Catalog rows, as in catalog.py: (name, label, kind, groupName, flags="", options=()).
Row = tuple


@dataclass(frozen=True)
class StandardType:
    name: str  # the path segment HubSpot uses: /crm/v3/objects/<name>
    type_id: str | None  # HubSpot's objectTypeId; None where no public source gives it
    singular: str  # as association names spell it (ticket_to_contact)
    group: tuple[str, str]  # the property group its properties are in
    rows: tuple[Row, ...]
    returned: tuple[str, ...] = ()  # read without properties=: these besides hs_object_id and the dates
    searchable: tuple[str, ...] = ()  # what a text query matches
    created: str = "hs_createdate"  # its created-date property; the last-modified one is hs_lastmodifieddate


_TICKET_PRIORITY = (("LOW", "Low"), ("MEDIUM", "Medium"), ("HIGH", "High"))
_TICKET_CATEGORY = (("PRODUCT_ISSUE", "Product issue"), ("BILLING_ISSUE", "Billing issue"),
                    ("FEATURE_REQUEST", "Feature request"), ("GENERAL_INQUIRY", "General inquiry"))
_TICKET_SOURCE = (("CHAT", "Chat"), ("EMAIL", "Email"), ("FORM", "Form"), ("PHONE", "Phone"))
_QUOTE_STATUS = (("DRAFT", "Draft"), ("APPROVAL_NOT_NEEDED", "Approval not needed"),
                 ("PENDING_APPROVAL", "Pending approval"), ("APPROVED", "Approved"), ("REJECTED", "Rejected"))
_CHANNEL = (("SMS", "SMS"), ("WHATS_APP", "WhatsApp"), ("LINKEDIN_MESSAGE", "LinkedIn"))


def _stamped(group: str, created: str, *rows: Row) -> tuple[Row, ...]:
    """A type's own rows, then the created date, the last-modified date and the record id every record has."""
    return (*rows,
            (created, "Create date", "datetime", group, "r" if created == "hs_createdate" else ""),
            ("hs_lastmodifieddate", "Last modified date", "datetime", group, "r"),
            ("hs_object_id", "Record ID", "number", group, "r"))


def _activity(group: str, *rows: Row) -> tuple[Row, ...]:
    """Activities (communications, postal mail) share the engagements' activity date and owner."""
    return _stamped(group, "hs_createdate", ("hs_timestamp", "Activity date", "datetime", group), *rows,
                    ("hubspot_owner_id", "Activity assigned to", "owner", group))


STANDARD_TYPES: tuple[StandardType, ...] = (
    StandardType(
        "tickets", "0-5", "ticket", ("ticketinformation", "Ticket information"), _stamped(
            "ticketinformation", "createdate",
            ("subject", "Ticket name", "text", "ticketinformation", "f"),
            ("content", "Ticket description", "textarea", "ticketinformation", "f"),
            ("hs_pipeline", "Pipeline", "select", "ticketinformation"),
            ("hs_pipeline_stage", "Ticket status", "select", "ticketinformation"),
            ("hs_ticket_priority", "Priority", "select", "ticketinformation", "", _TICKET_PRIORITY),
            ("hs_ticket_category", "Category", "select", "ticketinformation", "", _TICKET_CATEGORY),
            ("source_type", "Source", "select", "ticketinformation", "", _TICKET_SOURCE),
            ("hubspot_owner_id", "Ticket owner", "owner", "ticketinformation"),
            ("closed_date", "Close date", "datetime", "ticketinformation"),
            ("hs_ticket_id", "Ticket ID", "number", "ticketinformation", "r")),
        returned=("content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority",
                  "subject"),
        searchable=("subject", "content", "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_id"),
        created="createdate"),
    StandardType(
        "products", "0-7", "product", ("productinformation", "Product information"), _stamped(
            "productinformation", "createdate",
            ("name", "Name", "text", "productinformation"),
            ("description", "Description", "textarea", "productinformation"),
            ("price", "Unit price", "number", "productinformation"),
            ("hs_sku", "SKU", "text", "productinformation"),
            ("hs_cost_of_goods_sold", "Unit cost", "number", "productinformation"),
            ("hs_recurring_billing_period", "Term", "text", "productinformation")),
        returned=("name", "description", "price"), searchable=("name", "description", "price", "hs_sku"),
        created="createdate"),
    StandardType(
        "line_items", "0-8", "line_item", ("lineiteminformation", "Line item information"), _stamped(
            "lineiteminformation", "createdate",
            ("name", "Name", "text", "lineiteminformation"),
            ("description", "Description", "textarea", "lineiteminformation"),
            ("quantity", "Quantity", "number", "lineiteminformation"),
            ("price", "Unit price", "number", "lineiteminformation"),
            ("amount", "Net price", "number", "lineiteminformation", "rc"),
            ("discount", "Unit discount", "number", "lineiteminformation"),
            ("tax", "Tax", "number", "lineiteminformation"),
            ("hs_product_id", "Product ID", "number", "lineiteminformation"),
            ("hs_sku", "SKU", "text", "lineiteminformation"),
            ("hs_recurring_billing_period", "Term", "text", "lineiteminformation")),
        returned=("quantity", "amount", "price"), searchable=("name", "description", "hs_sku"),
        created="createdate"),
    StandardType(
        "quotes", "0-14", "quote", ("quoteinformation", "Quote information"), _stamped(
            "quoteinformation", "hs_createdate",
            ("hs_title", "Quote name", "text", "quoteinformation"),
            ("hs_expiration_date", "Quote expiration date", "datetime", "quoteinformation"),
            ("hs_status", "Quote approval status", "select", "quoteinformation", "", _QUOTE_STATUS),
            ("hs_public_url_key", "Quote public URL key", "text", "quoteinformation", "r"),
            ("hs_quote_number", "Quote number", "text", "quoteinformation", "r"),
            ("hs_currency", "Currency", "text", "quoteinformation"),
            ("hs_language", "Language", "text", "quoteinformation"),
            ("hs_sender_firstname", "Sender first name", "text", "quoteinformation"),
            ("hs_sender_lastname", "Sender last name", "text", "quoteinformation"),
            ("hs_sender_email", "Sender email", "text", "quoteinformation"),
            ("hs_sender_company_name", "Sender company name", "text", "quoteinformation"),
            ("hubspot_owner_id", "Quote owner", "owner", "quoteinformation")),
        returned=("hs_expiration_date", "hs_public_url_key", "hs_status", "hs_title"),
        searchable=("hs_sender_firstname", "hs_sender_lastname", "hs_title", "hs_sender_company_name",
                    "hs_sender_email", "hs_quote_number", "hs_public_url_key")),
    StandardType(
        "leads", "0-136", "lead", ("leadinformation", "Lead information"), _stamped(
            "leadinformation", "createdate",
            ("hs_lead_name", "Lead name", "text", "leadinformation"),
            ("hs_pipeline", "Pipeline", "select", "leadinformation"),
            ("hs_pipeline_stage", "Lead stage", "select", "leadinformation"),
            ("hs_lead_type", "Lead type", "select", "leadinformation"),
            ("hs_lead_label", "Lead label", "select", "leadinformation"),
            ("hubspot_owner_id", "Lead owner", "owner", "leadinformation")),
        searchable=("hs_lead_name",), created="createdate"),
    StandardType(
        "goal_targets", "0-74", "goal_target", ("goalinformation", "Goal information"), _stamped(
            "goalinformation", "hs_createdate",
            ("hs_goal_name", "Goal name", "text", "goalinformation"),
            ("hs_target_amount", "Target", "number", "goalinformation"),
            ("hs_start_datetime", "Start date", "datetime", "goalinformation"),
            ("hs_end_datetime", "End date", "datetime", "goalinformation")),
        searchable=("hs_goal_name",)),
    StandardType(
        "deal_split", None, "deal_split", ("dealsplitinformation", "Deal split information"), _stamped(
            "dealsplitinformation", "hs_createdate",
            ("hs_split_percentage", "Split percentage", "number", "dealsplitinformation"),
            ("hubspot_owner_id", "Split owner", "owner", "dealsplitinformation"))),
    StandardType(
        "communications", "0-18", "communication", ("communicationinformation", "Communication information"),
        _activity("communicationinformation",
                  ("hs_communication_channel_type", "Channel type", "select", "communicationinformation", "",
                   _CHANNEL),
                  ("hs_communication_logged_from", "Logged from", "select", "communicationinformation", "",
                   (("CRM", "CRM"),)),
                  ("hs_communication_body", "Body", "html", "communicationinformation")),
        searchable=("hs_communication_body",)),
    StandardType(
        "postal_mail", "0-116", "postal_mail", ("postalmailinformation", "Postal mail information"),
        _activity("postalmailinformation", ("hs_postal_mail_body", "Body", "html", "postalmailinformation")),
        searchable=("hs_postal_mail_body",)),
    # HubSpot's feedback submissions API is read-only: the values come from surveys.
    StandardType(
        "feedback_submissions", "0-19", "feedback_submission", ("feedbacksubmissioninformation",
                                                                "Feedback submission information"), _stamped(
            "feedbacksubmissioninformation", "hs_createdate",
            ("hs_submission_name", "Submission name", "text", "feedbacksubmissioninformation", "r"),
            ("hs_content", "Response", "textarea", "feedbacksubmissioninformation", "r"),
            ("hs_survey_type", "Survey type", "select", "feedbacksubmissioninformation", "r"),
            ("hs_value", "Rating", "number", "feedbacksubmissioninformation", "r"),
            ("hs_sentiment", "Sentiment", "select", "feedbacksubmissioninformation", "r")),
        searchable=("hs_submission_name", "hs_content")),
)

STANDARD_BY_NAME: dict[str, StandardType] = {t.name: t for t in STANDARD_TYPES}
