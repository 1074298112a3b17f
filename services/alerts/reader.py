"""The alerts service's reads from ClickHouse: the SQL files of services/alerts/sql, run with
parameters, answered as the detectors' plain values.

Blocking (clickhouse-driver): the cycle runs in a worker thread. Any failure of ClickHouse is
raised as StorageUnavailable; the cycle counts it and tries again next time.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from clickhouse_driver import Client
from clickhouse_driver.errors import Error as DriverError

from hotline.calendar.work import WorkCalendar
from hotline.errors import HotlineError
from hotline.settings import ClickHouseSettings
from hotline.storage.client import connect
from services.alerts.detect.cluster import PlacedTicket
from services.alerts.detect.pingpong import Step
from services.alerts.plan import IngestedSecond

STEP_TYPES = {"hotline.ticket.dispatched": "dispatched", "hotline.ticket.returned": "returned",
              "hotline.ticket.completed": "completed"}


class StorageUnavailable(HotlineError):
    """ClickHouse did not answer or refused a statement; nothing was decided from it."""


@lru_cache(maxsize=None)
def _text(name: str) -> str:
    return resources.files("services.alerts").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def sql(name: str, database: str) -> str:
    """The statement of sql/<name>.sql for `database` (its `--` comment lines kept: harmless)."""
    return string.Template(_text(name)).substitute(database=database)


class Storage:
    """One clickhouse-driver connection (opened lazily, re-opened after a failure)."""

    def __init__(self, settings: ClickHouseSettings) -> None:
        self.settings = settings
        self.database = settings.database
        self._client: Client | None = None

    def execute(self, query: str, params: Any = None) -> list[tuple]:
        if self._client is None:
            self._client = connect(self.settings)
        try:
            return self._client.execute(query, params)
        except (DriverError, OSError, EOFError) as exc:
            self.close()
            # The server's message ends with its stack trace: the first lines say what went wrong.
            said = " ".join(str(exc).splitlines()[:2])
            raise StorageUnavailable(f"ClickHouse at {self.settings.host}:{self.settings.port}: {said}") from exc

    def run(self, name: str, params: dict[str, Any] | None = None) -> list[tuple]:
        return self.execute(sql(name, self.database), params or {})

    def ping(self) -> None:
        self.execute("SELECT 1")

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()


class Reader:
    """What the detectors read. Every range is of event time, epoch ms."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def watermark(self, until_ms: int) -> int:
        """The newest ticket event time at or before `until_ms`; 0 when there is none."""
        [(watermark, n)] = self.storage.run("watermark", {"until_ms": until_ms})
        return int(watermark) if n else 0

    def ingested(self, from_s: int) -> list[IngestedSecond]:
        return [IngestedSecond(int(s), int(n), int(t)) for s, n, t in self.storage.run("ingested", {"from_s": from_s})]

    def hourly_counts(self, from_ms: int, to_ms: int) -> list[tuple[int, str, str, str, int]]:
        """(hour start, category, subcategory, district, tickets) for creations in [from_ms, to_ms)."""
        rows = self.storage.run("hourly_counts", {"from_ms": from_ms, "to_ms": to_ms})
        return [(int(h), c, s, d, int(n)) for h, c, s, d, n in rows]

    def placed_tickets(self, from_ms: int, to_ms: int) -> list[PlacedTicket]:
        rows = self.storage.run("placed_tickets", {"from_ms": from_ms, "to_ms": to_ms})
        return [PlacedTicket(t, int(ms), sub, h3, community, district, caller)
                for t, ms, sub, h3, community, district, caller in rows]

    def steps(self, from_ms: int, to_ms: int) -> list[Step]:
        """Every step of the tickets with a step in [from_ms, to_ms], in (ticket, time, id) order."""
        rows = self.storage.run("steps", {"from_ms": from_ms, "to_ms": to_ms})
        return [Step(subject, STEP_TYPES[type_], department, int(ms), id_) for subject, type_, department, ms, id_ in rows]

    def calendar(self, tz: str) -> WorkCalendar:
        """The working-day calendar in force (the library's and the supplied year schedules, as the
        facts use it); the library's alone while none was written yet."""
        rows = self.storage.execute(
            f"SELECT first, before FROM {self.storage.database}.work_calendar ORDER BY version DESC LIMIT 1")
        if not rows:
            return WorkCalendar.from_library(tz)
        first, before = rows[0]
        return WorkCalendar(tz, _workdays(before), first)


def _workdays(before: Sequence[int]) -> list[bool]:
    """before[i] = working days in [first, first + i days), so day i works when it adds one."""
    return [b - a == 1 for a, b in zip(before, before[1:])]
