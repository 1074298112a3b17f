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
import time
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
from services.api.report.assemble import (CALL_DIMS, CATEGORY_DIMS, DEPARTMENT_DIMS, TAG_DIMS, TICKET_DIMS, Cubes,
                                          ticket_cubes)
from services.api.report.coverage import Coverage
from services.api.report.cube import Cube
from services.api.report.figures import ServiceLevel
from services.api.report.period import Period
from services.api.report import reads

T = TypeVar("T")
BUCKETS = {"day": "day", "week": "toMonday(day)", "month": "toStartOfMonth(day)"}
# The ranges of ticket ids ticket_cubes.sql reads, as conditions on the sorting key (so that
# ClickHouse reads only that range's granules): all, below a split id, from it on.
IDS = {"all": "1", "below": "ticket_id < %(split)s", "from": "ticket_id >= %(split)s"}
SPLIT_MEMO_S = 600.0  # the split only balances two threads: a slightly old one does as well
SPLIT_MEMO_MAX = 64  # periods remembered
KEPT_MAX = 512  # compacted months' cubes kept (a month of a period, per department and service level)
# A compacted period's ticket cubes (read without FINAL), one query each: such a query uses
# every core, and the narrow groupings of categories, departments and tags cost less than
# ticket_cubes.sql's grouping by every dimension at once (docs/performance.md).
SEPARATE_CUBES = {"tickets": ("ticket_cube", "month", TICKET_DIMS),
                  "categories": ("category_cube", "day", CATEGORY_DIMS),
                  "departments": ("department_cube", "day", DEPARTMENT_DIMS),
                  "tags": ("tag_cube", "day", TAG_DIMS)}
CUBE_DIMS = {"calls": CALL_DIMS, **{name: dims for name, (_, _, dims) in SEPARATE_CUBES.items()}}


# Rendered once per (file, database, bucket, FINAL, ids): the live queries run twice a second and
# a cached report's validator on every request.
@lru_cache(maxsize=256)
def _sql(name: str, database: str, bucket: str = "day", final: bool = True, ids: str = "all",
         by_month: bool = False) -> str:
    measures = string.Template(_text("ticket_measures"))
    return string.Template(_text(name)).substitute(
        database=database, bucket=BUCKETS[bucket], final="FINAL" if final else "", ids=IDS[ids],
        ticket_measures=measures.substitute(p=""), ticket_measures_t=measures.substitute(p="t_"),
        month_column="toStartOfMonth(day) AS m, " if by_month else "", month_key="m, " if by_month else "")


def _text(name: str) -> str:
    """A file of services/api/sql without its comment lines."""
    text = resources.files("services.api").joinpath("sql", f"{name}.sql").read_text()
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("--"))


