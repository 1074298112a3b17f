"""Refresh the flat facts tables from the per-entity state (SQL in storage/sql/*_facts.sql).

A refresh recomputes whole facts rows from the state of the entities asked for; because the
state is a lattice and the facts' version is the number of events folded, refreshing the same
ids twice, concurrently from two workers, or after a crash is harmless (idempotent).
"""

from __future__ import annotations

import string
from collections.abc import Collection
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, Protocol

from hotline.contract import SOURCE_OF_CHANNEL

Entity = Literal["call", "ticket"]
_ID = {"call": "call_id", "ticket": "ticket_id"}


class ParamExecutor(Protocol):
    def execute(self, query: str, params: dict[str, Any] | None = None, *,
                external_tables: list[dict[str, Any]] | None = None) -> Any: ...


# The ids of a refresh travel as external data of the query (the native protocol's temporary
# table), not inside its text: 40 000 ids written as `IN (...)` cost ClickHouse ~0.45 s of parsing
# per statement and ran into max_query_size and max_ast_elements; as a table they cost ~0.15 s and
# have no limit (measured on 18.16).
TOUCHED = "touched"


# Where the refresh SQL finds the earliest offer / creation time and every one of them (for the
# rows of sql/partition_rows.sql).
_FIRST_AND_TIMES = {"call": ("offer_ms", "offers"), "ticket": ("creation_ms", "creations")}


def _sql_file(name: str) -> str:
    """A file of storage/sql without its comment lines."""
    text = resources.files("hotline.storage").joinpath("sql", f"{name}.sql").read_text()
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("--"))


@lru_cache(maxsize=16)  # every batch refreshes: read and render the file once
def refresh_sql(entity: Entity, database: str, *, all_ids: bool = False) -> str:
    # The filter is one of two fixed strings, never built from input.
    where = "1" if all_ids else f"{_ID[entity]} IN {TOUCHED}"
    first, times = _FIRST_AND_TIMES[entity]
    partition_rows = string.Template(_sql_file("partition_rows")).substitute(first=first, times=times)
    return string.Template(_sql_file(f"{entity}_facts")).substitute(database=database, filter=where,
                                                                     partition_rows=partition_rows)


def params(tz: str) -> dict[str, Any]:
    return {
        "tz": tz,
        "channels": list(SOURCE_OF_CHANNEL.keys()),
        "sources": list(SOURCE_OF_CHANNEL.values()),
    }


def touched(ids: Collection[str]) -> list[dict[str, Any]]:
    """`ids` as the external table the refresh statements read (`IN touched`)."""
    return [{"name": TOUCHED, "structure": [("id", "String")], "data": [{"id": i} for i in ids]}]


def mark_changes_sql(entity: Entity, database: str, *, all_ids: bool = False) -> str:
    """Count one change for every day the entities' facts rows are on (every version: the rows
    a refresh is about to replace as well as the new ones)."""
    where = "1" if all_ids else f"{_ID[entity]} IN {TOUCHED}"
    return (
        f"INSERT INTO {database}.facts_changes (day, entity, changes) "
        f"SELECT day, '{entity}', toUInt64(1) FROM {database}.{entity}_facts WHERE {where} GROUP BY day"
    )


def refresh(db: ParamExecutor, database: str, tz: str, entity: Entity, ids: Collection[str]) -> None:
    """Recompute the facts of `ids` (blocks on ClickHouse; safe to repeat).

    The days the entities were on before are marked changed first (a merge could drop the old
    rows later), the new days after the facts are in, so a reader that sees an unchanged mark
    cannot have missed newer facts (services/api caches reports on it)."""
    if not ids:
        return
    ext = touched(ids)
    db.execute(mark_changes_sql(entity, database), external_tables=ext)
    db.execute(refresh_sql(entity, database), params(tz), external_tables=ext)
    db.execute(mark_changes_sql(entity, database), external_tables=ext)


def rebuild(db: ParamExecutor, database: str, tz: str, entity: Entity) -> None:
    """Recompute the facts of every entity of the kind from its state (idempotent)."""
    db.execute(mark_changes_sql(entity, database, all_ids=True))
    db.execute(refresh_sql(entity, database, all_ids=True), params(tz))
    db.execute(mark_changes_sql(entity, database, all_ids=True))


def stale(db: ParamExecutor, database: str, entity: Entity) -> list[str]:
    """Entities whose newest facts count another number of events than their state folds (or
    that have no facts at all): facts refreshed from a replica that was missing some of their
    events (hotline.storage.placement). A scan of the whole state and facts tables."""
    key = _ID[entity]
    rows = db.execute(
        f"SELECT {key} FROM (SELECT {key}, uniqExactMerge(events) AS folded FROM {database}.{entity}_state "
        f"GROUP BY {key}) ANY LEFT JOIN (SELECT {key}, max(events) AS counted FROM {database}.{entity}_facts "
        f"GROUP BY {key}) USING {key} WHERE folded != counted")
    return [r[0] for r in rows]


def refold_state(db: ParamExecutor, database: str, entity: Entity) -> None:
    """Re-fold `<entity>_state` from the raw archive, using the view's own SELECT. Idempotent:
    the state is a lattice, folding an event again changes nothing; use it after a view was
    (re)created."""
    fill_from_view(db, database, f"{entity}_state")


def fill_from_view(db: ParamExecutor, database: str, table: str) -> None:
    """Insert into `table` what its materialized view `<table>_mv` selects from the tables it
    reads, with the view's own SELECT (read from system.tables, so the SELECT is written down
    once, in its migration): the rows the view would have written for data stored before it
    existed. Safe to repeat only for tables whose engine folds a row written twice away."""
    view = f"{table}_mv"
    rows = db.execute(
        "SELECT create_table_query FROM system.tables WHERE database = %(db)s AND name = %(name)s",
        {"db": database, "name": view},
    )
    if not rows:
        raise LookupError(f"{database}.{view} does not exist: run the migrations first")
    ddl = rows[0][0]
    at = ddl.find(" AS SELECT ")
    if at < 0:
        raise LookupError(f"cannot find the SELECT of {database}.{view}")
    db.execute(f"INSERT INTO {database}.{table} {ddl[at + 4:]}")