"""Prometheus metrics of the alerts service, served at /metrics; one registry per app, declared the
way hotline.web.prometheus describes.

| metric | type | labels | meaning |
|---|---|---|---|
| hotline_alerts_open | gauge | kind | episodes open now (surge, cluster, pingpong), as stored: read from ClickHouse at start-up and after every cycle, so a restart does not reset it. Every replica exports the same value: use max() |
| hotline_alerts_raised_total | counter | kind | alerts raised (hotline.alert.raised published and stored) by this process |
| hotline_alerts_published_total | counter | change | alert events acknowledged by the broker: raised, updated, closed (a retried cycle publishes a change again) |
| hotline_alerts_cycle_seconds | histogram | | a detection cycle that ran (read, detect, publish, store); skipped cycles are not observed |
| hotline_alerts_cycles_total | counter | outcome | cycles by outcome: done, skipped (nothing ingested, watermark unchanged), failed |
| hotline_alerts_cycle_errors_total | counter | | cycles that failed (ClickHouse or Kafka away, a detector error); retried next time, nothing lost |
| hotline_alerts_watermark_timestamp_seconds | gauge | | the event time evaluated up to by the last completed cycle (epoch seconds); NaN until one completed |
| hotline_alerts_last_success_timestamp_seconds | gauge | | wall-clock time the last cycle completed (epoch seconds; a stalled detector: time() minus this grows); NaN until one completed |
| process_* | | | CPU, memory, file descriptors of this process |

The counters count this process's work (sum() over replicas counts work, not distinct alerts: two
replicas raise the same alert twice, with the same event id).
"""

from __future__ import annotations

from collections.abc import Mapping

from hotline.web.prometheus import CONTENT_TYPE  # noqa: F401 - what app.py serves /metrics as
from hotline.web.prometheus import ServiceMetrics
from services.alerts.episode import KINDS

# A cycle reads and detects over days of tickets: from milliseconds (nothing much) to minutes
# (a year-long backfill).
CYCLE_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class Metrics(ServiceMetrics):
    def __init__(self) -> None:
        super().__init__()
        self.open = self.gauge("hotline_alerts_open", "alert episodes open now, by kind, as stored (use max() over replicas)",
                               ["kind"])
        self.raised = self.counter("hotline_alerts_raised_total", "alerts raised by this process, by kind", ["kind"])
        self.published = self.counter("hotline_alerts_published_total",
                                      "alert events acknowledged by the broker, by change", ["change"])
        self.cycle_seconds = self.histogram("hotline_alerts_cycle_seconds", "time of a detection cycle that ran",
                                            buckets=CYCLE_BUCKETS_S)
        self.cycles = self.counter("hotline_alerts_cycles_total", "detection cycles by outcome: done, skipped, failed",
                                   ["outcome"])
        self.cycle_errors = self.counter("hotline_alerts_cycle_errors_total",
                                         "detection cycles that failed (retried next time)")
        self.watermark = self.gauge("hotline_alerts_watermark_timestamp_seconds",
                                    "event time the last completed cycle evaluated up to (epoch seconds)")
        self.watermark.set(float("nan"))
        self.last_success = self.gauge("hotline_alerts_last_success_timestamp_seconds",
                                       "wall-clock time the last detection cycle completed (epoch seconds)")
        self.last_success.set(float("nan"))
        for kind in KINDS:
            self.raised.labels(kind)
        for outcome in ("done", "skipped", "failed"):
            self.cycles.labels(outcome)
        for change in ("raised", "updated", "closed"):
            self.published.labels(change)

    def set_open(self, by_kind: Mapping[str, int]) -> None:
        for kind in KINDS:
            self.open.labels(kind).set(by_kind.get(kind, 0))
