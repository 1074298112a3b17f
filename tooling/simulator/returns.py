"""Returns (退单): a department sends a ticket back to the centre, which dispatches it again.

An ordinary return is a wrong first dispatch: the ticket goes to a department X, X returns it
within a few working hours, and the centre dispatches it to the department the plan chose. The
final dispatch carries the planned department and deadline and comes before the completion, so
every figure a report reads (department, deadline, completion, handling time) is the same as
without the return; only the ticket's final handling time moves to the re-dispatch.

A ping-pong ticket (推诿扯皮) goes A → returned by A → B → returned by B → A again.

Times are in working seconds W(t) (hotline/calendar): a return on a Friday evening comes on the
next working day. Pure: the caller passes the generator, the calendar and the tickets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hotline.calendar import WorkCalendar

SHARE = 0.03  # of dispatched tickets: one ordinary return each
RETURN_AFTER_S = (1800, 4 * 3600)  # working seconds from a dispatch to its return
REDISPATCH_AFTER_S = (600, 2 * 3600)  # from a return to the next dispatch (ordinary returns)
PINGPONG_REDISPATCH_S = (3600, 3 * 3600)  # ... for ping-pong tickets: a few working hours
MIN_GAP_S = 180  # a ticket completed sooner after its dispatch than this is not returned
REASONS = ("不属于本单位职责范围", "诉求地点不在本辖区", "应由其他部门牵头办理", "派单信息不全")


@dataclass(frozen=True, slots=True)
class Detour:
    """One dispatch that came back: to `department` at `dispatched`, returned at `returned`
    (epoch seconds)."""

    department: str
    dispatched: int
    returned: int
    reason: str


class Departments:
    """Draws a department other than a given one, weighted by the departments' dispatched counts
    (a busy bureau is also often wrongly dispatched to)."""

    def __init__(self, counts: dict[str, int]):
        self.names = list(counts)
        w = np.array([max(int(counts[n]), 0) for n in self.names], dtype=float)
        self.cum = np.cumsum(w / w.sum()) if w.sum() else np.linspace(1 / len(w), 1.0, len(w))

    def other(self, u: float, than: str | Sequence[str]) -> str:
        """The department at quantile u in [0, 1) of the weights, or the next one not avoided."""
        avoid = {than} if isinstance(than, str) else set(than)
        i = min(int(np.searchsorted(self.cum, u, side="right")), len(self.names) - 1)
        for k in range(len(self.names)):
            name = self.names[(i + k) % len(self.names)]
            if name not in avoid:
                return name
        raise ValueError(f"no department other than {sorted(avoid)}")


def after(cal: WorkCalendar, t: int, work_s: int) -> int:
    """The epoch second `work_s` working seconds after t."""
    w = cal.work_seconds(dt.datetime.fromtimestamp(t, cal.tz))
    return max(int(cal.at_work_seconds(w + work_s).timestamp()), t + 1)


def ordinary(rng: np.random.Generator, cal: WorkCalendar, tickets: Sequence, departments: Departments) -> int:
    """Give about SHARE of the dispatched tickets one return: the first dispatch (at the planned
    dispatch time) goes to another department, which returns it; the re-dispatch to the planned
    department comes a little later and before the completion. Sets `detours` and moves
    `handled` to the re-dispatch; returns how many tickets were returned. The same draws are made
    for every dispatched ticket, returned or not, so one ticket's draws never shift another's."""
    dept = [t for t in tickets if t.handling == "department"]
    flags = rng.random(len(dept)) < SHARE
    u = rng.random((len(dept), 4))
    n = 0
    for t, flag, (a, b, c, e) in zip(dept, flags, u):
        if not flag:
            continue
        x = departments.other(float(e), t.department)
        d0 = t.handled
        back = after(cal, d0, int(RETURN_AFTER_S[0] + a * (RETURN_AFTER_S[1] - RETURN_AFTER_S[0])))
        again = after(cal, back, int(REDISPATCH_AFTER_S[0] + b * (REDISPATCH_AFTER_S[1] - REDISPATCH_AFTER_S[0])))
        if t.completed and again >= t.completed:
            # Completed soon after the dispatch: the return fits in between, in wall time.
            gap = t.completed - d0
            if gap < MIN_GAP_S:
                continue
            back = d0 + max(int(gap * (0.2 + 0.3 * a)), 1)
            again = back + max(int((t.completed - back) * (0.2 + 0.4 * b)), 1)
        t.detours = [Detour(x, d0, back, REASONS[int(c * len(REASONS)) % len(REASONS)])]
        t.handled = again
        n += 1
    return n


def pingpong(rng: np.random.Generator, cal: WorkCalendar, dispatched: int, a: str, b: str) -> tuple[list[Detour], int]:
    """A → returned → B → returned → A: the two detours and the time of the final dispatch to A."""
    detours = []
    t = dispatched
    for dept in (a, b):
        back = after(cal, t, int(rng.integers(*RETURN_AFTER_S)))
        detours.append(Detour(dept, t, back, REASONS[int(rng.integers(0, len(REASONS)))]))
        t = after(cal, back, int(rng.integers(*PINGPONG_REDISPATCH_S)))
    return detours, t
