"""Enrichment of a valid event into an EventRecord: instants, local date, deadline, tags, extensions."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

from zoneinfo import ZoneInfo

from hotline.events import epoch_ms, parse_time, to_record

CAL = ZoneInfo("Asia/Shanghai")


def test_epoch_ms_rounds_to_the_nearest_millisecond_a_half_away_from_zero():
    utc = dt.timezone.utc
    assert epoch_ms(dt.datetime(2023, 3, 6, 1, 0, tzinfo=utc)) == 1_678_064_400_000
    assert epoch_ms(dt.datetime(2023, 3, 6, 1, 0, 0, 1_499, tzinfo=utc)) == 1_678_064_400_001
    # Exactly half a millisecond: up for instants after the epoch, down (away from zero) before.
    assert epoch_ms(dt.datetime(2023, 3, 6, 1, 0, 0, 1_500, tzinfo=utc)) == 1_678_064_400_002
    assert epoch_ms(dt.datetime(1969, 12, 31, 23, 59, 59, 998_500, tzinfo=utc)) == -2
    assert epoch_ms(dt.datetime(1969, 12, 31, 23, 59, 59, 998_501, tzinfo=utc)) == -1
    assert epoch_ms(parse_time("2023-03-06T09:00:00.0005+08:00")) == 1_678_064_400_001


def test_a_ticket_created_late_in_the_evening_utc_is_on_the_next_local_day():
    r = to_record({"specversion": "1.0", "id": "e1", "source": "/portal/web", "type": "hotline.ticket.created",
                   "time": "2023-03-05T16:30:00Z", "subject": "t1",
                   "data": {"channel": "web", "tags": ["噪音", "夜间"]}}, CAL)
    assert (r.entity, r.subject, r.source, r.id, r.type) == ("ticket", "t1", "/portal/web", "e1", "hotline.ticket.created")
    assert r.time_ms == 1_678_033_800_000
    assert r.local_date == dt.date(2023, 3, 6)  # 00:30 in Shanghai
    assert r.tags == ("噪音", "夜间") and r.deadline_ms == 0
    assert r.extensions == {} and isinstance(r.extensions, MappingProxyType)


def test_a_dispatch_keeps_its_deadline_and_extensions_stay_apart_from_the_standard_attributes():
    r = to_record({"specversion": "1.0", "id": "e2", "source": "/tickets", "type": "hotline.ticket.dispatched",
                   "time": "2023-03-06T09:00:00+08:00", "subject": "t1", "traceparent": "00-ab-cd-01",
                   "data": {"department": "住建局", "deadline": "2023-03-08T09:00:00+08:00", "tags": ["x"]}}, CAL)
    assert r.deadline_ms == 1_678_064_400_000 + 2 * 86_400_000
    assert r.extensions == {"traceparent": "00-ab-cd-01"}
    assert r.tags == ()  # tags are the creation's only
