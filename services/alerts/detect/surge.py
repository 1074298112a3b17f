"""Surges: a series gets more tickets than its usual share of the city's volume (docs/alerts.md).

The expected count of a series in an hour is its share of the rest of the city's tickets in
that same hour. The city's own volume carries every calendar effect at once — the hour of day,
the weekday, statutory holidays and adjusted working days, the Spring Festival weeks, the
season, the trend and the day-to-day swings that every series shares — so none of them is a
reason to alarm. The share itself is learnt per series from the `baseline_days` before a
`guard_days` gap, separately for working and rest days of the mainland-China calendar (shrunk
towards the all-days share where few such days are in the window), with past outbreak days
left out: a day far above what its own baseline expected does not teach the next ones.

Conditionally on the city's total N in an hour, a series' count is binomial(N, p), p its share
of all tickets. An upper CUSUM of the log-likelihood ratio for the odds growing `shift`-fold,
scaled by the series' dispersion (φ ≥ 1, from its daily residuals), accumulates the evidence
hour by hour; an episode opens at the first hour it reaches `threshold` and closes after
`quiet_hours` hours below it. Its start is the hour after the CUSUM last stood at zero.
Pure: the same rows give the same episodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from services.alerts.detect.grid import HOUR_MS, LEVELS, Days, Row, build_grid
from services.alerts.episode import Episode

METHOD = "share-cusum"


@dataclass(frozen=True)
class SurgeParams:
    baseline_days: int = 28
    guard_days: int = 1
    shift: float = 2.0  # the CUSUM is tuned to a doubling of the series' odds
    threshold: float = 8.0  # chosen in the evaluation (docs/alerts.md): ≈ 2 false episodes a week
    quiet_hours: int = 24
    min_daily: float = 2.0  # series with fewer tickets a day in their baseline are not watched
    outlier_z: float = 4.0  # a day this many standard deviations above its baseline is an outbreak day
    prior_days: float = 2.0  # weight of the all-days share in a working/rest-day share, in days
    max_dispersion: float = 10.0
    levels: tuple[str, ...] = tuple(LEVELS)

    @property
    def history_days(self) -> int:
        """Days of rows needed before the first evaluated hour."""
        return self.baseline_days + self.guard_days


@dataclass(frozen=True, slots=True)
class Run:
    """One episode of one series, in hour indexes of the grid (closed = −1 while open)."""

    series: int
    start: int
    detected: int
    last: int
    closed: int
    observed: float
    expected: float
    score: float


@dataclass(frozen=True)
class Baseline:
    p: np.ndarray  # [series, days] the series' share of all tickets expected on that day
    dispersion: np.ndarray  # [series, days]
    watched: np.ndarray  # [series, days] bool


def baseline(daily: np.ndarray, daily_total: np.ndarray, working: np.ndarray, params: SurgeParams) -> Baseline:
    """Shares and dispersion per series and day from the days before it (pure function of the
    window [d − guard − baseline, d − guard)); days without a whole window are not watched."""
    y = daily.astype(float)
    rest = daily_total[None, :] - y
    n_days = y.shape[1]

    def window_sum(a: np.ndarray) -> np.ndarray:
        c = np.concatenate([np.zeros(a.shape[:-1] + (1,)), np.cumsum(a, axis=-1)], axis=-1)
        hi = np.clip(np.arange(n_days) - params.guard_days, 0, n_days)
        lo = np.clip(hi - params.baseline_days, 0, n_days)
        return c[..., hi] - c[..., lo]

    whole = np.arange(n_days) >= params.history_days
    # First pass: plain shares flag the outbreak days (high against their own baseline).
    r0 = window_sum(y) / np.maximum(window_sum(rest), 1.0)
    mu0 = r0 * rest
    ok = ~(y > mu0 + params.outlier_z * np.sqrt(mu0) + 1.0) | ~whole[None, :]
    yk, rk = y * ok, rest * ok
    y_all, r_all = window_sum(yk), window_sum(rk)
    share = y_all / np.maximum(r_all, 1.0)
    prior = params.prior_days * r_all / max(params.baseline_days, 1)
    out = np.empty_like(share)
    for kind in (True, False):
        sel = working == kind
        y_k, r_k = window_sum(yk * sel[None, :]), window_sum(rk * sel[None, :])
        typed = (y_k + prior * share) / np.maximum(r_k + prior, 1.0)
        out[:, working == kind] = typed[:, working == kind]
    p = out / (1.0 + out)
    # Dispersion: mean Pearson residual of the window's kept days against their own baseline.
    mu = out * rest
    pearson = np.where(ok & (mu > 0), (y - mu) ** 2 / np.maximum(mu, 1e-9), 0.0)
    kept = np.maximum(window_sum(ok.astype(float)), 1.0)
    dispersion = np.clip(window_sum(pearson) / kept, 1.0, params.max_dispersion)
    days_kept = window_sum(ok.astype(float))
    watched = whole[None, :] & (y_all / np.maximum(days_kept, 1.0) >= params.min_daily) & (days_kept >= params.baseline_days / 2)
    return Baseline(p, dispersion, watched)


@dataclass(frozen=True)
class Statistics:
    """Per series and hour: the CUSUM, the count and the expected count."""

    cusum: np.ndarray
    observed: np.ndarray
    expected: np.ndarray


def statistics(counts: np.ndarray, total: np.ndarray, days: Days, params: SurgeParams) -> Statistics:
    """The CUSUM of the series in `counts` ([series, hours]) against the city's `total` ([hours])."""
    s_n, h_n = counts.shape
    d_n = len(days.dates)
    daily = np.zeros((s_n, d_n))
    np.add.at(daily.T, days.of_hour, counts.T)
    daily_total = np.bincount(days.of_hour, weights=total, minlength=d_n)
    b = baseline(daily, daily_total, days.working, params)

    p = b.p[:, days.of_hour]  # [series, hours]
    odds = params.shift
    p1 = odds * p / (1.0 - p + odds * p)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, np.log(p1 / np.where(p > 0, p, 1.0)), 0.0)
        c = np.where(p > 0, np.log((1.0 - p1) / (1.0 - p)), 0.0)
    y = counts.astype(float)
    z = (y * a + (total[None, :] - y) * c) / b.dispersion[:, days.of_hour]
    z = np.where(b.watched[:, days.of_hour], z, -np.inf)  # an unwatched hour resets the sum
    cusum = np.empty_like(z)
    s = np.zeros(s_n)
    for t in range(h_n):
        s = np.maximum(s + z[:, t], 0.0)
        cusum[:, t] = s
    return Statistics(cusum, y, p * total[None, :])


