"""Prometheus metrics of the query API, served at /metrics; one registry per app, declared the way
hotline.web.prometheus describes.

Labels are bounded: `route` is the route's path template (e.g. /v1/reports/annual/{year}), never
the raw path; "unmatched" for 404s (hotline.web.request_metrics.route_labels).

| metric | type | labels | meaning |
|---|---|---|---|
| hotline_api_request_duration_seconds | histogram | route, method, status | time to answer a request |
| hotline_api_report_cache_total | counter | result | report answers from the cache (hit) or computed (miss) |
| hotline_api_report_compute_duration_seconds | histogram | kind | computing a report on a miss, or a brief (weekly, monthly, departments: every request) (queries + assembly) |
| hotline_api_storage_errors_total | counter | | requests answered 503 because ClickHouse did not answer |
| hotline_api_live_snapshot_age_seconds | gauge | | age of the live figures /v1/live serves (one per API instance: take max) |
| hotline_api_clickhouse_up | gauge | | 1 when the last live refresh reached ClickHouse, else 0 |
| hotline_live_* | gauges | outcome, source | the live figures of /v1/live (LiveCollector below) |
| hotline_calendar_coverage_remaining_seconds | gauge | | time from now to the end of the last day the working-day calendar covers (city time); negative once past; NaN until first read. Alert rules: min() |
| hotline_calendar_pending_tickets | gauge | | completed tickets whose handling time waits for a year schedule |
| process_* | | | CPU, memory, file descriptors of this process |

The live figures are computed from ClickHouse by every API instance, so every instance exports
the same value and a restart does not reset them: aggregate them with max(), never sum().
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client.core import GaugeMetricFamily

from hotline.web.prometheus import CONTENT_TYPE  # noqa: F401 - what routes/health.py serves /metrics as
from hotline.web.prometheus import LATENCY_BUCKETS_S, ServiceMetrics


class Metrics(ServiceMetrics):
    def __init__(self) -> None:
        super().__init__()
        self.request_duration = self.histogram(
            "hotline_api_request_duration_seconds", "time to answer a request, by route template",
            ["route", "method", "status"], buckets=LATENCY_BUCKETS_S)
        self.report_cache = self.counter(
            "hotline_api_report_cache_total", "report answers served from the cache (hit) or computed (miss)",
            ["result"])
        self.report_compute = self.histogram(
            "hotline_api_report_compute_duration_seconds", "computing a report on a cache miss",
            ["kind"], buckets=LATENCY_BUCKETS_S)
        self.storage_errors = self.counter(
            "hotline_api_storage_errors_total", "requests answered 503: ClickHouse did not answer")
        self.live_age = self.gauge(
            "hotline_api_live_snapshot_age_seconds", "age of the live figures served by /v1/live")
        self.clickhouse_up = self.gauge(
            "hotline_api_clickhouse_up", "1 when the last live refresh reached ClickHouse, else 0")
        self.calendar_remaining = self.gauge(
            "hotline_calendar_coverage_remaining_seconds",
            "time until the end of the last day the working-day calendar covers (negative: past)")
        self.calendar_remaining.set(float("nan"))
        self.calendar_pending = self.gauge(
            "hotline_calendar_pending_tickets", "completed tickets whose handling time waits for a year schedule")
        self.calendar_pending.set(float("nan"))

    def watch_live(self, live: Any) -> None:
        """Export `live.snapshot` (a LiveFigures): its age, ClickHouse reachability, the figures."""
        self.live_age.set_function(
            lambda: max(time.time() - live.snapshot.computed_at_ms / 1000, 0) if live.snapshot.computed_at_ms else 0)
        self.clickhouse_up.set_function(lambda: 1 if live.snapshot.computed_at_ms and live.snapshot.error is None else 0)
        self.registry.register(LiveCollector(live))

    def watch_calendar(self, watch: Any) -> None:
        """Export what `watch` (a CalendarWatch) last read; NaN until it has read anything, so
        the coverage alert cannot fire on a value nobody measured."""
        def remaining() -> float:
            left = watch.state.remaining_s(time.time(), watch.tz)
            return float("nan") if left is None else left

        def pending() -> float:
            n = watch.state.pending_tickets
            return float("nan") if n is None else float(n)

        self.calendar_remaining.set_function(remaining)
        self.calendar_pending.set_function(pending)


_AGGREGATE = " Every API instance exports the same value (computed from ClickHouse): use max()."


class LiveCollector:
    """The live figures as gauges, read from the latest snapshot at scrape time. Before the first
    snapshot nothing is exported (absent, not a false zero)."""

    def __init__(self, live: Any) -> None:
        self.live = live

    def describe(self) -> list:
        return []  # unchecked collector: the families depend on the snapshot

    def collect(self):
        f = self.live.snapshot.figures
        if not f:
            return
        calls, tickets = f["calls"], f["tickets"]

        def gauge(name: str, help_: str, value: float | None, labels: dict[str, str] | None = None):
            g = GaugeMetricFamily(name, help_ + _AGGREGATE, labels=list(labels or {}))
            if value is not None:
                g.add_metric(list((labels or {}).values()), value)
            return g

        yield gauge("hotline_live_calls_waiting", "Inbound calls waiting for an agent now (排队等待).", calls["waiting"])
        yield gauge("hotline_live_oldest_wait_seconds", "Age of the oldest waiting call (最长等待), 0 when none.",
                    calls["oldest_waiting_age_s"])
        today = GaugeMetricFamily("hotline_live_calls_today", "Inbound calls today (city time) by outcome: offered, "
                                  "answered, abandoned (今日呼入/接听/放弃)." + _AGGREGATE, labels=["outcome"])
        for outcome in ("offered", "answered", "abandoned"):
            today.add_metric([outcome], calls[f"{outcome}_today"])
        yield today
        sl = next((v for k, v in calls.items() if k.startswith("service_level_") and k.endswith("_last_15min_pct")), None)
        yield gauge("hotline_live_service_level_15m_ratio", "Share of the last 15 minutes' decided inbound calls answered "
                    "within the threshold (15分钟接通率), 0..1; absent with no decided call.",
                    None if sl is None else sl / 100)
        created = GaugeMetricFamily("hotline_live_tickets_created_today", "Tickets created today by source: phone, "
                                    "internet, transfer_in (今日新建工单)." + _AGGREGATE, labels=["source"])
        for source, n in tickets["created_today_by_source"].items():
            created.add_metric([source], n)
        yield created
        yield gauge("hotline_live_tickets_answered_online_today", "Tickets answered online today (今日在线解答).",
                    tickets["answered_online_today"])
        yield gauge("hotline_live_tickets_dispatched_today", "Tickets dispatched to a department today (今日派单).",
                    tickets["dispatched_today"])
        yield gauge("hotline_live_tickets_open", "Dispatched tickets not completed (在办工单).", tickets["open_dispatched"])
        yield gauge("hotline_live_tickets_overdue", "Open dispatched tickets past their deadline (超期工单).",
                    tickets["overdue"])
        yield gauge("hotline_live_freshness_seconds", "Now minus the time of the newest event in ClickHouse "
                    "(数据新鲜度); absent when none in two days.", f["pipeline"]["newest_event_age_s"])
