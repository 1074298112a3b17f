"""Prometheus metrics of the ingest service, served at /metrics; one registry per app, declared
the way hotline.web.prometheus describes.

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

from collections import Counter as Tally

from starlette.types import Scope

from hotline.web.prometheus import CONTENT_TYPE  # noqa: F401 - what routes/health.py serves /metrics as
from hotline.web.prometheus import LATENCY_BUCKETS_S, ServiceMetrics

# Status code of a POST /v1/events -> outcome label.
OUTCOMES: dict[int, str] = {
    200: "accepted", 207: "partial", 422: "rejected", 400: "malformed", 401: "unauthorized",
    403: "forbidden", 413: "too_large", 415: "unsupported_media_type", 503: "broker_unavailable",
    500: "internal_error",
}
_BATCH_BUCKETS = (1, 2, 5, 10, 50, 100, 500, 1000, 2000, 5000, 10000)


class Metrics(ServiceMetrics):
    def __init__(self) -> None:
        super().__init__()
        self.requests = self.counter(
            "hotline_ingest_requests_total", "POST /v1/events requests by outcome", ["outcome"])
        self.request_duration = self.histogram(
            "hotline_ingest_request_duration_seconds", "time to answer a POST /v1/events",
            ["outcome"], buckets=LATENCY_BUCKETS_S)
        self.events = self.counter(
            "hotline_ingest_events_total", "events by producer, configured source prefix and status",
            ["producer", "source_prefix", "status"])
        self.rejected = self.counter(
            "hotline_ingest_rejected_events_total", "rejected events by producer and reason (the attribute "
            "the first violation names: time, subject, data, …)", ["producer", "reason"])
        self.batch_events = self.histogram(
            "hotline_ingest_batch_events", "events per request judged event by event", ["mode"],
            buckets=_BATCH_BUCKETS)
        self.publish_duration = self.histogram(
            "hotline_ingest_publish_duration_seconds", "from the first send to the last broker ack",
            buckets=LATENCY_BUCKETS_S)
        self.deadletters = self.counter(
            "hotline_ingest_deadletter_events_total", "rejected events copied to the dead-letter topic",
            ["producer"])
        self.broker_failures = self.counter(
            "hotline_ingest_broker_failures_total", "requests answered 503: the broker did not acknowledge")
        self.broker_up = self.gauge(
            "hotline_ingest_broker_up", "1 when the broker answered the readiness check at scrape time, else 0; "
            "min() over instances")

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


def outcome_labels(scope: Scope, status: int) -> tuple[str]:
    """The labels of `requests` and `request_duration` (hotline.web.request_metrics)."""
    return (OUTCOMES.get(status, "other"),)
