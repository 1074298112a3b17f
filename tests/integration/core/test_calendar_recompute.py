"""A year the library covers, supplied as data as if it were new (ClickHouse 18.16, real facts SQL).

The database's calendar is cut at 2025 (`library_until`, as an operator who does not trust the
library's newest year would): handling times touching 2026 are pending. Supplying 2026 as a
schedule document (the library's own days, written out) must give exactly the figures of a
calendar where the library covers 2026, both as stated here by hand and as the reference fold
computes them; supplying it again changes nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hotline.calendar import WorkCalendar
from hotline.calendar.schedule import from_library
from hotline.storage import work_calendar
from hotline.storage.client import connect
from tests.support import reference_fold
from tests.support.facts_rows import TICKET_COLUMNS
from tests.support.report_db import fresh_database, write

pytestmark = pytest.mark.clickhouse

DB = "hotline_calendar_test"
TZ = "Asia/Shanghai"
TICKET = {"requester": "citizen", "channel": "web", "kind": "non_consult", "category": "城乡建设"}


def _ticket(tid: str, created: str, done: str, online: bool = False) -> list[dict]:
    def ev(n: int, type_: str, t: str, data: dict | None = None) -> dict:
        return {"specversion": "1.0", "id": f"{tid}-{n}", "source": "/crm/main", "type": f"hotline.ticket.{type_}",
                "time": t, "subject": tid, "data": data or {}}

    if online:
        return [ev(1, "created", created, TICKET), ev(2, "answered", done, {"by": "agent"})]
    return [ev(1, "created", created, TICKET), ev(2, "dispatched", created, {"department": "市城管局"}),
            ev(3, "completed", done)]


# Expected working seconds with the library's 2025 and 2026 (国务院办公厅 notices), by hand:
TICKETS = {
    # Tue 30 Dec 2025 10:00 -> Mon 5 Jan 2026 10:00: 14 h + 31 Dec 24 h + (1-3 Jan off) + Sunday
    # 4 Jan worked 24 h + 10 h = 72 h.
    "rc-A": (_ticket("rc-A", "2025-12-30T10:00:00+08:00", "2026-01-05T10:00:00+08:00"), 3 * 86_400),
    # Fri 13 Feb 2026 09:00 -> Tue 24 Feb 09:00: 15 h + Saturday 14 Feb worked 24 h + (15-23 Feb
    # off) + 9 h = 48 h.
    "rc-B": (_ticket("rc-B", "2026-02-13T09:00:00+08:00", "2026-02-24T09:00:00+08:00"), 2 * 86_400),
    # Tue 3 Jun 2025 09:00 -> Wed 4 Jun 15:00: 15 h + 15 h, all in 2025: never pending.
    "rc-C": (_ticket("rc-C", "2025-06-03T09:00:00+08:00", "2025-06-04T15:00:00+08:00"), 30 * 3600),
    # Fri 9 Oct 2026 17:00 -> Saturday 10 Oct 10:00, an adjusted working day: 7 h + 10 h.
    "rc-D": (_ticket("rc-D", "2026-10-09T17:00:00+08:00", "2026-10-10T10:00:00+08:00"), 17 * 3600),
    # Mon 2 Mar 2026 09:00, answered online at 09:10.
    "rc-E": (_ticket("rc-E", "2026-03-02T09:00:00+08:00", "2026-03-02T09:10:00+08:00", online=True), 600),
}


@pytest.fixture
def database(local_stack):
    settings = fresh_database(DB)
    client = connect(settings)
    yield settings, client
    client.execute(f"DROP DATABASE IF EXISTS {DB}")
    client.disconnect()


def _work(client) -> dict[str, int]:
    return dict(client.execute(f"SELECT ticket_id, handling_work_s FROM {DB}.ticket_facts FINAL"))


def test_a_covered_year_supplied_as_data_gives_the_library_figures(database):
    settings, db = database
    # The calendar cut at 2025: coverage shrinks, nothing to recompute yet.
    cut = work_calendar.sync(db, DB, TZ, library_until=2025)
    assert (cut.combined.covered_until, cut.changed) == (dt.date(2025, 12, 31), True)
    write(settings, [e for events, _ in TICKETS.values() for e in events])
    assert _work(db) == {"rc-A": -1, "rc-B": -1, "rc-C": 30 * 3600, "rc-D": -1, "rc-E": -1}
    assert sorted(work_calendar.pending_ids(db, DB)) == ["rc-A", "rc-B", "rc-D", "rc-E"]

    version = work_calendar.supply(db, DB, TZ, from_library(2026), "test", library_until=2025)
    assert version is not None
    done = work_calendar.sync(db, DB, TZ, library_until=2025)
    assert (done.combined.covered_until, done.changed, done.refreshed) == (dt.date(2026, 12, 31), True, 4)
    assert _work(db) == {tid: work for tid, (_, work) in TICKETS.items()}

    # Column for column, the reference fold with the library's own calendar.
    library = WorkCalendar.from_library(TZ)
    want = reference_fold.ticket_rows([events for events, _ in TICKETS.values()], calendar=library)
    assert sorted(db.execute(f"SELECT {TICKET_COLUMNS} FROM {DB}.ticket_facts FINAL")) == want

    # Idempotent: the same schedule again stores nothing, and a sync changes nothing.
    assert work_calendar.supply(db, DB, TZ, from_library(2026), "test", library_until=2025) is None
    again = work_calendar.sync(db, DB, TZ, library_until=2025)
    assert (again.changed, again.refreshed) == (False, 0)
