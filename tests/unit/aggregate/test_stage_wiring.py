"""The fold loop's stages wired (batches.Stages), with small fakes for ClickHouse, the dead-letter
topic and Faust's ack: per batch prepare -> dead letters -> insert -> refresh -> ack, batches in
order; an offset is acked only once ClickHouse holds its row and its facts; ClickHouse failures
are retried without acks; what is in flight when its partition is revoked is never acked, and
what was queued for it is not even written."""

from __future__ import annotations

import asyncio
import threading

from faust.types import TP

from services.aggregate.batches import Stages
from services.aggregate.consumer import Acked
from services.aggregate.metrics import METRICS
from services.aggregate.prepare import Incoming, Prepared
from services.aggregate.queues import Handoff, Refresher
from services.aggregate.writer import StorageUnavailable

CALLS0, CALLS1 = TP("calls", 0), TP("calls", 1)


def fetched(tp: TP, offsets: range, bad: tuple[int, ...] = ()) -> tuple[list[Incoming], list[Acked]]:
    rows = [Incoming(tp.topic, tp.partition, o, b"bad" if o in bad else b"ok") for o in offsets]
    return rows, [Acked(tp, o) for o in offsets]


def key(topic: str, partition: int, offset: int) -> str:
    return f"{topic}/{partition}/{offset}"


class FakeClickHouse:
    """The two writers: rows inserted, entities refreshed (an entity per event, named by its
    offset). Runs in the stages' threads; fails the next `*_failures` calls with
    StorageUnavailable; an insert waits while `insert_gate` is closed."""

    def __init__(self, log: list):
        self.log = log
        self.rows: set[str] = set()
        self.facts: set[str] = set()
        self.insert_failures = 0
        self.refresh_failures = 0
        self.insert_gate = threading.Event()
        self.insert_gate.set()
        self.inserting = threading.Event()

    def insert_rows(self, prepared: Prepared, token: str) -> None:
        self.inserting.set()
        assert self.insert_gate.wait(10), "insert gate never opened"
        if self.insert_failures:
            self.insert_failures -= 1
            self.log.append(("insert failed", ()))
            raise StorageUnavailable("ClickHouse down")
        self.rows |= {key(*row) for row in prepared.rows}
        self.log.append(("insert", tuple(row[2] for row in prepared.rows)))

    def refresh_facts(self, calls: set[str], tickets: set[str]) -> None:
        if self.refresh_failures:
            self.refresh_failures -= 1
            self.log.append(("refresh failed", ()))
            raise StorageUnavailable("ClickHouse down")
        self.facts |= calls
        self.log.append(("refresh", tuple(sorted(int(c.rsplit("/", 1)[1]) for c in calls))))

    def durable(self, tp: TP, offset: int) -> bool:
        k = key(tp.topic, tp.partition, offset)
        return k in self.rows and k in self.facts


class Rig:
    """Stages on a Handoff, with the fakes; `acked` is what Faust was told, in order."""

    def __init__(self, batch_size: int = 100, within_s: float = 0.0):
        self.log: list[tuple[str, tuple]] = []
        self.ch = FakeClickHouse(self.log)
        self.acked: list[tuple[int, int]] = []
        self.acked_objects: list[Acked] = []
        self.settled_events = 0
        self.acked_not_durable: list[tuple[int, int]] = []
        self.dead_letters: list[bytes] = []
        self.handoff = Handoff(max_events=1_000)
        self.stages = Stages(
            self.handoff, Refresher(max_events=1_000), prepare=self.prepare,
            send_dead_letters=self.send_dead_letters, insert_rows=self.ch.insert_rows,
            refresh_facts=self.ch.refresh_facts, ack=self.ack, settled=self.settled,
            batch_size=batch_size, within_s=within_s, backoff_max_s=0.01)
        self._acks = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    def prepare(self, batch: list[Incoming]) -> Prepared:
        self.log.append(("prepare", tuple(m.offset for m in batch)))
        out = Prepared()
        for m in batch:
            if m.value == b"bad":
                out.dead_letters.append((None, b"%d" % m.offset))
                continue
            out.rows.append((m.topic, m.partition, m.offset))
            out.calls.add(key(m.topic, m.partition, m.offset))
        return out

    async def send_dead_letters(self, letters: list[tuple[bytes | None, bytes]]) -> None:
        await asyncio.sleep(0)  # the broker's acknowledgement
        self.dead_letters += [value for _, value in letters]
        self.log.append(("dead letters", tuple(int(value) for _, value in letters)))

    def ack(self, acks: list[Acked]) -> None:
        for a in acks:
            if not self.ch.durable(a.tp, a.offset) and b"%d" % a.offset not in self.dead_letters:
                self.acked_not_durable.append((a.tp.partition, a.offset))
            self.acked.append((a.tp.partition, a.offset))
            self.acked_objects.append(a)
        self.log.append(("ack", tuple(a.offset for a in acks)))
        self._acks.set()

    def settled(self, done) -> None:
        self.log.append(("settled", tuple(d.events for d in done)))
        self.settled_events += sum(d.events for d in done)
        self._acks.set()

    async def put(self, tp: TP, offsets: range, bad: tuple[int, ...] = ()) -> None:
        await self.handoff.put(*fetched(tp, offsets, bad))

    async def until_acked(self, n: int) -> None:
        await self._until(lambda: len(self.acked) >= n)

    async def until_settled(self, events: int) -> None:
        """Until batches of `events` events in all went through their refresh (acked or not)."""
        await self._until(lambda: self.settled_events >= events)

    async def _until(self, done) -> None:  # noqa: ANN001
        async def wait() -> None:
            while not done():
                self._acks.clear()
                await self._acks.wait()
        await asyncio.wait_for(wait(), 10)

    async def until_inserting(self) -> None:
        assert await asyncio.get_running_loop().run_in_executor(None, self.ch.inserting.wait, 10)

    def first(self, kind: str, offset: int) -> int:
        return next(i for i, (k, offsets) in enumerate(self.log) if k == kind and offset in offsets)

    async def __aenter__(self) -> "Rig":
        self._tasks = [asyncio.ensure_future(self.stages.fold_loop()),
                       asyncio.ensure_future(self.stages.refresh_loop())]
        return self

    async def __aexit__(self, *exc) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.ch.insert_gate.set()
        self.stages.close()


