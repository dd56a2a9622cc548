"""Reading one page ahead keeps the pages, their order and their errors, and stops when the caller stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from typing import cast

import pytest

from connector import read_ahead


def test_pages_come_in_order_and_all_of_them():
    assert list(read_ahead(iter(range(250)))) == list(range(250))


def test_an_error_in_the_read_is_raised_at_the_page_where_it_happened():
    def pages():
        yield from (1, 2)
        raise ConnectionError("no answer")

    got = []
    with pytest.raises(ConnectionError, match="no answer"):
        for page in read_ahead(pages()):
            got.append(page)
    assert got == [1, 2]


def test_a_caller_that_stops_early_stops_the_reader_after_at_most_two_pages_more():
    read = []

    def pages():
        for n in range(1000):
            read.append(n)
            yield n

    reader = cast(Generator[int, None, None], read_ahead(pages()))  # read_ahead is a generator function
    assert next(reader) == 0
    reader.close()
    deadline = time.monotonic() + 5
    while any(t.name == "read-ahead" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the reader thread did not stop"
        time.sleep(0.01)
    assert len(read) <= 3  # the page handed over, the one waiting in the slot, the one in hand
