"""Live figures for monitoring staff (docs/domain.md "Live figures"), kept fresh in the background.

Every figure is read from ClickHouse facts, so a restarted API or worker never reports zero calls
waiting while calls are waiting. A background task recomputes the fast figures every
`live_refresh_s` and the open/overdue ticket counts (a read of ticket_open, the tickets open now
and a few minutes of versions: hotline/storage/open_tickets.py) every `open_every` rounds;
`/v1/live` answers from the latest snapshot and says how old it is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from services.api.facts_reader import FactsReader, StorageUnavailable
from services.api.periodic import Periodic
from services.api.report.figures import ServiceLevel, pct

log = logging.getLogger("hotline.api")

WINDOW_S = 15 * 60
SOURCES = ("phone", "internet", "transfer_in")


@dataclass(frozen=True)
class Clock:
    """The instants a live computation needs, from one `now` (pure; tests pass their own)."""

    now_ms: int
    tz: ZoneInfo

    @property
    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.now_ms / 1000, self.tz).date()

    @property
    def today_ms(self) -> int:
        start = dt.datetime.combine(self.today, dt.time(), self.tz)
        return int(start.timestamp() * 1000)


def call_params(clock: Clock, sl: ServiceLevel, max_wait_s: int) -> dict[str, Any]:
    return {
        "since": clock.today - dt.timedelta(days=1), "today": clock.today,
        "wait_floor_ms": clock.now_ms - max_wait_s * 1000,
        "window_ms": clock.now_ms - WINDOW_S * 1000,
        "decided_ms": clock.now_ms - sl.threshold_s * 1000, "sl_ms": sl.threshold_s * 1000,
    }


def call_figures(row: dict[str, Any], clock: Clock, sl: ServiceLevel) -> dict[str, Any]:
    waiting = row["waiting"]
    oldest = row["oldest_waiting_ms"] if waiting else None
    return {
        "waiting": waiting,
        "oldest_waiting_age_s": round(max(clock.now_ms - oldest, 0) / 1000, 1) if oldest else 0.0,
        "offered_today": row["offered_today"],
        "answered_today": row["answered_today"],
        "abandoned_today": row["abandoned_today"],
        # Calls of the window still waiting but not yet past the threshold are undecided:
        # they count neither for nor against.
        f"service_level_{sl.threshold_s}s_last_15min_pct": _r(pct(row["window_within"], row["window_decided"])),
        "window_calls": row["window_decided"],
    }


def ticket_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_source = {s: 0 for s in SOURCES}
    online = dispatched = 0
    for r in rows:
        if r["source"] in by_source:
            by_source[r["source"]] += r["created_today"]
        online += r["answered_online_today"]
        dispatched += r["dispatched_today"]
    return {"created_today": sum(by_source.values()), "created_today_by_source": by_source,
            "answered_online_today": online, "dispatched_today": dispatched}


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


@dataclass
class LiveSnapshot:
    figures: dict[str, Any] = field(default_factory=dict)
    computed_at_ms: int = 0
    error: str | None = None


class LiveFigures(Periodic):
    """Owns the snapshot and refreshes it every `refresh_s` in the background."""

    name = "live-figures"

    def __init__(self, reader: FactsReader, timezone: str, sl: ServiceLevel, *, refresh_s: float,
                 max_wait_s: int, open_every: int = 10):
        super().__init__(refresh_s)
        self.reader, self.tz, self.sl = reader, ZoneInfo(timezone), sl
        self.max_wait_s, self.open_every = max_wait_s, open_every
        self.snapshot = LiveSnapshot()
        self._open: dict[str, Any] = {}
        self._rounds = 0

    def compute(self, now_ms: int | None = None) -> LiveSnapshot:
        """One refresh (blocking). Keeps the previous open/overdue counts between their rounds."""
        clock = Clock(now_ms if now_ms is not None else int(time.time() * 1000), self.tz)
        calls = self.reader.rows("live_calls", call_params(clock, self.sl, self.max_wait_s))[0]
        tickets = self.reader.rows("live_tickets", {
            "since": clock.today - dt.timedelta(days=7), "today": clock.today, "today_ms": clock.today_ms})
        if self._rounds % self.open_every == 0 or not self._open:
            self._open = self.reader.rows("live_open", {"now_ms": clock.now_ms})[0]
        self._rounds += 1
        newest = self.reader.rows("live_freshness", {"since_s": clock.now_ms // 1000 - 2 * 86400})[0]["newest_ms"]
        figures = {
            "as_of": dt.datetime.fromtimestamp(clock.now_ms / 1000, self.tz).isoformat(timespec="seconds"),
            "date": clock.today.isoformat(),
            "calls": call_figures(calls, clock, self.sl),
            "tickets": {**ticket_figures(tickets), "open_dispatched": self._open["open_dispatched"],
                        "overdue": self._open["overdue"]},
            "pipeline": {"newest_event_age_s": round((clock.now_ms - newest) / 1000, 1) if newest else None},
        }
        return LiveSnapshot(figures, clock.now_ms)

    async def round(self) -> None:
        """Never raises: a failed round keeps the last figures and says why they are stale
        (`/v1/live` shows it), and the next round tries again."""
        try:
            self.snapshot = await asyncio.to_thread(self.compute)
        except StorageUnavailable as exc:
            self.snapshot = LiveSnapshot(self.snapshot.figures, self.snapshot.computed_at_ms, str(exc))
            log.warning("live figures not refreshed: %s", exc)
        except Exception as exc:  # noqa: BLE001 - e.g. a ClickHouse server error; the loop must go on
            reason = f"ClickHouse refused the live queries: {type(exc).__name__}"
            self.snapshot = LiveSnapshot(self.snapshot.figures, self.snapshot.computed_at_ms, reason)
            log.exception("live figures not refreshed")
