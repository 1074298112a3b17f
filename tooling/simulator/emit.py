"""Calls and tickets as CloudEvents (schemas/v1): the structured-mode dicts producers send.

Event ids are `<subject>-<n>`, unique per source and the same for the same seed, so a re-run
or a re-send is recognised as a duplicate downstream.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tooling.simulator.calls import DayCalls
from tooling.simulator.stream import Timed
from tooling.simulator.tickets import Ticket

CALL_SOURCE = "/pbx/main"
TICKET_SOURCE = "/ticketing/main"
CALLBACK_SOURCE = "/callback/main"
CREATED_SOURCE = {
    "phone": TICKET_SOURCE, "web": "/portal/web", "app": "/portal/app", "wechat": "/portal/wechat",
    "email": "/portal/email", "sms": "/portal/sms", "video": "/portal/video", "110": "/gateway/110",
    "maishangyi": "/gateway/maishangyi", "business_hotline": "/gateway/business",
    "other_platform": "/gateway/platforms",
}
ANSWER_DATA = {
    "both": {"service_satisfied": True, "resolution_satisfied": True},
    "service_only": {"service_satisfied": True, "resolution_satisfied": False},
    "resolution_only": {"service_satisfied": False, "resolution_satisfied": True},
    "neither": {"service_satisfied": False, "resolution_satisfied": False},
}


class Clock:
    """Epoch seconds → RFC 3339 in the city's zone, formatted from a per-hour cache (a year
    is ~12 M events). Zones whose offset is not whole hours are formatted the slow way."""

    def __init__(self, tz: str):
        self.tz = ZoneInfo(tz)
        self._hours: dict[int, tuple[str, str] | None] = {}

    def iso(self, t: int) -> str:
        h = t // 3600
        if h not in self._hours:
            text = dt.datetime.fromtimestamp(h * 3600, self.tz).isoformat(timespec="seconds")
            if len(self._hours) > 50_000:
                self._hours.clear()
            # "YYYY-MM-DDTHH:00:00+08:00": the local hour starts with the UTC hour
            self._hours[h] = (text[:14], text[19:]) if text[14:19] == "00:00" else None
        hit = self._hours[h]
        if hit is None:
            return dt.datetime.fromtimestamp(t, self.tz).isoformat(timespec="seconds")
        s = t - h * 3600
        return f"{hit[0]}{s // 60:02d}:{s % 60:02d}{hit[1]}"


def _event(clock: Clock, subject: str, n: int, source: str, type_: str, t: int, data: dict) -> Timed:
    return t * 1000, {"specversion": "1.0", "id": f"{subject}-{n}", "source": source,
                      "type": "hotline." + type_, "time": clock.iso(t), "subject": subject, "data": data}


def call_events(clock: Clock, subject: str, calls: DayCalls, i: int, line: str, caller: str, agent: str) -> list[Timed]:
    t0 = int(calls.offered[i])
    offered = {"direction": calls.direction}
    if line != "12345":
        offered["line"] = line
    if caller:
        offered["caller"] = caller
    out = [_event(clock, subject, 0, CALL_SOURCE, "call.offered", t0, offered)]
    t1 = t0 + int(calls.wait[i])
    if calls.answered[i]:
        out.append(_event(clock, subject, 1, CALL_SOURCE, "call.answered", t1, {"agent_id": agent}))
        out.append(_event(clock, subject, 2, CALL_SOURCE, "call.ended", t1 + int(calls.talk[i]), {}))
    else:
        out.append(_event(clock, subject, 1, CALL_SOURCE, "call.abandoned", t1, {}))
    return out


def ticket_events(clock: Clock, subject: str, t: Ticket, call_subject: str, district: str) -> list[Timed]:
    created = {"requester": "enterprise" if t.group == "enterprise" else "citizen", "channel": t.channel,
               "kind": t.kind, "category": t.category}
    if t.group == "talent":
        created["line"] = "talent"
    if call_subject:
        created["call_id"] = call_subject
    if district:
        created["district"] = district
    if t.tags:
        created["tags"] = list(t.tags)
    if t.subcategory:
        created["subcategory"] = t.subcategory
    if t.location:
        created["location"] = dict(t.location)
    out = [_event(clock, subject, 0, CREATED_SOURCE[t.channel], "ticket.created", t.created, created)]
    n = 1
    if t.to_110:
        out.append(_event(clock, subject, n, TICKET_SOURCE, "ticket.transferred", t.created + 60, {"to": "110"}))
        n += 1
    if t.handling == "department":
        for d in t.detours:  # dispatches that came back (returns.py), before the final one
            out.append(_event(clock, subject, n, TICKET_SOURCE, "ticket.dispatched", d.dispatched,
                              {"department": d.department, "deadline": clock.iso(t.deadline)}))
            out.append(_event(clock, subject, n + 1, TICKET_SOURCE, "ticket.returned", d.returned,
                              {"department": d.department, "reason": d.reason}))
            n += 2
        out.append(_event(clock, subject, n, TICKET_SOURCE, "ticket.dispatched", t.handled,
                          {"department": t.department, "deadline": clock.iso(t.deadline)}))
        n += 1
        if t.supervised:
            out.append(_event(clock, subject, n, TICKET_SOURCE, "ticket.supervised", t.supervised, {"level": "1"}))
            n += 1
        if t.completed:
            out.append(_event(clock, subject, n, TICKET_SOURCE, "ticket.completed", t.completed,
                              {"department": t.department}))
            n += 1
    else:
        by = "specialist" if t.handling == "online_specialist" else "agent"
        out.append(_event(clock, subject, n, TICKET_SOURCE, "ticket.answered", t.handled, {"by": by}))
        n += 1
    for r in t.requests:
        out.append(_event(clock, subject, n, CALLBACK_SOURCE, "ticket.evaluation_requested", r, {}))
        n += 1
    if t.answers:
        out.append(_event(clock, subject, n, CALLBACK_SOURCE, "ticket.evaluated", t.evaluated, dict(ANSWER_DATA[t.answers])))
    return out
