"""Deterministic fault injection on a stream of events: what a real producer fleet does to us.

Four faults, each decided per input event with its own probability (FaultRates):

- duplicate: the same event (same source and id) is emitted again after 1..reorder_window further
  input events: at-least-once redelivery. Harmless downstream, where (source, id) drops copies.
- reorder: the event is held back and emitted after 1..reorder_window further input events.
- late: the event is held until the stream clock (the greatest input time seen) has passed its
  time + a whole number of days drawn from late_days; late wins over reorder.
- malformed: an extra, broken copy (id + "-malformed") is emitted right after the original, which
  is still emitted, so no valid event is lost. The breakages cycle through MALFORMED_KINDS; each
  breaks the contract (hotline.contract.validate_event refuses it).

Emitted items keep their event's real time. Same seed + same input => identical output.
Memory: events held for reorder or duplication are O(reorder_window); late ones are
O(late x events per late_days[1] days). Everything still held is flushed when the input ends,
reordered/duplicated ones first, then late ones in release order.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields

from hotline.errors import HotlineError
from tooling.simulator.stream import Timed

DAY_MS = 86_400_000
RATE_NAMES = ("duplicate", "reorder", "late", "malformed")


class FaultRatesError(HotlineError):
    """A fault rate or option is out of range or unknown; the message names it."""


@dataclass(frozen=True)
class FaultRates:
    duplicate: float = 0
    reorder: float = 0
    late: float = 0
    malformed: float = 0
    late_days: tuple[int, int] = (1, 3)
    reorder_window: int = 200

    def __post_init__(self) -> None:
        for name in RATE_NAMES:
            value = getattr(self, name)
            # `not a <= x <= b` is also true for NaN.
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise FaultRatesError(f"fault rate {name}={value!r}: must be a number from 0 to 1")
        lo, hi = self.late_days
        if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi):
            raise FaultRatesError(f"late_days={self.late_days!r}: must be whole days (min, max), 0 <= min <= max")
        if not isinstance(self.reorder_window, int) or self.reorder_window < 1:
            raise FaultRatesError(f"reorder_window={self.reorder_window!r}: must be a whole number >= 1")

    @property
    def any(self) -> bool:
        return any(getattr(self, name) for name in RATE_NAMES)

    @classmethod
    def parse(cls, text: str) -> FaultRates:
        """From the CLI form "duplicate=0.01,reorder=0.02,late=0.001,malformed=0.001"; also
        "late_days=1-3" and "reorder_window=200". Empty text: no faults."""
        known = [f.name for f in fields(cls)]
        values: dict[str, object] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, raw = (s.strip() for s in part.partition("="))
            if name not in known:
                raise FaultRatesError(f"unknown fault {name!r}; known: {', '.join(known)}")
            if not sep or not raw:
                raise FaultRatesError(f"fault {name!r}: write {name}=<value>")
            try:
                if name == "late_days":
                    lo, _, hi = raw.partition("-")
                    values[name] = (int(lo), int(hi or lo))
                elif name == "reorder_window":
                    values[name] = int(raw)
                else:
                    values[name] = float(raw)
            except ValueError:
                raise FaultRatesError(f"fault {name}={raw!r}: not a number") from None
        return cls(**values)  # type: ignore[arg-type]


def _no_subject(e: dict) -> dict:
    return {k: v for k, v in e.items() if k != "subject"}


def _no_offset(e: dict) -> dict:
    return {**e, "time": e["time"][:19]}  # "2023-03-01T08:00:00+08:00" -> "2023-03-01T08:00:00"


def _old_specversion(e: dict) -> dict:
    return {**e, "specversion": "0.3"}


def _unknown_type(e: dict) -> dict:
    return {**e, "type": "hotline.call.teleported"}


def _data_not_object(e: dict) -> dict:
    return {**e, "data": "not an object"}


def _gossip(e: dict) -> dict:
    # Any event can become a ticket.created that is wrong only in its kind.
    data = e.get("data") if e.get("type") == "hotline.ticket.created" else None
    if not isinstance(data, dict):
        data = {"requester": "citizen", "channel": "phone", "category": "民生保障"}
    return {**e, "type": "hotline.ticket.created", "data": {**data, "kind": "gossip"}}


MALFORMED_KINDS: tuple[tuple[str, Callable[[dict], dict]], ...] = (
    ("no-subject", _no_subject),
    ("time-without-offset", _no_offset),
    ("specversion-0.3", _old_specversion),
    ("unknown-type", _unknown_type),
    ("data-not-object", _data_not_object),
    ("kind-gossip", _gossip),
)


def malformed_copy(event: dict, n: int) -> dict:
    """The n-th kind of breakage (cyclic) applied to a copy of `event`, with a fresh id."""
    _, breaker = MALFORMED_KINDS[n % len(MALFORMED_KINDS)]
    broken = breaker(event)
    broken["id"] = f"{event['id']}-malformed"
    return broken


class Faults:
    """Applies FaultRates to a stream with a seeded random.Random. Not thread-safe; `counts`
    accumulates over every `apply` of this instance (keys: duplicate, reorder, late, malformed)."""

    def __init__(self, rates: FaultRates, seed: int) -> None:
        self.rates = rates
        self.counts: Counter[str] = Counter({name: 0 for name in RATE_NAMES})
        self._rng = random.Random(seed)
        self._seq = 0  # heap tie-breaker: equal keys leave in the order they were held

    def apply(self, stream: Iterable[Timed]) -> Iterator[Timed]:
        """Lazily yield the stream with faults; consumes `stream` one item at a time."""
        r, rng = self.rates, self._rng
        window, (lo_days, hi_days) = r.reorder_window, r.late_days
        # (release after this many input events, seq, item, duplicate?, malformed?)
        held: list[tuple[int, int, Timed, bool, bool]] = []
        # (release when the clock reaches this ms, seq, item, duplicate?, malformed?)
        late: list[tuple[int, int, Timed, bool, bool]] = []
        n = clock = 0
        for item in stream:
            n += 1
            clock = max(clock, item[0])
            # Four draws per event whatever the outcome, so one rate does not shift the others.
            u_late, u_reorder, u_dup, u_bad = rng.random(), rng.random(), rng.random(), rng.random()
            dup, bad = u_dup < r.duplicate, u_bad < r.malformed
            if u_late < r.late:
                self.counts["late"] += 1
                release = item[0] + rng.randint(lo_days, hi_days) * DAY_MS
                heapq.heappush(late, (release, self._next(), item, dup, bad))
            elif u_reorder < r.reorder:
                self.counts["reorder"] += 1
                heapq.heappush(held, (n + rng.randint(1, window), self._next(), item, dup, bad))
            else:
                yield from self._emit(item, dup, bad, n, held)
            while held and held[0][0] <= n:
                _, _, h, hdup, hbad = heapq.heappop(held)
                yield from self._emit(h, hdup, hbad, n, held)
            while late and late[0][0] <= clock:
                _, _, h, hdup, hbad = heapq.heappop(late)
                yield from self._emit(h, hdup, hbad, n, held)
        while held or late:
            # A late event released here may still schedule its duplicate into `held`.
            _, _, h, hdup, hbad = heapq.heappop(held if held else late)
            yield from self._emit(h, hdup, hbad, n, held)

    def _emit(self, item: Timed, dup: bool, bad: bool, n: int, held: list) -> Iterator[Timed]:
        yield item
        if bad:
            yield item[0], malformed_copy(item[1], self.counts["malformed"])
            self.counts["malformed"] += 1
        if dup:
            self.counts["duplicate"] += 1
            copy = (item[0], dict(item[1]))  # a copy, so a consumer mutating one cannot touch the other
            heapq.heappush(held, (n + self._rng.randint(1, self.rates.reorder_window), self._next(), copy, False, False))

    def _next(self) -> int:
        self._seq += 1
        return self._seq
