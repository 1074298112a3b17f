"""Driving the real pipeline in tests: produce to the real broker, wait for facts in ClickHouse,
compare them with the reference fold."""

from __future__ import annotations

import os
import signal
import time
from zoneinfo import ZoneInfo

import orjson
from kafka import KafkaProducer

from hotline.contract import entity_of, validate_event
from hotline.events import to_record
from hotline.fold import fold_call, fold_ticket
from hotline.privacy import scrub_caller
from hotline.settings import KafkaSettings, PrivacySettings
from tests.support.facts_rows import CALL_COLUMNS, TICKET_COLUMNS, call_row, ticket_row

SHANGHAI = ZoneInfo("Asia/Shanghai")


def produce(kafka: KafkaSettings, events: list[dict], binary_every: int = 0) -> None:
    """Publish straight to Kafka (as a producer that bypasses ingest would); every
    `binary_every`-th event in binary mode."""
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all", linger_ms=10,
                      batch_size=256 * 1024)
    for n, e in enumerate(events):
        topic = kafka.topic_calls if entity_of(e["type"]) == "call" else kafka.topic_tickets
        key = e["subject"].encode()
        if binary_every and n % binary_every == 0:
            headers = [(f"ce_{k}", str(v).encode()) for k, v in e.items() if k != "data"]
            headers.append(("content-type", b"application/json"))
            p.send(topic, key=key, value=orjson.dumps(e["data"]), headers=headers)
        else:
            p.send(topic, key=key, value=orjson.dumps(e))
    p.flush()
    p.close()


def expected_rows(calls: list[list[dict]], tickets: list[list[dict]]) -> tuple[list[tuple], list[tuple]]:
    key = PrivacySettings().hash_key
    rec = lambda es: [to_record(scrub_caller(validate_event(e), key), SHANGHAI) for e in es]  # noqa: E731
    return (sorted(call_row(fold_call(es[0]["subject"], rec(es))) for es in calls),
            sorted(ticket_row(fold_ticket(es[0]["subject"], rec(es))) for es in tickets))


def facts_rows(client, database: str, prefix: str) -> tuple[list[tuple], list[tuple]]:
    like = {"p": prefix + "%"}
    return (
        sorted(client.execute(f"SELECT {CALL_COLUMNS} FROM {database}.call_facts FINAL WHERE call_id LIKE %(p)s", like)),
        sorted(client.execute(f"SELECT {TICKET_COLUMNS} FROM {database}.ticket_facts FINAL WHERE ticket_id LIKE %(p)s", like)),
    )


def wait_for(client, database: str, prefix: str, want: tuple[list, list], timeout_s: float = 120) -> tuple[list, list]:
    """Poll until the facts equal `want` or the time is up; returns what was last seen."""
    deadline = time.monotonic() + timeout_s
    got = facts_rows(client, database, prefix)
    while got != want and time.monotonic() < deadline:
        time.sleep(1)
        got = facts_rows(client, database, prefix)
    return got


def events_stored(client, database: str, prefix: str) -> int:
    return client.execute(
        f"SELECT uniqExact(subject, source, id) FROM {database}.events WHERE subject LIKE %(p)s", {"p": prefix + "%"}
    )[0][0]


def sigkill(server) -> None:
    """SIGKILL a stack server's process group and wait until it is gone."""
    pid = server.pid()
    assert pid is not None, f"{server.name} is not running"
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while server.pid() is not None:
        assert time.monotonic() < deadline, f"{server.name} survived SIGKILL"
        time.sleep(0.05)
