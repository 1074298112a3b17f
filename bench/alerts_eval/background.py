"""A simulated city-year without injections, reduced to what the detectors read.

The simulator's events (tooling/simulator) are read once and kept as the detectors' inputs:
hourly ticket counts by category, subcategory and district (the surge reader's rows), the
placed tickets with their callers (the cluster reader's), and every ticket's dispatches,
returns and completions (the ping-pong reader's). Cached as a pickle under the state folder,
keyed by profile, seed and period, because generating 13 months takes minutes.
"""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from hotline.events import epoch_ms, parse_time
from services.alerts.detect.cluster import PlacedTicket
from services.alerts.detect.grid import HOUR_MS
from services.alerts.detect.pingpong import Step
from tooling.simulator import profile as profiles
from tooling.simulator.generator import generate
from tooling.simulator.period import Period

STEP_TYPES = {"hotline.ticket.dispatched": "dispatched", "hotline.ticket.returned": "returned",
              "hotline.ticket.completed": "completed"}


@dataclass
class Background:
    profile: str
    seed: int
    first: dt.date
    last: dt.date
    timezone: str
    rows: list[tuple[int, str, str, str, int]]
    placed: list[PlacedTicket]
    steps: list[Step]
    tickets: int
    events: int


def collect(profile: str, seed: int, first: dt.date, last: dt.date, cache: Path) -> Background:
    path = cache / f"background-{Path(profile).stem}-{seed}-{first}-{last}.pickle"
    if path.exists():
        with path.open("rb") as f:
            return pickle.load(f)
    doc = profiles.load(profile)
    tz_name = profiles.targets(doc).timezone
    counts: dict[tuple[int, str, str, str], int] = {}
    callers: dict[str, str] = {}
    created: list[tuple[str, int, dict]] = []
    steps: list[Step] = []
    events = 0
    for _, e in generate(doc, seed=seed, period=Period(first, last)):
        events += 1
        t, data = e["type"], e.get("data") or {}
        if t == "hotline.call.offered":
            if data.get("caller"):
                callers[e["subject"]] = data["caller"]
        elif t == "hotline.ticket.created":
            ms = epoch_ms(parse_time(e["time"]))
            key = (ms - ms % HOUR_MS, data.get("category", ""), data.get("subcategory", ""), data.get("district", ""))
            counts[key] = counts.get(key, 0) + 1
            if data.get("location"):
                created.append((e["subject"], ms, data))
        elif t in STEP_TYPES:
            steps.append(Step(e["subject"], STEP_TYPES[t], data.get("department", ""),
                              epoch_ms(parse_time(e["time"])), e["id"]))
    placed = []
    for subject, ms, data in created:
        loc = data["location"]
        placed.append(PlacedTicket(subject, ms, data.get("subcategory", ""), loc.get("h3", ""),
                                   loc.get("community", ""), data.get("district", ""),
                                   callers.get(data.get("call_id", ""), "")))
    bg = Background(profile, seed, first, last, tz_name, [(*k, n) for k, n in counts.items()], placed, steps,
                    sum(counts.values()), events)
    cache.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        pickle.dump(bg, f, protocol=pickle.HIGHEST_PROTOCOL)
    return bg


def hour_range(bg: Background) -> tuple[int, int]:
    tz = ZoneInfo(bg.timezone)
    first = int(dt.datetime(bg.first.year, bg.first.month, bg.first.day, tzinfo=tz).timestamp() * 1000)
    end_day = bg.last + dt.timedelta(days=1)
    end = int(dt.datetime(end_day.year, end_day.month, end_day.day, tzinfo=tz).timestamp() * 1000)
    return first, (end - first) // HOUR_MS
