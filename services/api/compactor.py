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
from hotline.storage.client import connect

log = logging.getLogger("hotline.api")


def compact_once(settings: ClickHouseSettings) -> bool:
    """One round (blocking); True when it compacted."""
    client = connect(settings)
    try:
        if not compaction.pending(client, settings.database):
            return False
        for entity in ("ticket", "call"):
            compaction.compact(client, settings.database, entity)  # type: ignore[arg-type]
        return True
    finally:
        client.disconnect()


class Compactor:
    def __init__(self, settings: ClickHouseSettings, every_s: float):
        self.settings, self.every_s = settings, every_s
        self._task: asyncio.Task | None = None

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                if await asyncio.to_thread(compact_once, self.settings):
                    log.info("facts compacted")
            except Exception as exc:  # noqa: BLE001 - a failed round is retried; reports still use FINAL
                log.warning("facts compaction failed, retrying in %.0f s: %s", self.every_s, type(exc).__name__)

    def start(self) -> None:
        if self.every_s > 0:
            self._task = asyncio.create_task(self.run(), name="facts-compactor")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
