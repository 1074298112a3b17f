"""The aggregate workers on the real stack: facts equal the reference fold whatever the order,
duplicates, lateness, worker crashes, ClickHouse outages or worker count."""

from __future__ import annotations

import time
import urllib.request
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tooling.stack.clickhouse_server import LocalClickHouse
from tooling.stack.services import SERVICES, LocalService
from tests.support import bulk
from tests.support.eventgen import call_events, delivery, entity_events, ticket_events
from tests.support.pipeline import events_stored, expected_rows, produce, sigkill, wait_for
from tests.support.hypo import through_servers

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

AGGREGATE = next(s for s in SERVICES if s.name == "aggregate")


@pytest.fixture(scope="module")
def ch(clickhouse):
    return clickhouse


@pytest.fixture
def worker(local_stack):
    """The stack's first aggregate worker, running at the start and the end of each test."""
    w = LocalService(local_stack.stack, AGGREGATE)
    w.start()
    yield w
    w.start()


def wait_stored(ch, db, prefix, at_least, timeout_s=120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if events_stored(ch, db, prefix) >= at_least:
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {at_least} events stored after {timeout_s} s")


def metric(port: int, name: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


def assigned(*workers: LocalService) -> list[int]:
    return [int(metric(w.port, "hotline_aggregate_assigned_partitions")) for w in workers]


def wait_assigned(want: list[int], *workers: LocalService, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while (got := assigned(*workers)) != want:
        if time.monotonic() > deadline:
            raise AssertionError(f"assigned partitions {got}, want {want} after {timeout_s} s")
        time.sleep(0.2)


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
    want = expected_rows(calls, tickets)
    assert wait_for(ch, local_stack.clickhouse.database, run, want) == want


def test_worker_sigkilled_mid_backlog_then_restarted(local_stack, ch, worker):
    run = f"k{uuid.uuid4().hex[:10]}"
    db = local_stack.clickhouse.database
    calls, tickets = bulk.population(seed=11, run=run, events=100_000)
    want = expected_rows(calls, tickets)
    worker.stop()
    produce(local_stack.kafka, bulk.at_least_once(11, calls + tickets))
    worker.start()
    wait_stored(ch, db, run, 25_000)
    sigkill(worker)
    worker.start()
    assert wait_for(ch, db, run, want, timeout_s=240) == want
    total = sum(len(es) for es in calls + tickets)
    assert events_stored(ch, db, run) == total  # nothing lost; duplicates folded


def test_clickhouse_down_for_20_s_mid_stream(local_stack, ch, worker):
    run = f"o{uuid.uuid4().hex[:10]}"
    db = local_stack.clickhouse.database
    calls, tickets = bulk.population(seed=12, run=run, events=60_000)
    want = expected_rows(calls, tickets)
    retries_before = metric(worker.port, "hotline_aggregate_write_retries_total")
    worker.stop()
    produce(local_stack.kafka, bulk.at_least_once(12, calls + tickets))
    worker.start()
    wait_stored(ch, db, run, 5_000)
    server = LocalClickHouse(local_stack.stack, local_stack.clickhouse)
    server.stop()
    time.sleep(20)
    server.start()
    assert wait_for(ch, db, run, want, timeout_s=240) == want
    assert metric(worker.port, "hotline_aggregate_write_retries_total") > retries_before


def test_two_workers_one_killed(local_stack, ch, worker):
    run = f"w{uuid.uuid4().hex[:10]}"
    db = local_stack.clickhouse.database
    second = LocalService(local_stack.stack, AGGREGATE, index=1)
    calls, tickets = bulk.population(seed=13, run=run, events=60_000)
    want = expected_rows(calls, tickets)
    partitions = 2 * local_stack.kafka.partitions  # the calls and the tickets topic
    try:
        second.start()
        # The group settles with two members, each reading half of the partitions.
        wait_assigned([partitions // 2, partitions // 2], worker, second)
        produce(local_stack.kafka, bulk.at_least_once(13, calls + tickets))
        wait_stored(ch, db, run, 10_000)
        sigkill(second)
        assert wait_for(ch, db, run, want, timeout_s=240) == want
        assert assigned(worker) == [partitions]  # the survivor took the dead worker's partitions
    finally:
        second.stop()
