"""tooling.simulator.pacing: how long the pacer sleeps, on a fake clock."""

from __future__ import annotations

import pytest

from hotline.errors import HotlineError
from tests.support.fake_time import FakeTime
from tooling.simulator.pacing import Pacer, SpeedError, parse_speed


def test_parse_speed():
    assert parse_speed("fast") is None
    assert parse_speed("realtime") == 1.0
    assert parse_speed("60x") == 60.0
    assert parse_speed("60") == 60.0
    assert parse_speed(" 2.5X ") == 2.5
    for bad in ("", "x", "slow", "0", "-3x", "nan", "inf", "60xx"):
        with pytest.raises(SpeedError, match="speed"):
            parse_speed(bad)
    assert issubclass(SpeedError, HotlineError)


def test_fast_never_sleeps():
    t = FakeTime()
    pacer = Pacer(None, clock=t.clock, sleep=t.sleep)
    for ms in (0, 3_600_000, 86_400_000):
        assert pacer.wait_until(ms) == 0.0
    assert t.slept == []


def test_realtime_sleeps_the_gap_between_events():
    t = FakeTime()
    pacer = Pacer(1.0, clock=t.clock, sleep=t.sleep)
    pacer.wait_until(1_000_000)      # anchors, no sleep
    pacer.wait_until(1_002_500)      # 2.5 s later in event time
    t.now += 1.0                     # the caller spent 1 s sending
    pacer.wait_until(1_004_500)      # due at +4.5 s, now is +3.5 s
    assert t.slept == [2.5, 1.0]


def test_sixty_times_faster():
    t = FakeTime()
    pacer = Pacer(60.0, clock=t.clock, sleep=t.sleep)
    pacer.wait_until(0)
    pacer.wait_until(60_000)         # one simulated minute = 1 s
    pacer.wait_until(3_600_000)      # one simulated hour = 60 s after the start
    assert t.slept == [1.0, 59.0]
    assert t.now == 1060.0


def test_events_already_due_or_in_the_past_pass_at_once():
    t = FakeTime()
    pacer = Pacer(1.0, clock=t.clock, sleep=t.sleep)
    pacer.wait_until(10_000)
    t.now += 5.0                     # a slow sink: 5 s of wall time went by
    assert pacer.wait_until(12_000) == 0.0
    assert pacer.behind_s(12_000) == 3.0
    assert pacer.wait_until(4_000) == 0.0  # a late event, older than the first one
    assert t.slept == []


def test_bad_speed_object():
    with pytest.raises(SpeedError):
        Pacer(0.0)
