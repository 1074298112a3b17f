"""Compaction of the facts tables, so reports of quiet periods can skip FINAL.

`compact` merges a facts table into one version per entity and records, per day, the change
count it saw before merging (0006_facts_compacted.sql). `clean` tells whether a period's days are
unchanged since: then a plain read of them is exact. Blocking; safe to run from several
processes at once (a compaction that cannot merge now records nothing).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, Protocol

from hotline.storage.facts import Entity


class Executor(Protocol):
    def execute(self, query: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any: ...


def pending(db: Executor, database: str) -> bool:
    """Whether any day changed since the last compaction (nothing to gain otherwise)."""
    row = db.execute(
        f"SELECT (SELECT sum(changes) FROM {database}.facts_changes), "
        f"(SELECT sum(changes) FROM {database}.facts_compacted FINAL)")[0]
    return (row[0] or 0) != (row[1] or 0)


def compact(db: Executor, database: str, entity: Entity) -> int:
    """Merge `<entity>_facts` to one version per entity; returns the days recorded clean.

    The counts are read before the merge starts: a refresh that lands meanwhile has moved its
    days' counts past them, so those days are not taken for clean."""
    sums = db.execute(
        f"SELECT day, sum(changes) FROM {database}.facts_changes WHERE entity = %(e)s GROUP BY day",
        {"e": entity})
    # optimize_throw_if_noop: a merge that cannot be assigned now (parts busy) is an error here,
    # not a silent no-op that would leave superseded versions behind a clean record.
    db.execute(f"OPTIMIZE TABLE {database}.{entity}_facts FINAL", settings={"optimize_throw_if_noop": 1})
    # A row for day 0 (never in a report) records that a compaction happened at all: facts written
    # before facts_changes existed carry no marks, and only a whole-table merge vouches for them.
    snapshot = time.time_ns()
    rows = [(entity, dt.date(1970, 1, 1), 0, snapshot)] + [(entity, day, changes, snapshot) for day, changes in sums]
    db.execute(f"INSERT INTO {database}.facts_compacted (entity, day, changes, snapshot) VALUES", rows)
    return len(sums)


def clean_sql(database: str) -> str:
    """1 when both facts tables were compacted at least once and no refresh touched the days
    between %(lo)s and %(hi)s since (every day's count only grows, so equal sums mean equal days)."""
    return (
        f"SELECT (SELECT uniqExact(entity) FROM {database}.facts_compacted) = 2 "
        f"AND (SELECT sum(changes) FROM {database}.facts_changes WHERE day >= %(lo)s AND day <= %(hi)s) "
        f"= (SELECT sum(changes) FROM {database}.facts_compacted FINAL WHERE day >= %(lo)s AND day <= %(hi)s)"
    )


def month_counts(db: Executor, database: str, lo: dt.date,
                 hi: dt.date) -> tuple[dict[dt.date, int], dict[dt.date, int], bool]:
    """For the days lo..hi, per month (its first day): the change counts so far, and those the
    last compaction saw; and whether both tables have been compacted at least once. A month is
    clean as clean_sql judges a period: compacted once, and both counts equal (a month without
    any count then too). Read in one statement; a refresh landing meanwhile leaves its month's
    counts unequal, never equal too early."""
    rows = db.execute(
        f"SELECT 0, toStartOfMonth(day) AS m, sum(changes) FROM {database}.facts_changes "
        f"WHERE day >= %(lo)s AND day <= %(hi)s GROUP BY m "
        f"UNION ALL SELECT 1, toStartOfMonth(day) AS m, sum(changes) FROM {database}.facts_compacted FINAL "
        f"WHERE day >= %(lo)s AND day <= %(hi)s GROUP BY m "
        f"UNION ALL SELECT 2, toDate(0), uniqExact(entity) FROM {database}.facts_compacted",
        {"lo": lo, "hi": hi})
    changes = {m: int(n) for k, m, n in rows if k == 0}
    compacted = {m: int(n) for k, m, n in rows if k == 1}
    return changes, compacted, any(k == 2 and n == 2 for k, _, n in rows)
