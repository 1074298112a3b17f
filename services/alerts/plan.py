"""What a detection cycle recomputes: pure decisions on plain values (no IO, no clock of its own).

Two questions, answered from what storage says:

* what was ingested since the last cycle (`Ingestion`): the distinct ticket events stored per
  second of `ingested_at`, compared with the counts seen before. A second whose count grew holds
  new events; the oldest event time among them is how far back the events changed. A second is
  looked at again until its count has stayed the same for `settle_s` (by the detector's own
  clock): the facts a batch changes are refreshed a moment after its events are stored, and a
  recomputation that ran in between must run once more. Seconds are re-read `ingest_lag_s` back
  from the newest seen, because a worker stamps a batch before inserting it.
* which event times to evaluate (`plan`): the live range, the last `live_days` city-local days up
  to the watermark; reaching back to the oldest touched day after a backfill, and to the day the
  oldest still-open episode started (so it can be updated or closed); never further back
  than `max_backfill_days` before the watermark. Ranges start at a city-local midnight, so the
  same events give the same ranges, live or replayed. None: nothing to do (nothing ingested and
  the watermark did not move).
* which open episodes pull the range back (`open_reach_ms`): those started within the reach of
  the watermark the last cycle evaluated up to, so every episode that cycle left open is
  recomputed by this one, however far the watermark moved in between.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class IngestedSecond:
    """One row of sql/ingested.sql."""

    second: int
    events: int
    oldest_ms: int


@dataclass(frozen=True, slots=True)
class Range:
    """Evaluated event times: [start_ms, end_ms], start at a city-local midnight, end the watermark."""

    start_ms: int
    end_ms: int

    def __contains__(self, ms: int) -> bool:
        return self.start_ms <= ms <= self.end_ms


@dataclass
class Ingestion:
    """The ingestion seconds seen, with their distinct events and when (detector clock, seconds)
    each count last changed. `from_s`: where the next read starts."""

    settle_s: float
    ingest_lag_s: int
    from_s: int = 0
    seen: dict[int, tuple[int, float]] = field(default_factory=dict)

    @classmethod
    def restored(cls, settle_s: float, ingest_lag_s: int, from_s: int, counts: Mapping[int, int]) -> "Ingestion":
        """From a stored progress row: its seconds count as settled (only settled ones are stored)."""
        return cls(settle_s, ingest_lag_s, from_s, {s: (n, float("-inf")) for s, n in counts.items()})

    def advance(self, rows: Iterable[IngestedSecond], now: float) -> tuple[int | None, "Ingestion"]:
        """Compare a fresh read (from `from_s` on) with what was seen: the oldest event time among
        the seconds with new events or not settled yet (None: nothing new), and the state to keep
        once the cycle that acts on it has completed (self is not changed: a failed cycle leaves
        the same seconds new for the next one)."""
        touched: int | None = None
        fresh: dict[int, tuple[int, float]] = {}
        for r in rows:
            before = self.seen.get(r.second)
            new = before is None or r.events != before[0]
            changed_at = now if new else before[1]
            fresh[r.second] = (r.events, changed_at)
            if new or now - changed_at < self.settle_s:
                touched = r.oldest_ms if touched is None else min(touched, r.oldest_ms)
        from_s = max(self.from_s, max(fresh) - self.ingest_lag_s) if fresh else self.from_s
        seen = {s: v for s, v in fresh.items() if s >= from_s}
        return touched, Ingestion(self.settle_s, self.ingest_lag_s, from_s, seen)

    def settled(self, now: float) -> dict[int, int]:
        """The seconds whose counts have settled (what a progress row keeps): after a restart the
        others are read as new, and recomputed."""
        return {s: n for s, (n, at) in self.seen.items() if now - at >= self.settle_s}


def local_midnight(ms: int, tz: ZoneInfo) -> int:
    """Epoch ms of the city-local midnight starting the day of `ms`."""
    day = dt.datetime.fromtimestamp(ms / 1000, tz).date()
    return int(dt.datetime.combine(day, dt.time(), tz).timestamp() * 1000)


def open_reach_ms(*, watermark_ms: int, last_watermark_ms: int | None, open_reach_days: int) -> int:
    """The earliest start of an open episode that pulls this cycle's range back to it.

    Counted from the watermark the last cycle evaluated up to (this cycle's on the first), not from
    this cycle's: a backfill moves the watermark by weeks from one cycle to the next, and counted
    from the new watermark an episode the last cycle left open (its closing instant not reached
    yet) would fall out of every range before its own detector could close it. An episode started
    before the reach is not recomputed: the diff closes it by its rule from its stored evidence
    (diff.py)."""
    since = watermark_ms if last_watermark_ms is None else min(watermark_ms, last_watermark_ms)
    return since - open_reach_days * DAY_MS


def plan(
    *, watermark_ms: int, last_watermark_ms: int | None, touched_ms: int | None, oldest_open_ms: int | None,
    live_days: int, max_backfill_days: int, tz: ZoneInfo,
) -> Range | None:
    """The range to evaluate this cycle, or None when there is nothing to do.

    `last_watermark_ms`: the watermark the last completed cycle evaluated up to (None: none yet);
    `touched_ms`: the oldest event time among events ingested since (Ingestion.advance);
    `oldest_open_ms`: the earliest start of a stored open episode.
    """
    if watermark_ms <= 0:
        return None
    if touched_ms is None and last_watermark_ms == watermark_ms:
        return None
    start = local_midnight(watermark_ms - (live_days - 1) * DAY_MS, tz)
    # An hour before an open episode's start: the detectors' evidence (a surge's CUSUM) is then
    # recomputed from a point where it stood at zero, which gives the episode the same start.
    for ms in (touched_ms, None if oldest_open_ms is None else oldest_open_ms - HOUR_MS):
        if ms is not None and 0 < ms < start:
            start = local_midnight(ms, tz)
    floor = local_midnight(watermark_ms - max_backfill_days * DAY_MS, tz)
    return Range(max(start, floor), watermark_ms)