class FactsReader:
    def __init__(self, settings: ClickHouseSettings, pool_size: int = 6):
        self.settings = settings
        self.database = settings.database
        self._pool: queue.LifoQueue[Client] = queue.LifoQueue()
        for _ in range(pool_size):
            self._pool.put(connect(settings))
        self._threads = ThreadPoolExecutor(pool_size, thread_name_prefix="facts")
        self._coverage: tuple[int, Coverage] | None = None  # (all_changes, the days held then)
        self._splits: dict[tuple, tuple[float, str | None]] = {}  # periods -> (monotonic time, split id)
        # a compacted month of a period and the parameters -> (its change count, its cubes' rows)
        self._kept: dict[tuple, tuple[int, dict[str, list]]] = {}

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

    def rows(self, name: str, params: dict[str, Any], bucket: str = "day", final: bool = True,
             ids: str = "all", by_month: bool = False) -> list[dict[str, Any]]:
        with self._client() as client:
            sql = _sql(name, self.database, bucket, final, ids, by_month)
            data, columns = client.execute(sql, params, with_column_types=True)
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

    def month_marks(self, lo: dt.date, hi: dt.date) -> dict[dt.date, reads.MonthMark]:
        """Every month of days lo..hi: its change count, and whether it is clean (compacted and
        unchanged since)."""
        with self._client() as client:
            return reads.marks(lo, hi, *compaction.month_counts(client, self.database, lo, hi))

    def report_cubes(self, period: Period, previous: Period | None, sl: ServiceLevel,
                     department: str | None = None) -> Cubes:
        """The cubes of a report; a department's (`department` set) are its tickets only, and
        its calls cube is empty: calls belong to the city's hotline, not to a department.

        Read month by month (services/api/report/reads.py): the months still changing with
        FINAL, which reads their partitions only (migration 0016) but runs in one thread per
        query on 18.16 and costs more with every column read, so the four ticket cubes come from
        one read of every column (ticket_cubes.sql) over two halves of the ids at once; the
        compacted months without FINAL, five cheaper queries at once (the calls cube,
        SEPARATE_CUBES), whose cubes are then kept while those months' change count stays put.
        The rows of every read are put together: cubes add up."""
        p = self._period_params(period, previous, sl, department)
        lo = min(period.lo, previous.lo) if previous is not None else period.lo
        hi = max(period.hi, previous.hi) if previous is not None else period.hi
        marks = self.month_marks(lo, hi)
        held: dict[reads.Segment, dict[str, list]] = {}

        def kept(seg: reads.Segment) -> bool:
            """Whether the memo holds the month under its current count, taking its rows now:
            another report may empty the memo meanwhile (plan asks once per month)."""
            memo = self._kept.get(self._keep_key(p, seg))
            if memo is not None and memo[0] == seg.mark:
                held[seg] = memo[1]
            return seg in held
        plan, used = reads.plan(period, previous, marks, kept)
        # Every read's queries are queued before any is waited for: the changing ones first (the
        # longest), then the compacted ones.
        pending = [self._changing(self._read_params(p, r)) if r.final else self._compacted(p, r) for r in plan]
        rows: dict[str, list] = {name: [] for name in CUBE_DIMS}
        for got in [collect() for collect in pending] + [held[seg] for seg in used]:
            for name, cube_rows in got.items():
                rows[name].extend(cube_rows)
        return Cubes(**{name: Cube(rows[name], dims) for name, dims in CUBE_DIMS.items()})

    @staticmethod
    def _read_params(p: dict[str, Any], r: reads.Read) -> dict[str, Any]:
        return {**p, "lo": r.lo, "hi": r.hi, "plo": r.plo, "phi": r.phi}

    @staticmethod
    def _keep_key(p: dict[str, Any], seg: reads.Segment) -> tuple:
        return seg.lo, seg.hi, seg.cur, p["department"], p["sl_ms"], p["short_ms"]

    def _changing(self, q: dict[str, Any]) -> Callable[[], dict[str, list]]:
        """Queue the reads of days still changing, with FINAL: the calls cube, and the ticket
        cubes over two halves of the ids; returns what waits for their rows."""
        calls = self._threads.submit(self._no_calls if q["department"] else self.rows, "call_cube", q, "month", True)
        split = self.ticket_id_split(q)
        halves = [("below", split), ("from", split)] if split is not None else [("all", "")]
        jobs = [self._threads.submit(self.rows, "ticket_cubes", {**q, "split": at}, "month", True, ids)
                for ids, at in halves]

        def collect() -> dict[str, list]:
            tickets = ticket_cubes([row for job in jobs for row in job.result()])
            return {**{name: cube.rows for name, cube in tickets.items()}, "calls": calls.result()}
        return collect

    def _compacted(self, p: dict[str, Any], r: reads.Read) -> Callable[[], dict[str, list]]:
        """Queue the reads of compacted days, without FINAL: the calls cube and the four ticket
        cubes, five queries (the calls cube empty for a department), grouped by month as well
        unless the read is not to be kept (no segments); returns what waits for their rows and
        keeps them month by month (each of r.segments)
        under the month's change count. That count was read before the month was judged clean,
        and both before these reads: a refresh of its days after it moves the count, so rows
        kept under it are read again by the next report, never taken for current."""
        q, by_month = self._read_params(p, r), bool(r.segments)
        jobs = {"calls": self._threads.submit(self._no_calls if q["department"] else self.rows, "call_cube", q,
                                              "month", False, "all", by_month),
                **{name: self._threads.submit(self.rows, sql, q, bucket, False, "all", by_month)
                   for name, (sql, bucket, _) in SEPARATE_CUBES.items()}}

        def collect() -> dict[str, list]:
            if not by_month:  # a read not to be kept
                return {name: job.result() for name, job in jobs.items()}
            per_segment: dict[tuple, dict[str, list]] = {
                (seg.lo.replace(day=1), seg.cur): {name: [] for name in jobs} for seg in r.segments}
            for name, job in jobs.items():
                for row in job.result():
                    m = row.pop("m")
                    per_segment[(m, bool(row["cur"]))][name].append(row)
            if r.segments and len(self._kept) + len(r.segments) > KEPT_MAX:
                self._kept.clear()  # a few periods' months are asked for again and again
            for seg in r.segments:
                self._kept[self._keep_key(p, seg)] = (seg.mark, per_segment[(seg.lo.replace(day=1), seg.cur)])
            return {name: [row for got in per_segment.values() for row in got[name]] for name in jobs}
        return collect

    def ticket_id_split(self, p: dict[str, Any]) -> str | None:
        """A ticket id with about half of the periods' tickets below it (ticket_id_split.sql;
        `p` holds lo, hi, plo, phi), remembered per periods for SPLIT_MEMO_S; None while there
        are too few tickets to be worth two reads."""
        key = (p["lo"], p["hi"], p["plo"], p["phi"])
        now = time.monotonic()
        memo = self._splits.get(key)
        if memo is not None and now - memo[0] < SPLIT_MEMO_S:
            return memo[1]
        row = self.rows("ticket_id_split", {k: p[k] for k in ("lo", "hi", "plo", "phi")})[0]
        split = row["split"] if row["sampled"] >= 2 else None
        if len(self._splits) >= SPLIT_MEMO_MAX:
            self._splits.clear()  # a few periods are asked for again and again; the rest cost one read
        self._splits[key] = (now, split)
        return split

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
