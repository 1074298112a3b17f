"""The reference fold (hotline.fold) as the oracle the ClickHouse views are held to, for event sets
with no simpler truth (hypothesis' random events in any order): its facts as rows.

The fold is a deliberate second implementation of the views. Its input records are built here on
the test side from the raw events (time, local date, deadline, tags, the caller hashed with
tests/support/caller_rule.py), not with the platform's validation, privacy or enrichment code, so
that a bug there is not on both sides of the comparison. Where a test knows each entity's true
attributes it states its facts from them instead (tests/support/truth.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hotline.calendar import WorkCalendar
from hotline.events import EventRecord
from hotline.fold import fold_call, fold_ticket
from tests.support.caller_rule import scrubbed
from tests.support.facts_rows import call_row, ticket_row
from tests.support.truth import ms
from tests.support.workdays import SHANGHAI

# The CloudEvents attributes that are not extensions (docs/events.md).
_STANDARD = {"specversion", "id", "source", "type", "time", "subject", "data", "data_base64",
             "datacontenttype", "dataschema"}


def record(event: dict[str, Any], hash_key: bytes = b"") -> EventRecord:
    """One valid event as the fold takes it; `hash_key` hashes a `data.caller` if there is one."""
    if hash_key:
        event = scrubbed(event, hash_key)
    elif isinstance(event.get("data"), dict) and "caller" in event["data"]:
        raise ValueError("an event with a caller number needs the hash key")
    t = dt.datetime.fromisoformat(event["time"])
    data = event.get("data") or {}
    deadline = data.get("deadline") if event["type"] == "hotline.ticket.dispatched" else None
    return EventRecord(
        entity="call" if event["type"].startswith("hotline.call.") else "ticket",
        subject=event["subject"], source=event["source"], id=event["id"], type=event["type"],
        time_ms=ms(t), local_date=t.astimezone(SHANGHAI).date(), data=data,
        extensions={k: v for k, v in event.items() if k not in _STANDARD},
        deadline_ms=ms(dt.datetime.fromisoformat(deadline)) if isinstance(deadline, str) else 0,
        tags=tuple(data.get("tags") or ()) if event["type"] == "hotline.ticket.created" else (),
    )


def call_rows(calls: list[list[dict]], hash_key: bytes = b"") -> list[tuple]:
    """One list of events per call (all of one subject): the folded facts rows, sorted."""
    return sorted(call_row(fold_call(es[0]["subject"], [record(e, hash_key) for e in es])) for es in calls)


def ticket_rows(tickets: list[list[dict]], hash_key: bytes = b"", calendar: WorkCalendar | None = None) -> list[tuple]:
    """One list of events per ticket: the folded facts rows, sorted; handling times by `calendar`
    (the library's, by default: the one `hotline up` puts in force)."""
    return sorted(ticket_row(fold_ticket(es[0]["subject"], [record(e, hash_key) for e in es]), calendar)
                  for es in tickets)
