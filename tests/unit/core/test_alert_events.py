"""hotline.alert_events: an alert's change as a CloudEvent the platform's own contract accepts."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from hotline.alert_events import alert_event
from hotline.contract import validate_event

SHANGHAI = ZoneInfo("Asia/Shanghai")
STARTED = 1709254800000  # 2024-03-01T09:00:00+08:00
DETECTED = 1709262000123  # 2024-03-01T11:00:00.123+08:00
UPDATED = 1709269200000  # 2024-03-01T13:00:00+08:00
CLOSED = 1709510400000  # 2024-03-04T08:00:00+08:00


def build(change: str, **over: Any) -> dict[str, Any]:
    kw: dict[str, Any] = dict(
        change=change, alert_id="al-cluster-0123456789abcdef0123", kind="cluster",
        series={"subcategory": "物业管理", "h3": "89308620243ffff"}, started_ms=STARTED, detected_ms=DETECTED,
        updated_ms=UPDATED, closed_ms=CLOSED if change == "closed" else 0, observed=7, expected=0.25,
        score=13.2, method="poisson-tail alpha=1e-06", detail="7 callers in 3 days", callers=7,
        tickets=("tk-1", "tk-2"), version=42, tz=SHANGHAI)
    kw.update(over)
    return alert_event(**kw)


def test_a_raised_alert() -> None:
    e = build("raised")
    assert e == {
        "specversion": "1.0", "id": "al-cluster-0123456789abcdef0123-raised-42", "source": "/platform/alerts",
        "type": "hotline.alert.raised", "time": "2024-03-01T11:00:00.123+08:00",
        "subject": "al-cluster-0123456789abcdef0123", "datacontenttype": "application/json",
        "data": {"kind": "cluster", "series": {"h3": "89308620243ffff", "subcategory": "物业管理"},
                 "started": "2024-03-01T09:00:00.000+08:00", "detected_at": "2024-03-01T11:00:00.123+08:00",
                 "observed": 7.0, "expected": 0.25, "score": 13.2, "status": "open",
                 "method": "poisson-tail alpha=1e-06", "detail": "7 callers in 3 days", "callers": 7,
                 "tickets": ["tk-1", "tk-2"]},
    }
    assert validate_event(e) is e


def test_updated_and_closed_carry_the_time_of_their_change() -> None:
    updated, closed = build("updated"), build("closed")
    assert (updated["type"], updated["id"], updated["time"]) == (
        "hotline.alert.updated", "al-cluster-0123456789abcdef0123-updated-42", "2024-03-01T13:00:00.000+08:00")
    assert "closed_at" not in updated["data"] and updated["data"]["status"] == "open"
    assert (closed["type"], closed["time"], closed["data"]["status"], closed["data"]["closed_at"]) == (
        "hotline.alert.closed", "2024-03-04T08:00:00.000+08:00", "closed", "2024-03-04T08:00:00.000+08:00")
    for e in (updated, closed):
        assert validate_event(e) is e


def test_the_same_values_give_the_same_bytes() -> None:
    a = build("updated", series={"b": "2", "a": "1"})
    b = build("updated", series={"a": "1", "b": "2"})
    assert orjson.dumps(a) == orjson.dumps(b)
    assert build("updated", version=43)["id"] != a["id"]


def test_empty_optional_fields_are_left_out_and_the_zone_is_the_citys() -> None:
    e = build("raised", method="", detail="", callers=0, tickets=(), tz=ZoneInfo("UTC"), source="/alerts/2")
    assert set(e["data"]) == {"kind", "series", "started", "detected_at", "observed", "expected", "score", "status"}
    assert (e["time"], e["source"]) == ("2024-03-01T03:00:00.123+00:00", "/alerts/2")
    assert validate_event(e) is e


@pytest.mark.parametrize("over", [
    {"change": "reopened"}, {"detected_ms": 0}, {"change": "updated", "updated_ms": 0},
    {"change": "closed", "closed_ms": 0}, {"score": float("inf")}, {"expected": float("nan")},
])
def test_what_cannot_be_an_alert_event_raises(over: dict) -> None:
    with pytest.raises(ValueError):
        build(over.pop("change", "raised"), **over)
