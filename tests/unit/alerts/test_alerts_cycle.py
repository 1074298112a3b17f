"""Cycle: the order read → detect → diff → publish → store → progress, with in-memory adapters
(the detectors are replaced by a list of hand-made episodes: their own tests are elsewhere)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from services.alerts.cycle import Cycle
from services.alerts.diff import StoredEpisode
from services.alerts.episode import Episode, series_of
from services.alerts.metrics import Metrics
from services.alerts.plan import IngestedSecond
from services.alerts.publish import PublishFailed, event_of
from services.alerts.reader import StorageUnavailable
from services.alerts.settings import AlertsSettings
from services.alerts.store import OpenAlerts, Progress

pytestmark = pytest.mark.usefixtures("clean_env")

H = 3_600_000
W = 1_710_055_200_000  # 2024-03-10 15:20 +08:00


class FakeReader:
    def __init__(self) -> None:
        self.watermark_ms = W
        self.rows = [IngestedSecond(1000, 4, W - 2 * H)]

    def watermark(self, until_ms: int) -> int:
        return self.watermark_ms

    def ingested(self, from_s: int) -> list[IngestedSecond]:
        return [r for r in self.rows if r.second >= from_s]


class FakeStore:
    def __init__(self, log: list[str], progress: Progress | None = None) -> None:
        self.log, self.rows, self.saved = log, {}, progress
        self.fail_write = False

    def stored(self, from_ms: int) -> dict[str, StoredEpisode]:
        return {i: s for i, s in self.rows.items() if s.episode.detected_ms >= from_ms or not s.episode.closed_ms}

    def open_alerts(self, since_ms: int = 0) -> OpenAlerts:
        open_ = [s.episode for s in self.rows.values() if not s.episode.closed_ms]
        by_kind = {k: sum(e.kind == k for e in open_) for k in ("surge", "cluster", "pingpong")}
        return OpenAlerts(by_kind, min((e.started_ms for e in open_ if e.started_ms >= since_ms), default=None))

    def write(self, changes) -> int:
        if self.fail_write:
            raise StorageUnavailable("ClickHouse went away")
        for c in changes:
            self.rows[c.id] = StoredEpisode(c.episode, c.version)
        self.log.append("store")
        return len(changes)

    def progress(self) -> Progress | None:
        return self.saved

    def save_progress(self, watermark_ms: int, seen_from_s: int, seen) -> None:
        self.saved = Progress(watermark_ms, seen_from_s, dict(seen))
        self.log.append("progress")


class FakePublisher:
    def __init__(self, log: list[str]) -> None:
        self.log, self.events, self.fail = log, [], False

    def publish(self, changes) -> None:
        if self.fail:
            raise PublishFailed("broker away")
        self.events += [event_of(c, ZoneInfo("Asia/Shanghai"))["id"] for c in changes]
        self.log.append("publish")


PINGPONG = Episode("pingpong", series_of({"ticket_id": "t-1", "departments": "A→B→A"}), W - 5 * H, W - 3 * H,
                   W - 3 * H, observed=3, expected=1, score=2, method="redispatched_to_returner")


def make(detected: list[Episode], progress: Progress | None = None, settle_s: int = 0):
    log: list[str] = []
    reader, store, publisher, metrics = FakeReader(), FakeStore(log, progress), FakePublisher(log), Metrics()
    cycle = Cycle(AlertsSettings(settle_s=settle_s), reader, store, publisher, metrics, clock=lambda: W / 1000,
                  monotonic=lambda: 100.0)
    cycle.detect = lambda evaluated: list(detected)
    return cycle, reader, store, publisher, metrics, log


def gauge(metrics: Metrics, kind: str) -> float:
    return metrics.registry.get_sample_value("hotline_alerts_open", {"kind": kind})


def test_a_new_episode_is_published_then_stored_then_the_progress_saved():
    cycle, _, store, publisher, metrics, log = make([PINGPONG])
    outcome = cycle.run()
    assert [c.change for c in outcome.changes] == ["raised"]
    assert log == ["publish", "store", "progress"]
    assert publisher.events == [f"{PINGPONG.id}-raised-{PINGPONG.version}"]
    assert store.rows[PINGPONG.id].episode == PINGPONG
    assert gauge(metrics, "pingpong") == 1 and gauge(metrics, "surge") == 0
    assert metrics.registry.get_sample_value("hotline_alerts_raised_total", {"kind": "pingpong"}) == 1
    assert metrics.registry.get_sample_value("hotline_alerts_watermark_timestamp_seconds") == W / 1000
    assert store.saved == Progress(W, 1000 - 120, {1000: 4})


def test_nothing_ingested_and_the_same_watermark_skips_the_cycle():
    cycle, _, _, publisher, _, log = make([PINGPONG])
    cycle.run()
    again = cycle.run()
    assert again.skipped and log == ["publish", "store", "progress"]


def test_a_failed_store_publishes_the_same_event_again_next_time_and_loses_nothing():
    cycle, _, store, publisher, _, log = make([PINGPONG])
    store.fail_write = True
    with pytest.raises(StorageUnavailable):
        cycle.run()
    assert publisher.events == [f"{PINGPONG.id}-raised-{PINGPONG.version}"] and store.saved is None
    store.fail_write = False
    outcome = cycle.run()  # the progress did not move: the same range, the same change
    assert not outcome.skipped
    assert publisher.events == [f"{PINGPONG.id}-raised-{PINGPONG.version}"] * 2
    assert PINGPONG.id in store.rows and store.saved is not None


def test_a_broker_failure_stores_nothing():
    cycle, _, store, publisher, _, log = make([PINGPONG])
    publisher.fail = True
    with pytest.raises(PublishFailed):
        cycle.run()
    assert store.rows == {} and store.saved is None and log == []


def test_the_gauge_is_read_from_storage_at_start_up():
    cycle, _, store, _, metrics, _ = make([], progress=Progress(W, 900, {1000: 4}))
    store.rows[PINGPONG.id] = StoredEpisode(PINGPONG, PINGPONG.version)
    cycle.restore()
    assert gauge(metrics, "pingpong") == 1
    assert metrics.registry.get_sample_value("hotline_alerts_watermark_timestamp_seconds") == W / 1000
    # restored: the seconds seen before the restart are not new, the watermark did not move
    assert cycle.run().skipped


def test_an_episode_no_longer_detected_is_withdrawn_and_the_gauge_drops():
    cycle, reader, store, publisher, metrics, _ = make([PINGPONG])
    cycle.run()
    cycle.detect = lambda evaluated: []
    reader.rows.append(IngestedSecond(1001, 1, W - H))
    [c] = cycle.run().changes
    assert (c.change, c.id) == ("closed", PINGPONG.id) and c.episode.detail.startswith("withdrawn")
    assert gauge(metrics, "pingpong") == 0


@pytest.mark.parametrize("days_ago, start", [(10, "2024-02-29T00:00:00+08:00"), (60, "2024-03-08T00:00:00+08:00")])
def test_an_open_episode_pulls_the_range_back_only_within_reach(days_ago, start):
    old = dataclasses.replace(PINGPONG, started_ms=W - days_ago * 86_400_000, detected_ms=W - days_ago * 86_400_000 + H)
    cycle, _, store, _, _, _ = make([old])
    store.rows[old.id] = StoredEpisode(old, old.version)
    evaluated = cycle.run().evaluated
    assert evaluated.start_ms == int(dt.datetime.fromisoformat(start).timestamp() * 1000)


def test_an_episode_the_last_cycle_left_open_is_recomputed_however_far_the_watermark_jumped():
    # the last cycle evaluated up to W − 50 days and left a surge open (started 52 days before W);
    # a backfill then moved the watermark 50 days in one cycle: the range reaches back to the day
    # of the hour before the surge's start, so its own detector decides its closing
    surge = Episode("surge", series_of({"category": "供电"}), W - 52 * 86_400_000, W - 52 * 86_400_000 + 7 * H,
                    W - 51 * 86_400_000, observed=40, expected=20, score=9, method="share-cusum")
    cycle, _, store, _, _, _ = make([], progress=Progress(W - 50 * 86_400_000, 900, {1000: 4}))
    store.rows[surge.id] = StoredEpisode(surge, surge.version)
    evaluated = cycle.run().evaluated
    assert evaluated.start_ms == int(dt.datetime.fromisoformat("2024-01-18T00:00:00+08:00").timestamp() * 1000)


def test_an_open_episode_beyond_the_reach_is_closed_by_its_rule_from_its_stored_evidence():
    # started 60 days before W, last evidence 58 days before: no range reaches it any more
    old = dataclasses.replace(PINGPONG, started_ms=W - 60 * 86_400_000, detected_ms=W - 59 * 86_400_000,
                              updated_ms=W - 58 * 86_400_000)
    cycle, _, store, publisher, metrics, _ = make([])
    store.rows[old.id] = StoredEpisode(old, old.version)
    [c] = cycle.run().changes
    # a ping-pong ticket closes 7 days after its last step: W − 51 days = 2024-01-19 15:20 +08:00
    assert (c.change, c.id, c.episode.closed_ms) == ("closed", old.id, 1_705_648_800_000)
    assert store.rows[old.id].episode.closed_ms == 1_705_648_800_000
    assert gauge(metrics, "pingpong") == 0
    assert cycle.run().skipped  # nothing left to decide
