"""One day's tickets: their structure drawn from the plan's urns, their times from the calls
that raised them (phone) or the day's rhythm, and handling times in working seconds whose
average per kind is the profile's.

Handling time is W(completed) − W(created) (hotline/calendar.py), so a completion is placed
by choosing its working-second stamp and mapping it back to a wall-clock time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from hotline.calendar import DAY_S, WorkCalendar
from tooling.simulator import rhythm
from tooling.simulator.budget import Carry
from tooling.simulator.calls import DayCalls
from tooling.simulator.draws import exact_sum
from tooling.simulator.plan import Plan

DEADLINE_WORKDAYS = {"consult": 3, "non_consult": 10}
HANDLING_LO, HANDLING_HI = 2 * 3600, 30 * DAY_S  # working seconds of a department's handling
SUPERVISED = 0.02  # share of dispatched tickets a supervisor chases (not a published figure)


@dataclass(slots=True)
class Ticket:
    seq: int
    group: str
    channel: str
    handling: str
    kind: str = ""
    category: str = ""
    department: str = ""
    call: int = -1  # index into the day's inbound calls
    created: int = 0  # epoch seconds
    handled: int = 0  # answered online or dispatched
    deadline: int = 0
    completed: int = 0  # 0: still open
    to_110: bool = False
    tags: list[str] = field(default_factory=list)
    supervised: int = 0
    requests: list[int] = field(default_factory=list)
    evaluated: int = 0
    answers: str = ""
    # Drawn apart from the published figures (details.py), none of which they change:
    subcategory: str = ""
    location: dict[str, str] | None = None  # {street, community, h3}
    detours: list = field(default_factory=list)  # returns.Detour: dispatches that came back


class Handling:
    """Per kind: the mean working seconds of the completed tickets in the efficiency scope."""

    def __init__(self, plan: Plan):
        t = plan.targets
        self.scope = t.scope
        self.carry = {k: Carry(v * DAY_S) for k, v in t.handling_workdays.items()}


def day(rng: np.random.Generator, plan: Plan, cal: WorkCalendar, handling: Handling, seq0: int,
        day_start: int, n: int, calls: DayCalls) -> list[Ticket]:
    classes = plan.classes.draw(rng, n)
    out = [Ticket(seq0 + i, g, ch, h) for i, (g, ch, h) in enumerate(classes)]
    kinds = plan.kind.assign(rng, [t.handling for t in out])
    cats = plan.category.assign(rng, kinds)
    for t, k, c in zip(out, kinds, cats):
        t.kind, t.category = k, c
    dept = [t for t in out if t.handling == "department"]
    for t, d in zip(dept, plan.department.draw(rng, len(dept))):
        t.department = d
    for t, flag in zip(out, plan.to_110.assign(rng, [t.channel == "phone" and t.handling == "online_agent" for t in out])):
        t.to_110 = flag
    for tag, urn in plan.tags.items():
        for t, flag in zip(out, urn.draw(rng, n)):
            if flag:
                t.tags.append(tag)
    _times(rng, cal, out, day_start, calls)
    _completion(rng, plan, cal, handling, out)
    _evaluation(rng, plan, out)
    return out


def _times(rng, cal: WorkCalendar, out: list[Ticket], day_start: int, calls: DayCalls) -> None:
    day_end = day_start + DAY_S - 1
    phone = [t for t in out if t.channel == "phone"]
    answered = np.flatnonzero(calls.answered)
    if phone and answered.size:
        # One ticket per answered call; when a day has more phone demands than answered calls
        # (callers with two matters, voicemail call-backs), calls are reused.
        picks = rng.choice(answered, size=len(phone), replace=len(phone) > answered.size)
        for t, i in zip(phone, picks):
            start = int(calls.offered[i] + calls.wait[i])
            talk = int(calls.talk[i])
            t.call = int(i)
            t.created = min(start + int(rng.integers(0, max(talk, 1))), day_end)
            if t.handling == "online_agent":
                t.handled = max(t.created, start + talk)
    others = [t for t in out if not t.created]
    secs = rhythm.seconds_of_day(rng, len(others))
    rng.shuffle(secs)
    for t, s in zip(others, secs):
        t.created = day_start + int(s)
    for t in out:
        if t.handling == "online_agent" and not t.handled:
            t.handled = t.created + int(rng.integers(300, 3 * 3600))
        elif t.handling == "online_specialist":
            t.handled = t.created + int(rng.integers(1800, 20 * 3600))
        elif t.handling == "department":
            t.handled = t.created + int(rng.integers(300, 1800))
            t.deadline = _at(cal, _w(cal, t.handled) + DEADLINE_WORKDAYS[t.kind] * DAY_S)
            if rng.random() < SUPERVISED:
                t.supervised = t.handled + int(rng.integers(DAY_S, 3 * DAY_S))


def _w(cal: WorkCalendar, t: int) -> int:
    return cal.work_seconds(dt.datetime.fromtimestamp(t, cal.tz))


def _at(cal: WorkCalendar, w: int) -> int:
    return int(cal.at_work_seconds(w).timestamp())


def _completion(rng, plan: Plan, cal: WorkCalendar, handling: Handling, out: list[Ticket]) -> None:
    dept = [t for t in out if t.handling == "department"]
    from_110 = [t for t in dept if t.channel == "110"]
    rest = [t for t in dept if t.channel != "110"]
    for t in out:
        if t.handling != "department":
            t.completed = t.handled  # answered online closes the ticket
    for t, late in zip(from_110, plan.late_110.draw(rng, len(from_110))):
        limit = _w(cal, t.deadline) - _w(cal, t.created)
        d = limit + int(rng.integers(3600, 2 * DAY_S)) if late else int(rng.integers(HANDLING_LO, max(limit - 3600, HANDLING_LO + 1)))
        t.completed = _at(cal, _w(cal, t.created) + d)
    done = [t for t, ok in zip(rest, plan.completed.draw(rng, len(rest))) if ok]
    for kind, carry in handling.carry.items():
        scoped = [t for t in out if t.kind == kind and t.completed and (handling.scope == "all" or t.handling == "department")]
        free = [t for t in done if t.kind == kind]
        fixed = sum(_w(cal, t.completed) - _w(cal, t.created) for t in scoped)
        wanted = carry.take(len(scoped) + len(free), fixed)
        vals = exact_sum(rng, len(free), HANDLING_LO, HANDLING_HI, round(wanted)) if free else np.zeros(0, dtype=np.int64)
        got = 0
        for t, d in zip(free, vals):
            w0 = _w(cal, t.created)
            t.completed = _at(cal, w0 + int(d))
            got += _w(cal, t.completed) - w0
        carry.settle(wanted, got)


def _evaluation(rng, plan: Plan, out: list[Ticket]) -> None:
    scope_all = plan.targets.scope == "all"
    eligible = [t for t in out if t.completed and (scope_all or t.handling == "department")]
    flags = [t.channel == "110" for t in eligible]
    counts = plan.requests.assign(rng, flags)
    for t, k in zip(eligible, counts):
        t.requests = sorted(t.completed + int(x) for x in rng.integers(3600, 3 * DAY_S, size=k))
    asked = plan.evaluated.assign(rng, [(f, bool(t.requests)) for f, t in zip(flags, eligible)])
    responders = [(t, f) for t, f, yes in zip(eligible, flags, asked) if yes]
    for (t, _), a in zip(responders, plan.answers.assign(rng, [f for _, f in responders])):
        t.evaluated = t.requests[0] + int(rng.integers(600, DAY_S))
        t.answers = a
