"""The replay property: the same events delivered live (in time order, in small batches, while
the service runs) and as a backfill (all at once, shuffled, into a fresh database and alerts
topic) give the same alerts."""

from __future__ import annotations

import uuid

import orjson
import pytest

from tests.integration.alerts.alerts_support import Isolated, backfilled, epoch_ms, story
from tests.integration.ingest.ingest_support import read_topic

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def test_live_and_backfill_give_the_same_alerts(local_stack):
    run = f"rp{uuid.uuid4().hex[:8]}"
    events = story(run)
    last_ms = max(epoch_ms(e["time"]) for e in events)
    with Isolated(local_stack, run) as env:
        env.send_live(events)
        env.wait_done(last_ms)
        live = env.alert_rows()
        live_events = [orjson.loads(r.value) for r in read_topic(env.kafka, env.kafka.topic_alerts, since_ms=0)]

        with backfilled(env, events) as (backfill_db, backfill_topic):
            replayed = env.alert_rows(backfill_db)
            replayed_events = [orjson.loads(r.value) for r in read_topic(env.kafka, backfill_topic, since_ms=0)]

    assert {kind for _, kind, *_ in live} == {"surge", "cluster", "pingpong"}
    assert live == replayed
    # ...and every alert was raised once, with the same event, both ways
    raised = lambda evs: sorted(e["id"] for e in evs if e["type"] == "hotline.alert.raised")  # noqa: E731
    assert raised(live_events) == raised(replayed_events)
    assert sorted({e["subject"] for e in live_events}) == sorted(r[0] for r in live)
