"""detection.stepped: a horizon-limited detector over a longer range."""

from __future__ import annotations

from services.alerts.detection import stepped
from services.alerts.episode import Episode, series_of
from services.alerts.plan import Range
from services.alerts.reader import _workdays

D = 86_400_000


def fake_detector(detections: dict[str, int], horizon: int, calls: list[int]):
    """Finds each named episode when its detection lies in [watermark − horizon, watermark]; its
    `updated_ms` is the watermark it was found at (so the test sees which call it came from)."""
    def detect(watermark: int) -> list[Episode]:
        calls.append(watermark)
        return [Episode("cluster", series_of({"place": name}), at - D, at, watermark)
                for name, at in detections.items() if watermark - horizon <= at <= watermark]
    return detect


def test_one_call_when_the_range_fits_the_horizon():
    calls: list[int] = []
    got = stepped(fake_detector({"a": 95 * D}, 7 * D, calls), Range(90 * D, 100 * D), 7 * D)
    assert [(e.detected_ms, e.updated_ms) for e in got] == [(95 * D, 100 * D)]
    assert calls == [100 * D, 93 * D]


def test_an_old_episode_is_taken_as_it_left_the_horizon():
    calls: list[int] = []
    got = stepped(fake_detector({"old": 71 * D, "new": 99 * D}, 7 * D, calls), Range(70 * D, 100 * D), 7 * D)
    assert sorted((e.detected_ms, e.updated_ms) for e in got) == [(71 * D, 78 * D), (99 * D, 100 * D)]
    assert calls[:5] == [100 * D, 93 * D, 86 * D, 79 * D, 72 * D]
    assert calls[-1] == 78 * D


def test_workdays_from_the_stored_before_array():
    assert _workdays([0, 1, 2, 2, 2, 3]) == [True, True, False, False, True]
