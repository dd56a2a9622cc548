"""A 2xx answer out of HubSpot's shape is a MalformedAnswer naming the first thing out of shape, never a KeyError."""

from __future__ import annotations

import pytest

from connector import MalformedAnswer
from connector.errors import shaped


@pytest.mark.parametrize("body, lists, objects, problem", [
    ([], ("results",), (), "the answer is a list, not an object"),
    (None, ("results",), (), "the answer is null, not an object"),
    ({"results": "x"}, ("results",), (), '"results" is a string, not a list'),
    ({"results": [{"id": "1"}, 7]}, ("results",), (), "results[1] is a number, not an object"),
    ({"results": [], "errors": [True]}, ("results", "errors"), (), "errors[0] is true or false, not an object"),
    ({"paging": ["next"]}, (), ("paging",), '"paging" is a list, not an object'),
])
def test_an_answer_out_of_shape_names_what_is_wrong(body, lists, objects, problem):
    with pytest.raises(MalformedAnswer) as caught:
        shaped(body, "objects.list", lists, objects)
    assert str(caught.value) == f"the CRM's answer is not in HubSpot's shape: {problem} (objects.list)"


def test_an_answer_in_shape_comes_back_as_it_is():
    body = {"results": [{"id": "1"}], "paging": {"next": {"after": "2"}}}
    assert shaped(body, "objects.list", objects=("paging",)) is body
    assert shaped({}, "objects.list") == {}  # no results at all is no results
