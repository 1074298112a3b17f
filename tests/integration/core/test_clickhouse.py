"""Real ClickHouse 18.16 from the local stack: migrations, insert, select, dedup."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from hotline.storage.migrate import available, migrate

pytestmark = pytest.mark.clickhouse

UTC = dt.timezone.utc


def _row(source: str, id_: str, subject: str, offset: int) -> tuple:
    t = dt.datetime(2023, 12, 31, 16, 0, 0, tzinfo=UTC)  # 2024-01-01 00:00:00 in Shanghai
    return (
        "call", subject, source, id_, "hotline.call.offered", t, 1704038400000,
        dt.date(2024, 1, 1), 0, '{"direction":"inbound"}', "{}", "hotline.calls.v1", 3, offset, t,
    )


COLUMNS = (
    "entity, subject, source, id, type, time, time_ms, local_date, work_s, data, extensions, "
    "topic, partition, offset, ingested_at"
)


def test_migrations_applied_and_rerun_is_noop(clickhouse, local_stack):
    db = local_stack.clickhouse.database
    assert migrate(clickhouse, db) == []
    versions = clickhouse.execute(f"SELECT version, name FROM {db}.schema_migrations FINAL ORDER BY version")
    assert versions == [(m.version, m.name) for m in available()]
    assert versions[0] == (1, "events")
    tables = {r[0] for r in clickhouse.execute(f"SHOW TABLES FROM {db}")}
    assert {"events", "schema_migrations"} <= tables


def test_insert_select_and_duplicates_fold(clickhouse, local_stack):
    db = local_stack.clickhouse.database
    subject = f"it-call-{uuid.uuid4()}"  # the session's stack may hold rows of other tests
    rows = [_row("/pbx/main", "e1", subject, 10), _row("/pbx/main", "e1", subject, 11), _row("/pbx/main", "e2", subject, 12)]
    clickhouse.execute(f"INSERT INTO {db}.events ({COLUMNS}) VALUES", rows)

    got = clickhouse.execute(
        f"SELECT source, id, time, local_date, partition FROM {db}.events FINAL WHERE subject = %(s)s ORDER BY id",
        {"s": subject},
    )
    assert got == [
        ("/pbx/main", "e1", dt.datetime(2023, 12, 31, 16, 0, 0), dt.date(2024, 1, 1), 3),
        ("/pbx/main", "e2", dt.datetime(2023, 12, 31, 16, 0, 0), dt.date(2024, 1, 1), 3),
    ]
    # The city's calendar day of that instant (local midnight), computed by the server itself,
    # and the UTC day it would wrongly fall on without the time zone.
    assert clickhouse.execute(
        f"SELECT toDate(time, 'Asia/Shanghai'), toDate(time) FROM {db}.events WHERE subject = %(s)s LIMIT 1",
        {"s": subject},
    ) == [(dt.date(2024, 1, 1), dt.date(2023, 12, 31))]
