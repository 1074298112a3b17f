"""Publishing alert changes on the alerts topic (HOTLINE_KAFKA_TOPIC_ALERTS, hotline.alerts.v1).

Each change is one structured-mode CloudEvent (hotline.alert_events: raised, updated or closed),
keyed by the alert id, so the changes of one alert stay in order on one partition. The producer
waits for acks=all on every message before `publish` returns; any failure raises
PublishFailed, and the cycle then stores nothing.

A raising's event id names the detection (diff.Change.event_version), so the same alert raised
live, after a restart or in a backfill has one raised event id.

Publish first, store second. Publishing is what can be repeated without harm: the event id is
`<alert id>-<change>-<version>`, deterministic, so if the process dies (or ClickHouse refuses the
write) after the broker acknowledged, the next cycle finds the stored state unchanged, decides the
same change and publishes the same event id again; consumers drop the duplicate by (source, id).
Storing first would lose the event instead: a crash after the write would leave a stored state
that the next cycle sees as already known, and the change would never be published.

Blocking (kafka-python): the cycle calls it from a worker thread. The producer connects lazily on
first use and is rebuilt after a failure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import orjson
from kafka import KafkaProducer
from kafka.errors import KafkaError

from hotline.alert_events import alert_event
from hotline.errors import HotlineError
from hotline.settings import KafkaSettings
from services.alerts.diff import Change

log = logging.getLogger("hotline.alerts")

HEADERS = [("content-type", b"application/cloudevents+json; charset=utf-8")]


class PublishFailed(HotlineError):
    """The broker did not acknowledge every alert event; some may have been written."""


def event_of(change: Change, tz: ZoneInfo) -> dict:
    e = change.episode
    return alert_event(
        change=change.change, alert_id=e.id, kind=e.kind, series=dict(e.series), started_ms=e.started_ms,
        detected_ms=e.detected_ms, updated_ms=e.updated_ms, closed_ms=e.closed_ms, observed=e.observed,
        expected=e.expected, score=e.score, method=e.method, detail=e.detail, callers=e.callers,
        tickets=e.tickets, version=change.event_version, tz=tz)


class Publisher:
    def __init__(self, kafka: KafkaSettings, tz: ZoneInfo, timeout_s: float) -> None:
        self.kafka = kafka
        self.tz = tz
        self.timeout_s = timeout_s
        self._producer: KafkaProducer | None = None

    def _connect(self) -> KafkaProducer:
        if self._producer is None:
            try:
                self._producer = KafkaProducer(
                    bootstrap_servers=self.kafka.bootstrap_servers, client_id="hotline-alerts", acks="all",
                    linger_ms=5, request_timeout_ms=int(self.timeout_s * 1000),
                    max_block_ms=int(self.timeout_s * 1000), retries=3,
                    max_in_flight_requests_per_connection=1)  # retries must not reorder an alert's changes
            except (KafkaError, OSError) as exc:
                raise PublishFailed(f"broker at {self.kafka.bootstrap_servers}: {type(exc).__name__}: {exc}") from exc
        return self._producer

    def publish(self, changes: Sequence[Change]) -> None:
        """Return once the broker acknowledged an event for every change, in order per alert."""
        if not changes:
            return
        producer = self._connect()
        try:
            futures = [producer.send(self.kafka.topic_alerts, key=c.id.encode(), headers=HEADERS,
                                     value=orjson.dumps(event_of(c, self.tz))) for c in changes]
            producer.flush(timeout=self.timeout_s)
            for f in futures:
                f.get(timeout=self.timeout_s)
        except (KafkaError, OSError) as exc:
            self.close()
            raise PublishFailed(f"broker at {self.kafka.bootstrap_servers} did not acknowledge the alert events: "
                                f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=self.timeout_s)
            except (KafkaError, OSError) as exc:
                log.warning("alerts producer did not close cleanly: %s", type(exc).__name__)
