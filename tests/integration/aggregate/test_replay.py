"""Replay from the topics and rebuild from the archive: both reproduce the facts, idempotently."""

from __future__ import annotations

import datetime as dt
import uuid

import orjson
import pytest

from hotline.settings import ClickHouseSettings, KafkaSettings, PrivacySettings
from hotline.storage import facts, work_calendar
from hotline.storage.client import connect
from hotline.storage.migrate import migrate
from services.aggregate.replay import replay
from services.aggregate.settings import AggregateSettings
from tests.integration.ingest.ingest_support import read_topic
from tests.support import bulk, truth
from tests.support.pipeline import facts_rows, produce, wait_for
from tests.support.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


@pytest.fixture
def fresh_db(local_stack):
    name = f"replay_{uuid.uuid4().hex[:10]}"
    client = connect(local_stack.clickhouse, database=False)
    migrate(client, name)
    work_calendar.sync(client, name, "Asia/Shanghai")  # the library's calendar, as `hotline up` does
    yield name, client
    client.execute(f"DROP DATABASE IF EXISTS {name}")
    client.disconnect()


def settings_for(local_stack, database: str) -> AggregateSettings:
    ch = ClickHouseSettings(**{**local_stack.clickhouse.model_dump(), "database": database})
    return AggregateSettings(clickhouse=ch, kafka=local_stack.kafka)


def test_replay_since_then_rebuild(local_stack, fresh_db):
    name, client = fresh_db
    run = f"r{uuid.uuid4().hex[:10]}"
    calls, tickets = bulk.entities(seed=21, run=run, events=3_000)
    want = truth.rows(calls, tickets, PrivacySettings().hash_key)
    stories = [c.events() for c in calls] + [t.events() for t in tickets]
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=2)
    produce(local_stack.kafka, bulk.at_least_once(21, stories))
    # The stack's own worker folds them into `hotline`; the replay goes to a fresh database.
    assert wait_for(client, local_stack.clickhouse.database, run, want) == want

    lines: list[str] = []
    first = replay(settings_for(local_stack, name), since=since, say=lines.append)
    assert first.written >= sum(len(es) for es in stories)
    assert facts_rows(client, name, run) == want
    again = replay(settings_for(local_stack, name), since=since, say=lines.append)
    assert again.messages == first.messages
    assert facts_rows(client, name, run) == want  # replaying twice changes nothing

    client.execute(f"TRUNCATE TABLE {name}.ticket_facts")
    client.execute(f"TRUNCATE TABLE {name}.call_facts")
    assert facts_rows(client, name, run) == ([], [])
    for entity in ("call", "ticket"):
        facts.refold_state(client, name, entity)
        facts.rebuild(client, name, "Asia/Shanghai", entity)
    assert facts_rows(client, name, run) == want


def test_invalid_event_on_kafka_goes_to_deadletter(local_stack):
    run = f"d{uuid.uuid4().hex[:10]}"
    k: KafkaSettings = local_stack.kafka
    bad = {"specversion": "1.0", "id": f"{run}-1", "source": "/pbx/main", "type": "hotline.call.offered",
           "time": "2023-03-06T09:00+08:00", "subject": run, "data": {"direction": "up", "caller": "13912345678"}}
    produce(k, [bad])
    found = eventually(lambda: [r for r in read_topic(k, k.topic_deadletter, run.encode()) if r.key == run.encode()],
                       timeout_s=60, interval_s=0.5, what=f"the aggregate's dead letter keyed {run}")[0]
    record = orjson.loads(found.value)
    assert record["stage"] == "aggregate" and record["topic"] == k.topic_calls
    assert {r["path"] for r in record["reasons"]} == {"time", "data.direction"}
    assert b"13912345678" not in found.value
    assert "caller_hash" in record["event"]["data"]
