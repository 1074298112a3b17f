"""The consumer loop that replaces Faust's `_drain_messages` (consumer.drain), on a fake of the
Faust consumer that has exactly the attributes the seam's docstring names: each fetch goes to the
sink in one call, with its acks; what a seek or a revocation makes stale is not handed over."""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from types import SimpleNamespace
from typing import NamedTuple

import pytest
from faust.types import TP

from services.aggregate.consumer import Acked, BatchingConsumer, drain

CALLS0, CALLS1, TICKETS0 = TP("calls", 0), TP("calls", 1), TP("tickets", 0)


class Record(NamedTuple):
    """What the loop reads of an aiokafka ConsumerRecord."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    headers: tuple = ()


def records(tp: TP, *offsets: int) -> list[Record]:
    return [Record(tp.topic, tp.partition, o, b"%d" % o) for o in offsets]


class Flag:
    def __init__(self) -> None:
        self.on = False

    def is_set(self) -> bool:
        return self.on

    def set(self) -> None:
        self.on = True


class Stopped(Exception):
    """The broker stopped the consumer."""


class FakeConsumer:
    """Faust's consumer as `drain` sees it. Each entry of `fetches` is one answer of
    `_wait_next_records`: `(records by TP, active partitions)`, or a function of the consumer
    returning one (to change its state first). When they run out, the consumer stops."""

    consumer_stopped_errors = (Stopped,)

    def __init__(self, *fetches, max_records: int = 10_000, commit_every: int | None = None,
                 highwaters: dict[TP, int] | None = None):
        self._read_offset: defaultdict[TP, int | None] = defaultdict(lambda: None)
        self._buffered_partitions: set[TP] = set()
        self._stopped = Flag()
        self._commit_every = commit_every
        self._n_acked = 0
        self.flow_active = True
        self.should_stop = False
        self.app = SimpleNamespace(
            consumer_generation_id=1, should_stop=False,
            topics=SimpleNamespace(acks_enabled_for=lambda topic: True),
            conf=SimpleNamespace(broker_max_poll_records=max_records))
        self.transport = SimpleNamespace(app=self.app)
        self.fetches = deque(fetches)
        self.highwaters = highwaters or {}
        self.gaps: list[tuple[TP, int, int]] = []
        self.on_gap = lambda consumer: None
        self.seeks = 0
        self.commits = 0

    async def _wait_next_records(self, timeout: float):
        if not self.fetches:
            self._stopped.set()
            return {}, None
        fetch = self.fetches.popleft()
        return fetch(self) if callable(fetch) else fetch

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def perform_seek(self) -> None:
        self.seeks += 1

    async def _add_gap(self, tp: TP, first: int, last: int) -> None:
        self.gaps.append((tp, first, last))
        self.on_gap(self)
        await asyncio.sleep(0)

    def highwater(self, tp: TP) -> int | None:
        return self.highwaters.get(tp)

    async def commit(self) -> bool:
        self.commits += 1
        return True


class Sink:
    def __init__(self) -> None:
        self.calls: list[tuple[list, list[Acked], bool]] = []

    async def __call__(self, rows, acks, caught_up) -> None:
        self.calls.append((rows, acks, caught_up))

    def offsets(self) -> list[list[tuple[str, int, int]]]:
        return [[(m.topic, m.partition, m.offset) for m in rows] for rows, _, _ in self.calls]


def run(consumer: FakeConsumer) -> Sink:
    sink = Sink()
    asyncio.run(drain(consumer, SimpleNamespace(_stopped=Flag()), sink))
    return sink


def test_each_fetch_goes_to_the_sink_in_one_call_with_its_acks():
    c = FakeConsumer(({CALLS0: records(CALLS0, 0, 1, 2), TICKETS0: records(TICKETS0, 7)}, None),
                     ({CALLS0: records(CALLS0, 3)}, None))
    sink = run(c)
    assert sink.offsets() == [[("calls", 0, 0), ("calls", 0, 1), ("calls", 0, 2), ("tickets", 0, 7)],
                              [("calls", 0, 3)]]
    rows, acks, _ = sink.calls[0]
    assert [(a.tp, a.topic, a.offset, a.acked) for a in acks] == [
        (CALLS0, "calls", 0, False), (CALLS0, "calls", 1, False), (CALLS0, "calls", 2, False),
        (TICKETS0, "tickets", 7, False)]
    assert rows[0].value == b"0" and rows[0].headers == ()
    assert dict(c._read_offset) == {CALLS0: 3, TICKETS0: 7}


def test_records_below_the_read_offset_are_not_handed_over_again():
    c = FakeConsumer(({CALLS0: records(CALLS0, 3, 4, 5)}, None))
    c._read_offset[CALLS0] = 5  # a fetch after a seek
    assert run(c).offsets() == [[("calls", 0, 5)]]


def test_offsets_that_will_never_arrive_are_recorded_as_gaps():
    c = FakeConsumer(({CALLS0: records(CALLS0, 10, 11, 15)}, None))
    c._read_offset[CALLS0] = 8
    run(c)
    assert c.gaps == [(CALLS0, 9, 9), (CALLS0, 12, 14)]


def test_partitions_neither_active_nor_buffered_are_skipped():
    c = FakeConsumer(({CALLS0: records(CALLS0, 0), CALLS1: records(CALLS1, 0), TICKETS0: records(TICKETS0, 0)},
                      {CALLS0}))
    c._buffered_partitions = {TICKETS0}
    assert run(c).offsets() == [[("calls", 0, 0), ("tickets", 0, 0)]]


def test_a_fetch_during_a_rebalance_is_dropped_and_read_again_after_a_seek():
    def stopped_flow(consumer):
        consumer.flow_active = False
        return {CALLS0: records(CALLS0, 0, 1)}, None
    c = FakeConsumer(stopped_flow)
    assert run(c).calls == [] and c.seeks == 1


def test_a_seek_that_fails_in_the_middle_of_a_rebalance_does_not_stop_the_loop(caplog):
    # aiokafka raises when a partition left the assignment between the revocation and the seek;
    # the next fetch (after the assignment, which seeks itself) is handed over as usual.
    from aiokafka.errors import IllegalStateError

    def stopped_flow(consumer):
        consumer.flow_active = False
        return {CALLS0: records(CALLS0, 0, 1)}, None

    def resumed(consumer):
        consumer.flow_active = True
        return {CALLS1: records(CALLS1, 5)}, None

    c = FakeConsumer(stopped_flow, resumed)

    async def failing_seek():
        c.seeks += 1
        raise IllegalStateError("No current assignment for partition TopicPartition(topic='calls', partition=0)")
    c.perform_seek = failing_seek
    with caplog.at_level("WARNING", logger="hotline.aggregate"):
        assert run(c).offsets() == [[("calls", 1, 5)]]
    assert c.seeks == 1
    assert "seek to the committed offsets skipped during a rebalance: IllegalStateError" in caplog.text


def test_a_revocation_that_begins_while_a_gap_is_recorded_drops_the_fetch():
    # stop_flow() is the revocation's first step; the gap's await is the loop's only one.
    c = FakeConsumer(({CALLS0: records(CALLS0, 10, 20)}, None))
    c._read_offset[CALLS0] = 9
    c.on_gap = lambda consumer: setattr(consumer, "flow_active", False)
    assert run(c).calls == [] and c.seeks == 1


def test_a_fetch_of_an_older_generation_is_not_handed_over():
    c = FakeConsumer(({CALLS0: records(CALLS0, 10, 20)}, None))
    c._read_offset[CALLS0] = 9

    def new_generation(consumer):
        consumer.app.consumer_generation_id += 1
    c.on_gap = new_generation
    assert run(c).calls == []


def test_caught_up_when_the_fetch_was_short_and_reached_the_high_water_mark():
    tail = FakeConsumer(({CALLS0: records(CALLS0, 0, 1)}, None), highwaters={CALLS0: 2})
    assert run(tail).calls[0][2] is True
    behind = FakeConsumer(({CALLS0: records(CALLS0, 0, 1)}, None), highwaters={CALLS0: 50})
    assert run(behind).calls[0][2] is False
    full = FakeConsumer(({CALLS0: records(CALLS0, 0, 1)}, None), highwaters={CALLS0: 2}, max_records=2)
    assert run(full).calls[0][2] is False  # a full poll: the fetcher may hold more


def test_commits_every_broker_commit_every_acks():
    def acked_meanwhile(n):
        def fetch(consumer):
            consumer._n_acked += n  # Consumer.ack counts, from the refresh stage
            return {CALLS0: records(CALLS0, consumer._read_offset[CALLS0] or 0)}, None
        return fetch
    c = FakeConsumer(acked_meanwhile(3), acked_meanwhile(3), acked_meanwhile(3), commit_every=5)
    run(c)
    assert c.commits == 1 and c._n_acked == 3


def test_a_consumer_stopped_by_the_broker_ends_the_loop_only_when_the_app_stops():
    def broker_stopped(consumer):
        raise Stopped()
    stopping = FakeConsumer(broker_stopped)
    stopping.app.should_stop = True
    run(stopping)  # returns quietly
    with pytest.raises(Stopped):  # while the app runs it propagates: Faust's supervisor restarts
        run(FakeConsumer(broker_stopped))


def test_batching_consumer_delegates_to_drain_when_a_sink_is_attached(monkeypatch):
    seen = []

    async def fake_drain(consumer, fetcher, sink):
        seen.append((consumer, fetcher, sink))
    monkeypatch.setattr("services.aggregate.consumer.drain", fake_drain)
    sink, fetcher = Sink(), object()
    consumer = SimpleNamespace(app=SimpleNamespace(batch_sink=sink))
    asyncio.run(BatchingConsumer._drain_messages(consumer, fetcher))  # type: ignore[arg-type]
    assert seen == [(consumer, fetcher, sink)]
