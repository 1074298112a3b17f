"""The aiokafka seam: the one module of the ingest service that overrides aiokafka's internals.

Why it exists. `AIOKafkaProducer.send` checks an explicitly given partition against the topic's
partitions (`_partition`), and `ClusterMetadata.partitions_for_topic` builds a new set for each
message to do it: measured with py-spy on ingest in a benchmark's stage 1, 7.5 % of the
process's time, about 3 µs per event (docs/performance.md). Ingest gives every message a
partition it has just taken from the same producer's metadata (`Publisher.publish`:
`partitions_for`, then `partition_of`), so the check can never fail here.

Private aiokafka internals used (checked against aiokafka 0.14.0): `AIOKafkaProducer._partition
(topic, partition, key, value, serialized_key, serialized_value)`, which `send` calls to choose
the partition of each message. Overridden: a given partition is returned as it is; without one,
aiokafka's own choice. tests/unit/ingest/test_producer_seam.py fails on any other aiokafka
version or a change of that method or of how `send` calls it.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer

# The version this seam was read against; the upgrade test compares it with what is installed
# and with constraints.txt.
CHECKED_AGAINST = {"aiokafka": "0.14.0"}


class Producer(AIOKafkaProducer):
    """aiokafka's producer, trusting the partition its caller gives (see the module docstring)."""

    def _partition(self, topic: str, partition: int | None, key: Any, value: Any,
                   serialized_key: bytes | None, serialized_value: bytes | None) -> int:
        if partition is not None:
            return partition
        return super()._partition(topic, partition, key, value, serialized_key, serialized_value)
