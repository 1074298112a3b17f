"""Background compaction of the facts tables (hotline/storage/compaction.py), so that reports of
periods nobody writes to any more are read without FINAL: ~4 times faster on 18.16.

Every `every_s` seconds, when some day changed since the last compaction, both facts tables are
merged to one version per entity. Several API instances may compact at once: harmless (a merge
that cannot be assigned records nothing). Failures are logged and retried next round.
"""

from __future__ import annotations

import asyncio
import logging

from hotline.settings import ClickHouseSettings
from hotline.storage import compaction
from hotline.storage.shards import targets
from services.api.periodic import Periodic

log = logging.getLogger("hotline.api")


def compact_once(settings: ClickHouseSettings) -> bool:
    """One round (blocking); True when it compacted. On a cluster each shard compacts its own
    facts and records its own days (readers sum the shards' records)."""
    done = False
    places = targets(settings)
    try:
        for client, database in places:
            if not compaction.pending(client, database):
                continue
            for entity in ("ticket", "call"):
                compaction.compact(client, database, entity)  # type: ignore[arg-type]
            done = True
        return done
    finally:
        for client, _ in places:
            client.disconnect()


class Compactor(Periodic):
    name = "facts-compactor"

    def __init__(self, settings: ClickHouseSettings, every_s: float):
        # The first round waits a period too: a restarting API should not start with a merge.
        super().__init__(every_s, first_delay_s=every_s)
        self.settings = settings

    async def round(self) -> None:
        try:
            if await asyncio.to_thread(compact_once, self.settings):
                log.info("facts compacted")
        except Exception as exc:  # noqa: BLE001 - a failed round is retried; reports still use FINAL
            log.warning("facts compaction failed, retrying in %.0f s: %s", self.every_s, type(exc).__name__)
