"""Deals on the hottest contacts, their outcome following the contact's stage."""

from __future__ import annotations

from ..records import Record
from .draws import ANCHOR, DAY, HOUR, MINUTE, SPAN, iso
from .state import Draft
from .vocabulary import (
    EUR_TO_USD,
    LOST_REASONS,
    PIPELINES,
    PRODUCTS,
)


class Deals(Draft):
    def _deals(self, n: int) -> None:
        """Deals sit on the hottest contacts and their outcome follows the contact (customers have won)."""
        rng, rnd = self.rng, self.rng.random
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
                     "hs_analytics_source": contact.record.properties["hs_analytics_source"] if contact else None,
                     "createdate": (made := iso(created)), "hs_lastmodifieddate": times[-1], "hs_object_id": did}
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
            links = [("contacts", str(p + 1), "deal_to_contact") for p in people]
            if company >= 0:
                links += [("companies", str(company + 1), "deal_to_company"),
                          ("companies", str(company + 1), "deal_to_company_unlabeled")]
            for p in people:
                self.contact_deal.setdefault(p, did)
            self.emit("deals", Record(did, props, made, times[-1]), links)

