"""The Faust seam: the one module of the aggregate service that touches Faust's internals.

Why it exists. faust-streaming hands every fetched message to its conductor and streams one at a
time, each hand-off wrapped in a task race (`wait_first`) and an Event; measured on these
machines that is ~80 µs of CPU per event, most of the worker's time (docs/architecture.md,
"Measured"; README, "Aggregate": worker CPU ≈ 125 → 60 µs per event with this seam). The fold
needs none of it: it works on whole batches. This module keeps everything else of Faust's
consumer — group membership, rebalances, flow control on rebalance, fetch-gap bookkeeping and the
commit of acknowledged offsets — and replaces only the drain loop: each fetch's records become
`Incoming` rows handed to a `BatchSink` in one call. The sink's owner (batches.py) acks them (`Acked`) once ClickHouse has
them; Faust commits acked offsets as it always does. Faust has no public extension point for
any of this, so it is kept here, and tests/unit/aggregate/test_faust_seam.py fails on any
faust-streaming or mode-streaming version other than the one it was checked against
(`CHECKED_AGAINST`, = constraints.txt) or on a change of what follows.

Private Faust/mode internals used, and why (checked against faust-streaming 0.15.3):

- `App._new_transport()` (`AggregateApp`): the only place an app builds its consumer transport;
  overridden to build `BatchingTransport`, whose `Consumer` class attribute is what
  `Transport.create_consumer` instantiates. (The public route, a `faust.transports` entry point
  and a broker URL scheme of our own, needs packaging metadata; this is one method.)
- `Consumer._drain_messages(fetcher)`: the loop `Fetcher._fetcher` runs; replaced. `drain` below
  mirrors Faust's own loop step by step except for the delivery.
- `Consumer._wait_next_records(timeout)` -> `(records by TP, active partitions or None)`: the
  fetch; it waits while the flow is stopped (a rebalance).
- `Consumer._read_offset`: per TP, the last offset handed over (None: not read yet). Records
  below it are skipped (a fetch after a seek); `perform_seek` resets it to the committed offsets.
- `Consumer._buffered_partitions`: partitions Faust keeps reading although paused.
- `Consumer._add_gap(tp, first, last)`: offsets that will never arrive (compaction, transaction
  markers) must not hold the commit back.
- `Consumer._commit_every`, `Consumer._n_acked`: `broker_commit_every` — commit after that many
  acks, as Faust's loop does (`Consumer.ack` counts `_n_acked`).
- `Service._stopped` (mode) of the consumer and of the fetcher: the loop's stop condition.
- What `Consumer.ack(message)` reads of a message — `acked`, `tp`, `topic`, `offset` — and that it
  discards the message from a WeakSet: `Acked` carries exactly these and is weak-referenceable.
- `App._on_partitions_revoked` calls `consumer.stop_flow()` before its first await and sends the
  public `on_partitions_revoked` signal at its end; `Recovery._resume_streams` seeks every assigned
  partition to its committed offset before `resume_flow()`. The revocation design rests on both.

In-flight batches on revocation: dropped unacked (batches.py does it; this module makes the
stamp exact). A hand-off is stamped with the revocation epoch current when `drain` hands it over
(`Handoff.put` reads the epoch before its first await, and `drain` checks right before that the
flow is active and the generation unchanged, so nothing fetched before a revocation carries a
later stamp). From the revocation signal on, acks of a revoked partition stamped before it are
dropped, and batches of it not yet prepared are not written; after the next assignment Faust
seeks that partition to its committed offset, so its new owner — this worker or another — reads
them again. Redelivery is safe: the fold is idempotent and order-independent. Flushing instead
would hold the group's rebalance hostage to ClickHouse: with ClickHouse down the insert stage
retries forever, and under a backlog up to `2 × batch_size` queued, a batch prepared, one
inserting and `refresh_max_events` waiting for their refresh are in flight (≈ 300 k events at
the default settings, several seconds of work) while every worker of the group waits
(tests/integration/aggregate/test_rebalance.py rebalances with ClickHouse down). Acks made
before the signal are of facts refreshed while the partitions were still this worker's, so
committing them is right. Faust itself drops, at revocation, the acked but not yet committed
offsets of the revoked partitions (`Consumer.on_partitions_revoked` pops `_acked` before the
app's commit), so those are read again too: what was committed when the partitions went is the
only promise.

Public Faust API also used: `flow_active`, `perform_seek`, `highwater`, `commit`, `should_stop`,
`sleep`, `consumer_stopped_errors`, `app.consumer_generation_id`, `app.topics.acks_enabled_for`,
`app.conf.broker_max_poll_records`, and of aiokafka's records `topic`, `partition`, `offset`,
`value`, `headers`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from services.aggregate.prepare import Incoming

# The versions this seam was read against; the upgrade test compares them with what is installed
# and with constraints.txt.
CHECKED_AGAINST = {"faust-streaming": "0.15.3", "mode-streaming": "0.7.1"}
log = logging.getLogger("hotline.aggregate")


class Acked:
    """What `Consumer.ack` reads of a message: far cheaper to build than a ConsumerMessage."""

    __slots__ = ("tp", "topic", "offset", "acked", "__weakref__")  # Faust keeps weak sets of messages

    def __init__(self, tp: Any, offset: int):
        self.tp, self.topic, self.offset, self.acked = tp, tp.topic, offset, False


# (rows, their acks, caught_up): caught_up when this fetch brought every partition in it to the
# high-water mark of the broker's answer and left nothing buffered, i.e. there is no backlog
# left to wait for. Called without an await between the checks in `drain` and the call.
BatchSink = Callable[[list[Incoming], list[Acked], bool], Awaitable[None]]


async def drain(consumer: Any, fetcher: Any, sink: BatchSink) -> None:  # noqa: C901 - mirrors Faust's loop
    """Faust's `Consumer._drain_messages`, delivering each fetch to `sink` in one call.

    `consumer` is the Faust consumer (or a fake with the attributes named in the module
    docstring); runs until the consumer or the fetcher stops. Commits nothing of its own: acks
    come from the sink's owner, and every `broker_commit_every` acks this loop asks for a commit,
    as Faust's does."""
    read_offset = consumer._read_offset
    stopped, fetcher_stopped = consumer._stopped.is_set, fetcher._stopped.is_set
    app = consumer.app
    acks_enabled_for = app.topics.acks_enabled_for
    max_records = app.conf.broker_max_poll_records
    try:
        while not (stopped() or fetcher_stopped()):
            records, active = await consumer._wait_next_records(1.0)
            await consumer.sleep(0)
            if not records or consumer.should_stop:
                continue
            if not consumer.flow_active:
                # A rebalance is under way: what was fetched is read again after the seek.
                await _seek_back(consumer)
                continue
            generation = app.consumer_generation_id
            rows: list[Incoming] = []
            acks: list[Acked] = []
            for tp, recs in records.items():
                if active is not None and tp not in active and tp not in consumer._buffered_partitions:
                    continue
                last = read_offset[tp]
                for r in recs:
                    if last is not None and r.offset < last:
                        continue  # already handed over (a fetch after a seek)
                    if last is not None and r.offset - last > 1 and acks_enabled_for(tp.topic):
                        # offsets that will never arrive (compaction, transaction markers)
                        # must not hold the commit back
                        await consumer._add_gap(tp, last + 1, r.offset - 1)
                    rows.append(Incoming(r.topic, r.partition, r.offset, r.value, r.headers or ()))
                    acks.append(Acked(tp, r.offset))
                    last = r.offset
                read_offset[tp] = last
            if not consumer.flow_active:
                # A revocation began while a gap was recorded (its only await): these records
                # belong to the old assignment and must not be stamped with the new epoch.
                await _seek_back(consumer)
                continue
            if rows and generation == app.consumer_generation_id:
                # Fewer records than a poll may return: the fetcher's buffer is empty.
                caught_up = sum(len(recs) for recs in records.values()) < max_records and all(
                    read_offset[tp] is not None and read_offset[tp] + 1 >= (consumer.highwater(tp) or 0)
                    for tp in records)
                await sink(rows, acks, caught_up)
            if consumer._commit_every is not None and consumer._n_acked >= consumer._commit_every:
                consumer._n_acked = 0
                await consumer.commit()
    except consumer.consumer_stopped_errors:
        if consumer.transport.app.should_stop:
            return
        raise
    except asyncio.CancelledError:
        if consumer.transport.app.should_stop:
            return
        raise


