"""Where the aggregate writes: the one server, or on a cluster the shard of each call and ticket.

On a cluster a worker writes each entity's events to its shard's local tables and refreshes its
facts there, from the state the shard folded (hotline.storage.cluster_schema), so a refresh never
reads another shard. Within a shard, every write of this process goes to one replica, the
shard's *current* one, so the facts a refresh computes see the events inserted just before. When
that replica stops answering, the shard moves on to the next (`failed`) and is *suspect*: the
replica now written may lack parts the lost one wrote and had not handed over yet, so facts
refreshed meanwhile can be short of events. Once every replica of the shard is back and no
inserted part is waiting to be fetched (`settled`), the writer recomputes the facts whose event
count differs from their state's (hotline.storage.facts.stale). Every shard is suspect when a
process starts: it cannot know what happened before it.

Shared by the threads of one worker (a lock guards the choice of replica); each thread keeps its
own connections (clickhouse-driver clients are not thread-safe).
"""

from __future__ import annotations

import threading
from typing import Any

from clickhouse_driver import Client

from hotline.settings import ClickHouseSettings
from hotline.storage.client import connect
from hotline.storage.shards import Replica, Shard, shard_of, topology


class Placement:
    def __init__(self, settings: ClickHouseSettings):
        self.settings = settings
        self._lock = threading.Lock()
        self._shards: tuple[Shard, ...] | None = None
        self._current: list[int] = []
        # How many times each shard became suspect (only grows), and the suspect shards: a repair
        # that started before the shard's latest change of replica does not clear it.
        self._marks: dict[int, int] = {}
        self._suspect: set[int] = set()

    @property
    def clustered(self) -> bool:
        return bool(self.settings.cluster)

    @property
    def database(self) -> str:
        """The database the writes go to on the connections of `client`."""
        return self.settings.local_database if self.clustered else self.settings.database

    def shards(self) -> tuple[Shard, ...]:
        """Read once, on first use (blocks on the server the settings name)."""
        if self._shards is None:
            if not self.clustered:
                shards: tuple[Shard, ...] = (Shard(1, (Replica(self.settings.host, self.settings.port),)),)
            else:
                entry = connect(self.settings)
                try:
                    shards = topology(entry, self.settings.cluster)
                finally:
                    entry.disconnect()
            with self._lock:
                if self._shards is None:
                    self._current = [0] * len(shards)
                    self._marks = {i: 1 for i in range(len(shards))}
                    self._suspect = set(range(len(shards))) if self.clustered else set()
                    self._shards = shards
        return self._shards  # type: ignore[return-value] - set just above

    def shard_of(self, entity_id: str) -> int:
        return shard_of(entity_id, len(self.shards()))

    def current(self, shard: int) -> Replica:
        shards = self.shards()
        with self._lock:
            return shards[shard].replicas[self._current[shard]]

    def failed(self, shard: int, replica: Replica) -> None:
        """`replica` did not answer: the shard's writes go to its next replica from now on."""
        shards = self.shards()
        with self._lock:
            replicas = shards[shard].replicas
            if replicas[self._current[shard]] == replica and len(replicas) > 1:
                self._current[shard] = (self._current[shard] + 1) % len(replicas)
                self._marks[shard] += 1
                self._suspect.add(shard)

    def suspects(self) -> dict[int, int]:
        """The suspect shards, each with its mark (pass it back to `clear`)."""
        with self._lock:
            return {shard: self._marks[shard] for shard in self._suspect}

    def clear(self, shard: int, mark: int) -> None:
        """The shard's facts were checked since it became suspect `mark` times."""
        with self._lock:
            if self._marks.get(shard) == mark:
                self._suspect.discard(shard)

    def connect(self, replica: Replica, **client_settings: Any) -> Client:
        if not self.clustered:
            return connect(self.settings, **client_settings)
        return connect(self.settings, host=replica.host, port=replica.port, alt_hosts="",
                       database_name=self.settings.local_database, **client_settings)

    def settled_sql(self) -> str:
        """1 when, seen from a replica, every replica of its tables is active and none of them
        still has an inserted part to fetch."""
        return ("SELECT count() = 0 FROM system.replicas WHERE database = %(db)s "
                "AND (active_replicas < total_replicas OR inserts_in_queue > 0)")

    def settled(self, client: Client) -> bool:
        return bool(client.execute(self.settled_sql(), {"db": self.database})[0][0])
