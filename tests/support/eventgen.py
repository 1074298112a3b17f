"""Hypothesis strategies: random but contract-valid event sets of calls and tickets.

Used by the pure fold's property tests and by the tests that hold the ClickHouse views to the
pure fold. Times are around 2023 working days and holidays; ids repeat across entities on
purpose (id is unique per source, not globally).
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

BASE = dt.datetime(2023, 1, 18, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # before 春节


def _time(offset_s: int) -> str:
    return (BASE + dt.timedelta(seconds=offset_s)).isoformat()


def _event(type_: str, subject: str, n: int, offset_s: int, data: dict, source: str) -> dict:
    return {"specversion": "1.0", "id": f"e{n}", "source": source, "type": type_,
            "time": _time(offset_s), "subject": subject, "data": data}


times = st.integers(min_value=0, max_value=30 * 86400)
sources = st.sampled_from(["/pbx/main", "/pbx/backup"])

call_events = st.one_of(
    st.tuples(st.just("hotline.call.offered"), st.fixed_dictionaries(
        {"direction": st.sampled_from(["inbound", "outbound"])},
        optional={"line": st.sampled_from(["12345", "talent", "enterprise"]),
                  "caller_hash": st.sampled_from(["a" * 64, "b" * 64])})),
    st.tuples(st.just("hotline.call.answered"), st.fixed_dictionaries({"agent_id": st.sampled_from(["a1", "a2"])})),
    st.tuples(st.just("hotline.call.abandoned"), st.just({})),
    st.tuples(st.just("hotline.call.ended"), st.just({})),
)

ticket_events = st.one_of(
    st.tuples(st.just("hotline.ticket.created"), st.fixed_dictionaries(
        {"requester": st.sampled_from(["citizen", "enterprise"]),
         "channel": st.sampled_from(["phone", "web", "110", "maishangyi"]),
         "kind": st.sampled_from(["consult", "non_consult"]),
         "category": st.sampled_from(["民生保障", "住房保障"])},
        optional={"line": st.sampled_from(["12345", "talent"]), "tags": st.just(["epidemic"]),
                  "district": st.just("清江浦区"), "call_id": st.just("c-1")})),
    st.tuples(st.just("hotline.ticket.answered"), st.fixed_dictionaries({"by": st.sampled_from(["agent", "specialist"])})),
    st.tuples(st.just("hotline.ticket.dispatched"), st.fixed_dictionaries(
        {"department": st.sampled_from(["市公安局", "市住建局"])},
        optional={"deadline": st.sampled_from(["2023-01-20T18:00:00+08:00", "2023-02-10T18:00:00+08:00"])})),
    st.tuples(st.just("hotline.ticket.completed"), st.just({})),
    st.tuples(st.just("hotline.ticket.transferred"), st.just({"to": "110"})),
    st.tuples(st.just("hotline.ticket.supervised"), st.just({})),
    st.tuples(st.just("hotline.ticket.evaluation_requested"), st.just({})),
    st.tuples(st.just("hotline.ticket.evaluated"), st.fixed_dictionaries(
        {}, optional={"service_satisfied": st.booleans(), "resolution_satisfied": st.booleans()})),
)


@st.composite
def entity_events(draw, subject: str, kinds=call_events, max_events: int = 8) -> list[dict]:
    """The distinct events of one entity (ids e0, e1, … per source)."""
    picks = draw(st.lists(st.tuples(kinds, times, sources), min_size=1, max_size=max_events))
    return [_event(t, subject, n, off, data, src) for n, ((t, data), off, src) in enumerate(picks)]


@st.composite
def delivery(draw, events: list[dict]) -> list[dict]:
    """An at-least-once delivery of `events`: any order, some events more than once."""
    dupes = draw(st.lists(st.sampled_from(events), max_size=len(events))) if events else []
    return draw(st.permutations(events + dupes))