def scan(counts: np.ndarray, total: np.ndarray, days: Days, params: SurgeParams, evaluate_from: int) -> list[Run]:
    """Episodes of the series in `counts` detected at or after hour `evaluate_from`."""
    return runs(statistics(counts, total, days, params), params, evaluate_from)


def runs(stats: Statistics, params: SurgeParams, evaluate_from: int) -> list[Run]:
    """Alarm hours (CUSUM ≥ threshold) grouped into episodes: a gap of `quiet_hours` ends one."""
    cusum, y, expected = stats.cusum, stats.observed, stats.expected
    alarm = cusum >= params.threshold
    out: list[Run] = []
    h_n = cusum.shape[1]
    cy = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(y, axis=1)], axis=1)
    ce = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(expected, axis=1)], axis=1)
    for s in np.flatnonzero(alarm[:, evaluate_from:].any(axis=1)):
        hours = np.flatnonzero(alarm[s])
        zeros = np.flatnonzero(cusum[s] == 0.0)
        i = 0
        while i < len(hours):
            t0 = int(hours[i])
            # the run of alarm hours with gaps shorter than quiet_hours
            j = i
            while j + 1 < len(hours) and hours[j + 1] - hours[j] <= params.quiet_hours:
                j += 1
            last = int(hours[j])
            closed = last + params.quiet_hours if last + params.quiet_hours < h_n else -1
            if t0 >= evaluate_from:
                before = zeros[zeros < t0]
                start = int(before[-1]) + 1 if before.size else 0
                out.append(Run(int(s), start, t0, last, closed, float(cy[s, last + 1] - cy[s, start]),
                               float(ce[s, last + 1] - ce[s, start]), float(cusum[s, t0:last + 1].max())))
            i = j + 1
    return out


def detect_surges(rows: Iterable[Row], first_hour_ms: int, hours: int, tz: ZoneInfo,
                  params: SurgeParams = SurgeParams()) -> list[Episode]:
    """Surge episodes in the complete hours [first_hour_ms, + hours), detected at or after
    first_hour_ms + history_days days (the hours before only teach the baseline)."""
    grid = build_grid(rows, first_hour_ms, hours, tz, params.levels)
    evaluate_from = params.history_days * 24
    if not grid.series or hours <= evaluate_from:
        return []
    end = lambda h: first_hour_ms + (h + 1) * HOUR_MS  # noqa: E731 - an hour's evidence is in at its end
    episodes = []
    for r in scan(grid.counts, grid.total, grid.days, params, evaluate_from):
        episodes.append(Episode(
            kind="surge", series=grid.series[r.series], started_ms=first_hour_ms + r.start * HOUR_MS,
            detected_ms=end(r.detected), updated_ms=end(r.last), closed_ms=end(r.closed) if r.closed >= 0 else 0,
            observed=r.observed, expected=round(r.expected, 3), score=round(r.score, 3), method=METHOD,
            detail=f"level {grid.levels[r.series]}: {r.observed:.0f} tickets where {r.expected:.1f} were expected",
        ))
    return episodes
