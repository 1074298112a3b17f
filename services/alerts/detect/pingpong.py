"""Ping-pong tickets (推诿扯皮): a ticket passed between departments instead of being handled.

Per ticket, its steps sorted by (time_ms, event_id) (a step read twice, same event_id, counts
once; steps after the watermark are not seen yet) raise one episode when any rule fires:

- redispatched_to_returner: dispatched to a department that returned it earlier (A, returned by
  A, …, A again), at that dispatch;
- dispatches: the `max_dispatches`-th dispatch, at that dispatch;
- unowned: returned and then neither dispatched nor completed for `unowned_work_hours` working
  hours, at return + N working hours once the watermark has reached that instant. Working hours
  are read from W(t) of the calendar, which counts a working day as 24 hours: 8 working hours
  after Friday 20:00 end on Monday 04:00. When the calendar does not cover the return or the
  instant (its coverage ends) the rule does not fire: a working time is never guessed.

Ordinary handling — one return, then a dispatch to another department — fires nothing. Each rule
depends only on the steps before its instant, so a later watermark finds the same detected_ms
(the earliest instant of any rule; method: that rule, the dispatch rules before unowned on a
tie, detail: every rule that fired). started_ms is the first dispatch (the first step when no
dispatch was seen). The series is {"ticket_id", "departments": the departments dispatched up to
the detection, "A→B→A"}, frozen then because the episode id derives from it; the detail carries
the whole sequence. Later steps update the episode (observed = dispatches, score = returns).
Closing: a completion closes it (closed_ms = the completion). Without one, it closes
`close_after_days` after its last evidence (a step or the unowned instant) once the watermark is
beyond: the alert should not stay open for a ticket nobody touches any more (it may have been
closed in a system we do not hear from). A step after the closing reopens the same episode.

detect_return_pairs reads the same steps the other way: hand-overs "returned by A, next
dispatched to B" per department pair, counted over a sliding `pair_window_days` ending at each
hand-over against the pair's own rate over the `pair_baseline_weeks` before that window.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from hotline.calendar import CalendarNotCovered, WorkCalendar
from services.alerts.detect.poisson import log_tail
from services.alerts.episode import Episode, series_of

DAY_MS = 86_400_000
ARROW = "→"
_RULES = ("redispatched_to_returner", "dispatches", "unowned")
RETURN_PAIR = "return_pair"  # the method of a department pair's episode


@dataclass(frozen=True, slots=True)
class Step:
    ticket_id: str
    type: Literal["dispatched", "returned", "completed"]
    department: str
    time_ms: int
    event_id: str


@dataclass(frozen=True)
class PingPongParams:
    max_dispatches: int = 3
    unowned_work_hours: float = 8.0
    close_after_days: float = 7.0
    pair_window_days: float = 7.0
    pair_baseline_weeks: int = 8
    pair_alpha: float = 1e-4
    pair_min_count: int = 5
    # half a hand-over added to the baseline, so a pair never seen has a small non-zero rate
    pair_prior: float = 0.5
    # windows ending in [watermark − horizon, watermark] are evaluated (see detect_return_pairs)
    pair_horizon_days: float = 14.0


def _by_ticket(steps: Sequence[Step], watermark_ms: int) -> dict[str, list[Step]]:
    unique: dict[tuple[str, str], Step] = {}
    for s in steps:
        if s.time_ms <= watermark_ms:
            key = (s.ticket_id, s.event_id)
            seen = unique.get(key)
            if seen is None or repr(s) < repr(seen):
                unique[key] = s
    tickets: dict[str, list[Step]] = defaultdict(list)
    for s in unique.values():
        tickets[s.ticket_id].append(s)
    for seq in tickets.values():
        seq.sort(key=lambda s: (s.time_ms, s.event_id))
    return tickets


def _unowned_at(returned_ms: int, calendar: WorkCalendar, hours: float) -> int | None:
    """The instant `hours` working hours after a return, or None when the calendar cannot say."""
    try:
        w = calendar.work_seconds_ms(returned_ms) + round(hours * 3600)
        return int(calendar.at_work_seconds(w).timestamp() * 1000)
    except CalendarNotCovered:
        return None


@dataclass(slots=True)
class _Ticket:
    """A ticket's state while its steps are read in order."""

    departments: list[str] = field(default_factory=list)
    returners: set[str] = field(default_factory=set)
    returns: int = 0
    fired: dict[str, int] = field(default_factory=dict)  # rule → instant
    detected: tuple[int, str, str] | None = None  # (instant, rule, departments then)


