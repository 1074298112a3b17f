"""A validated CloudEvent as the platform stores it: an EventRecord, enriched and flat.

Enrichment is pure: the instant in epoch milliseconds, the city's local date, the dispatch
deadline parsed, tags as a list. It needs only the city's time zone, never the working-day
calendar: working time is computed when facts are refreshed (hotline/storage/sql/ticket_facts.sql),
so an event of a year the calendar does not cover yet flows like any other. The same record is
folded in Python (hotline.fold) and written as a row of `events` in ClickHouse, where the
materialized views fold it the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import orjson

from zoneinfo import ZoneInfo

from hotline.contract import entity_of

_STANDARD = frozenset({
    "specversion", "id", "source", "type", "time", "subject", "data", "data_base64",
    "datacontenttype", "dataschema",
})
_NO_EXTENSIONS: Mapping[str, Any] = MappingProxyType({})  # shared: records are immutable


def parse_time(value: str) -> dt.datetime:
    """RFC 3339 (already validated by the contract) to an aware datetime.

    A leap second (:60) is read as :59.999 so that the instant stays within its minute.
    """
    text = value.upper()
    if text[17:19] == "60":
        text = text[:17] + "59.999" + text[19:].lstrip("0123456789.")
    return dt.datetime.fromisoformat(text)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_US = dt.timedelta(microseconds=1)


def epoch_ms(t: dt.datetime) -> int:
    """Milliseconds since the epoch, rounded to the nearest (a half away from zero). Exact: in
    integer microseconds, where a float of seconds would round some halves either way (and cost
    twice as much on the worker's hot path)."""
    us = (t - _EPOCH) // _US
    return (us + 500) // 1000 if us >= 0 else -((500 - us) // 1000)


class EventRecord(NamedTuple):
    """Immutable. A named tuple, not a frozen dataclass: one is built per event on the worker's
    hot path, and a frozen dataclass of these eleven fields cost about three times as much to
    build (its __init__ sets each field through object.__setattr__). Records are values: never
    hashed (`data` is a dict), compared field by field."""

    entity: str
    subject: str
    source: str
    id: str
    type: str
    time_ms: int
    local_date: dt.date
    data: dict[str, Any]
    extensions: Mapping[str, Any] = _NO_EXTENSIONS
    deadline_ms: int = 0
    tags: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[int, str, str]:
        """Order of events of one entity: time, then id, then source (ids are unique per
        source only), so ties are broken the same way everywhere, SQL included."""
        return (self.time_ms, self.id, self.source)


def to_record(event: dict[str, Any], tz: ZoneInfo) -> EventRecord:
    """Enrich one event that passed `hotline.contract.validate_event` (with caller scrubbed);
    `tz` is the city's time zone. Never raises for a valid event. Built positionally and with
    the common case (no extension attributes) shared: it runs once per event on a worker."""
    t = parse_time(event["time"])
    type_ = event["type"]
    data = event.get("data") or {}
    deadline_ms = 0
    if type_ == "hotline.ticket.dispatched":
        deadline = data.get("deadline")
        if isinstance(deadline, str):
            deadline_ms = epoch_ms(parse_time(deadline))
    return EventRecord(
        entity_of(type_), event["subject"], event["source"], event["id"], type_,
        epoch_ms(t), t.astimezone(tz).date(), data,
        _NO_EXTENSIONS if event.keys() <= _STANDARD else {k: v for k, v in event.items() if k not in _STANDARD},
        deadline_ms,
        tuple(data.get("tags") or ()) if type_ == "hotline.ticket.created" else (),
    )


def data_json(record: EventRecord) -> str:
    """Compact JSON: ClickHouse's visitParamExtract* expects no spaces after the colons."""
    return orjson.dumps(record.data).decode()
