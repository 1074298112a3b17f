"""Whole numbers that add up: the simulator's counts are exact, so every split of a total into
parts (a year into days, a row into columns, a scaled profile) goes through one rounding rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` into len(weights) non-negative integers proportional to `weights` that sum
    to `total` exactly (largest remainder; ties to the earlier part, so deterministic).
    Each part is the floor or the ceiling of its exact share."""
    if total < 0:
        raise ValueError(f"cannot split a negative total ({total})")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    s = float(sum(weights))
    if not weights:
        if total:
            raise ValueError(f"cannot split {total} into no parts")
        return []
    if s == 0:
        if total:
            raise ValueError(f"cannot split {total} by weights that are all zero")
        return [0] * len(weights)
    return round_parts([total * w / s for w in weights], total)


def round_parts(exact: Sequence[float], total: int) -> list[int]:
    """Each exact part rounded down or up so that they sum to `total` (largest remainder).
    `total` must lie between the sum of the floors and the sum of the ceilings."""
    parts = [int(math.floor(x + 1e-9)) for x in exact]
    left = total - sum(parts)
    if not 0 <= left <= len(parts):
        raise ValueError(f"{total} cannot be reached by rounding parts that sum to {sum(exact):.3f}")
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def scaled(count: float, scale: float) -> int:
    """A profile count at a scale: round(count × scale), halves away from zero (not banker's)."""
    return int(count * scale + 0.5)


def capped(total: int, weights: Sequence[float], cap: Sequence[int]) -> list[int]:
    """Like `apportion`, but no part above its cap (water-filling: parts that would pass their
    cap are held at it and the rest is split again). Raises ValueError when the caps cannot
    hold the total."""
    if total > sum(cap):
        raise ValueError(f"{total} does not fit under the caps (at most {sum(cap)})")
    parts = [0] * len(weights)
    free = [i for i in range(len(weights))]
    left = total
    while left:
        share = apportion(left, [weights[i] if weights[i] > 0 else 1e-9 for i in free])
        over = [i for i, p in zip(free, share) if parts[i] + p > cap[i]]
        if not over:
            for i, p in zip(free, share):
                parts[i] += p
            break
        for i in over:
            left -= cap[i] - parts[i]
            parts[i] = cap[i]
        free = [i for i in free if i not in over]
    return parts
