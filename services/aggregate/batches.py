"""The fold loop: batches handed over by the consumer -> prepare -> ClickHouse -> ack.

Order per batch (docs/architecture.md, decision 3): prepare (pure) -> dead letters acknowledged by the
broker -> rows inserted -> facts of the touched entities refreshed -> the batch's offsets acked,
which is what lets Faust commit them. Nothing is acked before its facts are refreshed, also not
when the worker is stopped or killed mid-way: those events are read again (the fold is
duplicate-insensitive).

Three stages overlap, each in order: preparing batch N+1, inserting batch N (a thread: the
driver blocks), and refreshing facts (another thread and connection). A refresh takes every
batch inserted since the last one at once (up to `refresh_max_events`): under a backlog one
refresh serves several batches and an entity touched by several of them is merged once; live it
runs after each. A ClickHouse outage
makes the stage retry with backoff, forever: the stages behind it fill, the consumer stops
fetching, lag grows (visible in metrics), nothing is dropped.

When partitions are revoked (a rebalance), what is in flight for them is dropped unacked: a
batch not yet prepared is not inserted, and the offsets of one already inserting or waiting for
its refresh are not acked; their new owner reads them again from the committed offsets
(consumer.py's docstring: why dropping, not flushing). `Stages` is the loop with its IO passed
in (tests/unit/aggregate/test_stage_wiring.py); `register` wires it to Faust and ClickHouse.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from zoneinfo import ZoneInfo

import faust

from hotline.storage.placement import Placement
from services.aggregate.consumer import Acked, attach_sink
from services.aggregate.metrics import METRICS
from services.aggregate.prepare import Incoming, Prepared, prepare
from services.aggregate.queues import Handoff, Inserted, Refresher
from services.aggregate.settings import AggregateSettings
from services.aggregate.writer import ClickHouseWriter, StorageUnavailable

log = logging.getLogger(__name__)


# The batches in flight keep about a million objects alive (decoded events, records, rows), and
# with Python's default thresholds (700, 10, 10) the collector walks them again and again: in a
# microbenchmark of prepare() with three batches alive, 29.4 us/event against 20.7 with these and
# 19.6 with no collector at all. Garbage cycles still go, a little later.
GC_THRESHOLDS = (50_000, 20, 100)


def dedup_token(batch: list[Incoming]) -> str:
    """Deterministic for the same messages: topic, partition and offset range of each partition."""
    spans: dict[tuple[str, int], list[int]] = {}
    for m in batch:
        spans.setdefault((m.topic, m.partition), []).append(m.offset)
    return ";".join(f"{t}/{p}/{min(o)}-{max(o)}" for (t, p), o in sorted(spans.items()))


class Stages:
    """prepare -> dead letters -> insert -> refresh -> ack, each stage in batch order.

    IO comes in: `send_dead_letters` (awaited: the broker has them), `insert_rows(prepared,
    dedup_token)` and `refresh_facts(calls, tickets)` (blocking, each run in its own thread; both
    raise StorageUnavailable when ClickHouse did not take them, and are retried with backoff),
    `ack(acks)` (marks offsets done; Faust commits them) and `settled(batches)` (metrics, after
    the acks). `ack` gets only offsets whose facts are refreshed and whose partition was not
    revoked since they were fetched. `fold_loop` and `refresh_loop` run until cancelled.
    """

    def __init__(self, handoff: Handoff, refresher: Refresher, *,
                 prepare: Callable[[list[Incoming]], Prepared],
                 send_dead_letters: Callable[[list[tuple[bytes | None, bytes]]], Awaitable[None]],
                 insert_rows: Callable[[Prepared, str], None],
                 refresh_facts: Callable[[set[str], set[str]], None],
                 ack: Callable[[list[Acked]], None],
                 settled: Callable[[list[Inserted]], None] = lambda done: None,
                 repair_facts: Callable[[], int] = lambda: 0,
                 batch_size: int, within_s: float, backoff_max_s: float):
        self.handoff, self.refresher, self.ownership = handoff, refresher, handoff.ownership
        self.prepare, self.send_dead_letters = prepare, send_dead_letters
        self.insert_rows, self.refresh_facts, self.ack, self.settled = insert_rows, refresh_facts, ack, settled
        self.repair_facts = repair_facts
        self.batch_size, self.within_s, self.backoff_max_s = batch_size, within_s, backoff_max_s
        # One thread per stage, each owning its (not thread-safe) ClickHouse connection; the
        # event loop never blocks on ClickHouse.
        self._insert_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse-insert")
        self._refresh_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse-refresh")

    def revoke(self, partitions: Iterable[Any]) -> None:
        """These partitions are no longer this worker's: nothing fetched from them so far is acked."""
        self.ownership.revoke(partitions)

    async def fold_loop(self) -> None:
        in_flight: asyncio.Task | None = None
        try:
            while True:
                batch, acks, stamp = await self.handoff.take(self.batch_size, self.within_s)
                if stamp != self.ownership.epoch:
                    fetched = len(acks)
                    batch, acks = self.ownership.owned(batch, acks, stamp)  # not worth inserting
                    METRICS.revoked_dropped.inc(fetched - len(acks))
                    if not batch:
                        continue
                prepared = self.prepare(batch)
                if prepared.dead_letters:
                    await self.send_dead_letters(prepared.dead_letters)
                if in_flight is not None:
                    await in_flight  # inserts in order
                in_flight = asyncio.ensure_future(self._insert(batch, acks, stamp, prepared))
        finally:
            if in_flight is not None and not in_flight.done():
                in_flight.cancel()

    async def refresh_loop(self) -> None:
        while True:
            calls, tickets, done = await self.refresher.take()
            with METRICS.facts_refresh.time():
                await self._retrying("facts refresh", self._refresh_thread, self.refresh_facts, calls, tickets)
            for inserted in done:
                acks = inserted.acks
                if inserted.stamp != self.ownership.epoch:
                    _, acks = self.ownership.owned((), acks, inserted.stamp)
                    if len(acks) < len(inserted.acks):
                        METRICS.revoked_dropped.inc(len(inserted.acks) - len(acks))
                        log.info("%d offsets of revoked partitions not acked: their new owner reads them again",
                                 len(inserted.acks) - len(acks))
                if acks:
                    self.ack(acks)
            self.settled(done)

    async def repair(self) -> None:
        """Recompute the facts a lost replica may have left short (hotline.storage.placement), in
        the refresh stage's thread, which owns those connections. Postponed when ClickHouse does
        not answer."""
        try:
            await asyncio.get_running_loop().run_in_executor(self._refresh_thread, self.repair_facts)
        except StorageUnavailable as exc:
            log.warning("facts repair postponed: %s", exc)

    async def _insert(self, batch: list[Incoming], acks: list[Acked], stamp: int, prepared: Prepared) -> None:
        with METRICS.batch_write.time():
            await self._retrying("insert", self._insert_thread, self.insert_rows, prepared, dedup_token(batch))
        await self.refresher.add(Inserted.of(batch, acks, prepared, stamp))

    async def _retrying(self, what: str, executor: ThreadPoolExecutor, fn, *args) -> None:  # noqa: ANN001
        loop = asyncio.get_running_loop()
        backoff = min(0.2, self.backoff_max_s)
        while True:
            try:
                await loop.run_in_executor(executor, fn, *args)
                return
            except StorageUnavailable as exc:
                METRICS.write_retries.inc()
                log.warning("%s failed, retrying in %.1f s: %s", what, backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.backoff_max_s)

    def close(self) -> None:
        self._insert_thread.shutdown(wait=False, cancel_futures=True)
        self._refresh_thread.shutdown(wait=False, cancel_futures=True)


