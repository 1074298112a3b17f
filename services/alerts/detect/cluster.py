"""Concentrated demands (集中诉求): many callers about one subcategory in one place within days.

A place is an H3 cell at resolution 9 or a community. A window of `window_days` ending at a
ticket is a cluster when it holds at least `min_tickets` tickets from at least `min_callers`
DISTINCT callers and that many callers is improbable for the place: P(X ≥ callers | λ) <
`alpha`, X ~ Poisson(λ), λ = the place's rate of that subcategory × the window. Distinct callers,
not tickets, are tested: one caller phoning twenty times is one voice. A ticket whose caller is
unknown ("") counts as a caller of its own (it cannot be matched to anyone, and dropping it would
hide a cluster reported from several unlisted numbers).

The rate is read from the `baseline_days` before the window, with `prior_tickets` (half a
ticket) added to the count: rate = (n + ½) / baseline_days. A never-seen place therefore has a
small, non-zero rate (one ticket in 180 days) instead of zero, which would make any ticket
infinitely surprising. We chose this floor over shrinking towards the subcategory's city-wide
rate per place: the city-wide figure is dominated by the dense urban cells (the average cell is
not a typical one) and depends on how many places one counts, while the floor is one stated
number whose effect is easy to check (four callers where nothing was seen: p ≈ 3.2e-9).

Cell and community: both are evaluated; a community episode is reported only when no cell
episode of the same subcategory, detected at or before it and still open then, holds one of the
tickets of the community's window at detection — the cell is the sharper report, the community
catches a cluster spread over neighbouring cells.

Event time and determinism: tickets are sorted by (created_ms, ticket_id) and the windows are
evaluated as each ticket arrives, so the input order is irrelevant. detected_ms = the creation
time of the ticket that first made the test pass; started_ms = the earliest ticket of that
window. While the episode is open every later ticket of the place and subcategory joins it; it
closes at (last ticket + `close_after_days`) once the watermark is beyond that instant.
observed / expected / score: tickets, λ and −log10 p of the strongest window; callers and
tickets: over the whole episode. A ticket given twice (same ticket_id) counts once. Only
windows ending in [watermark − horizon_days, watermark] are evaluated, so the caller supplies the
tickets created from watermark − (horizon + window + baseline) days (older ones are ignored, so
supplying more changes nothing). A later call reproduces an episode (id, detected_ms) as long as
its detection lies within that call's horizon, so an episode takes in the tickets up to a horizon
after its detection and no later one: a cluster that keeps receiving tickets for longer than the
horizon would be found again as a new episode (the horizon must exceed the clusters that matter).
Its closing is still decided: `known_ms`, how far the caller's tickets reach (the watermark when
not given), closes an episode still open at the watermark once known_ms is beyond (last ticket +
`close_after_days`). The caller that follows an episode over a longer range asks at (detection +
horizon), the last watermark that sees it, with known_ms the range's end (detection.stepped);
without it an episode still open when it left the horizon would stay open for good. The rate is
flat over the baseline (no weekday or holiday shape): counts of one subcategory in one cell are
too sparse for one.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import h3

from services.alerts.detect.poisson import log_tail
from services.alerts.episode import Episode, series_of

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class PlacedTicket:
    """A ticket where and what it is about. caller: the caller's keyed hash from the call the
    ticket came from, "" when unknown. h3 / community: "" when the ticket has none."""

    ticket_id: str
    created_ms: int
    subcategory: str
    h3: str
    community: str
    district: str
    caller: str = ""


@dataclass(frozen=True)
class ClusterParams:
    window_days: float = 3.0
    baseline_days: float = 90.0
    min_tickets: int = 5
    min_callers: int = 4
    # Tuned on the synthetic city of tests/unit/alerts/test_cluster.py: four callers pass in a
    # place with up to 2 tickets in the baseline (p ≈ 1.9e-6 at 2.5/90 a day); busy places need more.
    alpha: float = 2e-6
    close_after_days: float = 3.0
    horizon_days: float = 7.0
    prior_tickets: float = 0.5
    resolution: int = 9


@dataclass(slots=True)
class _Place:
    """The tickets of one place and subcategory, in (time, id) order."""

    level: str  # "h3" or "community"
    subcategory: str
    name: str
    times: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    callers: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Open:
    started_ms: int
    detected_ms: int
    series: tuple
    last_ms: int
    tickets: set[str]
    callers: set[str]
    window: frozenset[str]
    observed: float
    expected: float
    score: float


@lru_cache(maxsize=1 << 18)  # a city has far fewer cells than tickets: each is resolved once
def _cell(value: str, resolution: int) -> str:
    """The ticket's cell at `resolution`, or "" when it has none, it is not a valid cell, or it
    is coarser than the resolution (a coarse cell is not a place at ours)."""
    if not value or not h3.is_valid_cell(value):
        return ""
    res = h3.get_resolution(value)
    if res < resolution:
        return ""
    return value if res == resolution else h3.cell_to_parent(value, resolution)


def _places(
    tickets: Sequence[PlacedTicket], since_ms: int, watermark_ms: int, p: ClusterParams
) -> tuple[list[_Place], dict[str, PlacedTicket]]:
    unique: dict[str, PlacedTicket] = {}
    for t in tickets:
        if since_ms <= t.created_ms <= watermark_ms and t.subcategory:
            seen = unique.get(t.ticket_id)
            # the same ticket twice (a re-read) is one ticket; the choice must not follow the order
            if seen is None or (t.created_ms, repr(t)) < (seen.created_ms, repr(seen)):
                unique[t.ticket_id] = t
    def keys_of(t: PlacedTicket) -> list[tuple[str, ...]]:
        keys = []
        cell = _cell(t.h3, p.resolution)
        if cell:
            keys.append(("h3", t.subcategory, cell))
        if t.community:
            keys.append(("community", t.subcategory, t.district, t.community))
        return keys

    # Only a place with min_tickets tickets in the windows that can end inside the horizon can
    # raise or update an episode here: the others (most places: a ticket or two) are skipped
    # before their histories are built. Exact, and what makes a city's 90 days cheap.
    recent_ms = watermark_ms - round((p.horizon_days + p.window_days) * DAY_MS)
    hot = Counter(k for t in unique.values() if t.created_ms >= recent_ms for k in keys_of(t))
    places: dict[tuple[str, ...], _Place] = {}
    for t in sorted(unique.values(), key=lambda t: (t.created_ms, t.ticket_id)):
        caller = t.caller or f"ticket:{t.ticket_id}"
        for key in keys_of(t):
            if hot[key] < p.min_tickets:
                continue
            place = places.get(key)
            if place is None:
                place = places[key] = _Place(key[0], t.subcategory, key[-1])
            place.times.append(t.created_ms)
            place.ids.append(t.ticket_id)
            place.callers.append(caller)
            place.districts.append(t.district)
    return [places[k] for k in sorted(places)], unique


def _series(place: _Place, lo: int, hi: int) -> tuple:
    if place.level == "community":
        district = place.districts[lo]
    else:
        # a cell may straddle a border: the window's most frequent district, ties by name
        counts = Counter(place.districts[lo:hi])
        district = min(counts, key=lambda d: (-counts[d], d))
    return series_of({"subcategory": place.subcategory, place.level: place.name, "district": district})


def _place_episodes(place: _Place, watermark_ms: int, known_ms: int,
                    p: ClusterParams) -> list[tuple[Episode, frozenset[str]]]:
    window_ms = round(p.window_days * DAY_MS)
    baseline_ms = round(p.baseline_days * DAY_MS)
    close_ms = round(p.close_after_days * DAY_MS)
    first_ms = watermark_ms - round(p.horizon_days * DAY_MS)
    log_alpha = math.log(p.alpha)
    times = place.times
    done: list[tuple[Episode, frozenset[str]]] = []
    cur: _Open | None = None

    def test(t: int) -> tuple[int, int, int, float, float] | None:
        """The window (t − window, t]: (lo, hi, callers, λ, ln p) when it is big enough."""
        lo, hi = bisect.bisect_right(times, t - window_ms), bisect.bisect_right(times, t)
        if hi - lo < p.min_tickets:
            return None
        callers = len(set(place.callers[lo:hi]))
        if callers < p.min_callers:
            return None
        base = bisect.bisect_right(times, t - window_ms) - bisect.bisect_right(times, t - window_ms - baseline_ms)
        lam = (base + p.prior_tickets) / p.baseline_days * p.window_days
        return lo, hi, callers, lam, log_tail(callers, lam)

    def finish(c: _Open, closed_ms: int) -> None:
        done.append((Episode(
            kind="cluster", series=c.series, started_ms=c.started_ms, detected_ms=c.detected_ms,
            updated_ms=c.last_ms, closed_ms=closed_ms, observed=c.observed, expected=c.expected,
            score=c.score, method="poisson_callers",
            detail=f"{len(c.tickets)} tickets from {len(c.callers)} callers",
            callers=len(c.callers), tickets=tuple(sorted(c.tickets)),
        ), c.window))

    for i in range(bisect.bisect_left(times, first_ms), len(times)):
        t = times[i]
        if cur is not None and t - cur.last_ms > close_ms:
            finish(cur, cur.last_ms + close_ms)
            cur = None
        result = test(t)
        if cur is not None:
            cur.tickets.add(place.ids[i])
            cur.callers.add(place.callers[i])
            cur.last_ms = t
            if result is not None and -result[4] / math.log(10) > cur.score:
                cur.observed, cur.expected, cur.score = result[1] - result[0], result[3], -result[4] / math.log(10)
            continue
        if result is None or result[4] >= log_alpha:
            continue
        lo, hi, _, lam, logp = result
        cur = _Open(
            started_ms=times[lo], detected_ms=t, series=_series(place, lo, hi), last_ms=t,
            tickets=set(place.ids[lo:hi]), callers=set(place.callers[lo:hi]),
            window=frozenset(place.ids[lo:hi]), observed=hi - lo, expected=lam,
            score=-logp / math.log(10),
        )
    if cur is not None:
        finish(cur, cur.last_ms + close_ms if known_ms > cur.last_ms + close_ms else 0)
    return done


def detect_clusters(
    tickets: Sequence[PlacedTicket], watermark_ms: int, params: ClusterParams = ClusterParams(),
    *, known_ms: int | None = None,
) -> list[Episode]:
    """The cluster episodes detected in windows ending in [watermark − horizon, watermark], in
    (detected_ms, id) order. A pure function of the tickets created from watermark − (horizon +
    window + baseline) days to the watermark (the others are ignored), of the watermark, and of
    `known_ms` (≥ the watermark; default: the watermark): the instant an episode's closing is
    decided at, its evidence ending at the watermark (see the module's docstring)."""
    known_ms = watermark_ms if known_ms is None else max(known_ms, watermark_ms)
    since_ms = watermark_ms - round((params.horizon_days + params.window_days + params.baseline_days) * DAY_MS)
    cells: dict[str, list[tuple[Episode, frozenset[str]]]] = defaultdict(list)
    communities: list[tuple[Episode, frozenset[str]]] = []
    places, unique = _places(tickets, since_ms, watermark_ms, params)
    for place in places:
        found = _place_episodes(place, watermark_ms, known_ms, params)
        if place.level == "h3":
            cells[place.subcategory].extend(found)
        else:
            communities.extend(found)
    episodes = [e for found in cells.values() for e, _ in found]
    for episode, window in communities:
        subcategory = dict(episode.series)["subcategory"]
        covered = any(
            cell.detected_ms <= episode.detected_ms
            and (not cell.closed_ms or cell.closed_ms > episode.detected_ms)
            and any(tid in window and unique[tid].created_ms <= episode.detected_ms for tid in cell.tickets)
            for cell, _ in cells.get(subcategory, ())
        )
        if not covered:
            episodes.append(episode)
    return sorted(episodes, key=lambda e: (e.detected_ms, e.id))
