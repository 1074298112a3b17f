"""Migration 0010 (ticket_places) on the real ClickHouse 18.16 and on a current engine (chdb):
the one-time copy of the creations already stored, the view for those that come after, and a
second run that changes nothing."""

from __future__ import annotations

import datetime as dt
import uuid

import orjson
import pytest

from hotline.storage.facts import fill_from_view
from hotline.storage import migrate as migrate_module
from hotline.storage.migrate import available, migrate

COLUMNS = (
    "entity, subject, source, id, type, time, time_ms, local_date, work_s, data, extensions, "
    "topic, partition, offset, ingested_at"
)
PLACES = ("ticket_id, created_ms, day, kind, category, subcategory, district, street, community, h3, "
          "call_id, caller_hash")
T0 = dt.datetime(2024, 3, 1, 16, 30, tzinfo=dt.timezone.utc)  # 2024-03-02 00:30 in Shanghai
T0_MS = 1709310600000
H3_9 = "89308620243ffff"


def _event(subject: str, id_: str, type_: str, ms_after: int, data: dict) -> tuple:
    t = T0 + dt.timedelta(milliseconds=ms_after)
    return ("ticket", subject, "/crm/main", id_, type_, t.replace(tzinfo=None, microsecond=0), T0_MS + ms_after,
            dt.date(2024, 3, 2), 0, orjson.dumps(data).decode(), "{}", "hotline.tickets.v1", 0, 0,
            t.replace(tzinfo=None, microsecond=0))


def _created(**extra) -> dict:
    return {"requester": "citizen", "channel": "phone", "kind": "non_consult", "category": "住房保障",
            "subcategory": "物业管理", "district": "清江浦区", **extra}


def _story(before: bool) -> list[tuple]:
    """Tickets created before the migration (`before`) or after it: a located one, one with an
    empty location, one with none, one with a location and an unrelated `location` key further
    on, and a located one created twice (the earlier creation is the one kept)."""
    p = "old" if before else "new"
    return [
        _event(f"{p}-1", "e0", "hotline.ticket.created", 0,
               _created(location={"street": "清河街道", "community": "清河社区", "h3": H3_9},
                        call_id="call-7", caller_hash="ab" * 32)),
        _event(f"{p}-1", "e1", "hotline.ticket.dispatched", 60_000, {"department": "市住建局"}),
        _event(f"{p}-1", "e2", "hotline.ticket.returned", 120_000, {"department": "市住建局"}),
        _event(f"{p}-2", "e0", "hotline.ticket.created", 0, _created(location={})),
        _event(f"{p}-3", "e0", "hotline.ticket.created", 0, _created()),
        _event(f"{p}-4", "e0", "hotline.ticket.created", 5, _created(location={"community": "长西社区"})),
        _event(f"{p}-5", "e1", "hotline.ticket.created", 9_000, _created(location={"street": "later"})),
        _event(f"{p}-5", "e0", "hotline.ticket.created", 3_000, _created(location={"street": "earlier"})),
        # A redelivered duplicate of the first creation: the same row again.
        _event(f"{p}-1", "e0", "hotline.ticket.created", 0,
               _created(location={"street": "清河街道", "community": "清河社区", "h3": H3_9},
                        call_id="call-7", caller_hash="ab" * 32)),
    ]


def _expected(p: str) -> list[tuple[str, ...]]:
    base = (str(dt.date(2024, 3, 2)), "non_consult", "住房保障", "物业管理", "清江浦区")
    return [
        (f"{p}-1", str(T0_MS), *base, "清河街道", "清河社区", H3_9, "call-7", "ab" * 32),
        (f"{p}-4", str(T0_MS + 5), *base, "", "长西社区", "", "", ""),
        (f"{p}-5", str(T0_MS + 3_000), *base, "earlier", "", "", "", ""),
    ]


def _places(db, database: str) -> list[tuple[str, ...]]:
    rows = db.execute(f"SELECT {PLACES} FROM {database}.ticket_places FINAL ORDER BY ticket_id")
    return [tuple(str(v) for v in r) for r in rows]


def _run(db, database: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Migrate up to 0009, store old events, migrate 0010 (its copy), store new ones (its view),
    copy again; checks each step and returns the places in the end."""
    every = available()
    assert every[-1].version >= 10
    monkeypatch.setattr(migrate_module, "available", lambda: [m for m in every if m.version < 10])
    migrate(db, database)
    db.execute(f"INSERT INTO {database}.events ({COLUMNS}) VALUES", _story(before=True))
    monkeypatch.setattr(migrate_module, "available", lambda: every)

    applied = migrate(db, database)
    assert [m.name for m in applied if m.version >= 10][0] == "ticket_places"
    assert _places(db, database) == _expected("old")  # the one-time copy

    db.execute(f"INSERT INTO {database}.events ({COLUMNS}) VALUES", _story(before=False))
    assert _places(db, database) == _expected("new") + _expected("old")  # the view

    # Applied once: a second run is a no-op. And were the copy ever run again (a crash before
    # the runner's record), it would change nothing a reader sees.
    assert migrate(db, database) == []
    places = next(m for m in every if m.version == 10)
    assert places.fills == ["ticket_places"]
    fill_from_view(db, database, "ticket_places")
    return _places(db, database)


@pytest.mark.clickhouse
def test_ticket_places_on_clickhouse_18(clickhouse, monkeypatch):
    database = f"places_{uuid.uuid4().hex[:12]}"
    try:
        assert _run(clickhouse, database, monkeypatch) == _expected("new") + _expected("old")
    finally:
        clickhouse.execute(f"DROP DATABASE IF EXISTS {database}")


def test_ticket_places_on_a_current_engine(chdb_engine, monkeypatch):
    chdb_engine.execute("DROP DATABASE IF EXISTS places")
    try:
        assert _run(chdb_engine, "places", monkeypatch) == _expected("new") + _expected("old")
    finally:
        chdb_engine.execute("DROP DATABASE IF EXISTS places")
