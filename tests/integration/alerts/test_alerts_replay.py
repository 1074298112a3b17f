"""The replay property: the same events delivered live (in time order, in small batches, while
the service runs) and as a backfill (all at once, shuffled, into a fresh database and alerts
topic) give the same alerts."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import orjson
import pytest
from kafka import KafkaAdminClient

from hotline import broker
from hotline.events import to_record
from hotline.judge import Accepted, judge
from hotline.settings import ClickHouseSettings, KafkaSettings, PrivacySettings
from hotline.storage import facts, work_calendar
from hotline.storage.event_rows import insert_sql, to_row
from hotline.storage.migrate import migrate
from services.alerts.cycle import Cycle
from services.alerts.metrics import Metrics
from services.alerts.publish import Publisher
from services.alerts.reader import Reader, Storage
from services.alerts.settings import AlertsSettings
from services.alerts.store import AlertStore
from tests.integration.alerts.alerts_support import TZ, Isolated, epoch_ms, story
from tests.integration.ingest.ingest_support import read_topic

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def backfill(env: Isolated, events: list[dict], database: str, topic: str) -> None:
    """Every event at once, shuffled, straight into a fresh database; one detection cycle run
    in this process (as the service runs it) publishing on `topic`."""
    db = env.db
    migrate(db, database)
    work_calendar.sync(db, database, "Asia/Shanghai")
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    rows = []
    for n, e in enumerate(shuffled):
        verdict = judge(e, PrivacySettings().hash_key)
        assert isinstance(verdict, Accepted), verdict
        rows.append(to_row(to_record(verdict.event, TZ), "backfill", 0, n, now))
    db.execute(insert_sql(database), rows)
    facts.rebuild(db, database, "Asia/Shanghai", "ticket")
    settings = AlertsSettings(
        clickhouse=ClickHouseSettings(**{**env.clickhouse.model_dump(), "database": database}),
        kafka=KafkaSettings(**{**env.kafka.model_dump(), "topic_alerts": topic}),
        surge={"baseline_days": 7}, settle_s=0)
    storage = Storage(settings.clickhouse)
    publisher = Publisher(settings.kafka, TZ, 10)
    try:
        cycle = Cycle(settings, Reader(storage), AlertStore(storage, TZ, "backfill"), publisher, Metrics())
        outcome = cycle.run()
        assert not outcome.skipped and outcome.changes
        assert cycle.run().skipped  # nothing left: one cycle did the whole backfill
    finally:
        publisher.close()
        storage.close()


def test_live_and_backfill_give_the_same_alerts(local_stack):
    run = f"rp{uuid.uuid4().hex[:8]}"
    events = story(run)
    last_ms = max(epoch_ms(e["time"]) for e in events)
    backfill_db, backfill_topic = f"alerts_{run}_backfill", f"{run}.backfill.alerts"
    with Isolated(local_stack, run) as env:
        env.send_live(events)
        env.wait_done(last_ms)
        live = env.alert_rows()
        live_events = [orjson.loads(r.value) for r in read_topic(env.kafka, env.kafka.topic_alerts, since_ms=0)]

        broker.ensure_topics(KafkaSettings(**{**env.kafka.model_dump(), "topic_alerts": backfill_topic}))
        try:
            backfill(env, events, backfill_db, backfill_topic)
            replayed = env.alert_rows(backfill_db)
            replayed_events = [orjson.loads(r.value) for r in read_topic(env.kafka, backfill_topic, since_ms=0)]
        finally:
            env.db.execute(f"DROP DATABASE IF EXISTS {backfill_db}")
            admin = KafkaAdminClient(bootstrap_servers=env.kafka.bootstrap_servers)
            try:
                admin.delete_topics([backfill_topic])
            finally:
                admin.close()

    assert {kind for _, kind, *_ in live} == {"surge", "cluster", "pingpong"}
    assert live == replayed
    # ...and every alert was raised once, with the same event, both ways
    raised = lambda evs: sorted(e["id"] for e in evs if e["type"] == "hotline.alert.raised")  # noqa: E731
    assert raised(live_events) == raised(replayed_events)
    assert sorted({e["subject"] for e in live_events}) == sorted(r[0] for r in live)
