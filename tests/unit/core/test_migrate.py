from __future__ import annotations

import pytest

from hotline.errors import MigrationError
from hotline.storage.migrate import Migration, available, migrate, pending


class Recorder:
    """An Executor that remembers statements and answers the bookkeeping query from memory."""

    def __init__(self, applied=()):
        self.applied = list(applied)
        self.statements: list[str] = []

    def execute(self, query, params=None):
        self.statements.append(query)
        if query.startswith("SELECT version, checksum"):
            return self.applied
        if query.startswith("SELECT create_table_query FROM system.tables"):
            # What ClickHouse keeps of a view: the refold re-runs its SELECT into the table.
            return [(f"CREATE MATERIALIZED VIEW {params['db']}.{params['name']} TO x AS SELECT 1 AS k FROM e",)]
        return []


def test_files_are_numbered_and_named():
    ms = available()
    assert [m.version for m in ms] == list(range(1, len(ms) + 1))
    assert ms[0].name == "events"


def test_statements_substitute_database_and_drop_comments():
    m = Migration(7, "x", "-- a comment; with a semicolon\nCREATE TABLE ${database}.t (a UInt8) ENGINE = Memory;\n\nSELECT 1;\n")
    assert m.statements("city") == ["CREATE TABLE city.t (a UInt8) ENGINE = Memory", "SELECT 1"]


def test_fresh_database_applies_all_and_records_them():
    db = Recorder()
    applied = migrate(db, "hotline")
    assert [m.version for m in applied] == [m.version for m in available()]
    inserts = [s for s in db.statements if s.startswith("INSERT INTO hotline.schema_migrations")]
    assert len(inserts) == len(available())
    assert "SELECT 1, 'events', '" in inserts[0]


def test_a_refold_line_reruns_the_views_select_after_the_statements(monkeypatch):
    m = Migration(3, "remake", "DROP TABLE IF EXISTS ${database}.ticket_state;\n-- then: refold ticket_state\n")
    assert (m.statements("city"), m.refolds) == (["DROP TABLE IF EXISTS city.ticket_state"], ["ticket"])
    shipped = available()
    monkeypatch.setattr("hotline.storage.migrate.available",
                        lambda: [*shipped, Migration(len(shipped) + 1, "remake", m.sql)])
    db = Recorder([(v.version, v.checksum) for v in shipped])
    migrate(db, "city")
    drop = db.statements.index("DROP TABLE IF EXISTS city.ticket_state")
    assert db.statements[drop + 1].startswith("SELECT create_table_query FROM system.tables")
    assert db.statements[drop + 2] == "INSERT INTO city.ticket_state SELECT 1 AS k FROM e"


def test_applied_database_is_a_noop():
    db = Recorder([(m.version, m.checksum) for m in available()])
    assert migrate(db, "hotline") == []
    assert not any(s.startswith("CREATE TABLE IF NOT EXISTS hotline.events") for s in db.statements)


def test_edited_applied_migration_is_refused():
    m = Migration(1, "events", "CREATE TABLE x")
    with pytest.raises(MigrationError, match="0001_events was edited after it was applied"):
        pending({1: "0" * 64}, [m])
    assert pending({1: m.checksum}, [m, Migration(2, "more", "SELECT 1")]) == [Migration(2, "more", "SELECT 1")]
