"""One detection cycle: read → detect → diff with what is stored → publish → store → metrics.

    outcome = cycle.run()   # blocking: ClickHouse and Kafka clients; the app runs it in a thread

Order and guarantees:

* the watermark (the newest ticket event time) and what was ingested since the last cycle decide
  the evaluated range (plan.py); nothing ingested and the same watermark: the cycle is skipped;
* the detectors run on what the reader read for that range (detection.py), and `diff` decides the
  changes against the newest stored state of each episode (diff.py), closing by its rule an open
  one that no longer falls in any range;
* the changes are published (acks=all) before they are stored (publish.py says why), then the
  progress is stored (what was ingested and the watermark), last: a cycle that fails anywhere
  leaves the progress as it was, so the next cycle recomputes the same range and decides the
  same changes again; re-publishing them gives the same event ids, re-storing them the same rows.
  Nothing is lost, nothing is stored twice for a reader of the newest state;
* the open-episodes gauge is read back from storage after every stored cycle, and at start-up.

Any failure is raised (StorageUnavailable, PublishFailed, or a detector's error); the caller counts
and logs it and calls `run` again later. Not thread-safe: one cycle at a time per instance.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from services.alerts.detection import Params, cluster_reach_ms, detect_all, pair_reach_ms, quiet_ms, surge_hours
from services.alerts.diff import Change, diff, final_states
from services.alerts.metrics import Metrics
from services.alerts.plan import Ingestion, Range, open_reach_ms, plan
from services.alerts.publish import Publisher
from services.alerts.reader import Reader
from services.alerts.settings import AlertsSettings
from services.alerts.store import AlertStore

log = logging.getLogger("hotline.alerts")


@dataclass(frozen=True)
class Outcome:
    watermark_ms: int
    evaluated: Range | None  # None: skipped
    changes: list[Change] = field(default_factory=list)

    @property
    def skipped(self) -> bool:
        return self.evaluated is None


class Cycle:
    def __init__(
        self, settings: AlertsSettings, reader: Reader, store: AlertStore, publisher: Publisher, metrics: Metrics,
        *, clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.s = settings
        self.tz = ZoneInfo(settings.city.timezone)
        self.params = Params(settings.surge, settings.cluster, settings.pingpong)
        self.reader, self.store, self.publisher, self.metrics = reader, store, publisher, metrics
        self.clock, self.monotonic = clock, monotonic
        self.ingestion: Ingestion | None = None
        self.last_watermark_ms: int | None = None

    def restore(self) -> None:
        """Read the stored progress and the open episodes (the gauge is right before any cycle)."""
        progress = self.store.progress()
        if progress is None:
            self.ingestion = Ingestion(self.s.settle_s, self.s.ingest_lag_s)
        else:
            self.ingestion = Ingestion.restored(self.s.settle_s, self.s.ingest_lag_s, progress.seen_from_s, progress.seen)
            self.last_watermark_ms = progress.watermark_ms
            self.metrics.watermark.set(progress.watermark_ms / 1000)
        self.metrics.set_open(self.store.open_alerts().by_kind)

    def run(self) -> Outcome:
        if self.ingestion is None:
            self.restore()
        assert self.ingestion is not None
        watermark = self.reader.watermark(int((self.clock() + self.s.max_future_s) * 1000))
        touched, ingestion = self.ingestion.advance(self.reader.ingested(self.ingestion.from_s), self.monotonic())
        open_before = self.store.open_alerts(since_ms=open_reach_ms(
            watermark_ms=watermark, last_watermark_ms=self.last_watermark_ms, open_reach_days=self.s.open_reach_days))
        evaluated = plan(watermark_ms=watermark, last_watermark_ms=self.last_watermark_ms, touched_ms=touched,
                         oldest_open_ms=open_before.oldest_started_ms, live_days=self.s.live_days,
                         max_backfill_days=self.s.max_backfill_days, tz=self.tz)
        if evaluated is None:
            self.ingestion = ingestion
            return Outcome(watermark, None)
        computed = self.detect(evaluated)
        changes = diff(self.store.stored(evaluated.start_ms), computed, evaluated,
                       quiet_ms=lambda e: quiet_ms(e, self.params))
        self.publisher.publish(changes)
        for c in changes:
            self.metrics.published.labels(c.change).inc()
        self.store.write(final_states(changes))
        self.store.save_progress(watermark, ingestion.from_s, ingestion.settled(self.monotonic()))
        self.ingestion, self.last_watermark_ms = ingestion, watermark
        for c in changes:
            if c.change == "raised":
                self.metrics.raised.labels(c.episode.kind).inc()
        self.metrics.set_open(self.store.open_alerts().by_kind)
        self.metrics.watermark.set(watermark / 1000)
        if changes:
            log.info("alerts: evaluated %s..%s: %s", evaluated.start_ms, evaluated.end_ms,
                     ", ".join(f"{c.change} {c.id}" for c in changes[:20]) + (" …" if len(changes) > 20 else ""))
        return Outcome(watermark, evaluated, changes)

    def detect(self, evaluated: Range) -> list:
        first_hour, hours = surge_hours(evaluated, self.params.surge)
        hourly = self.reader.hourly_counts(first_hour, first_hour + hours * 3_600_000)
        tickets = self.reader.placed_tickets(evaluated.start_ms - cluster_reach_ms(self.params.cluster),
                                             evaluated.end_ms + 1)
        steps = self.reader.steps(evaluated.start_ms - pair_reach_ms(self.params.pingpong), evaluated.end_ms)
        calendar = self.reader.calendar(self.s.city.timezone)
        return detect_all(evaluated, self.params, self.tz, hourly=hourly, tickets=tickets, steps=steps,
                          calendar=calendar)
