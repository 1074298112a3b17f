"""EventRecord -> a row of `hotline.events` (column order of EVENT_COLUMNS), for columnar inserts."""

from __future__ import annotations

import datetime as dt

import orjson

from hotline.events import EventRecord, data_json

EVENT_COLUMNS = (
    "entity", "subject", "source", "id", "type", "time", "time_ms", "local_date", "data",
    "extensions", "deadline_ms", "tags", "topic", "partition", "offset", "ingested_at",
)
INSERT_EVENTS = "INSERT INTO {database}.events ({columns}) VALUES".format  # rows travel separately


_EPOCH = dt.datetime(1970, 1, 1)  # naive UTC, as the driver writes DateTime


def to_row(r: EventRecord, topic: str, partition: int, offset: int, ingested_at: dt.datetime) -> tuple:
    return (
        r.entity, r.subject, r.source, r.id, r.type,
        _EPOCH + dt.timedelta(seconds=r.time_ms // 1000),
        r.time_ms, r.local_date, data_json(r),
        orjson.dumps(r.extensions).decode() if r.extensions else "{}", r.deadline_ms, list(r.tags),
        topic, partition, offset, ingested_at,
    )


def insert_sql(database: str) -> str:
    return INSERT_EVENTS(database=database, columns=", ".join(EVENT_COLUMNS))
