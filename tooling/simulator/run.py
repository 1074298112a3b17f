"""`hotline simulate`: a profile's city-year through faults and pacing into a sink.

The loop is the only IO here: generate → (faults) → batch → pace → send → progress. A batch is
at most `batch` events, and with a speed set it also closes when half a wall second of
simulated time has gathered, so real-time runs trickle instead of bursting.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tooling.simulator.faults import FaultRates, Faults
from tooling.simulator.generator import Stats, generate, year_targets
from tooling.simulator.pacing import Pacer
from tooling.simulator.period import Period
from tooling.simulator.progress import Progress
from tooling.simulator.sinks import SendResult, Sink
from tooling.simulator.stream import Timed

EVENTS_PER_CALL, EVENTS_PER_TICKET = 3.0, 4.4  # for the progress bar's estimate only


@dataclass
class RunResult:
    stats: Stats
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    wall_s: float = 0.0

    @property
    def events_per_s(self) -> float:
        return self.sent / self.wall_s if self.wall_s else 0.0


def estimate(doc: dict[str, Any], scale: float, with_previous: bool) -> int:
    ts = year_targets(doc, scale, with_previous)
    return int(sum((t.calls.offered + t.calls.out_dialled) * EVENTS_PER_CALL + t.total * EVENTS_PER_TICKET for t in ts))


def simulate(doc: dict[str, Any], sink: Sink, *, scale: float = 1.0, seed: int = 1, with_previous: bool = True,
             faults: FaultRates | None = None, speed: float | None = None, batch: int = 5000,
             progress: Progress | None = None, period: Period | None = None,
             injected: Sequence[Timed] = (), injected_only: bool = False) -> RunResult:
    """Send the whole simulated stream (only the period's calls and tickets, if given, and the
    `injected` events, injections.py), or with `injected_only` the injected events alone (added
    to a year already sent); returns when the sink has answered every event."""
    result = RunResult(Stats())
    if injected_only:
        stream = iter(sorted(injected, key=lambda timed: timed[0]))
        result.stats.events = len(injected)
    else:
        stream = generate(doc, scale=scale, seed=seed, with_previous=with_previous, stats=result.stats,
                          period=period, injected=injected)
    injector = Faults(faults, seed) if faults is not None and faults.any else None
    if injector is not None:
        stream = injector.apply(stream)
    pacer = Pacer(speed)
    window_ms = int(500 * speed) if speed else None
    t0 = time.monotonic()
    pending: list[dict] = []
    first_ms = last_ms = 0

    def flush() -> None:
        if not pending:
            return
        pacer.wait_until(first_ms)
        r: SendResult = sink.send(pending)
        result.sent += len(pending)
        result.accepted += r.accepted
        result.rejected += r.rejected
        result.reasons.update(r.reasons)
        pending.clear()
        if progress is not None:
            progress.update(result.sent, last_ms)

    for ms, event in stream:
        if pending and (len(pending) >= batch or (window_ms is not None and ms - first_ms > window_ms)):
            flush()
        if not pending:
            first_ms = ms
        pending.append(event)
        last_ms = ms
    flush()
    sink.close()
    if progress is not None:
        progress.close()
    result.wall_s = time.monotonic() - t0
    if injector is not None:
        result.faults = Counter(injector.counts)
    return result
