"""Prometheus metrics of an aggregate worker (one registry per process; `sum` over workers for
counters, `max` for the newest-event gauge, per-partition lag is reported by the worker that
owns the partition)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # process_cpu_seconds_total, process_resident_memory_bytes, …

EVENTS_PROCESSED = Counter(
    "hotline_aggregate_events_processed_total",
    "Events written to ClickHouse, by CloudEvents type. Sum over workers.",
    ["type"], registry=REGISTRY,
)
EVENTS_REJECTED = Counter(
    "hotline_aggregate_events_rejected_total",
    "Messages sent to the dead-letter topic, by reason (undecodable, invalid). Sum over workers.",
    ["reason"], registry=REGISTRY,
)
BATCH_INSERT_SECONDS = Histogram(
    "hotline_aggregate_batch_write_seconds",
    "Time to insert one batch of events into ClickHouse (retries included).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=REGISTRY,
)
FACTS_REFRESH_SECONDS = Histogram(
    "hotline_aggregate_facts_refresh_seconds",
    "Time to refresh the facts of every entity the batches inserted since the last refresh touched.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=REGISTRY,
)
BATCH_EVENTS = Histogram(
    "hotline_aggregate_batch_events",
    "Messages per batch.", buckets=(1, 10, 100, 1000, 5000, 10000, 50000), registry=REGISTRY,
)
WRITE_RETRIES = Counter(
    "hotline_aggregate_write_retries_total",
    "Batch writes retried because ClickHouse was unavailable. Sum over workers.", registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "hotline_aggregate_consumer_lag_messages",
    "Messages between the last one folded and the partition's end offset (read every 5 s), per assigned partition.",
    ["topic", "partition"], registry=REGISTRY,
)
NEWEST_EVENT = Gauge(
    "hotline_aggregate_newest_event_timestamp_seconds",
    "Event time of the newest event this worker wrote to ClickHouse (Unix time). Max over workers.",
    registry=REGISTRY,
)
ASSIGNED_PARTITIONS = Gauge(
    "hotline_aggregate_assigned_partitions",
    "Partitions of the event topics this worker consumes since the last rebalance. Sum over "
    "workers = the topics' partitions once the group has settled; 0 everywhere = nothing is read.",
    registry=REGISTRY,
)
REBALANCES = Counter(
    "hotline_aggregate_rebalances_total",
    "Partition assignments this worker received (one per consumer-group rebalance it took part in).",
    registry=REGISTRY,
)
