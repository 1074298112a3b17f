"""Rejected events are counted per producer and a bounded reason (services/ingest/triage.py)."""

from __future__ import annotations

from hotline.settings import KafkaSettings
from services.ingest.metrics import Metrics
from services.ingest.triage import triage

GOOD = {"specversion": "1.0", "id": "1", "source": "/pbx/main", "type": "hotline.call.offered",
        "time": "2024-03-01T08:00:00+08:00", "subject": "c-1", "data": {"direction": "inbound"}}


def test_reasons_name_the_attribute_never_a_value():
    events = [
        GOOD,
        {**GOOD, "id": "2", "time": "2024-03-01T08:00:00"},  # no offset
        {**GOOD, "id": "3", "time": "yesterday"},
        {k: v for k, v in GOOD.items() if k != "subject"} | {"id": "4"},
        {**GOOD, "id": "5", "data": {"direction": "sideways"}},
        {**GOOD, "id": "6", "type": "hotline.call.teleported"},
        "not an event",
        {**GOOD, "id": "8", "data": {"direction": "inbound", "x": "y" * 600_000}},
    ]
    t = triage(events, [None] * len(events), producer="pbx", hash_key=b"k" * 32, kafka=KafkaSettings(),
               max_event_bytes=512 * 1024, received_at="2024-03-01T08:00:01+08:00")
    assert t.accepted == 1 and t.rejected == 7
    assert dict(t.reasons) == {"time": 2, "subject": 1, "data": 1, "type": 1, "event": 1, "size": 1}
    m = Metrics()
    m.judged("pbx", "batch", t.tally, t.reasons)
    text = m.exposition().decode()
    assert 'hotline_ingest_rejected_events_total{producer="pbx",reason="time"} 2.0' in text
    assert 'hotline_ingest_rejected_events_total{producer="pbx",reason="size"} 1.0' in text
