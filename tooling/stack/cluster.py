"""The local cluster (`hotline up --cluster`): ZooKeeper, ClickHouse as 2 shards × 2 replicas and
Apache Kafka as 3 KRaft nodes, on loopback, under <state>/cluster, on ports of its own.

`up` also makes the cluster schema (hotline.storage.cluster_schema) and starts the platform's
services on the cluster: ingest, the aggregate workers (HOTLINE_CLUSTER_AGGREGATE_WORKERS, default
2), the query API and the alerts service, configured through their environment. The single-node
stack (tooling/stack/stack.py) stays the default and shares nothing with it but the server and
service classes.

Ports follow from one setting, HOTLINE_CLUSTER_BASE_PORT (B, default 23400), away from the demo
stack's defaults and every test stack's:

    ClickHouse node k (0..3)   native B+k, HTTP B+10+k, interserver B+20+k
    ingest, API, alerts        B+60, B+61, B+62
    aggregate worker i (0..)   B+70+i
    ZooKeeper                  B+81
    Kafka node n (1..3)        B+90+n, its controller B+95+n
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline import broker
from hotline.settings import CalendarSettings, CitySettings, ClickHouseSettings, KafkaSettings, StackSettings
from hotline.storage import work_calendar
from hotline.storage.__main__ import migrate_configured
from tooling.stack.broker_server import LocalBroker, new_cluster_id
from tooling.stack.clickhouse_server import ClusterRole, LocalClickHouse
from tooling.stack.server import LocalServer, start_together, stop_together
from tooling.stack.services import SERVICES, LocalService
from tooling.stack.stack import ComponentStatus, Say, Settings
from tooling.stack.zookeeper_server import LocalZooKeeper

HOST = "127.0.0.1"
SHARDS, REPLICAS, KAFKA_NODES = 2, 2, 3
# Kafka's recommended durability, which three nodes allow: three copies, two in sync for acks=all.
KAFKA_REPLICATION, KAFKA_MIN_IN_SYNC = 3, 2
PORT_SETTING = "HOTLINE_CLUSTER_BASE_PORT"


class ClusterSettings(BaseSettings):
    """The local cluster; environment variables prefixed HOTLINE_CLUSTER_."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_CLUSTER_", extra="ignore")

    name: str = Field(default="hotline", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                      description="the ClickHouse cluster's name in remote_servers (ON CLUSTER, Distributed)")
    base_port: int = Field(default=23400, ge=1024, le=65435, description="the first of the cluster's ports")
    aggregate_workers: int = Field(default=2, ge=1, le=9, description="aggregate worker processes `up` starts")


@dataclass(frozen=True)
class ClickHouseNode:
    name: str
    shard: int  # 1-based, as in the {shard} macro
    replica: int  # 1-based within its shard
    port: int
    http_port: int
    interserver_port: int


@dataclass(frozen=True)
class KafkaNode:
    node_id: int
    port: int
    controller_port: int


@dataclass(frozen=True)
class Topology:
    """Names and ports of every member: pure, from the settings alone."""

    clickhouse: tuple[ClickHouseNode, ...]
    zookeeper_port: int
    kafka: tuple[KafkaNode, ...]

    @classmethod
    def of(cls, c: ClusterSettings) -> "Topology":
        b = c.base_port
        ch = []
        for shard in range(1, SHARDS + 1):
            for replica in range(1, REPLICAS + 1):
                k = (shard - 1) * REPLICAS + (replica - 1)
                ch.append(ClickHouseNode(f"clickhouse-{shard}-{replica}", shard, replica,
                                         b + k, b + 10 + k, b + 20 + k))
        kafka = tuple(KafkaNode(n, b + 90 + n, b + 95 + n) for n in range(1, KAFKA_NODES + 1))
        return cls(tuple(ch), b + 81, kafka)

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"{HOST}:{n.port}" for n in self.kafka)

    def shards(self) -> tuple[tuple[tuple[str, int], ...], ...]:
        return tuple(tuple((HOST, n.port) for n in self.clickhouse if n.shard == s) for s in range(1, SHARDS + 1))


