"""Background pruning of ticket_open (hotline/storage/open_tickets.py), the table the live count of
open dispatched tickets reads, so that the count costs what is open now, not the history.

Every `every_s` seconds, on the one server or on each shard of a cluster, the minutes of versions
older than the last few are dropped after the tickets still open are written again. Several API
instances may prune at once: harmless. Failures are logged and retried next round; until then
the table only grows, and the count stays right.
"""

from __future__ import annotations

from hotline.settings import ClickHouseSettings
from hotline.storage import open_tickets
from hotline.storage.shards import each_target
from services.api.periodic import Chore


def prune_once(settings: ClickHouseSettings) -> int:
    """One round (blocking); the partitions dropped on all shards."""
    with each_target(settings) as places:
        return sum(open_tickets.prune(client, database) for client, database in places)


class OpenTicketsPruner(Chore):
    name, what = "open-tickets-pruner", "ticket_open pruning"  # failed rounds: the count stays right

    def work(self, settings: ClickHouseSettings) -> bool:
        prune_once(settings)
        return False  # it drops minutes every round: not worth a log line each time
