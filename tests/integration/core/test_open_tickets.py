"""ticket_open (migration 0014) on the real ClickHouse 18.16: the view copies the dispatched
tickets' facts versions, the live count reads the newest one per ticket, and a prune drops the
old minutes without changing the count (hotline/storage/open_tickets.py).

Facts versions are inserted straight into ticket_facts (the view fires on any insert, a refresh's
or a rebuild's); rows "written minutes ago" are inserted into ticket_open with an old `written`,
as the view would have written them then."""

from __future__ import annotations

import threading
import time

import pytest

from hotline.storage import open_tickets
from services.api.facts_reader import _sql

NOW_MS = 1_700_000_000_000
PAST, FUTURE = NOW_MS - 3_600_000, NOW_MS + 86_400_000


def facts(db, database: str, *versions: tuple[str, int, str, int, int]) -> None:
    """(ticket, events, handling, deadline_ms, completed) facts versions, one insert each;
    `dispatched` is 1 when the version names a department (handling 'department' or a completed
    department ticket), as the refresh writes it."""
    for ticket, events, handling, deadline, completed in versions:
        department = "" if handling.startswith("online") else "市住建局"
        db.execute(
            f"INSERT INTO {database}.ticket_facts (ticket_id, events, handling, department, deadline_ms, "
            "dispatched, completed) VALUES",
            [(ticket, events, handling, department, deadline, int(department != ""), completed)])


def written_before(db, database: str, minutes: int, *rows: tuple[str, int, int, int]) -> None:
    """(ticket, events, open, deadline_ms) rows of ticket_open written `minutes` ago."""
    for ticket, events, is_open, deadline in rows:
        db.execute(
            f"INSERT INTO {database}.ticket_open (ticket_id, events, open, deadline_ms, written) "
            f"SELECT %(t)s, toUInt64(%(e)s), toUInt8(%(o)s), toInt64(%(d)s), now() - {60 * minutes}",
            {"t": ticket, "e": events, "o": is_open, "d": deadline})


def live_open(db, database: str) -> dict[str, int]:
    data, cols = db.execute(_sql("live_open", database), {"now_ms": NOW_MS}, with_column_types=True)
    return dict(zip((c[0] for c in cols), data[0]))


def tickets(db, database: str) -> set[str]:
    return {r[0] for r in db.execute(f"SELECT DISTINCT ticket_id FROM {database}.ticket_open")}


def old_rows(db, database: str) -> int:
    """Rows of ticket_open written five minutes ago or earlier."""
    return db.execute(f"SELECT count() FROM {database}.ticket_open WHERE written < now() - 300")[0][0]


def partitions(db, database: str) -> int:
    return db.execute(
        "SELECT uniqExact(partition) FROM system.parts WHERE database = %(d)s AND table = 'ticket_open' AND active",
        {"d": database})[0][0]


@pytest.mark.clickhouse
def test_the_view_and_the_count_follow_the_newest_version(clickhouse, database):
    db = clickhouse
    facts(db, database,
          ("A", 2, "department", PAST, 0),                                    # open, overdue
          ("B", 2, "department", PAST, 0), ("B", 4, "department", PAST, 1),   # completed
          ("C", 2, "department", PAST, 0), ("C", 3, "department", PAST, 1),
          ("C", 5, "department", FUTURE, 0),                                  # re-dispatched: open
          ("D", 2, "online_agent", 0, 1),                                     # answered online
          ("E", 5, "department", PAST, 1), ("E", 3, "department", PAST, 0))   # a stale version last
    assert tickets(db, database) == {"A", "B", "C", "E"}  # D was never dispatched
    assert live_open(db, database) == {"open_dispatched": 2, "overdue": 1}  # A and C; A overdue


@pytest.mark.clickhouse
def test_a_prune_drops_the_old_minutes_and_keeps_the_count(clickhouse, database):
    db = clickhouse
    written_before(db, database, 10,
                   ("F", 2, 1, PAST),      # open, only in an old minute: must be written again
                   ("G", 6, 0, PAST),      # closed in an old minute ...
                   ("H", 4, 0, PAST),      # closed, old: leaves the table
                   ("I", 2, 1, FUTURE))    # open in an old minute ...
    written_before(db, database, 9, ("J", 3, 1, FUTURE))  # open, two old minutes hold it
    written_before(db, database, 8, ("J", 3, 1, FUTURE))
    facts(db, database,
          ("G", 4, "department", PAST, 0),   # ... and an older version written now (stale): G stays closed
          ("I", 3, "department", PAST, 1),   # ... and closed now
          ("K", 2, "department", FUTURE, 0))  # open, written now
    before = live_open(db, database)
    assert before == {"open_dispatched": 3, "overdue": 1}  # F, J, K; F overdue
    assert partitions(db, database) >= 4  # minutes -10, -9, -8 and now

    assert open_tickets.prune(db, database) == 3
    assert live_open(db, database) == before
    assert partitions(db, database) <= 2  # now (and the minute before, had it turned meanwhile)
    assert tickets(db, database) == {"F", "G", "I", "J", "K"}  # H is gone
    newest_g = db.execute(f"SELECT max(events), argMax(open, events) FROM {database}.ticket_open WHERE ticket_id = 'G'")
    assert newest_g == [(6, 0)]

    assert open_tickets.prune(db, database) == 0  # nothing old left: nothing to do
    assert live_open(db, database) == before


@pytest.mark.clickhouse
def test_no_minute_is_dropped_while_a_long_statement_writes_facts(clickhouse, database, local_stack):
    """A current ClickHouse stamps a whole statement's rows with its start: while one that has run
    for long writes facts, a prune waits for the next round. Here "long" is 1 s, the statement
    about 4 s (a sleep in each of its blocks)."""
    from hotline.storage.client import connect

    db = clickhouse
    written_before(db, database, 10, ("F", 2, 1, PAST))
    other = connect(local_stack.clickhouse)
    slow = threading.Thread(target=other.execute, args=(
        f"INSERT INTO {database}.ticket_facts (ticket_id, events, handling, department, dispatched) "
        "SELECT concat('slow-', toString(number)), toUInt64(1), 'department', 'x', toUInt8(1) "
        "FROM system.numbers WHERE sleep(0.5) = 0 LIMIT 8",), kwargs={"settings": {"max_block_size": 1}})
    slow.start()
    try:
        deadline = time.monotonic() + 10
        while not open_tickets.long_writes(db, database, 1.0) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert open_tickets.long_writes(db, database, 1.0) == 1
        assert open_tickets.prune(db, database, long_write_s=1.0) == 0
        assert old_rows(db, database) == 1  # F's minute is still there
    finally:
        slow.join()
        other.disconnect()
    assert open_tickets.long_writes(db, database, 1.0) == 0
    assert open_tickets.prune(db, database, long_write_s=1.0) == 1
    assert old_rows(db, database) == 0
    assert live_open(db, database) == {"open_dispatched": 9, "overdue": 1}  # F and the 8 slow ones
