"""Prometheus metrics of the ingest service, served at /metrics.

One registry per app (not the process-global one), so tests can build many apps in one process.
Every label has a bounded set of values: `outcome` and `mode` are fixed words, `producer` and
`source_prefix` come from the token configuration (never from a request's raw `source`), and
`source_prefix` is "none" for an event without a usable source.

| metric | type | labels | meaning |
|---|---|---|---|
| hotline_ingest_requests_total | counter | outcome | POST /v1/events by outcome (see OUTCOMES) |
| hotline_ingest_request_duration_seconds | histogram | outcome | time to answer a POST /v1/events |
| hotline_ingest_events_total | counter | producer, source_prefix, status | events accepted / rejected |
| hotline_ingest_rejected_events_total | counter | producer, reason | rejected events by the attribute their first violation names (triage.reason_of) |
| hotline_ingest_batch_events | histogram | mode | events per request that got per-event results |
| hotline_ingest_publish_duration_seconds | histogram | | send until every broker ack |
| hotline_ingest_deadletter_events_total | counter | producer | rejected events copied to the dead-letter topic |
| hotline_ingest_broker_failures_total | counter | | requests answered 503 because the broker did not ack |
| hotline_ingest_broker_up | gauge | | 1 when the broker answered the readiness check (cached a few seconds) at scrape time |
| process_* | | | CPU, memory, file descriptors of this process |

Counters: sum() over ingest instances; broker_up: min() (any instance cut off from the broker).
"""

from __future__ import annotations

import time
from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Receive, Scope, Send

from hotline.web.asgi import StatusWatch

# Status code of a POST /v1/events -> outcome label.
OUTCOMES: dict[int, str] = {
    200: "accepted", 207: "partial", 422: "rejected", 400: "malformed", 401: "unauthorized",
    403: "forbidden", 413: "too_large", 415: "unsupported_media_type", 503: "broker_unavailable",
    500: "internal_error",
}
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_BATCH_BUCKETS = (1, 2, 5, 10, 50, 100, 500, 1000, 2000, 5000, 10000)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "hotline_ingest_requests", "POST /v1/events requests by outcome", ["outcome"], registry=r)
        self.request_duration = Histogram(
            "hotline_ingest_request_duration_seconds", "time to answer a POST /v1/events",
            ["outcome"], buckets=_LATENCY_BUCKETS, registry=r)
        self.events = Counter(
            "hotline_ingest_events", "events by producer, configured source prefix and status",
            ["producer", "source_prefix", "status"], registry=r)
        self.rejected = Counter(
            "hotline_ingest_rejected_events", "rejected events by producer and reason (the attribute "
            "the first violation names: time, subject, data, …)", ["producer", "reason"], registry=r)
        self.batch_events = Histogram(
            "hotline_ingest_batch_events", "events per request judged event by event", ["mode"],
            buckets=_BATCH_BUCKETS, registry=r)
        self.publish_duration = Histogram(
            "hotline_ingest_publish_duration_seconds", "from the first send to the last broker ack",
            buckets=_LATENCY_BUCKETS, registry=r)
        self.deadletters = Counter(
            "hotline_ingest_deadletter_events", "rejected events copied to the dead-letter topic",
            ["producer"], registry=r)
        self.broker_failures = Counter(
            "hotline_ingest_broker_failures", "requests answered 503: the broker did not acknowledge",
            registry=r)
        self.broker_up = Gauge(
            "hotline_ingest_broker_up", "1 when the broker answered the readiness check at scrape time, else 0; "
            "min() over instances", registry=r)
        ProcessCollector(registry=r)

    def judged(self, producer: str, mode: str, tally: Tally[tuple[str | None, str]],
               reasons: Tally[str] | None = None) -> None:
        """Count one request's events: `tally` maps (source prefix or None, status) to a count,
        `reasons` the rejected ones' reasons to a count."""
        for reason, n in (reasons or {}).items():
            self.rejected.labels(producer, reason).inc(n)
        total = 0
        for (prefix, status), n in tally.items():
            self.events.labels(producer, prefix or "none", status).inc(n)
            total += n
            if status == "rejected":
                self.deadletters.labels(producer).inc(n)
        self.batch_events.labels(mode).observe(total)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """Pure ASGI middleware timing POST /v1/events and counting it by outcome (status code),
    whatever answered it: the route, an auth error, or the last-resort handler."""

    def __init__(self, app: ASGIApp, metrics: Metrics, path: str = "/v1/events") -> None:
        self.app, self.metrics, self.path = app, metrics, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        watch = StatusWatch(send)
        try:
            await self.app(scope, receive, watch)
        finally:
            status = watch.status
            outcome = OUTCOMES.get(status, "other")
            self.metrics.requests.labels(outcome).inc()
            self.metrics.request_duration.labels(outcome).observe(time.perf_counter() - start)
