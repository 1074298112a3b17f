"""The aggregate workers on the real stack: facts equal what the events say whatever the order,
duplicates, lateness, worker crashes, ClickHouse outages or worker count.

Random event sets are held to the reference fold (tests/support/reference_fold.py); the bulk
populations to the truth of each generated call and ticket (tests/support/truth.py)."""

from __future__ import annotations

import urllib.request
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.settings import PrivacySettings
from tooling.stack.clickhouse_server import LocalClickHouse
from tooling.stack.services import LocalService
from tests.support import bulk, reference_fold, truth
from tests.support.eventgen import call_events, delivery, entity_events, ticket_events
from tests.support.hypo import through_servers
from tests.support.pipeline import AGGREGATE, events_stored, produce, sigkill, wait_for, wait_stored
from tests.support.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


@pytest.fixture(scope="module")
def ch(clickhouse):
    return clickhouse


@pytest.fixture(scope="module")
def hash_key(local_stack) -> bytes:
    """The key the stack's workers hash callers with (configuration, read like they read it)."""
    return PrivacySettings().hash_key


def metric(port: int, name: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


def assigned(*workers: LocalService) -> list[int]:
    return [int(metric(w.port, "hotline_aggregate_assigned_partitions")) for w in workers]


@through_servers(2)
@given(data=st.data())
def test_random_entities_any_order_duplicates_and_late(local_stack, ch, worker, data):
    run = f"p{uuid.uuid4().hex[:10]}"
    calls = [data.draw(entity_events(f"{run}-c{i}", call_events)) for i in range(150)]
    tickets = [data.draw(entity_events(f"{run}-t{i}", ticket_events, max_events=10)) for i in range(150)]
    wire = data.draw(delivery([e for es in calls + tickets for e in es]))
    cut = len(wire) * 2 // 3
    produce(local_stack.kafka, wire[:cut], binary_every=7)
    # The rest arrives late: after the first part has been folded into facts.
    wait_stored(ch, local_stack.clickhouse.database, run, len({(e["source"], e["subject"], e["id"]) for e in wire[:cut]}))
    produce(local_stack.kafka, wire[cut:], binary_every=5)
    want = reference_fold.call_rows(calls), reference_fold.ticket_rows(tickets)
    assert wait_for(ch, local_stack.clickhouse.database, run, want) == want


def test_worker_sigkilled_mid_backlog_then_restarted(local_stack, ch, worker, hash_key):
    run = f"k{uuid.uuid4().hex[:10]}"
    db = local_stack.clickhouse.database
    calls, tickets = bulk.entities(seed=11, run=run, events=100_000)
    want = truth.rows(calls, tickets, hash_key)
    stories = [c.events() for c in calls] + [t.events() for t in tickets]
    worker.stop()
    produce(local_stack.kafka, bulk.at_least_once(11, stories))
    worker.start()
    wait_stored(ch, db, run, 25_000)
    sigkill(worker)
    worker.start()
    assert wait_for(ch, db, run, want, timeout_s=240) == want
    total = sum(len(es) for es in stories)
    assert events_stored(ch, db, run) == total  # nothing lost; duplicates folded


def test_clickhouse_down_mid_stream(local_stack, ch, worker, hash_key):
    run = f"o{uuid.uuid4().hex[:10]}"
    db = local_stack.clickhouse.database
    calls, tickets = bulk.entities(seed=12, run=run, events=60_000)
    want = truth.rows(calls, tickets, hash_key)
    retries_before = metric(worker.port, "hotline_aggregate_write_retries_total")
    worker.stop()
    produce(local_stack.kafka, bulk.at_least_once(12, [c.events() for c in calls] + [t.events() for t in tickets]))
    worker.start()
    wait_stored(ch, db, run, 5_000)
    server = LocalClickHouse(local_stack.stack, local_stack.clickhouse)
    server.stop()
    try:
        # Down until the worker has felt it: three failed writes retried (not a guessed duration).
        eventually(lambda: metric(worker.port, "hotline_aggregate_write_retries_total"),
                   until=lambda n: n >= retries_before + 3, timeout_s=120, interval_s=0.5,
                   what="the worker retrying its writes while ClickHouse is down")
    finally:
        server.start()
    assert wait_for(ch, db, run, want, timeout_s=240) == want


def test_two_workers_one_killed(local_stack, ch, worker, hash_key):
    run = f"w{uuid.uuid4().hex[:10]}"
    db = local_stack.clickhouse.database
    second = LocalService(local_stack.stack, AGGREGATE, index=1)
    calls, tickets = bulk.entities(seed=13, run=run, events=60_000)
    want = truth.rows(calls, tickets, hash_key)
    partitions = 2 * local_stack.kafka.partitions  # the calls and the tickets topic
    try:
        second.start()
        # The group settles with two members, each reading half of the partitions.
        half = [partitions // 2, partitions // 2]
        eventually(lambda: assigned(worker, second), until=lambda got: got == half, timeout_s=60, interval_s=0.2,
                   what=f"two group members assigned {half} partitions")
        produce(local_stack.kafka, bulk.at_least_once(13, [c.events() for c in calls] + [t.events() for t in tickets]))
        wait_stored(ch, db, run, 10_000)
        sigkill(second)
        assert wait_for(ch, db, run, want, timeout_s=240) == want
        assert assigned(worker) == [partitions]  # the survivor took the dead worker's partitions
    finally:
        second.stop()
