from __future__ import annotations

import pytest

from hotline.errors import MigrationError
from hotline.storage.migrate import Migration, available, migrate, pending


class Recorder:
    """An Executor that remembers statements and answers the bookkeeping query from memory."""

    def __init__(self, applied=()):
        self.applied = list(applied)
        self.statements: list[str] = []

    def execute(self, query):
        self.statements.append(query)
        if query.startswith("SELECT version, checksum"):
            return self.applied
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


def test_applied_database_is_a_noop():
    db = Recorder([(m.version, m.checksum) for m in available()])
    assert migrate(db, "hotline") == []
    assert not any(s.startswith("CREATE TABLE IF NOT EXISTS hotline.events") for s in db.statements)


def test_edited_applied_migration_is_refused():
    m = Migration(1, "events", "CREATE TABLE x")
    with pytest.raises(MigrationError, match="0001_events was edited after it was applied"):
        pending({1: "0" * 64}, [m])
    assert pending({1: m.checksum}, [m, Migration(2, "more", "SELECT 1")]) == [Migration(2, "more", "SELECT 1")]
