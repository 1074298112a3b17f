from __future__ import annotations

import re

import pytest

from hotline.errors import MigrationError
from hotline.storage.cluster_schema import (
    EVERYWHERE, SHARDED, Layout, cluster_form, local_form, once_per_shard,
)
from hotline.storage.migrate import available

LAYOUT = Layout(cluster="hotline", database="hotline")
_CREATES = re.compile(r"^CREATE TABLE IF NOT EXISTS \$\{database\}\.(\w+)", re.MULTILINE)


def _statement(version: int, start: str, database: str = "hotline_local") -> str:
    """The one statement of migration `version` that is `start` or begins with its words (its
    database written as `<db>`)."""
    m = next(m for m in available() if m.version == version)
    start = start.replace("<db>", database)
    found = [s for s in m.statements(database) if s == start or re.match(re.escape(start) + r"\s", s)]
    assert len(found) == 1, found
    return found[0]


def test_every_created_table_is_either_sharded_or_everywhere():
    created = {name for m in available() for name in _CREATES.findall(m.sql)} | {"schema_migrations"}
    assert "events" in created and "alerts_progress" in created  # the pattern does find the tables
    # A table a new migration creates fails here until cluster_schema says where its rows live.
    assert {t for t in created if (t in SHARDED) == (t in EVERYWHERE)} == set()
    # and nothing is classified that no migration creates (a renamed table would hide there)
    assert set(SHARDED) | EVERYWHERE == created


def test_a_sharded_tables_key_is_one_of_its_columns():
    for m in available():
        for s in m.statements("hotline"):
            name = re.match(r"CREATE TABLE IF NOT EXISTS hotline\.(\w+)", s)
            if name and SHARDED.get(name.group(1)):
                assert re.search(rf"^\s+{SHARDED[name.group(1)]}\s", s, re.MULTILINE), s


def test_a_sharded_table_is_replicated_within_its_shard_under_its_migrations_path():
    assert local_form(_statement(5, "CREATE TABLE IF NOT EXISTS <db>.facts_changes"), 5) == (
        "CREATE TABLE IF NOT EXISTS hotline_local.facts_changes\n"
        "(\n"
        "    day     Date,\n"
        "    entity  String,\n"
        "    changes UInt64\n"
        ")\n"
        "ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/hotline_local/facts_changes/0005', '{replica}')\n"
        "ORDER BY (day, entity)"
    )


def test_an_everywhere_table_is_replicated_to_every_node():
    assert local_form(_statement(9, "CREATE TABLE IF NOT EXISTS <db>.work_calendar"), 9) == (
        "CREATE TABLE IF NOT EXISTS hotline_local.work_calendar\n"
        "(\n"
        "    version       UInt64,\n"
        "    written_at    DateTime,\n"
        "    first         Date,\n"
        "    covered_until Date,\n"
        "    before        Array(UInt32),\n"
        "    sources       String,\n"
        "    problems      Array(String)\n"
        ")\n"
        "ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/hotline_local/work_calendar/0009', '{replica}')\n"
        "ORDER BY version"
    )


@pytest.mark.parametrize(("version", "table", "engine", "replicated"), [
    (4, "call_facts", "ENGINE = ReplacingMergeTree(events)",
     "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/hotline_local/call_facts/0004', '{replica}', events)"),
    (5, "supplied_figures", "ENGINE = ReplacingMergeTree(version)",
     "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/hotline_local/supplied_figures/0005', '{replica}', version)"),
    # made again by 0008: a path of its own, apart from the replicas of 0002's table
    (8, "call_state", "ENGINE = AggregatingMergeTree()",
     "ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/hotline_local/call_state/0008', '{replica}')"),
])
def test_only_the_engine_changes_and_its_arguments_follow_the_path(version, table, engine, replicated):
    statement = _statement(version, f"CREATE TABLE IF NOT EXISTS <db>.{table}")
    assert statement.count(engine) == 1
    assert local_form(statement, version) == statement.replace(engine, replicated)


def test_the_bookkeeping_table_takes_the_path_of_version_zero():
    s = ("CREATE TABLE IF NOT EXISTS hotline_local.schema_migrations "
         "(version UInt32, name String, checksum String, applied_at DateTime) "
         "ENGINE = ReplacingMergeTree() ORDER BY version")
    assert local_form(s, 0) == s.replace(
        "ReplacingMergeTree()",
        "ReplicatedReplacingMergeTree('/clickhouse/tables/all/hotline_local/schema_migrations/0000', '{replica}')")


def test_other_statements_run_locally_as_written():
    for start, version in [("CREATE MATERIALIZED VIEW IF NOT EXISTS <db>.call_state_mv", 8),
                           ("DROP TABLE IF EXISTS <db>.call_state", 8), ("INSERT INTO <db>.ticket_state", 8),
                           ("CREATE VIEW IF NOT EXISTS <db>.alerts_latest", 12)]:
        s = _statement(version, start)
        assert local_form(s, version) == s
    assert local_form("CREATE DATABASE IF NOT EXISTS hotline_local", 0) == "CREATE DATABASE IF NOT EXISTS hotline_local"