class Writers:
    """The two stages' ClickHouse connections, opened on first use (not at import)."""

    def __init__(self, settings: AggregateSettings):
        self.settings = settings
        # One placement for both: on a cluster they write a shard's same replica, so a refresh
        # sees the events inserted before it.
        self.placement = Placement(settings.clickhouse)
        self._insert: ClickHouseWriter | None = None
        self._refresh: ClickHouseWriter | None = None

    def inserter(self) -> ClickHouseWriter:
        if self._insert is None:
            self._insert = ClickHouseWriter(self.settings.clickhouse, self.settings.city.timezone, self.placement)
        return self._insert

    def refresher(self) -> ClickHouseWriter:
        if self._refresh is None:
            self._refresh = ClickHouseWriter(self.settings.clickhouse, self.settings.city.timezone, self.placement)
        return self._refresh


class Progress:
    """The metrics of settled batches and the consumer-lag gauge of the assigned partitions."""

    def __init__(self, app: faust.App):
        self.app = app
        self.last_offset: dict[tuple[str, int], int] = {}
        self.end_offsets: dict[tuple[str, int], int] = {}
        self.newest_s = 0.0

    def settled(self, done: list[Inserted]) -> None:
        last_offset = self.last_offset
        for inserted in done:
            for key, offset in inserted.last_offsets.items():
                if offset > last_offset.get(key, -1):
                    last_offset[key] = offset
            METRICS.batch_events.observe(inserted.events)
            for type_, n in inserted.accepted.items():
                METRICS.events_processed.labels(type_).inc(n)
            for reason, n in inserted.rejected.items():
                METRICS.events_rejected.labels(reason).inc(n)
            if inserted.newest_ms:
                self.newest_s = max(self.newest_s, inserted.newest_ms / 1000)
                METRICS.newest_event.set(self.newest_s)
        self.report_lag()

    def report_lag(self) -> None:
        # Only partitions assigned now: after a rebalance the others belong to another worker,
        # which reports them.
        assigned = self.app.consumer.assignment()
        for tp in list(self.last_offset):
            if faust.types.TP(*tp) not in assigned:
                del self.last_offset[tp]
                self.end_offsets.pop(tp, None)
                METRICS.consumer_lag.remove(tp[0], str(tp[1]))
        for key, offset in self.last_offset.items():
            if key in self.end_offsets:
                METRICS.consumer_lag.labels(key[0], str(key[1])).set(max(self.end_offsets[key] - offset - 1, 0))

    async def refresh_end_offsets(self) -> None:
        """The assigned partitions' end offsets (ListOffsets), so the lag keeps growing while
        nothing is fetched (ClickHouse down stalls the batches, and with them the fetches)."""
        consumer = self.app.consumer
        assigned = [tp for tp in consumer.assignment() if (tp.topic, tp.partition) in self.last_offset]
        if assigned:
            ends = await consumer.highwaters(*assigned)  # Faust's name for end_offsets
            self.end_offsets.update({(tp.topic, tp.partition): end for tp, end in ends.items()})


