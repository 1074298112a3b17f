"""Prometheus metrics of an aggregate worker, served at /metrics by its Faust web server; declared
the way hotline.web.prometheus describes, in one registry per process (a worker is one process).

| metric | type | labels | meaning |
|---|---|---|---|
| hotline_aggregate_events_processed_total | counter | type | events written to ClickHouse |
| hotline_aggregate_events_rejected_total | counter | reason | messages dead-lettered: undecodable, invalid |
| hotline_aggregate_batch_write_seconds | histogram | | inserting one batch (retries included) |
| hotline_aggregate_facts_refresh_seconds | histogram | | refreshing the facts the inserted batches touched |
| hotline_aggregate_batch_events | histogram | | messages per batch |
| hotline_aggregate_write_retries_total | counter | | batch writes retried because ClickHouse was unavailable |
| hotline_aggregate_consumer_lag_messages | gauge | topic, partition | messages behind the partition's end, per assigned partition |
| hotline_aggregate_newest_event_timestamp_seconds | gauge | | event time of the newest event written (Unix time) |
| hotline_aggregate_assigned_partitions | gauge | | partitions this worker consumes since the last rebalance |
| hotline_aggregate_rebalances_total | counter | | partition assignments this worker received |
| hotline_aggregate_revoked_offsets_dropped_total | counter | | offsets in flight when their partition was revoked: not acked, read again by the new owner |
| process_* | | | CPU, memory, file descriptors of this process |

Counters and assigned partitions: sum() over workers; the newest event: max(); the lag of a
partition is reported by the worker that owns it.
"""

from __future__ import annotations

from hotline.web.prometheus import ServiceMetrics

# Inserts of 10,000 events take a few hundred milliseconds; a ClickHouse that stalls, seconds.
_WRITE_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_BATCH_BUCKETS = (1, 10, 100, 1000, 5000, 10000, 50000)


class Metrics(ServiceMetrics):
    def __init__(self) -> None:
        super().__init__()
        self.events_processed = self.counter(
            "hotline_aggregate_events_processed_total",
            "Events written to ClickHouse, by CloudEvents type. Sum over workers.", ["type"])
        self.events_rejected = self.counter(
            "hotline_aggregate_events_rejected_total",
            "Messages sent to the dead-letter topic, by reason (undecodable, invalid). Sum over workers.",
            ["reason"])
        self.batch_write = self.histogram(
            "hotline_aggregate_batch_write_seconds",
            "Time to insert one batch of events into ClickHouse (retries included).", buckets=_WRITE_BUCKETS_S)
        self.facts_refresh = self.histogram(
            "hotline_aggregate_facts_refresh_seconds",
            "Time to refresh the facts of every entity the batches inserted since the last refresh touched.",
            buckets=_WRITE_BUCKETS_S)
        self.batch_events = self.histogram(
            "hotline_aggregate_batch_events", "Messages per batch.", buckets=_BATCH_BUCKETS)
        self.write_retries = self.counter(
            "hotline_aggregate_write_retries_total",
            "Batch writes retried because ClickHouse was unavailable. Sum over workers.")
        self.consumer_lag = self.gauge(
            "hotline_aggregate_consumer_lag_messages",
            "Messages between the last one folded and the partition's end offset (read every 5 s), per "
            "assigned partition.", ["topic", "partition"])
        self.newest_event = self.gauge(
            "hotline_aggregate_newest_event_timestamp_seconds",
            "Event time of the newest event this worker wrote to ClickHouse (Unix time). Max over workers.")
        self.assigned_partitions = self.gauge(
            "hotline_aggregate_assigned_partitions",
            "Partitions of the event topics this worker consumes since the last rebalance. Sum over "
            "workers = the topics' partitions once the group has settled; 0 everywhere = nothing is read.")
        self.rebalances = self.counter(
            "hotline_aggregate_rebalances_total",
            "Partition assignments this worker received (one per consumer-group rebalance it took part in).")
        self.revoked_dropped = self.counter(
            "hotline_aggregate_revoked_offsets_dropped_total",
            "Offsets fetched or written before their partition was revoked, left unacked so that the "
            "partition's new owner reads them again (the fold makes the re-read harmless). Sum over workers.")


# One worker per process, and the Faust app is built without a place to hand an instance to, so
# one process-wide instance (building it touches nothing outside its own registry); app.py and
# batches.py read METRICS.<name>.
METRICS = Metrics()
