"""Reports and series on request: coverage, validator, cache, cube queries, assembly, rendering.

Blocking (routes run it in a worker thread). The validator is read before the figures, so an
answer cached under it can only be older than the facts it was computed from, never newer:
a refresh that lands meanwhile moves the validator and the next request recomputes.

The days the platform holds (report/coverage.py) are read before the cache on every request:
they move when events of a new day arrive, which the validator of an older period does not see.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Literal
from zoneinfo import ZoneInfo

import orjson

from services.api.cache import AnswerCache
from services.api.facts_reader import FactsReader
from services.api.metrics import Metrics
from services.api.report import assemble, series
from services.api.report.assemble import ReportParams
from services.api.report.coverage import assess
from services.api.report.errors import UnknownTable
from services.api.report.period import Period

Format = Literal["json", "csv", "xlsx", "html"]
MEDIA_TYPES = {
    "json": "application/json", "csv": "text/csv; charset=utf-8", "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
# A table slug (render/tables.py) -> the report's keys that hold its figures.
TABLE_KEYS = {"maishangyi_tags": ("maishangyi_demands", "tags")}


@dataclass(frozen=True)
class Answer:
    body: bytes
    media_type: str
    filename: str | None = None
    cached: bool = False
    tickets: int = 0  # tickets of the period the answer covers (logged with a department's share)


class Reports:
    def __init__(self, reader: FactsReader, cache: AnswerCache, metrics: Metrics, city: str, timezone: str):
        self.reader, self.cache, self.metrics = reader, cache, metrics
        self.city, self.timezone, self.zone = city, timezone, ZoneInfo(timezone)
        self._computing: dict[tuple, threading.Lock] = {}
        self._locks = threading.Lock()

    def _single_flight(self, key: tuple) -> threading.Lock:
        """One computation per document at a time: concurrent misses wait for the first one and
        then find its answer in the cache, instead of each running the cube queries."""
        with self._locks:
            return self._computing.setdefault(key, threading.Lock())

    def report(self, kind: str, period: Period, params: ReportParams, fmt: Format,
               table: str | None = None, department: str | None = None) -> Answer:
        """The report (or one table of it); with `department`, that department's report, cached
        apart from the city's and from every other department's.

        NoData (a 404) when the platform holds no event in the period: checked first, on the
        city's days for a department too (a department without tickets in days the platform
        holds has zeros, and they are true). The coverage is part of the cache keys, so an
        answer is never served with the days and note of an earlier state: a finished period
        is computed again once after the last day held moved (once a day in operation: one
        cold report, about a second for a city-year), and one document stays the single
        source of every format."""
        if table is not None:
            self._check_table(table)
        coverage = assess(period, self.reader.coverage(), dt.datetime.now(self.zone).date())
        previous = period.previous()
        validator = self.reader.changes(period, previous)
        key = ("report", kind, period, params, fmt, table, department, tuple(coverage.items()))
        hit = self.cache.get(key, validator)
        self.metrics.report_cache.labels("hit" if hit else "miss").inc()
        if hit is not None:
            return replace(hit, cached=True)
        doc = self._document(kind, period, previous, params, validator, department, coverage)
        # Not the department's name: a Content-Disposition filename must be Latin-1.
        stem = self._stem(kind, period) + ("-department" if department else "")
        answer = replace(self._render(doc, fmt, table, stem), tickets=doc["demands"]["rows"]["all"]["total"])
        self.cache.put(key, validator, answer)
        return answer

    @staticmethod
    def _check_table(table: str) -> None:
        from services.api.render.tables import TABLE_NAMES

        if table not in TABLE_NAMES:
            raise UnknownTable("table", f"unknown table; the tables are {', '.join(TABLE_NAMES)}")

    def _document(self, kind: str, period: Period, previous: Period | None, params: ReportParams,
                  validator: tuple[int, int], department: str | None, coverage: dict[str, Any]) -> dict[str, Any]:
        # The document itself is cached too: the other formats of one report reuse it.
        key = ("document", kind, period, params, department, tuple(coverage.items()))
        with self._single_flight(key):
            doc = self.cache.get(key, validator)
            if doc is None:
                doc = self._compute(kind, period, previous, params, department, coverage)
                self.cache.put(key, validator, doc)
        return doc

    def _compute(self, kind: str, period: Period, previous: Period | None, params: ReportParams,
                 department: str | None, coverage: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        cubes = self.reader.report_cubes(period, previous, params.service_level, department)
        supplied = None
        if kind == "annual" and department is None:
            row = self.reader.supplied(period.lo.year)
            if row is not None:
                document, by, updated_at = row
                supplied = {"supplied_by": by, "updated_at": updated_at.isoformat(), "figures": orjson.loads(document)}
        doc = assemble.report(
            kind=kind, city=self.city, timezone=self.timezone, period=period, previous=previous,
            cubes=cubes, params=params, supplied=supplied,
            generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), coverage=coverage,
            department=department,
        )
        self.metrics.report_compute.labels(kind).observe(time.perf_counter() - started)
        return doc

    @staticmethod
    def _stem(kind: str, period: Period) -> str:
        return f"hotline-{period.lo.year}" if kind == "annual" else f"hotline-{period.lo}_{period.hi}"

    @staticmethod
    def _render(doc: dict[str, Any], fmt: Format, table: str | None, stem: str) -> Answer:
        # The renderers are imported when asked for: openpyxl alone takes a tenth of a second to
        # import, and a JSON answer needs none of them.
        if fmt == "json":
            if table is None:
                return Answer(orjson.dumps(doc), MEDIA_TYPES["json"])
            keys = TABLE_KEYS.get(table, (table,))
            part = doc.get(keys[0]) if len(keys) == 1 else {k: doc.get(k) for k in keys}
            return Answer(orjson.dumps(part), MEDIA_TYPES["json"])
        if fmt == "csv":
            from services.api.render import csv_out, tables

            if table is None:
                return Answer(csv_out.report_zip(doc), MEDIA_TYPES["zip"], f"{stem}-csv.zip")
            t = tables.table(doc, table)
            return Answer(csv_out.table_csv(t), MEDIA_TYPES["csv"], f"{stem}-{table}.csv")
        if fmt == "xlsx":
            from services.api.render import xlsx

            return Answer(xlsx.workbook(doc), MEDIA_TYPES["xlsx"], f"{stem}.xlsx")
        from services.api.render import html

        return Answer(html.page(doc).encode("utf-8"), MEDIA_TYPES["html"])

    def series(self, period: Period, interval: str, params: ReportParams, department: str | None = None) -> Answer:
        validator = self.reader.changes(period, None)
        key = ("series", period, interval, params.service_level, department)
        hit = self.cache.get(key, validator)
        if hit is not None:
            return replace(hit, cached=True)
        t, c = self.reader.series_cubes(period, interval, params.service_level, department)
        points = series.series(t, c, interval, params.service_level, with_calls=department is None)
        head = {"city": self.city} | ({"department": department} if department else {})
        body = orjson.dumps({
            **head, "timezone": self.timezone, "interval": interval,
            "period": period.as_dict(), "parameters": params.as_dict(), "points": points,
        })
        answer = Answer(body, MEDIA_TYPES["json"], tickets=sum(p["demands"]["total"] for p in points))
        self.cache.put(key, validator, answer)
        return answer