@dataclass(frozen=True)
class Members:
    zookeeper: LocalZooKeeper
    clickhouse: tuple[LocalClickHouse, ...]
    kafka: tuple[LocalBroker, ...]

    def all(self) -> list[LocalServer]:
        return [self.zookeeper, *self.clickhouse, *self.kafka]


def cluster_stack(s: Settings) -> StackSettings:
    """The cluster's own state folder (data, logs, PID files) inside the stack's."""
    return StackSettings(state_dir=s.stack.state_dir / "cluster", start_timeout_s=s.stack.start_timeout_s)


def kafka_settings(s: Settings, c: ClusterSettings) -> KafkaSettings:
    """The platform's Kafka settings pointed at the cluster: every node, replication 3."""
    return s.kafka.model_copy(update={"bootstrap_servers": Topology.of(c).bootstrap_servers,
                                      "replication_factor": KAFKA_REPLICATION, "external": False})


def members(s: Settings, c: ClusterSettings, kafka_cluster_id: str | None = None) -> Members:
    """The servers of the cluster; `kafka_cluster_id` is needed only to format a Kafka node's
    storage, i.e. by `up`."""
    stack, top = cluster_stack(s), Topology.of(c)
    zk = LocalZooKeeper(stack, HOST, top.zookeeper_port, PORT_SETTING, java=s.broker.java)
    ch = tuple(
        LocalClickHouse(
            stack, s.clickhouse.model_copy(update={"host": HOST, "port": n.port, "http_port": n.http_port,
                                                   "external": False}),
            name=n.name, port_setting=PORT_SETTING,
            cluster=ClusterRole(c.name, n.shard, n.name, n.interserver_port, top.shards(), (HOST, top.zookeeper_port)),
        )
        for n in top.clickhouse)
    quorum = {n.node_id: n.controller_port for n in top.kafka}
    kafka = tuple(
        LocalBroker(
            stack, s.kafka.model_copy(update={"bootstrap_servers": f"{HOST}:{n.port}",
                                              "replication_factor": KAFKA_REPLICATION, "external": False}),
            s.broker.model_copy(update={"controller_port": n.controller_port}),
            name=f"kafka-{n.node_id}", node_id=n.node_id, quorum=quorum,
            data_dir=stack.state_dir / f"kafka-{n.node_id}", cluster_id=kafka_cluster_id, port_setting=PORT_SETTING,
        )
        for n in top.kafka)
    return Members(zk, ch, kafka)


def clickhouse_settings(s: Settings, c: ClusterSettings) -> ClickHouseSettings:
    """The platform's ClickHouse settings pointed at the cluster: its first node, the others to
    fail over to, the cluster's name (the schema and the workers' placement follow from it)."""
    first, *others = Topology.of(c).clickhouse
    return s.clickhouse.model_copy(update={
        "host": HOST, "port": first.port, "http_port": first.http_port, "cluster": c.name,
        "alt_hosts": ",".join(f"{HOST}:{n.port}" for n in others), "external": False})


def service_env(s: Settings, c: ClusterSettings) -> dict[str, str]:
    """The environment the platform's services run with on the cluster."""
    ch, k, b = clickhouse_settings(s, c), kafka_settings(s, c), c.base_port
    return {
        "HOTLINE_STATE_DIR": str(cluster_stack(s).state_dir),
        "HOTLINE_CLICKHOUSE_HOST": ch.host, "HOTLINE_CLICKHOUSE_PORT": str(ch.port),
        "HOTLINE_CLICKHOUSE_HTTP_PORT": str(ch.http_port), "HOTLINE_CLICKHOUSE_ALT_HOSTS": ch.alt_hosts,
        "HOTLINE_CLICKHOUSE_CLUSTER": c.name,
        "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": k.bootstrap_servers,
        "HOTLINE_KAFKA_REPLICATION_FACTOR": str(k.replication_factor),
        "HOTLINE_INGEST_PORT": str(b + 60), "HOTLINE_API_PORT": str(b + 61), "HOTLINE_ALERTS_PORT": str(b + 62),
        "HOTLINE_AGGREGATE_PORT": str(b + 70), "HOTLINE_AGGREGATE_WORKERS": str(c.aggregate_workers),
    }


