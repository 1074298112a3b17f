"""Kafka-protocol broker helpers shared by the stack and the services: reachability and topics.

Plain Kafka only (kafka-python's admin client): what works against the local Apache Kafka works
unchanged against a managed one.
"""

from __future__ import annotations

import time

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaConfigurationError, KafkaError, TopicAlreadyExistsError

from hotline.errors import StackError
from hotline.settings import KafkaSettings


def admin(settings: KafkaSettings, timeout_ms: int = 5000) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        client_id="hotline-admin",
        request_timeout_ms=timeout_ms,
    )


def reachable(settings: KafkaSettings, timeout_ms: int = 2000) -> bool:
    """True when a metadata request to the broker succeeds."""
    try:
        client = admin(settings, timeout_ms)
    except KafkaConfigurationError:
        raise  # our bug, not an unreachable broker
    except (KafkaError, OSError):
        return False
    try:
        client.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        client.close()


def ensure_topics(settings: KafkaSettings) -> dict[str, int]:
    """Create the platform's topics (KafkaSettings.all_topics: the event topics, the dead letters
    and the alerts) with explicit partition counts; returns name -> partitions.

    Idempotent. A topic that already exists with another partition count is reported, not
    changed: repartitioning moves keys between partitions and must be a deliberate act.
    """
    try:
        return _ensure_topics(settings)
    except KafkaConfigurationError:
        raise
    except KafkaError as exc:
        raise StackError(f"broker at {settings.bootstrap_servers}: cannot create topics: {exc}") from exc


def _partitions(client: KafkaAdminClient, settings: KafkaSettings, wait_s: float = 15.0) -> dict[str, int]:
    """name -> partition count. A topic just created may be described with no partitions until
    its metadata reaches the broker's cache (Apache Kafka: a few hundred ms); wait for them."""
    deadline = time.monotonic() + wait_s
    while True:
        # kafka-python 3 names the key "name", 2.x "topic".
        found = {t.get("name", t.get("topic")): len(t["partitions"]) for t in client.describe_topics(list(settings.all_topics))}
        if all(found.values()) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _ensure_topics(settings: KafkaSettings) -> dict[str, int]:
    client = admin(settings)
    try:
        existing = set(client.list_topics())
        for name in settings.all_topics:
            if name in existing:
                continue
            try:
                client.create_topics(
                    [NewTopic(name, settings.partitions, settings.replication_factor)]
                )
            except TopicAlreadyExistsError:
                pass  # created concurrently by another `up`
        found = _partitions(client, settings)
    finally:
        client.close()
    wrong = {n: p for n, p in found.items() if p != settings.partitions}
    if wrong:
        raise StackError(
            f"topics exist with a partition count other than HOTLINE_KAFKA_PARTITIONS="
            f"{settings.partitions}: {wrong}; recreate them (hotline down --purge) or change the setting"
        )
    return found
