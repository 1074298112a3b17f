"""Faust's Kafka consumer with a batch hand-off instead of per-message delivery.

faust-streaming hands every fetched message to its conductor and streams one at a time, each
hand-off wrapped in a task race (`wait_first`) and an Event; measured on these machines that is
~80 µs of CPU per event, most of the worker's time (docs/architecture.md, "Measured"). The fold needs
none of it: it works on whole batches. This consumer keeps everything else of Faust's consumer —
group membership, rebalances, flow control on rebalance, fetch-gap bookkeeping and the commit of
acknowledged offsets — and replaces only the drain loop: each fetch's records become `Incoming`
rows handed to a `BatchSink` in one call. The sink's owner acks them (`Acked`) once ClickHouse
has them; Faust commits acked offsets as it always does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

from services.aggregate.prepare import Incoming


class Acked:
    """What `Consumer.ack` reads of a message: far cheaper to build than a ConsumerMessage."""

    __slots__ = ("tp", "topic", "offset", "acked", "__weakref__")  # Faust keeps weak sets of messages

    def __init__(self, tp: Any, offset: int):
        self.tp, self.topic, self.offset, self.acked = tp, tp.topic, offset, False


# (rows, their acks, caught_up): caught_up when this fetch brought every partition in it to the
# high-water mark of the broker's answer and left nothing buffered, i.e. there is no backlog
# left to wait for.
BatchSink = Callable[[list[Incoming], list[Acked], bool], Awaitable[None]]


class BatchingConsumer(faust_aiokafka.Consumer):
    async def _drain_messages(self, fetcher: Any) -> None:  # noqa: C901 - mirrors Faust's loop
        # The app's `batch_sink` (set before the worker starts); without one, Faust's own delivery.
        sink: BatchSink | None = getattr(self.app, "batch_sink", None)
        if sink is None:
            await super()._drain_messages(fetcher)
            return
        read_offset = self._read_offset
        stopped, fetcher_stopped = self._stopped.is_set, fetcher._stopped.is_set
        acks_enabled_for = self.app.topics.acks_enabled_for
        max_records = self.app.conf.broker_max_poll_records
        try:
            while not (stopped() or fetcher_stopped()):
                records, active = await self._wait_next_records(1.0)
                await self.sleep(0)
                if not records or self.should_stop:
                    continue
                if not self.flow_active:
                    # A rebalance is under way: what was fetched is read again after the seek.
                    await self.perform_seek()
                    continue
                generation = self.app.consumer_generation_id
                rows: list[Incoming] = []
                acks: list[Acked] = []
                for tp, recs in records.items():
                    if active is not None and tp not in active and tp not in self._buffered_partitions:
                        continue
                    last = read_offset[tp]
                    for r in recs:
                        if last is not None and r.offset < last:
                            continue  # already handed over (a fetch after a seek)
                        if last is not None and r.offset - last > 1 and acks_enabled_for(tp.topic):
                            # offsets that will never arrive (compaction, transaction markers)
                            # must not hold the commit back
                            await self._add_gap(tp, last + 1, r.offset - 1)
                        rows.append(Incoming(r.topic, r.partition, r.offset, r.value, r.headers or ()))
                        acks.append(Acked(tp, r.offset))
                        last = r.offset
                    read_offset[tp] = last
                if rows and generation == self.app.consumer_generation_id:
                    # Fewer records than a poll may return: the fetcher's buffer is empty.
                    caught_up = sum(len(recs) for recs in records.values()) < max_records and all(
                        read_offset[tp] is not None and read_offset[tp] + 1 >= (self.highwater(tp) or 0)
                        for tp in records)
                    await sink(rows, acks, caught_up)
                if self._commit_every is not None and self._n_acked >= self._commit_every:
                    self._n_acked = 0
                    await self.commit()
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise


class BatchingTransport(faust_aiokafka.Transport):
    Consumer = BatchingConsumer
