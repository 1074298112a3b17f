"""`hotline up --cluster` as a user runs it: ZooKeeper, ClickHouse 2 shards × 2 replicas and 3
Kafka nodes answer, replicate and stop, on the cluster's own ports and in a state folder of its
own. Marked `cluster` (`./run cluster`): deselected from the default run.

The cluster is started once for the module, from an empty folder: <state>/cluster of the test
stack's state folder (tests/local-stack.env), which `./run cluster` also stops should a run be
interrupted. The last check, that `down --cluster` leaves no process and no port taken, is in the
fixture's teardown: test order is random, teardown is last. The logs stay for a post-mortem.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from clickhouse_driver import Client
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

pytestmark = pytest.mark.cluster

# The cluster's ports with HOTLINE_CLUSTER_BASE_PORT=23400 (tooling/stack/cluster.py), by hand.
NATIVE = {"clickhouse-1-1": 23400, "clickhouse-1-2": 23401, "clickhouse-2-1": 23402, "clickhouse-2-2": 23403}
SHARD = {"clickhouse-1-1": "1", "clickhouse-1-2": "1", "clickhouse-2-1": "2", "clickhouse-2-2": "2"}
ZOOKEEPER = 23481
KAFKA = "127.0.0.1:23491,127.0.0.1:23492,127.0.0.1:23493"
EVERY_PORT = (23400, 23401, 23402, 23403, 23410, 23411, 23412, 23413, 23420, 23421, 23422, 23423,
              23460, 23461, 23462, 23470, 23471, 23481, 23491, 23492, 23493, 23496, 23497, 23498)
MEMBERS = ("zookeeper", "clickhouse-1-1", "clickhouse-1-2", "clickhouse-2-1", "clickhouse-2-2",
           "kafka-1", "kafka-2", "kafka-3", "ingest", "aggregate", "aggregate-2", "api", "alerts")


def hotline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tooling.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    try:
        return ") Z " not in Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False


def four_letter_word(word: bytes) -> str:
    with socket.create_connection(("127.0.0.1", ZOOKEEPER), timeout=5) as s:
        s.sendall(word)
        return b"".join(iter(lambda: s.recv(4096), b"")).decode()


def ch(node: str) -> Client:
    return Client("127.0.0.1", port=NATIVE[node], connect_timeout=5, send_receive_timeout=60)


def pids(run_dir: Path) -> list[int]:
    return [int(p.read_text().split('"pid": ')[1].split(",")[0]) for p in run_dir.glob("*.pid")]


@pytest.fixture(scope="module")
def cluster():
    """The started cluster's `up` output; at teardown, `down --cluster` must leave nothing."""
    state = Path(os.environ["HOTLINE_STATE_DIR"])  # set by tests/conftest.py
    # Only the state folder: the ports are the cluster's defaults, written above by hand.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env["HOTLINE_STATE_DIR"] = str(state)
    purged = hotline(env, "down", "--cluster", "--purge")
    assert purged.returncode == 0, purged.stderr
    taken = [p for p in EVERY_PORT if listening(p)]
    assert not taken, f"ports of the cluster already taken by something else: {taken}"
    t0 = time.monotonic()
    first = hotline(env, "up", "--cluster")
    took = time.monotonic() - t0
    run_dir = state / "cluster" / "run"
    started = pids(run_dir)
    try:
        assert first.returncode == 0, first.stdout + first.stderr
        print(f"hotline up --cluster took {took:.1f} s")
        yield {"env": env, "state": state, "up": first}
    finally:
        down = hotline(env, "down", "--cluster")
        assert down.returncode == 0, down.stderr
        assert sorted(down.stdout.splitlines()) == sorted(f"{m}: stopped" for m in MEMBERS), down.stdout
        assert len(started) == len(MEMBERS), started
        assert [p for p in started if alive(p)] == []
        assert [p for p in EVERY_PORT if listening(p)] == []
        assert list(run_dir.glob("*.pid")) == []


def test_up_starts_every_member_under_its_own_folder_and_a_second_up_changes_nothing(cluster):
    out = cluster["up"].stdout
    assert "zookeeper: started at 127.0.0.1:23481" in out
    assert "clickhouse-1-1: started at 127.0.0.1:23400, 127.0.0.1:23410, 127.0.0.1:23420" in out
    assert "clickhouse-2-2: started at 127.0.0.1:23403, 127.0.0.1:23413, 127.0.0.1:23423" in out
    assert "kafka-3: started at 127.0.0.1:23493, 127.0.0.1:23498" in out
    assert "clickhouse: cluster 'hotline' of 2 shards × 2 replicas" in out
    assert "hotline.calls.v1 (8 partitions)" in out
    folder = cluster["state"] / "cluster"
    assert sorted(p.name for p in folder.iterdir()) == [
        "clickhouse-1-1", "clickhouse-1-2", "clickhouse-2-1", "clickhouse-2-2",
        "faust", "kafka-1", "kafka-2", "kafka-3", "kafka-cluster.id", "logs", "run", "zookeeper"]

    again = hotline(cluster["env"], "up", "--cluster")
    assert again.returncode == 0, again.stderr
    assert "kafka-2: already running" in again.stdout
    assert "started" not in again.stdout.replace("already running", "")

    status = hotline(cluster["env"], "status", "--cluster")
    assert status.returncode == 0, status.stdout
    rows = [line.split()[:3] for line in status.stdout.splitlines()]
    assert rows == [[m, "running", "healthy"] for m in MEMBERS]


def test_zookeeper_answers_as_a_standalone_server(cluster):
    assert four_letter_word(b"ruok") == "imok"
    srvr = four_letter_word(b"srvr")
    assert "Zookeeper version: 3.8.0" in srvr
    assert "Mode: standalone" in srvr


