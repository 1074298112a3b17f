"""Deterministic bulk event sets (seeded random): realistic calls and tickets, delivered with
duplicates and out of order. For fault tests and benchmarks, where hypothesis would be slow."""

from __future__ import annotations

import datetime as dt
import random

SH = dt.timezone(dt.timedelta(hours=8))
BASE = dt.datetime(2023, 9, 25, 8, 0, tzinfo=SH)  # the week before 国庆


def _ev(run: str, subject: str, n: int, type_: str, t: dt.datetime, data: dict, source: str) -> dict:
    return {"specversion": "1.0", "id": f"{subject}-{n}", "source": source, "type": f"hotline.{type_}",
            "time": t.isoformat(timespec="milliseconds"), "subject": subject, "data": data}


def call(rng: random.Random, run: str, i: int) -> list[dict]:
    cid = f"{run}-c{i}"
    t = BASE + dt.timedelta(seconds=rng.randrange(0, 14 * 86400))
    evs = [_ev(run, cid, 0, "call.offered", t, {"direction": rng.choice(["inbound"] * 9 + ["outbound"]),
                                                 "caller": f"138{rng.randrange(10**8):08d}"}, "/pbx/main")]
    wait = rng.expovariate(1 / 14)
    if rng.random() < 0.92:
        a = t + dt.timedelta(seconds=wait)
        evs.append(_ev(run, cid, 1, "call.answered", a, {"agent_id": f"a{rng.randrange(120)}"}, "/pbx/main"))
        evs.append(_ev(run, cid, 2, "call.ended", a + dt.timedelta(seconds=rng.expovariate(1 / 200)), {}, "/pbx/main"))
    else:
        evs.append(_ev(run, cid, 1, "call.abandoned", t + dt.timedelta(seconds=wait), {}, "/pbx/main"))
    return evs


def ticket(rng: random.Random, run: str, i: int) -> list[dict]:
    tid = f"{run}-t{i}"
    t = BASE + dt.timedelta(seconds=rng.randrange(0, 14 * 86400))
    created = {"requester": rng.choice(["citizen"] * 20 + ["enterprise"]),
               "channel": rng.choice(["phone"] * 18 + ["web", "110"]),
               "kind": rng.choice(["consult", "non_consult"]),
               "category": rng.choice(["民生保障", "经济综合", "住房保障", "交通出行"])}
    evs = [_ev(run, tid, 0, "ticket.created", t, created, "/crm/main")]
    n = 1
    if rng.random() < 0.55:
        evs.append(_ev(run, tid, n, "ticket.answered", t + dt.timedelta(minutes=5),
                       {"by": rng.choice(["agent"] * 9 + ["specialist"])}, "/crm/main"))
        n += 1
    else:
        d = t + dt.timedelta(minutes=30)
        evs.append(_ev(run, tid, n, "ticket.dispatched", d, {"department": rng.choice(["市公安局", "市住建局", "市交通局"]),
                                                          "deadline": (d + dt.timedelta(days=5)).isoformat()}, "/crm/main"))
        n += 1
        evs.append(_ev(run, tid, n, "ticket.completed", d + dt.timedelta(hours=rng.expovariate(1 / 40)), {}, "/crm/main"))
        n += 1
    evs.append(_ev(run, tid, n, "ticket.evaluation_requested", t + dt.timedelta(days=6), {}, "/crm/main"))
    if rng.random() < 0.3:
        evs.append(_ev(run, tid, n + 1, "ticket.evaluated", t + dt.timedelta(days=7),
                       {"service_satisfied": rng.random() < 0.98, "resolution_satisfied": rng.random() < 0.88}, "/crm/main"))
    return evs


def population(seed: int, run: str, events: int) -> tuple[list[list[dict]], list[list[dict]]]:
    """Calls and tickets totalling about `events` events."""
    rng = random.Random(seed)
    calls, tickets, total, i = [], [], 0, 0
    while total < events:
        c, t = call(rng, run, i), ticket(rng, run, i)
        calls.append(c)
        tickets.append(t)
        total += len(c) + len(t)
        i += 1
    return calls, tickets


def at_least_once(seed: int, entities: list[list[dict]], duplicate_rate: float = 0.05) -> list[dict]:
    """Every event once, some twice, in a shuffled order."""
    rng = random.Random(seed)
    wire = [e for es in entities for e in es]
    wire += [e for e in wire if rng.random() < duplicate_rate]
    rng.shuffle(wire)
    return wire
