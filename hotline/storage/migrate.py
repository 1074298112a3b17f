"""Versioned, idempotent schema migrations for ClickHouse (18.16 dialect, also a current engine).

Migrations are the files `migrations/NNNN_name.sql` beside this module, applied in version order.
`${database}` in a file is replaced by the configured database name. Every statement is written
to be re-runnable (`IF NOT EXISTS`), and applied versions are recorded with their checksum in
`<database>.schema_migrations`, so running the migrations again is a no-op, and an applied file
whose statements were edited afterwards is refused instead of silently diverging. The checksum
covers the statements and the runner's directives, not the comments: rewording a comment of an
applied migration is allowed.

A line `-- then: refold <entity>_state` makes the runner re-fold that state table from the raw
archive after the file's statements, with the view's own SELECT (hotline.storage.facts.refold_state),
so a migration that remakes a state table does not write its fold a second time. A line
`-- then: refresh <entity>_facts` recomputes every facts row of that kind from its state
(hotline.storage.facts.rebuild), in the city's time zone (HOTLINE_CITY_TIMEZONE), after the
refolds. A line `-- then: fill <table> from its view` does the same for any table a new
materialized view `<table>_mv` fills (hotline.storage.facts.fill_from_view): the events stored
before the view; fills run last.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

from hotline.errors import MigrationError
from hotline.storage.cluster_schema import Layout, cluster_form, local_form, once_per_shard

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_REFOLD = re.compile(r"^-- then: refold (call|ticket)_state$", re.MULTILINE)
_REFRESH = re.compile(r"^-- then: refresh (call|ticket)_facts$", re.MULTILINE)
_FILL = re.compile(r"^-- then: fill ([a-z][a-z0-9_]*) from its view$", re.MULTILINE)
# sha256 of whole files as released before their comments were reworded (December 2026).
_WHOLE_FILE_BEFORE_REWORDING = {
    1: ("469d0c4b2c9b600eaa93d978513a97bbe165d60c035149316807c8b9f6bac0ee",),
    4: ("362c5a37563dc5159a4beab6fd2fb5885205ab32a036a8a0976d9831529e67f0",),
    5: ("a6ee659847394c9328c7ed5975c00894f4a99e0e3852d8493c439a8ef4b9ecff",),
}


class Executor(Protocol):
    """Anything that runs one SQL statement and returns its rows (clickhouse-driver's Client)."""

    def execute(self, query: str) -> list[tuple[Any, ...]]: ...


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """sha256 of what the file does: its lines without the `--` comments (directives kept)."""
        kept = [ln for ln in self.sql.splitlines() if not ln.lstrip().startswith("--") or _REFOLD.match(ln) or _REFRESH.match(ln)
                or _FILL.match(ln)]
        return hashlib.sha256("\n".join(kept).encode()).hexdigest()

    def recorded_as(self, checksum: str) -> bool:
        """Whether an applied migration recorded with `checksum` is this file.

        Releases before December 2026 recorded the sha256 of the whole file, comments included;
        those records stay valid for the file as it was, and for 0001, 0004 and 0005 as they were
        before their comments were reworded (no statement changed)."""
        whole = hashlib.sha256(self.sql.encode()).hexdigest()
        return checksum in (self.checksum, whole, *_WHOLE_FILE_BEFORE_REWORDING.get(self.version, ()))

    @property
    def refolds(self) -> list[str]:
        """The entities whose state the file asks to re-fold once its statements ran."""
        return [m.group(1) for m in _REFOLD.finditer(self.sql)]

    @property
    def refreshes(self) -> list[str]:
        """The entities whose facts the file asks to recompute once its state is refolded."""
        return [m.group(1) for m in _REFRESH.finditer(self.sql)]

    @property
    def fills(self) -> list[str]:
        """Tables named by `-- then: fill <table> from its view` lines."""
        return [m.group(1) for m in _FILL.finditer(self.sql)]

    def statements(self, database: str) -> list[str]:
        text = string.Template(self.sql).substitute(database=database)
        lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
        return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def available() -> list[Migration]:
    out = []
    for entry in resources.files("hotline.storage").joinpath("migrations").iterdir():
        m = _FILE.match(entry.name)
        if m:
            out.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version: {versions}")
    return out


def pending(applied: dict[int, str], migrations: list[Migration]) -> list[Migration]:
    """The migrations still to run; refuses an applied migration whose file has changed."""
    for m in migrations:
        if m.version in applied and not m.recorded_as(applied[m.version]):
            raise MigrationError(
                f"migration {m.version:04d}_{m.name} was edited after it was applied; "
                "add a new migration instead of changing an applied one"
            )
    return [m for m in migrations if m.version not in applied]


def _bookkeeping(database: str) -> list[str]:
    return [
        f"CREATE DATABASE IF NOT EXISTS {database}",
        f"CREATE TABLE IF NOT EXISTS {database}.schema_migrations "
        "(version UInt32, name String, checksum String, applied_at DateTime) "
        "ENGINE = ReplacingMergeTree() ORDER BY version",
    ]


def migrate(db: Executor, database: str) -> list[Migration]:
    """Bring `database` up to the newest migration; returns what was applied (empty: no-op)."""
    for stmt in _bookkeeping(database):
        db.execute(stmt)
    todo = pending(_applied(db, database), available())
    for m in todo:
        for stmt in m.statements(database):
            _run(db, m, stmt)
        _then(db, database, m)
        _record(db, database, m)
    return todo


def migrate_cluster(nodes: list[tuple[int, Executor]], layout: Layout) -> list[Migration]:
    """The same migrations on a cluster (hotline.storage.cluster_schema): each statement in its
    local form on every node, then in its Distributed form on every node; a refold or fill once
    per shard, on its first node (replication copies it); the record once, in the local
    bookkeeping table every node holds. `nodes` is every node with its shard number, in shard
    order. Every node must answer: a schema change that reaches some replicas only would leave
    the others refusing the parts they fetch."""
    first = nodes[0][1]
    for stmt in _bookkeeping(layout.local):
        for _, db in nodes:
            db.execute(local_form(stmt, 0))
    for stmt in _bookkeeping(layout.database):
        for _, db in nodes:
            db.execute(cluster_form(stmt, layout))
    todo = pending(_applied(first, layout.local), available())
    heads: dict[int, Executor] = {}
    for shard, db in nodes:
        heads.setdefault(shard, db)
    shard_heads = [heads[k] for k in sorted(heads)]
    for m in todo:
        for local, shared in zip(m.statements(layout.local), m.statements(layout.database), strict=True):
            for db in shard_heads if once_per_shard(local) else (db for _, db in nodes):
                _run(db, m, local_form(local, m.version))
            form = cluster_form(shared, layout)
            for _, db in nodes if form else ():
                _run(db, m, form)
        for db in shard_heads:
            _then(db, layout.local, m)
        _record(first, layout.local, m)
    return todo


def _applied(db: Executor, database: str) -> dict[int, str]:
    return {int(v): str(c) for v, c in db.execute(f"SELECT version, checksum FROM {database}.schema_migrations")}


def _run(db: Executor, m: Migration, stmt: str) -> None:
    try:
        db.execute(stmt)
    except Exception as exc:  # the driver's own error types differ per engine
        raise MigrationError(f"migration {m.version:04d}_{m.name} failed: {exc}") from exc


def _then(db: Executor, database: str, m: Migration) -> None:
    """The file's `-- then:` directives: refolds, then facts refreshes, then fills."""
    from hotline.settings import CitySettings
    from hotline.storage.facts import fill_from_view, rebuild, refold_state  # facts imports nothing from here

    for entity in m.refolds:
        refold_state(db, database, entity)  # type: ignore[arg-type] - the client takes params too
    for entity in m.refreshes:
        rebuild(db, database, CitySettings().timezone, entity)  # type: ignore[arg-type]
    for table in m.fills:
        fill_from_view(db, database, table)  # type: ignore[arg-type] - the client takes params too


def _record(db: Executor, database: str, m: Migration) -> None:
    # INSERT … SELECT, not an inline INSERT … VALUES (which hangs clickhouse-driver); the
    # values are our own integers, file names and hex digests, never user input.
    db.execute(
        f"INSERT INTO {database}.schema_migrations (version, name, checksum, applied_at) "
        f"SELECT {m.version}, '{m.name}', '{m.checksum}', now()"
    )
