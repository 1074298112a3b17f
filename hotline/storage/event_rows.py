"""EventRecord -> a row of `hotline.events` (column order of EVENT_COLUMNS).

The two DateTime columns travel as whole seconds since the epoch (UTC): the driver writes an
int as it is, while a datetime costs a tz-aware conversion per row on the worker's hot path (and
building it another). `ClickHouseWriter.insert` sends the rows as columns."""

from __future__ import annotations

import orjson

from hotline.events import EventRecord, data_json

EVENT_COLUMNS = (
    "entity", "subject", "source", "id", "type", "time", "time_ms", "local_date", "data",
    "extensions", "deadline_ms", "tags", "topic", "partition", "offset", "ingested_at",
)
INSERT_EVENTS = "INSERT INTO {database}.events ({columns}) VALUES".format  # rows travel separately


def to_row(r: EventRecord, topic: str, partition: int, offset: int, ingested_s: int) -> tuple:
    """`ingested_s`: when the batch was prepared, in whole seconds since the epoch (UTC)."""
    return (
        r.entity, r.subject, r.source, r.id, r.type, r.time_ms // 1000,
        r.time_ms, r.local_date, data_json(r),
        orjson.dumps(r.extensions).decode() if r.extensions else "{}", r.deadline_ms, list(r.tags),
        topic, partition, offset, ingested_s,
    )


def insert_sql(database: str) -> str:
    return INSERT_EVENTS(database=database, columns=", ".join(EVENT_COLUMNS))
