"""Every episode closes by its rule, however the stream goes on after its evidence ends.

* A cluster still open when it leaves the cluster detector's seven-day horizon (no later call of
  the detector sees it) closes three days after its last ticket once the stream has run past that
  instant: delivered live, and the same events as one backfill, both store it closed at the same
  instant and publish its closing once.
* A ping-pong ticket left open by a cycle, then a stream that jumps weeks ahead in one go (a
  backlog arriving at once): the next cycle still closes it seven days after its last step,
  although the watermark is then further from it than the reach that pulls open episodes back.
"""

from __future__ import annotations

import datetime as dt
import uuid

import orjson
import pytest

from services.alerts.episode import episode_id, series_of
from tests.integration.alerts.alerts_support import (
    CELL, TZ, Isolated, backfilled, created, epoch_ms, event, pingpong_story,
)
from tests.integration.ingest.ingest_support import read_topic
from tests.support.pipeline import produce

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

DAY0 = dt.datetime(2024, 6, 3, tzinfo=TZ)  # a Monday


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def quiet_days(first: int, last: int) -> list[tuple[dt.datetime, dict]]:
    """One ticket a day (09:05) of a series without a place: it moves the watermark and nothing
    else (one a day is below the surge detector's watched size, and a cluster needs a place)."""
    return [(DAY0 + dt.timedelta(days=d, hours=9, minutes=5), created("城乡建设", "清河区", "道路维修"))
            for d in range(first, last + 1)]


def cluster_story(run: str) -> list[dict]:
    """Five tickets from five callers in one cell on 4 June (detected at the fifth, 12:03), three
    more each within three days of the one before, the last on 10 June 20:00; the cluster leaves
    the detector's horizon on 11 June 12:03, still open, and closes on 13 June 20:00. The stream
    runs on to 3 July."""
    place = {"community": f"{run}社区", "h3": CELL}
    tickets = quiet_days(0, 30) + [
        *((at(f"2024-06-04T{h}+08:00"), created("市容环卫", "清江浦区", "噪音扰民", place))
          for h in ("10:03:00", "10:33:00", "11:03:00", "11:33:00", "12:03:00")),
        *((at(t), created("市容环卫", "清江浦区", "噪音扰民", place))
          for t in ("2024-06-06T12:00:00+08:00", "2024-06-08T12:00:00+08:00", "2024-06-10T20:00:00+08:00")),
    ]
    tickets.sort(key=lambda x: x[0])
    return [event(run, n, "created", f"{run}-t{n}", when, data) for n, (when, data) in enumerate(tickets)]


def alert_events(env: Isolated, topic: str, alert_id: str) -> list[dict]:
    return [e for e in (orjson.loads(r.value) for r in read_topic(env.kafka, topic, since_ms=0))
            if e["subject"] == alert_id]


def stored(env: Isolated, database: str) -> list[tuple]:
    return env.db.execute(
        f"SELECT id, kind, started_ms, detected_ms, updated_ms, closed_ms, status, callers, detail "
        f"FROM {database}.alerts FINAL ORDER BY id")


def test_a_cluster_open_when_it_leaves_the_horizon_closes_three_days_after_its_last_ticket(local_stack):
    run = f"cc{uuid.uuid4().hex[:8]}"
    events = cluster_story(run)
    series = series_of({"subcategory": "噪音扰民", "h3": CELL, "district": "清江浦区"})
    alert_id = episode_id("cluster", series, epoch_ms("2024-06-04T10:03:00+08:00"))
    expected = [(alert_id, "cluster", epoch_ms("2024-06-04T10:03:00+08:00"), epoch_ms("2024-06-04T12:03:00+08:00"),
                 epoch_ms("2024-06-10T20:00:00+08:00"), epoch_ms("2024-06-13T20:00:00+08:00"), "closed", 8,
                 "8 tickets from 8 callers")]
    with Isolated(local_stack, run) as env:
        env.send_live(events)
        env.wait_done(epoch_ms("2024-07-03T09:05:00+08:00"))
        assert stored(env, env.clickhouse.database) == expected
        live = alert_events(env, env.kafka.topic_alerts, alert_id)
        assert [e["type"] for e in live].count("hotline.alert.raised") == 1
        [closed] = [e for e in live if e["type"] == "hotline.alert.closed"]
        assert closed["time"] == "2024-06-13T20:00:00.000+08:00"
        assert closed["data"]["closed_at"] == "2024-06-13T20:00:00.000+08:00"
        assert env.metrics()[("hotline_alerts_open", (("kind", "cluster"),))] == 0

        with backfilled(env, events) as (database, topic):
            assert stored(env, database) == expected
            replayed = alert_events(env, topic, alert_id)
            assert [e["type"] for e in replayed] == ["hotline.alert.raised", "hotline.alert.closed"]
            assert replayed[1]["id"] == closed["id"]  # the same closing, the same event id


def test_an_episode_left_open_before_the_watermark_jumps_weeks_ahead_is_closed(local_stack):
    run = f"cj{uuid.uuid4().hex[:8]}"
    # created 09:00, dispatched to A 10:00, returned, to B 12:00, returned, to A again 14:00: raised
    # at 14:00 (back to the department that returned it, and its third dispatch)
    ticket = pingpong_story(run, at("2024-06-03T09:00:00+08:00"))
    backlog = [event(run, 100 + n, "created", f"{run}-q{n}", when, data)
               for n, (when, data) in enumerate(quiet_days(49, 52))]  # 22 to 25 July
    series = series_of({"ticket_id": f"{run}-pp", "departments": "A局→B局→A局"})
    alert_id = episode_id("pingpong", series, epoch_ms("2024-06-03T10:00:00+08:00"))
    with Isolated(local_stack, run) as env:
        produce(env.kafka, ticket)
        env.wait_stored(len(ticket))
        env.wait_done(epoch_ms("2024-06-03T14:00:00+08:00"))
        assert [r[6] for r in stored(env, env.clickhouse.database)] == ["open"]

        # seven weeks later at once: every later cycle's range starts on 20 July or after, and its
        # watermark is more than the 35-day reach past the ticket's first dispatch
        produce(env.kafka, backlog)
        env.wait_stored(len(ticket) + len(backlog))
        env.wait_done(epoch_ms("2024-07-25T09:05:00+08:00"))

        assert stored(env, env.clickhouse.database) == [
            (alert_id, "pingpong", epoch_ms("2024-06-03T10:00:00+08:00"), epoch_ms("2024-06-03T14:00:00+08:00"),
             epoch_ms("2024-06-03T14:00:00+08:00"), epoch_ms("2024-06-10T14:00:00+08:00"), "closed", 0,
             "rules redispatched_to_returner,dispatches; dispatched A局→B局→A局; 2 returns")]
        published = alert_events(env, env.kafka.topic_alerts, alert_id)
        assert [e["type"] for e in published] == ["hotline.alert.raised", "hotline.alert.closed"]
        assert published[1]["data"]["closed_at"] == "2024-06-10T14:00:00.000+08:00"
        assert env.metrics()[("hotline_alerts_open", (("kind", "pingpong"),))] == 0