def register(app: faust.App, settings: AggregateSettings) -> Stages:
    k = settings.kafka
    events_topic = app.topic(k.topic_calls, k.topic_tickets, key_serializer="raw", value_serializer="raw")
    app.topics.add(events_topic)  # subscribes the consumer group; BatchingConsumer delivers
    deadletter_topic = app.topic(k.topic_deadletter, key_serializer="raw", value_serializer="raw")
    tz = ZoneInfo(settings.city.timezone)
    hash_key = settings.privacy.hash_key
    handoff = Handoff(max_events=2 * settings.batch_size, caught_up_events=max(1, settings.batch_size // 10))
    attach_sink(app, handoff.put)
    writers = Writers(settings)
    progress = Progress(app)

    async def send_dead_letters(letters: list[tuple[bytes | None, bytes]]) -> None:
        pending = [await deadletter_topic.send(key=key, value=value) for key, value in letters]
        await asyncio.gather(*pending)

    def ack(acks: list[Acked]) -> None:
        ack_one = app.consumer.ack
        for a in acks:
            ack_one(a)  # type: ignore[arg-type] - Consumer.ack reads tp, topic, offset, acked

    stages = Stages(
        handoff, Refresher(max_events=settings.refresh_max_events),
        prepare=lambda batch: prepare(batch, tz, hash_key, now=dt.datetime.now(dt.timezone.utc)),
        send_dead_letters=send_dead_letters,
        insert_rows=lambda prepared, token: writers.inserter().insert(prepared, token),
        refresh_facts=lambda calls, tickets: writers.refresher().refresh(calls, tickets),
        ack=ack, settled=progress.settled,
        repair_facts=lambda: writers.refresher().repair(),
        batch_size=settings.batch_size, within_s=settings.batch_max_latency_s,
        backoff_max_s=settings.retry_backoff_max_s,
    )

    @app.task
    async def fold() -> None:
        gc.set_threshold(*GC_THRESHOLDS)
        await stages.fold_loop()

    @app.task
    async def refresh() -> None:
        await stages.refresh_loop()

    @app.on_partitions_revoked.connect
    async def on_revoked(sender, revoked, **kwargs):  # noqa: ANN001 - mode's signal signature
        # Faust has stopped the flow; the group hands these partitions over once this returns.
        stages.revoke(revoked)

    @app.timer(10.0)
    async def repair_timer() -> None:
        if writers.placement.suspects():  # only ever on a cluster
            await stages.repair()

    @app.timer(5.0)
    async def lag_timer() -> None:
        try:
            await progress.refresh_end_offsets()
        except Exception as exc:  # noqa: BLE001 - a broker blip: the gauge keeps its last value
            log.warning("end offsets not read for the lag gauge: %s", type(exc).__name__)
        progress.report_lag()

    return stages
