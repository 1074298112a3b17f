"""Running the detectors over one evaluated range: pure, on what the reader read.

What each detector needs before the range is read by the cycle (`Reach`): the surge detector its
`history_days` of hourly counts; the cluster detector the tickets of `horizon + window + baseline`
days before its watermark; the ping-pong detector every step of the tickets with a step in range,
and, for the department pairs, every step of the `horizon + window + baseline` before it.

The cluster and department-pair detectors evaluate only the windows ending within a horizon of
the watermark they are given. Over a longer range (a backfill, an old episode still open) they
are called at watermarks a horizon apart, from the range's end backwards; an episode detected
more than a horizon before the range's end is then taken as a call at (its detection + horizon)
sees it: the evidence a live detector had gathered when the episode left its horizon, with its
closing decided at the range's end. No call after that one sees the episode, so an episode still
open there would otherwise stay open for good, live or in a backfill; asked this way it closes at
its rule's instant (a cluster `close_after_days` after its last ticket) in the first range that
reaches past it. Every detector's episodes detected before the range are dropped (their evidence
was not read whole).

`quiet_ms`: how long after its last evidence each kind closes when nothing more comes, the rule
the diff applies to an open episode no recomputation reaches any more (diff.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hotline.calendar.work import WorkCalendar
from services.alerts.detect.cluster import ClusterParams, PlacedTicket, detect_clusters
from services.alerts.detect.pingpong import RETURN_PAIR, PingPongParams, Step, detect_pingpong, detect_return_pairs
from services.alerts.detect.surge import SurgeParams, detect_surges
from services.alerts.episode import Episode
from services.alerts.plan import DAY_MS, HOUR_MS, Range


@dataclass(frozen=True)
class Params:
    surge: SurgeParams
    cluster: ClusterParams
    pingpong: PingPongParams


def surge_hours(evaluated: Range, p: SurgeParams) -> tuple[int, int]:
    """(first hour, number of complete hours) the surge detector reads: its history before the
    range, then every hour that ended by the watermark."""
    first = evaluated.start_ms - p.history_days * DAY_MS
    return first, (evaluated.end_ms // HOUR_MS * HOUR_MS - first) // HOUR_MS


def cluster_horizon_ms(p: ClusterParams) -> int:
    return max(round(p.horizon_days * DAY_MS), HOUR_MS)


def cluster_reach_ms(p: ClusterParams) -> int:
    """How long before a watermark the cluster detector's tickets must start."""
    return round((p.horizon_days + p.window_days + p.baseline_days) * DAY_MS)


def pair_horizon_ms(p: PingPongParams) -> int:
    return max(round(p.pair_horizon_days * DAY_MS), HOUR_MS)


def pair_reach_ms(p: PingPongParams) -> int:
    """How long before a watermark the department-pair detector's steps must start."""
    return round((p.pair_horizon_days + p.pair_window_days) * DAY_MS) + p.pair_baseline_weeks * 7 * DAY_MS


def quiet_ms(e: Episode, params: Params) -> int:
    """How long after its last evidence (updated_ms) an episode closes when no more comes, by its
    detector's rule: a surge after `quiet_hours`, a cluster and a ping-pong ticket after
    `close_after_days`, a department pair `pair_window_days` after its last hand-over (its detector
    counts from the last one that passed the test, which the stored state does not keep: this is
    never earlier)."""
    if e.kind == "surge":
        return params.surge.quiet_hours * HOUR_MS
    if e.kind == "cluster":
        return round(params.cluster.close_after_days * DAY_MS)
    if e.method == RETURN_PAIR:
        return round(params.pingpong.pair_window_days * DAY_MS)
    return round(params.pingpong.close_after_days * DAY_MS)


def stepped(detect: Callable[[int, int], list[Episode]], evaluated: Range, horizon_ms: int) -> list[Episode]:
    """The episodes `detect(watermark, known)` finds over `evaluated` when one call sees
    `horizon_ms`; `known` (≥ watermark) is the instant the closing of an episode still open at the
    watermark is decided at, its evidence ending at the watermark."""
    found: dict[str, Episode] = {}
    watermark = evaluated.end_ms
    while True:
        for e in detect(watermark, watermark):
            # A call whose horizon starts inside an episode sees it detected at its first window
            # there that passes (the same start, so the same id): the earliest detection is the
            # episode's own, whichever calls the range's end happens to line up.
            seen = found.get(e.id)
            if seen is None or e.detected_ms < seen.detected_ms:
                found[e.id] = e
        if watermark - horizon_ms < evaluated.start_ms:
            break
        watermark -= horizon_ms
    for id_, e in list(found.items()):
        left = e.detected_ms + horizon_ms
        if left < evaluated.end_ms:
            again = next((x for x in detect(left, evaluated.end_ms) if x.id == id_), None)
            if again is not None:
                found[id_] = again
    return list(found.values())


def detect_all(
    evaluated: Range, params: Params, tz: ZoneInfo, *, hourly: Sequence[tuple[int, str, str, str, int]],
    tickets: Sequence[PlacedTicket], steps: Sequence[Step], calendar: WorkCalendar,
) -> list[Episode]:
    """The episodes of every kind detected in `evaluated`, in (detected_ms, id) order. `steps`:
    every step of the tickets with a step from `evaluated.start_ms − pair_reach_ms` on."""
    first, hours = surge_hours(evaluated, params.surge)
    pp = params.pingpong
    episodes = [
        *detect_surges(hourly, first, hours, tz, params.surge),
        *stepped(lambda w, k: detect_clusters(tickets, w, params.cluster, known_ms=k), evaluated,
                 cluster_horizon_ms(params.cluster)),
        *detect_pingpong(steps, evaluated.end_ms, calendar, pp),
        *stepped(lambda w, k: detect_return_pairs(steps, w, pp, known_ms=k), evaluated, pair_horizon_ms(pp)),
    ]
    unique = {e.id: e for e in episodes if e.detected_ms >= evaluated.start_ms}
    return sorted(unique.values(), key=lambda e: (e.detected_ms, e.id))
