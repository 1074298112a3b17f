"""The API's ClickHouse adapter: the SQL files of services/api/sql, run with parameters.

Blocking (the routes call it in worker threads). Every value from a request travels as a query
parameter; the only text put into SQL is the database name (validated by its settings) and a
bucket expression picked from the fixed table BUCKETS. Clients come from a small pool because a
clickhouse-driver client serves one query at a time; the cube queries of one report run
concurrently. A server that cannot be reached is StorageUnavailable (hotline.errors; a 503 for the
client).
"""

from __future__ import annotations

import datetime as dt
import queue
import socket
import string
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from typing import Any, TypeVar

from clickhouse_driver import Client
from clickhouse_driver.errors import NetworkError, SocketTimeoutError, UnexpectedPacketFromServerError

from hotline.errors import StorageUnavailable  # also this module's public name (live.py)
from hotline.settings import ClickHouseSettings
from hotline.storage import compaction
from hotline.storage.client import connect
from services.api.report.assemble import (
    CALL_DIMS, CATEGORY_DIMS, DEPARTMENT_DIMS, TAG_DIMS, TICKET_DIMS, Cubes,
)
from services.api.report.coverage import Coverage
from services.api.report.cube import Cube
from services.api.report.figures import ServiceLevel
from services.api.report.period import Period

T = TypeVar("T")
BUCKETS = {"day": "day", "week": "toMonday(day)", "month": "toStartOfMonth(day)"}


# Rendered once per (file, database, bucket, FINAL): the live queries run twice a second and a
# cached report's validator on every request.
@lru_cache(maxsize=256)
def _sql(name: str, database: str, bucket: str = "day", final: bool = True) -> str:
    text = resources.files("services.api").joinpath("sql", f"{name}.sql").read_text()
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
    return string.Template("\n".join(lines)).substitute(
        database=database, bucket=BUCKETS[bucket], final="FINAL" if final else "")


