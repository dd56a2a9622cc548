"""What generated records are made of: stages, sources, names, pipelines, activities and the account."""

from __future__ import annotations

PQL = "1047290193"  # custom lifecycle stage "Product Qualified Lead", between lead and MQL
STAGES = ("subscriber", "lead", PQL, "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
          "evangelist", "other")
LABELS = ("Subscriber", "Lead", "Product Qualified Lead", "Marketing Qualified Lead", "Sales Qualified Lead",
          "Opportunity", "Customer", "Evangelist", "Other")
RANK = {"": -1, **{s: i for i, s in enumerate(STAGES)}}  # "" is a cleared stage (first half of a move back)
STAGE_PROPS = {s: tuple(name.format(s) for name in ("hs_lifecyclestage_{}_date", "hs_v2_date_entered_{}",
                "hs_date_entered_{}", "hs_v2_date_exited_{}", "hs_v2_latest_time_in_{}", "hs_v2_cumulative_time_in_{}"))
               for s in STAGES}
FINAL_MIX = dict(zip(STAGES, (20, 30, 4, 14, 10, 9, 8, 1.5, 3)))  # intended stage; recent contacts fall short
START_MIX = {"subscriber": 40, "lead": 45, "marketingqualifiedlead": 10, "customer": 5}  # customer: imports
KEEP = (1, 0.85, 0.2, 0.85, 0.8, 0.85, 1, 1, 1)  # chance to pass through each stage below the intended one
GAP_DAYS = dict(zip(STAGES, (0, 5, 6, 9, 7, 12, 30, 120, 20)))  # mean wait before entering each stage
ENTRY_SOURCE = dict(zip(STAGES, ("FORM", "AUTOMATION_PLATFORM", "AUTOMATION_PLATFORM", "AUTOMATION_PLATFORM",
                                 "CRM_UI", "SALES", "CALCULATED", "CRM_UI", "CRM_UI")))
OWNED = range(RANK["marketingqualifiedlead"], RANK["other"])  # stages that get the contact an owner
LEAD_STATUS = {"lead": ("NEW", "NEW", "OPEN", "ATTEMPTED_TO_CONTACT", "UNQUALIFIED", "BAD_TIMING"),
               PQL: ("NEW", "OPEN", "IN_PROGRESS"),
               "marketingqualifiedlead": ("OPEN", "IN_PROGRESS", "ATTEMPTED_TO_CONTACT", "CONNECTED")}
SOURCE_MIX = {"ORGANIC_SEARCH": 27, "PAID_SEARCH": 12, "EMAIL_MARKETING": 8, "SOCIAL_MEDIA": 9, "REFERRALS": 10,
              "OTHER_CAMPAIGNS": 4, "DIRECT_TRAFFIC": 16, "OFFLINE": 10, "PAID_SOCIAL": 4}
DRILL_DOWNS = {  # (hs_analytics_source_data_1, _2); OFFLINE's data_1 doubles as the first history sourceType
    "ORGANIC_SEARCH": (("google", "crm sync"), ("google", None), ("bing", "marketing kpi dashboard")),
    "PAID_SEARCH": (("google", "crm integration software"), ("bing", "sales funnel tool")),
    "EMAIL_MARKETING": (("Monthly newsletter", "newsletter"), ("Product update", "product-update")),
    "SOCIAL_MEDIA": (("LinkedIn", None), ("Twitter", None), ("Facebook", None)),
    "REFERRALS": (("g2.com", "https://www.g2.com/categories/crm"), ("capterra.com", "https://www.capterra.com/")),
    "OTHER_CAMPAIGNS": (("partner-webinar", "utm_medium=partner"), ("podcast", "utm_medium=audio")),
    "DIRECT_TRAFFIC": (("https://www.smarketing-demo.com/", None), ("https://www.smarketing-demo.com/pricing", None)),
    "OFFLINE": (("IMPORT", "trade-show-leads.csv"), ("CRM_UI", None), ("INTEGRATION", "Salesforce")),
    "PAID_SOCIAL": (("LinkedIn", "lead-gen-form"), ("Facebook", "retargeting")),
}
CAMPAIGN_SOURCES = {"PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "OTHER_CAMPAIGNS", "PAID_SOCIAL"}
FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
         "Joseph Jessica Thomas Sarah Daniel Karen Matthew Lisa Anthony Emily Andrew Olivia Lukas Emma Noah Sophie "
         "Liam Mia Lena Elias Hannah Felix Chloe Hugo Ines Mateo Sofia Arjun Priya Wei Mei Kenji Yuki Omar").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Lopez Wilson Anderson Taylor "
        "Moore Jackson Martin Lee Thompson White Harris Clark Lewis Walker Young Allen King Wright Scott Green "
        "Baker Adams Nelson Hill Campbell Muller Schmidt Fischer Weber Dubois Laurent Moreau Rossi Bianchi Novak "
        "Kowalski Jansen Visser Silva Santos Patel Shah Kim Park Chen Wang Tanaka Sato Haddad").split()
TITLES = ("Marketing Manager", "Head of Growth", "VP Sales", "CTO", "Software Engineer", "Operations Manager",
          "CEO", "Founder", "Account Executive", "Product Manager", "Data Analyst", "CFO", "IT Director")
