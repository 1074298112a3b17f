"""Ping-pong tickets and return pairs on hand-written dispatch sequences; the expected episodes
are written out here."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from hotline.calendar import WorkCalendar
from services.alerts.detect.pingpong import PingPongParams, Step, detect_pingpong, detect_return_pairs

LIBRARY = WorkCalendar.from_library("Asia/Shanghai")
CST = dt.timezone(dt.timedelta(hours=8))
HOUR = 3_600_000
DAY = 24 * HOUR
T0 = 1_709_481_600_000  # 2024-03-04 00:00 +08:00, a Monday


def at(day: int, hour: int, minute: int = 0) -> int:
    return int(dt.datetime(2024, 3, day, hour, minute, tzinfo=CST).timestamp() * 1000)


def steps(ticket: str, *seq: tuple[str, str, int]) -> list[Step]:
    return [Step(ticket, kind, dept, time_ms, f"{ticket}-e{i}") for i, (kind, dept, time_ms) in enumerate(seq)]


def test_one_return_and_a_dispatch_elsewhere_is_ordinary_handling():
    ordinary = steps("T1", ("dispatched", "住建局", at(5, 9)), ("returned", "住建局", at(5, 11)),
                     ("dispatched", "城管局", at(5, 13)), ("completed", "城管局", at(7, 16)))
    assert detect_pingpong(ordinary, at(20, 0), LIBRARY) == []
    # nor while it is still open
    assert detect_pingpong(ordinary[:3], at(20, 0), LIBRARY) == []


def test_dispatched_back_to_the_department_that_returned_it():
    seq = steps("T2", ("dispatched", "A", at(5, 9)), ("returned", "A", at(5, 10)),
                ("dispatched", "B", at(5, 11)), ("returned", "B", at(5, 14)),
                ("dispatched", "A", at(5, 15)))
    # raised as soon as the dispatch back to A is seen: the watermark is that dispatch
    (e,) = detect_pingpong(seq, at(5, 15), LIBRARY)
    assert e.kind == "pingpong"
    assert e.series == (("departments", "A→B→A"), ("ticket_id", "T2"))
    assert (e.started_ms, e.detected_ms, e.updated_ms, e.closed_ms) == (at(5, 9), at(5, 15), at(5, 15), 0)
    assert e.method == "redispatched_to_returner"
    assert "dispatches" in e.detail  # the third dispatch fired at the same instant
    assert (e.observed, e.expected, e.score) == (3.0, 1.0, 2.0)  # 3 dispatches, 2 returns
    assert e.tickets == ("T2",)
    assert detect_pingpong(seq[:4], at(5, 14, 59), LIBRARY) == []  # before it: nothing

    # completed: closed at the completion, same id and detection
    done = seq + steps("T2x", ("completed", "A", at(6, 10)))
    done = [Step("T2", s.type, s.department, s.time_ms, s.event_id) for s in done]
    (closed,) = detect_pingpong(done, at(6, 12), LIBRARY)
    assert closed.id == e.id and closed.detected_ms == e.detected_ms
    assert closed.closed_ms == at(6, 10) and closed.updated_ms == at(6, 10)


def test_straight_back_to_the_returner_is_raised_at_the_second_dispatch():
    seq = steps("T3", ("dispatched", "A", at(5, 9)), ("returned", "A", at(5, 10)),
                ("dispatched", "A", at(5, 12)))
    (e,) = detect_pingpong(seq, at(5, 12), LIBRARY)
    assert (e.detected_ms, e.method, e.observed) == (at(5, 12), "redispatched_to_returner", 2.0)
    assert dict(e.series)["departments"] == "A→A"


def test_three_dispatches():
    seq = steps("T4", ("dispatched", "A", at(5, 9)), ("dispatched", "B", at(5, 10)),
                ("dispatched", "C", at(6, 9)), ("dispatched", "D", at(6, 10)))
    (e,) = detect_pingpong(seq, at(6, 12), LIBRARY)
    assert (e.started_ms, e.detected_ms, e.updated_ms) == (at(5, 9), at(6, 9), at(6, 10))
    assert e.method == "dispatches" and e.observed == 4.0
    assert dict(e.series)["departments"] == "A→B→C"  # frozen at the detection (the id depends on it)
    assert "A→B→C→D" in e.detail
    assert detect_pingpong(seq[:2], at(6, 12), LIBRARY) == []


def test_unowned_for_eight_working_hours_across_a_weekend():
    # returned Friday 2024-03-08 20:00; W counts a working day as 24 h: 4 h on Friday, none on
    # Saturday and Sunday, 4 h on Monday: due Monday 2024-03-11 04:00 +08:00
    seq = steps("T5", ("dispatched", "A", at(8, 10)), ("returned", "A", at(8, 20)))
    assert detect_pingpong(seq, at(11, 4) - 1, LIBRARY) == []
    (e,) = detect_pingpong(seq, at(11, 4), LIBRARY)
    assert at(11, 4) == 1_710_100_800_000
    assert (e.started_ms, e.detected_ms, e.updated_ms) == (at(8, 10), at(11, 4), at(11, 4))
    assert (e.method, e.observed, dict(e.series)["departments"]) == ("unowned", 1.0, "A")
    # dispatched Monday 09:00: the same episode, updated
    later = seq + [Step("T5", "dispatched", "B", at(11, 9), "T5-e9")]
    (u,) = detect_pingpong(later, at(11, 10), LIBRARY)
    assert (u.id, u.detected_ms, u.updated_ms, u.observed) == (e.id, at(11, 4), at(11, 9), 2.0)
    # dispatched before the 8 working hours ran out (Monday 03:00): nothing
    owned = seq + [Step("T5", "dispatched", "B", at(11, 3), "T5-e9")]
    assert detect_pingpong(owned, at(12, 0), LIBRARY) == []
    # completed on Saturday: nothing either
    completed = seq + [Step("T5", "completed", "A", at(9, 10), "T5-e9")]
    assert detect_pingpong(completed, at(12, 0), LIBRARY) == []


def test_unowned_never_fires_where_the_calendar_ends():
    # a calendar that knows the days up to Saturday 2024-03-09 cannot say when Monday's hours end
    short = WorkCalendar("Asia/Shanghai", LIBRARY.workdays()[: (dt.date(2024, 3, 9) - LIBRARY.first).days + 1])
    seq = steps("T6", ("dispatched", "A", at(8, 10)), ("returned", "A", at(8, 20)))
    assert detect_pingpong(seq, at(20, 0), short) == []
    # within its coverage it does: returned Thursday 20:00, due Friday 04:00
    seq = steps("T6", ("dispatched", "A", at(7, 10)), ("returned", "A", at(7, 20)))
    (e,) = detect_pingpong(seq, at(8, 5), short)
    assert e.detected_ms == at(8, 4)


def test_closes_after_a_week_without_a_step_and_a_later_step_reopens_it():
    seq = steps("T7", ("dispatched", "A", at(4, 9)), ("returned", "A", at(4, 10)), ("dispatched", "A", at(4, 11)))
    (e,) = detect_pingpong(seq, at(11, 11), LIBRARY)
    assert e.closed_ms == 0  # the watermark is at, not beyond, the closing instant
    (c,) = detect_pingpong(seq, at(11, 12), LIBRARY)
    assert (c.id, c.closed_ms) == (e.id, at(11, 11))
    reopened = seq + [Step("T7", "dispatched", "B", at(20, 9), "T7-e9")]
    (r,) = detect_pingpong(reopened, at(20, 10), LIBRARY)
    assert (r.id, r.closed_ms, r.updated_ms) == (e.id, 0, at(20, 9))
    assert r.version > c.version


def test_order_and_duplicates_do_not_matter():
    seq = (steps("T8", ("dispatched", "A", at(5, 9)), ("returned", "A", at(5, 10)),
                 ("dispatched", "B", at(5, 11)), ("returned", "B", at(5, 14)), ("dispatched", "A", at(5, 15)))
           + steps("T9", ("dispatched", "A", at(8, 10)), ("returned", "A", at(8, 20)))
           + steps("T10", ("dispatched", "C", at(5, 9)), ("returned", "C", at(5, 9)), ("dispatched", "D", at(5, 9))))
    expected = detect_pingpong(seq, at(12, 0), LIBRARY)
    assert [(e.tickets, e.method) for e in expected] == [(("T8",), "redispatched_to_returner"), (("T9",), "unowned")]
    for seed in range(5):
        shuffled = seq + seq[:4]  # steps read twice
        random.Random(seed).shuffle(shuffled)
        assert detect_pingpong(shuffled, at(12, 0), LIBRARY) == expected


def handover(ticket: str, from_: str, to: str, time_ms: int) -> list[Step]:
    return steps(ticket, ("dispatched", from_, time_ms - 2 * HOUR), ("returned", from_, time_ms - HOUR),
                 ("dispatched", to, time_ms))


def weekly_history(from_: str, to: str, per_week: int) -> list[Step]:
    """`per_week` hand-overs in each of the 8 weeks before T0 (a day into each week)."""
    return [s for k in range(1, 9) for j in range(per_week)
            for s in handover(f"h{from_}{to}{k}-{j}", from_, to, T0 - k * 7 * DAY + DAY + j * HOUR)]


def burst(from_: str, to: str, n: int) -> list[Step]:
    return [s for i in range(n) for s in handover(f"b{from_}{to}{i}", from_, to, T0 + DAY + 9 * HOUR + i * 3 * HOUR)]


def test_a_pair_handing_over_far_more_than_usual():
    # 1 a week for 8 weeks: λ = 8.5 / 56 × 7 = 1.0625; 7 in a week p = 1.2e-4, 8 p = 1.6e-5
    history = weekly_history("A", "B", 1)
    assert detect_return_pairs(history + burst("A", "B", 7), T0 + 3 * DAY) == []
    (e,) = detect_return_pairs(history + burst("A", "B", 8), T0 + 3 * DAY)
    assert (e.kind, e.method, e.series) == ("pingpong", "return_pair", (("from", "A"), ("to", "B")))
    assert (e.started_ms, e.detected_ms) == (T0 + DAY + 9 * HOUR, T0 + DAY + 30 * HOUR)
    assert e.observed == 8 and e.expected == pytest.approx(1.0625) and e.closed_ms == 0
    assert len(e.tickets) == 8
    # the pair's evidence leaves the window 7 days after the last passing hand-over
    (c,) = detect_return_pairs(history + burst("A", "B", 8), T0 + 10 * DAY)
    assert (c.id, c.closed_ms) == (e.id, T0 + 9 * DAY + 6 * HOUR)
    # asked at T0 + 3 d knowing the events up to T0 + 10 d: the same closing (no hand-over after)
    (k,) = detect_return_pairs(history + burst("A", "B", 8), T0 + 3 * DAY, known_ms=T0 + 10 * DAY)
    assert (k.id, k.closed_ms) == (e.id, T0 + 9 * DAY + 6 * HOUR)
    # the steps in any order give the same
    shuffled = history + burst("A", "B", 8)
    random.Random(1).shuffle(shuffled)
    assert detect_return_pairs(shuffled, T0 + 3 * DAY) == [e]
    # and the hand-overs themselves are not ping-pong tickets (one return, then elsewhere)
    assert detect_pingpong(history + burst("A", "B", 8), T0 + 3 * DAY, LIBRARY) == []


def test_a_busy_pair_and_a_new_pair():
    # 8 a week is this pair's usual: 8 more in a week is nothing
    assert detect_return_pairs(weekly_history("C", "D", 8) + burst("C", "D", 8), T0 + 3 * DAY) == []
    # a pair never seen: λ = 0.5 / 56 × 7; five hand-overs (the minimum) are one
    (e,) = detect_return_pairs(burst("E", "F", 5), T0 + 3 * DAY)
    assert e.detected_ms == T0 + DAY + 21 * HOUR and e.observed == 5
    assert detect_return_pairs(burst("E", "F", 4), T0 + 3 * DAY) == []
    assert PingPongParams().pair_min_count == 5
