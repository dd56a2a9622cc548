"""Reference records (lifecycle options, owners, pipelines and stages, campaigns) typed one by one: BadRecord names
what is wrong, so the record goes to quarantine and the others are stored."""

from __future__ import annotations

import pytest

from sync.ingest.mapping import BadRecord, campaign_rows, lifecycle_row, owner_row, pipeline_row, stage_row

STAGE = {"id": "s1", "label": "Won", "displayOrder": 3, "metadata": {"isClosed": "true", "probability": "1.0"}}


def test_a_stage_is_typed_on_its_own_and_a_won_one_is_won():
    assert stage_row("p1", STAGE) == {"pipeline_id": "p1", "id": "s1", "label": "Won", "display_order": 3,
                                      "probability": 1.0, "is_closed": 1, "is_won": 1, "archived": 0}


@pytest.mark.parametrize("stage, reason", [
    ({**STAGE, "metadata": {"probability": "n/a"}}, "probability is not a number: 'n/a'"),
    ({**STAGE, "metadata": "closed"}, "metadata is not an object"),
    ({**STAGE, "id": None}, "the stage has no id"),
    ({**STAGE, "displayOrder": "third"}, "displayOrder is not a whole number: 'third'"),
    ("s1", "a pipeline stage must be an object, got str"),
])
def test_a_stage_that_cannot_be_typed_says_why(stage, reason):
    with pytest.raises(BadRecord) as caught:
        stage_row("p1", stage)
    assert str(caught.value) == reason


def test_a_pipeline_row_leaves_its_stages_to_stage_row():
    row = pipeline_row({"id": "p1", "label": "Sales", "displayOrder": 0, "archived": False, "stages": [STAGE]},
                       "deals")
    assert row == {"id": "p1", "object_type": "deals", "label": "Sales", "display_order": 0, "archived": 0}
    with pytest.raises(BadRecord, match="stages is not a list"):
        pipeline_row({"id": "p1", "stages": "all"}, "deals")


def test_lifecycle_options_and_owners_read_booleans_as_booleans():
    """``int(bool("false"))`` was 1: a text false is false."""
    assert lifecycle_row({"value": "lead", "label": "Lead", "displayOrder": "1", "hidden": "false"}) == {
        "value": "lead", "label": "Lead", "display_order": 1, "hidden": 0}
    assert owner_row({"id": "9001", "archived": "false", "teams": []})["archived"] == 0
    with pytest.raises(BadRecord, match="the option has no value"):
        lifecycle_row({"label": "Lead"})
    with pytest.raises(BadRecord, match="teams is not a list"):
        owner_row({"id": "9001", "teams": "sales"})


def test_a_campaign_whose_items_are_not_objects_cannot_be_typed():
    with pytest.raises(BadRecord, match="budgetItems is not a list of objects"):
        campaign_rows({"id": "c1", "properties": {}, "budgetTotals": {"budgetItems": ["100"]}})
    with pytest.raises(BadRecord, match="the campaign has no id"):
        campaign_rows({"properties": {}})
