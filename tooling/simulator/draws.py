"""Whole-second durations with an exact sum: the published averages (wait, talk, handling time)
are reproduced to the second at any scale, not only on average.

A group of n values in [lo, hi] is drawn from a power-law shape with the wanted mean
(x = lo + (hi - lo)·u^α has mean lo + (hi - lo)/(1 + α)), at stratified quantiles (one value
per 1/n slice, shuffled) so even a small group lands near the mean, then rounded and nudged by
single seconds until the sum is the target. Pure: the caller passes the numpy Generator.
"""

from __future__ import annotations

import numpy as np


def alpha_for(mean: float, lo: float, hi: float) -> float:
    """The exponent α that gives the shape `lo + (hi - lo)·u^α` the mean `mean`."""
    if not lo < mean < hi:
        raise ValueError(f"a mean of {mean:g} needs lo < mean < hi (lo={lo:g}, hi={hi:g})")
    return (hi - lo) / (mean - lo) - 1.0


def exact_sum(rng: np.random.Generator, n: int, lo: int, hi: int, target: int) -> np.ndarray:
    """n integers in [lo, hi] that sum to `target` clipped into [n·lo, n·hi]; their shape is
    skewed towards lo the closer the mean is to lo (waits, talks and handling times are)."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    target = min(max(target, n * lo), n * hi)
    mean = target / n
    if mean <= lo or mean >= hi or hi == lo:
        return _spread(n, target)
    u = (rng.permutation(n) + rng.random(n)) / n
    x = lo + (hi - lo) * u ** alpha_for(mean, lo, hi)
    out = np.clip(np.rint(x).astype(np.int64), lo, hi)
    _nudge(rng, out, lo, hi, target)
    return out


def _spread(n: int, target: int) -> np.ndarray:
    base, extra = divmod(target, n)
    out = np.full(n, base, dtype=np.int64)
    out[:extra] += 1
    return out


def _nudge(rng: np.random.Generator, out: np.ndarray, lo: int, hi: int, target: int) -> None:
    # A small group's stratified draw can miss the target by a lot (one value of a long tail):
    # first stretch the values about lo, then hand the remaining seconds out evenly, then the
    # last few one by one at random, never past the bounds.
    above = int(out.sum()) - lo * out.size
    if above > 0:
        stretched = lo + (out - lo) * ((target - lo * out.size) / above)
        out[:] = np.clip(np.rint(stretched), lo, hi).astype(np.int64)
    diff = int(target - out.sum())
    while diff:
        step = 1 if diff > 0 else -1
        cap = (hi - out) if step > 0 else (out - lo)
        room = np.flatnonzero(cap > 0)
        share = abs(diff) // room.size
        if share:
            move = np.minimum(cap[room], share)
            out[room] += step * move
            diff -= step * int(move.sum())
        else:
            pick = rng.choice(room, size=abs(diff), replace=False)
            out[pick] += step
            diff = 0