def _fire(state: _Ticket, rule: str, at_ms: int) -> None:
    state.fired.setdefault(rule, at_ms)
    if state.detected is None:
        state.detected = (at_ms, rule, ARROW.join(state.departments))


def _ticket_episode(ticket_id: str, seq: list[Step], watermark_ms: int, calendar: WorkCalendar,
                    p: PingPongParams) -> Episode | None:
    state = _Ticket()
    close_ms = round(p.close_after_days * DAY_MS)
    last_ms = 0  # the latest evidence
    closed_ms = 0
    pending_return: int | None = None  # time of a return not yet followed by a dispatch/completion

    def check_unowned(before_ms: int | None) -> None:
        """The unowned rule for the pending return, given the next step's time (None: none)."""
        nonlocal last_ms, pending_return
        if pending_return is None:
            return
        due = _unowned_at(pending_return, calendar, p.unowned_work_hours)
        if due is None or due > watermark_ms or (before_ms is not None and before_ms <= due):
            return
        _fire(state, "unowned", due)
        last_ms = max(last_ms, due)
        pending_return = None  # fired once per return; a later return may fire again

    for s in seq:
        check_unowned(s.time_ms)
        if s.type == "dispatched":
            state.departments.append(s.department)
            pending_return = None
            if s.department in state.returners:
                _fire(state, "redispatched_to_returner", s.time_ms)
            if len(state.departments) >= p.max_dispatches:
                _fire(state, "dispatches", s.time_ms)
        elif s.type == "returned":
            state.returners.add(s.department)
            state.returns += 1
            pending_return = s.time_ms
        elif s.type == "completed":
            pending_return = None
        if state.detected is None:
            continue
        last_ms = max(last_ms, s.time_ms)
        # any step after a closing reopens the episode (its version still grows: updated_ms)
        closed_ms = s.time_ms if s.type == "completed" else 0
    check_unowned(None)
    if state.detected is None:
        return None
    if not closed_ms and watermark_ms > last_ms + close_ms:
        closed_ms = last_ms + close_ms
    at, rule, departments = state.detected
    fired = sorted(state.fired, key=lambda r: (state.fired[r], _RULES.index(r)))
    return Episode(
        kind="pingpong",
        series=series_of({"ticket_id": ticket_id, "departments": departments}),
        started_ms=next((s.time_ms for s in seq if s.type == "dispatched"), seq[0].time_ms),
        detected_ms=at, updated_ms=max(last_ms, at), closed_ms=closed_ms,
        observed=float(len(state.departments)), expected=1.0, score=float(state.returns),
        method=rule,
        detail=f"rules {','.join(fired)}; dispatched {ARROW.join(state.departments)}; {state.returns} returns",
        tickets=(ticket_id,),
    )


def detect_pingpong(steps: Sequence[Step], watermark_ms: int, calendar: WorkCalendar,
                    params: PingPongParams = PingPongParams()) -> list[Episode]:
    """One episode per ping-pong ticket among `steps` (all steps of each ticket it should judge:
    a ticket's episode is a function of its own steps up to the watermark, so the service may pass
    only the tickets that changed). Sorted by (detected_ms, id)."""
    episodes = []
    for ticket_id, seq in sorted(_by_ticket(steps, watermark_ms).items()):
        episode = _ticket_episode(ticket_id, seq, watermark_ms, calendar, params)
        if episode is not None:
            episodes.append(episode)
    return sorted(episodes, key=lambda e: (e.detected_ms, e.id))


def _handovers(steps: Sequence[Step], watermark_ms: int) -> dict[tuple[str, str], list[tuple[int, str]]]:
    """(returned by A, dispatched to B) → [(time of the dispatch to B, ticket)], in order."""
    pairs: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for ticket_id, seq in _by_ticket(steps, watermark_ms).items():
        returner = None
        for s in seq:
            if s.type == "returned":
                returner = s.department
            elif s.type == "dispatched" and returner is not None:
                pairs[(returner, s.department)].append((s.time_ms, ticket_id))
                returner = None
            elif s.type == "completed":
                returner = None
    for events in pairs.values():
        events.sort()
    return pairs


