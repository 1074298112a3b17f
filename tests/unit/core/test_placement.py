from __future__ import annotations

import hashlib
import re

import pytest

from hotline.errors import ClusterError, MigrationError
from hotline.settings import ClickHouseSettings
from hotline.storage.cluster_schema import Layout
from hotline.storage.migrate import available, migrate_cluster
from hotline.storage.placement import Placement
from hotline.storage.shards import Replica, Shard, shard_of, topology

pytestmark = pytest.mark.usefixtures("clean_env")  # tests/unit/conftest.py

R1, R2, R3, R4 = Replica("ch-1", 9000), Replica("ch-2", 9000), Replica("ch-3", 9000), Replica("ch-4", 9001)
TWO_BY_TWO = (Shard(1, (R1, R2)), Shard(2, (R3, R4)))


def _half_md5(text: str) -> int:
    """ClickHouse's halfMD5 of one string: the first 8 bytes of its MD5, big-endian."""
    return int.from_bytes(hashlib.md5(text.encode()).digest()[:8], "big")


# shard_of

def test_the_hash_is_the_servers_half_md5():
    # halfMD5('Hello, world!') and halfMD5('test') as ClickHouse answers them
    assert _half_md5("Hello, world!") == 7841705306765501771
    assert _half_md5("test") == 688887797400064883
    assert (shard_of("Hello, world!", 2), shard_of("Hello, world!", 3)) == (1, 2)
    assert (shard_of("test", 2), shard_of("test", 3)) == (1, 2)


@pytest.mark.parametrize("entity_id", ["T-1", "T-2", "C-1", "C-2", "T-100", "C-42", "工单-7"])
def test_an_entity_goes_to_its_hash_modulo_the_shards(entity_id):
    for shards in (1, 2, 3):
        assert shard_of(entity_id, shards) == _half_md5(entity_id) % shards


def test_fixed_shards_of_a_few_ids():
    # Written down once: a change of the hash moves existing rows' entities to other shards.
    assert [shard_of(i, 2) for i in ("T-1", "T-2", "T-100", "C-42")] == [1, 1, 0, 0]
    assert [shard_of(i, 3) for i in ("T-1", "T-2", "C-2", "C-42")] == [1, 0, 2, 2]


# topology

class Clusters:
    """An executor answering the system.clusters query with fixed rows."""

    def __init__(self, rows):
        self.rows = rows
        self.queries: list[tuple[str, dict]] = []

    def execute(self, query, params=None):
        self.queries.append((query, params))
        return self.rows


def test_topology_groups_the_replicas_of_each_shard():
    db = Clusters([(1, 1, 1, "ch-1", 9000), (1, 1, 2, "ch-2", 9000), (2, 1, 1, "ch-3", 9000), (2, 1, 2, "ch-4", 9001)])
    assert topology(db, "hotline") == TWO_BY_TWO
    [(query, params)] = db.queries
    assert "FROM system.clusters" in query and params == {"c": "hotline"}


def test_topology_orders_the_shards_by_number():
    db = Clusters([(3, 1, 1, "ch-5", 9000), (1, 1, 1, "ch-1", 9000), (2, 1, 1, "ch-3", 9000), (1, 1, 2, "ch-2", 9000)])
    assert topology(db, "c3") == (Shard(1, (R1, R2)), Shard(2, (R3,)), Shard(3, (Replica("ch-5", 9000),)))


def test_an_unknown_cluster_is_refused_naming_it():
    with pytest.raises(ClusterError, match="HOTLINE_CLICKHOUSE_CLUSTER=hotlin: no such cluster"):
        topology(Clusters([]), "hotlin")


def test_shards_of_unequal_weight_are_refused_naming_the_cluster():
    with pytest.raises(ClusterError, match="cluster hotline: every shard must have weight 1"):
        topology(Clusters([(1, 1, 1, "ch-1", 9000), (2, 2, 1, "ch-3", 9000)]), "hotline")


