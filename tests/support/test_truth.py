"""The test side's own rules (tests/support/truth.py, workdays.py, caller_rule.py) against figures
stated here by hand: the pipeline tests hold the platform to these rules, so they must be right."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.caller_rule import caller_hash, scrubbed
from tests.support.truth import Call, Dispatch, Evaluation, Ticket
from tests.support.workdays import work_seconds_between

SH = dt.timezone(dt.timedelta(hours=8))
KEY = b"k" * 32
# HMAC-SHA256(b"k" * 32, b"13800138000"), worked out once with the standard library and written here.
PHONE_HASH = "e9a23f4103a74225d2a879af8d8aaefb2eda591f51f292008f38af5771b6917f"


def t(day: int, h: int, m: int = 0, s: int = 0, month: int = 9) -> dt.datetime:
    return dt.datetime(2023, month, day, h, m, s, tzinfo=SH)


def test_the_caller_rule():
    assert caller_hash(KEY, "13800138000") == caller_hash(KEY, "138 0013-8000") == PHONE_HASH
    event = {"type": "hotline.call.offered", "data": {"caller_hash": "0" * 64, "direction": "inbound", "caller": "138-0013-8000"}}
    assert scrubbed(event, KEY)["data"] == {"direction": "inbound", "caller_hash": PHONE_HASH}
    assert list(scrubbed(event, KEY)["data"]) == ["direction", "caller_hash"]  # at the caller's place
    assert event["data"]["caller"] == "138-0013-8000"  # not mutated
    assert scrubbed({"data": {"direction": "inbound"}}, KEY) == {"data": {"direction": "inbound"}}


@pytest.mark.parametrize("start, end, seconds", [
    (t(25, 9), t(25, 17), 8 * 3600),                              # a Monday
    (t(28, 10), t(9, 10, month=10), 14 * 3600 + 2 * 86_400 + 10 * 3600),  # Thu 28 Sep -> Mon 9 Oct:
    # 14 h of the 28th, 29 Sep - 6 Oct off (国庆), 7 and 8 Oct worked (Sat, Sun), 10 h of the 9th
    (t(30, 10), t(1, 10, month=10), 0),                           # within the holiday
    (t(25, 9, 0, 0).replace(microsecond=999_000), t(25, 9, 0, 1), 1),  # to the whole second below
    (t(25, 10), t(25, 9), 0),                                     # end before start
])
def test_working_seconds(start, end, seconds):
    assert work_seconds_between(start, end) == seconds


def test_a_day_outside_the_stated_spans_fails_loudly():
    with pytest.raises(AssertionError, match="2025-01-02 is outside"):
        work_seconds_between(dt.datetime(2025, 1, 2, 9, tzinfo=SH), dt.datetime(2025, 1, 2, 10, tzinfo=SH))


def test_a_call_its_events_and_its_row():
    call = Call("c1", t(25, 9), "inbound", caller="138 0013 8000", answered=t(25, 9, 0, 14), agent_id="a7",
                ended=t(25, 9, 3, 34))
    assert [(e["id"], e["type"], e["time"]) for e in call.events()] == [
        ("c1-e0", "hotline.call.offered", "2023-09-25T09:00:00.000+08:00"),
        ("c1-e1", "hotline.call.answered", "2023-09-25T09:00:14.000+08:00"),
        ("c1-e2", "hotline.call.ended", "2023-09-25T09:03:34.000+08:00")]
    assert call.events()[0]["data"] == {"direction": "inbound", "caller": "138 0013 8000"}
    offered_ms = 1_695_603_600_000  # 2023-09-25T01:00:00Z
    assert call.row(KEY) == ("c1", 3, dt.date(2023, 9, 25), offered_ms, "inbound", "12345", PHONE_HASH,
                             offered_ms + 14_000, "a7", 0, offered_ms + 214_000, "answered", 14_000, 200_000)
    left = Call("c2", t(25, 9), "outbound", line="talent", abandoned=t(25, 9, 0, 45))
    assert left.row(KEY)[4:] == ("outbound", "talent", "", 0, "", offered_ms + 45_000, 0, "abandoned", 45_000, -1)


def test_a_ticket_dispatched_across_the_holiday():
    ticket = Ticket("t1", t(28, 10), "citizen", "110", "non_consult", "民生保障", tags=("epidemic",),
                    dispatches=(Dispatch(t(28, 10, 30), "市公安局"),
                                Dispatch(t(28, 11), "市住建局", t(6, 18, month=10))),
                    completed=t(9, 10, month=10), supervised=(t(29, 9),),
                    evaluation_requested=(t(10, 9, month=10),),
                    evaluations=(Evaluation(t(11, 9, month=10), service_satisfied=True),))
    assert [e["type"].rsplit(".", 1)[1] for e in ticket.events()] == [
        "created", "dispatched", "dispatched", "supervised", "completed", "evaluation_requested", "evaluated"]
    created_ms = 1_695_866_400_000  # 2023-09-28T02:00:00Z
    assert ticket.row() == (
        "t1", 7, dt.date(2023, 9, 28), created_ms, "citizen", "110", "transfer_in", "non_consult", "民生保障",
        "", "", "12345", "", ["epidemic"], "department", created_ms + 3600_000, "市住建局",
        1_696_586_400_000, 1, 1, 1_696_816_800_000, 14 * 3600 + 2 * 86_400 + 10 * 3600,
        0, 1, 0, 1, 1, 1, 1, 1, 0, 0)  # completed on 9 Oct, after the 6 Oct deadline: late


def test_a_ticket_answered_online():
    ticket = Ticket("t2", t(25, 9), "enterprise", "web", "consult", "住房保障", answered=(t(25, 9, 5), "specialist"))
    row = ticket.row()
    assert row[6] == "internet" and row[14:24] == ("online_specialist", row[3] + 300_000, "", 0, 0, 1,
                                                  row[3] + 300_000, 300, 1, 0)


def test_stories_without_a_written_rule_are_refused():
    with pytest.raises(ValueError, match="not both"):
        Ticket("t", t(25, 9), "citizen", "phone", "consult", "x", answered=(t(25, 9, 5), "agent"),
               dispatches=(Dispatch(t(25, 9, 6), "d"),))
    with pytest.raises(ValueError, match="follows the last dispatch"):
        Ticket("t", t(25, 9), "citizen", "phone", "consult", "x", completed=t(25, 10))
    with pytest.raises(ValueError, match="finer than a millisecond"):
        Call("c", t(25, 9).replace(microsecond=1), "inbound").events()
