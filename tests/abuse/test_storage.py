"""What the abuse stack's Kafka and ClickHouse hold after abusive requests: nothing invalid got
in, and nothing accepted was lost.

The module sends abusive requests of its own first (a maximal batch, a batch of 10,000 empty
objects, SQL-looking values, deep nesting, hundreds of extension attributes in binary mode), so
that it means the same whichever abuse modules ran before it, or none; then it reads back
everything on the stack, what they let through included:

- every record on the calls and tickets topics is a valid event (hotline.contract), on the
  topic of its type, keyed by its subject, with no caller number in clear;
- every dead letter is a well-formed record (reasons, producer, stage, the omitted list);
- every row of `hotline.events`, read back as an event, is valid, of the entity of its type;
- the events table holds exactly the (source, id) pairs on the topics, once the worker caught up;
- the SQL-looking values came back verbatim, and every table of `hotline` is still there.
"""

from __future__ import annotations

import uuid

import orjson
import pytest

from hotline.contract import CALL_TYPES, EVENT_TYPES, InvalidEvent, validate_event
from hotline.storage.client import connect
from tests.integration.ingest.ingest_support import read_topic
from tests.support.abuse import (
    AUTH, BATCH, MAX_BATCH, SQL, STRUCTURED, client, dumps_deep, event, event_of_row, post_head, raw_request,
    sql_events,
)
from tests.support.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

TABLES = {"events", "call_facts", "ticket_facts"}  # a few of the tables the migrations made
COLUMNS = ("entity", "subject", "source", "id", "type", "time_ms", "data", "extensions")


@pytest.fixture(scope="module")
def sent(abuse_stack) -> str:
    """This module's own abusive traffic, every request answered; returns its run marker."""
    run = f"st{uuid.uuid4().hex[:8]}"
    with client(abuse_stack, "ingest") as ingest:
        def post(body: bytes, content_type: str = BATCH, **headers: str):
            return ingest.post("/v1/events", content=body, headers={**AUTH, "content-type": content_type, **headers})

        r = post(orjson.dumps([event(run, f"huge-{i}") for i in range(MAX_BATCH)]))
        assert r.status_code == 200 and r.json()["accepted"] == MAX_BATCH, r.text[:300]
        r = post(orjson.dumps([{}] * MAX_BATCH))  # all rejected: 10,000 dead letters
        assert r.status_code == 422 and r.json()["rejected"] == MAX_BATCH, r.text[:300]
        r = post(orjson.dumps(sql_events(run)))
        assert r.status_code in (200, 207), r.text[:500]
        assert post(dumps_deep(event(run, "deep"), 252), STRUCTURED).status_code == 200
    binary = {"authorization": "Bearer dev-token", "content-type": "application/json", "ce-specversion": "1.0",
              "ce-id": f"{run}-ext", "ce-source": "/abuse/bin", "ce-type": "hotline.call.ended",
              "ce-subject": f"call-{run}-ext", "ce-time": "2024-03-01T08:00:00Z", "ce-note": "%E4%BD%A0%E5%A5%BD",
              **{f"ce-e{i}": "v" for i in range(500)}}
    status, _, answer = raw_request(abuse_stack.port("ingest"), post_head("/v1/events", binary, 2), b"{}")
    assert status in (200, 422), answer[:300]
    return run


@pytest.fixture(scope="module")
def on_topics(abuse_stack, sent):
    kafka = abuse_stack.kafka
    return {topic: read_topic(kafka, topic, timeout_s=60, since_ms=0)  # all of it: the stack is the suite's own
            for topic in (kafka.topic_calls, kafka.topic_tickets, kafka.topic_deadletter)}


@pytest.fixture(scope="module")
def rows(abuse_stack, on_topics):
    """Every row of hotline.events, once it holds every accepted (source, id) (at most 120 s)."""
    kafka = abuse_stack.kafka
    wanted = {(e["source"], e["id"]) for topic in (kafka.topic_calls, kafka.topic_tickets)
              for e in (orjson.loads(r.value) for r in on_topics[topic])}
    ch = connect(abuse_stack.clickhouse)
    try:
        got = eventually(lambda: ch.execute(f"SELECT {', '.join(COLUMNS)} FROM hotline.events FINAL"),
                         until=lambda got: wanted <= {(r[2], r[3]) for r in got}, timeout_s=120, interval_s=1,
                         what=f"the {len(wanted)} accepted events in hotline.events")
        tables = {name for (name,) in ch.execute("SELECT name FROM system.tables WHERE database = 'hotline'")}
    finally:
        ch.disconnect()
    return wanted, [dict(zip(COLUMNS, r)) for r in got], tables


def test_every_event_on_the_topics_is_valid(abuse_stack, on_topics):
    kafka = abuse_stack.kafka
    count = 0
    for topic in (kafka.topic_calls, kafka.topic_tickets):
        for record in on_topics[topic]:
            e = orjson.loads(record.value)
            try:
                validate_event(e)
            except InvalidEvent as exc:
                pytest.fail(f"{topic} offset {record.offset}: {exc.violations}")
            assert (e["type"] in CALL_TYPES) == (topic == kafka.topic_calls), (topic, e["type"])
            assert record.key == e["subject"].encode()
            assert "caller" not in e["data"]
            count += 1
    print(f"{count} events on the calls and tickets topics, all valid")
    assert count > MAX_BATCH  # this module's maximal batch alone is 10,000


def test_every_dead_letter_is_well_formed(abuse_stack, on_topics):
    letters = on_topics[abuse_stack.kafka.topic_deadletter]
    for record in letters:
        d = orjson.loads(record.value)
        assert {"reasons", "producer", "received_at", "stage", "omitted"} <= set(d), d.keys()
        assert d["reasons"] and all(set(r) == {"path", "rule"} for r in d["reasons"])
        assert d["stage"] in ("ingest", "aggregate")
    print(f"{len(letters)} dead letters, all well-formed")
    assert len(letters) >= MAX_BATCH  # this module's batch of 10,000 empty objects


def test_every_row_in_clickhouse_is_valid_and_nothing_was_lost(rows):
    wanted, got, _ = rows
    for row in got:
        e = event_of_row(row)
        try:
            validate_event(e)
        except InvalidEvent as exc:
            pytest.fail(f"row {row['source']!r} {row['id']!r}: {exc.violations}")
        assert row["type"] in EVENT_TYPES and row["entity"] == ("call" if row["type"] in CALL_TYPES else "ticket")
        assert "caller" not in e["data"]
    stored = {(r["source"], r["id"]) for r in got}
    print(f"{len(got)} rows in hotline.events; {len(wanted)} distinct events accepted")
    assert stored == wanted  # nothing lost, nothing that was not accepted


def test_sql_looking_values_came_back_verbatim_and_every_table_is_there(rows):
    _, got, tables = rows
    sources = {r["source"] for r in got}
    for text in SQL:
        assert f"/abuse/{text.replace(chr(0), '')}" in sources, text
    assert TABLES <= tables
