"""What a simulated call or ticket truly is, the events that tell its story, and the facts row the
platform must end up with, derived from the story itself on the test side.

Nothing here calls the platform's validation, privacy, enrichment or fold: the expected row is
worked out from the entity's attributes with the domain's rules written out below (and the
caller's hash with tests/support/caller_rule.py, the working time with tests/support/workdays.py),
so an enrichment or folding bug cannot sit on both sides of the comparison. The rows are in the
column layout of `call_facts` / `ticket_facts` (tests/support/facts_rows.py): absent instants are
0, absent durations -1.

The rules, for the stories these classes can tell (one offer per call; a ticket answered online
or dispatched, never both):
- a call is answered if answered, else abandoned if it was abandoned or ended, else waiting; it
  waited until its answer (or until it was abandoned or ended) and talked from answer to end;
- a ticket answered online is handled by an online agent or specialist (`by`) and complete at
  that answer; a dispatched one is handled by the department of its last dispatch, with that
  dispatch's deadline, and complete at its completion; a return (退单) between dispatches
  changes none of that and is one more event; on time when complete by the deadline
  (or with none); its handling time is the working seconds from creation to completion;
- the channel gives the source (phone; web and app: internet; 110: transfer_in), and 110 means
  from_110; counts are of events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from tests.support.caller_rule import caller_hash
from tests.support.workdays import SHANGHAI, work_seconds_between

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
DEFAULT_LINE = "12345"  # docs/events.md: `line` may be absent and then means the 12345 line
SOURCE_OF_CHANNEL = {"phone": "phone", "web": "internet", "app": "internet", "110": "transfer_in"}
Instant = dt.datetime


def ms(t: Instant | None) -> int:
    """Epoch milliseconds; 0 for no instant (the facts' "absent")."""
    return 0 if t is None else (t - EPOCH) // dt.timedelta(milliseconds=1)


def to_ms_precision(t: Instant) -> Instant:
    """`t` cut to the millisecond, as an event's time says it (RFC 3339 with milliseconds)."""
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def _event(subject: str, type_: str, t: Instant, data: dict, source: str) -> dict:
    if t.microsecond % 1000:
        raise ValueError(f"{subject}: {t} is finer than a millisecond (use to_ms_precision)")
    return {"specversion": "1.0", "id": "", "source": source, "type": f"hotline.{type_}",
            "time": t.isoformat(timespec="milliseconds"), "subject": subject, "data": data}


def _numbered(subject: str, events: list[dict]) -> list[dict]:
    """In the order of the story (by time, stably), with ids `<subject>-e0`, `-e1`, …"""
    ordered = sorted(events, key=lambda e: dt.datetime.fromisoformat(e["time"]))
    return [{**e, "id": f"{subject}-e{n}"} for n, e in enumerate(ordered)]


@dataclass(frozen=True)
class Call:
    call_id: str
    offered: Instant
    direction: str
    caller: str | None = None  # the number in clear, as the PBX sends it
    line: str | None = None  # None: not sent
    answered: Instant | None = None
    agent_id: str = ""
    abandoned: Instant | None = None
    ended: Instant | None = None
    source: str = "/pbx/main"

    def events(self) -> list[dict]:
        offered = {"direction": self.direction}
        if self.line is not None:
            offered["line"] = self.line
        if self.caller is not None:
            offered["caller"] = self.caller
        story = [_event(self.call_id, "call.offered", self.offered, offered, self.source)]
        if self.answered is not None:
            story.append(_event(self.call_id, "call.answered", self.answered, {"agent_id": self.agent_id}, self.source))
        if self.abandoned is not None:
            story.append(_event(self.call_id, "call.abandoned", self.abandoned, {}, self.source))
        if self.ended is not None:
            story.append(_event(self.call_id, "call.ended", self.ended, {}, self.source))
        return _numbered(self.call_id, story)

    def row(self, hash_key: bytes) -> tuple:
        if self.answered is not None:
            status, waited_until = "answered", self.answered
        elif self.abandoned is not None or self.ended is not None:
            status, waited_until = "abandoned", self.abandoned or self.ended
        else:
            status, waited_until = "waiting", None
        talk = ms(self.ended) - ms(self.answered) if self.answered is not None and self.ended is not None else -1
        return (
            self.call_id, len(self.events()), self.offered.astimezone(SHANGHAI).date(), ms(self.offered),
            self.direction, self.line or DEFAULT_LINE,
            caller_hash(hash_key, self.caller) if self.caller is not None else "",
            ms(self.answered), self.agent_id if self.answered is not None else "", ms(self.abandoned),
            ms(self.ended), status, ms(waited_until) - ms(self.offered) if waited_until is not None else -1, talk,
        )


@dataclass(frozen=True)
class Dispatch:
    at: Instant
    department: str
    deadline: Instant | None = None


@dataclass(frozen=True)
class Return:
    """The department sends the ticket back to the centre (hotline.ticket.returned)."""

    at: Instant
    department: str
    reason: str = ""


@dataclass(frozen=True)
class Evaluation:
    at: Instant
    service_satisfied: bool | None = None
    resolution_satisfied: bool | None = None


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    created: Instant
    requester: str
    channel: str
    kind: str
    category: str
    subcategory: str = ""
    district: str = ""
    call_id: str = ""
    tags: tuple[str, ...] = ()
    caller: str | None = None
    answered: tuple[Instant, str] | None = None  # (when, by: "agent" | "specialist"), online
    dispatches: tuple[Dispatch, ...] = ()
    returns: tuple[Return, ...] = ()  # each after a dispatch; the centre dispatches again
    completed: Instant | None = None  # by the department, after its last dispatch
    supervised: tuple[Instant, ...] = ()
    evaluation_requested: tuple[Instant, ...] = ()
    evaluations: tuple[Evaluation, ...] = ()
    source: str = "/crm/main"

    def __post_init__(self) -> None:
        if self.answered is not None and self.dispatches:
            raise ValueError(f"{self.ticket_id}: answered online or dispatched, not both (no rule written for it)")
        if self.completed is not None and (not self.dispatches or self.completed < self.dispatches[-1].at):
            raise ValueError(f"{self.ticket_id}: a completion follows the last dispatch")
        if self.returns and (not self.dispatches or min(r.at for r in self.returns) < self.dispatches[0].at):
            raise ValueError(f"{self.ticket_id}: a return follows a dispatch")
        if any(d.deadline is not None and d.deadline.microsecond for d in self.dispatches):
            raise ValueError(f"{self.ticket_id}: a deadline is stated to the second")
        if self.channel not in SOURCE_OF_CHANNEL:
            raise ValueError(f"{self.ticket_id}: add channel {self.channel!r} to SOURCE_OF_CHANNEL")

    def events(self) -> list[dict]:
        t, ev = self.ticket_id, _event
        created = {"requester": self.requester, "channel": self.channel, "kind": self.kind, "category": self.category}
        for name in ("subcategory", "district", "call_id"):
            if getattr(self, name):
                created[name] = getattr(self, name)
        if self.tags:
            created["tags"] = list(self.tags)
        if self.caller is not None:
            created["caller"] = self.caller
        story = [ev(t, "ticket.created", self.created, created, self.source)]
        if self.answered is not None:
            story.append(ev(t, "ticket.answered", self.answered[0], {"by": self.answered[1]}, self.source))
        for d in self.dispatches:
            data = {"department": d.department}
            if d.deadline is not None:
                data["deadline"] = d.deadline.isoformat(timespec="seconds")
            story.append(ev(t, "ticket.dispatched", d.at, data, self.source))
        for r in self.returns:
            back = {"department": r.department, **({"reason": r.reason} if r.reason else {})}
            story.append(ev(t, "ticket.returned", r.at, back, self.source))
        if self.completed is not None:
            story.append(ev(t, "ticket.completed", self.completed, {}, self.source))
        story += [ev(t, "ticket.supervised", at, {}, self.source) for at in self.supervised]
        story += [ev(t, "ticket.evaluation_requested", at, {}, self.source) for at in self.evaluation_requested]
        for e in self.evaluations:
            data = {k: v for k, v in (("service_satisfied", e.service_satisfied),
                                      ("resolution_satisfied", e.resolution_satisfied)) if v is not None}
            story.append(ev(t, "ticket.evaluated", e.at, data, self.source))
        return _numbered(t, story)

    def row(self) -> tuple:
        last = self.dispatches[-1] if self.dispatches else None
        if self.answered is not None:
            handling, handled, done = f"online_{self.answered[1]}", self.answered[0], self.answered[0]
        elif last is not None:
            handling, handled, done = "department", last.at, self.completed
        else:
            handling, handled, done = "", None, None
        deadline = last.deadline if last is not None else None
        on_time = done is not None and (deadline is None or done <= deadline)
        evals = self.evaluations
        return (
            self.ticket_id, len(self.events()), self.created.astimezone(SHANGHAI).date(), ms(self.created),
            self.requester, self.channel, SOURCE_OF_CHANNEL[self.channel], self.kind, self.category,
            self.subcategory, self.district, DEFAULT_LINE, self.call_id, list(self.tags), handling, ms(handled),
            last.department if last is not None else "", ms(deadline), int(last is not None), int(done is not None),
            ms(done), work_seconds_between(self.created, done) if done is not None else 0, int(on_time),
            int(self.channel == "110"), 0, len(self.supervised), len(self.evaluation_requested), len(evals),
            sum(e.service_satisfied is not None for e in evals), sum(e.service_satisfied is True for e in evals),
            sum(e.resolution_satisfied is not None for e in evals), sum(e.resolution_satisfied is True for e in evals),
        )


def rows(calls: Iterable[Call], tickets: Iterable[Ticket], hash_key: bytes) -> tuple[list[tuple], list[tuple]]:
    """The facts rows of these entities, sorted as tests/support/pipeline.facts_rows reads them."""
    return sorted(c.row(hash_key) for c in calls), sorted(t.row() for t in tickets)
