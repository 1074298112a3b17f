"""A profile's city-year (and the year before it) as one time-ordered stream of CloudEvents.

Day by day: the day's calls, then the tickets they raise, every event of those entities pushed
on a heap keyed by time; events due before the next day starts are yielded. Memory holds the
days' entities and the events still ahead of the clock (completions, evaluations: a few days'
worth), never the year. The same profile, scale and seed give the same stream; a `Period`
keeps only the calls and tickets that start inside it (period.py), drawn from the same year.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from hotline.calendar import DAY_S, for_timezone
from tooling.simulator import calls as calls_mod
from tooling.simulator import rhythm, tickets
from tooling.simulator.apportion import apportion
from tooling.simulator.details import Details
from tooling.simulator.emit import Clock, call_events, ticket_events
from tooling.simulator.period import Period
from tooling.simulator.plan import Plan, build
from tooling.simulator.previous import previous
from tooling.simulator.profile import Targets, targets
from tooling.simulator.scale import scale as scale_targets
from tooling.simulator.stream import Timed

AGENTS = 180
CALLERS_PER_CALL = 0.6  # distinct caller numbers per inbound call (people call again)


@dataclass
class Stats:
    """What was generated, per year (inside the period, if one was given): the ground truth a
    run is checked against."""

    events: int = 0
    calls: dict[int, int] = field(default_factory=dict)
    tickets: dict[int, int] = field(default_factory=dict)


def year_targets(doc: dict[str, Any], scale: float, with_previous: bool = True) -> list[Targets]:
    docs = [previous(doc), doc] if with_previous else [doc]
    return [scale_targets(targets(d), scale) for d in docs]


def generate(doc: dict[str, Any], *, scale: float = 1.0, seed: int = 1, with_previous: bool = True,
             stats: Stats | None = None, period: Period | None = None,
             injected: Sequence[Timed] = ()) -> Iterator[Timed]:
    """The events of the profile's year (and the previous year first), in time order; with a
    period, only those of the calls and tickets starting in it. `injected` events (time-ordered,
    injections.py) are merged in and counted in stats.events."""
    stats = stats if stats is not None else Stats()
    stream = _ordinary(doc, scale, seed, with_previous, stats, period)
    if not injected:
        return stream
    stats.events += len(injected)
    return heapq.merge(stream, injected, key=lambda x: x[0])


def _ordinary(doc: dict[str, Any], scale: float, seed: int, with_previous: bool, stats: Stats,
              period: Period | None) -> Iterator[Timed]:
    heap: list[tuple[int, int, dict]] = []
    n = 0
    for t in year_targets(doc, scale, with_previous):
        if period is not None and not period.overlaps_year(t.year):
            continue  # each year draws from its own seed: skipping one changes no other
        year = _Year(build(t), seed, period)
        for day_start, events in year.days():
            for ms, e in events:
                heapq.heappush(heap, (ms, n, e))
                n += 1
            stats.events += len(events)
            horizon = (day_start + DAY_S) * 1000
            while heap and heap[0][0] < horizon:
                ms, _, e = heapq.heappop(heap)
                yield ms, e
        stats.calls[t.year], stats.tickets[t.year] = year.kept_calls, year.kept_tickets
    while heap:
        ms, _, e = heapq.heappop(heap)
        yield ms, e


class _Year:
    def __init__(self, plan: Plan, seed: int, period: Period | None = None):
        t = plan.targets
        self.plan, self.t, self.period = plan, t, period
        self.rng = np.random.default_rng([seed, t.year])
        self.cal = for_timezone(t.timezone)
        self.clock = Clock(t.timezone)
        self.prefix = f"sim{seed}"
        self.calls = self.tickets = 0  # drawn so far: numbers the ids
        self.kept_calls = self.kept_tickets = 0  # inside the period
        c = t.calls
        left = lambda urn: int(dict(zip(urn.values, urn.left)).get(True, 0))  # noqa: E731
        self.waits = calls_mod.Waits(c, left(plan.within))
        self.talks_in = calls_mod.Talks(c.answered, left(plan.long_in), c.avg_talk_s, c.longest_talk_s,
                                        calls_mod.TALK_LO["inbound"], "calls.inbound")
        self.talks_out = calls_mod.Talks(c.out_count, left(plan.long_out), c.out_avg_talk_s,
                                         c.out_longest_talk_s, calls_mod.TALK_LO["outbound"], "calls.outbound")
        self.handling = tickets.Handling(plan)
        self.callers = max(int(c.offered * CALLERS_PER_CALL), 1)
        self.seed = seed
        self.details = Details(self.cal, t.districts, t.departments)

    def days(self) -> Iterator[tuple[int, list[Timed]]]:
        t, rng = self.t, self.rng
        days = rhythm.days_of(t.year)
        w = rhythm.day_weights(t.year, rng).tolist()
        offered = apportion(t.calls.offered, w)
        dialled = apportion(t.calls.out_dialled, w)
        demands = apportion(t.total, w)
        tz = ZoneInfo(t.timezone)
        for i, day in enumerate(days):
            start = int(dt.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())
            # Days outside the period are drawn all the same (the draws of the days after them
            # depend on it); only their events are not built.
            keep = self.period is None or day in self.period
            yield start, self._day(start, offered[i], dialled[i], demands[i], keep, i)

    def _day(self, start: int, offered: int, dialled: int, demands: int, keep: bool = True,
             day: int = 0) -> list[Timed]:
        rng, plan, y = self.rng, self.plan, self.t.year
        inbound = calls_mod.inbound(rng, plan, self.waits, self.talks_in, start, offered)
        outbound = calls_mod.outbound(rng, plan, self.talks_out, start, dialled)
        day_tickets = tickets.day(rng, plan, self.cal, self.handling, self.tickets, start, demands, inbound)
        c0 = self.calls
        call_id = lambda i: f"{self.prefix}-c{y}-{c0 + i:08d}"  # noqa: E731
        talent = {tk.call for tk in day_tickets if tk.group == "talent" and tk.call >= 0}
        callers = rng.integers(0, self.callers, size=offered)
        agents = rng.integers(1, AGENTS + 1, size=offered + dialled)
        districts = self.t.districts
        picks = rng.integers(0, len(districts), size=len(day_tickets)) if districts else None
        out: list[Timed] = []
        if not keep:
            self.calls += offered + dialled
            self.tickets += len(day_tickets)
            return out
        # Subcategories, places and returns: from the day's own generators (details.py), after
        # every draw of the year's generator, which they must not move.
        self.details.apply(self.seed, y, day, day_tickets,
                           [districts[int(p)] for p in picks] if picks is not None else [""] * len(day_tickets))
        for i in range(offered):
            out += call_events(self.clock, call_id(i), inbound, i, "talent" if i in talent else "12345",
                               f"1{3 + int(callers[i]) % 7}{int(callers[i]):09d}", f"A{int(agents[i]):03d}")
        for i in range(dialled):
            out += call_events(self.clock, f"{self.prefix}-o{y}-{c0 + i:08d}", outbound, i, "12345", "",
                               f"A{int(agents[offered + i]):03d}")
        for j, tk in enumerate(day_tickets):
            out += ticket_events(self.clock, f"{self.prefix}-t{y}-{tk.seq:08d}", tk,
                                 call_id(tk.call) if tk.call >= 0 else "",
                                 districts[int(picks[j])] if picks is not None else "")
        self.calls += offered + dialled
        self.tickets += len(day_tickets)
        self.kept_calls += offered + dialled
        self.kept_tickets += len(day_tickets)
        return out
