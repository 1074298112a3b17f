"""A librdkafka producer publishing straight to the stack's broker: Debian's kcat, run with its
defaults (no configuration file, no -X), in both CloudEvents Kafka binding modes:

- structured: one JSON event per line of kcat's input, the value of its own message;
- binary: `data` as the value, the attributes as `ce_*` headers plus `content-type`.

Key = subject (`-k`), as docs/events.md requires. The aggregate workers must fold these events into
exactly the facts their stories call for (tests/support/truth.py), hash the callers' numbers (none
stored in clear), and
dead-letter none of them. One call's events come from two producers whose default partitioners
differ (librdkafka's consistent_random is CRC32 of the key, the Java client's and kafka-python's
murmur2): its events sit on two partitions of the topic, and the facts must not care.

kcat is part of the development environment (scripts/bootstrap.sh installs it): a missing kcat
fails the test, it does not skip it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
import uuid
import zlib

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2

from hotline.settings import KafkaSettings, PrivacySettings
from tests.support import truth
from tests.support.caller_rule import caller_hash
from tests.support.pipeline import events_stored, produce, wait_for
from tests.support.truth import Call, Dispatch, Evaluation, Ticket
from tests.support.waiting import eventually

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


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


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

        def read_on() -> dict:
            """Reads what the next poll brings; the partitions not read to their end yet."""
            for records in consumer.poll(timeout_ms=200).values():
                found.extend(r for r in records if marker in (r.key or b"") or marker in (r.value or b""))
            return {tp: end for tp, end in todo.items() if consumer.position(tp) < end}

        eventually(read_on, until=lambda left: not left, timeout_s=timeout_s, interval_s=0,
                   what=f"{kafka.topic_deadletter} read to its end offsets")
        return found
    finally:
        consumer.close()


def entities(run: str, partitions: int) -> tuple[dict[str, Call], dict[str, Ticket]]:
    """Five calls and three tickets of this run, by subject."""
    c1, c2, c3, c4 = (f"{run}-c{n}" for n in range(1, 5))
    c5 = split_subject(f"{run}-c5x", partitions)
    t1, t2, t3 = (f"{run}-t{n}" for n in range(1, 4))
    calls = [
        Call(c1, at(0), "inbound", caller=CALLERS["c1"], answered=at(1), agent_id="a1", ended=at(6.5)),
        Call(c2, at(10), "outbound", line="talent", caller=CALLERS["c2"], answered=at(10.5), agent_id="a2", ended=at(14)),
        Call(c3, at(20), "inbound", line="enterprise", caller=CALLERS["c3"], abandoned=at(21)),
        Call(c4, at(30), "inbound", answered=at(30.25), agent_id="a1"),
        Call(c5, at(40), "inbound", answered=at(41), agent_id="a2", ended=at(45)),
    ]
    tickets = [
        # dispatched, completed two working days later (Mon 09:02 -> Wed 09:00), evaluated
        Ticket(t1, at(2), "citizen", "phone", "non_consult", "民生保障", district="清江浦区", call_id=c1,
               tags=("epidemic",), caller=CALLERS["t1"],
               dispatches=(Dispatch(at(3), "市住建局", dt.datetime(2024, 3, 8, 18, 0, tzinfo=T0.tzinfo)),),
               completed=at(2 * 1440), evaluation_requested=(at(2 * 1440 + 5),),
               evaluations=(Evaluation(at(2 * 1440 + 60), service_satisfied=True, resolution_satisfied=False),)),
        Ticket(t2, at(15), "enterprise", "web", "consult", "住房保障", subcategory="物业", answered=(at(16), "specialist")),
        # re-dispatched, supervised, completed by the second department
        Ticket(t3, at(25), "citizen", "110", "non_consult", "民生保障",
               dispatches=(Dispatch(at(26), "市公安局"), Dispatch(at(95), "市住建局")),
               supervised=(at(1440),), completed=at(3000)),
    ]
    return {c.call_id: c for c in calls}, {t.ticket_id: t for t in tickets}


def test_kcat_structured_and_binary_reach_the_facts(local_stack, clickhouse, kcat, tmp_path):
    k, db = local_stack.kafka, local_stack.clickhouse.database
    run = f"kcat{uuid.uuid4().hex[:10]}"
    key = PrivacySettings().hash_key
    truths = entities(run, k.partitions)
    want = truth.rows(truths[0].values(), truths[1].values(), key)
    calls = {subject: c.events() for subject, c in truths[0].items()}
    tickets = {subject: t.events() for subject, t in truths[1].items()}
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

    assert len(want[0]) == 5 and len(want[1]) == 3
    got = wait_for(clickhouse, db, run, want, timeout_s=25)
    assert got == want, f"facts differ from the stories' (sent in {sent_s:.1f} s)"

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
    # dashes, recomputed on the test side: tests/support/caller_rule.py), in clear nowhere.
    digest = {n: caller_hash(key, CALLERS[n]) for n in CALLERS}
    hashes = dict(clickhouse.execute(
        f"SELECT call_id, caller_hash FROM {db}.call_facts FINAL WHERE call_id LIKE %(p)s", {"p": run + "%"}))
    assert hashes == {c1: digest["c1"], c2: digest["c2"], c3: digest["c3"], c4: "", c5: ""}
    stored = clickhouse.execute(f"SELECT * FROM {db}.events WHERE subject LIKE %(p)s", {"p": run + "%"})
    blob = repr(stored) + repr(got)
    assert digest["t1"] in blob  # the ticket's caller, hashed in its stored data
    clear = {shape for number in CALLERS.values()
             for shape in (number, number.replace(" ", "").replace("-", "").removeprefix("+86"))}
    assert {shape for shape in clear if shape in blob} == set()
