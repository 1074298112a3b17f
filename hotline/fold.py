"""Fold one call's or one ticket's events into its facts (docs/architecture.md, decision 1).

Every fact is a lattice join over the SET of the entity's events, so the result does not depend
on order, duplicates or lateness: earliest offered/created, earliest answer, latest end, final
handling = the handling event with the greatest (time, id), flags that only go up, counts of
distinct (source, id). This module is the reference; the ClickHouse views in
hotline/storage/migrations compute the same facts and tests hold them to it.

An event type no fact reads (hotline.ticket.returned, a department sending the ticket back) only
counts in `events`: a returned ticket's department, deadline and completion stay those of its
latest dispatch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hotline.calendar import CalendarNotCovered, WorkCalendar
from hotline.contract import DEFAULT_LINE, SOURCE_OF_CHANNEL
from hotline.events import EventRecord

CALL = "hotline.call."
TICKET = "hotline.ticket."


@dataclass(frozen=True)
class CallFacts:
    call_id: str
    events: int
    offered_ms: int | None
    direction: str
    line: str
    caller_hash: str
    answered_ms: int | None
    agent_id: str
    abandoned_ms: int | None
    ended_ms: int | None

    @property
    def status(self) -> str:
        """answered | abandoned (left, or ended, before an answer) | waiting | unknown."""
        if self.answered_ms is not None:
            return "answered"
        if self.abandoned_ms is not None or self.ended_ms is not None:
            return "abandoned"
        return "waiting" if self.offered_ms is not None else "unknown"

    @property
    def wait_ms(self) -> int | None:
        if self.offered_ms is None:
            return None
        if self.answered_ms is not None:
            return max(self.answered_ms - self.offered_ms, 0)
        left = self.abandoned_ms if self.abandoned_ms is not None else self.ended_ms
        return max(left - self.offered_ms, 0) if left is not None else None

    @property
    def talk_ms(self) -> int | None:
        if self.answered_ms is None or self.ended_ms is None:
            return None
        return max(self.ended_ms - self.answered_ms, 0)


@dataclass(frozen=True)
class TicketFacts:
    ticket_id: str
    events: int
    created_ms: int | None
    requester: str
    channel: str
    kind: str
    category: str
    subcategory: str
    district: str
    line: str
    call_id: str
    tags: tuple[str, ...]
    handling: str  # online_agent | online_specialist | department | "" (not handled yet)
    handled_ms: int | None  # time of the final handling event
    department: str
    deadline_ms: int | None
    dispatched: bool
    completed_ms: int | None
    to_110: bool
    supervised: int
    evaluation_requests: int
    evaluations: int
    service_rated: int
    service_satisfied: int
    resolution_rated: int
    resolution_satisfied: int

    @property
    def source(self) -> str:
        return SOURCE_OF_CHANNEL.get(self.channel, "")

    @property
    def from_110(self) -> bool:
        return self.channel == "110"

    @property
    def completed(self) -> bool:
        return self.completed_ms is not None

    def handling_work_s(self, calendar: WorkCalendar) -> int | None:
        """Working seconds from creation to completion by `calendar` (W of each instant to the
        whole second below it); 0 when not completed or not created; None when pending: the
        calendar does not cover the creation or completion day yet."""
        if self.completed_ms is None or self.created_ms is None:
            return 0
        try:
            done = calendar.work_seconds_ms(self.completed_ms)
            return max(done - calendar.work_seconds_ms(self.created_ms), 0)
        except CalendarNotCovered:
            return None

    def handling_workdays(self, calendar: WorkCalendar) -> float | None:
        """The handling time in working days; None when not completed or pending."""
        if self.completed_ms is None or self.created_ms is None:
            return None
        work = self.handling_work_s(calendar)
        return None if work is None else work / 86_400

    @property
    def on_time(self) -> bool:
        if self.completed_ms is None:
            return False
        return self.deadline_ms is None or self.completed_ms <= self.deadline_ms


def _distinct(records: Iterable[EventRecord]) -> list[EventRecord]:
    # A re-delivered event is the same (source, id); keep one, chosen independently of order.
    seen: dict[tuple[str, str, str, int], EventRecord] = {}
    for r in records:
        seen.setdefault((r.source, r.id, r.type, r.time_ms), r)
    return list(seen.values())


def _first(rs: list[EventRecord]) -> EventRecord | None:
    return min(rs, key=lambda r: r.key, default=None)


def _last(rs: list[EventRecord]) -> EventRecord | None:
    return max(rs, key=lambda r: r.key, default=None)


def _s(r: EventRecord | None, name: str, default: str = "") -> str:
    v: Any = r.data.get(name) if r is not None else None
    return v if isinstance(v, str) and v else default


def _of(rs: list[EventRecord], type_: str) -> list[EventRecord]:
    return [r for r in rs if r.type == type_]


def fold_call(call_id: str, records: Iterable[EventRecord]) -> CallFacts:
    rs = _distinct(records)
    offered, answered = _first(_of(rs, CALL + "offered")), _first(_of(rs, CALL + "answered"))
    abandoned, ended = _first(_of(rs, CALL + "abandoned")), _last(_of(rs, CALL + "ended"))
    return CallFacts(
        call_id=call_id,
        events=len({(r.source, r.id) for r in rs}),
        offered_ms=offered.time_ms if offered else None,
        direction=_s(offered, "direction"),
        line=_s(offered, "line", DEFAULT_LINE),
        caller_hash=_s(offered, "caller_hash"),
        answered_ms=answered.time_ms if answered else None,
        agent_id=_s(answered, "agent_id"),
        abandoned_ms=abandoned.time_ms if abandoned else None,
        ended_ms=ended.time_ms if ended else None,
    )


def _handling(r: EventRecord) -> str:
    if r.type == TICKET + "dispatched":
        return "department"
    return "online_specialist" if r.data.get("by") == "specialist" else "online_agent"


def _count(rs: list[EventRecord], pred) -> int:
    return len({(r.source, r.id) for r in rs if pred(r)})


def fold_ticket(ticket_id: str, records: Iterable[EventRecord]) -> TicketFacts:
    rs = _distinct(records)
    created = _first(_of(rs, TICKET + "created"))
    dispatches = _of(rs, TICKET + "dispatched")
    final = _last([r for r in rs if r.type in (TICKET + "answered", TICKET + "dispatched")])
    last_dispatch = _last(dispatches)
    completions = _of(rs, TICKET + "completed")
    # Online answers close the ticket when they are the final handling; a department's ticket
    # is complete once a completion is at or after its final dispatch (a reopened one is not).
    done: EventRecord | None = None
    if final is not None and final.type == TICKET + "answered":
        done = final
    elif final is not None:
        latest = _last(completions)
        if latest is not None and latest.time_ms >= final.time_ms:
            done = latest
    evals = _of(rs, TICKET + "evaluated")
    return TicketFacts(
        ticket_id=ticket_id,
        events=len({(r.source, r.id) for r in rs}),
        created_ms=created.time_ms if created else None,
        requester=_s(created, "requester"),
        channel=_s(created, "channel"),
        kind=_s(created, "kind"),
        category=_s(created, "category"),
        subcategory=_s(created, "subcategory"),
        district=_s(created, "district"),
        line=_s(created, "line", DEFAULT_LINE) if created else "",
        call_id=_s(created, "call_id"),
        tags=created.tags if created else (),
        handling=_handling(final) if final else "",
        handled_ms=final.time_ms if final else None,
        department=_s(last_dispatch, "department"),
        deadline_ms=(last_dispatch.deadline_ms or None) if last_dispatch else None,
        dispatched=bool(dispatches),
        completed_ms=done.time_ms if done else None,
        to_110=any(r.data.get("to") == "110" for r in _of(rs, TICKET + "transferred")),
        supervised=_count(rs, lambda r: r.type == TICKET + "supervised"),
        evaluation_requests=_count(rs, lambda r: r.type == TICKET + "evaluation_requested"),
        evaluations=len({(r.source, r.id) for r in evals}),
        service_rated=_count(evals, lambda r: isinstance(r.data.get("service_satisfied"), bool)),
        service_satisfied=_count(evals, lambda r: r.data.get("service_satisfied") is True),
        resolution_rated=_count(evals, lambda r: isinstance(r.data.get("resolution_satisfied"), bool)),
        resolution_satisfied=_count(evals, lambda r: r.data.get("resolution_satisfied") is True),
    )
