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
