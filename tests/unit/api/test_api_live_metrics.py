"""The live figures as Prometheus gauges (services/api/metrics.py LiveCollector), and the
storage-unavailable answer with its counter (services/api/errors.py)."""

from __future__ import annotations

import asyncio
import time

import httpx
import orjson
from fastapi import FastAPI

from hotline.errors import StorageUnavailable
from services.api import errors
from services.api.live import LiveSnapshot
from services.api.metrics import Metrics

FIGURES = {
    "as_of": "2024-03-01T10:00:00+08:00", "date": "2024-03-01",
    "calls": {"waiting": 3, "oldest_waiting_age_s": 42.5, "offered_today": 120, "answered_today": 110,
              "abandoned_today": 7, "service_level_30s_last_15min_pct": 87.5, "window_calls": 16},
    "tickets": {"created_today": 60, "created_today_by_source": {"phone": 50, "internet": 8, "transfer_in": 2},
                "answered_online_today": 31, "dispatched_today": 25, "open_dispatched": 140, "overdue": 4},
    "pipeline": {"newest_event_age_s": 1.5},
}


class _Live:
    def __init__(self, snapshot: LiveSnapshot) -> None:
        self.snapshot = snapshot


def _lines(m: Metrics) -> set[str]:
    return {line for line in m.exposition().decode().splitlines() if not line.startswith("#")}


def test_live_figures_are_gauges_with_bounded_labels():
    live = _Live(LiveSnapshot(FIGURES, int(time.time() * 1000)))
    m = Metrics()
    m.watch_live(live)
    lines = _lines(m)
    for expected in (
        "hotline_live_calls_waiting 3.0", "hotline_live_oldest_wait_seconds 42.5",
        'hotline_live_calls_today{outcome="offered"} 120.0', 'hotline_live_calls_today{outcome="abandoned"} 7.0',
        "hotline_live_service_level_15m_ratio 0.875",
        'hotline_live_tickets_created_today{source="phone"} 50.0',
        'hotline_live_tickets_created_today{source="transfer_in"} 2.0',
        "hotline_live_tickets_answered_online_today 31.0", "hotline_live_tickets_dispatched_today 25.0",
        "hotline_live_tickets_open 140.0", "hotline_live_tickets_overdue 4.0",
        "hotline_live_freshness_seconds 1.5", "hotline_api_clickhouse_up 1.0",
    ):
        assert expected in lines, expected
    assert any(line.startswith("process_resident_memory_bytes ") for line in lines)
    text = m.exposition().decode()
    assert "use max()" in text  # HELP says how to aggregate over API instances


def test_no_snapshot_yet_exports_no_false_zero_and_a_failed_refresh_is_down():
    m = Metrics()
    live = _Live(LiveSnapshot())
    m.watch_live(live)
    assert not any(line.startswith("hotline_live_") for line in _lines(m))
    assert "hotline_api_clickhouse_up 0.0" in _lines(m)
    live.snapshot = LiveSnapshot(FIGURES, int(time.time() * 1000), error="ClickHouse did not answer")
    lines = _lines(m)
    assert "hotline_api_clickhouse_up 0.0" in lines and "hotline_live_calls_waiting 3.0" in lines


def test_storage_unavailable_is_a_503_problem_and_counted_once():
    """hotline.errors.StorageUnavailable (what FactsReader raises) is answered by services/api/errors.py;
    a route raising the 503 problem itself (no snapshot yet) is not a storage error."""
    m = Metrics()
    app = FastAPI()
    errors.install(app, m)

    @app.get("/down")
    async def down():
        raise StorageUnavailable("ClickHouse at 127.0.0.1:9000 did not answer: NetworkError")

    @app.get("/warming")
    async def warming():
        raise errors.StorageUnavailableProblem("the live figures are being computed", headers={"Retry-After": "1"})

    async def get(path: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            return await client.get(path)

    down_r, warming_r = asyncio.run(get("/down")), asyncio.run(get("/warming"))
    assert (down_r.status_code, down_r.headers["retry-after"], down_r.headers["content-type"]) == (
        503, "5", "application/problem+json")
    assert orjson.loads(down_r.content) == {
        "type": "urn:hotline:problem:storage-unavailable", "title": "The figures cannot be read now; retry",
        "status": 503, "detail": "ClickHouse at 127.0.0.1:9000 did not answer: NetworkError", "instance": "/down"}
    assert (warming_r.status_code, warming_r.headers["retry-after"]) == (503, "1")
    assert orjson.loads(warming_r.content)["type"] == "urn:hotline:problem:storage-unavailable"
    assert m.registry.get_sample_value("hotline_api_storage_errors_total") == 1
