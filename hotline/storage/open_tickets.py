"""Pruning of `ticket_open`, the open dispatched tickets' table (migration 0014_ticket_open.sql).

The table's view copies every facts version of a dispatched ticket, in partitions of the minute
it was written. `prune` keeps what the live count needs: it writes the newest version of every
ticket that is still open into the current minute again, then drops the minutes older than
`KEEP_SLOTS` before it. Blocking; safe to run from several processes at once (a row copied twice
is one more version equal to another; dropping a partition already gone does nothing).

Why it is exact. A reader takes, per ticket, the row with the most events. After a prune, a
ticket keeps its newest version whenever that matters:

- newest version in a kept minute: nothing of it is dropped;
- newest version in a dropped minute and open: copied first;
- newest version in a dropped minute, closed, and an older version left in a kept minute (a
  stale refresh written late): copied too, or the older version would speak for the ticket;
- otherwise the ticket is closed and leaves the table: not counted, as before.

Rows written after the copy read the table land in a recent minute, never in a dropped one: the
view stamps each block with `now()`, and every minute dropped ended at least `KEEP_SLOTS` minutes
ago. ClickHouse 18.16 evaluates the view's `now()` for each block it writes; a current release
evaluates it once per statement, so a statement writing facts for longer than that (a whole
rebuild, a calendar recompute of years) could still be writing into a minute being dropped. While
one runs on the server, `prune` drops nothing (`long_writes`); on a cluster it sees the statements
of the node it prunes through, where `hotline rebuild` runs (hotline/storage/shards.py `targets`).
"""

from __future__ import annotations

from typing import Any, Protocol

SLOT_S = 60  # the partition of migration 0014: intDiv(toUInt32(written), 60)
KEEP_SLOTS = 2  # minutes kept before the current one
LONG_WRITE_S = KEEP_SLOTS * SLOT_S  # a statement younger than this started after every minute dropped


class Executor(Protocol):
    def execute(self, query: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any: ...


def _slot(column: str) -> str:
    return f"intDiv(toUInt32({column}), {SLOT_S})"


def stale_partitions(db: Executor, database: str) -> tuple[int, list[int]]:
    """(the first minute kept, the minutes before it that hold rows), by the server's clock."""
    cutoff = int(db.execute(f"SELECT {_slot('now()')} - {KEEP_SLOTS}")[0][0])
    rows = db.execute(
        "SELECT DISTINCT toUInt64(partition) FROM system.parts "
        "WHERE database = %(db)s AND table = 'ticket_open' AND active AND toUInt64(partition) < %(cutoff)s",
        {"db": database, "cutoff": cutoff})
    return cutoff, sorted(int(r[0]) for r in rows)


def copy_sql(database: str) -> str:
    """Write again, in the current minute, the newest version of each ticket whose newest version
    sits before %(cutoff)s and is open or would be outvoted by an older version kept."""
    slot = _slot("written")
    return (
        f"INSERT INTO {database}.ticket_open (ticket_id, events, open, deadline_ms, written) "
        f"SELECT ticket_id, max(events), argMax(open, events), argMax(deadline_ms, events), now() "
        f"FROM {database}.ticket_open GROUP BY ticket_id "
        f"HAVING argMax({slot}, events) < %(cutoff)s "
        f"AND (argMax(open, events) = 1 OR max({slot}) >= %(cutoff)s)"
    )


def long_writes(db: Executor, database: str, older_than_s: float = LONG_WRITE_S) -> int:
    """Statements writing ticket facts (or ticket_open itself) that have run for `older_than_s`."""
    return int(db.execute(
        "SELECT count() FROM system.processes WHERE elapsed >= %(s)s "
        "AND (query LIKE %(facts)s OR query LIKE %(open)s)",
        {"s": older_than_s, "facts": f"INSERT INTO {database}.ticket_facts%", "open": f"INSERT INTO {database}.ticket_open%"},
    )[0][0])


def prune(db: Executor, database: str, *, long_write_s: float = LONG_WRITE_S) -> int:
    """Copy what must stay, then drop the minutes before the last KEEP_SLOTS; returns how many
    partitions were dropped (none while a long statement writes facts: the next round will)."""
    cutoff, stale = stale_partitions(db, database)
    if not stale or long_writes(db, database, long_write_s):
        return 0
    db.execute(copy_sql(database), {"cutoff": cutoff})
    for slot in stale:
        # A partition value cannot be a query parameter; it is an integer read from system.parts.
        db.execute(f"ALTER TABLE {database}.ticket_open DROP PARTITION {int(slot)}")
    return len(stale)
