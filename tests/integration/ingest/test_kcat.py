"""A librdkafka producer publishing straight to the stack's broker: Debian's kcat, run with its
defaults (no configuration file, no -X), in both CloudEvents Kafka binding modes:

- structured: one JSON event per line of kcat's input, the value of its own message;
- binary: `data` as the value, the attributes as `ce_*` headers plus `content-type`.

Key = subject (`-k`), as docs/events.md requires. The aggregate workers must fold these events into
exactly the facts of the reference fold, hash the callers' numbers (none stored in clear), and
dead-letter none of them. One call's events come from two producers whose default partitioners
differ (librdkafka's consistent_random is CRC32 of the key, the Java client's and kafka-python's
murmur2): its events sit on two partitions of the topic, and the facts must not care.

kcat is part of the development environment (scripts/bootstrap.sh installs it): a missing kcat
fails the test, it does not skip it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import shutil
import subprocess
import time
import uuid
import zlib
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2

from hotline.settings import KafkaSettings, PrivacySettings
from tests.support.pipeline import events_stored, expected_rows, produce, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

T0 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # a Monday, a working day
# Callers' numbers as producers write them (digits 1391357880n: unlike any other test's numbers).
CALLERS = {"c1": "139 1357 8801", "c2": "13913578802", "c3": "+86-139-1357-8803", "t1": "139-1357-8804"}


@pytest.fixture(scope="module")
def kcat() -> str:
    path = shutil.which("kcat")
    if path is None:
        pytest.fail("kcat is not installed: this test needs Debian's kcat (librdkafka's command-line "
                    "producer); scripts/bootstrap.sh installs it (apt-get install -y kcat)", pytrace=False)
    return path


def event(subject: str, n: int, type_: str, minutes: float, data: dict[str, Any], source: str = "/pbx/main") -> dict:
    return {"specversion": "1.0", "id": f"{subject}-e{n}", "source": source, "type": f"hotline.{type_}",
            "time": (T0 + dt.timedelta(minutes=minutes)).isoformat(), "subject": subject, "data": data}


def topic_of(kafka: KafkaSettings, e: dict) -> str:
    return kafka.topic_calls if e["type"].startswith("hotline.call.") else kafka.topic_tickets


def run_kcat(kcat: str, home: str, kafka: KafkaSettings, topic: str, key: str, values: list[bytes],
             headers: list[tuple[str, str]] = ()) -> None:
    """`kcat -b … -t topic -k key -P [-H name=value…]`, one message per input line, defaults only
    (HOME points at an empty folder: no ~/.config/kcat.conf; no KCAT_CONFIG)."""
    argv = [kcat, "-b", kafka.bootstrap_servers, "-t", topic, "-k", key, "-P"]
    for name, value in headers:
        argv += ["-H", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if k != "KCAT_CONFIG"} | {"HOME": home}
    assert all(b"\n" not in v for v in values)
    done = subprocess.run(argv, input=b"".join(v + b"\n" for v in values), capture_output=True, env=env, timeout=30)
    # kcat exits 1 when a message was not delivered (acks=all, its default), "% Delivery failed…".
    assert done.returncode == 0 and b"Delivery failed" not in done.stderr, (
        f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode(errors='replace')}")


def structured(kcat: str, home: str, kafka: KafkaSettings, events: list[dict]) -> None:
    """One kcat run: the events of one subject, one JSON event per line."""
    (subject,) = {e["subject"] for e in events}
    (topic,) = {topic_of(kafka, e) for e in events}
    run_kcat(kcat, home, kafka, topic, subject, [orjson.dumps(e) for e in events])


def binary(kcat: str, home: str, kafka: KafkaSettings, e: dict) -> None:
    """One kcat run per event: the headers are the event's attributes."""
    headers = [(f"ce_{name}", e[name]) for name in ("specversion", "id", "source", "type", "time", "subject")]
    run_kcat(kcat, home, kafka, topic_of(kafka, e), e["subject"], [orjson.dumps(e["data"])],
             headers + [("content-type", "application/json")])


def crc32_partition(key: str, partitions: int) -> int:
    """librdkafka's default partitioner (consistent_random) for a non-empty key."""
    return zlib.crc32(key.encode()) % partitions


