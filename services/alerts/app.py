"""The alerts service's ASGI app: `uvicorn services.alerts.app:app` (what `hotline up` runs).

Only builds the app. Nothing is read or connected at import: the settings are read and the cycle
loop started in the lifespan, and stopped (the running cycle finishes) when the server stops.

The loop runs one detection cycle (cycle.py) every `every_s`, in a worker thread (the clients
block). A cycle that fails (ClickHouse or Kafka away, a detector error) is counted
(hotline_alerts_cycle_errors_total), logged, and simply run again next time: its progress was
not stored, so the same range is recomputed and nothing is lost. /healthz: the process is alive;
/readyz: ClickHouse answers and the broker accepts connections; /metrics: Prometheus (metrics.py).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

import orjson
from fastapi import FastAPI, Response
from fastapi.concurrency import run_in_threadpool

from hotline.settings import KafkaSettings
from services.alerts.cycle import Cycle
from services.alerts.metrics import CONTENT_TYPE, Metrics
from services.alerts.publish import Publisher
from services.alerts.reader import Reader, Storage, StorageUnavailable
from services.alerts.settings import AlertsSettings
from services.alerts.store import AlertStore

log = logging.getLogger("hotline.alerts")


def broker_listens(kafka: KafkaSettings, timeout_s: float = 1.0) -> bool:
    """True when one of the bootstrap servers accepts a TCP connection. A probe must answer
    within a second; a metadata request through kafka-python's admin client waits out its own
    bootstrap timeout (30 s) when nothing listens. Whether the broker takes the alert events is
    what the cycle finds out (and counts) anyway."""
    for host, port in kafka.addresses():
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                return True
        except OSError:
            continue
    return False


def rest_s(every_s: float, took_s: float, rest_ratio: float) -> float:
    """How long to wait after a round that took `took_s`: until `every_s` after its start, and at
    least `rest_ratio` × `took_s`."""
    return max(every_s - took_s, rest_ratio * took_s, 0.05)


class Loop:
    """Runs `cycle` every `every_s` until stopped; never raises out of a round. After a round that
    took d seconds it rests at least `rest_ratio` × d: a backfill makes every cycle long, and the
    detector must not take the cores the pipeline needs to catch up (at most 1 / (1 + ratio) of
    one core)."""

    def __init__(self, cycle: Cycle, metrics: Metrics, every_s: float, rest_ratio: float = 1.0) -> None:
        self.cycle, self.metrics, self.every_s, self.rest_ratio = cycle, metrics, every_s, rest_ratio
        self.last_error: str | None = None
        self._task: asyncio.Task | None = None

    async def round(self) -> None:
        started = time.monotonic()
        try:
            outcome = await asyncio.to_thread(self.cycle.run)
        except Exception as exc:  # noqa: BLE001 - every failure is counted, logged and retried
            self.metrics.cycle_errors.inc()
            self.metrics.cycles.labels("failed").inc()
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("alerts cycle failed, retried in %g s: %s", self.every_s, self.last_error,
                        exc_info=not isinstance(exc, StorageUnavailable))
            return
        self.last_error = None
        if outcome.skipped:
            self.metrics.cycles.labels("skipped").inc()
            return
        self.metrics.cycles.labels("done").inc()
        self.metrics.cycle_seconds.observe(time.monotonic() - started)
        self.metrics.last_success.set(time.time())

    async def run(self) -> None:
        while True:
            started = time.monotonic()
            await self.round()
            await asyncio.sleep(rest_s(self.every_s, time.monotonic() - started, self.rest_ratio))

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="alerts-cycle")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


def create_app(settings: AlertsSettings | None = None) -> FastAPI:
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings if settings is not None else AlertsSettings()
        tz = ZoneInfo(s.city.timezone)
        storage, probe = Storage(s.clickhouse), Storage(s.clickhouse)
        publisher = Publisher(s.kafka, tz, s.publish_timeout_s)
        cycle = Cycle(s, Reader(storage), AlertStore(storage, tz, s.detector), publisher, metrics)
        loop = Loop(cycle, metrics, s.every_s, s.rest_ratio)
        app.state.settings, app.state.probe, app.state.loop = s, probe, loop
        loop.start()
        log.info("alerts ready: a cycle every %g s on %s, publishing on %s", s.every_s, s.clickhouse.database,
                 s.kafka.topic_alerts)
        try:
            yield
        finally:
            await loop.stop()
            await run_in_threadpool(publisher.close)
            storage.close()
            probe.close()

    app = FastAPI(title="Hotline alerts", version="1.0.0", lifespan=lifespan,
                  description="The early warning: surges, concentrated demands and ping-pong tickets, "
                              "detected on event time and published on the alerts topic.")

    @app.get("/healthz", summary="The process is alive")
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    @app.get("/readyz", summary="ClickHouse answers, the broker accepts connections", responses={503: {"description": "not ready"}})
    async def readyz() -> Response:
        s: AlertsSettings = app.state.settings
        problems = []
        try:
            await run_in_threadpool(app.state.probe.ping)
        except StorageUnavailable as exc:
            problems.append(str(exc))
        if not await run_in_threadpool(broker_listens, s.kafka):
            problems.append(f"the broker at {s.kafka.bootstrap_servers} does not accept connections")
        body = {"status": "not ready" if problems else "ready", "problems": problems,
                "last_cycle_error": app.state.loop.last_error}
        return Response(orjson.dumps(body), status_code=503 if problems else 200, media_type="application/json")

    @app.get("/metrics", summary="Prometheus metrics (text exposition format)", response_class=Response)
    async def metrics_() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return app


app = create_app()
