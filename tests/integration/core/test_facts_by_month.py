"""The facts partitioned by the month of their day (migration 0016; by year in 0015), on the real
ClickHouse 18.16: a month's or a year's read with FINAL reads those months' parts only, and still
counts each ticket once when its creation day moves to another month or year (a second, earlier
hotline.ticket.created) or when its first facts were written before its creation was folded;
calls alike, by their offer.

Every read here has the shape of the report's (hotline's readers all take `created_ms > 0` and
a range of days): FINAL, or no FINAL once the facts are merged (compaction)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Callable

import pytest

from hotline.storage import facts
from hotline.storage.migrate import Migration, available, migrate

TZ = "Asia/Shanghai"
CST = dt.timezone(dt.timedelta(hours=8))


def local_ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=CST).timestamp() * 1000)


def _days(year: int, month: int | None) -> tuple[dt.date, dt.date]:
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return dt.date(year, month, 1), (dt.date(year, month, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


class Tickets:
    """Ticket events written as the aggregate worker writes them (the columns the fold reads), each
    followed by the refresh of its ticket, as a worker's batch is."""

    def __init__(self, db, database: str):
        self.db, self.database, self.n = db, database, 0

    def event(self, ticket: str, kind: str, at: str, data: str = "{}", refresh: bool = True,
              entity: str = "ticket") -> None:
        self.n += 1
        self.db.execute(
            f"INSERT INTO {self.database}.events (entity, subject, source, id, type, time_ms, data) VALUES",
            [{"entity": entity, "subject": ticket, "source": "test", "id": f"e{self.n}",
              "type": f"hotline.{entity}.{kind}", "time_ms": local_ms(at), "data": data}])
        if refresh:
            facts.refresh(self.db, self.database, TZ, entity, [ticket])  # type: ignore[arg-type]

    def calls(self, year: int) -> dict[str, str]:
        """Calls offered in the year with their status, read as the report's call cube reads."""
        return dict(self.db.execute(
            f"SELECT call_id, status FROM {self.database}.call_facts FINAL "
            "WHERE offered_ms > 0 AND day >= %(lo)s AND day <= %(hi)s",
            {"lo": dt.date(year, 1, 1), "hi": dt.date(year, 12, 31)}))

    def count(self, year: int, final: bool = True, month: int | None = None) -> dict[str, str]:
        """Tickets of the year (or of one of its months) with their category, read as the reports
        read."""
        lo, hi = _days(year, month)
        rows = self.db.execute(
            f"SELECT ticket_id, category FROM {self.database}.ticket_facts {'FINAL' if final else ''} "
            "WHERE created_ms > 0 AND day >= %(lo)s AND day <= %(hi)s", {"lo": lo, "hi": hi})
        return dict(rows)

    def rows_read(self, year: int, month: int | None = None) -> int:
        lo, hi = _days(year, month)
        self.db.execute(f"SELECT count() FROM {self.database}.ticket_facts FINAL "
                        "WHERE created_ms > 0 AND day >= %(lo)s AND day <= %(hi)s", {"lo": lo, "hi": hi})
        return self.db.last_query.progress.rows

    def whole(self) -> list[tuple]:
        """Every ticket's newest row, as a read of the whole table with FINAL gives it."""
        return sorted(self.db.execute(
            f"SELECT ticket_id, events, day, created_ms > 0, category FROM {self.database}.ticket_facts FINAL"))

    def partitions(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT partition FROM system.parts WHERE database = %(d)s AND table = 'ticket_facts' "
            "AND active ORDER BY partition", {"d": self.database})]


@pytest.fixture
def tickets(clickhouse, database) -> Tickets:
    return Tickets(clickhouse, database)


