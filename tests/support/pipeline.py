"""Driving the real pipeline in tests: produce to the real broker, wait for facts in ClickHouse.

What the facts must be comes from the test's side: tests/support/truth.py for entities whose story
is known, tests/support/reference_fold.py for random event sets.
"""

from __future__ import annotations

import os
import signal

import orjson
from kafka import KafkaProducer

from hotline.settings import KafkaSettings
from tests.support.facts_rows import CALL_COLUMNS, TICKET_COLUMNS
from tests.support.waiting import eventually
from tooling.stack.services import SERVICES

# The aggregate worker as the local stack runs it (tests/integration/aggregate/conftest.py).
AGGREGATE = next(s for s in SERVICES if s.name == "aggregate")


def produce(kafka: KafkaSettings, events: list[dict], binary_every: int = 0) -> None:
    """Publish straight to Kafka (as a producer that bypasses ingest would), keyed by subject, on
    the topic of the event's entity (docs/events.md); every `binary_every`-th event in binary mode."""
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all", linger_ms=10,
                      batch_size=256 * 1024)
    for n, e in enumerate(events):
        topic = kafka.topic_calls if e["type"].startswith("hotline.call.") else kafka.topic_tickets
        key = e["subject"].encode()
        if binary_every and n % binary_every == 0:
            headers = [(f"ce_{k}", str(v).encode()) for k, v in e.items() if k != "data"]
            headers.append(("content-type", b"application/json"))
            p.send(topic, key=key, value=orjson.dumps(e["data"]), headers=headers)
        else:
            p.send(topic, key=key, value=orjson.dumps(e))
    p.flush()
    p.close()


def facts_rows(client, database: str, prefix: str) -> tuple[list[tuple], list[tuple]]:
    like = {"p": prefix + "%"}
    return (
        sorted(client.execute(f"SELECT {CALL_COLUMNS} FROM {database}.call_facts FINAL WHERE call_id LIKE %(p)s", like)),
        sorted(client.execute(f"SELECT {TICKET_COLUMNS} FROM {database}.ticket_facts FINAL WHERE ticket_id LIKE %(p)s", like)),
    )


def wait_for(client, database: str, prefix: str, want: tuple[list, list], timeout_s: float = 120) -> tuple[list, list]:
    """The facts of ids starting with `prefix` once they equal `want`; if they do not within
    `timeout_s`, the facts as they are then, so that the caller's `assert got == want` shows
    pytest's difference of the two (more use than the last value alone)."""
    try:
        return eventually(lambda: facts_rows(client, database, prefix), until=lambda got: got == want,
                          timeout_s=timeout_s, interval_s=1, what=f"the facts of {prefix}* to equal the expected")
    except AssertionError:
        return facts_rows(client, database, prefix)


def events_stored(client, database: str, prefix: str) -> int:
    return client.execute(
        f"SELECT uniqExact(subject, source, id) FROM {database}.events WHERE subject LIKE %(p)s", {"p": prefix + "%"}
    )[0][0]


def wait_stored(client, database: str, prefix: str, at_least: int, timeout_s: float = 120) -> int:
    """Until at least `at_least` distinct events of subjects starting with `prefix` are stored."""
    return eventually(lambda: events_stored(client, database, prefix), until=lambda n: n >= at_least,
                      timeout_s=timeout_s, interval_s=0.2, what=f"{at_least} events of {prefix}* stored")


def sigkill(server) -> None:
    """SIGKILL a stack server's process group and wait until it is gone."""
    pid = server.pid()
    assert pid is not None, f"{server.name} is not running"
    os.killpg(pid, signal.SIGKILL)
    eventually(lambda: server.pid() is None, timeout_s=10, interval_s=0.05, what=f"{server.name} gone after SIGKILL")
