"""Ping-pong tickets: none in the clean year (whose ordinary tickets are returned and
re-dispatched now and then), every injected one found at its offending re-dispatch.

An injection is a ticket dispatched to A, returned by A an hour later, dispatched to B an hour
after that, returned by B two hours later and dispatched to A again an hour after that (then
completed three days on), at a random time of the evaluated year, A and B drawn from the
departments of the clean year.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np

from bench.alerts_eval.background import Background
from hotline.calendar import for_timezone
from services.alerts.detect.grid import HOUR_MS
from services.alerts.detect.pingpong import PingPongParams, Step, detect_pingpong, detect_return_pairs


def evaluate(bg: Background, tz: ZoneInfo, first_ms: int, evaluate_from: int, hours: int, n: int,
             rng: np.random.Generator) -> dict:
    start_ms, end_ms = first_ms + evaluate_from * HOUR_MS, first_ms + hours * HOUR_MS
    cal = for_timezone(bg.timezone)
    params = PingPongParams()
    clean = [e for e in detect_pingpong(bg.steps, end_ms, cal, params) if e.detected_ms >= start_ms]
    pairs = [e for e in detect_return_pairs(bg.steps, end_ms, params) if e.detected_ms >= start_ms]
    returned = len({s.ticket_id for s in bg.steps if s.type == "returned"})
    departments = sorted({s.department for s in bg.steps if s.type == "dispatched" and s.department})
    injected: list[Step] = []
    redispatch: dict[str, int] = {}
    for k in range(n):
        a, b = (departments[i] for i in rng.choice(len(departments), size=2, replace=False))
        t = int(rng.integers(start_ms, end_ms - 5 * 24 * HOUR_MS))
        tid = f"eval-pingpong-{k}"
        seq = [("dispatched", a, 0), ("returned", a, 1), ("dispatched", b, 2), ("returned", b, 4),
               ("dispatched", a, 5), ("completed", a, 72)]
        injected += [Step(tid, kind, dept, t + h * HOUR_MS, f"{tid}-{i}") for i, (kind, dept, h) in enumerate(seq)]
        redispatch[tid] = t + 5 * HOUR_MS
    found = {}
    for e in detect_pingpong(bg.steps + injected, end_ms, cal, params):
        tid = dict(e.series).get("ticket_id", "")
        if tid in redispatch:
            found[tid] = e.detected_ms
    return {
        "params": dict(params.__dict__),
        "tickets_returned_in_clean_year": returned,
        "clean_episodes": len(clean), "clean_pair_episodes": len(pairs),
        "injections": n, "found": len(found),
        "found_at_the_redispatch": sum(1 for tid, ms in found.items() if ms == redispatch[tid]),
    }