@pytest.mark.clickhouse
def test_a_creation_day_moved_to_an_earlier_year_leaves_the_later_year(tickets):
    tickets.event("T1", "created", "2023-01-02 10:00:00", '{"category":"城乡建设"}')
    tickets.event("T2", "created", "2023-05-01 09:00:00", '{"category":"交通运输"}')
    assert tickets.count(2023) == {"T1": "城乡建设", "T2": "交通运输"}
    # A second creation of T1, earlier and on the last days of 2022: its facts move to 2022, and
    # the 2023 version left behind is outranked there by a tombstone.
    tickets.event("T1", "created", "2022-12-30 10:00:00", '{"category":"劳动保障"}')
    assert tickets.count(2023) == {"T2": "交通运输"}
    assert tickets.count(2022) == {"T1": "劳动保障"}
    assert tickets.partitions() == ["202212", "202301", "202305"]
    assert tickets.whole() == [("T1", 2, dt.date(2022, 12, 30), 1, "劳动保障"),
                               ("T2", 1, dt.date(2023, 5, 1), 1, "交通运输")]
    # Later events keep the tombstone ahead of the old version, and every refresh writes it again.
    tickets.event("T1", "dispatched", "2023-01-03 10:00:00", '{"department":"市住建局"}')
    assert tickets.count(2023) == {"T2": "交通运输"}
    assert tickets.count(2022) == {"T1": "劳动保障"}
    # Merged (as compaction merges), each year is read without FINAL and counts the same.
    tickets.db.execute(f"OPTIMIZE TABLE {tickets.database}.ticket_facts FINAL")
    assert tickets.count(2023, final=False) == {"T2": "交通运输"}
    assert tickets.count(2022, final=False) == {"T1": "劳动保障"}


@pytest.mark.clickhouse
def test_a_creation_day_moved_to_an_earlier_month_leaves_the_later_month(tickets):
    tickets.event("T1", "created", "2023-03-05 10:00:00", '{"category":"城乡建设"}')
    assert tickets.count(2023, month=3) == {"T1": "城乡建设"}
    tickets.event("T1", "created", "2023-02-20 10:00:00", '{"category":"劳动保障"}')
    assert tickets.count(2023, month=3) == {}
    assert tickets.count(2023, month=2) == tickets.count(2023) == {"T1": "劳动保障"}
    assert tickets.partitions() == ["202302", "202303"]  # 202303: the tombstone
    # Merged (as compaction merges), each month is read without FINAL and counts the same.
    tickets.db.execute(f"OPTIMIZE TABLE {tickets.database}.ticket_facts FINAL")
    assert tickets.count(2023, final=False, month=3) == {}
    assert tickets.count(2023, final=False, month=2) == {"T1": "劳动保障"}


@pytest.mark.clickhouse
def test_facts_written_before_the_creation_count_in_the_creation_year(tickets):
    tickets.event("T3", "dispatched", "2023-03-02 10:00:00", '{"department":"市住建局"}')
    assert tickets.partitions() == ["197001"]  # no creation yet: no day
    assert tickets.count(2023) == {}
    tickets.event("T3", "created", "2023-03-01 10:00:00", '{"category":"城乡建设"}')
    assert tickets.partitions() == ["197001", "202303"]
    assert tickets.count(2023) == {"T3": "城乡建设"}
    # The whole table read with FINAL still gives one row, the newest (merged across partitions).
    assert tickets.whole() == [("T3", 2, dt.date(2023, 3, 1), 1, "城乡建设")]


@pytest.mark.clickhouse
def test_a_year_or_month_read_reads_its_own_rows_only(tickets):
    for year in (2021, 2022, 2023):
        for i in range(30):  # 10 tickets in each of May, June and July
            tickets.event(f"Y{year}-{i}", "created", f"{year}-{5 + i % 3:02d}-{1 + i % 28:02d} 10:00:00",
                          refresh=False)
        facts.refresh(tickets.db, tickets.database, TZ, "ticket", [f"Y{year}-{i}" for i in range(30)])
    assert len(tickets.count(2023)) == 30
    assert tickets.rows_read(2023) == 30  # not 90: the other years' partitions are not read
    assert len(tickets.count(2023, month=6)) == 10
    assert tickets.rows_read(2023, month=6) == 10  # nor the year's other months


