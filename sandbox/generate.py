"""Generate large, realistic, reproducible sandbox portals (format: the sandbox portal brief).

The data models a B2B funnel so KPIs have something real to measure: contacts arrive over the 18 months
before a fixed ANCHOR instant, climb the lifecycle stages with gaps of days to weeks (some skip stages,
a few are moved back) and get an owner from MQL on; the hottest contacts carry deals, and engagements
follow owner assignment (lead response time). Only `Random(seed)` and ANCHOR drive the output, so the same
arguments give the same portal. Speed matters (100k contacts in well under 3 s): strings come from caches,
draws avoid `choice`/`randrange`, and the garbage collector is paused while the object graph is built.
"""

from __future__ import annotations

import uuid
from bisect import bisect
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from math import log
from random import Random
from typing import Any, NamedTuple, TypeVar

from .bulk import paused_gc

T = TypeVar("T")
MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
ANCHOR = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp()) * 1000  # the "now" of every portal
SPAN = 548 * DAY  # 18 months of history before ANCHOR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMES: list[str] = []  # "Thh:mm:ss." of every second of a day, built on first use (not at import: every CLI start)
_MILLIS = [f"{ms:03d}Z" for ms in range(1000)]
_DATES: dict[int, str] = {}


def iso(ms: int) -> str:
    """Epoch milliseconds as HubSpot formats datetimes, from cached pieces (called about a million times)."""
    if not _TIMES:
        _TIMES.extend(f"T{h:02d}:{m:02d}:{s:02d}." for h in range(24) for m in range(60) for s in range(60))
    day, rest = divmod(ms, DAY)
    date = _DATES.get(day) or _DATES.setdefault(day, (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d"))
    return date + _TIMES[rest // 1000] + _MILLIS[rest % 1000]


class _Rng(Random):
    """`Random(seed)` plus the draws made millions of times, several times cheaper than the stdlib ones."""

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def wait(self, mean: float) -> int:
        """A gamma(2) duration: rarely near zero, sometimes a few times the mean."""
        return int(-log((1.0 - self.random()) * (1.0 - self.random())) * mean / 2)

    def weighted(self, weights: Mapping[str, float]) -> Callable[[], str]:
        keys, cum = list(weights), list(accumulate(weights.values()))
        return lambda: keys[bisect(cum, self.random() * cum[-1])]


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


class _Contact(NamedTuple):
    """What companies, deals and engagements need to know about a generated contact."""
    record: dict[str, Any]
    stage: str
    owner: int  # index into owners, -1 if none
    created: int
    assigned: int | None
    when: dict[str, int]  # stage -> latest entry time
    company: int  # index into companies, -1 if none
    archived: bool


def generate_portal(contacts: int, deals: int, seed: int, *, engagements: int | None = None,
                    companies: int | None = None) -> dict[str, Any]:
    """A portal dict with `contacts` contacts and `deals` deals; same arguments, same portal."""
    engagements = contacts // 20 if engagements is None else engagements
    companies = max(1, contacts // 25) if companies is None else companies
    if min(contacts, deals, engagements, companies) < 0:
        raise ValueError("counts must not be negative")
    with paused_gc():
        return _Generator(_Rng(seed), contacts, companies).build(deals, engagements)


class _Generator:
    def __init__(self, rng: _Rng, n_contacts: int, n_companies: int) -> None:
        self.rng, self.n_contacts, self.n_companies = rng, n_contacts, n_companies
        self.contacts: list[_Contact] = []
        self.members: list[list[int]] = [[] for _ in range(n_companies)]  # contacts per company
        self.contact_deal: dict[int, str] = {}

    def build(self, n_deals: int, n_engagements: int) -> dict[str, Any]:
        owners, campaigns = self._owners(), self._campaigns()
        portal = {"contacts": self._contacts(), "companies": self._companies(), "deals": self._deals(n_deals)}
        return {**portal, **self._engagements(n_engagements), "owners": owners, "pipelines": _pipelines(),
                "campaigns": campaigns, "account": dict(ACCOUNT), "properties": {"contacts": [_lifecycle()]}}

    def _owners(self) -> dict[str, Any]:
        rng, stamp = self.rng, iso(ANCHOR - SPAN - 30 * DAY)
        owners: list[dict[str, Any]] = []
        teams = ({"id": "77", "name": "Sales EMEA"}, {"id": "78", "name": "Sales NA"}, {"id": "79", "name": "SDR"})
        for k in range(min(50, max(3, self.n_contacts // 2000))):
            first, last = rng.pick(FIRST), rng.pick(LAST)
            owners.append({"id": str(9001 + k), "email": f"{first}.{last}.{k + 1}@smarketing-demo.com".lower(),
                           "firstName": first, "lastName": last, "userId": 1001 + k,
                           "userIdIncludingInactive": 1001 + k, "type": "PERSON", "createdAt": stamp,
                           "updatedAt": stamp, "archived": False, "teams": [{**teams[k % 3], "primary": True}]})
        self.owner_ids: list[str] = [o["id"] for o in owners]
        return {"results": owners}

    def _campaigns(self) -> dict[str, Any]:
        rng, results, self.windows = self.rng, [], []
        for n, name in enumerate(rng.sample(CAMPAIGN_NAMES, rng.randint(4, 8))):
            start = (ANCHOR - SPAN) // DAY * DAY + rng.below(SPAN // DAY + 45) * DAY  # a few start later: planned
            end = start + rng.randint(45, 240) * DAY
            status = ("completed" if end < ANCHOR else "planned" if start > ANCHOR
                      else rng.pick(("active", "active", "in_progress", "paused")))
            guid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            self.windows.append((start, end + DAY, guid))
            created = iso(min(start - 14 * DAY, ANCHOR - 7 * DAY))
            updated = max(created, iso(min(end, ANCHOR - DAY)))
            spent_share = (0.0 if status == "planned" else rng.uniform(0.85, 1.05) if status == "completed"
                           else rng.random())
            budget = [(item, rng.randint(10, 150) * 100.0) for item in rng.sample(BUDGET_ITEMS, rng.randint(1, 3))]
            spend = [(item, float(int(amount * spent_share))) for item, amount in budget if spent_share]
            items = [[{"id": 100 * j + 10 * n + k + 1, "name": item, "amount": amount, "order": k,
                       "description": name, "createdAt": created, "updatedAt": updated}
                      for k, (item, amount) in enumerate(lines)] for j, lines in enumerate((budget, spend))]
            total, spent = sum(a for _, a in budget), sum(a for _, a in spend)
            props = {"hs_name": f"{name} {iso(start)[:4]}", "hs_start_date": iso(start)[:10],
                     "hs_end_date": iso(end)[:10], "hs_currency_code": "USD", "hs_campaign_status": status,
                     "hs_notes": f"{name}, run by the marketing team", "hs_audience": "Mid-market sales leaders",
                     "hs_goal": f"{rng.randint(2, 20) * 50} new contacts",
                     "hs_budget_items_sum_amount": str(int(total)), "hs_spend_items_sum_amount": str(int(spent))}
            results.append({"id": guid, "properties": props, "createdAt": created, "updatedAt": updated,
                            "businessUnits": [{"id": 0}],
                            "budgetTotals": {"budgetItems": items[0], "spendItems": items[1], "budgetTotal": total,
                                             "spendTotal": spent, "remainingBudget": total - spent,
                                             "currencyCode": "USD"}})
        return {"total": len(results), "results": results}

    def _path(self, created: int) -> list[tuple[str, int]]:
        """Lifecycle changes oldest first: a climb that may skip stages, cut at ANCHOR, rarely moved back.

        A move back is a clear ("") then the lower stage, the two calls HubSpot needs for a backward move."""
        rng, rnd = self.rng, self.rng.random
        final = self.pick_final()
        if final == "other":
            path = ["other"] if rnd() < 0.3 else [rng.pick(("subscriber", "lead")), "other"]
        else:
            top = RANK[final]
            low = min(RANK[self.pick_start()], top)
            path = [STAGES[low]] + [STAGES[k] for k in range(low + 1, top) if rnd() < KEEP[k]]
            path += [final] if top > low else []
        events, t = [(path[0], created)], created
        for stage in path[1:]:
            t += rng.wait(GAP_DAYS[stage] * DAY)
            if t >= ANCHOR:
                return events
            events.append((stage, t))
        top = RANK[path[-1]]
        if RANK["marketingqualifiedlead"] <= top <= RANK["customer"] and rnd() < 0.04:
            t += rng.wait(10 * DAY)
            if t + MINUTE < ANCHOR:
                back = rng.pick([s for s in ("lead", "marketingqualifiedlead", "salesqualifiedlead") if RANK[s] < top])
                events += [("", t), (back, t + 1000 + rng.below(MINUTE))]
        return events

    def _contacts(self) -> list[dict[str, Any]]:
        rng, rnd, owners = self.rng, self.rng.random, self.owner_ids
        self.pick_final, self.pick_start = rng.weighted(FINAL_MIX), rng.weighted(START_MIX)
        pick_source, records, names, domains, taken = rng.weighted(SOURCE_MIX), [], [], [], set()
        for k in range(self.n_companies):  # names and unique domains; contacts use the domain for their email
            head, tail = rng.pick(CO_HEADS), rng.pick(CO_TAILS)
            slug = f"{head}{tail}".lower()
            names.append(f"{head}{tail} {rng.pick(CO_FORMS)}")
            domains.append(f"{slug}{k + 1}.com" if slug in taken else f"{slug}.com")
            taken.add(slug)
        self.company_names, self.domains = names, domains
        for i in range(self.n_contacts):
            cid, created = str(i + 1), ANCHOR - SPAN + int(SPAN * rnd() ** 0.7)  # more contacts lately
            events = self._path(created)
            stamps = [iso(t) for _, t in events]
            stage, top, last = events[-1][0], RANK[events[-1][0]], len(events) - 1
            owned = next((t for s, t in events if RANK[s] in OWNED), None)
            owner = rng.below(len(owners)) if owned else -1
            assigned = min(owned + MINUTE + rng.below(2 * HOUR), ANCHOR - 1) if owned else None
            first, lastname, (city, country) = rng.pick(FIRST), rng.pick(LAST), rng.pick(PLACES)
            company = int(self.n_companies * rnd() ** 2) if self.n_companies and rnd() < 0.75 else -1
            source = pick_source()
            data_1, data_2 = rng.pick(DRILL_DOWNS[source])
            modified = max(stamps[-1], iso(assigned)) if assigned else stamps[-1]
            domain = domains[company] if company >= 0 else rng.pick(FREE_MAIL)
            props: dict[str, str | None] = {
                "email": f"{first}.{lastname}.{cid}@{domain}".lower(),
                "firstname": first, "lastname": lastname, "company": names[company] if company >= 0 else None,
                "jobtitle": rng.pick(TITLES), "phone": f"+1 555 {rng.below(10_000_000):07d}", "city": city,
                "country": country, "lifecyclestage": stage, "hs_analytics_source": source,
                "hs_analytics_source_data_1": data_1, "hs_analytics_source_data_2": data_2,
                "hs_latest_source": source if rnd() < 0.7 else pick_source(), "createdate": stamps[0],
                "lastmodifieddate": modified, "hs_object_id": cid}
            if stage in LEAD_STATUS:
                props["hs_lead_status"] = rng.pick(LEAD_STATUS[stage])
            if assigned:
                props["hubspot_owner_id"], props["hubspot_owner_assigneddate"] = owners[owner], iso(assigned)
            live = [guid for start, end, guid in self.windows if start <= created < end]
            if live and source in CAMPAIGN_SOURCES and rnd() < 0.6:
                props["hs_analytics_first_touch_converting_campaign"] = rng.pick(live)
                props["hs_analytics_last_touch_converting_campaign"] = rng.pick(live)
            uid, history = 1001 + max(owner, 0), list[dict[str, str | int]]()
            for k in range(last, -1, -1):  # newest first: the latest entry, exit and stay win
                s = events[k][0]
                if s:
                    became, entered, entered_old, exited, latest, cumulative = STAGE_PROPS[s]
                    if RANK[s] <= top:  # "became" dates above a moved-back stage are cleared; oldest entry wins
                        props[became] = stamps[k]
                    props.setdefault(entered_old, props.setdefault(entered, stamps[k]))
                    if k < last:  # a stay that ended: HubSpot writes the times in a stage then (milliseconds)
                        stay = events[k + 1][1] - events[k][1]
                        props.setdefault(exited, stamps[k + 1])
                        props.setdefault(latest, str(stay))
                        props[cumulative] = str(int(props.get(cumulative) or 0) + stay)
                kind = (ENTRY_SOURCE[s] if s and events[k - 1][0] else "CRM_UI") if k else (
                    data_1 if source == "OFFLINE" else "FORM")
                entry: dict[str, str | int] = {"value": s, "timestamp": stamps[k], "sourceType": kind}
                if kind == "CRM_UI":
                    entry["sourceId"], entry["updatedByUserId"] = f"userId:{uid}", uid
                history.append(entry)
            record = {"id": cid, "properties": props, "createdAt": stamps[0], "updatedAt": modified,
                      "archived": False, "propertiesWithHistory": {"lifecyclestage": history}}
            archived = rnd() < 0.01
            if archived:
                record["archived"], record["archivedAt"] = True, iso(min(events[-1][1] + 30 * DAY, ANCHOR - 1))
            if company >= 0:
                self.members[company].append(i)
                record["associations"] = {"companies": {"results": [
                    {"id": str(company + 1), "type": "contact_to_company"},
                    {"id": str(company + 1), "type": "contact_to_company_unlabeled"}]}}
            records.append(record)
            self.contacts.append(_Contact(record, stage, owner, created, assigned, dict(events),
                                          company, archived))
        return records

    def _companies(self) -> list[dict[str, Any]]:
        """A company takes the most advanced standard stage of its contacts, and changed when one reached it."""
        rng, records = self.rng, []
        for k, members in enumerate(self.members):
            people = [self.contacts[i] for i in members]
            created = min((c.created for c in people), default=ANCHOR - rng.below(SPAN)) - rng.below(DAY)
            best = max(people, key=lambda c: RANK[c.stage] if c.stage not in (PQL, "other") else 1, default=None)
            stage = best.stage if best and best.stage not in (PQL, "other") else "lead"
            modified = max(created, best.when.get(stage, 0)) if best else created
            employees, (city, country) = int(rng.lognormvariate(4, 1.3)) + 2, rng.pick(PLACES)
            props = {"name": self.company_names[k], "domain": self.domains[k], "industry": rng.pick(INDUSTRIES),
                     "city": city, "country": country, "numberofemployees": str(employees),
                     "annualrevenue": str(employees * rng.randint(80, 250) * 1000), "lifecyclestage": stage,
                     "hubspot_owner_id": self.owner_ids[best.owner] if best and best.owner >= 0 else None,
                     "createdate": iso(created), "hs_lastmodifieddate": iso(modified), "hs_object_id": str(k + 1)}
            records.append({"id": str(k + 1), "properties": props, "createdAt": props["createdate"],
                            "updatedAt": props["hs_lastmodifieddate"], "archived": False})
        return records

    def _deals(self, n: int) -> list[dict[str, Any]]:
        """Deals sit on the hottest contacts and their outcome follows the contact (customers have won)."""
        rng, rnd, records = self.rng, self.rng.random, []
        seen: dict[int, int] = {}  # contact index -> its earlier deals, as of its latest one
        alive = [i for i, c in enumerate(self.contacts) if not c.archived] or list(range(self.n_contacts))
        owned = [i for i in alive if self.contacts[i].owner >= 0] or alive
        hot = [i for i in owned if self.contacts[i].stage in ("opportunity", "customer", "evangelist")] or owned
        for k in range(n):
            did = str(k + 1)
            main = (rng.pick(hot) if rnd() < 0.8 else rng.pick(owned)) if alive else -1
            contact = self.contacts[main] if main >= 0 else None
            stage = contact.stage if contact else "lead"
            outcome = (("won" if rnd() < 0.8 else "lost") if stage in ("customer", "evangelist")
                       else "open" if rnd() < (0.75 if stage == "opportunity" else 0.4) else "lost")
            prior = seen[main] = seen.get(main, -1) + 1  # earlier deals of the same contact
            base = (contact.when.get("opportunity") or contact.assigned or contact.created) if contact else 0
            base = (base or ANCHOR - rng.below(SPAN)) + prior * rng.wait(120 * DAY)
            created = min(base + HOUR + rng.below(3 * DAY), ANCHOR - 2 * DAY - rng.below(30 * DAY))
            close = created + rng.wait((60 if outcome == "open" else 30) * DAY)
            won_at = contact.when.get("customer") if contact and outcome == "won" and not prior else None
            if won_at:  # the won deal is what made the contact a customer
                close, created = won_at, min(created, won_at - DAY - rng.below(45 * DAY))
            pipeline, _, stages = PIPELINES[1 if rnd() < 0.2 else 0]
            opens = [s[0] for s in stages[:-2]]
            if outcome == "open":
                j = min(int(len(opens) * rnd() ** 1.5), len(opens) - 1)
                path = [s for s in opens[:j] if rnd() < 0.7] + [opens[j]]
                end = created + int((min(close, ANCHOR - MINUTE) - created) * rnd())
            else:
                close = min(close, ANCHOR - MINUTE)
                j = len(opens) if outcome == "won" else 1 + rng.below(len(opens))
                path, end = [s for s in opens[:j] if rnd() < 0.7] + [stages[-2 if outcome == "won" else -1][0]], close
            steps = len(path) - 1
            times = ([iso(created + (end - created) * s // steps) for s in range(steps + 1)] if steps
                     else [iso(created if outcome == "open" else end)])
            current = next(s for s in stages if s[0] == path[-1])
            company = contact.company if contact else -1
            company = rng.below(self.n_companies) if company < 0 and self.n_companies else company
            amount = None if rnd() < 0.02 else max(500, int(rng.lognormvariate(8.8, 0.9)) // 50 * 50)
            currency = "EUR" if rnd() < 0.08 else "USD"
            owner = contact.owner if contact and contact.owner >= 0 else rng.below(len(self.owner_ids))
            props = {"dealname": f"{self.company_names[company] if company >= 0 else 'New'} - {rng.pick(PRODUCTS)}",
                     "amount": None if amount is None else f"{amount}.00", "deal_currency_code": currency,
                     "amount_in_home_currency": None if amount is None
                     else f"{amount * (EUR_TO_USD if currency == 'EUR' else 1):.2f}",
                     "pipeline": pipeline, "dealstage": current[0], "closedate": iso(close),
                     "dealtype": "existingbusiness" if prior or pipeline != "default" else "newbusiness",
                     "hs_is_closed": "false" if outcome == "open" else "true",
                     "hs_is_closed_won": "true" if outcome == "won" else "false",
                     "hs_deal_stage_probability": current[2], "hubspot_owner_id": self.owner_ids[owner],
                     "hs_analytics_source": contact.record["properties"]["hs_analytics_source"] if contact else None,
                     "createdate": iso(created), "hs_lastmodifieddate": times[-1], "hs_object_id": did}
            if outcome == "lost":
                props["closed_lost_reason"] = rng.pick(LOST_REASONS)
            for s, (stage_id, stamp) in enumerate(zip(path, times)):
                props[f"hs_v2_date_entered_{stage_id}"] = stamp
                if s < steps:
                    props[f"hs_v2_date_exited_{stage_id}"] = times[s + 1]
            people = [main] if contact else []
            mates = self.members[company] if company >= 0 and len(self.members[company]) > 1 else owned
            for _ in range(rng.pick((0, 0, 0, 1, 1, 2)) if people else 0):  # colleagues on the buying committee
                other = rng.pick(mates)
                if other not in people and not self.contacts[other].archived:
                    people.append(other)
            links = {"contacts": {"results": [{"id": str(p + 1), "type": "deal_to_contact"} for p in people]}
                     } if people else {}
            if company >= 0:
                links["companies"] = {"results": [{"id": str(company + 1), "type": "deal_to_company"},
                                                  {"id": str(company + 1), "type": "deal_to_company_unlabeled"}]}
            for p in people:
                self.contact_deal.setdefault(p, did)
            records.append({"id": did, "properties": props, "createdAt": props["createdate"],
                            "updatedAt": times[-1], "archived": False, "associations": links})
        return records

    def _engagements(self, n: int) -> dict[str, list[dict[str, Any]]]:
        """Activities by the contact's owner after assignment; calls, emails and meetings roll up on the contact."""
        rng, rnd = self.rng, self.rng.random
        out: dict[str, list[dict[str, Any]]] = {}
        alive = [i for i, c in enumerate(self.contacts) if not c.archived] or list(range(self.n_contacts))
        pool = [i for i in alive if self.contacts[i].owner >= 0] or alive
        counts = {"calls": n * 35 // 100, "emails": n * 35 // 100, "meetings": n // 10}
        counts["tasks"] = n - sum(counts.values())
        for kind, count in counts.items():
            (texts, options), single, out[kind] = ACTIVITIES[kind], kind[:-1], []
            for k in range(count):
                i = rng.pick(pool) if pool else -1
                contact = self.contacts[i] if pool else None
                base = (contact.assigned or contact.created) if contact else ANCHOR - rng.below(SPAN)
                gap = rng.wait(4 * HOUR if rnd() < 0.6 else 4 * DAY)  # lead response: quick or slow
                ts = base + gap if base + gap < ANCHOR else (base + ANCHOR) // 2
                stamp, eid = iso(ts), str(k + 1)
                who = "{firstname} {lastname}".format_map(contact.record["properties"]) if contact else "a prospect"
                props = {name: text.format(who=who) for name, text in texts.items()}
                props.update({name: rng.pick(values) for name, values in options.items()})
                if kind == "calls":
                    props["hs_call_status"], props["hs_call_disposition"] = rng.pick(CALL_OUTCOMES)
                    talked = props["hs_call_disposition"] == CONNECTED
                    props["hs_call_duration"] = str((30 + rng.below(1500)) * 1000 if talked else 0)
                elif kind == "meetings":
                    props["hs_meeting_start_time"] = stamp
                    props["hs_meeting_end_time"] = iso(ts + rng.pick((30, 45, 60)) * MINUTE)
                owner = contact.owner if contact and contact.owner >= 0 else rng.below(len(self.owner_ids))
                props.update(hs_timestamp=stamp, hubspot_owner_id=self.owner_ids[owner], hs_createdate=stamp,
                             hs_lastmodifieddate=stamp, hs_object_id=eid)
                record = {"id": eid, "properties": props, "createdAt": stamp, "updatedAt": stamp, "archived": False}
                if contact:
                    links = record["associations"] = {"contacts": {"results": [
                        {"id": str(i + 1), "type": f"{single}_to_contact"}]}}
                    if i in self.contact_deal and rnd() < 0.5:
                        links["deals"] = {"results": [{"id": self.contact_deal[i], "type": f"{single}_to_deal"}]}
                    if kind != "tasks":
                        _roll_up(contact.record, stamp)
                out[kind].append(record)
        return out


def _roll_up(record: dict[str, Any], stamp: str) -> None:
    """HubSpot's activity rollups on a contact; they also make it modified at the activity time."""
    props = record["properties"]
    if stamp < (props.get("hs_sa_first_engagement_date") or "~"):
        props["hs_sa_first_engagement_date"] = stamp
    props["notes_last_contacted"] = max(stamp, props.get("notes_last_contacted") or "")
    props["num_contacted_notes"] = str(int(props.get("num_contacted_notes") or 0) + 1)
    record["updatedAt"] = props["lastmodifieddate"] = max(stamp, record["updatedAt"])


def _pipelines() -> dict[str, Any]:
    stamp = iso(ANCHOR - SPAN - 60 * DAY)
    return {"results": [
        {"id": pid, "label": label, "displayOrder": n, "archived": False, "createdAt": stamp, "updatedAt": stamp,
         "stages": [{"id": sid, "label": name, "displayOrder": k, "archived": False, "createdAt": stamp,
                     "updatedAt": stamp, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                     "metadata": {"isClosed": "true" if k >= len(stages) - 2 else "false", "probability": p}}
                    for k, (sid, name, p) in enumerate(stages)]}
        for n, (pid, label, stages) in enumerate(PIPELINES)]}


def _lifecycle() -> dict[str, Any]:
    """HubSpot's lifecyclestage definition plus the custom PQL stage, as the properties API returns it."""
    stamp = iso(ANCHOR - SPAN - 60 * DAY)
    return {"name": "lifecyclestage", "label": "Lifecycle Stage", "type": "enumeration", "fieldType": "radio",
            "description": "The qualification of contacts to sales readiness.", "groupName": "contactinformation",
            "options": [{"label": label, "value": value, "displayOrder": k, "hidden": False, "description": ""}
                        for k, (value, label) in enumerate(zip(STAGES, LABELS))],
            "displayOrder": 8, "calculated": False, "externalOptions": False, "hasUniqueValue": False,
            "hidden": False, "hubspotDefined": True, "formField": True, "createdAt": stamp, "updatedAt": stamp,
            "archived": False, "modificationMetadata": {"archivable": False, "readOnlyDefinition": False,
                                                        "readOnlyValue": False}}
