"""Rebalances in the middle of a backlog, on the real stack: batches in flight when their
partitions are revoked are dropped unacked (services/aggregate/consumer.py), the rebalance does
not wait for ClickHouse, the new owners read those events again, and the facts are exact with
every offset of the event topics committed in the end (no offset left stuck behind a dropped ack).
"""

from __future__ import annotations

import urllib.request
import uuid

import pytest
from kafka import KafkaConsumer, TopicPartition

from hotline.settings import PrivacySettings
from tests.support import bulk, truth
from tests.support.pipeline import AGGREGATE, events_stored, produce, wait_for
from tests.support.waiting import eventually
from tooling.stack.clickhouse_server import LocalClickHouse
from tooling.stack.services import LocalService

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def metric(w: LocalService, name: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{w.port}/metrics", timeout=5).read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


def assigned(*workers: LocalService) -> list[int]:
    return [int(metric(w, "hotline_aggregate_assigned_partitions")) for w in workers]


def uncommitted(kafka, group: str) -> dict[str, int]:
    """Per partition of the event topics that the group has not committed to its end: how many
    offsets are left."""
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, group_id=group,
                             enable_auto_commit=False)  # never subscribes: does not join the group
    try:
        parts = [TopicPartition(t, p) for t in (kafka.topic_calls, kafka.topic_tickets)
                 for p in sorted(consumer.partitions_for_topic(t) or ())]
        ends = consumer.end_offsets(parts)
        left = {f"{tp.topic}/{tp.partition}": ends[tp] - (consumer.committed(tp) or 0) for tp in parts}
        return {tp: n for tp, n in left.items() if n}
    finally:
        consumer.close()


def test_rebalances_mid_backlog_with_clickhouse_down_then_a_worker_leaving(local_stack, clickhouse, worker):
    run = f"r{uuid.uuid4().hex[:10]}"
    db = local_stack.clickhouse.database
    partitions = 2 * local_stack.kafka.partitions  # the calls and the tickets topic
    group = AGGREGATE.load_settings().app_id
    second = LocalService(local_stack.stack, AGGREGATE, index=1)
    server = LocalClickHouse(local_stack.stack, local_stack.clickhouse)
    calls, tickets = bulk.entities(seed=21, run=run, events=60_000)
    want = truth.rows(calls, tickets, PrivacySettings().hash_key)  # the key the workers read too
    stories = [c.events() for c in calls] + [t.events() for t in tickets]
    total = sum(len(es) for es in stories)
    try:
        worker.stop()
        produce(local_stack.kafka, bulk.at_least_once(21, stories))
        # The first worker reads the backlog with ClickHouse down: its batches stay in flight
        # (the insert stage retries) and nothing of them is acked.
        server.stop()
        worker.start()
        eventually(lambda: metric(worker, "hotline_aggregate_write_retries_total"), until=lambda n: n > 0,
                   timeout_s=60, what="the first worker holding a batch it cannot insert")
        # A second worker joins: the group rebalances (eagerly: every partition is revoked) without
        # waiting for ClickHouse or for the batches in flight, which are dropped.
        second.start()
        half = [partitions // 2] * 2
        eventually(lambda: assigned(worker, second), until=lambda got: got == half, timeout_s=60,
                   interval_s=0.2, what=f"two group members assigned {half} partitions while ClickHouse is down")
        server.start()
        # The second worker leaves while the backlog is still to be written (both are in their
        # retry backoff): another rebalance, its batches in flight dropped in turn.
        assert events_stored(clickhouse, db, run) < total, "the backlog was written before the second rebalance"
        second.stop()
        eventually(lambda: assigned(worker), until=lambda got: got == [partitions], timeout_s=60,
                   interval_s=0.2, what="the first worker taking every partition back")
        assert wait_for(clickhouse, db, run, want, timeout_s=240) == want
        assert events_stored(clickhouse, db, run) == total  # nothing lost; duplicates folded
        eventually(lambda: uncommitted(local_stack.kafka, group), until=lambda left: left == {}, timeout_s=60,
                   interval_s=0.5, what="every offset of the event topics committed by the group")
    finally:
        server.start()
        second.stop()
