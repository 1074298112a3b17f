"""How many messages the event topics hold: what the consumers of stages 4 and 5 must read.

Stage 1 filled the topics through ingest; a producer retry can publish an event twice, so the
count comes from the broker, not from the simulator's figures. Not from ListOffsets
(`end_offsets`): Tansu answers it with less than the partition holds (measured: 54,721 messages,
the end offsets summed to 54,440), so from the high-water mark a fetch response carries, as the
aggregate worker's lag metric does.
"""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition

from hotline.settings import KafkaSettings


class Unknown(Exception):
    """The broker gave no high-water mark for a partition."""


def messages(kafka: KafkaSettings, timeout_s: float = 30.0) -> int:
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False)
    try:
        parts = [TopicPartition(t, p) for t in (kafka.topic_calls, kafka.topic_tickets)
                 for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(parts)
        starts, ends = consumer.beginning_offsets(parts), consumer.end_offsets(parts)
        for tp in parts:  # fetch near the end: cheap, and the answer carries the high-water mark
            consumer.seek(tp, max(ends[tp] - 1, starts[tp]))
        marks: dict[TopicPartition, int] = {}
        deadline = time.monotonic() + timeout_s
        while len(marks) < len(parts):
            consumer.poll(timeout_ms=500, max_records=1000)
            marks.update({tp: hw for tp in parts if (hw := consumer.highwater(tp)) is not None})
            if time.monotonic() > deadline:
                raise Unknown(f"no high-water mark after {timeout_s:.0f} s for "
                              f"{sorted(str(tp) for tp in set(parts) - set(marks))}")
        return sum(marks[tp] - starts[tp] for tp in parts)
    finally:
        consumer.close()
