"""A restarted detector neither loses nor duplicates an alert: the alerts service is stopped in
the middle of the stream and started again."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.alerts.alerts_support import BURST_DAY, H, Isolated, batches_by_hour, epoch_ms, iso, story
from tests.support.pipeline import produce

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def test_stopped_mid_stream_and_started_again(local_stack):
    run = f"rs{uuid.uuid4().hex[:8]}"
    events = story(run)
    last_ms = max(epoch_ms(e["time"]) for e in events)
    batches = list(batches_by_hour(events, quiet_until=BURST_DAY))
    # Stopped at 11:00 of the burst day: the surge is under way (since 08:00, raised at 10:00);
    # the cluster (12:03) and the ping-pong ticket (16:00) happen while the service is down.
    stop_at = next(n for n, b in enumerate(batches) if epoch_ms(b[0]["time"]) >= epoch_ms(iso(BURST_DAY)) + 11 * H)
    with Isolated(local_stack, run) as env:
        sent = 0
        for n, batch in enumerate(batches):
            if n == stop_at:
                env.wait_done(epoch_ms(batches[n - 1][-1]["time"]))
                before = {kind for _, kind, *_ in env.alert_rows()}
                assert env.alerts.stop()
            produce(env.kafka, batch)
            sent += len(batch)
            env.wait_stored(sent)
        assert env.alerts.pid() is None
        assert before == {"surge"}  # raised before the stop; the others come after it
        env.alerts.start()
        env.wait_done(last_ms)

        env.assert_each_alert_once({"surge", "cluster", "pingpong"})  # none lost, none twice
        m = env.metrics()
        assert m[("hotline_alerts_open", (("kind", "pingpong"),))] == 1