def murmur2_partition(key: str, partitions: int) -> int:
    """The Java client's default partitioner (kafka-python's and aiokafka's too)."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def split_subject(prefix: str, partitions: int) -> str:
    """A subject the two default partitioners put on different partitions."""
    for n in range(100):
        subject = f"{prefix}{n}"
        if crc32_partition(subject, partitions) != murmur2_partition(subject, partitions):
            return subject
    raise AssertionError("no subject found that the partitioners split")


def dead_letters_since(kafka: KafkaSettings, since_ms: int, marker: bytes, timeout_s: float = 15) -> list:
    """Records of the dead-letter topic written since `since_ms` whose key or value holds `marker`
    (read up to the end offsets taken now)."""
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False,
                             fetch_max_wait_ms=100)
    try:
        parts = [TopicPartition(kafka.topic_deadletter, p) for p in range(kafka.partitions)]
        starts = consumer.offsets_for_times({tp: since_ms for tp in parts})
        ends = consumer.end_offsets(parts)
        todo = {tp: ends[tp] for tp in parts if starts[tp] is not None and starts[tp].offset < ends[tp]}
        if not todo:
            return []
        consumer.assign(list(todo))
        for tp in todo:
            consumer.seek(tp, starts[tp].offset)
        found: list = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end for tp, end in todo.items()):
            assert time.monotonic() < deadline, f"{kafka.topic_deadletter}: not read to the end in {timeout_s} s"
            for records in consumer.poll(timeout_ms=200).values():
                found += [r for r in records if marker in (r.key or b"") or marker in (r.value or b"")]
        return found
    finally:
        consumer.close()


def entities(run: str, partitions: int) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """Five calls and three tickets of this run: subject -> its distinct events."""
    c1, c2, c3, c4 = (f"{run}-c{n}" for n in range(1, 5))
    c5 = split_subject(f"{run}-c5x", partitions)
    t1, t2, t3 = (f"{run}-t{n}" for n in range(1, 4))
    crm = "/crm/main"

    calls = {
        c1: [event(c1, 0, "call.offered", 0, {"direction": "inbound", "caller": CALLERS["c1"]}),
             event(c1, 1, "call.answered", 1, {"agent_id": "a1"}),
             event(c1, 2, "call.ended", 6.5, {})],
        c2: [event(c2, 0, "call.offered", 10, {"direction": "outbound", "line": "talent", "caller": CALLERS["c2"]}),
             event(c2, 1, "call.answered", 10.5, {"agent_id": "a2"}),
             event(c2, 2, "call.ended", 14, {})],
        c3: [event(c3, 0, "call.offered", 20, {"direction": "inbound", "line": "enterprise", "caller": CALLERS["c3"]}),
             event(c3, 1, "call.abandoned", 21, {})],
        c4: [event(c4, 0, "call.offered", 30, {"direction": "inbound"}),
             event(c4, 1, "call.answered", 30.25, {"agent_id": "a1"})],
        c5: [event(c5, 0, "call.offered", 40, {"direction": "inbound"}),
             event(c5, 1, "call.answered", 41, {"agent_id": "a2"}),
             event(c5, 2, "call.ended", 45, {})],
    }
    tickets = {
        t1: [event(t1, 0, "ticket.created", 2, {"requester": "citizen", "channel": "phone", "kind": "non_consult",
                                                 "category": "民生保障", "district": "清江浦区", "call_id": c1,
                                                 "tags": ["epidemic"], "caller": CALLERS["t1"]}, crm),
             event(t1, 1, "ticket.dispatched", 3, {"department": "市住建局",
                                                   "deadline": "2024-03-08T18:00:00+08:00"}, crm),
             event(t1, 2, "ticket.completed", 2 * 1440, {"department": "市住建局"}, crm),
             event(t1, 3, "ticket.evaluation_requested", 2 * 1440 + 5, {}, crm),
             event(t1, 4, "ticket.evaluated", 2 * 1440 + 60,
                   {"service_satisfied": True, "resolution_satisfied": False}, crm)],
        t2: [event(t2, 0, "ticket.created", 15, {"requester": "enterprise", "channel": "web", "kind": "consult",
                                                  "category": "住房保障", "subcategory": "物业"}, crm),
             event(t2, 1, "ticket.answered", 16, {"by": "specialist"}, crm)],
        t3: [event(t3, 0, "ticket.created", 25, {"requester": "citizen", "channel": "110", "kind": "non_consult",
                                                  "category": "民生保障"}, crm),
             event(t3, 1, "ticket.dispatched", 26, {"department": "市公安局"}, crm),
             event(t3, 2, "ticket.dispatched", 95, {"department": "市住建局"}, crm),  # re-dispatched
             event(t3, 3, "ticket.supervised", 1440, {"level": "1"}, crm),
             event(t3, 4, "ticket.completed", 3000, {"department": "市住建局"}, crm)],
    }
    return calls, tickets


def test_kcat_structured_and_binary_reach_the_facts(local_stack, clickhouse, kcat, tmp_path):
    k, db = local_stack.kafka, local_stack.clickhouse.database
    run = f"kcat{uuid.uuid4().hex[:10]}"
    calls, tickets = entities(run, k.partitions)
    (c1, c2, c3, c4, c5), (t1, t2, t3) = calls, tickets
    home = str(tmp_path)
    since_ms = int(time.time() * 1000) - 1000
    started = time.monotonic()

    # Structured mode: c1, t1 whole; c3's offer; c4 whole; t3's creation and second dispatch.
    for events in (calls[c1], tickets[t1], calls[c3][:1], calls[c4], [tickets[t3][0], tickets[t3][2]]):
        structured(kcat, home, k, events)
    # Binary mode: c2, t2 whole; c3's abandonment; t3's first dispatch, supervision, completion;
    # c4's offer a second time (a duplicate across modes: one event, folded once); c5's answer, end.
    for e in (*calls[c2], *tickets[t2], calls[c3][1], *(tickets[t3][i] for i in (1, 3, 4)), calls[c4][0],
              *calls[c5][1:]):
        binary(kcat, home, k, e)
    # c5's offer from kafka-python (murmur2): another partition than kcat's for that key.
    produce(k, calls[c5][:1])
    sent_s = time.monotonic() - started

    want = expected_rows(list(calls.values()), list(tickets.values()))
    assert len(want[0]) == 5 and len(want[1]) == 3
    got = wait_for(clickhouse, db, run, want, timeout_s=25)
    assert got == want, f"facts differ from the reference fold (sent in {sent_s:.1f} s)"

    # Every event stored once (the duplicate folded), none refused.
    distinct = sum(len(es) for es in (*calls.values(), *tickets.values()))
    assert events_stored(clickhouse, db, run) == distinct == 25
    assert dead_letters_since(k, since_ms, run.encode()) == []

    # Where the messages landed: the topic of their entity, keyed by subject; kcat's partition is
    # librdkafka's CRC32 of the key, c5's offer kafka-python's murmur2.
    placed = set(clickhouse.execute(
        f"SELECT DISTINCT subject, topic, partition FROM {db}.events WHERE subject LIKE %(p)s", {"p": run + "%"}))
    want_placed = {(s, k.topic_calls, crc32_partition(s, k.partitions)) for s in calls}
    want_placed |= {(s, k.topic_tickets, crc32_partition(s, k.partitions)) for s in tickets}
    want_placed.add((c5, k.topic_calls, murmur2_partition(c5, k.partitions)))
    assert placed == want_placed

    # Callers: hashed with the platform's key (HMAC-SHA256 of the number without spaces and
    # dashes, recomputed here with the standard library), in clear nowhere.
    key = PrivacySettings().hash_key
    digest = {n: hmac.new(key, CALLERS[n].replace(" ", "").replace("-", "").encode(), hashlib.sha256).hexdigest()
              for n in CALLERS}
    hashes = dict(clickhouse.execute(
        f"SELECT call_id, caller_hash FROM {db}.call_facts FINAL WHERE call_id LIKE %(p)s", {"p": run + "%"}))
    assert hashes == {c1: digest["c1"], c2: digest["c2"], c3: digest["c3"], c4: "", c5: ""}
    stored = clickhouse.execute(f"SELECT * FROM {db}.events WHERE subject LIKE %(p)s", {"p": run + "%"})
    blob = repr(stored) + repr(got)
    assert digest["t1"] in blob  # the ticket's caller, hashed in its stored data
    clear = {shape for number in CALLERS.values()
             for shape in (number, number.replace(" ", "").replace("-", "").removeprefix("+86"))}
    assert {shape for shape in clear if shape in blob} == set()
