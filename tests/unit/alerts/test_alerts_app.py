"""The alerts service's app without a stack: alive, not ready, and a failing cycle counted."""

from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient

from hotline.settings import ClickHouseSettings, KafkaSettings
from services.alerts.app import create_app
from services.alerts.settings import AlertsSettings
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures("clean_env")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def test_clickhouse_away_is_not_ready_and_every_failed_cycle_is_counted():
    settings = AlertsSettings(every_s=0.05, clickhouse=ClickHouseSettings(port=closed_port()),
                              kafka=KafkaSettings(bootstrap_servers=f"127.0.0.1:{closed_port()}"))
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}

        def errors() -> float:
            for line in client.get("/metrics").text.splitlines():
                if line.startswith("hotline_alerts_cycle_errors_total "):
                    return float(line.split()[1])
            raise AssertionError("hotline_alerts_cycle_errors_total is not exported")

        assert eventually(errors, until=lambda n: n >= 2, timeout_s=30, what="two failed cycles counted") >= 2
        text = client.get("/metrics").text
        assert 'hotline_alerts_cycles_total{outcome="failed"}' in text
        assert "hotline_alerts_watermark_timestamp_seconds NaN" in text
        ready = client.get("/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "not ready" and len(body["problems"]) == 2
        assert body["last_cycle_error"].startswith("StorageUnavailable")



def test_the_loop_rests_in_proportion_to_a_long_cycle():
    from services.alerts.app import rest_s

    assert rest_s(5.0, 1.0, 1.0) == 4.0  # a short cycle: the next one 5 s after this one started
    assert rest_s(5.0, 6.0, 1.0) == 6.0  # a backfill's 6 s cycle: rest 6 s, half a core at most
    assert rest_s(1.0, 3.0, 2.0) == 6.0
    assert rest_s(5.0, 5.0, 0.0) == 0.05