def _pair_episodes(src: str, dst: str, events: list[tuple[int, str]], watermark_ms: int, known_ms: int,
                   p: PingPongParams) -> list[Episode]:
    window_ms = round(p.pair_window_days * DAY_MS)
    baseline_ms = p.pair_baseline_weeks * 7 * DAY_MS
    first_ms = watermark_ms - round(p.pair_horizon_days * DAY_MS)
    log_alpha, ln10 = math.log(p.pair_alpha), math.log(10.0)
    times = [t for t, _ in events]
    series = series_of({"from": src, "to": dst})
    episodes: list[Episode] = []
    cur: dict | None = None

    def finish(c: dict, closed: int) -> None:
        episodes.append(Episode(
            kind="pingpong", series=series, started_ms=c["started"], detected_ms=c["detected"],
            updated_ms=c["updated"], closed_ms=closed, observed=c["observed"], expected=c["expected"],
            score=c["score"], method=RETURN_PAIR,
            detail=f"{len(c['tickets'])} hand-overs {src}{ARROW}{dst}",
            tickets=tuple(sorted(c["tickets"])),
        ))

    for i in range(bisect.bisect_left(times, first_ms), len(times)):
        t = times[i]
        if cur is not None and t > cur["passed"] + window_ms:
            finish(cur, cur["passed"] + window_ms)
            cur = None
        lo, hi = bisect.bisect_right(times, t - window_ms), bisect.bisect_right(times, t)
        base = lo - bisect.bisect_right(times, t - window_ms - baseline_ms)
        lam = (base + p.pair_prior) / (p.pair_baseline_weeks * 7.0) * p.pair_window_days
        count = hi - lo
        logp = log_tail(count, lam) if count >= p.pair_min_count else 0.0
        passed = count >= p.pair_min_count and logp < log_alpha
        if cur is not None:
            cur["tickets"].add(events[i][1])
            cur["updated"] = t
            if passed:
                cur["passed"] = t
            if -logp / ln10 > cur["score"]:
                cur.update(observed=float(count), expected=lam, score=-logp / ln10)
            continue
        if passed:
            cur = {"started": times[lo], "detected": t, "updated": t, "passed": t,
                   "tickets": {tid for _, tid in events[lo:hi]}, "observed": float(count),
                   "expected": lam, "score": -logp / ln10}
    if cur is not None:
        finish(cur, cur["passed"] + window_ms if known_ms > cur["passed"] + window_ms else 0)
    return episodes


def detect_return_pairs(steps: Sequence[Step], watermark_ms: int, params: PingPongParams = PingPongParams(),
                        *, known_ms: int | None = None) -> list[Episode]:
    """Department pairs whose hand-overs (A returned, then dispatched to B) rise above the pair's
    own rate: in the `pair_window_days` ending at a hand-over, at least `pair_min_count` of them
    and P(X ≥ count | λ) < `pair_alpha`, λ = (baseline count + ½) / baseline weeks × window weeks.

    Evaluated at hand-overs in [watermark − pair_horizon_days, watermark]; the caller supplies the
    steps from watermark − (horizon + window + baseline) days (a hand-over's time is its dispatch;
    older ones are ignored). detected_ms: the hand-over that first passed; started_ms: the
    earliest of its window. The episode takes in every later hand-over of the pair while open and
    closes `pair_window_days` after the last hand-over at which the test still passed (its
    evidence has left the window), once the watermark is beyond. observed/expected/score: at the
    strongest window. Sorted by (detected_ms, id).

    As with clusters (detect/cluster.py), an episode takes in the hand-overs up to a horizon after
    its detection; `known_ms` (≥ the watermark; default: the watermark) is the instant its closing
    is decided at, so the caller asking at (detection + horizon), the last watermark that sees
    it, still closes an episode open there once its events reach past the closing instant."""
    p = params
    known_ms = watermark_ms if known_ms is None else max(known_ms, watermark_ms)
    since_ms = watermark_ms - round((p.pair_horizon_days + p.pair_window_days) * DAY_MS) \
        - p.pair_baseline_weeks * 7 * DAY_MS
    episodes: list[Episode] = []
    for (src, dst), events in sorted(_handovers(steps, watermark_ms).items()):
        episodes.extend(_pair_episodes(src, dst, [e for e in events if e[0] >= since_ms], watermark_ms, known_ms, p))
    return sorted(episodes, key=lambda e: (e.detected_ms, e.id))
