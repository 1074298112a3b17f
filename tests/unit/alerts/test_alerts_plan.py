"""plan(): the evaluated range; Ingestion: what was ingested since the last cycle."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from services.alerts.plan import IngestedSecond, Ingestion, Range, local_midnight, open_reach_ms, plan

TZ = ZoneInfo("Asia/Shanghai")


def ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp() * 1000)


W = ms("2024-03-10T15:20:00+08:00")


def plan_(**kw) -> Range | None:
    args = dict(watermark_ms=W, last_watermark_ms=None, touched_ms=None, oldest_open_ms=None, live_days=3,
                max_backfill_days=400, tz=TZ)
    return plan(**{**args, **kw})


def test_local_midnight():
    assert local_midnight(W, TZ) == ms("2024-03-10T00:00:00+08:00")
    assert local_midnight(ms("2024-03-10T00:00:00+08:00"), TZ) == ms("2024-03-10T00:00:00+08:00")


def test_live_range_is_the_last_days_from_a_city_midnight():
    assert plan_(touched_ms=W - 1000) == Range(ms("2024-03-08T00:00:00+08:00"), W)


def test_nothing_ingested_and_the_same_watermark_is_skipped():
    assert plan_(last_watermark_ms=W) is None
    assert plan_(last_watermark_ms=W - 1) == Range(ms("2024-03-08T00:00:00+08:00"), W)


def test_no_ticket_event_yet_is_skipped():
    assert plan_(watermark_ms=0, touched_ms=5) is None


def test_a_backfill_reaches_back_to_its_oldest_day():
    got = plan_(last_watermark_ms=W, touched_ms=ms("2024-01-15T08:30:00+08:00"))
    assert got == Range(ms("2024-01-15T00:00:00+08:00"), W)


def test_a_backfill_never_reaches_further_than_the_limit():
    got = plan_(touched_ms=ms("2019-01-01T08:00:00+08:00"), max_backfill_days=10)
    assert got == Range(ms("2024-02-29T00:00:00+08:00"), W)


def test_an_open_episode_pulls_the_range_to_the_day_of_the_hour_before_its_start():
    got = plan_(touched_ms=W - 1000, oldest_open_ms=ms("2024-03-01T00:30:00+08:00"))
    assert got == Range(ms("2024-02-29T00:00:00+08:00"), W)
    later = plan_(touched_ms=W - 1000, oldest_open_ms=ms("2024-03-01T05:00:00+08:00"))
    assert later == Range(ms("2024-03-01T00:00:00+08:00"), W)


def test_the_open_reach_counts_from_the_watermark_the_last_cycle_evaluated_up_to():
    # a backfill moved the watermark from 1 February to 10 March in one cycle: the episodes that
    # cycle left open (started from 28 December on) are recomputed now
    got = open_reach_ms(watermark_ms=W, last_watermark_ms=ms("2024-02-01T15:20:00+08:00"), open_reach_days=35)
    assert got == ms("2023-12-28T15:20:00+08:00")
    assert open_reach_ms(watermark_ms=W, last_watermark_ms=None, open_reach_days=35) == ms("2024-02-04T15:20:00+08:00")
    assert open_reach_ms(watermark_ms=W, last_watermark_ms=W, open_reach_days=35) == ms("2024-02-04T15:20:00+08:00")


def rows(*triples: tuple[int, int, int]) -> list[IngestedSecond]:
    return [IngestedSecond(*t) for t in triples]


def test_ingestion_reports_the_oldest_event_time_of_new_seconds():
    start = Ingestion(settle_s=0, ingest_lag_s=60)
    touched, after = start.advance(rows((1000, 3, 500), (1001, 2, 900)), now=10.0)
    assert touched == 500
    assert after.from_s == 1001 - 60  # the next read starts the lag before the newest second
    assert start.seen == {}  # advance does not change the state it was called on
    touched, again = after.advance(rows((1000, 3, 500), (1001, 2, 900)), now=20.0)
    assert touched is None
    touched, grown = again.advance(rows((1000, 3, 500), (1001, 4, 200), (1100, 1, 7000)), now=30.0)
    assert touched == 200
    assert grown.from_s == 1100 - 60
    assert set(grown.seen) == {1100}


def test_an_unsettled_second_is_looked_at_again_until_it_settles():
    s0 = Ingestion(settle_s=15, ingest_lag_s=60)
    t1, s1 = s0.advance(rows((1000, 3, 500)), now=100.0)
    t2, s2 = s1.advance(rows((1000, 3, 500)), now=105.0)
    t3, s3 = s2.advance(rows((1000, 3, 500)), now=116.0)
    assert (t1, t2, t3) == (500, 500, None)
    assert s2.settled(105.0) == {} and s3.settled(116.0) == {1000: 3}


def test_restored_seconds_count_as_settled():
    s = Ingestion.restored(15, 60, 940, {1000: 3})
    touched, _ = s.advance(rows((1000, 3, 500)), now=1.0)
    assert touched is None
    touched, _ = s.advance(rows((1000, 3, 500), (1001, 1, 42)), now=1.0)
    assert touched == 42
