"""tests.support.waiting.eventually on a fake clock: what it returns, when it gives up, what the
failure says."""

from __future__ import annotations

import pytest

from tests.support.fake_time import FakeTime
from tests.support.waiting import eventually


def test_returns_the_first_truthy_value_without_sleeping_when_it_holds_at_once():
    t = FakeTime()
    assert eventually(lambda: [1], timeout_s=5, what="x", sleep=t.sleep, clock=t.clock) == [1]
    assert t.slept == []


def test_probes_every_interval_until_the_condition_holds():
    t = FakeTime()
    values = iter([0, 0, 3, 4])
    got = eventually(lambda: next(values), until=lambda v: v >= 3, timeout_s=10, interval_s=0.5,
                     what="x", sleep=t.sleep, clock=t.clock)
    assert got == 3 and t.slept == [0.5, 0.5]


def test_a_falsy_value_that_meets_until_is_returned():
    t = FakeTime()
    assert eventually(lambda: 0, until=lambda v: v == 0, timeout_s=1, what="x", sleep=t.sleep, clock=t.clock) == 0


def test_gives_up_after_the_timeout_naming_what_and_the_last_value():
    t = FakeTime()
    n = iter(range(100))
    with pytest.raises(AssertionError) as failure:
        eventually(lambda: {"seen": next(n)}, until=lambda v: False, timeout_s=2, interval_s=0.5,
                   what="the rows in ClickHouse", sleep=t.sleep, clock=t.clock)
    message = str(failure.value)
    assert message == "waited 2 s (5 probes) for the rows in ClickHouse; last seen: {'seen': 4}"
    assert t.slept == [0.5] * 4


def test_ignored_exceptions_are_retried_and_reported_others_raised_at_once():
    t = FakeTime()
    attempts = iter([ConnectionRefusedError("not yet"), ConnectionRefusedError("not yet"), "up"])

    def probe():
        a = next(attempts)
        if isinstance(a, Exception):
            raise a
        return a

    assert eventually(probe, timeout_s=5, what="x", ignoring=(OSError,), sleep=t.sleep, clock=t.clock) == "up"
    with pytest.raises(AssertionError, match="last seen: ConnectionRefusedError"):
        eventually(lambda: (_ for _ in ()).throw(ConnectionRefusedError("down")), timeout_s=1,
                   what="x", ignoring=(OSError,), sleep=t.sleep, clock=t.clock)
    with pytest.raises(KeyError):
        eventually(lambda: {}["missing"], timeout_s=5, what="x", ignoring=(OSError,), sleep=t.sleep, clock=t.clock)


def test_a_long_last_value_is_cut_in_the_message():
    t = FakeTime()
    with pytest.raises(AssertionError) as failure:
        eventually(lambda: "x" * 10_000, until=lambda v: False, timeout_s=0, what="x", sleep=t.sleep, clock=t.clock)
    assert len(str(failure.value)) < 2200 and "(10002 characters)" in str(failure.value)
