"""`python -m hotline.storage migrate`: apply the schema migrations from the runtime alone.

The production image carries the runtime packages only (no `hotline` command line, which is
tooling); its migration job runs this. `hotline migrate` calls the same function.
"""

from __future__ import annotations

import sys

from hotline.errors import ClusterError
from hotline.settings import ClickHouseSettings
from hotline.storage.client import connect
from hotline.storage.cluster_schema import Layout
from hotline.storage.migrate import Migration, migrate, migrate_cluster
from hotline.storage.shards import node_clients, topology


def migrate_configured(settings: ClickHouseSettings) -> list[Migration]:
    """The single-node schema on the configured server, or the cluster schema on every node of
    the configured cluster (its nodes read from the server's remote_servers)."""
    entry = connect(settings, database=False)
    try:
        if not settings.cluster:
            return migrate(entry, settings.database)
        layout = Layout(settings.cluster, settings.database)
        shards = topology(entry, layout.cluster)
        every = {r for s in topology(entry, layout.everywhere) for r in s.replicas}
        if every != {r for s in shards for r in s.replicas}:
            raise ClusterError(f"remote_servers: {layout.everywhere} must list every node of {layout.cluster} "
                               "as the replicas of its one shard (the tables every node holds in full)")
    finally:
        entry.disconnect()
    nodes = node_clients(settings, shards)
    try:
        return migrate_cluster([(s.number, c) for s, c in nodes], layout)
    finally:
        for _, c in nodes:
            c.disconnect()


def apply_migrations() -> str:
    """Apply every pending migration to the configured server; returns what was applied, as text."""
    applied = migrate_configured(ClickHouseSettings())
    return f"applied {len(applied)} migration(s)" + "".join(f"\n  {m.version:04d}_{m.name}" for m in applied)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["migrate"]:
        print("usage: python -m hotline.storage migrate", file=sys.stderr)
        return 2
    print(apply_migrations())
    return 0


if __name__ == "__main__":
    sys.exit(main())