def test_shards_of_equal_weight_other_than_one_are_refused():
    # A Distributed table sends a row to the shard whose range of weights holds key % (sum of the
    # weights): with two shards of weight 2, halfMD5('C-1') % 4 = 1 is the first shard's, while
    # shard_of('C-1', 2) = 1 is the second. Rows written directly and through the Distributed
    # table would part.
    assert (_half_md5("C-1") % 4, shard_of("C-1", 2)) == (1, 1)
    with pytest.raises(ClusterError, match="cluster hotline"):
        topology(Clusters([(1, 2, 1, "ch-1", 9000), (2, 2, 1, "ch-3", 9000)]), "hotline")


# Placement

class Entry:
    """The connection a Placement reads the topology through."""

    def __init__(self):
        self.disconnected = False

    def disconnect(self):
        self.disconnected = True


@pytest.fixture
def cluster(monkeypatch):
    """Placement's view of a cluster of 2 shards x 2 replicas; returns the calls it made."""
    calls: dict[str, list] = {"connect": [], "topology": []}

    def connect(settings, **kwargs):
        calls["connect"].append((settings, kwargs))
        return Entry()

    def fake_topology(db, name):
        calls["topology"].append((db, name))
        return TWO_BY_TWO

    monkeypatch.setattr("hotline.storage.placement.connect", connect)
    monkeypatch.setattr("hotline.storage.placement.topology", fake_topology)
    return calls


def test_a_cluster_placement_reads_the_topology_once_and_starts_with_every_shard_suspect(cluster):
    settings = ClickHouseSettings(cluster="hotline", database="city")
    p = Placement(settings)
    assert p.clustered and p.database == "city_local"
    assert p.shards() == TWO_BY_TWO and p.shards() == TWO_BY_TWO
    assert p.suspects() == {0: 1, 1: 1}
    [(db, name)] = cluster["topology"]
    assert name == "hotline" and db.disconnected
    assert [s for s, _ in cluster["connect"]] == [settings]
    assert (p.current(0), p.current(1)) == (R1, R3)
    assert [p.shard_of(i) for i in ("T-1", "T-100")] == [shard_of("T-1", 2), shard_of("T-100", 2)] == [1, 0]


def test_a_failed_replica_moves_the_shard_to_the_next_and_makes_it_suspect(cluster):
    p = Placement(ClickHouseSettings(cluster="hotline"))
    p.shards()
    p.clear(1, 1)  # settled and recomputed, as the writer does
    p.failed(1, R3)
    assert (p.current(0), p.current(1)) == (R1, R4)
    assert p.suspects() == {0: 1, 1: 2}
    p.clear(0, 1)
    p.clear(1, 2)
    p.failed(1, R4)  # the last replica failed too: back to the first
    assert p.current(1) == R3 and p.suspects() == {1: 3}


def test_a_repair_that_began_before_another_change_of_replica_does_not_clear_it(cluster):
    p = Placement(ClickHouseSettings(cluster="hotline"))
    mark = p.suspects() if p.shards() else None
    p.failed(0, R1)  # while the repair of shard 1 ran with its first mark
    p.clear(0, mark[0])
    assert p.suspects() == {0: 2, 1: 1}


def test_a_stale_failure_of_a_replica_no_longer_written_changes_nothing(cluster):
    p = Placement(ClickHouseSettings(cluster="hotline"))
    p.failed(0, R1)
    p.clear(0, 2)
    p.clear(1, 1)
    p.failed(0, R1)  # another thread saw the same replica fail before the move
    p.failed(1, R4)  # nor does one of a replica the shard does not write
    assert (p.current(0), p.current(1)) == (R2, R3)
    assert p.suspects() == {}