def test_every_clickhouse_node_sees_the_cluster_of_two_shards_of_two_replicas(cluster):
    expected = [(1, 1, "127.0.0.1", 23400), (1, 2, "127.0.0.1", 23401),
                (2, 1, "127.0.0.1", 23402), (2, 2, "127.0.0.1", 23403)]
    for node in NATIVE:
        client = ch(node)
        assert client.execute("SELECT version()") == [("18.16.1",)]
        rows = client.execute("SELECT shard_num, replica_num, host_address, port FROM system.clusters "
                              "WHERE cluster = 'hotline' ORDER BY shard_num, replica_num")
        assert rows == expected, node
        macros = dict(client.execute("SELECT macro, substitution FROM system.macros"))
        assert macros == {"cluster": "hotline", "shard": SHARD[node], "replica": node}


@pytest.fixture(scope="module")
def probe(cluster):
    """A database made ON CLUSTER, with a replicated table and a Distributed table over it."""
    db = f"probe_{uuid.uuid4().hex[:8]}"
    c = ch("clickhouse-1-1")
    c.execute(f"CREATE DATABASE {db} ON CLUSTER hotline")
    c.execute(f"CREATE TABLE {db}.t ON CLUSTER hotline (id UInt32, what String) "
              f"ENGINE = ReplicatedMergeTree('/clickhouse/tables/{{shard}}/{db}/t', '{{replica}}') ORDER BY id")
    c.execute(f"CREATE TABLE {db}.t_all ON CLUSTER hotline AS {db}.t "
              f"ENGINE = Distributed(hotline, {db}, t, id)")
    # One row written on each shard, each on a different replica.
    ch("clickhouse-1-1").execute(f"INSERT INTO {db}.t VALUES", [(1, "written on shard 1 replica 1")])
    ch("clickhouse-2-2").execute(f"INSERT INTO {db}.t VALUES", [(2, "written on shard 2 replica 2")])
    # Wait until the other replica of each shard has fetched what its replication log holds: a
    # Distributed read may pick either replica of a shard.
    ch("clickhouse-1-2").execute(f"SYSTEM SYNC REPLICA {db}.t")
    ch("clickhouse-2-1").execute(f"SYSTEM SYNC REPLICA {db}.t")
    return db


def test_a_row_written_on_one_replica_is_read_on_the_other(probe):
    assert ch("clickhouse-1-2").execute(f"SELECT id, what FROM {probe}.t") == [(1, "written on shard 1 replica 1")]
    assert ch("clickhouse-2-1").execute(f"SELECT id, what FROM {probe}.t") == [(2, "written on shard 2 replica 2")]
    # and the replicas of a shard hold only their shard's row
    assert ch("clickhouse-1-1").execute(f"SELECT id FROM {probe}.t") == [(1,)]
    assert ch("clickhouse-2-2").execute(f"SELECT id FROM {probe}.t") == [(2,)]


def test_the_distributed_table_reads_both_shards_from_any_node(probe):
    for node in NATIVE:
        assert ch(node).execute(f"SELECT id FROM {probe}.t_all ORDER BY id") == [(1,), (2,)], node


def test_a_topic_of_three_replicas_two_in_sync_takes_an_acks_all_message_and_gives_it_back(cluster):
    topic = f"cluster.check.{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=KAFKA, request_timeout_ms=30000)
    try:
        assert sorted(b["broker_id"] for b in admin.describe_cluster()["brokers"]) == [1, 2, 3]
        admin.create_topics([NewTopic(topic, 3, 3, topic_configs={"min.insync.replicas": "2"})])
        deadline = time.monotonic() + 30
        while True:
            (described,) = admin.describe_topics([topic])
            parts = described["partitions"]
            if (len(parts) == 3 and all(len(p["isr_nodes"]) == 3 for p in parts)) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert [sorted(p["replica_nodes"]) for p in parts] == [[1, 2, 3]] * 3
        assert [sorted(p["isr_nodes"]) for p in parts] == [[1, 2, 3]] * 3
        configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, configs=["min.insync.replicas"])])
        assert configs["topic"][topic]["min.insync.replicas"]["value"] == "2"
        # the platform's topics, made by `up --cluster`, are as durable
        (calls,) = admin.describe_topics(["hotline.calls.v1"])
        assert len(calls["partitions"]) == 8
        assert {len(p["replica_nodes"]) for p in calls["partitions"]} == {3}
        # the brokers' default, so asked for with every source, not only the topic's own
        calls_configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, "hotline.calls.v1", configs=["min.insync.replicas"])],
            config_filter="all")
        assert calls_configs["topic"]["hotline.calls.v1"]["min.insync.replicas"]["value"] == "2"
    finally:
        admin.close()

    producer = KafkaProducer(bootstrap_servers=KAFKA, acks="all")
    try:
        sent = producer.send(topic, key=b"ticket-1", value=b"accepted by two replicas at least").get(timeout=30)
    finally:
        producer.close()
    consumer = KafkaConsumer(topic, bootstrap_servers=KAFKA, auto_offset_reset="earliest")
    got: list[tuple] = []
    try:
        deadline = time.monotonic() + 30
        while not got and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=1000).values():
                got += [(m.partition, m.offset, m.key, m.value) for m in records]
        for records in consumer.poll(timeout_ms=1000).values():  # and nothing more
            got += [(m.partition, m.offset, m.key, m.value) for m in records]
    finally:
        consumer.close()
    assert got == [(sent.partition, 0, b"ticket-1", b"accepted by two replicas at least")]
