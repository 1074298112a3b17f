"""What a broker restart keeps: the local Apache Kafka, stopped or SIGKILLed and started again,
still has its topics, every message and a consumer group's committed offsets (its log is on
disk under the state folder); `down --purge` is what deletes them."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from hotline import broker as broker_admin
from hotline.settings import KafkaSettings, StackSettings
from tooling.stack.broker_server import LocalBroker, LocalKafkaSettings
from tooling.stack.process import port_free
from tests.support.waiting import eventually

pytestmark = pytest.mark.stack

REPO = Path(__file__).resolve().parents[3]


def _produce_and_commit(kafka: KafkaSettings, n: int, committed: int) -> None:
    p = KafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    for i in range(n):
        p.send(kafka.topic_calls, key=b"k", value=f"m{i}".encode(), partition=0)
    p.flush()
    p.close()
    c = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, group_id="restart-test", enable_auto_commit=False)
    c.commit({TopicPartition(kafka.topic_calls, 0): OffsetAndMetadata(committed, "", -1)})
    c.close()


def _what_is_left(kafka: KafkaSettings) -> tuple[set[str], int | None, int]:
    c = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, group_id="restart-test", enable_auto_commit=False,
                      consumer_timeout_ms=3000)
    topics = c.topics()
    tp = TopicPartition(kafka.topic_calls, 0)
    committed = c.committed(tp) if kafka.topic_calls in topics else None
    n = 0
    if kafka.topic_calls in topics:
        c.assign([tp])
        c.seek_to_beginning(tp)
        n = sum(1 for _ in c)
    c.close()
    return topics, committed, n


@pytest.mark.parametrize("how, port", [("stopped", 22840), ("sigkill", 22850)])
def test_broker_restart_keeps_topics_messages_and_offsets(how, port, tmp_path):
    stack = StackSettings(state_dir=tmp_path / "state")
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}", partitions=2)
    broker = LocalBroker(stack, kafka, LocalKafkaSettings(controller_port=port + 1))
    try:
        broker.start()
        broker_admin.ensure_topics(kafka)
        _produce_and_commit(kafka, 100, committed=40)
        assert _what_is_left(kafka)[1:] == (40, 100)
        if how == "sigkill":
            pid = broker.pid()
            assert pid is not None
            os.killpg(pid, signal.SIGKILL)  # no clean shutdown: the log is recovered at start
            broker.process.stop()  # reaps it and forgets the PID file
        else:
            broker.stop()
        assert broker.pid() is None
        # The kernel lets go of a killed process' sockets a moment after it is reaped.
        eventually(lambda: all(port_free("127.0.0.1", p) for p in (port, port + 1)), timeout_s=30, interval_s=0.1,
                   what=f"ports {port} and {port + 1} free again")
        broker.start()
        topics, committed, messages = _what_is_left(kafka)
        assert set(kafka.topics) <= topics and (committed, messages) == (40, 100)
    finally:
        broker.stop()
