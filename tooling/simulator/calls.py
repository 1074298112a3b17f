"""One day's calls: inbound (offered → answered or abandoned) and outbound (dialled →
connected or not), with waits and talks whose year sums hit the profile's averages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tooling.simulator import rhythm
from tooling.simulator.budget import Budget
from tooling.simulator.draws import exact_sum
from tooling.simulator.profile import Calls, ProfileError

WAIT_HI = 900  # longest wait before an answer, seconds
TALK_LO = {"inbound": 20, "outbound": 8}
LONG_MEAN = 780.0  # mean of the talks over 10 minutes, seconds


@dataclass
class DayCalls:
    """Parallel arrays, one entry per call, sorted by offer time (epoch seconds)."""

    direction: str
    offered: np.ndarray
    answered: np.ndarray  # bool
    wait: np.ndarray  # seconds to the answer, or to hanging up
    talk: np.ndarray  # seconds (0 when not answered)


class Talks:
    """Talk times of answered calls: a group up to 10 minutes and one over it, with one call
    of exactly the longest talk; the group sums make the average exact."""

    def __init__(self, answered: int, long: int, avg: float, longest: int, lo: int, what: str):
        total = round(avg * answered)
        normal = answered - long
        self.longest_left = 1 if long else 0
        if long and longest <= 601:
            raise ProfileError(f"{what}: the longest talk must be over 600 s when some talks are")
        h = LONG_MEAN
        if long > 1:
            rest = lambda h: (total - h * (long - 1) - longest) / normal if normal else 0.0  # noqa: E731
            if normal and rest(h) < lo + 5:
                h = max(601.5, (total - (lo + 5) * normal - longest) / (long - 1))
            elif normal and rest(h) > 595:
                h = min(longest - 0.5, (total - 595 * normal - longest) / (long - 1))
        long_sum = round(h * max(long - 1, 0)) + (longest if long else 0)
        normal_sum = total - long_sum
        if normal and not lo * normal <= normal_sum <= 600 * normal or (not normal and normal_sum):
            raise ProfileError(f"{what}: the average talk and the share over 10 minutes cannot both hold")
        self.lo, self.longest = lo, longest
        self.normal = Budget(normal_sum, normal)
        self.long = Budget(long_sum - (longest if long else 0), max(long - 1, 0))
        # The longest call is the k-th long call of the year, k at random.
        self.special_at = None

    def draw(self, rng: np.random.Generator, is_long: list[bool]) -> np.ndarray:
        out = np.zeros(len(is_long), dtype=np.int64)
        longs = [i for i, x in enumerate(is_long) if x]
        if self.longest_left and longs:
            if self.special_at is None:
                self.special_at = int(rng.integers(0, max(self.long.items + 1, 1)))
            if self.special_at < len(longs):
                out[longs.pop(self.special_at)] = self.longest
                self.longest_left = 0
            else:
                self.special_at -= len(longs)
        norms = [i for i, x in enumerate(is_long) if not x]
        for idx, budget, lo, hi in ((norms, self.normal, self.lo, 600), (longs, self.long, 601, self.longest - 1)):
            want = budget.take(len(idx))
            vals = exact_sum(rng, len(idx), lo, hi, want)
            budget.spent(len(idx), int(vals.sum()))
            out[idx] = vals
        return out


class Waits:
    """Waits of answered calls: within the service-level threshold or over it; the average
    wait of answered calls is exact."""

    def __init__(self, c: Calls, within: int):
        total = round(c.avg_wait_s * c.answered)
        slow = c.answered - within
        n = c.threshold_s
        if not within:
            a = 0.0
        else:
            a = min(0.7 * c.avg_wait_s, n * 0.8)
            if slow and (total - a * within) / slow < n + 10:
                a = (total - (n + 10) * slow) / within
        if within and not 0 <= a <= n or (slow and not (n + 1) * slow <= total - round(a * within) <= WAIT_HI * slow):
            raise ProfileError("calls.inbound.avg_wait_s cannot hold with the service level "
                               f"(average {c.avg_wait_s} s, {within:,} of {c.answered:,} answered within {n} s)")
        self.n = n
        self.fast = Budget(round(a * within), within)
        self.slow = Budget(total - round(a * within), slow)

    def draw(self, rng: np.random.Generator, is_fast: list[bool]) -> np.ndarray:
        out = np.zeros(len(is_fast), dtype=np.int64)
        for flag, budget, lo, hi in ((True, self.fast, 0, self.n), (False, self.slow, self.n + 1, WAIT_HI)):
            idx = [i for i, x in enumerate(is_fast) if x is flag]
            vals = exact_sum(rng, len(idx), lo, hi, budget.take(len(idx)))
            budget.spent(len(idx), int(vals.sum()))
            out[idx] = vals
        return out


def inbound(rng, plan, waits: Waits, talks: Talks, day_start: int, n: int) -> DayCalls:
    offered = day_start + rhythm.seconds_of_day(rng, n)
    answered = np.array(plan.answered.draw(rng, n), dtype=bool)
    k = int(answered.sum())
    wait = rng.integers(3, 120, size=n)  # hanging up before an answer
    talk = np.zeros(n, dtype=np.int64)
    if k:
        wait[answered] = waits.draw(rng, plan.within.draw(rng, k))
        talk[answered] = talks.draw(rng, plan.long_in.draw(rng, k))
    return DayCalls("inbound", offered, answered, wait, talk)


def outbound(rng, plan, talks: Talks, day_start: int, n: int) -> DayCalls:
    offered = day_start + rhythm.office_seconds(rng, n)
    answered = np.array(plan.out_connected.draw(rng, n), dtype=bool)
    k = int(answered.sum())
    wait = rng.integers(5, 40, size=n)  # ringing
    talk = np.zeros(n, dtype=np.int64)
    if k:
        talk[answered] = talks.draw(rng, plan.long_out.draw(rng, k))
    return DayCalls("outbound", offered, answered, wait, talk)
