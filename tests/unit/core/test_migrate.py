from __future__ import annotations

import hashlib

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


def test_a_fill_line_copies_what_a_new_view_would_have_written(monkeypatch):
    sql = "CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.places_mv TO ${database}.places AS SELECT 1;\n" \
          "-- then: fill places from its view\n"
    m = Migration(3, "places", sql)
    assert m.fills == ["places"] and m.refolds == []
    # the directive is part of what the checksum covers; a comment is not
    assert m.checksum != Migration(3, "places", sql.replace("-- then: fill places from its view", "-- x")).checksum
    shipped = available()
    monkeypatch.setattr("hotline.storage.migrate.available",
                        lambda: [*shipped, Migration(len(shipped) + 1, "places", sql)])
    db = Recorder([(v.version, v.checksum) for v in shipped])
    migrate(db, "city")
    view = db.statements.index("CREATE MATERIALIZED VIEW IF NOT EXISTS city.places_mv TO city.places AS SELECT 1")
    assert db.statements[view + 1].startswith("SELECT create_table_query FROM system.tables")
    assert db.statements[view + 2] == "INSERT INTO city.places SELECT 1 AS k FROM e"


def test_applied_database_is_a_noop():
    db = Recorder([(m.version, m.checksum) for m in available()])
    assert migrate(db, "hotline") == []
    assert not any(s.startswith("CREATE TABLE IF NOT EXISTS hotline.events") for s in db.statements)


def test_edited_applied_migration_is_refused():
    m = Migration(1, "events", "CREATE TABLE x")
    with pytest.raises(MigrationError, match="0001_events was edited after it was applied"):
        pending({1: "0" * 64}, [m])
    assert pending({1: m.checksum}, [m, Migration(2, "more", "SELECT 1")]) == [Migration(2, "more", "SELECT 1")]


def test_a_reworded_comment_keeps_the_checksum_an_edited_statement_does_not():
    before = Migration(3, "x", "-- old words\nCREATE TABLE x (a UInt8) ENGINE = Log;\n")
    reworded = Migration(3, "x", "-- new words, and more of them\nCREATE TABLE x (a UInt8) ENGINE = Log;\n")
    edited = Migration(3, "x", "-- old words\nCREATE TABLE x (a UInt16) ENGINE = Log;\n")
    directive = Migration(3, "x", "-- old words\nCREATE TABLE x (a UInt8) ENGINE = Log;\n-- then: refold ticket_state\n")
    assert reworded.checksum == before.checksum
    assert edited.checksum != before.checksum
    assert directive.checksum != before.checksum  # a directive is what the file does, not a comment
    assert pending({3: before.checksum}, [reworded]) == []
    with pytest.raises(MigrationError, match="edited after it was applied"):
        pending({3: before.checksum}, [edited])


def test_records_of_earlier_releases_stay_valid():
    # Earlier releases recorded the sha256 of the whole file: still this file while it is unchanged.
    m = Migration(7, "y", "-- a comment\nSELECT 1\n")
    assert pending({7: hashlib.sha256(m.sql.encode()).hexdigest()}, [m]) == []
    # 0001, 0004 and 0005 as shipped before their comments were reworded (the sha256 of those files).
    shipped = {m.version: m for m in available()}
    assert pending({1: "469d0c4b2c9b600eaa93d978513a97bbe165d60c035149316807c8b9f6bac0ee"}, [shipped[1]]) == []
    assert pending({4: "362c5a37563dc5159a4beab6fd2fb5885205ab32a036a8a0976d9831529e67f0"}, [shipped[4]]) == []
    assert pending({5: "a6ee659847394c9328c7ed5975c00894f4a99e0e3852d8493c439a8ef4b9ecff"}, [shipped[5]]) == []
    with pytest.raises(MigrationError):
        pending({4: "a6ee659847394c9328c7ed5975c00894f4a99e0e3852d8493c439a8ef4b9ecff"}, [shipped[4]])