class FactsReader:
    def __init__(self, settings: ClickHouseSettings, pool_size: int = 6):
        self.settings = settings
        self.database = settings.database
        self._pool: queue.LifoQueue[Client] = queue.LifoQueue()
        for _ in range(pool_size):
            self._pool.put(connect(settings))
        self._threads = ThreadPoolExecutor(pool_size, thread_name_prefix="facts")
        self._coverage: tuple[int, Coverage] | None = None  # (all_changes, the days held then)

    @contextmanager
    def _client(self) -> Iterator[Client]:
        client = self._pool.get()
        try:
            yield client
        except (NetworkError, SocketTimeoutError, UnexpectedPacketFromServerError, OSError, EOFError,
                socket.timeout) as exc:
            # Only a server that cannot be reached is a 503; a query ClickHouse refuses is our
            # bug and surfaces as one (a 500 from the last-resort handler).
            client.disconnect()
            raise StorageUnavailable(
                f"ClickHouse at {self.settings.host}:{self.settings.port} did not answer: {type(exc).__name__}"
            ) from exc
        finally:
            self._pool.put(client)

    def rows(self, name: str, params: dict[str, Any], bucket: str = "day", final: bool = True) -> list[dict[str, Any]]:
        with self._client() as client:
            data, columns = client.execute(_sql(name, self.database, bucket, final), params, with_column_types=True)
        names = [c[0] for c in columns]
        return [dict(zip(names, row)) for row in data]

    def run(self, fn: Callable[[Client], T]) -> T:
        """`fn(client)` with a pooled client (blocking); a server that cannot be reached is
        StorageUnavailable, as for every other query."""
        with self._client() as client:
            return fn(client)

    def ping(self) -> None:
        with self._client() as client:
            client.execute("SELECT 1")

    def close(self) -> None:
        self._threads.shutdown(wait=False)
        while not self._pool.empty():
            self._pool.get().disconnect()

    # -- reports -----------------------------------------------------------------------------

    @staticmethod
    def _period_params(period: Period, previous: Period | None, sl: ServiceLevel,
                       department: str | None = None) -> dict[str, Any]:
        prev = previous or period  # no comparison period: the OR in the SQL repeats the period
        return {"lo": period.lo, "hi": period.hi, "plo": prev.lo, "phi": prev.hi,
                "sl_ms": sl.threshold_s * 1000, "short_ms": sl.short_abandon_s * 1000,
                "department": department or ""}

    def clean(self, lo: dt.date, hi: dt.date) -> bool:
        """No superseded facts versions on these days (compacted and untouched since)."""
        with self._client() as client:
            return bool(client.execute(compaction.clean_sql(self.database), {"lo": lo, "hi": hi})[0][0])

    def report_cubes(self, period: Period, previous: Period | None, sl: ServiceLevel,
                     department: str | None = None) -> Cubes:
        """The cubes of a report; a department's (`department` set) are its tickets only, and
        its calls cube is empty: calls belong to the city's hotline, not to a department."""
        p = self._period_params(period, previous, sl, department)
        final = not self.clean(p["plo"], p["hi"])
        jobs = {
            "tickets": self._threads.submit(self.rows, "ticket_cube", p, "month", final),
            "calls": self._threads.submit(self._no_calls if department else self.rows, "call_cube", p, "month", final),
            "categories": self._threads.submit(self.rows, "category_cube", p, "day", final),
            "departments": self._threads.submit(self.rows, "department_cube", p, "day", final),
            "tags": self._threads.submit(self.rows, "tag_cube", p, "day", final),
        }
        dims = {"tickets": TICKET_DIMS, "calls": CALL_DIMS, "categories": CATEGORY_DIMS,
                "departments": DEPARTMENT_DIMS, "tags": TAG_DIMS}
        return Cubes(**{k: Cube(f.result(), dims[k]) for k, f in jobs.items()})

    def series_cubes(self, period: Period, interval: str, sl: ServiceLevel,
                     department: str | None = None) -> tuple[Cube, Cube]:
        p = self._period_params(period, None, sl, department)
        final = not self.clean(period.lo, period.hi)
        tickets = self._threads.submit(self.rows, "ticket_cube", p, interval, final)
        calls = self._threads.submit(self._no_calls if department else self.rows, "call_cube", p, interval, final)
        return Cube(tickets.result(), TICKET_DIMS), Cube(calls.result(), CALL_DIMS)

    @staticmethod
    def _no_calls(*_: Any) -> list[dict[str, Any]]:
        return []

    def coverage(self) -> Coverage:
        """The first and last local day the platform holds events for (coverage.sql).

        Asked on every report request and never stale: the days are remembered only under the
        count of every facts refresh (all_changes.sql), read first, so what is remembered is at
        least as new as the count it is kept under, and a count that moved reads the days
        again. A finished year's report then pays about a millisecond for it, not the scan of
        both facts tables."""
        changes = int(self.rows("all_changes", {})[0]["changes"] or 0)
        memo = self._coverage
        if memo is not None and memo[0] == changes:
            return memo[1]
        row = self.rows("coverage", {})[0]
        held = Coverage(row["first"], row["last"]) if row["parts"] else Coverage(None, None)
        self._coverage = (changes, held)
        return held

    def changes(self, period: Period, previous: Period | None) -> tuple[int, int]:
        """The validator of cached answers about `period` (0005_report_support.sql)."""
        p = {"plo": (previous or period).lo, "hi": period.hi, "year": period.lo.year}
        row = self.rows("changes", p)[0]
        return int(row["changes"] or 0), int(row["supplied"] or 0)

    # -- supplied figures --------------------------------------------------------------------

    def supplied(self, year: int) -> tuple[str, str, dt.datetime] | None:
        """(document JSON, supplied_by, updated_at) of the newest version, or None."""
        with self._client() as client:
            rows = client.execute(
                f"SELECT document, supplied_by, updated_at FROM {self.database}.supplied_figures FINAL "
                "WHERE year = %(year)s", {"year": year})
        return rows[0] if rows else None

    def put_supplied(self, year: int, document: str, supplied_by: str, version: int) -> None:
        with self._client() as client:
            client.execute(
                f"INSERT INTO {self.database}.supplied_figures (year, version, document, supplied_by, updated_at) VALUES",
                [(year, version, document, supplied_by, dt.datetime.now().replace(microsecond=0))])
