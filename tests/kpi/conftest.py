from __future__ import annotations

import pytest

from tests.kpi.builder import MirrorBuilder


@pytest.fixture
def build(tmp_path):
    builder = MirrorBuilder(tmp_path / "kpi.db")
    yield builder
    builder.mirror.close()
