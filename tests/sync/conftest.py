"""Fixtures of the sync tests: the built-in portal served on loopback, and a fresh mirror."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox import build_portal
from sync.storage import Mirror


@pytest.fixture
def api(serve):
    """The built-in portal; a module that needs another portal defines its own ``api``."""
    return serve(build_portal())


@pytest.fixture
def mirror(tmp_path) -> Iterator[Mirror]:
    with Mirror(tmp_path / "mirror.db") as m:
        yield m
