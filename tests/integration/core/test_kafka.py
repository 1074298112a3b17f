"""Real Kafka-protocol broker from the local stack: topics, produce with acks=all, consume back."""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from hotline import broker

pytestmark = pytest.mark.kafka


def test_topics_exist_with_configured_partitions(kafka_settings):
    assert broker.ensure_topics(kafka_settings) == {
        "hotline.calls.v1": 8,
        "hotline.tickets.v1": 8,
        "hotline.deadletter.v1": 8,
        "hotline.alerts.v1": 8,
    }


def test_produce_then_consume_by_key(kafka_settings):
    run = uuid.uuid4().hex
    producer = KafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all")
    sent = {}
    for i in range(200):
        key = f"call-{run}-{i % 20}".encode()
        value = f'{{"n": {i}, "run": "{run}"}}'.encode()
        md = producer.send("hotline.calls.v1", key=key, value=value).get(timeout=10)
        sent[(md.partition, md.offset)] = (key, value)
    producer.close()

    # Same key, same partition: a call's events stay in order for one consumer.
    by_key: dict[bytes, set[int]] = {}
    for (partition, _), (key, _) in sent.items():
        by_key.setdefault(key, set()).add(partition)
    assert len(by_key) == 20
    assert all(len(parts) == 1 for parts in by_key.values())

    consumer = KafkaConsumer(
        bootstrap_servers=kafka_settings.bootstrap_servers, enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )
    # From the first offset this test wrote on each partition: what other tests left on the
    # shared topic before it is not read (their number depends on the order tests ran in).
    first = {}
    for partition, offset in sent:
        first[partition] = min(offset, first.get(partition, offset))
    parts = [TopicPartition("hotline.calls.v1", p) for p in sorted(first)]
    consumer.assign(parts)
    for tp in parts:
        consumer.seek(tp, first[tp.partition])
    got = {}
    for msg in consumer:
        if run.encode() in msg.value:
            got[(msg.partition, msg.offset)] = (msg.key, msg.value)
        if len(got) == len(sent):
            break
    consumer.close()
    assert got == sent
