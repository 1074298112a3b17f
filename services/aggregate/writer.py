"""The ClickHouse side of a batch: insert the event rows; refresh the facts they touch.

Blocking (run it in a thread). Idempotent: rows that were already inserted fold to the same
state (the views are lattice joins) and refreshing facts twice gives the same facts, so a batch
retried after a failure or re-consumed after a crash is harmless. Any failure to reach or use
ClickHouse is StorageUnavailable (hotline.errors); the caller retries and does not commit offsets
meanwhile.
"""

from __future__ import annotations

import socket
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from clickhouse_driver.errors import Error as DriverError

from hotline.errors import StorageUnavailable  # also this module's public name (batches.py)
from hotline.settings import ClickHouseSettings
from hotline.storage import facts
from hotline.storage.client import connect
from hotline.storage.event_rows import insert_sql
from services.aggregate.prepare import Prepared

# insert_deduplication_token exists from ClickHouse 22.2; 18.16 relies on the fold alone.
_TOKEN_SINCE = (22, 2)


class ClickHouseWriter:
    def __init__(self, settings: ClickHouseSettings, timezone: str):
        self.settings = settings
        self.timezone = timezone
        self.client = connect(settings)
        self._token_ok: bool | None = None

    def write(self, batch: Prepared, dedup_token: str | None = None) -> None:
        """Insert the rows, then refresh the facts they touch."""
        self.insert(batch, dedup_token)
        self.refresh(batch.calls, batch.tickets)

    def insert(self, batch: Prepared, dedup_token: str | None = None) -> None:
        """The event rows (the views fold them into per-entity state as they land)."""
        with self._storage():
            if batch.rows:
                opts = {"insert_deduplication_token": dedup_token} if dedup_token and self._tokens() else None
                self.client.execute(insert_sql(self.settings.database), batch.rows, settings=opts)

    def refresh(self, calls: Collection[str], tickets: Collection[str]) -> None:
        """The facts of these entities, from their state (a scan of the state tables each)."""
        with self._storage():
            db, tz = self.settings.database, self.timezone
            facts.refresh(self.client, db, tz, "call", sorted(calls))
            facts.refresh(self.client, db, tz, "ticket", sorted(tickets))

    @contextmanager
    def _storage(self) -> Iterator[None]:
        try:
            yield
        except (DriverError, OSError, EOFError, socket.timeout) as exc:
            self.client.disconnect()
            raise StorageUnavailable(f"ClickHouse at {self.settings.host}:{self.settings.port}: {exc}") from exc

    def _tokens(self) -> bool:
        if self._token_ok is None:
            version = self.client.execute("SELECT version()")[0][0]
            self._token_ok = tuple(int(p) for p in version.split(".")[:2]) >= _TOKEN_SINCE
        return self._token_ok

    def close(self) -> None:
        self.client.disconnect()