async def _seek_back(consumer: Any) -> None:
    """Seek to the committed offsets while the flow is stopped, as Faust's `getmany` does, and
    like it survive a seek that fails: in the middle of a rebalance a partition may already be
    gone from the assignment (aiokafka's IllegalStateError "No current assignment for
    partition"), and raising would crash the worker (it did, in a benchmark's group join).
    Nothing is lost by skipping it: after the assignment, Faust seeks every assigned partition
    to its committed offset before it resumes the flow (module docstring)."""
    try:
        await consumer.perform_seek()
    except Exception as exc:  # noqa: BLE001 - Faust's own loop catches every exception here too
        log.warning("seek to the committed offsets skipped during a rebalance: %s: %s", type(exc).__name__, exc)


class BatchingConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer; fetches go to the app's `batch_sink` when one is attached."""

    async def _drain_messages(self, fetcher: Any) -> None:
        sink: BatchSink | None = getattr(self.app, "batch_sink", None)
        if sink is None:  # no sink attached: Faust's own per-message delivery
            await super()._drain_messages(fetcher)
            return
        await drain(self, fetcher, sink)


class BatchingTransport(faust_aiokafka.Transport):
    Consumer = BatchingConsumer


class AggregateApp(faust.App):
    """A Faust app whose consumer hands whole fetches to `batch_sink` (see `attach_sink`)."""

    batch_sink: BatchSink | None = None

    def _new_transport(self):  # type: ignore[override]
        return BatchingTransport(self.conf.broker_consumer, self)


def attach_sink(app: faust.App, sink: BatchSink) -> None:
    """Make `sink` receive every fetch of `app`'s consumer (before the worker starts)."""
    if not isinstance(app, AggregateApp):
        raise TypeError(f"batches need an AggregateApp (its transport), not {type(app).__name__}")
    app.batch_sink = sink
