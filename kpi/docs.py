"""``docs/kpis.md``, generated from the registry and the catalogue: ``python -m kpi.docs > docs/kpis.md``.

A test fails when the file is not what this prints, so the catalogue in the repository is always the one the code
computes.
"""

from __future__ import annotations

from .catalogue import ABOUT, SPEND
from .registry import FAMILIES, specs

UNIT_WORDS = {"count": "count", "rate": "rate (shown as %)", "money": "money, in the portal's currency",
              "days": "days", "ratio": "ratio (×)"}


def markdown() -> str:
    catalogue = specs()
    lines = ["# The KPIs", "",
             "Generated from the KPI registry (`python -m kpi.docs > docs/kpis.md`; a test keeps it current). Every",
             "value is exact and rounded only for display (money to 2 places, rates and ratios to 4); a zero",
             "denominator gives no value and a reason, never 0. `smarketing kpi --explain ID` prints one entry.", "",
             "| KPI | id | family | unit | segments |", "|---|---|---|---|---|"]
    for kpi, spec in catalogue.items():
        about = ABOUT[kpi]
        lines.append(f"| {about.label} | `{kpi}` | {spec.family} | {about.unit} | "
                     f"{', '.join(spec.dimensions) or '-'} |")
    lines += ["", "KPIs built on campaign spend need the Campaigns API, which HubSpot offers from Marketing Hub",
              "Professional on; on other portals they have no value, with the reason. Every other KPI works on",
              "any tier."]
    for family in FAMILIES:
        lines += ["", f"## {family.capitalize()}"]
        for kpi, spec in catalogue.items():
            if spec.family != family:
                continue
            about = ABOUT[kpi]
            tier = " (Marketing Hub Professional or Enterprise)" if SPEND in about.needs else ""
            lines += ["", f"### {about.label} (`{kpi}`)", "", about.meaning, "",
                      f"- **Formula**: {about.formula}", f"- **Unit**: {UNIT_WORDS[about.unit]}",
                      f"- **Segments**: {', '.join(spec.dimensions) or 'none'}",
                      f"- **Computed from**: {'; '.join(about.needs)}{tier}"]
            lines += [f"- **Reading**: {reading}" for reading in about.readings]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
