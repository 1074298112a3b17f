"""What no published figure fixes about a day's tickets: a subcategory, a place, an ordinary return.

These are drawn after the figures' draws and from generators of their own, one per concern and
day (seeded [seed, year, salt, day]), never from the year's generator: every ticket keeps the
category, district, department, times and completion it had without them, so the published
figures come out as before. A period's days draw the same details as in the full year's run.

Shares (not published, chosen to look like a city hotline): a location on 90 % of the
non-consult tickets and 25 % of the consult ones, 2 % of those as a finer cell (resolution 11 or
12, which the platform coarsens to 9); one ordinary return on 3 % of the dispatched tickets.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hotline.calendar import WorkCalendar
from tooling.simulator import returns, subcategories
from tooling.simulator.places import Places

SUBCATEGORY_SALT, PLACE_SALT, RETURN_SALT = 101, 102, 103
LOCATED = {"non_consult": 0.90, "consult": 0.25}
RES, FINE_SHARE, FINE_RES = 9, 0.02, (11, 12)


def rngs(seed: int, year: int, day: int) -> tuple[np.random.Generator, ...]:
    """The day's generators for subcategories, places and returns."""
    return tuple(np.random.default_rng([seed, year, salt, day]) for salt in (SUBCATEGORY_SALT, PLACE_SALT, RETURN_SALT))


def location(places: Places, rng: np.random.Generator, district: str) -> dict[str, str]:
    """A place in the district: mostly a resolution-9 cell, FINE_SHARE of them finer."""
    fine = rng.random() < FINE_SHARE
    res = FINE_RES[int(rng.integers(0, len(FINE_RES)))] if fine else RES
    return places.location(places.cell(rng, district, res))


class Details:
    """The details of one city-year's tickets."""

    def __init__(self, cal: WorkCalendar, districts: Sequence[str], departments: dict[str, int]):
        self.cal = cal
        self.places = Places(districts) if districts else None
        self.departments = returns.Departments(departments) if departments else None

    def apply(self, seed: int, year: int, day: int, tickets: Sequence, districts: Sequence[str]) -> None:
        """Sets each ticket's subcategory and (for a share) location; `districts[i]` is ticket i's
        district ("" when the profile has none: no location). Gives a share of the dispatched
        tickets an ordinary return."""
        sub_rng, place_rng, return_rng = rngs(seed, year, day)
        for t, s in zip(tickets, subcategories.draw(sub_rng, [t.category for t in tickets])):
            t.subcategory = s
        located = place_rng.random(len(tickets))
        if self.places is not None:
            for t, u, d in zip(tickets, located, districts):
                if d and u < LOCATED.get(t.kind, 0.0):
                    t.location = location(self.places, place_rng, d)
        if self.departments is not None and len(self.departments.names) > 1:
            returns.ordinary(return_rng, self.cal, tickets, self.departments)
