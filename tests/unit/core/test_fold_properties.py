"""The pure fold is order-, duplicate- and lateness-insensitive (many thousands of entities)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from zoneinfo import ZoneInfo

from hotline.contract import validate_event
from hotline.events import to_record
from hotline.fold import fold_call, fold_ticket
from tests.support.eventgen import call_events, delivery, entity_events, ticket_events

CAL = ZoneInfo("Asia/Shanghai")


def records(events):
    return [to_record(validate_event(e), CAL) for e in events]


@settings(max_examples=3000, deadline=None)
@given(st.data())
def test_call_facts_ignore_order_and_duplicates(data):
    events = data.draw(entity_events("c", call_events))
    redelivered = data.draw(delivery(events))
    assert fold_call("c", records(redelivered)) == fold_call("c", records(events))


@settings(max_examples=3000, deadline=None)
@given(st.data())
def test_ticket_facts_ignore_order_and_duplicates(data):
    events = data.draw(entity_events("t", ticket_events, max_events=10))
    redelivered = data.draw(delivery(events))
    assert fold_ticket("t", records(redelivered)) == fold_ticket("t", records(events))


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_folding_in_two_halves_equals_folding_at_once(data):
    """A late event (arriving after the facts were computed once) ends where in-order would."""
    events = data.draw(entity_events("t", ticket_events, max_events=10))
    cut = data.draw(st.integers(0, len(events)))
    first, late = events[:cut], events[cut:]
    assert fold_ticket("t", records(first + late)) == fold_ticket("t", records(late + first))
    if first:
        partial = fold_ticket("t", records(first))
        assert partial.events <= fold_ticket("t", records(events)).events
