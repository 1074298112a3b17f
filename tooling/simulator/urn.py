"""Drawing without replacement from exact quotas: the year's counts come out exactly, the days
get a random (hypergeometric) share of them, and memory stays one number per value."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np


class Urn:
    """Counts of values still to hand out; `draw` takes n of them at random and returns one
    value per item, in random order. Drawing more than is left raises ValueError (a plan bug)."""

    def __init__(self, counts: Mapping[Hashable, int]):
        self.values = list(counts)
        self.left = np.array([int(counts[v]) for v in self.values], dtype=np.int64)
        if (self.left < 0).any():
            raise ValueError(f"negative quota in {dict(counts)}")

    @property
    def total(self) -> int:
        return int(self.left.sum())

    def draw(self, rng: np.random.Generator, n: int) -> list:
        if n == 0:
            return []
        if n > self.total:
            raise ValueError(f"drawing {n} from an urn with {self.total} left")
        if len(self.values) == 1:
            taken = np.array([n])
        else:
            taken = rng.multivariate_hypergeometric(self.left, n)
        self.left -= taken
        out = np.repeat(np.arange(len(self.values)), taken)
        rng.shuffle(out)
        return [self.values[i] for i in out]


class Urns:
    """One urn per condition (e.g. the kind of a ticket given its handling)."""

    def __init__(self, by: Mapping[Hashable, Mapping[Hashable, int]]):
        self.urns = {k: Urn(v) for k, v in by.items()}

    def assign(self, rng: np.random.Generator, conditions: list) -> list:
        """A value for each item, drawn from the urn of that item's condition."""
        out: list = [None] * len(conditions)
        groups: dict = {}
        for i, c in enumerate(conditions):
            groups.setdefault(c, []).append(i)
        for c, idx in groups.items():
            for i, v in zip(idx, self.urns[c].draw(rng, len(idx))):
                out[i] = v
        return out
