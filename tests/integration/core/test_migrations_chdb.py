"""The same migrations and a sample query on a current ClickHouse engine (chdb, in-process)."""

from __future__ import annotations

import pytest

from hotline.storage.migrate import available, migrate


@pytest.fixture
def engine(chdb_engine):
    """The suite's chdb engine with no `hotline` database: each test migrates one of its own (a
    module-wide one would be migrated already for whichever test ran second)."""
    chdb_engine.execute("DROP DATABASE IF EXISTS hotline")
    yield chdb_engine
    chdb_engine.execute("DROP DATABASE IF EXISTS hotline")


def test_every_migration_runs_on_a_current_engine_and_rerun_is_noop(engine):
    applied = migrate(engine, "hotline")
    assert [m.version for m in applied] == [m.version for m in available()]
    assert migrate(engine, "hotline") == []
    assert engine.execute("SELECT version() LIKE '2%'") == [("1",)]


def test_sample_query_on_events(engine):
    migrate(engine, "hotline")
    engine.execute(
        "INSERT INTO hotline.events (entity, subject, source, id, type, time, time_ms, local_date, "
        "work_s, data, extensions, topic, partition, offset, ingested_at) "
        "SELECT 'call', 'c1', '/pbx/main', toString(number % 2), 'hotline.call.offered', "
        "toDateTime('2023-12-31 16:00:00', 'UTC'), 0, toDate('2024-01-01'), 0, '{\"direction\":\"inbound\"}', '{}', "
        "'hotline.calls.v1', 0, number, now() FROM numbers(4)"
    )
    rows = engine.execute(
        "SELECT id, visitParamExtractString(data, 'direction'), toDate(time, 'Asia/Shanghai') "
        "FROM hotline.events FINAL WHERE subject = 'c1' ORDER BY id"
    )
    assert rows == [("0", "inbound", "2024-01-01"), ("1", "inbound", "2024-01-01")]
