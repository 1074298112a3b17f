"""EARS C2, the comparator the surge detector is measured against (docs/alerts.md).

The CDC's Early Aberration Reporting System, method C2, on daily counts: the upper bound for
day t is the mean of days t−9 … t−3 (a 7-day baseline, 2 days of lag) plus z(1−α) times their
sample standard deviation (never below `min_sigma`); day t alarms when its count exceeds the
bound. This is the definition R's `surveillance::earsC(method = "C2")` implements; a test
compares the two on the same series (tests/unit/alerts/test_ears_vs_r.py). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

BASELINE, LAG = 7, 2


@dataclass(frozen=True, slots=True)
class C2:
    """Per day: the upper bound (NaN where the baseline is not complete) and the alarm."""

    upperbound: np.ndarray
    alarm: np.ndarray


def z_of(alpha: float) -> float:
    return NormalDist().inv_cdf(1.0 - alpha)


def c2(daily: np.ndarray, *, alpha: float = 0.001, z: float | None = None, min_sigma: float = 0.0,
       baseline: int = BASELINE) -> C2:
    """EARS C2 over the last axis of `daily` (one or more series of daily counts).

    `z` overrides the threshold z(1 − α) (the evaluation sets it to meet an alert budget)."""
    y = np.asarray(daily, dtype=float)
    zz = z_of(alpha) if z is None else z
    n = y.shape[-1]
    first = baseline + LAG  # 0-based index of the first day with a whole baseline
    ub = np.full(y.shape, np.nan)
    if n > first:
        # window k (for day k + first) holds days k … k + baseline − 1
        windows = np.lib.stride_tricks.sliding_window_view(y, baseline, axis=-1)[..., : n - first, :]
        mean = windows.mean(axis=-1)
        sd = windows.std(axis=-1, ddof=1)
        ub[..., first:] = mean + zz * np.maximum(sd, min_sigma)
    with np.errstate(invalid="ignore"):
        alarm = np.where(np.isnan(ub), False, y > ub)
    return C2(ub, alarm)
