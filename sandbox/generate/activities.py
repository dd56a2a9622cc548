"""Calls, emails, meetings and tasks by the contact's owner, and their rollups on the contact."""

from __future__ import annotations

from ..records import Record
from .draws import ANCHOR, DAY, HOUR, MINUTE, SPAN, iso
from .state import Draft
from .vocabulary import (
    ACTIVITIES,
    CALL_OUTCOMES,
    CONNECTED,
)


class Activities(Draft):
    def _engagements(self, n: int) -> None:
        """Activities by the contact's owner after assignment; calls, emails and meetings roll up on the contact."""
        rng, rnd = self.rng, self.rng.random
        alive = [i for i, c in enumerate(self.contacts) if not c.archived] or list(range(self.n_contacts))
        pool = [i for i in alive if self.contacts[i].owner >= 0] or alive
        counts = {"calls": n * 35 // 100, "emails": n * 35 // 100, "meetings": n // 10}
        counts["tasks"] = n - sum(counts.values())
        for kind, count in counts.items():
            (texts, options), single = ACTIVITIES[kind], kind[:-1]
            for k in range(count):
                i = rng.pick(pool) if pool else -1
                contact = self.contacts[i] if pool else None
                base = (contact.assigned or contact.created) if contact else ANCHOR - rng.below(SPAN)
                gap = rng.wait(4 * HOUR if rnd() < 0.6 else 4 * DAY)  # lead response: quick or slow
                ts = base + gap if base + gap < ANCHOR else (base + ANCHOR) // 2
                stamp, eid = iso(ts), str(k + 1)
                who = "{firstname} {lastname}".format_map(contact.record.properties) if contact else "a prospect"
                props: dict[str, str | None] = {name: text.format(who=who) for name, text in texts.items()}
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
                links: list[tuple[str, str, str]] = []
                if contact:
                    links.append(("contacts", str(i + 1), f"{single}_to_contact"))
                    if i in self.contact_deal and rnd() < 0.5:
                        links.append(("deals", self.contact_deal[i], f"{single}_to_deal"))
                    if kind != "tasks":
                        _roll_up(contact.record, stamp)
                self.emit(kind, Record(eid, props, stamp, stamp), links)



def _roll_up(record: Record, stamp: str) -> None:
    """HubSpot's activity rollups on a contact; they also make it modified at the activity time."""
    props = record.properties
    if stamp < (props.get("hs_sa_first_engagement_date") or "~"):
        props["hs_sa_first_engagement_date"] = stamp
    props["notes_last_contacted"] = max(stamp, props.get("notes_last_contacted") or "")
    props["num_contacted_notes"] = str(int(props.get("num_contacted_notes") or 0) + 1)
    record.updated_at = props["lastmodifieddate"] = max(stamp, record.updated_at)
