"""Pacing: hold the simulator back so simulated time runs at a chosen multiple of wall time.

The pacer anchors on the first event it sees and from then on keeps
(event time - first event time) / speed <= wall time elapsed since then. It only ever waits:
an event whose time is already due (or in the past, e.g. a late or reordered one) passes at once,
and a slow sink makes the simulation fall behind rather than skip events.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from hotline.errors import HotlineError


class SpeedError(HotlineError):
    """A --speed value that is not fast, realtime, or a positive number with an optional x."""


def parse_speed(text: str) -> float | None:
    """"fast" -> None (no pacing), "realtime" -> 1.0, "60x" or "60" -> 60.0."""
    word = text.strip().lower()
    if word == "fast":
        return None
    if word == "realtime":
        return 1.0
    try:
        speed = float(word.removesuffix("x"))
    except ValueError:
        speed = math.nan
    if not (math.isfinite(speed) and speed > 0):
        raise SpeedError(
            f"speed {text!r}: write fast (no pacing), realtime, or how many times faster than real "
            "time, e.g. 60x"
        )
    return speed


class Pacer:
    """`wait_until(event_ms)` blocks (via `sleep`) until that event is due; with speed None it
    never blocks. `clock` and `sleep` are injectable for tests (monotonic seconds)."""

    def __init__(
        self, speed: float | None, *, clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if speed is not None and not (math.isfinite(speed) and speed > 0):
            raise SpeedError(f"speed {speed!r}: must be a positive number, or None for no pacing")
        self.speed = speed
        self._clock = clock
        self._sleep = sleep
        self._anchor: tuple[int, float] | None = None  # (first event ms, wall clock then)

    def wait_until(self, event_ms: int) -> float:
        """Block until `event_ms` is due; returns the seconds slept (0.0 when it already was)."""
        if self.speed is None:
            return 0.0
        now = self._clock()
        if self._anchor is None:
            self._anchor = (event_ms, now)
            return 0.0
        first_ms, start = self._anchor
        delay = start + (event_ms - first_ms) / 1000 / self.speed - now
        if delay <= 0:
            return 0.0
        self._sleep(delay)
        return delay

    def behind_s(self, event_ms: int) -> float:
        """How many wall seconds the stream is late for `event_ms` (0 when on time or unpaced):
        a figure for progress output when the sink cannot keep up with the speed asked for."""
        if self.speed is None or self._anchor is None:
            return 0.0
        first_ms, start = self._anchor
        return max(0.0, self._clock() - start - (event_ms - first_ms) / 1000 / self.speed)
