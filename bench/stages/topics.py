"""How many messages the event topics hold: what the consumers of stages 4 and 5 must read.

Stage 1 filled the topics through ingest; a producer retry can publish an event twice, so the
count comes from the broker, not from the simulator's figures: per partition, the end offset
minus the beginning offset (ListOffsets). Exact: ingest's producer is idempotent but not
transactional, so no offset is taken by a transaction marker, and anything retention deleted
is below the beginning offset.
"""

from __future__ import annotations

from kafka import KafkaConsumer, TopicPartition

from hotline.settings import KafkaSettings


def messages(kafka: KafkaSettings) -> int:
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False)
    try:
        parts = [TopicPartition(t, p) for t in (kafka.topic_calls, kafka.topic_tickets)
                 for p in sorted(consumer.partitions_for_topic(t) or ())]
        if not parts:
            raise RuntimeError(f"the broker at {kafka.bootstrap_servers} knows no partition of "
                               f"{kafka.topic_calls} or {kafka.topic_tickets}")
        starts, ends = consumer.beginning_offsets(parts), consumer.end_offsets(parts)
        return sum(ends[tp] - starts[tp] for tp in parts)
    finally:
        consumer.close()
