"""Earlier years already stored before stage 1: the cost of a year against years of history.

`load` sends the `years` years before the profile's year (each derived from the next by its
year-over-year figures, tooling/simulator/previous.py) straight to the event topics, the way a
producer bypassing ingest would, and waits until the stack's own workers have folded them into
the facts. Their ids carry another seed's prefix than stage 1's, so stage 1's ground truth and
catch-up count only its own year. Not timed as a stage: it only sets the table sizes up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tooling.simulator import catchup
from tooling.simulator.previous import previous
from tooling.simulator.run import simulate
from tooling.simulator.sinks import KafkaSink
from tooling.stack import stack
from hotline.settings import KafkaSettings
from hotline.storage.client import connect

SEED = 7  # any seed but stage 1's: the prefix "sim7-" keeps the two apart


@dataclass(frozen=True)
class History:
    years: list[int]
    events: int  # distinct events folded into the facts
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
    events, loaded = 0, []
    for d in earlier(doc, years):
        sink = KafkaSink(KafkaSettings())
        result = simulate(d, sink, scale=scale, seed=SEED, with_previous=False)
        events += result.stats.events
        loaded.append(int(d["year"]))
        say(f"  history {d['year']}: {result.sent:,} events sent to the topics in {result.wall_s:.0f} s")
    client = connect(s.clickhouse)
    try:
        catchup.wait(client, s.clickhouse.database, f"sim{SEED}-", events, timeout_s=7200,
                     say=lambda line: say("  " + line), every_s=5.0)
        (rows,), = client.execute(f"SELECT count() FROM {s.clickhouse.database}.events")
    finally:
        client.disconnect()
    h = History(loaded, events, rows, time.monotonic() - t0)
    say(f"  history in the facts: {events:,} events of {loaded} ({h.wall_s:.0f} s)")
    return h
