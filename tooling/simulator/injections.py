"""The injections' events and their truth: what was injected, where and when, for the evaluation
of the detectors (`hotline simulate --inject SPEC --truth FILE`).

Injected tickets are ordinary, valid tickets (created, dispatched, completed; a cluster's raised
by phone calls) with ids of their own (`sim{seed}-inj{k}-t…`, k the spec's place on the command
line), drawn from generators of their own ([seed, INJECT_SALT, k]), so the ordinary stream is
exactly what it is without them. A surge's expected count per hour is the series' share of the
plan (its category's share of the year's tickets, over the number of districts) × the day's
planned volume × the hour's share of a day (rhythm.HOURS): the same expectation the ordinary
stream is drawn with.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import h3
import numpy as np

from hotline.calendar import DAY_S, for_timezone
from tooling.simulator import rhythm, subcategories
from tooling.simulator.apportion import apportion
from tooling.simulator.calls import DayCalls
from tooling.simulator.details import location
from tooling.simulator.emit import Clock, call_events, ticket_events
from tooling.simulator.generator import AGENTS, year_targets
from tooling.simulator.inject import KIND_OF, Cluster, InjectError, PingPong, Spec, Surge, as_dict, surge_extra
from tooling.simulator.period import Period
from tooling.simulator.places import Places
from tooling.simulator.profile import Targets
from tooling.simulator.returns import Departments, after, pingpong
from tooling.simulator.stream import Timed
from tooling.simulator.tickets import DEADLINE_WORKDAYS, Ticket

INJECT_SALT = 201
CHANNELS = ("wechat", "app", "web")  # injected tickets that are not a cluster's phone tickets
COMPLETED_WORK_S = (2 * 3600, 5 * DAY_S)  # working seconds from creation (surge) or final dispatch
CITY_MARGIN_KM = 5.0  # a cluster's cell lies within 3 spreads + this of its district's centre


@dataclass
class Injected:
    events: list[Timed] = field(default_factory=list)  # in time order
    truth: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tickets(self) -> int:
        return sum(len(t["tickets"]) for t in self.truth)

    def document(self) -> dict[str, Any]:
        return {"injections": self.truth}


class _City:
    """What the injections need of the simulated years: targets, span, calendar, places."""

    def __init__(self, doc: dict[str, Any], scale: float, seed: int, with_previous: bool, period: Period | None):
        ts = [t for t in year_targets(doc, scale, with_previous) if period is None or period.overlaps_year(t.year)]
        self.targets: dict[int, Targets] = {t.year: t for t in ts}
        self.current = ts[-1]
        self.seed = seed
        self.tz = ZoneInfo(self.current.timezone)
        self.cal = for_timezone(self.current.timezone)
        self.clock = Clock(self.current.timezone)
        self.districts = self.current.districts
        self.places = Places(self.districts) if self.districts else None
        self.departments = Departments(self.current.departments)
        first = period.first if period else dt.date(min(self.targets), 1, 1)
        last = period.last if period else dt.date(max(self.targets), 12, 31)
        self.first_s = self.epoch(dt.datetime.combine(first, dt.time()))
        self.end_s = self.epoch(dt.datetime.combine(last + dt.timedelta(days=1), dt.time()))
        self.span = f"{first.isoformat()} to {last.isoformat()}"
        self._days: dict[int, tuple[list[dt.date], list[int]]] = {}

    def epoch(self, local: dt.datetime) -> int:
        return int(local.replace(tzinfo=self.tz).timestamp())

    def day_volume(self, day: dt.date) -> int:
        """The plan's tickets of that day: the generator's own split of the year (its first draw
        from the year's generator, replayed here on a fresh one)."""
        if day.year not in self._days:
            t = self.targets[day.year]
            w = rhythm.day_weights(day.year, np.random.default_rng([self.seed, day.year]))
            self._days[day.year] = (rhythm.days_of(day.year), apportion(t.total, w.tolist()))
        days, volume = self._days[day.year]
        return volume[(day - days[0]).days]

    def check_start(self, text: str, start_s: int) -> None:
        if not self.first_s <= start_s < self.end_s:
            raise InjectError(f"--inject {text!r}: start is outside the simulated period ({self.span})")


def build(specs: list[tuple[str, Spec]], doc: dict[str, Any], *, scale: float = 1.0, seed: int = 1,
          with_previous: bool = True, period: Period | None = None) -> Injected:
    """The events and truth of (spec text, spec) pairs, checked against the profile."""
    out = Injected()
    if not specs:
        return out
    city = _City(doc, scale, seed, with_previous, period)
    for k, (text, spec) in enumerate(specs, start=1):
        rng = np.random.default_rng([seed, INJECT_SALT, k])
        prefix = f"sim{seed}-inj{k}"
        if isinstance(spec, Surge):
            events, truth = _surge(city, rng, prefix, text, spec)
        elif isinstance(spec, Cluster):
            events, truth = _cluster(city, rng, prefix, text, spec)
        else:
            events, truth = _pingpong(city, rng, prefix, text, spec)
        out.events += events
        out.truth.append({"kind": KIND_OF[type(spec)], "spec": as_dict(spec), **truth})
    out.events.sort(key=lambda x: x[0])
    return out


def _created_span(tickets: list[Ticket]) -> dict[str, int]:
    return {"first_ms": min(t.created for t in tickets) * 1000 if tickets else 0,
            "last_ms": max(t.created for t in tickets) * 1000 if tickets else 0}


def _dispatched(city: _City, rng: np.random.Generator, t: Ticket) -> None:
    """A plain dispatch minutes after creation, the usual deadline, a completion within days."""
    t.handled = t.created + int(rng.integers(300, 1800))
    t.deadline = after(city.cal, t.handled, DEADLINE_WORKDAYS[t.kind] * DAY_S)
    if not t.department:
        t.department = city.departments.other(float(rng.random()), ())
    t.completed = after(city.cal, t.handled, int(rng.integers(*COMPLETED_WORK_S)))


def _surge(city: _City, rng, prefix: str, text: str, s: Surge) -> tuple[list[Timed], dict]:
    t = city.current
    known = set(t.categories["consult"]) | set(t.categories["non_consult"])
    if s.category not in known:
        raise InjectError(f"--inject {text!r}: unknown category {s.category!r} (the profile's: {', '.join(sorted(known))})")
    if s.district not in city.districts:
        raise InjectError(f"--inject {text!r}: unknown district {s.district!r} (the profile's: {', '.join(city.districts)})")
    start_s = city.epoch(s.start)
    city.check_start(text, start_s)
    expected = []
    for h in range(s.hours):
        local = dt.datetime.fromtimestamp(start_s + 3600 * h, city.tz)
        y = city.targets.get(local.year)
        if y is None:
            expected.append(0.0)  # past the simulated years: nothing expected, nothing added
            continue
        count = y.categories["consult"].get(s.category, 0) + y.categories["non_consult"].get(s.category, 0)
        share = count / y.total / len(city.districts)
        expected.append(share * city.day_volume(local.date()) * float(rhythm.HOURS[local.hour]))
    extra = surge_extra(expected, s.factor, rng)
    tickets = []
    for h, n in enumerate(extra):
        for sec in sorted(int(x) for x in rng.integers(0, 3600, size=n)):
            tk = Ticket(len(tickets), "citizen", CHANNELS[int(rng.integers(0, len(CHANNELS)))], "department",
                        kind="non_consult", category=s.category, created=start_s + 3600 * h + sec)
            tk.subcategory = s.subcategory or subcategories.draw(rng, [s.category])[0]
            if city.places is not None:
                tk.location = location(city.places, rng, s.district)
            _dispatched(city, rng, tk)
            tickets.append(tk)
    events = [e for tk in tickets for e in ticket_events(city.clock, f"{prefix}-t{tk.seq:05d}", tk, "", s.district)]
    return events, {"series": {"category": s.category, "district": s.district},
                    "tickets": [f"{prefix}-t{tk.seq:05d}" for tk in tickets], **_created_span(tickets),
                    "extra": len(tickets), "expected": round(sum(expected), 3),
                    "expected_per_hour": [round(x, 4) for x in expected], "extra_per_hour": extra}


def _cluster(city: _City, rng, prefix: str, text: str, c: Cluster) -> tuple[list[Timed], dict]:
    start_s = city.epoch(c.start)
    city.check_start(text, start_s)
    district, loc = "", {"h3": c.h3}
    if city.places is not None:
        district = city.places.district_of(c.h3)
        d = city.places.districts[district]
        lat, lng = h3.cell_to_latlng(c.h3)
        km = math.hypot((lat - d.lat) * 111.2, (lng - d.lng) * 111.2 * math.cos(math.radians(lat)))
        if km > 3 * d.spread_km + CITY_MARGIN_KM:
            raise InjectError(f"--inject {text!r}: h3={c.h3} lies outside the simulated city "
                              f"(the nearest district, {district}, is {km:.0f} km away)")
        loc = city.places.location(c.h3)
    offered = np.array(sorted(_rhythm_times(rng, city.tz, start_s, c.days * DAY_S, c.tickets)), dtype=np.int64)
    wait = rng.integers(5, 40, size=c.tickets)
    talk = rng.integers(90, 600, size=c.tickets)
    calls = DayCalls("inbound", offered, np.ones(c.tickets, dtype=bool), wait, talk)
    numbers = [f"199{int(n) + 10_000_000:08d}" for n in rng.choice(90_000_000, size=c.callers, replace=False)]
    who = rng.permutation(np.concatenate([np.arange(c.callers), rng.integers(0, c.callers, size=c.tickets - c.callers)]))
    events: list[Timed] = []
    tickets = []
    for i in range(c.tickets):
        call_id = f"{prefix}-c{i:05d}"
        events += call_events(city.clock, call_id, calls, i, "12345", numbers[int(who[i])],
                              f"A{int(rng.integers(1, AGENTS + 1)):03d}")
        answered = int(offered[i] + wait[i])
        tk = Ticket(i, "citizen", "phone", "department", kind="non_consult", category=c.category,
                    call=i, created=answered + int(rng.integers(0, int(talk[i]))))
        tk.subcategory, tk.location = c.subcategory, dict(loc)
        _dispatched(city, rng, tk)
        tickets.append(tk)
        events += ticket_events(city.clock, f"{prefix}-t{i:05d}", tk, call_id, district)
    return events, {"series": {"subcategory": c.subcategory, "h3": c.h3, **({"community": loc["community"]} if "community" in loc else {})},
                    "tickets": [f"{prefix}-t{tk.seq:05d}" for tk in tickets], **_created_span(tickets),
                    "callers": c.callers, "district": district}


def _pingpong(city: _City, rng, prefix: str, text: str, p: PingPong) -> tuple[list[Timed], dict]:
    # Without a start: the profile's year (or the period), not the year before it.
    first = max(city.first_s, city.epoch(dt.datetime(city.current.year, 1, 1)))
    if p.start is not None:
        first = city.epoch(p.start)
        city.check_start(text, first)
    last = max(city.end_s - 3 * DAY_S, first + 1)  # room for the returns before the period ends
    cats = city.current.categories["non_consult"]
    names, w = list(cats), np.array(list(cats.values()), dtype=float)
    tickets, redispatch = [], []
    for i, created in enumerate(sorted(int(x) for x in rng.integers(first, last, size=p.count))):
        cat = names[int(rng.choice(len(names), p=w / w.sum()))]
        tk = Ticket(i, "citizen", CHANNELS[int(rng.integers(0, len(CHANNELS)))], "department",
                    kind="non_consult", category=cat, created=created)
        tk.subcategory = subcategories.draw(rng, [cat])[0]
        district = city.districts[int(rng.integers(0, len(city.districts)))] if city.districts else ""
        if city.places is not None:
            tk.location = location(city.places, rng, district)
        a = city.departments.other(float(rng.random()), ())
        b = city.departments.other(float(rng.random()), a)
        first_dispatch = created + int(rng.integers(300, 1800))
        tk.detours, tk.handled = pingpong(rng, city.cal, first_dispatch, a, b)
        tk.department = a
        tk.deadline = after(city.cal, first_dispatch, DEADLINE_WORKDAYS["non_consult"] * DAY_S)
        tk.completed = after(city.cal, tk.handled, int(rng.integers(*COMPLETED_WORK_S)))
        tickets.append((tk, district))
        redispatch.append(tk.handled * 1000)
    events = [e for tk, d in tickets for e in ticket_events(city.clock, f"{prefix}-t{tk.seq:05d}", tk, "", d)]
    return events, {"tickets": [f"{prefix}-t{tk.seq:05d}" for tk, _ in tickets],
                    **_created_span([tk for tk, _ in tickets]), "redispatch_ms": redispatch,
                    "departments": [[tk.department, tk.detours[1].department] for tk, _ in tickets]}


def _rhythm_times(rng: np.random.Generator, tz: ZoneInfo, start_s: int, span_s: int, n: int) -> list[int]:
    """n instants in [start, start + span), following the hotline's hours (rejection sampling)."""
    out: list[int] = []
    top = float(rhythm.HOURS.max())
    while len(out) < n:
        t = start_s + int(rng.integers(0, span_s))
        hour = dt.datetime.fromtimestamp(t, tz).hour
        if rng.random() < float(rhythm.HOURS[hour]) / top:
            out.append(t)
    return out
