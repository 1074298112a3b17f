"""A second detector on the same data neither duplicates nor loses an alert: two alerts services
run side by side on one database and one alerts topic, both cycling while the stream arrives.
Each episode is stored once (one id, one newest state), and every raised CloudEvent either
instance published carries the episode's deterministic event id: after dropping repeated ids
(what a CloudEvents consumer does) there is exactly one raised event per episode."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from services.alerts.settings import AlertsSettings
from tests.integration.alerts.alerts_support import ALERTS_SPEC, Isolated, ExtraService, epoch_ms, free_port, story
from tests.support.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def test_two_instances_store_and_raise_each_alert_once(local_stack):
    run = f"tw{uuid.uuid4().hex[:8]}"
    events = story(run)
    last_ms = max(epoch_ms(e["time"]) for e in events)
    with Isolated(local_stack, run) as env:
        port = free_port()
        second = ExtraService(env.stack, dataclasses.replace(ALERTS_SPEC, name=f"alerts-2-{run}"),
                          {**env.env, "HOTLINE_ALERTS_PORT": str(port)}, AlertsSettings(port=port))
        second.start()
        try:
            env.send_live(events)
            env.wait_done(last_ms)

            def second_watermark() -> float:
                import urllib.request

                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                    text = resp.read().decode()
                line = next(ln for ln in text.splitlines() if ln.startswith("hotline_alerts_watermark_timestamp_seconds "))
                return float(line.split()[1])

            eventually(second_watermark, until=lambda w: w == last_ms / 1000, timeout_s=120, interval_s=0.5,
                       ignoring=(OSError, StopIteration), what="the second instance evaluated the whole stream")
        finally:
            second.stop()

        env.assert_each_alert_once({"surge", "cluster", "pingpong"})