def services(s: Settings, c: ClusterSettings) -> list[LocalService]:
    """The platform's services on the cluster, with the settings they will read."""
    env = service_env(s, c)
    out = []
    for spec in SERVICES:
        with _environment(env):
            settings = spec.load_settings()
        count = c.aggregate_workers if spec.name == "aggregate" else 1
        recorded = len(list((cluster_stack(s).state_dir / "run").glob(f"{spec.name}*.pid")))
        out += [LocalService(cluster_stack(s), spec, i, settings, env) for i in range(max(count, recorded))]
    return out


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """Settings classes read the process environment: the services' settings are read with theirs."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _kafka_cluster_id(stack: StackSettings) -> str:
    """The id every node's storage is formatted with (nodes of two ids refuse each other): made
    once, kept in the cluster's folder so a node formatted later joins the same cluster."""
    path = stack.state_dir / "kafka-cluster.id"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        cid = new_cluster_id()
        path.write_text(cid)
        return cid


def up(s: Settings, c: ClusterSettings, say: Say = print) -> None:
    """ZooKeeper first (the ClickHouse nodes connect to it as they start), then the ClickHouse
    and Kafka nodes together (a KRaft node is ready only once a majority of the quorum runs),
    then the platform's topics, replicated three times. Idempotent."""
    m = members(s, c, _kafka_cluster_id(cluster_stack(s)))
    started = start_together([m.zookeeper])[0]
    say(f"zookeeper: {'started' if started else 'already running'} at {m.zookeeper.address()}")
    nodes: list[LocalServer] = [*m.clickhouse, *m.kafka]
    try:
        for srv, now in zip(nodes, start_together(nodes)):
            say(f"{srv.name}: {'started' if now else 'already running'} at {srv.address()}")
    except BaseException:
        if started:  # as start_together does for the nodes: a failed `up` leaves nothing behind
            m.zookeeper.stop()
        raise
    say(f"clickhouse: cluster '{c.name}' of {SHARDS} shards × {REPLICAS} replicas")
    topics = broker.ensure_topics(kafka_settings(s, c))
    say(f"kafka: topics (replication {KAFKA_REPLICATION}, min.insync.replicas {KAFKA_MIN_IN_SYNC}) "
        + ", ".join(f"{t} ({n} partitions)" for t, n in sorted(topics.items())))
    ch = clickhouse_settings(s, c)
    applied = migrate_configured(ch)
    say(f"clickhouse: cluster schema {'applied: ' + ', '.join(f'{m.version:04d}' for m in applied) if applied else 'up to date'}")
    with _environment(service_env(s, c)):
        synced = work_calendar.sync_configured(ch, CitySettings().timezone, CalendarSettings())
    say(f"calendar: covers up to {synced.combined.covered_until}")
    svcs = services(s, c)
    for svc, now in zip(svcs, start_together(svcs)):
        say(f"{svc.name}: {'started' if now else 'already running'} at http://{svc.address()}")


def down(s: Settings, c: ClusterSettings, purge: bool = False, say: Say = print) -> None:
    m = members(s, c)
    # The services first (they write to the servers); ZooKeeper last: ClickHouse nodes that
    # outlive it retry their lost session while stopping.
    for svc, was in zip(reversed(svcs := services(s, c)), stop_together(list(reversed(svcs)))):
        say(f"{svc.name}: {'stopped' if was else 'was not running'}")
    nodes: list[LocalServer] = [*m.kafka, *m.clickhouse]
    for srv, was in [*zip(nodes, stop_together(nodes)), (m.zookeeper, m.zookeeper.stop())]:
        say(f"{srv.name}: {'stopped' if was else 'was not running'}")
    if purge:
        folder = cluster_stack(s).state_dir
        shutil.rmtree(folder, ignore_errors=True)
        say(f"purged {folder}")


def status(s: Settings, c: ClusterSettings) -> list[ComponentStatus]:
    out = []
    for srv in [*members(s, c).all(), *services(s, c)]:
        pid = srv.pid()
        out.append(ComponentStatus(srv.name, "running" if pid else "stopped", srv.address(),
                                   srv.ready() if pid else None, pid))
    return out
