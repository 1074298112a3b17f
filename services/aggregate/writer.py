"""The ClickHouse side of a batch: insert the event rows; refresh the facts they touch.

Blocking (run it in a thread). Idempotent: rows that were already inserted fold to the same
state (the views are lattice joins) and refreshing facts twice gives the same facts, so a batch
retried after a failure or re-consumed after a crash is harmless. Any failure to reach or use
ClickHouse is StorageUnavailable (hotline.errors); the caller retries and does not commit offsets
meanwhile.

On a cluster (hotline.storage.placement) the rows and ids are split by shard; each shard's part is
written to its current replica, and a replica that stops answering hands the shard to the next
one. After such a change, once the shard has settled, the facts it may have refreshed short of
events are recomputed (`repair`, which the worker runs every few seconds).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from clickhouse_driver import Client
from clickhouse_driver.errors import Error as DriverError
from clickhouse_driver.errors import ErrorCodes, NetworkError, ServerException, SocketTimeoutError

from hotline.errors import StorageUnavailable  # also this module's public name (batches.py)
from hotline.settings import ClickHouseSettings
from hotline.storage import facts
from hotline.storage.event_rows import EVENT_COLUMNS, insert_sql
from hotline.storage.placement import Placement
from hotline.storage.shards import Replica, shard_of
from services.aggregate.prepare import Prepared

log = logging.getLogger("hotline.aggregate")

# insert_deduplication_token exists from ClickHouse 22.2; 18.16 relies on the fold alone.
_TOKEN_SINCE = (22, 2)
_SUBJECT = EVENT_COLUMNS.index("subject")
# A replica that lost its ZooKeeper session takes no writes until it has one again.
_READ_ONLY = getattr(ErrorCodes, "TABLE_IS_READ_ONLY", 242)
_REPAIR_CHUNK = 20_000  # ids per refresh statement, as a worker's own batches
T = TypeVar("T")


class ClickHouseWriter:
    def __init__(self, settings: ClickHouseSettings, timezone: str, placement: Placement | None = None):
        self.settings = settings
        self.timezone = timezone
        self.placement = placement or Placement(settings)
        self._clients: dict[Replica, Client] = {}
        self._token_ok: bool | None = None

    def write(self, batch: Prepared, dedup_token: str | None = None) -> None:
        """Insert the rows, then refresh the facts they touch."""
        self.insert(batch, dedup_token)
        self.refresh(batch.calls, batch.tickets)

    def insert(self, batch: Prepared, dedup_token: str | None = None) -> None:
        """The event rows (the views fold them into per-entity state as they land)."""
        if not batch.rows:
            return
        sql = insert_sql(self.placement.database)
        for shard, rows in self._split(batch.rows, lambda row: row[_SUBJECT]):
            with self._storage(shard) as client:
                opts = {"insert_deduplication_token": dedup_token} if dedup_token and self._tokens(client) else None
                # As columns: the driver would otherwise gather each column from the rows in a
                # Python loop; zip does it in C. Lists, because the driver converts in place.
                client.execute(sql, [list(c) for c in zip(*rows)], settings=opts, columnar=True)

    def refresh(self, calls: Collection[str], tickets: Collection[str]) -> None:
        """The facts of these entities, from their state (a scan of the state tables each)."""
        db, tz = self.placement.database, self.timezone
        for entity, ids in (("call", calls), ("ticket", tickets)):
            for shard, part in self._split(sorted(ids), lambda i: i):
                with self._storage(shard) as client:
                    facts.refresh(client, db, tz, entity, part)  # type: ignore[arg-type]

    def repair(self) -> int:
        """Recompute the stale facts of every suspect shard that has settled; returns how many.
        Run it where `refresh` runs (the same connections), from time to time."""
        done = 0
        for shard, mark in sorted(self.placement.suspects().items()):
            fixed = 0
            with self._storage(shard) as client:
                if not self.placement.settled(client):
                    continue
                db = self.placement.database
                for entity in ("call", "ticket"):
                    ids = facts.stale(client, db, entity)  # type: ignore[arg-type]
                    for i in range(0, len(ids), _REPAIR_CHUNK):
                        facts.refresh(client, db, self.timezone, entity, ids[i:i + _REPAIR_CHUNK])  # type: ignore[arg-type]
                    fixed += len(ids)
            self.placement.clear(shard, mark)
            (log.warning if fixed else log.info)(
                "shard %d checked after a change of replica: %d facts recomputed", shard + 1, fixed)
            done += fixed
        return done

    def _split(self, items: Sequence[T], key: Callable[[T], str]) -> list[tuple[int, list[T]]]:
        if not self.placement.clustered:
            return [(0, list(items))] if items else []
        with self._storage(None):
            count = len(self.placement.shards())
        parts: list[list[T]] = [[] for _ in range(count)]
        for item in items:  # once per event row: the hash itself, no lookups
            parts[shard_of(key(item), count)].append(item)
        return [(s, p) for s, p in enumerate(parts) if p]

    @contextmanager
    def _storage(self, shard: int | None) -> Iterator[Client]:
        replica = self.placement.current(shard) if shard is not None else None
        client = self._client(replica) if replica is not None else None
        try:
            yield client  # type: ignore[misc] - None only for the topology read
        except (DriverError, OSError, EOFError, socket.timeout) as exc:
            if client is not None:
                client.disconnect()
            if replica is not None and shard is not None and _replica_lost(exc):
                self.placement.failed(shard, replica)
            where = f"{replica.host}:{replica.port}" if replica else f"{self.settings.host}:{self.settings.port}"
            raise StorageUnavailable(f"ClickHouse at {where}: {exc}") from exc

    def _client(self, replica: Replica) -> Client:
        client = self._clients.get(replica)
        if client is None:
            client = self._clients[replica] = self.placement.connect(replica)
        return client

    def _tokens(self, client: Client) -> bool:
        if self._token_ok is None:
            version = client.execute("SELECT version()")[0][0]
            self._token_ok = tuple(int(p) for p in version.split(".")[:2]) >= _TOKEN_SINCE
        return self._token_ok

    def close(self) -> None:
        for client in self._clients.values():
            client.disconnect()


def _replica_lost(exc: BaseException) -> bool:
    """A failure that says the replica is gone (or cannot take writes), not one of the query."""
    if isinstance(exc, ServerException):
        return exc.code == _READ_ONLY
    return isinstance(exc, (NetworkError, SocketTimeoutError, OSError, EOFError, socket.timeout))
