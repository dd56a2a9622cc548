"""Contacts with their lifecycle paths, and the companies they work for."""

from __future__ import annotations

from ..records import Record
from .draws import ANCHOR, DAY, HOUR, MINUTE, SPAN, iso
from .state import Contact, Draft
from .vocabulary import (
    CAMPAIGN_SOURCES,
    CO_FORMS,
    CO_HEADS,
    CO_TAILS,
    DRILL_DOWNS,
    ENTRY_SOURCE,
    FINAL_MIX,
    FIRST,
    FREE_MAIL,
    GAP_DAYS,
    INDUSTRIES,
    KEEP,
    LAST,
    LEAD_STATUS,
    OWNED,
    PLACES,
    PQL,
    RANK,
    SOURCE_MIX,
    STAGE_PROPS,
    STAGES,
    START_MIX,
    TITLES,
)


class People(Draft):
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

    def _contacts(self) -> None:
        rng, rnd, owners = self.rng, self.rng.random, self.owner_ids
        self.pick_final, self.pick_start = rng.weighted(FINAL_MIX), rng.weighted(START_MIX)
        pick_source, names, domains, taken = rng.weighted(SOURCE_MIX), [], [], set()
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
            archived = rnd() < 0.01
            record = Record(cid, props, stamps[0], modified, archived,
                            iso(min(events[-1][1] + 30 * DAY, ANCHOR - 1)) if archived else None,
                            {"lifecyclestage": history})
            if company >= 0:
                self.members[company].append(i)
                to = str(company + 1)
                self.emit("contacts", record, (("companies", to, "contact_to_company"),
                                               ("companies", to, "contact_to_company_unlabeled")))
            else:
                self.emit("contacts", record, ())
            self.contacts.append(Contact(record, stage, owner, created, assigned, dict(events),
                                          company, archived))

    def _companies(self) -> None:
        """A company takes the most advanced standard stage of its contacts, and changed when one reached it."""
        rng = self.rng
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
                     "createdate": (made := iso(created)), "hs_lastmodifieddate": (changed := iso(modified)),
                     "hs_object_id": str(k + 1)}
            self.emit("companies", Record(str(k + 1), props, made, changed), ())

