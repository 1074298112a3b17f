"""clickhouse-driver connections built from ClickHouseSettings (native protocol)."""

from __future__ import annotations

from typing import Any

from clickhouse_driver import Client

from hotline.settings import ClickHouseSettings

# On a cluster:
# - an insert through a Distributed table returns once the shard's replica has the rows
#   (read-after-write, and an error the writer can act on), not once they are queued on the
#   receiving node's disk;
# - a subquery or join over another Distributed table runs once and is shipped to the shards
#   (GLOBAL): a ticket and its call may live on different shards, so a shard-local join is wrong;
# - replicated tables do not drop a block identical to a recent one. Their deduplication would
#   drop a facts refresh's change marks whenever it touched the same days as a recent one (the
#   reports' cache would not see the change), and a batch retried on the shard's other replica
#   after the first died between its events and their state: the events were kept, the retry was
#   dropped as a duplicate, its views did not run and the state missed them (seen in the
#   failover test). Every write of the platform is safe to repeat: the tables fold duplicates;
# - a read goes to each shard's first replica while it answers: the one the aggregate writes
#   through (hotline.storage.placement), so what a reader sees is what was written, not a
#   replica a few parts behind (at random, two queries of one detector cycle could read the
#   same hours from two replicas in different states).
CLUSTER_QUERY_SETTINGS = {"insert_distributed_sync": 1, "distributed_product_mode": "global",
                          "insert_deduplicate": 0, "load_balancing": "in_order"}


def connect(settings: ClickHouseSettings, *, database: bool = True, host: str | None = None,
            port: int | None = None, alt_hosts: str | None = None, database_name: str | None = None,
            **client_settings: Any) -> Client:
    """A new client; `database=False` connects to `default` (the database may not exist yet).
    `host`, `port`, `alt_hosts` and `database_name` override the settings' (one node of a cluster,
    its local database).

    Connections are lazy: nothing blocks until the first query.
    """
    opts = {**CLUSTER_QUERY_SETTINGS, **client_settings} if settings.cluster else dict(client_settings)
    alt = settings.alt_hosts if alt_hosts is None else alt_hosts
    return Client(
        host=host or settings.host,
        port=port or settings.port,
        user=settings.user,
        password=settings.password.get_secret_value(),
        database=database_name or (settings.database if database else "default"),
        connect_timeout=5,
        send_receive_timeout=300,
        settings=opts or None,
        **({"alt_hosts": alt} if alt else {}),
    )
