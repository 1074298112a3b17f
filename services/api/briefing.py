"""Weekly and monthly briefs and the department assessment on request: the queries of
services/api/sql/brief_*.sql and assessment*.sql, the pure figures of services/api/brief, the
renderers. Blocking (routes run it in a worker thread).

Not cached: a brief mixes facts of many days (the baseline, the backlog of overdue tickets),
events of any ticket evaluated or supervised in the period and the alerts service's episodes, so
no single validator tells when it changed; it is asked for a few times a week, and computed in
well under a second from a city-year (docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from hotline.calendar.work import EPOCH
from hotline.storage import work_calendar
from services.api.brief import assessment, episodes, expected, followups, summary
from services.api.brief.document import NO_BASELINE, BriefParams, document, section
from services.api.brief.periods import BriefPeriod
from services.api.clock import bounds_ms, rfc3339
from services.api.facts_reader import FactsReader
from services.api.metrics import Metrics
from services.api.report.coverage import Coverage, assess
from services.api.report.period import Period
from services.api.reporting import MEDIA_TYPES, Answer, Format


class Briefs:
    def __init__(self, reader: FactsReader, metrics: Metrics, city: str, timezone: str):
        self.reader, self.metrics = reader, metrics
        self.city, self.timezone = city, timezone
        self.tz = ZoneInfo(timezone)

    # -- the answers ---------------------------------------------------------------------------

    def brief(self, bp: BriefPeriod, params: BriefParams, fmt: Format, department: str | None = None) -> Answer:
        started = time.perf_counter()
        doc = self._brief(bp, params, department, self._now_ms())
        self.metrics.report_compute.labels(bp.kind).observe(time.perf_counter() - started)
        return self._render(doc, fmt, f"hotline-{bp.label}" + ("-department" if department else ""))

    def departments(self, bp: BriefPeriod, params: BriefParams, fmt: Format, department: str | None = None) -> Answer:
        started = time.perf_counter()
        now_ms = self._now_ms()
        held = self.reader.coverage()
        head = self._head(bp, params, department, held, now_ms)
        p = bp.period
        table = self._assessment(p, params, department, self._as_of(p, now_ms), held)
        doc = document(head, {"departments": section("departments", **table)})
        self.metrics.report_compute.labels("departments").observe(time.perf_counter() - started)
        return self._render(doc, fmt, f"hotline-departments-{p.lo}_{p.hi}" + ("-department" if department else ""))

    # -- the document --------------------------------------------------------------------------

    @staticmethod
    def _now_ms() -> int:
        return int(time.time() * 1000)

    def _as_of(self, p: Period, now_ms: int) -> int:
        return min(bounds_ms(p, self.timezone)[1], now_ms)

    def _today(self, now_ms: int) -> dt.date:
        return dt.datetime.fromtimestamp(now_ms / 1000, self.tz).date()

    def _head(self, bp: BriefPeriod, params: BriefParams, department: str | None, held: Coverage,
              now_ms: int) -> dict[str, Any]:
        """The document's head; NoData (a 404) when the platform holds no event of the period."""
        coverage = assess(bp.period, held, self._today(now_ms))
        period: dict[str, Any] = {**bp.period.as_dict(), "as_of": rfc3339(self._as_of(bp.period, now_ms), self.timezone)}
        if bp.kind != "departments":
            for name, other in (("previous", bp.previous), ("last_year", bp.last_year)):
                period[name] = {**other.as_dict(), "has_data": _overlaps(other, held)} if other else None
        head: dict[str, Any] = {"report": bp.kind, "city": self.city}
        if department is not None:
            head["department"] = department
        if bp.label is not None:
            head["label"] = bp.label
        return head | {"timezone": self.timezone, "period": period, "parameters": params.as_dict(),
                       "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                       "coverage": coverage}

    def _brief(self, bp: BriefPeriod, params: BriefParams, department: str | None, now_ms: int) -> dict[str, Any]:
        p = bp.period
        held = self.reader.coverage()
        head = self._head(bp, params, department, held, now_ms)
        as_of = self._as_of(p, now_ms)
        lo_ms, hi_ms = bounds_ms(p, self.timezone)
        city_wide = department is None
        final = not self.reader.clean(min(p.lo - dt.timedelta(days=expected.BASELINE_DAYS),
                                          bp.last_year.lo if bp.last_year else p.lo), p.hi)
        dep = department or ""
        sections: dict[str, Any] = {}

        # 1. summary
        previous_lo = bp.previous.lo if bp.previous else None
        q = {"lo": previous_lo or p.lo, "hi": p.hi, "plo": (bp.last_year or p).lo, "phi": (bp.last_year or p).hi,
             "sl_ms": params.service_level.threshold_s * 1000, "short_ms": params.service_level.short_abandon_s * 1000,
             "department": dep}
        bucket = "week" if bp.kind == "weekly" else "month"
        tickets = self.reader.rows("ticket_cube", q, bucket, final)
        calls = self.reader.rows("call_cube", q, bucket, final) if city_wide else None
        rows = summary.summary(tickets, calls, params.service_level, p.lo, previous_lo,
                               head["period"]["previous"] is not None and head["period"]["previous"]["has_data"],
                               head["period"]["last_year"] is not None and head["period"]["last_year"]["has_data"])
        sections["summary"] = section("summary", rows=rows)

        # 2. trend and 3. hot
        base = expected.baseline(p, held.first)
        blo = base.lo if base else p.lo
        q = {"blo": blo, "lo": p.lo, "hi": p.hi, "department": dep}
        daily = {r["day"]: r["tickets"] for r in self.reader.rows("brief_days", q, final=final)}
        workday = self._workdays()
        sections["trend"] = section(
            "trend", baseline={**base.as_dict(), "days": base.days} if base else None,
            days=expected.trend(p, base, daily, workday, held.last))
        series = self.reader.rows("brief_series", q, final=final)
        sections["hot"] = section("hot", **self._hot(series, base, params.top_n), alerts=None)
        alert_rows = self.reader.rows("alerts", {"lo_ms": lo_ms, "hi_ms": hi_ms, "kind": "", "status": ""})
        if city_wide:
            sections["hot"]["alerts"] = episodes.surges(alert_rows, self.timezone)

        # 4. clusters, 5. ping-pong
        sections["clusters"] = section("clusters", rows=episodes.clusters(alert_rows, self.timezone)) if city_wide else None
        sections["pingpong"] = section("pingpong", **episodes.pingpong(alert_rows, self.timezone, department))

        # 6. unsatisfied, 7. supervision
        span = {"lo_ms": lo_ms, "hi_ms": hi_ms, "lo_s": lo_ms // 1000, "hi_s": -(-hi_ms // 1000), "asof_ms": as_of,
                "any": int(params.unsatisfied_on == "any")}
        unsatisfied = self.reader.rows("brief_unsatisfied", span)
        supervised = self.reader.rows("brief_supervised", span)
        overdue = self._overdue(p, as_of, dep, held)
        facts = self._facts({r["ticket_id"] for r in unsatisfied} | {r["ticket_id"] for r in supervised})
        if department is not None:
            mine = lambda r: r["ticket_id"] in facts and facts[r["ticket_id"]]["department"] == department  # noqa: E731
            unsatisfied, supervised = [r for r in unsatisfied if mine(r)], [r for r in supervised if mine(r)]
        sections["unsatisfied"] = section("unsatisfied", **followups.unsatisfied(unsatisfied, facts, self.timezone))
        sections["supervision"] = section(
            "supervision", **followups.supervision(supervised, overdue, facts, as_of, self.timezone))

        # 8. departments
        sections["departments"] = section("departments", **self._assessment(p, params, department, as_of, held, overdue))
        return document(head, sections)

    def _hot(self, series: list[dict[str, Any]], base: Period | None, top_n: int) -> dict[str, Any]:
        if base is None:
            return {"note": NO_BASELINE, "categories": [], "subcategories": []}
        now = [r for r in series if r["cur"] == 1]
        before = [r for r in series if r["cur"] == 0]

        def counts(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any]) -> dict[Any, int]:
            out: dict[Any, int] = {}
            for r in rows:
                k = key(r)
                if k is not None:
                    out[k] = out.get(k, 0) + r["tickets"]
            return out

        category = lambda r: r["category"] or None  # noqa: E731
        sub = lambda r: (r["category"], r["subcategory"]) if r["category"] and r["subcategory"] else None  # noqa: E731
        cats = expected.ranking(counts(now, category), counts(before, category), top_n)
        subs = expected.ranking(counts(now, sub), counts(before, sub), top_n)
        note = None if before else NO_BASELINE
        return {"note": note,
                "categories": [{"category": r.pop("key"), **r} for r in cats],
                "subcategories": [{"category": r["key"][0], "subcategory": r.pop("key")[1], **r} for r in subs]}

    def _overdue(self, p: Period, as_of: int, department: str, held: Coverage) -> list[dict[str, Any]]:
        """Overdue at the as-of instant, of tickets created on any day up to the period's end: read
        without FINAL only when every one of those days is compacted."""
        final = not self.reader.clean(held.first or p.lo, p.hi)
        return self.reader.rows("brief_overdue", {"hi": p.hi, "asof_ms": as_of, "department": department}, final=final)

    def _assessment(self, p: Period, params: BriefParams, department: str | None, as_of: int, held: Coverage,
                    overdue: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        dep = department or ""
        final = not self.reader.clean(p.lo, p.hi)
        q = {"lo": p.lo, "hi": p.hi, "department": dep, "any": int(params.unsatisfied_on == "any"),
             "latest": int(params.evaluations == "latest")}
        handled = self.reader.rows("assessment", q, final=final)
        evaluations = self.reader.rows("assessment_evaluations", q, final=final)
        returns = self.reader.rows("assessment_returns", q)
        if overdue is None:
            overdue = self._overdue(p, as_of, dep, held)
        late: dict[str, int] = {}
        for r in overdue:
            late[r["department"]] = late.get(r["department"], 0) + 1
        measures = assessment.merge(handled, evaluations, returns,
                                    [{"department": d, "overdue": n} for d, n in late.items()])
        city_returned = None
        if department is None:
            city_returned = self.reader.rows("assessment_returned", q)[0]["transferred_out"]
        return assessment.table(measures, params.weights, city_wide=department is None, city_returned=city_returned)

    def _facts(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        """The facts of tickets evaluated or supervised in the period, created on any day: always
        read with FINAL (a lookup by the sorting key, cheap), since their days may not be compacted."""
        if not ids:
            return {}
        return {r["ticket_id"]: r for r in self.reader.rows("brief_tickets", {"ids": tuple(sorted(ids))})}

    def _workdays(self) -> Callable[[dt.date], bool]:
        """Working day or rest day by the calendar in force (the one the handling times use); a
        day it does not cover falls back to Monday–Friday."""
        in_force = self.reader.run(lambda client: work_calendar.in_force(client, self.reader.database))
        before = in_force.before if in_force else ()

        def workday(day: dt.date) -> bool:
            i = (day - EPOCH).days
            if 0 <= i and i + 1 < len(before):
                return before[i + 1] - before[i] == 1
            return day.weekday() < 5
        return workday

    # -- rendering -----------------------------------------------------------------------------

    @staticmethod
    def _render(doc: dict[str, Any], fmt: Format, stem: str) -> Answer:
        tickets = _tickets(doc)
        if fmt == "json":
            return Answer(orjson.dumps(doc), MEDIA_TYPES["json"], tickets=tickets)
        # The renderers are imported when asked for (openpyxl alone takes a tenth of a second).
        from services.api.render import brief_page, brief_tables

        if fmt == "html":
            return Answer(brief_page.page(doc).encode("utf-8"), MEDIA_TYPES["html"], tickets=tickets)
        if fmt == "xlsx":
            return Answer(brief_tables.workbook(doc), MEDIA_TYPES["xlsx"], f"{stem}.xlsx", tickets=tickets)
        return Answer(brief_tables.csv_zip(doc), MEDIA_TYPES["zip"], f"{stem}-csv.zip", tickets=tickets)


def _overlaps(p: Period, held: Coverage) -> bool:
    return held.first is not None and held.last is not None and p.lo <= held.last and p.hi >= held.first


def _tickets(doc: dict[str, Any]) -> int:
    """The tickets an answer covers, logged with a department's share: its dispatched tickets."""
    rows = (doc.get("departments") or {}).get("rows") or []
    return sum(r["dispatched"] for r in rows)
