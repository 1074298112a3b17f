"""Earlier years already stored before stage 1: the cost of a year against years of history.

`load` stores the `years` years before the profile's year (each derived from the next by its
year-over-year figures, tooling/simulator/previous.py) the way the aggregate workers would, only
without the broker: the simulator's events go through the workers' own `prepare` (validation,
hashing, enrichment) and `ClickHouseWriter.insert` in batches of 50,000, the state views fold
them as they land, and the facts are then built from the state in SQL (hotline.storage.facts.
rebuild). Sending them through the topics instead (the simulator's Kafka sink) ran at about
6,000 events/s, half an hour a year. Their ids carry another seed's prefix than stage 1's, so
stage 1's ground truth and catch-up count only its own year. Not timed as a stage: it only sets
the table sizes up.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from services.aggregate.prepare import Incoming, prepare
from services.aggregate.settings import AggregateSettings
from services.aggregate.writer import ClickHouseWriter
from tooling.simulator import catchup
from tooling.simulator.generator import Stats, generate
from tooling.simulator.previous import previous
from tooling.stack import stack
from hotline.storage import facts
from hotline.storage.client import connect

SEED = 7  # any seed but stage 1's: the prefix "sim7-" keeps the two apart
BATCH = 50_000


@dataclass(frozen=True)
class History:
    years: list[int]
    events: int  # distinct events generated, and folded into the facts
    rows: int  # rows of the event table when stage 1 starts
    wall_s: float

    def as_dict(self) -> dict:
        return {"years": self.years, "events": self.events, "event_rows": self.rows, "load_wall_s": round(self.wall_s)}


def earlier(doc: dict[str, Any], years: int) -> list[dict[str, Any]]:
    """The profiles of the `years` years before `doc`'s, oldest first."""
    out, d = [], doc
    for _ in range(years):
        d = previous(d)
        out.append(d)
    return out[::-1]


def load(s: stack.Settings, doc: dict[str, Any], years: int, scale: float, say=print) -> History:
    t0 = time.monotonic()
    settings = AggregateSettings()
    tz = ZoneInfo(settings.city.timezone)
    writer = ClickHouseWriter(s.clickhouse, settings.city.timezone)
    stats, loaded = Stats(), []
    try:
        for d in earlier(doc, years):
            batch: list[Incoming] = []
            for _, event in generate(d, scale=scale, seed=SEED, with_previous=False, stats=stats):
                batch.append(Incoming("", 0, 0, orjson.dumps(event)))
                if len(batch) >= BATCH:
                    _store(writer, batch, tz, settings.privacy.hash_key)
                    batch = []
            _store(writer, batch, tz, settings.privacy.hash_key)
            loaded.append(int(d["year"]))
            say(f"  history {d['year']}: {stats.events:,} events stored so far ({time.monotonic() - t0:.0f} s)")
    finally:
        writer.close()
    client = connect(s.clickhouse)
    try:
        for entity in ("call", "ticket"):
            facts.rebuild(client, s.clickhouse.database, settings.city.timezone, entity)
        (rows,), = client.execute(f"SELECT count() FROM {s.clickhouse.database}.events")
        folded = catchup.folded(client, s.clickhouse.database, f"sim{SEED}-")
    finally:
        client.disconnect()
    if folded != stats.events:
        raise AssertionError(f"history: the facts hold {folded:,} of the {stats.events:,} events generated")
    h = History(loaded, stats.events, rows, time.monotonic() - t0)
    say(f"  history in the facts: {stats.events:,} events of {loaded} ({h.wall_s:.0f} s)")
    return h


def _store(writer: ClickHouseWriter, batch: list[Incoming], tz: ZoneInfo, hash_key: bytes) -> None:
    if not batch:
        return
    prepared = prepare(batch, tz, hash_key, now=dt.datetime.now(dt.timezone.utc))
    if prepared.dead_letters:
        raise AssertionError(f"history: {len(prepared.dead_letters)} generated events were rejected")
    writer.insert(prepared)
