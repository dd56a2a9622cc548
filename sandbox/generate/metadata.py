"""Owners, campaigns, pipelines and the lifecycle stage definition of a generated portal."""

from __future__ import annotations

import uuid
from typing import Any

from .draws import ANCHOR, DAY, SPAN, iso
from .state import Draft
from .vocabulary import (
    BUDGET_ITEMS,
    CAMPAIGN_NAMES,
    FIRST,
    LABELS,
    LAST,
    PIPELINES,
    STAGES,
)


class Metadata(Draft):
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
        self.owner_ids = [o["id"] for o in owners]
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



def pipelines() -> dict[str, Any]:
    stamp = iso(ANCHOR - SPAN - 60 * DAY)
    return {"results": [
        {"id": pid, "label": label, "displayOrder": n, "archived": False, "createdAt": stamp, "updatedAt": stamp,
         "stages": [{"id": sid, "label": name, "displayOrder": k, "archived": False, "createdAt": stamp,
                     "updatedAt": stamp, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                     "metadata": {"isClosed": "true" if k >= len(stages) - 2 else "false", "probability": p}}
                    for k, (sid, name, p) in enumerate(stages)]}
        for n, (pid, label, stages) in enumerate(PIPELINES)]}


def lifecycle_definition() -> dict[str, Any]:
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
