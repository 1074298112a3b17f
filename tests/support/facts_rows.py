"""The reference fold's facts in the column layout of call_facts / ticket_facts, for comparing
the ClickHouse views with hotline.fold (absent instants are 0, absent durations -1, a pending
handling time -1)."""

from __future__ import annotations

import datetime as dt

from hotline.calendar import WorkCalendar, for_timezone
from hotline.fold import CallFacts, TicketFacts

CALL_COLUMNS = ("call_id, events, day, offered_ms, direction, line, caller_hash, answered_ms, agent_id, "
                "abandoned_ms, ended_ms, status, wait_ms, talk_ms")
TICKET_COLUMNS = ("ticket_id, events, day, created_ms, requester, channel, source, kind, category, "
                  "subcategory, district, line, call_id, tags, handling, handled_ms, department, "
                  "deadline_ms, dispatched, completed, completed_ms, handling_work_s, on_time, from_110, "
                  "to_110, supervised, evaluation_requests, evaluations, service_rated, service_satisfied, "
                  "resolution_rated, resolution_satisfied")
SH = dt.timezone(dt.timedelta(hours=8))


def _day(ms: int | None) -> dt.date:
    if not ms:
        return dt.date(1970, 1, 1)
    return dt.datetime.fromtimestamp(ms // 1000, SH).date()


def call_row(f: CallFacts) -> tuple:
    return (
        f.call_id, f.events, _day(f.offered_ms), f.offered_ms or 0, f.direction, f.line, f.caller_hash,
        f.answered_ms or 0, f.agent_id, f.abandoned_ms or 0, f.ended_ms or 0, f.status,
        -1 if f.wait_ms is None else f.wait_ms, -1 if f.talk_ms is None else f.talk_ms,
    )


def ticket_row(f: TicketFacts, calendar: WorkCalendar | None = None) -> tuple:
    work = f.handling_work_s(calendar or for_timezone("Asia/Shanghai"))
    work = -1 if work is None else work
    return (
        f.ticket_id, f.events, _day(f.created_ms), f.created_ms or 0, f.requester, f.channel, f.source,
        f.kind, f.category, f.subcategory, f.district, f.line, f.call_id, list(f.tags), f.handling,
        f.handled_ms or 0, f.department, f.deadline_ms or 0, int(f.dispatched), int(f.completed),
        f.completed_ms or 0, work, int(f.on_time), int(f.from_110), int(f.to_110), f.supervised,
        f.evaluation_requests, f.evaluations, f.service_rated, f.service_satisfied,
        f.resolution_rated, f.resolution_satisfied,
    )
