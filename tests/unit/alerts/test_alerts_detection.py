"""detection.stepped: a horizon-limited detector over a longer range; detect_all on a cluster that
is still open when it leaves the cluster detector's horizon; quiet_ms, each kind's closing rule."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hotline.calendar import WorkCalendar
from services.alerts.detect.cluster import ClusterParams, PlacedTicket
from services.alerts.detect.pingpong import PingPongParams
from services.alerts.detect.surge import SurgeParams
from services.alerts.detection import Params, detect_all, quiet_ms, stepped
from services.alerts.episode import Episode, series_of
from services.alerts.plan import Range
from services.alerts.reader import _workdays

D = 86_400_000
TZ = ZoneInfo("Asia/Shanghai")
PARAMS = Params(SurgeParams(), ClusterParams(), PingPongParams())
LIBRARY = WorkCalendar.from_library("Asia/Shanghai")
CELL = "8930862020bffff"  # resolution 9, in Huai'an


def ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp() * 1000)


def fake_detector(detections: dict[str, int], horizon: int, calls: list[int], known: list[int] | None = None):
    """Finds each named episode when its detection lies in [watermark − horizon, watermark]; its
    `updated_ms` is the watermark it was found at (so the test sees which call it came from)."""
    def detect(watermark: int, known_ms: int) -> list[Episode]:
        calls.append(watermark)
        if known is not None:
            known.append(known_ms)
        return [Episode("cluster", series_of({"place": name}), at - D, at, watermark)
                for name, at in detections.items() if watermark - horizon <= at <= watermark]
    return detect


def test_one_call_when_the_range_fits_the_horizon():
    calls: list[int] = []
    got = stepped(fake_detector({"a": 95 * D}, 7 * D, calls), Range(90 * D, 100 * D), 7 * D)
    assert [(e.detected_ms, e.updated_ms) for e in got] == [(95 * D, 100 * D)]
    assert calls == [100 * D, 93 * D]


def test_an_old_episode_is_taken_as_it_left_the_horizon_with_its_closing_decided_at_the_range_end():
    calls: list[int] = []
    known: list[int] = []
    got = stepped(fake_detector({"old": 71 * D, "new": 99 * D}, 7 * D, calls, known), Range(70 * D, 100 * D), 7 * D)
    assert sorted((e.detected_ms, e.updated_ms) for e in got) == [(71 * D, 78 * D), (99 * D, 100 * D)]
    assert calls[:5] == [100 * D, 93 * D, 86 * D, 79 * D, 72 * D]
    assert known[:5] == calls[:5]  # the calls that look for episodes decide as of their own watermark
    assert (calls[-1], known[-1]) == (78 * D, 100 * D)


def test_workdays_from_the_stored_before_array():
    assert _workdays([0, 1, 2, 2, 2, 3]) == [True, True, False, False, True]


def placed(tid: str, at: str, caller: str) -> PlacedTicket:
    return PlacedTicket(tid, ms(at), "供水-停水", CELL, "清河社区", "清江浦区", caller)


# Five tickets from four callers in a quiet cell (detected at the fifth, 6 March 08:00), then three
# more, each within three days of the one before, the last on 11 March 06:00: the cluster is still
# open on 13 March 08:00, when it leaves the detector's seven-day horizon, and closes three days
# after its last ticket, on 14 March 06:00. No call of the detector after the 13th sees it.
CLUSTER = [
    placed("old1", "2024-01-24T10:00:00+08:00", "h1"), placed("old2", "2023-12-25T10:00:00+08:00", "h2"),
    placed("t1", "2024-03-04T09:00:00+08:00", "a"), placed("t2", "2024-03-04T15:00:00+08:00", "b"),
    placed("t3", "2024-03-05T10:00:00+08:00", "c"), placed("t4", "2024-03-05T11:00:00+08:00", "a"),
    placed("t5", "2024-03-06T08:00:00+08:00", "d"), placed("t6", "2024-03-06T20:00:00+08:00", "e"),
    placed("t7", "2024-03-09T12:00:00+08:00", "f"), placed("t8", "2024-03-11T06:00:00+08:00", "g"),
]


def clusters_up_to(end: str | int) -> list[Episode]:
    end_ms = ms(end) if isinstance(end, str) else end
    return detect_all(Range(ms("2024-03-01T00:00:00+08:00"), end_ms), PARAMS, TZ, hourly=[], tickets=CLUSTER,
                      steps=[], calendar=LIBRARY)


def test_a_cluster_open_when_it_leaves_the_horizon_closes_three_days_after_its_last_ticket():
    (e,) = clusters_up_to("2024-04-01T00:00:00+08:00")  # a backfill of March, or a live cycle in April
    assert (e.kind, e.started_ms, e.detected_ms) == ("cluster", ms("2024-03-04T09:00:00+08:00"),
                                                     ms("2024-03-06T08:00:00+08:00"))
    assert e.updated_ms == ms("2024-03-11T06:00:00+08:00")
    assert e.closed_ms == 1_710_367_200_000 == ms("2024-03-14T06:00:00+08:00")
    assert (e.callers, e.tickets) == (7, ("t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"))


def test_the_same_cluster_stays_open_until_the_range_passes_its_closing_instant():
    past_horizon = clusters_up_to("2024-03-13T12:00:00+08:00")  # past 13 March 08:00, before the closing
    at_closing = clusters_up_to("2024-03-14T06:00:00+08:00")
    after = clusters_up_to("2024-03-14T06:00:00.001+08:00")
    assert [(e.id, e.closed_ms) for e in past_horizon] == [(after[0].id, 0)]
    assert [(e.id, e.closed_ms) for e in at_closing] == [(after[0].id, 0)]
    assert [e.closed_ms for e in after] == [ms("2024-03-14T06:00:00+08:00")]


def test_the_cluster_is_the_same_whichever_hour_the_range_ends():
    # Ranges ending from 27 to 29 March, hour by hour: the detector is called a horizon apart from
    # each end backwards, so for the ends from 27 March 08:00 to 20:00 one call's horizon starts
    # between the fifth and the sixth ticket and sees the cluster "detected" at the sixth.
    first = ms("2024-03-27T00:00:00+08:00")
    for end in range(first, first + 49 * 3_600_000, 3_600_000):
        got = [(e.started_ms, e.detected_ms, e.updated_ms, e.closed_ms, e.callers) for e in clusters_up_to(end)]
        assert got == [(ms("2024-03-04T09:00:00+08:00"), ms("2024-03-06T08:00:00+08:00"),
                        ms("2024-03-11T06:00:00+08:00"), ms("2024-03-14T06:00:00+08:00"), 7)], end


def test_each_kind_closes_its_own_quiet_time_after_its_last_evidence():
    def ep(kind: str, method: str) -> Episode:
        return Episode(kind, series_of({"x": "y"}), 0, 0, 0, method=method)  # type: ignore[arg-type]
    assert quiet_ms(ep("surge", "share-cusum"), PARAMS) == 86_400_000  # 24 hours
    assert quiet_ms(ep("cluster", "poisson_callers"), PARAMS) == 259_200_000  # 3 days
    assert quiet_ms(ep("pingpong", "redispatched_to_returner"), PARAMS) == 604_800_000  # 7 days
    assert quiet_ms(ep("pingpong", "return_pair"), PARAMS) == 604_800_000  # the pair's 7-day window
