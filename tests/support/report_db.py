"""A ClickHouse database of a test's own, filled through the aggregate worker's own prepare and
writer (the code path of the real pipeline minus Kafka), for the API and storage tests.

The one place the tests reach into the aggregate worker below its Kafka consumer: if `prepare` or
the writer change shape, this module is what to adapt.
"""

from __future__ import annotations

import datetime as dt

import orjson

from zoneinfo import ZoneInfo

from hotline.settings import CalendarSettings, ClickHouseSettings, PrivacySettings
from hotline.storage import work_calendar
from hotline.storage.client import connect
from hotline.storage.migrate import migrate
from services.aggregate.prepare import Incoming, prepare
from services.aggregate.writer import ClickHouseWriter


def fresh_database(name: str) -> ClickHouseSettings:
    """Drop and re-create `name` on the test stack's ClickHouse, migrated."""
    settings = ClickHouseSettings(database=name)
    admin = connect(settings, database=False)
    try:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
        migrate(admin, name)
    finally:
        admin.disconnect()
    # The library's calendar in force, as `hotline up` and the API put it.
    work_calendar.sync_configured(settings, "Asia/Shanghai", CalendarSettings())
    return settings


def write(settings: ClickHouseSettings, events: list[dict], offset: int = 0, *, refresh: bool = True) -> None:
    """Write `events` as one batch, as a worker would (raises if any would be dead-lettered);
    `refresh=False`: the event rows only, the facts not refreshed."""
    batch = [Incoming("hotline.test.v1", 0, offset + i, orjson.dumps(e)) for i, e in enumerate(events)]
    prepared = prepare(batch, ZoneInfo("Asia/Shanghai"), PrivacySettings().hash_key,
                       now=dt.datetime.now(dt.timezone.utc))
    assert not prepared.dead_letters, prepared.dead_letters
    writer = ClickHouseWriter(settings, "Asia/Shanghai")
    try:
        if refresh:
            writer.write(prepared)
        else:
            writer.insert(prepared)
    finally:
        writer.close()