@pytest.mark.clickhouse
def test_a_call_offered_again_in_the_year_before_leaves_the_later_year(tickets):
    tickets.event("C1", "offered", "2023-01-01 00:05:00", '{"direction":"inbound"}', entity="call")
    tickets.event("C1", "answered", "2023-01-01 00:06:00", '{"agent_id":"A1"}', entity="call")
    assert tickets.calls(2023) == {"C1": "answered"}
    tickets.event("C1", "offered", "2022-12-31 23:55:00", '{"direction":"inbound"}', entity="call")
    assert tickets.calls(2023) == {}
    assert tickets.calls(2022) == {"C1": "answered"}
    # The live figures take each call's newest row by version: the facts, not the tombstone of
    # the same events left on 1 January.
    newest = tickets.db.execute(
        f"SELECT argMax(day, version), argMax(offered_ms, version), argMax(wait_ms, version) "
        f"FROM {tickets.database}.call_facts WHERE day >= '2022-12-31'")
    assert newest == [(dt.date(2022, 12, 31), local_ms("2022-12-31 23:55:00"), 11 * 60 * 1000)]


def _migrations_up_to(version: int) -> Callable[[], list[Migration]]:
    return lambda: [m for m in available() if m.version <= version]


@pytest.mark.clickhouse
def test_the_migration_computes_the_facts_again_from_the_events(clickhouse, monkeypatch):
    """A database at 0014 with events and facts, migrated to 0015 and 0016, has the facts a database
    made at 0016 refreshes from the same events: T1 moved to 2022, T3 to February."""
    old, new = (f"by_year_{k}_{uuid.uuid4().hex[:8]}" for k in ("old", "new"))
    try:
        with monkeypatch.context() as m:
            m.setattr("hotline.storage.migrate.available", _migrations_up_to(14))
            migrate(clickhouse, old)
        # the facts as 0014's refresh left them: one version of T1 in 2023, before its second creation
        clickhouse.execute(f"INSERT INTO {old}.ticket_facts (ticket_id, events, day, created_ms, category) VALUES",
                           [("T1", 1, dt.date(2023, 1, 2), local_ms("2023-01-02 10:00:00"), "城乡建设"),
                            ("T3", 1, dt.date(2023, 3, 5), local_ms("2023-03-05 10:00:00"), "城乡建设")])
        migrate(clickhouse, new)
        for db in (old, new):
            t = Tickets(clickhouse, db)
            t.event("T1", "created", "2023-01-02 10:00:00", '{"category":"城乡建设"}', refresh=False)
            t.event("T1", "created", "2022-12-30 10:00:00", '{"category":"劳动保障"}', refresh=False)
            t.event("T2", "dispatched", "2023-03-02 10:00:00", '{"department":"市住建局"}', refresh=False)
            t.event("T3", "created", "2023-03-05 10:00:00", '{"category":"城乡建设"}', refresh=False)
            t.event("T3", "created", "2023-02-20 10:00:00", '{"category":"劳动保障"}', refresh=False)
            t.event("C1", "offered", "2023-01-01 00:05:00", '{"direction":"inbound"}', refresh=False, entity="call")
            t.event("C1", "offered", "2022-12-31 23:55:00", '{"direction":"inbound"}', refresh=False, entity="call")
        facts.refresh(clickhouse, new, TZ, "ticket", ["T1", "T2", "T3"])
        facts.refresh(clickhouse, new, TZ, "call", ["C1"])
        assert [m.version for m in migrate(clickhouse, old)] == [15, 16]
        got, want = Tickets(clickhouse, old), Tickets(clickhouse, new)
        assert got.whole() == want.whole() == [("T1", 2, dt.date(2022, 12, 30), 1, "劳动保障"),
                                               ("T2", 1, dt.date(1970, 1, 1), 0, ""),
                                               ("T3", 2, dt.date(2023, 2, 20), 1, "劳动保障")]
        assert got.count(2023) == want.count(2023) == {"T3": "劳动保障"}
        assert got.count(2023, month=3) == want.count(2023, month=3) == {}
        assert got.count(2022) == want.count(2022) == {"T1": "劳动保障"}
        # 202301: T1's tombstone; 202303: T3's
        assert got.partitions() == want.partitions() == ["197001", "202212", "202301", "202302", "202303"]
        assert got.calls(2022) == want.calls(2022) == {"C1": "waiting"}
        assert got.calls(2023) == want.calls(2023) == {}
    finally:
        for db in (old, new):
            clickhouse.execute(f"DROP DATABASE IF EXISTS {db}")