def test_a_single_server_is_one_shard_never_suspect(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a single server has no topology to read")

    monkeypatch.setattr("hotline.storage.placement.connect", refuse)
    monkeypatch.setattr("hotline.storage.placement.topology", refuse)
    settings = ClickHouseSettings(host="10.0.0.5", port=9440, database="city")
    p = Placement(settings)
    assert not p.clustered and p.database == "city"
    assert p.shards() == (Shard(1, (Replica("10.0.0.5", 9440),)),)
    assert p.suspects() == {}
    assert p.shard_of("T-1") == 0 and p.current(0) == Replica("10.0.0.5", 9440)
    p.failed(0, p.current(0))
    assert p.current(0) == Replica("10.0.0.5", 9440) and p.suspects() == {}


# migrate_cluster

class Node:
    """One node's executor: remembers every statement and answers the runner's two reads."""

    def __init__(self, name, applied=()):
        self.name = name
        self.applied = list(applied)
        self.statements: list[str] = []
        self.reads: list[str] = []

    def execute(self, query, params=None):
        if query.startswith("SELECT version, checksum FROM"):
            self.reads.append(query)
            return self.applied
        if query.startswith("SELECT create_table_query FROM system.tables"):
            # What ClickHouse keeps of a view; the refold and the fill re-run its SELECT.
            db, view = params["db"], params["name"]
            self.reads.append(f"{db}.{view}")
            return [(f"CREATE MATERIALIZED VIEW {db}.{view} TO {db}.{view[:-3]} AS SELECT 1 AS k FROM {db}.events",)]
        self.statements.append(query)
        return []

    def starting(self, prefix):
        return [s for s in self.statements if s.startswith(prefix)]


LAYOUT = Layout(cluster="hotline", database="hotline")
_CREATES = re.compile(r"^CREATE TABLE IF NOT EXISTS \$\{database\}\.(\w+)", re.MULTILINE)


def _four_nodes(applied=()):
    a, b, c, d = (Node(n, applied) for n in "abcd")
    return [(1, a), (1, b), (2, c), (2, d)], (a, b, c, d)


def test_every_node_gets_every_table_in_both_forms():
    nodes, all_nodes = _four_nodes()
    assert [m.version for m in migrate_cluster(nodes, LAYOUT)] == [m.version for m in available()]
    creates = [name for m in available() for name in _CREATES.findall(m.sql)]
    for node in all_nodes:
        local = node.starting("CREATE TABLE IF NOT EXISTS hotline_local.")
        shared = node.starting("CREATE TABLE IF NOT EXISTS hotline.")
        assert [re.match(r"\S+ \S+ \S+ \S+ \S+ hotline_local\.(\w+)", s).group(1) for s in local] == \
            ["schema_migrations", *creates]
        assert all("ENGINE = Replicated" in s for s in local)
        assert [re.match(r"\S+ \S+ \S+ \S+ \S+ hotline\.(\w+) AS hotline_local\.\1 ENGINE = Distributed\(", s).group(1)
                for s in shared] == ["schema_migrations", *creates]
        assert node.starting("CREATE DATABASE") == ["CREATE DATABASE IF NOT EXISTS hotline_local",
                                                    "CREATE DATABASE IF NOT EXISTS hotline"]
    # The views and drops are the same everywhere; only the writes differ between nodes.
    for node in all_nodes:
        assert [s for s in node.statements if not s.startswith("INSERT")] == \
            [s for s in all_nodes[0].statements if not s.startswith("INSERT")]


def test_writes_run_once_per_shard_on_its_first_node_and_the_record_once():
    nodes, (a, b, c, d) = _four_nodes()
    migrate_cluster(nodes, LAYOUT)
    for head in (a, c):
        # 0008's own INSERT … SELECT, then 0009's refold, 0010's fill, 0013's refold, 0014's fill
        # with the views' SELECT, 0015's refolds, facts refreshes (their days marked before and
        # after) and fill, and 0016's facts refreshes and fill
        writes = [s for s in head.starting("INSERT INTO hotline_local.") if "schema_migrations" not in s]
        def marks(e: str) -> str:
            return (f"INSERT INTO hotline_local.facts_changes (day, entity, changes) SELECT day, '{e}', "
                    f"toUInt64(1) FROM hotline_local.{e}_facts WHERE 1 GROUP BY day")
        assert [s.split("\n")[0] for s in writes] == [
            "INSERT INTO hotline_local.call_state", "INSERT INTO hotline_local.ticket_state",
            "INSERT INTO hotline_local.ticket_state SELECT 1 AS k FROM hotline_local.events",
            "INSERT INTO hotline_local.ticket_places SELECT 1 AS k FROM hotline_local.events",
            "INSERT INTO hotline_local.ticket_state SELECT 1 AS k FROM hotline_local.events",
            "INSERT INTO hotline_local.ticket_open SELECT 1 AS k FROM hotline_local.events",
            "INSERT INTO hotline_local.call_state SELECT 1 AS k FROM hotline_local.events",
            "INSERT INTO hotline_local.ticket_state SELECT 1 AS k FROM hotline_local.events",
            marks("call"), "INSERT INTO hotline_local.call_facts", marks("call"),
            marks("ticket"), "INSERT INTO hotline_local.ticket_facts", marks("ticket"),
            "INSERT INTO hotline_local.ticket_open SELECT 1 AS k FROM hotline_local.events",
            marks("call"), "INSERT INTO hotline_local.call_facts", marks("call"),
            marks("ticket"), "INSERT INTO hotline_local.ticket_facts", marks("ticket"),
            "INSERT INTO hotline_local.ticket_open SELECT 1 AS k FROM hotline_local.events"]
        assert head.reads[-8:] == ["hotline_local.ticket_state_mv", "hotline_local.ticket_places_mv",
                                   "hotline_local.ticket_state_mv", "hotline_local.ticket_open_mv",
                                   "hotline_local.call_state_mv", "hotline_local.ticket_state_mv",
                                   "hotline_local.ticket_open_mv", "hotline_local.ticket_open_mv"]
    assert [s for s in b.statements + d.statements if s.startswith("INSERT")] == []
    assert c.starting("INSERT INTO hotline_local.schema_migrations") == []
    records = a.starting("INSERT INTO hotline_local.schema_migrations")
    assert [int(re.search(r"SELECT (\d+), '", r).group(1)) for r in records] == [m.version for m in available()]
    assert f"SELECT 1, 'events', '{available()[0].checksum}', now()" in records[0]
    # which migrations are applied is asked of the first node only
    assert a.reads[0] == "SELECT version, checksum FROM hotline_local.schema_migrations"
    assert not any(r.startswith("SELECT") for n in (b, c, d) for r in n.reads)


def test_an_applied_cluster_runs_no_migration_statement():
    nodes, all_nodes = _four_nodes([(m.version, m.checksum) for m in available()])
    assert migrate_cluster(nodes, LAYOUT) == []
    for node in all_nodes:
        assert [s.split(" (")[0].split(" AS ")[0] for s in node.statements] == [
            "CREATE DATABASE IF NOT EXISTS hotline_local",
            "CREATE TABLE IF NOT EXISTS hotline_local.schema_migrations",
            "CREATE DATABASE IF NOT EXISTS hotline",
            "CREATE TABLE IF NOT EXISTS hotline.schema_migrations"]


def test_a_node_refusing_a_statement_fails_the_migration_naming_it():
    class Refusing(Node):
        def execute(self, query, params=None):
            if query.startswith("CREATE TABLE IF NOT EXISTS hotline.events"):
                raise OSError("connection reset by peer")
            return super().execute(query, params)

    nodes, (a, b, c, d) = _four_nodes()
    nodes[3] = (2, Refusing("d"))
    with pytest.raises(MigrationError, match="migration 0001_events failed: connection reset by peer"):
        migrate_cluster(nodes, LAYOUT)
    assert a.starting("INSERT") == []  # not recorded: the next run makes it again
