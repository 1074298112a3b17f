"""Sums spread over the days: a year's total (seconds of waiting, of talk, of handling time)
handed out day by day so that the year adds up exactly while each day stays plausible."""

from __future__ import annotations


class Budget:
    """`total` over `count` items: each day's share is what is left × its items / items left,
    so the last day takes the remainder and the year is exact (bounds permitting)."""

    def __init__(self, total: int, count: int):
        self.left, self.items = total, count

    def take(self, n: int) -> int:
        if n <= 0:
            return 0
        if n >= self.items:
            return self.left
        return round(self.left * n / self.items)

    def spent(self, n: int, amount: int) -> None:
        self.left -= amount
        self.items -= n


class Carry:
    """A mean to hold when the number of items is not known in advance: each day asks for
    mean × its items plus what earlier days fell short of."""

    def __init__(self, mean: float):
        self.mean, self.owed = mean, 0.0

    def take(self, n: int, fixed: float = 0.0) -> float:
        """What n free items must add up to, given `fixed` from items already decided."""
        return self.mean * n + self.owed - fixed

    def settle(self, wanted: float, got: float) -> None:
        self.owed = wanted - got
