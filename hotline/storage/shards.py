"""The shards of a ClickHouse cluster and which one holds an entity's rows.

Every row of one call or ticket lives on one shard, chosen from its id by `shard_of`, the same
function as the Distributed tables' sharding key (hotline.storage.cluster_schema.shard_key), so
rows written directly to a shard and rows written through a Distributed table meet. The shards and
their replicas are read from the cluster's own definition (system.clusters of the node the
settings name): the servers' config is the one place they are written down.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from clickhouse_driver import Client

from hotline.errors import ClusterError
from hotline.settings import ClickHouseSettings
from hotline.storage.client import connect


class Executor(Protocol):
    def execute(self, query: str, params: dict[str, Any] | None = None) -> Any: ...


@dataclass(frozen=True)
class Replica:
    host: str
    port: int


@dataclass(frozen=True)
class Shard:
    number: int  # shard_num, 1-based, in remote_servers order
    replicas: tuple[Replica, ...]


def shard_of(entity_id: str, shards: int) -> int:
    """0-based index of the shard that holds `entity_id`'s rows: halfMD5 of the id (the first 8
    bytes of its MD5, big-endian) modulo the number of shards, as a Distributed table does with
    equal weights."""
    return int.from_bytes(hashlib.md5(entity_id.encode()).digest()[:8], "big") % shards


def topology(db: Executor, cluster: str) -> tuple[Shard, ...]:
    rows = db.execute(
        "SELECT shard_num, shard_weight, replica_num, host_name, port FROM system.clusters "
        "WHERE cluster = %(c)s ORDER BY shard_num, replica_num", {"c": cluster})
    if not rows:
        raise ClusterError(f"HOTLINE_CLICKHOUSE_CLUSTER={cluster}: no such cluster in the server's remote_servers")
    if {r[1] for r in rows} != {1}:
        raise ClusterError(f"cluster {cluster}: every shard must have weight 1 (an entity's shard is "
                           "its id's hash modulo the number of shards, as a Distributed table of such "
                           "shards places a row)")
    shards: dict[int, list[Replica]] = {}
    for num, _w, _r, host, port in rows:
        shards.setdefault(int(num), []).append(Replica(str(host), int(port)))
    return tuple(Shard(n, tuple(r)) for n, r in sorted(shards.items()))


def shard_clients(settings: ClickHouseSettings, shards: tuple[Shard, ...], **client_settings: Any) -> list[Client]:
    """One client per shard on its local database: its first replica, the others to fail over to."""
    return [connect(settings, host=s.replicas[0].host, port=s.replicas[0].port,
                    alt_hosts=",".join(f"{r.host}:{r.port}" for r in s.replicas[1:]),
                    database_name=settings.local_database, **client_settings)
            for s in shards]


def node_clients(settings: ClickHouseSettings, shards: tuple[Shard, ...]) -> list[tuple[Shard, Client]]:
    """One client per node (no failover: schema changes must reach every replica)."""
    return [(s, connect(settings, host=r.host, port=r.port, alt_hosts="", database=False))
            for s in shards for r in s.replicas]


def targets(settings: ClickHouseSettings) -> list[tuple[Client, str]]:
    """Where work that each shard does for itself runs (compaction, a rebuild of its facts): the
    one server's database, or every shard's local database through its replicas. The caller
    disconnects the clients."""
    entry = connect(settings)
    if not settings.cluster:
        return [(entry, settings.database)]
    try:
        shards = topology(entry, settings.cluster)
    finally:
        entry.disconnect()
    return [(c, settings.local_database) for c in shard_clients(settings, shards)]


@contextmanager
def each_target(settings: ClickHouseSettings) -> Iterator[list[tuple[Client, str]]]:
    """`targets(settings)`, every client disconnected at the end."""
    places = targets(settings)
    try:
        yield places
    finally:
        for client, _ in places:
            client.disconnect()