PLACES = (("New York", "United States"), ("San Francisco", "United States"), ("Austin", "United States"),
          ("Chicago", "United States"), ("Toronto", "Canada"), ("London", "United Kingdom"), ("Berlin", "Germany"),
          ("Munich", "Germany"), ("Paris", "France"), ("Amsterdam", "Netherlands"), ("Madrid", "Spain"),
          ("Stockholm", "Sweden"), ("Sydney", "Australia"), ("Singapore", "Singapore"))
INDUSTRIES = ("COMPUTER_SOFTWARE", "INFORMATION_TECHNOLOGY_AND_SERVICES", "MARKETING_AND_ADVERTISING", "RETAIL",
              "FINANCIAL_SERVICES", "HOSPITAL_HEALTH_CARE", "LOGISTICS_AND_SUPPLY_CHAIN", "MANAGEMENT_CONSULTING")
CO_HEADS = "North Blue Bright Silver Iron Green Swift Clear Prime Summit Cedar Atlas Nova Apex Lumen Harbor".split()
CO_TAILS = "wind stone field point bridge path wave forge peak line leaf gate works labs".split()
CO_FORMS = ("Inc", "LLC", "GmbH", "Ltd", "Group", "Technologies", "Systems")
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me")
PRODUCTS = ("Starter plan", "Growth plan", "Enterprise plan", "Add-on seats", "Onboarding package")
LOST_REASONS = ("Price too high", "Chose a competitor", "No budget", "Bad timing", "No decision")
EUR_TO_USD = 1.08
PIPELINES = (  # (id, label, [(stage id, label, probability)]); the last two stages are won, lost
    ("default", "Sales Pipeline", (
        ("appointmentscheduled", "Appointment Scheduled", "0.2"), ("qualifiedtobuy", "Qualified To Buy", "0.4"),
        ("presentationscheduled", "Presentation Scheduled", "0.6"),
        ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"), ("contractsent", "Contract Sent", "0.9"),
        ("closedwon", "Closed Won", "1.0"), ("closedlost", "Closed Lost", "0.0"))),
    ("12345678", "Renewals & Upsell", (
        ("12345679", "Renewal Due", "0.3"), ("12345680", "Proposal Sent", "0.6"),
        ("12345681", "Negotiation", "0.8"), ("12345682", "Closed Won", "1.0"), ("12345683", "Closed Lost", "0.0"))),
)
CAMPAIGN_NAMES = ("Spring Webinar Series", "Product Launch", "Partner Co-marketing", "Black Friday Promo",
                  "EMEA Expansion", "Customer Stories", "Free Trial Push", "Annual Conference", "Retargeting Always-on")
BUDGET_ITEMS = ("Paid search", "Paid social", "Content production", "Events", "Sponsorships")
CONNECTED = "f240bbac-87c9-4f6e-bf70-924b57d47db7"  # HubSpot's default call outcome GUIDs
CALL_OUTCOMES = (("COMPLETED", CONNECTED),) * 3 + (
    ("COMPLETED", "b2cf5968-551e-4856-9783-52b3da59a7d0"), ("NO_ANSWER", "73a0d17f-1163-4015-bdd5-ec830791da20"),
    ("BUSY", "9d9162e7-6cf3-4944-bf63-4dff82258764"))
# kind: (texts, with {who} = the contact's name; {property: options to draw from})
ACTIVITIES: dict[str, tuple[dict[str, str], dict[str, tuple[str, ...]]]] = {
    "calls": ({"hs_call_title": "Call with {who}", "hs_call_body": "Discussed needs and next steps."},
              {"hs_call_direction": ("OUTBOUND",) * 5 + ("INBOUND",)}),
    "emails": ({"hs_email_subject": "Following up, {who}", "hs_email_text": "Let us find a time to talk."},
               {"hs_email_direction": ("EMAIL",) * 3 + ("INCOMING_EMAIL",),
                "hs_email_status": ("SENT",) * 20 + ("BOUNCED",)}),
    "meetings": ({"hs_meeting_title": "Discovery call with {who}", "hs_meeting_body": "Goals, timeline, budget."},
                 {"hs_meeting_outcome": ("COMPLETED",) * 4 + ("NO_SHOW", "RESCHEDULED", "CANCELED")}),
    "tasks": ({"hs_task_subject": "Follow up with {who}", "hs_task_body": "Send the proposal and book a demo."},
              {"hs_task_status": ("COMPLETED",) * 3 + ("NOT_STARTED", "IN_PROGRESS", "WAITING", "DEFERRED"),
               "hs_task_type": ("CALL", "EMAIL", "TODO"), "hs_task_priority": ("NONE", "LOW", "MEDIUM", "HIGH")}),
}
ACCOUNT = {"portalId": 24680135, "timeZone": "America/New_York", "companyCurrency": "USD",
           "additionalCurrencies": ["EUR"], "utcOffset": "-05:00", "utcOffsetMilliseconds": -18000000,
           "uiDomain": "app.hubspot.com", "dataHostingLocation": "na1", "accountType": "STANDARD"}

