"""Progress output of a simulation run, on stderr by default.

On a terminal one line is redrawn in place (carriage return) at most every `every_s` seconds:

    [#########---------------]  37.5%  375,000/1,000,000 ev  12,345 ev/s (now 13,002)  sim 2023-05-17 09:12  ETA 0:00:48

Elsewhere (CI logs, a file) a plain line is written every `log_every_s` (10 s) instead, so a log
is not flooded. `update` is cheap (one clock read) and may be called for every event; it
never blocks except on the write to `out`.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from time import monotonic
from typing import TextIO
from zoneinfo import ZoneInfo

_BAR = 24
_RECENT_S = 10.0  # the "now" rate is measured over about this many seconds


class Progress:
    """`update(events, sim_ms)`: `events` is how many events are done so far (a running total,
    not an increment), `sim_ms` the simulated epoch ms reached. `close()` writes the final line
    (and ends the redrawn one); it is idempotent."""

    def __init__(
        self, total: int | None, out: TextIO | None = None, every_s: float = 1.0,
        tty: bool | None = None, *, log_every_s: float = 10.0, tz: str = "Asia/Shanghai",
        clock: Callable[[], float] = monotonic, label: str = "simulate",
    ) -> None:
        self.total = total
        # sys.stderr as it is now, not as it was at import (pytest swaps it per test).
        out = out if out is not None else sys.stderr
        self._out = out
        self._tty = _isatty(out) if tty is None else tty
        self._every = every_s if self._tty else log_every_s
        self._tz = ZoneInfo(tz)
        self._clock = clock
        self._label = label
        self._start = clock()
        self._next_draw = self._start + self._every
        self._samples: deque[tuple[float, int]] = deque([(self._start, 0)])
        self._events = 0
        self._sim_ms: int | None = None
        self._width = 0  # of the last redrawn line, to blank what a shorter one leaves behind
        self._closed = False

    def update(self, events: int, sim_ms: int) -> None:
        self._events = events
        self._sim_ms = sim_ms
        now = self._clock()
        if now >= self._next_draw:
            self._next_draw = now + self._every
            self._draw(now)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._draw(self._clock(), final=True)

    def _line(self, now: float, final: bool) -> str:
        elapsed = max(now - self._start, 1e-9)
        done, total = self._events, self.total
        overall = done / elapsed
        recent = self._recent_rate(now)
        parts = []
        if total:
            frac = min(done / total, 1.0)
            if self._tty:
                filled = int(frac * _BAR)
                parts.append("[" + "#" * filled + "-" * (_BAR - filled) + "]")
            parts.append(f"{frac * 100:5.1f}%")
            parts.append(f"{done:,}/{total:,} ev")
        else:
            parts.append(f"{done:,} ev")
        parts.append(f"{overall:,.0f} ev/s" + ("" if final else f" (now {recent:,.0f})"))
        if self._sim_ms is not None:
            sim = datetime.fromtimestamp(self._sim_ms / 1000, timezone.utc).astimezone(self._tz)
            parts.append(f"sim {sim:%Y-%m-%d %H:%M}")
        if final:
            parts.append(f"in {_clock_text(elapsed)}")
        elif total and done < total:
            rate = recent or overall
            parts.append("ETA " + (_clock_text((total - done) / rate) if rate > 0 else "?"))
        if self._tty:
            return "  ".join(parts)
        return f"{self._label}: " + ", ".join(p.strip() for p in parts)

    def _recent_rate(self, now: float) -> float:
        samples = self._samples
        samples.append((now, self._events))
        while len(samples) > 2 and now - samples[1][0] >= _RECENT_S:
            samples.popleft()
        t0, n0 = samples[0]
        return (self._events - n0) / (now - t0) if now > t0 else 0.0

    def _draw(self, now: float, final: bool = False) -> None:
        text = self._line(now, final)
        if self._tty:
            pad = " " * max(0, self._width - len(text))
            self._width = len(text)
            self._out.write("\r" + text + pad + ("\n" if final else ""))
        else:
            self._out.write(text + "\n")
        self._out.flush()


def _clock_text(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
