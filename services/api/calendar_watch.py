"""The working-day calendar as the API keeps it: synced at start-up, every `check_every_s`, and
right after a schedule is supplied or withdrawn (hotline/storage/work_calendar.py does the work).

The API is the calendar's keeper because it has the `supply` endpoint and already runs background
rounds; the aggregate workers need no calendar at all (working time is computed when facts are
refreshed). What it learns (how far the calendar reaches, what is pending, which schedule was not
used and why) feeds `/readyz`, `/v1/live`, `/v1/calendar` and the coverage gauge that the alert
rules watch. A round never raises: it logs, keeps what it knew, and tries again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from hotline.calendar.schedule import YearSchedule
from hotline.settings import CalendarSettings
from hotline.storage import work_calendar
from services.api.facts_reader import FactsReader
from services.api.periodic import Periodic

log = logging.getLogger("hotline.api")


@dataclass(frozen=True)
class CalendarState:
    covered_until: dt.date | None = None
    sources: tuple[dict[str, Any], ...] = ()
    problems: tuple[str, ...] = ()
    pending_tickets: int | None = None
    checked_at_ms: int = 0
    error: str | None = None

    def days_left(self, today: dt.date) -> int | None:
        """Days from `today` to the last covered day: 0 when today is the last, negative past it."""
        return None if self.covered_until is None else (self.covered_until - today).days

    def remaining_s(self, now_s: float, tz: ZoneInfo) -> float | None:
        """Seconds from `now_s` to the end of the last covered day in the city's time zone."""
        if self.covered_until is None:
            return None
        end = dt.datetime.combine(self.covered_until + dt.timedelta(days=1), dt.time(), tz)
        return end.timestamp() - now_s

    def describe(self, today: dt.date) -> dict[str, Any]:
        return {
            "covered_until": self.covered_until.isoformat() if self.covered_until else None,
            "days_left": self.days_left(today),
            "pending_tickets": self.pending_tickets,
            "sources": list(self.sources),
            "problems": list(self.problems),
            "error": self.error,
        }


class CalendarWatch(Periodic):
    name = "calendar-watch"

    def __init__(self, reader: FactsReader, settings: CalendarSettings, timezone: str):
        super().__init__(settings.check_every_s)
        self.reader, self.database = reader, reader.database
        self.settings, self.timezone = settings, timezone
        self.tz = ZoneInfo(timezone)
        self.state = CalendarState()
        self._lock = asyncio.Lock()  # one sync at a time in this process

    def today(self) -> dt.date:
        return dt.datetime.now(self.tz).date()

    def _sync(self) -> work_calendar.Synced:
        schedules = self.settings.file_schedules()

        def sync(client: Any) -> tuple[work_calendar.Synced, int]:
            done = work_calendar.sync(client, self.database, self.timezone,
                                      library_until=self.settings.library_until, file_schedules=schedules,
                                      file_name=str(self.settings.file or ""))
            return done, work_calendar.pending_count(client, self.database)

        done, pending = self.reader.run(sync)
        c = done.combined
        self.state = CalendarState(
            c.covered_until, tuple({"from": s.first_year, "to": s.last_year, "origin": s.origin} for s in c.sources),
            c.problems, pending, int(time.time() * 1000))
        for p in c.problems:
            log.error("working-day calendar: %s", p)
        if done.changed or done.refreshed:
            log.info("working-day calendar covers up to %s; %d tickets' facts recomputed", c.covered_until,
                     done.refreshed)
        return done

    async def sync(self) -> work_calendar.Synced:
        """Sync now (blocking work in a thread); raises what the sync raised."""
        async with self._lock:
            return await asyncio.to_thread(self._sync)

    def _stored(self) -> list[tuple[YearSchedule, str]]:
        return self.reader.run(lambda client: work_calendar.stored_schedules(client, self.database))

    async def stored(self) -> list[tuple[YearSchedule, str]]:
        return await asyncio.to_thread(self._stored)

    async def count_pending(self) -> int:
        """Count the pending handling times now (the state keeps the count of the last round)."""
        n = await asyncio.to_thread(self.reader.run, lambda client: work_calendar.pending_count(client, self.database))
        self.state = replace(self.state, pending_tickets=n)
        return n

    async def supply(self, schedule: YearSchedule, origin: str) -> work_calendar.Synced:
        """Check that the schedule would be used, store it, sync. Raises ScheduleInvalid (nothing
        stored) when it disagrees with the library or another schedule, or leaves a gap."""
        async with self._lock:
            await asyncio.to_thread(self.reader.run, lambda client: work_calendar.supply(
                client, self.database, self.timezone, schedule, origin, library_until=self.settings.library_until))
            return await asyncio.to_thread(self._sync)

    async def withdraw(self, year: int, origin: str) -> bool:
        async with self._lock:
            gone = await asyncio.to_thread(self.reader.run, lambda client: work_calendar.withdraw(
                client, self.database, year, origin))
            await asyncio.to_thread(self._sync)
            return gone

    async def round(self) -> None:
        try:
            await self.sync()
        except Exception as exc:  # noqa: BLE001 - the next round tries again; the state says why
            self.state = CalendarState(self.state.covered_until, self.state.sources, self.state.problems,
                                       self.state.pending_tickets, self.state.checked_at_ms,
                                       f"{type(exc).__name__}: {exc}")
            log.error("working-day calendar not synced: %s", exc)