def test_each_batch_goes_prepare_dead_letters_insert_refresh_ack_in_order():
    async def run():
        async with Rig() as rig:
            await rig.put(CALLS0, range(0, 4))
            await rig.put(CALLS0, range(4, 8), bad=(5,))
            await rig.put(CALLS0, range(8, 12))
            await rig.until_acked(12)
        return rig
    rig = asyncio.run(run())
    assert rig.acked == [(0, o) for o in range(12)]  # every offset once, in order
    assert rig.acked_not_durable == []
    for o in set(range(12)) - {5}:
        assert rig.first("prepare", o) < rig.first("insert", o) < rig.first("refresh", o) < rig.first("ack", o)
    # The dead letter is acknowledged by the broker before its batch is written, and acked after.
    assert rig.first("prepare", 5) < rig.first("dead letters", 5) < rig.first("insert", 4) < rig.first("ack", 5)
    assert rig.log[-1][0] == "settled"


def test_nothing_is_acked_while_clickhouse_refuses_the_insert_or_the_refresh():
    retries = METRICS.registry.get_sample_value("hotline_aggregate_write_retries_total") or 0

    async def run():
        rig = Rig()
        rig.ch.insert_failures, rig.ch.refresh_failures = 2, 2
        async with rig:
            await rig.put(CALLS0, range(0, 3))
            await rig.until_acked(3)
        return rig
    rig = asyncio.run(run())
    kinds = [k for k, _ in rig.log]
    assert kinds[:7] == ["prepare", "insert failed", "insert failed", "insert",
                         "refresh failed", "refresh failed", "refresh"]
    assert kinds[7] == "ack" and rig.acked == [(0, 0), (0, 1), (0, 2)] and rig.acked_not_durable == []
    assert METRICS.registry.get_sample_value("hotline_aggregate_write_retries_total") == retries + 4


def test_a_worker_stopped_mid_insert_acks_nothing():
    async def run():
        rig = Rig()
        rig.ch.insert_gate.clear()
        async with rig:
            await rig.put(CALLS0, range(0, 3))
            await rig.until_inserting()
        return rig  # the stages are cancelled, then the insert completes
    rig = asyncio.run(run())
    assert rig.acked == []


def test_a_batch_inserting_when_its_partition_is_revoked_is_not_acked():
    async def run():
        rig = Rig()
        rig.ch.insert_gate.clear()
        async with rig:
            await rig.put(CALLS0, range(0, 4))
            await rig.until_inserting()
            rig.stages.revoke({CALLS0})
            # The partition comes back to this worker: Faust seeks it to the committed offset
            # and the same offsets are handed over again, in the new epoch.
            rows, acks = fetched(CALLS0, range(0, 4))
            await rig.handoff.put(rows, acks)
            rig.ch.insert_gate.set()
            await rig.until_settled(8)
        return rig, acks
    rig, reread = asyncio.run(run())
    assert [k for k, _ in rig.log].count("insert") == 2  # written twice: harmless, the fold is idempotent
    assert rig.acked == [(0, 0), (0, 1), (0, 2), (0, 3)] and rig.acked_objects == reread  # the re-read copy only
    assert rig.acked_not_durable == []


def test_batches_queued_for_a_revoked_partition_are_neither_written_nor_acked():
    async def run():
        rig = Rig()
        rig.ch.insert_gate.clear()
        async with rig:
            await rig.put(CALLS0, range(0, 4))  # inserting
            await rig.until_inserting()
            await rig.put(CALLS0, range(4, 8))  # prepared, waits for the insert before it
            await rig.put(CALLS0, range(8, 12))  # still queued
            rig.stages.revoke({CALLS0})
            await rig.put(CALLS1, range(0, 2))  # a partition this worker now owns
            rig.ch.insert_gate.set()
            await rig.until_acked(2)
        return rig
    before = dropped_offsets()
    rig = asyncio.run(run())
    assert rig.acked == [(1, 0), (1, 1)]
    assert not any(8 in offsets for kind, offsets in rig.log if kind in ("prepare", "insert"))
    assert dropped_offsets() - before == 12  # 0-3 inserting, 4-7 prepared, 8-11 queued


def dropped_offsets() -> float:
    return METRICS.registry.get_sample_value("hotline_aggregate_revoked_offsets_dropped_total")


def test_a_revocation_drops_only_the_revoked_partitions_acks():
    async def run():
        rig = Rig()
        rig.ch.insert_gate.clear()
        async with rig:
            rows0, acks0 = fetched(CALLS0, range(0, 3))
            rows1, acks1 = fetched(CALLS1, range(10, 13))
            await rig.handoff.put(rows0 + rows1, acks0 + acks1)
            await rig.until_inserting()
            rig.stages.revoke({CALLS0})
            rig.ch.insert_gate.set()
            await rig.until_acked(3)
        return rig
    before = dropped_offsets()
    rig = asyncio.run(run())
    assert rig.acked == [(1, 10), (1, 11), (1, 12)] and rig.acked_not_durable == []
    assert dropped_offsets() - before == 3