@pytest.mark.parametrize(("version", "table", "key"), [
    (1, "events", "subject"), (10, "ticket_places", "ticket_id"), (5, "facts_changes", "entity")])
def test_a_sharded_table_is_distributed_by_its_entity_id(version, table, key):
    assert cluster_form(_statement(version, f"CREATE TABLE IF NOT EXISTS <db>.{table}", "hotline"), LAYOUT) == (
        f"CREATE TABLE IF NOT EXISTS hotline.{table} AS hotline_local.{table} "
        f"ENGINE = Distributed('hotline', 'hotline_local', '{table}', halfMD5({key}))")


def test_a_table_only_each_shard_writes_itself_has_no_key():
    assert cluster_form(_statement(6, "CREATE TABLE", "hotline"), LAYOUT) == (
        "CREATE TABLE IF NOT EXISTS hotline.facts_compacted AS hotline_local.facts_compacted "
        "ENGINE = Distributed('hotline', 'hotline_local', 'facts_compacted')")


def test_an_everywhere_table_is_distributed_over_the_one_shard_of_every_node():
    assert cluster_form(_statement(11, "CREATE TABLE IF NOT EXISTS <db>.alerts", "hotline"), LAYOUT) == (
        "CREATE TABLE IF NOT EXISTS hotline.alerts AS hotline_local.alerts "
        "ENGINE = Distributed('hotline_all', 'hotline_local', 'alerts')")
    # the names come from the layout, not from the defaults
    assert cluster_form(_statement(11, "CREATE TABLE IF NOT EXISTS <db>.alerts", "city"), Layout("c2", "city")) == (
        "CREATE TABLE IF NOT EXISTS city.alerts AS city_local.alerts "
        "ENGINE = Distributed('c2_all', 'city_local', 'alerts')")


def test_views_and_drops_stay_as_written_materialized_views_and_writes_stay_local():
    view = _statement(12, "CREATE VIEW", "hotline")
    assert cluster_form(view, LAYOUT) == view and "FROM hotline.alerts\n" in view
    drop = _statement(8, "DROP TABLE IF EXISTS <db>.call_state", "hotline")
    assert cluster_form(drop, LAYOUT) == drop
    assert cluster_form(_statement(10, "CREATE MATERIALIZED VIEW", "hotline"), LAYOUT) is None
    assert cluster_form(_statement(8, "INSERT INTO <db>.call_state", "hotline"), LAYOUT) is None


def test_only_an_insert_select_runs_once_per_shard():
    shipped = [s for m in available() for s in m.statements("hotline_local")]
    assert [s.split("\n")[0] for s in shipped if once_per_shard(s)] == [
        "INSERT INTO hotline_local.call_state", "INSERT INTO hotline_local.ticket_state"]


def test_an_unknown_statement_is_refused_naming_it():
    for form in (lambda s: local_form(s, 13), lambda s: cluster_form(s, LAYOUT)):
        with pytest.raises(MigrationError, match="no cluster form for statement: 'ALTER TABLE hotline.events ADD"):
            form("ALTER TABLE hotline.events ADD COLUMN x UInt8")


def test_an_unclassified_table_is_refused_naming_it():
    s = "CREATE TABLE IF NOT EXISTS hotline_local.surveys\n(\n    id String\n)\nENGINE = MergeTree()\nORDER BY id"
    with pytest.raises(MigrationError, match="table surveys is neither sharded nor everywhere"):
        local_form(s, 13)


def test_a_table_without_a_mergetree_engine_is_refused():
    with pytest.raises(MigrationError, match="table alerts: no MergeTree-family engine"):
        local_form("CREATE TABLE IF NOT EXISTS hotline_local.alerts (id String) ENGINE = Memory", 13)


def test_every_shipped_statement_has_both_forms():
    kinds = {"table": 0, "view of rows": 0, "rows written": 0, "other": 0}
    for m in available():
        for local, shared in zip(m.statements("hotline_local"), m.statements("hotline"), strict=True):
            here, there = local_form(local, m.version), cluster_form(shared, LAYOUT)
            if local.startswith("CREATE TABLE"):
                kinds["table"] += 1
                assert "ENGINE = Replicated" in here and there.endswith(")") and "ENGINE = Distributed(" in there
            elif local.startswith("CREATE MATERIALIZED VIEW") or local.startswith("INSERT INTO"):
                kinds["view of rows" if local.startswith("CREATE") else "rows written"] += 1
                assert here == local and there is None
            else:
                kinds["other"] += 1
                assert here == local and there == shared
    # 0001-0016 as shipped, counted in the files: 25 CREATE TABLE (the state tables made again by
    # 0008, 0009, 0013 and 0015, and both facts tables by 0015 and 0016, among them), 12
    # materialized views (0015 makes the state views and ticket_open_mv again, 0016 the last),
    # 0008's two INSERT … SELECT, and 18 drops and the plain view alerts_latest.
    assert kinds == {"table": 25, "view of rows": 12, "rows written": 2, "other": 19}
