"""services.api.report.assemble.ticket_cubes: the rows of ticket_cubes.sql to the four cubes."""

from __future__ import annotations

import datetime as dt

from services.api.report.assemble import ticket_cubes

MEASURES = ("tickets", "completed_n", "work_s", "handling_known_n", "handling_pending_n", "on_time_n",
            "to_110_n", "evaluation_requests_n", "evaluations_n", "service_rated_n", "service_satisfied_n",
            "resolution_rated_n", "resolution_satisfied_n", "rated_tickets", "satisfied_tickets")
NO_DAY = dt.date(1970, 1, 1)


def row(g: int, tickets: int, **dims) -> dict:
    base = {"g": g, "tag": "", "cur": 1, "bucket": NO_DAY, "requester": "", "source": "", "channel": "",
            "handling": "", "kind": "", "line": "", "category": "", "department": ""}
    return {**base, **dims, **{m: 0 for m in MEASURES}, "tickets": tickets,
            "completed_n": tickets if g == 1 else 7}


def test_rows_go_to_their_cube_with_its_dimensions_and_two_ranges_add_up() -> None:
    march = dt.date(2023, 3, 1)
    rows = [
        # the range below the split
        row(1, 3, bucket=march, requester="citizen", source="phone", channel="phone", handling="department",
            kind="complaint", line="12345"),
        row(2, 3, handling="department", kind="complaint", category="住房保障"),
        row(3, 3, department="市住建局"),
        row(4, 2, tag="epidemic"),
        # the range from the split on: the same groups, and one the first range has not
        row(1, 2, bucket=march, requester="citizen", source="phone", channel="phone", handling="department",
            kind="complaint", line="12345"),
        row(2, 2, handling="department", kind="complaint", category="住房保障"),
        row(3, 1, department="市住建局"),
        row(3, 1, cur=0, department="市交通局"),
    ]
    cubes = ticket_cubes(rows)
    assert set(cubes) == {"tickets", "categories", "departments", "tags"}
    assert cubes["tickets"].rows == [{
        "cur": 1, "bucket": march, "requester": "citizen", "source": "phone", "channel": "phone",
        "handling": "department", "kind": "complaint", "line": "12345",
        **{m: 0 for m in MEASURES}, "tickets": 5, "completed_n": 5}]
    assert cubes["categories"].rows == [
        {"cur": 1, "kind": "complaint", "category": "住房保障", "handling": "department", "tickets": 5}]
    assert sorted(cubes["departments"].rows, key=lambda r: r["cur"]) == [
        {"cur": 0, "department": "市交通局", "tickets": 1}, {"cur": 1, "department": "市住建局", "tickets": 4}]
    assert cubes["tags"].rows == [{"cur": 1, "tag": "epidemic", "tickets": 2}]
    assert cubes["departments"].dims == ("cur", "department") and cubes["tags"].dims == ("cur", "tag")


def test_no_rows_give_four_empty_cubes() -> None:
    assert {name: len(c) for name, c in ticket_cubes([]).items()} == {
        "tickets": 0, "categories": 0, "departments": 0, "tags": 0}
