"""The queues between the fold loop's stages, and who owns which partition's batches.

`Handoff` gathers the consumer's fetches into batches, `Refresher` gathers inserted batches into
one facts refresh; both hold back their producer when full. `Ownership` counts partition
revocations, so a batch fetched before its partitions were revoked is recognised and its offsets
are never acked (consumer.py's docstring says why they are dropped rather than flushed). Plain
asyncio, no Faust: tested on their own (tests/unit/aggregate/test_aggregate_batches.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from services.aggregate.consumer import Acked
from services.aggregate.prepare import Incoming, Prepared


class Ownership:
    """Revocation epochs: `epoch` grows by one at each revocation, and each partition remembers
    the epoch of its last one. Something stamped with epoch `s` still belongs to this worker
    unless its partition was revoked after `s`. Partitions are `(topic, partition)` pairs (Faust's
    TP compares equal to its tuple)."""

    def __init__(self) -> None:
        self.epoch = 0
        self._revoked_at: dict[tuple[str, int], int] = {}

    def revoke(self, partitions: Iterable[Any]) -> None:
        partitions = [(tp[0], tp[1]) for tp in partitions]
        if not partitions:
            return  # a first join revokes nothing: nothing in flight changes hands
        self.epoch += 1
        for tp in partitions:
            self._revoked_at[tp] = self.epoch

    def revoked_since(self, stamp: int) -> frozenset[tuple[str, int]]:
        if stamp == self.epoch:
            return frozenset()
        return frozenset(tp for tp, at in self._revoked_at.items() if at > stamp)

    def owned(self, rows: Sequence[Incoming], acks: Sequence[Acked],
              stamp: int) -> tuple[list[Incoming], list[Acked]]:
        """The rows and acks stamped `stamp` whose partition has not been revoked since."""
        gone = self.revoked_since(stamp)
        if not gone:
            return list(rows), list(acks)
        return ([m for m in rows if (m.topic, m.partition) not in gone],
                [a for a in acks if (a.tp[0], a.tp[1]) not in gone])


class Handoff:
    """Bounded queue between the consumer's drain loop and the fold loop (backpressure: the
    drain loop waits while `max_events` are queued).

    A batch closes at `size` events, `within_s` after its first event, or — once it holds
    `caught_up_events` — as soon as the consumer says it has read everything the broker had:
    the tail of a backlog (after a restart, an outage, a burst) is then not held for the rest
    of the latency window. Live traffic never fills that floor, so it keeps one insert per
    window instead of one per fetch.

    Each hand-off is stamped with `ownership.epoch` when `put` is called, before it may wait;
    a batch never spans a revocation (it closes before a hand-off of another epoch), so one
    stamp tells which of its offsets may still be acked.
    """

    def __init__(self, max_events: int, caught_up_events: int | None = None,
                 ownership: Ownership | None = None):
        self.max_events = max_events
        self.caught_up_events = max_events if caught_up_events is None else caught_up_events
        self.ownership = ownership if ownership is not None else Ownership()
        self.queued = 0
        self._items: deque[tuple[list[Incoming], list[Acked], bool, int]] = deque()
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    async def put(self, rows: list[Incoming], acks: list[Acked], caught_up: bool = False) -> None:
        stamp = self.ownership.epoch  # before any await: the epoch the rows were fetched in
        while self.queued >= self.max_events:
            self._room.clear()
            await self._room.wait()
        self.queued += len(rows)
        self._items.append((rows, acks, caught_up, stamp))
        self._arrived.set()

    async def take(self, size: int, within_s: float) -> tuple[list[Incoming], list[Acked], int]:
        """At least one hand-off, then more until `size` events, `within_s` after the first,
        caught up with at least `caught_up_events`, or a hand-off of a later epoch; returns the
        rows, their acks and their epoch stamp."""
        await self._arrival(None)
        rows, acks, caught_up, stamp = self._items.popleft()
        rows, acks = list(rows), list(acks)
        deadline = time.monotonic() + within_s
        while len(rows) < size:
            if caught_up and len(rows) >= self.caught_up_events and not self._items:
                break
            if time.monotonic() >= deadline:
                break
            if not await self._arrival(deadline) or self._items[0][3] != stamp:
                break
            more_rows, more_acks, caught_up, _ = self._items.popleft()
            rows += more_rows
            acks += more_acks
        self.queued -= len(rows)
        self._room.set()
        return rows, acks, stamp

    async def _arrival(self, deadline: float | None) -> bool:
        """Wait until a hand-off is queued (True) or the deadline has passed (False)."""
        while not self._items:
            timeout = None if deadline is None else deadline - time.monotonic()
            if timeout is not None and timeout <= 0:
                return False
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout)
            except asyncio.TimeoutError:
                return False
        return True


@dataclass
class Inserted:
    """What is left of a batch once its rows are in ClickHouse: what the refresh and the acks
    need. The messages and rows are let go here, so the batches waiting for a refresh hold a
    few bytes per event, not the events."""

    events: int
    acks: list[Acked]
    last_offsets: dict[tuple[str, int], int]
    calls: set[str]
    tickets: set[str]
    accepted: Counter
    rejected: Counter
    newest_ms: int
    stamp: int = 0  # the revocation epoch its hand-offs were fetched in (Ownership)

    @classmethod
    def of(cls, batch: list[Incoming], acks: list[Acked], prepared: Prepared, stamp: int = 0) -> "Inserted":
        last: dict[tuple[str, int], int] = {}
        for m in batch:
            key = (m.topic, m.partition)
            if m.offset > last.get(key, -1):
                last[key] = m.offset
        return cls(len(batch), acks, last, prepared.calls, prepared.tickets, prepared.accepted,
                   prepared.rejected, prepared.newest_ms, stamp)


class Refresher:
    """Collects what the insert stage wrote and refreshes its facts in one go, then acks."""

    def __init__(self, max_events: int):
        self.max_events = max_events
        self.calls: set[str] = set()
        self.tickets: set[str] = set()
        self.done: list[Inserted] = []
        self.events = 0
        self._changed = asyncio.Event()

    async def add(self, inserted: Inserted) -> None:
        """Wait while `max_events` already wait for a refresh (backpressure), then queue."""
        while self.events >= self.max_events:
            self._changed.clear()
            await self._changed.wait()
        self.calls |= inserted.calls
        self.tickets |= inserted.tickets
        self.done.append(inserted)
        self.events += inserted.events
        self._changed.set()

    async def take(self) -> tuple[set[str], set[str], list[Inserted]]:
        while not self.done:
            self._changed.clear()
            await self._changed.wait()
        out = (self.calls, self.tickets, self.done)
        self.calls, self.tickets, self.done, self.events = set(), set(), [], 0
        self._changed.set()
        return out
