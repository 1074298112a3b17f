"""The live figures as Prometheus gauges (services/api/metrics.py LiveCollector)."""

from __future__ import annotations

import time

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
