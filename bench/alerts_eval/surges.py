"""The surge detector and EARS C2 on one simulated city-year: false episodes on clean data,
detection of injected surges, both at the same alert budget.

Injections add extra tickets to one series' hours with the simulator's own outbreak shape
(tooling/simulator/inject.py surge_extra) and to the city's total; the detectors then run on
that series alone (its baseline and statistic depend on nothing else), which makes hundreds of
injections cheap. The clean run covers every series.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from services.alerts.detect import ears, surge
from services.alerts.detect.grid import Grid

H24, H72 = 24, 72


@dataclass(frozen=True)
class Injection:
    series: int
    start: int  # hour index
    hours: int
    factor: float
    extra: np.ndarray  # [hours]


def clean_episodes(grid: Grid, params: surge.SurgeParams, evaluate_from: int, thresholds: list[float]) -> dict[float, list[surge.Run]]:
    stats = surge.statistics(grid.counts, grid.total, grid.days, params)
    out = {}
    for h in thresholds:
        p = surge.SurgeParams(**{**params.__dict__, "threshold": h})
        out[h] = surge.runs(stats, p, evaluate_from)
    return out


def daily(grid: Grid, counts: np.ndarray) -> np.ndarray:
    d = np.zeros((counts.shape[0], len(grid.days.dates)))
    np.add.at(d.T, grid.days.of_hour, counts.T)
    return d


def c2_runs(alarm: np.ndarray, first_day: int) -> list[tuple[int, int]]:
    """(series, first alarm day) of every run of consecutive alarm days starting at or after first_day."""
    out = []
    for s in np.flatnonzero(alarm[:, first_day:].any(axis=1)):
        a = alarm[s]
        starts = np.flatnonzero(a & ~np.concatenate([[False], a[:-1]]))
        out += [(int(s), int(d)) for d in starts if d >= first_day]
    return out


def c2_watched(grid: Grid, params: surge.SurgeParams) -> np.ndarray:
    """The series C2 is run on: the same ones the surge detector watches (≥ min_daily a day)."""
    return grid.counts.sum(axis=1) / len(grid.days.dates) >= params.min_daily


def c2_clean(grid: Grid, params: surge.SurgeParams, first_day: int, zs: list[float]) -> dict[float, int]:
    d = daily(grid, grid.counts)[c2_watched(grid, params)]
    return {z: len(c2_runs(ears.c2(d, z=z).alarm, first_day)) for z in zs}


def budget_z(grid: Grid, params: surge.SurgeParams, first_day: int, episodes: int) -> float:
    """The C2 threshold whose clean false episodes are closest to `episodes` (at most that many)."""
    d = daily(grid, grid.counts)[c2_watched(grid, params)]
    lo, hi = 1.0, 40.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if len(c2_runs(ears.c2(d, z=mid).alarm, first_day)) > episodes:
            lo = mid
        else:
            hi = mid
    return hi


def inject(grid: Grid, series: int, start: int, hours: int, factor: float, rng: np.random.Generator, shape) -> Injection:
    share = grid.counts[series].sum() / max(grid.total.sum(), 1)
    expected = share * grid.total[start:start + hours]
    return Injection(series, start, hours, factor, np.asarray(shape(expected.tolist(), factor, rng), dtype=np.int64))


def detect_injected(grid: Grid, inj: Injection, params: surge.SurgeParams, evaluate_from: int,
                    thresholds: list[float], c2_z: float, first_day: int, c2_zs: tuple[float, ...] = ()) -> dict:
    """Delay in hours from the injection's start to the first episode detected in it, per
    threshold, and C2's (end of its first alarm day); None when not detected within 7 days."""
    y = grid.counts[inj.series].copy()
    total = grid.total.copy()
    sl = slice(inj.start, inj.start + inj.hours)
    y[sl] += inj.extra
    total[sl] += inj.extra
    stats = surge.statistics(y[None, :], total, grid.days, params)
    out: dict = {"ours": {}, "c2": None}
    for h in thresholds:
        p = surge.SurgeParams(**{**params.__dict__, "threshold": h})
        delays = [r.detected + 1 - inj.start for r in surge.runs(stats, p, evaluate_from)
                  if r.detected >= inj.start and r.start <= inj.start + inj.hours]
        out["ours"][h] = min(delays) if delays and min(delays) <= 7 * 24 else None
    d = daily(grid, y[None, :])
    day0 = int(grid.days.of_hour[inj.start])
    out["c2_by_z"] = {}
    for z in sorted({c2_z, *c2_zs}):
        alarm = ears.c2(d, z=z).alarm[0]
        delay = None
        for day in np.flatnonzero(alarm[day0:]) + day0:
            end_hour = int(np.flatnonzero(grid.days.of_hour == day)[-1]) + 1  # the day's count is in at its end
            delay = end_hour - inj.start if end_hour - inj.start <= 7 * 24 else None
            break
        out["c2_by_z"][z] = delay
    out["c2"] = out["c2_by_z"][c2_z]
    return out


def weeks_of(grid: Grid, runs_detected: list[int]) -> dict[str, int]:
    """Episodes per ISO week (keyed by the week's Monday) by the hour they were detected."""
    counts: dict[str, int] = {}
    for h in runs_detected:
        day = grid.days.dates[int(grid.days.of_hour[h])]
        monday = (day - dt.timedelta(days=day.weekday())).isoformat()
        counts[monday] = counts.get(monday, 0) + 1
    return counts
