"""A ping-pong ticket through the real pipeline: Kafka → aggregate → ClickHouse → the alerts
service → `alerts` and hotline.alert.raised on the alerts topic, and the open gauge."""

from __future__ import annotations

import datetime as dt
import uuid

import orjson
import pytest

from services.alerts.episode import episode_id, series_of
from tests.integration.alerts.alerts_support import TZ, Isolated, epoch_ms, pingpong_story
from tests.integration.ingest.ingest_support import read_topic
from tests.support.pipeline import produce

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def test_a_pingpong_ticket_is_stored_published_and_counted(local_stack):
    run = f"pp{uuid.uuid4().hex[:8]}"
    events = pingpong_story(run, dt.datetime(2024, 6, 3, 9, 0, tzinfo=TZ))
    with Isolated(local_stack, run) as env:
        produce(env.kafka, events)
        env.wait_stored(len(events))
        env.wait_done(epoch_ms("2024-06-03T14:00:00+08:00"))

        first_dispatch = epoch_ms("2024-06-03T10:00:00+08:00")
        series = series_of({"ticket_id": f"{run}-pp", "departments": "A局→B局→A局"})
        alert_id = episode_id("pingpong", series, first_dispatch)
        rows = env.db.execute(
            f"SELECT id, kind, series, started_ms, detected_ms, status, observed FROM {env.clickhouse.database}.alerts FINAL")
        assert rows == [(alert_id, "pingpong", f'{{"departments":"A局→B局→A局","ticket_id":"{run}-pp"}}',
                         first_dispatch, epoch_ms("2024-06-03T14:00:00+08:00"), "open", 3.0)]

        records = read_topic(env.kafka, env.kafka.topic_alerts, since_ms=0)
        raised = [orjson.loads(r.value) for r in records]
        assert [(e["type"], e["subject"], e["source"]) for e in raised] == [
            ("hotline.alert.raised", alert_id, "/platform/alerts")]
        assert [r.key for r in records] == [alert_id.encode()]
        assert raised[0]["data"]["kind"] == "pingpong"
        assert raised[0]["data"]["series"] == {"departments": "A局→B局→A局", "ticket_id": f"{run}-pp"}
        assert raised[0]["time"] == "2024-06-03T14:00:00.000+08:00"

        m = env.metrics()
        assert m[("hotline_alerts_open", (("kind", "pingpong"),))] == 1
        assert m[("hotline_alerts_open", (("kind", "surge"),))] == 0
        assert m[("hotline_alerts_raised_total", (("kind", "pingpong"),))] == 1
        assert m[("hotline_alerts_watermark_timestamp_seconds", ())] == epoch_ms("2024-06-03T14:00:00+08:00") / 1000
