"""The fold loop's queues: the hand-off gathers fetches into batches, the refresher gathers
inserted batches into one facts refresh; both hold back their producer when full. Ownership tells
what was fetched before its partition was revoked; a batch never spans a revocation."""

from __future__ import annotations

import asyncio

from faust.types import TP

from services.aggregate.consumer import Acked
from services.aggregate.queues import Handoff, Inserted, Ownership, Refresher
from services.aggregate.prepare import Incoming, Prepared


def rows(n: int, start: int = 0) -> list[Incoming]:
    return [Incoming("t", 0, start + i, b"") for i in range(n)]


def test_handoff_gathers_fetches_up_to_the_batch_size():
    async def run():
        h = Handoff(max_events=100)
        for k in range(3):
            await h.put(rows(4, 4 * k), [])
        batch, _, _ = await h.take(size=8, within_s=0.05)
        rest, _, _ = await h.take(size=8, within_s=0.05)
        return [m.offset for m in batch], [m.offset for m in rest], h.queued
    first, second, queued = asyncio.run(run())
    assert first == list(range(8)) and second == [8, 9, 10, 11] and queued == 0


def test_handoff_holds_the_consumer_back_when_full():
    async def run():
        h = Handoff(max_events=4)
        await h.put(rows(4), [])
        blocked = asyncio.ensure_future(h.put(rows(1, 4), []))
        await asyncio.sleep(0.01)
        was_blocked = not blocked.done()
        await h.take(size=4, within_s=0)
        await asyncio.wait_for(blocked, 1)
        return was_blocked
    assert asyncio.run(run())


def test_refresher_takes_every_inserted_batch_in_one_refresh_in_order():
    async def run():
        r = Refresher(max_events=100)
        for k, ids in enumerate((["c1", "c2"], ["c2", "c3"])):
            await r.add(Inserted.of(rows(2, 2 * k), [], Prepared(calls=set(ids), tickets={f"t{k}"})))
        calls, tickets, done = await r.take()
        return calls, tickets, [(d.events, d.last_offsets) for d in done], r.events
    calls, tickets, order, left = asyncio.run(run())
    assert calls == {"c1", "c2", "c3"} and tickets == {"t0", "t1"}
    assert order == [(2, {("t", 0): 1}), (2, {("t", 0): 3})] and left == 0


def test_refresher_holds_inserts_back_until_a_refresh_takes_them():
    async def run():
        r = Refresher(max_events=2)
        await r.add(Inserted.of(rows(2), [], Prepared()))
        blocked = asyncio.ensure_future(r.add(Inserted.of(rows(1, 2), [], Prepared())))
        await asyncio.sleep(0.01)
        was_blocked = not blocked.done()
        await r.take()
        await asyncio.wait_for(blocked, 1)
        return was_blocked
    assert asyncio.run(run())


def take_time(handoff_puts: list[tuple[int, bool]], caught_up_events: int, within_s: float) -> tuple[int, float]:
    """Events in the first batch and the seconds `take` waited, after these hand-offs."""
    async def run():
        h = Handoff(max_events=1_000, caught_up_events=caught_up_events)
        start = 0
        for n, caught_up in handoff_puts:
            await h.put(rows(n, start), [], caught_up)
            start += n
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        batch, _, _ = await h.take(size=100, within_s=within_s)
        return len(batch), loop.time() - t0
    return asyncio.run(run())


def test_handoff_closes_a_batch_early_once_the_consumer_has_caught_up():
    # 30 + 20 events, the second fetch caught up, floor 40: closes at once, not after 2 s.
    events, waited = take_time([(30, False), (20, True)], caught_up_events=40, within_s=2.0)
    assert events == 50 and waited < 0.5


def test_handoff_keeps_the_window_for_small_caught_up_fetches_and_for_backlogs():
    # Live traffic: caught up but below the floor -> the whole window (0.3 s).
    events, waited = take_time([(5, True)], caught_up_events=40, within_s=0.3)
    assert events == 5 and waited >= 0.29
    # A backlog not yet read to its end: above the floor but not caught up -> the window too.
    events, waited = take_time([(60, False)], caught_up_events=40, within_s=0.3)
    assert events == 60 and waited >= 0.29


def fetched(tp: TP, offsets: range) -> tuple[list[Incoming], list[Acked]]:
    return [Incoming(tp.topic, tp.partition, o, b"") for o in offsets], [Acked(tp, o) for o in offsets]


CALLS0, CALLS1 = TP("calls", 0), TP("calls", 1)


def test_ownership_keeps_what_was_not_revoked_since_its_stamp():
    own = Ownership()
    rows0, acks0 = fetched(CALLS0, range(0, 3))
    rows1, acks1 = fetched(CALLS1, range(5, 7))
    assert own.owned(rows0 + rows1, acks0 + acks1, 0) == (rows0 + rows1, acks0 + acks1)
    own.revoke({CALLS0})
    rows, acks = own.owned(rows0 + rows1, acks0 + acks1, 0)
    assert [(m.partition, m.offset) for m in rows] == [(1, 5), (1, 6)] and acks == acks1
    # Fetched after the revocation (stamp 1), e.g. the partition came back: kept.
    assert own.owned(rows0, acks0, 1) == (rows0, acks0)


def test_ownership_ignores_a_revocation_of_nothing():
    own = Ownership()
    own.revoke(set())  # a group's first join revokes the empty assignment
    assert own.epoch == 0


def test_a_batch_never_spans_a_revocation():
    async def run():
        h = Handoff(max_events=100)
        await h.put(*fetched(CALLS0, range(0, 4)))
        h.ownership.revoke({CALLS0})
        await h.put(*fetched(CALLS0, range(0, 4)))  # read again after the seek, new epoch
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        first = await h.take(size=100, within_s=2.0)
        waited = loop.time() - t0
        second = await h.take(size=100, within_s=0)
        return first, second, waited, h.queued
    (rows, acks, stamp), (rows2, _, stamp2), waited, queued = asyncio.run(run())
    assert [m.offset for m in rows] == [0, 1, 2, 3] and len(acks) == 4 and stamp == 0
    assert [m.offset for m in rows2] == [0, 1, 2, 3] and stamp2 == 1
    assert waited < 1.0 and queued == 0  # closed at the epoch change, not after the window


def test_a_handoff_waiting_for_room_keeps_the_epoch_it_was_fetched_in():
    async def run():
        h = Handoff(max_events=4)
        await h.put(*fetched(CALLS1, range(0, 4)))
        blocked = asyncio.ensure_future(h.put(*fetched(CALLS0, range(10, 12))))
        await asyncio.sleep(0)  # the put has read the epoch and waits for room
        h.ownership.revoke({CALLS0})
        await h.take(size=4, within_s=0)
        await asyncio.wait_for(blocked, 1)
        return await h.take(size=4, within_s=0), h.ownership
    (rows, acks, stamp), own = asyncio.run(run())
    assert [m.offset for m in rows] == [10, 11] and stamp == 0
    assert own.owned(rows, acks, stamp) == ([], [])
