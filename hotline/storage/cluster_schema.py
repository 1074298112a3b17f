"""The cluster form of the schema, derived statement by statement from the single-node migrations.

On a cluster (HOTLINE_CLICKHOUSE_CLUSTER) every node holds two databases:

- `<database>_local`, the node's own tables: every migration exactly as on one server, but each
  MergeTree-family engine made Replicated. A table of calls or tickets (SHARDED) is replicated
  within its shard, so the shard holds every row of its entities: their events, the state the
  views fold from them and their facts; the views and the facts refresh read local tables only.
  Any other table (EVERYWHERE: the calendar, supplied figures, alerts, …) is small and replicated
  to every node, so a shard's facts refresh finds the working-day calendar beside it.
- `<database>`, what every reader uses: a `Distributed` table of the same name and columns for
  each of those tables, and the plain views. The query API's and the alerts service's SQL runs
  unchanged on it.

Pure: statements in, statements out; hotline.storage.migrate runs them on the nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hotline.errors import MigrationError

# Where each sharded table keeps its entity id: the rows of one call or ticket share a shard,
# chosen from that id (hotline.storage.shards.shard_of, the same hash as the key below).
# facts_changes is written by each shard's refreshes beside the facts they mark; a refresh run
# through the Distributed tables (a calendar change) marks days on the shard of its entity kind:
# any shard would do, readers sum them all. facts_compacted is written by each shard's own
# compaction, never through the Distributed table: no key (an insert through it is refused).
SHARDED: dict[str, str | None] = {
    "events": "subject",
    "call_state": "call_id",
    "ticket_state": "ticket_id",
    "call_facts": "call_id",
    "ticket_facts": "ticket_id",
    "ticket_places": "ticket_id",
    "ticket_open": "ticket_id",
    "facts_changes": "entity",
    "facts_compacted": None,
}
EVERYWHERE = frozenset({
    "schema_migrations", "supplied_figures", "data_shares", "calendar_schedules", "work_calendar",
    "alerts", "alerts_progress",
})

_CREATE_TABLE = re.compile(r"^CREATE TABLE IF NOT EXISTS (\w+)\.(\w+)\s*\(", re.IGNORECASE)
_ENGINE = re.compile(r"ENGINE\s*=\s*(\w*)MergeTree\(([^)]*)\)")
_CREATE_MV = re.compile(r"^CREATE MATERIALIZED VIEW IF NOT EXISTS ", re.IGNORECASE)
_CREATE_VIEW = re.compile(r"^CREATE VIEW IF NOT EXISTS ", re.IGNORECASE)
_DROP = re.compile(r"^DROP TABLE IF EXISTS ", re.IGNORECASE)
_DATABASE = re.compile(r"^CREATE DATABASE IF NOT EXISTS ", re.IGNORECASE)
_INSERT_SELECT = re.compile(r"^INSERT INTO \w+\.\w+\s+SELECT\b", re.IGNORECASE)


@dataclass(frozen=True)
class Layout:
    """Names a cluster's schema is built from."""

    cluster: str  # remote_servers entry of the shards, each shard its replicas
    database: str  # the Distributed tables

    @property
    def local(self) -> str:
        return f"{self.database}_local"

    @property
    def everywhere(self) -> str:
        """The remote_servers entry with one shard whose replicas are every node."""
        return f"{self.cluster}_all"


def shard_key(column: str) -> str:
    """The Distributed tables' sharding expression: the first 8 bytes of the id's MD5, big-endian
    (halfMD5 of one argument), modulo the shards' weights."""
    return f"halfMD5({column})"


def once_per_shard(statement: str) -> bool:
    """Whether the statement writes rows (INSERT … SELECT from the shard's own tables): run on one
    replica of each shard, which copies it to the others, not on every node."""
    return bool(_INSERT_SELECT.match(statement.strip()))


def local_form(statement: str, version: int) -> str:
    """A statement written for `<local>` (its ${database} substituted with it) as it runs on each
    node (or each shard, `once_per_shard`): tables made Replicated, under a ZooKeeper path of their
    own for each migration that creates them (a table dropped and made again by a later migration
    does not meet its old replicas' metadata); anything else as written."""
    s = statement.strip()
    m = _CREATE_TABLE.match(s)
    if m:
        return _replicated(s, m.group(1), m.group(2), version)
    if (_CREATE_MV.match(s) or _CREATE_VIEW.match(s) or _DROP.match(s) or _DATABASE.match(s)
            or _INSERT_SELECT.match(s)):
        return s
    raise MigrationError(f"no cluster form for statement: {s[:80]!r}")


def cluster_form(statement: str, layout: Layout) -> str | None:
    """The statement written for `<database>` as it runs on each node: a table becomes a
    Distributed table over the local one; a plain view stays a view (of Distributed tables); a
    materialized view is the local tables' business (None)."""
    s = statement.strip()
    m = _CREATE_TABLE.match(s)
    if m:
        name = m.group(2)
        if name in SHARDED:
            key = SHARDED[name]
            over = f"'{layout.cluster}', '{layout.local}', '{name}'" + (f", {shard_key(key)}" if key else "")
        else:
            over = f"'{layout.everywhere}', '{layout.local}', '{name}'"
        return (f"CREATE TABLE IF NOT EXISTS {layout.database}.{name} AS {layout.local}.{name} "
                f"ENGINE = Distributed({over})")
    if _CREATE_MV.match(s) or _INSERT_SELECT.match(s):
        return None
    if _CREATE_VIEW.match(s) or _DROP.match(s) or _DATABASE.match(s):
        return s
    raise MigrationError(f"no cluster form for statement: {s[:80]!r}")


def _replicated(statement: str, database: str, name: str, version: int) -> str:
    if name in SHARDED:
        path = f"/clickhouse/tables/{{shard}}/{database}/{name}/{version:04d}"
    elif name in EVERYWHERE:
        path = f"/clickhouse/tables/all/{database}/{name}/{version:04d}"
    else:
        raise MigrationError(
            f"table {name} is neither sharded nor everywhere on a cluster: add it to "
            "hotline/storage/cluster_schema.py (SHARDED with its entity id column, or EVERYWHERE)")
    engine = _ENGINE.search(statement)
    if engine is None:
        raise MigrationError(f"table {name}: no MergeTree-family engine to replicate")
    args = f"'{path}', '{{replica}}'" + (f", {engine.group(2)}" if engine.group(2).strip() else "")
    return statement[:engine.start()] + f"ENGINE = Replicated{engine.group(1)}MergeTree({args})" + statement[engine.end():]
