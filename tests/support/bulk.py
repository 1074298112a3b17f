"""Deterministic bulk populations (seeded random): realistic calls and tickets as the truth about
each (tests/support/truth.py: its events, and the facts row that follows from it), delivered with
duplicates and out of order. For fault tests and benchmarks, where hypothesis would be slow.

The tickets are created in the two weeks before 国庆 2023, so handling times run across the
holiday and its adjusted working days (tests/support/workdays.py states them).
"""

from __future__ import annotations

import datetime as dt
import random

from tests.support.truth import Call, Dispatch, Evaluation, Ticket, to_ms_precision

SH = dt.timezone(dt.timedelta(hours=8))
BASE = dt.datetime(2023, 9, 25, 8, 0, tzinfo=SH)  # the week before 国庆


def call(rng: random.Random, run: str, i: int) -> Call:
    t = BASE + dt.timedelta(seconds=rng.randrange(0, 14 * 86400))
    direction = rng.choice(["inbound"] * 9 + ["outbound"])
    caller = f"138{rng.randrange(10**8):08d}"
    wait = dt.timedelta(seconds=rng.expovariate(1 / 14))
    if rng.random() < 0.92:
        agent = f"a{rng.randrange(120)}"
        talk = dt.timedelta(seconds=rng.expovariate(1 / 200))
        return Call(f"{run}-c{i}", t, direction, caller=caller, answered=to_ms_precision(t + wait), agent_id=agent,
                    ended=to_ms_precision(t + wait + talk))
    return Call(f"{run}-c{i}", t, direction, caller=caller, abandoned=to_ms_precision(t + wait))


def ticket(rng: random.Random, run: str, i: int) -> Ticket:
    t = BASE + dt.timedelta(seconds=rng.randrange(0, 14 * 86400))
    story = {"requester": rng.choice(["citizen"] * 20 + ["enterprise"]),
             "channel": rng.choice(["phone"] * 18 + ["web", "110"]),
             "kind": rng.choice(["consult", "non_consult"]),
             "category": rng.choice(["民生保障", "经济综合", "住房保障", "交通出行"])}
    if rng.random() < 0.55:
        story["answered"] = (t + dt.timedelta(minutes=5), rng.choice(["agent"] * 9 + ["specialist"]))
    else:
        d = t + dt.timedelta(minutes=30)
        story["dispatches"] = (Dispatch(d, rng.choice(["市公安局", "市住建局", "市交通局"]), d + dt.timedelta(days=5)),)
        story["completed"] = to_ms_precision(d + dt.timedelta(hours=rng.expovariate(1 / 40)))
    story["evaluation_requested"] = (t + dt.timedelta(days=6),)
    if rng.random() < 0.3:
        story["evaluations"] = (Evaluation(t + dt.timedelta(days=7), rng.random() < 0.98, rng.random() < 0.88),)
    return Ticket(f"{run}-t{i}", t, **story)


def entities(seed: int, run: str, events: int) -> tuple[list[Call], list[Ticket]]:
    """Calls and tickets (ids `<run>-c<i>`, `<run>-t<i>`) totalling about `events` events."""
    rng = random.Random(seed)
    calls: list[Call] = []
    tickets: list[Ticket] = []
    total, i = 0, 0
    while total < events:
        c, t = call(rng, run, i), ticket(rng, run, i)
        calls.append(c)
        tickets.append(t)
        total += len(c.events()) + len(t.events())
        i += 1
    return calls, tickets


def population(seed: int, run: str, events: int) -> tuple[list[list[dict]], list[list[dict]]]:
    """The events of `entities(seed, run, events)`, one list per call and per ticket."""
    calls, tickets = entities(seed, run, events)
    return [c.events() for c in calls], [t.events() for t in tickets]


def at_least_once(seed: int, stories: list[list[dict]], duplicate_rate: float = 0.05) -> list[dict]:
    """Every event of `stories` (lists of events) once, some twice, in a shuffled order."""
    rng = random.Random(seed)
    wire = [e for es in stories for e in es]
    wire += [e for e in wire if rng.random() < duplicate_rate]
    rng.shuffle(wire)
    return wire
