"""Every KPI explains itself: each identifier of the registry has a label, a unit, a meaning, a formula and the data
it needs, and nothing in the catalogue is left over from a KPI that no longer exists."""

from __future__ import annotations

import pytest

from kpi import specs
from kpi.catalogue import ABOUT, UNITS


def test_the_catalogue_covers_exactly_the_registry():
    assert sorted(ABOUT) == sorted(specs())


@pytest.mark.parametrize("kpi", sorted(ABOUT))
def test_each_entry_is_complete(kpi):
    about = ABOUT[kpi]
    assert about.unit in UNITS
    assert about.label and about.meaning.endswith(".") and about.formula and about.needs
    assert "[" in about.formula, "the formula names its section of the definitions"


def test_docs_kpis_md_is_what_the_registry_says():
    from kpi.docs import markdown
    from tests.conftest import REPO

    assert (REPO / "docs" / "kpis.md").read_text(encoding="utf-8") == markdown(), \
        "docs/kpis.md is out of date: python -m kpi.docs > docs/kpis.md"


def test_every_result_has_the_unit_its_entry_says(serve, tmp_path):
    """The unit a KPI function gives its results and the catalogue's are one fact: they must agree."""
    from datetime import UTC, datetime

    from kpi import KpiConfig, Period, compute
    from sandbox import build_portal
    from sync.storage import Mirror
    from tests.conftest import FIXTURES
    from tests.sync.helpers import run_sync

    with Mirror(tmp_path / "golden.db") as mirror:
        run_sync(serve(build_portal(str(FIXTURES / "golden"))), mirror)
        config = KpiConfig(time_zone="America/New_York", currency="USD", quota=None)
        results = [r for by in (None, "source", "campaign", "owner", "pipeline")
                   for r in compute(mirror.db, config, Period.parse("2026-03", config.time_zone), by=by,
                                    now=datetime(2026, 5, 1, tzinfo=UTC))]
    assert {r.kpi for r in results} == set(ABOUT)
    assert sorted({(r.kpi, r.unit) for r in results if r.unit != ABOUT[r.kpi].unit}) == []
