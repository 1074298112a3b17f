"""Background pruning of ticket_open (hotline/storage/open_tickets.py), the table the live count of
open dispatched tickets reads, so that the count costs what is open now, not the history.

Every `every_s` seconds, on the one server or on each shard of a cluster, the minutes of versions
older than the last few are dropped after the tickets still open are written again. Several API
instances may prune at once: harmless. Failures are logged and retried next round; until then
the table only grows, and the count stays right.
"""

from __future__ import annotations

import asyncio
import logging

from hotline.settings import ClickHouseSettings
from hotline.storage import open_tickets
from hotline.storage.shards import targets
from services.api.periodic import Periodic

log = logging.getLogger("hotline.api")


def prune_once(settings: ClickHouseSettings) -> int:
    """One round (blocking); the partitions dropped on all shards."""
    places = targets(settings)
    try:
        return sum(open_tickets.prune(client, database) for client, database in places)
    finally:
        for client, _ in places:
            client.disconnect()


class OpenTicketsPruner(Periodic):
    name = "open-tickets-pruner"

    def __init__(self, settings: ClickHouseSettings, every_s: float):
        super().__init__(every_s, first_delay_s=every_s)
        self.settings = settings

    async def round(self) -> None:
        try:
            await asyncio.to_thread(prune_once, self.settings)
        except Exception as exc:  # noqa: BLE001 - a failed round is retried; the count stays right
            log.warning("ticket_open pruning failed, retrying in %.0f s: %s", self.every_s, type(exc).__name__)
