"""Concentrated demands: false clusters in the clean year, and injected ones found.

An injection is the target case: 5 tickets of one subcategory from 4 distinct callers (one of
them twice) within 3 days, in an H3 cell that got fewer than 1 ticket a month in the clean
year, at a random time of the evaluated year. Found = a cluster episode holding one of its
tickets, detected within 24 h (72 h) of the fifth ticket.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import numpy as np

from bench.alerts_eval.background import Background
from services.alerts.detect.cluster import ClusterParams, PlacedTicket, detect_clusters
from services.alerts.detect.grid import HOUR_MS

DAY_MS = 24 * HOUR_MS


def evaluate(bg: Background, tz: ZoneInfo, first_ms: int, evaluate_from: int, hours: int, n: int,
             rng: np.random.Generator) -> dict:
    start_ms, end_ms = first_ms + evaluate_from * HOUR_MS, first_ms + hours * HOUR_MS
    base = ClusterParams()
    whole = ClusterParams(**{**base.__dict__, "horizon_days": (end_ms - start_ms) / DAY_MS + 1})
    clean = [e for e in detect_clusters(bg.placed, end_ms, whole) if e.detected_ms >= start_ms]
    weeks = (end_ms - start_ms) / (7 * DAY_MS)

    in_year = [t for t in bg.placed if start_ms <= t.created_ms < end_ms]
    per_cell = Counter(t.h3 for t in in_year if t.h3)
    quiet = sorted(c for c, k in per_cell.items() if k < (end_ms - start_ms) / DAY_MS / 30.4)
    home = {}
    for t in in_year:
        home.setdefault(t.h3, (t.community, t.district))
    subs = Counter(t.subcategory for t in in_year if t.subcategory)
    names, weights = zip(*sorted(subs.items()))
    weights = np.array(weights, dtype=float) / sum(weights)
    by_sub: dict[str, list[PlacedTicket]] = defaultdict(list)
    for t in bg.placed:
        by_sub[t.subcategory].append(t)

    delays: list[float | None] = []
    for k in range(n):
        sub = str(names[rng.choice(len(names), p=weights)])
        cell = str(quiet[rng.integers(len(quiet))])
        community, district = home[cell]
        t0 = int(rng.integers(start_ms, end_ms - 5 * DAY_MS))
        times = sorted(int(x) for x in t0 + rng.integers(0, 3 * DAY_MS, size=5))
        callers = [f"eval-{k}-{c}" for c in (0, 1, 2, 3, int(rng.integers(4)))]
        injected = [PlacedTicket(f"eval-{k}-{i}", ms, sub, cell, community, district, caller)
                     for i, (ms, caller) in enumerate(zip(times, callers))]
        fifth = times[-1]
        watermark = fifth + 3 * DAY_MS
        lo = watermark - round((base.horizon_days + base.window_days + base.baseline_days) * DAY_MS)
        tickets = [t for t in by_sub[sub] if lo <= t.created_ms <= watermark] + injected
        ids = {t.ticket_id for t in injected}
        found = [e.detected_ms for e in detect_clusters(tickets, watermark, base) if ids & set(e.tickets)]
        delays.append((min(found) - fifth) / HOUR_MS if found else None)
    got = [d for d in delays if d is not None]
    return {
        "params": {k: v for k, v in base.__dict__.items()},
        "clean_episodes": len(clean), "clean_per_week": round(len(clean) / weeks, 2),
        "clean_detected_ms": sorted(e.detected_ms for e in clean),
        "clean_by_level": dict(Counter("h3" if "h3" in dict(e.series) else "community" for e in clean)),
        "quiet_cells": len(quiet), "placed_tickets_in_year": len(in_year),
        "injections": n,
        "within_24h": round(sum(1 for d in delays if d is not None and d <= 24) / n, 3),
        "within_72h": round(sum(1 for d in delays if d is not None and d <= 72) / n, 3),
        "median_delay_h_after_fifth": float(np.median(got)) if got else None,
    }
