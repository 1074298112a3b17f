"""Prometheus metrics of the query API, served at /metrics.

One registry per app (tests build many apps in one process). Labels are bounded: `route` is the
route's path template (e.g. /v1/reports/annual/{year}), never the raw path; "unmatched" for 404s.

| metric | type | labels | meaning |
|---|---|---|---|
| hotline_api_request_duration_seconds | histogram | route, method, status | time to answer a request |
| hotline_api_report_cache_total | counter | result | report answers from the cache (hit) or computed (miss) |
| hotline_api_report_compute_duration_seconds | histogram | kind | computing a report on a miss (queries + assembly) |
| hotline_api_storage_errors_total | counter | | requests answered 503 because ClickHouse did not answer |
| hotline_api_live_snapshot_age_seconds | gauge | | age of the live figures /v1/live serves (one per API instance: take max) |
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Receive, Scope, Send

from hotline.web.asgi import StatusWatch

CONTENT_TYPE = CONTENT_TYPE_LATEST
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.request_duration = Histogram(
            "hotline_api_request_duration_seconds", "time to answer a request, by route template",
            ["route", "method", "status"], buckets=_LATENCY_BUCKETS, registry=r)
        self.report_cache = Counter(
            "hotline_api_report_cache", "report answers served from the cache (hit) or computed (miss)",
            ["result"], registry=r)
        self.report_compute = Histogram(
            "hotline_api_report_compute_duration_seconds", "computing a report on a cache miss",
            ["kind"], buckets=_LATENCY_BUCKETS, registry=r)
        self.storage_errors = Counter(
            "hotline_api_storage_errors", "requests answered 503: ClickHouse did not answer", registry=r)
        self.live_age = Gauge(
            "hotline_api_live_snapshot_age_seconds", "age of the live figures served by /v1/live", registry=r)

    def watch_live(self, computed_at_ms: Callable[[], int]) -> None:
        self.live_age.set_function(lambda: max(time.time() - computed_at_ms() / 1000, 0) if computed_at_ms() else 0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """Pure ASGI middleware: times every HTTP request, labelled by the matched route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        watch = StatusWatch(send)
        try:
            await self.app(scope, receive, watch)
        finally:
            status = watch.status
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.request_duration.labels(route, scope["method"], str(status)).observe(
                time.perf_counter() - start)
