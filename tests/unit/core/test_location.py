"""hotline.location and the contract's `location`: coarse places only, H3 cells at resolution 9
or coarser, done by the judge (the first service that sees the event)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hotline.contract import InvalidEvent, Violation, validate_event
from hotline.judge import Accepted, Rejected, judge
from hotline.location import coarsened, scrub_location

KEY = b"k" * 32
H3_12 = "8c308620241d3ff"  # resolution 12 (Huai'an, 33.5967N 119.0153E)
H3_15 = "8f308620241d76d"  # resolution 15, the same spot
H3_9 = "89308620243ffff"  # the resolution-9 parent of both
H3_7 = "873086202ffffff"  # the resolution-7 parent
LOCATION_RULE = "is not allowed: a location is street, community and h3 only, never an address or coordinates"


def created(location: Any = None, **data: Any) -> dict[str, Any]:
    d = {"requester": "citizen", "channel": "phone", "kind": "non_consult", "category": "住房保障",
         "subcategory": "物业管理", "district": "清江浦区", **data}
    if location is not None:
        d["location"] = location
    return {"specversion": "1.0", "id": "e1", "source": "/crm/main", "type": "hotline.ticket.created",
            "time": "2024-03-01T08:00:00+08:00", "subject": "tk-1", "data": d}


@pytest.mark.parametrize(("cell", "kept"), [(H3_12, H3_9), (H3_15, H3_9), (H3_9, H3_9), (H3_7, H3_7)])
def test_a_cell_finer_than_resolution_9_becomes_its_parent(cell: str, kept: str) -> None:
    assert coarsened(cell) == kept


@pytest.mark.parametrize("cell", ["89308620243fff0", "8f308620243ffff", "", "not a cell", 17])
def test_coarsened_refuses_what_is_not_a_cell(cell: Any) -> None:
    with pytest.raises(ValueError):
        coarsened(cell)


def test_the_judge_coarsens_and_leaves_the_producers_object_alone() -> None:
    raw = created({"street": "清河街道", "community": "清河社区", "h3": H3_12}, caller="13800138000")
    before = copy.deepcopy(raw)
    verdict = judge(raw, KEY)
    assert isinstance(verdict, Accepted)
    assert verdict.event["data"]["location"] == {"street": "清河街道", "community": "清河社区", "h3": H3_9}
    assert "caller" not in verdict.event["data"] and len(verdict.event["data"]["caller_hash"]) == 64
    assert raw == before


@pytest.mark.parametrize("location", [{"h3": H3_9}, {"h3": H3_7, "street": "清河街道"}, {"community": "x"}, {}])
def test_nothing_to_coarsen_leaves_the_event_as_sent(location: dict) -> None:
    raw = created(location)
    assert judge(raw, KEY) == Accepted(raw, b"tk-1")
    assert scrub_location(raw) is raw


def test_every_part_is_optional_and_the_location_too() -> None:
    for location in (None, {}, {"street": "清河街道"}, {"community": "清河社区"}, {"h3": H3_9}):
        assert isinstance(judge(created(location), KEY), Accepted)


@pytest.mark.parametrize("cell", ["89308620243fff0", "8f308620243ffff"])
def test_a_well_formed_id_that_is_no_cell_is_rejected_naming_the_h3(cell: str) -> None:
    assert judge(created({"h3": cell}), KEY) == Rejected(
        (Violation("data.location.h3", "must be a valid H3 cell id (h3.is_valid_cell)"),))
    with pytest.raises(InvalidEvent) as info:
        scrub_location(created({"h3": cell}))
    assert [v.path for v in info.value.violations] == ["data.location.h3"]


@pytest.mark.parametrize("cell", ["8C308620241D3FF", "8c308620241d3f", " 89308620243ffff", "89308620243ffff\n", "0" * 15])
def test_an_h3_that_is_not_an_id_breaks_the_contract(cell: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        validate_event(created({"h3": cell}))
    assert info.value.violations == (Violation(
        "data.location.h3", "must be an H3 cell id: 15 lower-case hexadecimal digits starting with 8"),)


def test_an_address_or_coordinates_are_refused_naming_each_field() -> None:
    raw = created({"street": "清河街道", "address": "健康西路 88 号 3 幢", "lat": 33.59, "lng": 119.01})
    verdict = judge(raw, KEY)
    assert verdict == Rejected((
        Violation("data.location.address", LOCATION_RULE),
        Violation("data.location.lat", LOCATION_RULE),
        Violation("data.location.lng", LOCATION_RULE),
    ))
    # The rule never repeats the value.
    assert "健康西路" not in str(verdict) and "33.59" not in str(verdict)


@pytest.mark.parametrize(("location", "path", "rule"), [
    ("清河街道", "data.location", "must be a JSON object"),
    ({"street": 7}, "data.location.street", "must be a string"),
    ({"community": None}, "data.location.community", "must be a string"),
    ({"h3": 617700169958293503}, "data.location.h3", "must be a string"),
])
def test_the_parts_are_strings_in_an_object(location: Any, path: str, rule: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        validate_event(created(location))
    assert info.value.violations == (Violation(path, rule),)


def test_a_location_on_another_type_is_an_unknown_field_kept_as_sent() -> None:
    raw = {"specversion": "1.0", "id": "e2", "source": "/crm/main", "type": "hotline.ticket.dispatched",
           "time": "2024-03-01T08:00:00+08:00", "subject": "tk-1",
           "data": {"department": "市住建局", "location": {"h3": H3_12}}}
    assert judge(raw, KEY) == Accepted(raw, b"tk-1")
