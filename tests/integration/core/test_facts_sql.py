"""The ClickHouse views (call_state, ticket_state -> facts) equal the reference fold, for random
entities delivered in any order, with duplicates, across several insert blocks; on ClickHouse
18.16 (the local stack) and on a current engine (chdb)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zoneinfo import ZoneInfo

from hotline.contract import validate_event
from hotline.events import to_record
from hotline.storage import facts, work_calendar
from hotline.storage.event_rows import EVENT_COLUMNS, insert_sql, to_row
from hotline.storage.migrate import migrate
from tests.support import reference_fold
from tests.support.eventgen import call_events, delivery, entity_events, ticket_events
from tests.support.facts_rows import CALL_COLUMNS, TICKET_COLUMNS
from tests.support.hypo import through_servers

CAL = ZoneInfo("Asia/Shanghai")
TZ = "Asia/Shanghai"
NOW_S = int(dt.datetime(2023, 3, 1, tzinfo=dt.timezone.utc).timestamp())  # ingested_at


@st.composite
def population(draw, n: int):
    calls = [draw(entity_events(f"c{i}", call_events)) for i in range(n)]
    tickets = [draw(entity_events(f"t{i}", ticket_events, max_events=10)) for i in range(n)]
    wire = draw(delivery([e for es in calls + tickets for e in es]))
    cuts = sorted(draw(st.lists(st.integers(0, len(wire)), max_size=4)))
    return calls, tickets, wire, cuts


def expected(calls, tickets):
    """The reference fold over records built on the test side (not the rows loaded below)."""
    return reference_fold.call_rows(calls), reference_fold.ticket_rows(tickets)


def load(db, database, wire, cuts, calls, tickets):
    """The events as the aggregate worker writes them: validated, enriched, mapped to rows."""
    rows = [to_row(to_record(validate_event(e), CAL), "t", 0, i, NOW_S) for i, e in enumerate(wire)]
    for block in (rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)])):
        if block:
            db.insert(insert_sql(database), block)
    facts.refresh(db, database, TZ, "call", [es[0]["subject"] for es in calls])
    facts.refresh(db, database, TZ, "ticket", [es[0]["subject"] for es in tickets])
    # A second refresh (as after a crash or by a second worker) changes nothing.
    facts.refresh(db, database, TZ, "ticket", [es[0]["subject"] for es in tickets])


class Driver:
    def __init__(self, client):
        self.client = client

    def execute(self, q, params=None, *, external_tables=None):
        return self.client.execute(q, params, external_tables=external_tables)

    def insert(self, q, rows):
        self.client.execute(q, rows)


@pytest.fixture(scope="module")
def clickhouse_client(local_stack):
    from hotline.storage.client import connect

    client = connect(local_stack.clickhouse, database=False)
    yield client
    client.disconnect()


@pytest.mark.clickhouse
@through_servers(3)
@given(population(80))
def test_views_equal_reference_fold_on_clickhouse_18(clickhouse_client, pop):
    calls, tickets, wire, cuts = pop
    database = f"facts_{uuid.uuid4().hex[:12]}"
    client = clickhouse_client
    try:
        migrate(client, database)
        db = Driver(client)
        work_calendar.sync(db, database, TZ)  # the library's calendar, as `hotline up` puts in force
        load(db, database, wire, cuts, calls, tickets)
        got_calls = sorted(client.execute(f"SELECT {CALL_COLUMNS} FROM {database}.call_facts FINAL"))
        got_tickets = sorted(client.execute(f"SELECT {TICKET_COLUMNS} FROM {database}.ticket_facts FINAL"))
    finally:
        client.execute(f"DROP DATABASE IF EXISTS {database}")
    want_calls, want_tickets = expected(calls, tickets)
    assert got_calls == want_calls
    assert got_tickets == want_tickets


@through_servers(2)
@given(population(60))
def test_views_equal_reference_fold_on_current_engine(chdb_engine, pop):
    calls, tickets, wire, cuts = pop
    database = f"facts_{uuid.uuid4().hex[:12]}"
    try:
        migrate(chdb_engine, database)
        work_calendar.sync(chdb_engine, database, TZ)
        load(chdb_engine, database, wire, cuts, calls, tickets)
        want_calls, want_tickets = expected(calls, tickets)
        assert _select(chdb_engine, database, CALL_COLUMNS, "call_facts", "call_id", want_calls) == want_calls
        assert _select(chdb_engine, database, TICKET_COLUMNS, "ticket_facts", "ticket_id", want_tickets) == want_tickets
    finally:
        chdb_engine.execute(f"DROP DATABASE IF EXISTS {database}")


def _select(engine, database, columns, table, key, like):
    out = json.loads(engine.text(f"SELECT {columns} FROM {database}.{table} FINAL ORDER BY {key}", fmt="JSONCompact"))
    assert len(out["data"]) == len(like)
    return [tuple(_cast(v, w) for v, w in zip(row, want)) for row, want in zip(out["data"], like)]


def _cast(value, like):
    """JSONCompact gives 64-bit integers as strings and dates as text: read them as the reference."""
    if isinstance(like, dt.date):
        return dt.date.fromisoformat(value)
    if isinstance(like, int) and not isinstance(like, bool):
        return int(value)
    return value
