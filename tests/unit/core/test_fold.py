"""The pure fold on hand-checked events; expected facts are written out here."""

from __future__ import annotations

import datetime as dt

import pytest

from zoneinfo import ZoneInfo

from hotline.calendar import WorkCalendar
from hotline.contract import validate_event
from hotline.events import to_record
from hotline.fold import fold_call, fold_ticket


LIBRARY = WorkCalendar.from_library("Asia/Shanghai")


@pytest.fixture(scope="module")
def cal():
    return ZoneInfo("Asia/Shanghai")


def ev(n, type_, time, data=None, subject="x", source="/pbx/main"):
    e = {"specversion": "1.0", "id": f"e{n}", "source": source, "type": f"hotline.{type_}",
         "time": time, "subject": subject, "data": data or {}}
    return validate_event(e)


def recs(cal, *events):
    return [to_record(e, cal) for e in events]


def test_answered_call(cal):
    f = fold_call("c1", recs(
        cal,
        ev(1, "call.offered", "2023-03-06T09:00:00+08:00", {"direction": "inbound"}),
        ev(2, "call.answered", "2023-03-06T09:00:12.500+08:00", {"agent_id": "a7"}),
        ev(3, "call.ended", "2023-03-06T09:03:35.500+08:00"),
    ))
    assert (f.status, f.wait_ms, f.talk_ms, f.line, f.direction, f.agent_id, f.events) == (
        "answered", 12_500, 203_000, "12345", "inbound", "a7", 3)


def test_abandoned_call_wait_is_time_to_abandon(cal):
    f = fold_call("c2", recs(
        cal,
        ev(1, "call.offered", "2023-03-06T09:00:00+08:00", {"direction": "inbound", "line": "talent"}),
        ev(2, "call.abandoned", "2023-03-06T09:00:04+08:00"),
    ))
    assert (f.status, f.wait_ms, f.talk_ms, f.line) == ("abandoned", 4_000, None, "talent")


def test_waiting_call_and_out_of_order_answer_first(cal):
    assert fold_call("c3", recs(cal, ev(1, "call.offered", "2023-03-06T09:00:00Z", {"direction": "inbound"}))).status == "waiting"
    only_answer = fold_call("c4", recs(cal, ev(1, "call.answered", "2023-03-06T09:00:00Z", {"agent_id": "a"})))
    assert (only_answer.status, only_answer.wait_ms) == ("answered", None)


def test_ticket_across_new_year_and_holiday(cal):
    # Created Sun 31 Dec 2023 23:00 (a rest day), dispatched, completed Tue 2 Jan 2024 10:00
    # (1 Jan is a holiday): handling time = 10 h of 2 Jan = 0.41666 working days; the ticket
    # belongs to 2023 (its creation).
    f = fold_ticket("t1", recs(
        cal,
        ev(1, "ticket.created", "2023-12-31T23:00:00+08:00",
           {"requester": "citizen", "channel": "110", "kind": "non_consult", "category": "民生保障", "tags": ["epidemic"]},
           source="/crm"),
        ev(2, "ticket.dispatched", "2023-12-31T23:30:00+08:00",
           {"department": "市公安局", "deadline": "2024-01-03T18:00:00+08:00"}, source="/crm"),
        ev(3, "ticket.completed", "2024-01-02T10:00:00+08:00", source="/crm"),
        ev(4, "ticket.evaluation_requested", "2024-01-02T11:00:00+08:00", source="/crm"),
        # A late evaluation, weeks after completion, still counts for the 2023 ticket.
        ev(5, "ticket.evaluated", "2024-02-20T11:00:00+08:00",
           {"service_satisfied": True, "resolution_satisfied": False}, source="/crm"),
    ))
    assert (f.handling, f.department, f.source, f.from_110, f.completed, f.on_time) == (
        "department", "市公安局", "transfer_in", True, True, True)
    assert f.handling_workdays(LIBRARY) == pytest.approx(10 / 24)
    assert (f.evaluation_requests, f.evaluations, f.service_rated, f.service_satisfied,
            f.resolution_rated, f.resolution_satisfied) == (1, 1, 1, 1, 1, 0)
    assert f.tags == ("epidemic",)


def test_final_handling_is_the_latest_and_reopened_ticket_is_not_complete(cal):
    base = {"requester": "citizen", "channel": "phone", "kind": "consult", "category": "住房保障"}
    online_then_dispatched = recs(
        cal,
        ev(1, "ticket.created", "2023-03-06T09:00:00+08:00", base),
        ev(2, "ticket.answered", "2023-03-06T09:05:00+08:00", {"by": "specialist"}),
        ev(3, "ticket.completed", "2023-03-06T09:06:00+08:00"),
        ev(4, "ticket.dispatched", "2023-03-06T10:00:00+08:00", {"department": "市住建局"}),
    )
    f = fold_ticket("t2", online_then_dispatched)
    assert (f.handling, f.dispatched, f.completed, f.on_time) == ("department", True, False, False)

    answered_online = fold_ticket("t3", recs(
        cal,
        ev(1, "ticket.created", "2023-03-06T09:00:00+08:00", base),
        ev(2, "ticket.answered", "2023-03-06T09:05:00+08:00", {"by": "specialist"}),
    ))
    assert (answered_online.handling, answered_online.completed, answered_online.dispatched) == (
        "online_specialist", True, False)
    assert answered_online.handling_workdays(LIBRARY) == pytest.approx(300 / 86400)


def test_late_completion_is_not_on_time(cal):
    f = fold_ticket("t4", recs(
        cal,
        ev(1, "ticket.created", "2023-03-06T09:00:00+08:00",
           {"requester": "enterprise", "channel": "web", "kind": "non_consult", "category": "经济综合"}),
        ev(2, "ticket.dispatched", "2023-03-06T10:00:00+08:00", {"department": "市交通局", "deadline": "2023-03-07T10:00:00+08:00"}),
        ev(3, "ticket.completed", "2023-03-08T10:00:00+08:00"),
    ))
    assert (f.completed, f.on_time, f.source) == (True, False, "internet")
    assert f.handling_workdays(LIBRARY) == pytest.approx(2 + 1 / 24)
    # A calendar that ends before the completion day: pending, not a guess.
    short = WorkCalendar("Asia/Shanghai", LIBRARY.workdays()[:(dt.date(2023, 3, 7) - LIBRARY.first).days + 1])
    assert (f.handling_workdays(short), f.handling_work_s(short), f.completed) == (None, None, True)


def test_duplicates_count_once(cal):
    created = ev(1, "ticket.created", "2023-03-06T09:00:00+08:00",
                 {"requester": "citizen", "channel": "phone", "kind": "consult", "category": "民生保障"})
    req = ev(2, "ticket.evaluation_requested", "2023-03-07T09:00:00+08:00")
    req2 = ev(3, "ticket.evaluation_requested", "2023-03-08T09:00:00+08:00")
    f = fold_ticket("t5", recs(cal, created, req, req, req2, created))
    assert (f.events, f.evaluation_requests) == (3, 2)
